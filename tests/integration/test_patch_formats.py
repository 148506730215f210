"""Every patch form a user's tools write, made by the real tool where it exists here (git diff
with each prefix option and -U0, git format-patch of one and of two commits, GNU diff) and by
hand where not (svn, UTF-16/32, BOM, CRLF, a lost final newline, a Markdown fence).

For each: intake accepts it; the tree the scorers saw equals the tree the real tool makes from
the same input (git apply, git am, patch -p1/-p0); the decision equals the plain git diff's.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from error_fix.config import Settings
from error_fix.decision import PatchDecision, Verdict
from error_fix.forge.local import LocalForge
from error_fix.patch import parse_patch
from error_fix.pipeline import PatchApplier
from error_fix.scorers import all_scorers
from error_fix.scorers.interface import Scorer, ScorerResult, ScoringContext
from tests.sample import (
    CALC,
    DIVIDE_FIX,
    IDENTITY,
    SampleRepo,
    dedent,
    git,
    make_verdict,
    settings,
)

GUARDED_OPS = dedent(DIVIDE_FIX["src/calc/ops.py"])
ZERO_TEST = """
    from calc.ops import divide


    def test_divide_by_zero() -> None:
        assert divide(1, 0) == 0.0
"""
STEP_ONE = {"src/calc/ops.py": GUARDED_OPS, "tests/test_zero.py": ZERO_TEST}
"""The first commit of the series: the guard (mid-file) and a new test file."""
CHANGE = {
    "src/calc/ops.py": GUARDED_OPS.replace(
        "-> float:\n", '-> float:\n    """a / b, or 0.0 when b is 0."""\n'
    ),
    "tests/test_zero.py": ZERO_TEST,
}
"""The whole fix (the series' second commit adds the docstring)."""
SVN_RULE = "=" * 67


def run(cwd: Path, *args: str, stdin: bytes | None = None, ok: tuple[int, ...] = (0,)) -> bytes:
    result = subprocess.run(
        args, cwd=cwd, input=stdin, capture_output=True, env={**os.environ, **IDENTITY}
    )
    assert result.returncode in ok, (args, result.stderr.decode(errors="replace"))
    return result.stdout


def clone(repo: SampleRepo, where: Path) -> Path:
    run(repo.path.parent, "git", "clone", "--quiet", str(repo.path), str(where))
    return where


def write(root: Path, files: dict[str, str]) -> None:
    for name, content in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(dedent(content))


def tree_of(checkout: Path) -> str:
    """The git tree of everything in ``checkout``, as git would commit it."""
    run(checkout, "git", "add", "--all")
    return run(checkout, "git", "write-tree").decode().strip()


@dataclass(frozen=True)
class Form:
    make: Callable[[SampleRepo, Path], bytes]
    """Writes the patch (in a scratch folder)."""
    reference: Callable[[Path, Path], None]
    """Applies the same input with the real tool, in a clone: (clone, patch file)."""


# -- writers ----------------------------------------------------------------------------------


def git_diff(*options: str, config: tuple[str, ...] = ()) -> Callable[[SampleRepo, Path], bytes]:
    def make(repo: SampleRepo, scratch: Path) -> bytes:
        work = clone(repo, scratch / "work")
        write(work, CHANGE)
        run(work, "git", "add", "--intent-to-add", "tests/test_zero.py")
        return run(work, "git", *config, "diff", *options)

    return make


def format_patch(commits: int) -> Callable[[SampleRepo, Path], bytes]:
    def make(repo: SampleRepo, scratch: Path) -> bytes:
        work = clone(repo, scratch / "work")
        steps = [STEP_ONE, CHANGE] if commits == 2 else [CHANGE]
        for number, step in enumerate(steps, 1):
            write(work, step)
            run(work, "git", "add", "--all")
            run(work, "git", "commit", "--quiet", "-m", f"Step {number}", "-m", f"Why {number}.")
        return run(work, "git", "format-patch", "--stdout", f"-{commits}")

    return make


def trees(repo: SampleRepo, scratch: Path) -> Path:
    """a/ (the base) and b/ (the fixed tree) side by side, as diff -r users have them."""
    shutil.rmtree(clone(repo, scratch / "a") / ".git")
    shutil.copytree(scratch / "a", scratch / "b")
    write(scratch / "b", CHANGE)
    return scratch


def diff_ruN(repo: SampleRepo, scratch: Path) -> bytes:
    trees(repo, scratch)
    return run(scratch, "diff", "-ruN", "a", "b", ok=(1,))


def diff_u_labels(
    labels: Callable[[str, bool], tuple[str, str]], svn: bool = False
) -> Callable[[SampleRepo, Path], bytes]:
    """``diff -u`` per file, with the header names set by --label (no timestamps, or svn's)."""

    def make(repo: SampleRepo, scratch: Path) -> bytes:
        trees(repo, scratch)
        out = b""
        for name in sorted(CHANGE):
            new_file = not (scratch / "a" / name).exists()
            old_label, new_label = labels(name, new_file)
            old = "/dev/null" if new_file else f"a/{name}"
            body = run(
                scratch,
                "diff",
                "-u",
                "--label",
                old_label,
                "--label",
                new_label,
                old,
                f"b/{name}",
                ok=(1,),
            )
            out += (f"Index: {name}\n{SVN_RULE}\n".encode() if svn else b"") + body
        return out

    return make


def by_hand(transform: Callable[[bytes], bytes]) -> Callable[[SampleRepo, Path], bytes]:
    def make(repo: SampleRepo, scratch: Path) -> bytes:
        return transform(git_diff()(repo, scratch))

    return make


# -- references -------------------------------------------------------------------------------


def git_apply(*options: str) -> Callable[[Path, Path], None]:
    def apply(checkout: Path, patch: Path) -> None:
        run(checkout, "git", "apply", *options, str(patch))

    return apply


def git_apply_plain(checkout: Path, patch: Path) -> None:
    """git cannot read this encoding: apply the plain git diff the form was made from."""
    run(checkout, "git", "apply", str(patch.with_name("plain.patch")))


def git_am(checkout: Path, patch: Path) -> None:
    run(checkout, "git", "am", "--quiet", str(patch))


def gnu_patch(strip: int) -> Callable[[Path, Path], None]:
    def apply(checkout: Path, patch: Path) -> None:
        run(checkout, "patch", f"-p{strip}", "--quiet", "--no-backup-if-mismatch", "-i", str(patch))

    return apply


FORMS = {
    "git diff": Form(git_diff(), git_apply()),
    "git diff --no-prefix": Form(git_diff("--no-prefix"), git_apply("-p0")),
    "git diff i/ w/ (mnemonicPrefix)": Form(
        git_diff(config=("-c", "diff.mnemonicPrefix=true")), git_apply()
    ),
    "git diff --src-prefix --dst-prefix": Form(
        git_diff("--src-prefix=old/", "--dst-prefix=new/"), git_apply()
    ),
    "git diff -U0": Form(git_diff("-U0"), git_apply("--unidiff-zero")),
    "git format-patch, one commit": Form(format_patch(1), git_am),
    "git format-patch, series of two": Form(format_patch(2), git_am),
    "diff -ruN a b": Form(diff_ruN, gnu_patch(1)),
    "diff -u, no timestamps": Form(
        diff_u_labels(lambda name, new: ("/dev/null" if new else f"a/{name}", f"b/{name}")),
        gnu_patch(1),
    ),
    "svn diff (by hand)": Form(
        diff_u_labels(
            lambda name, new: (
                f"{name}\t({'nonexistent' if new else 'revision 1'})",
                f"{name}\t(working copy)",
            ),
            svn=True,
        ),
        gnu_patch(0),
    ),
    "CRLF (by hand)": Form(by_hand(lambda d: d.replace(b"\n", b"\r\n")), gnu_patch(1)),
    "UTF-16 with BOM and CRLF, as PowerShell > writes (by hand)": Form(
        by_hand(
            lambda d: (
                "\ufeff".encode("utf-16-le") + d.decode().replace("\n", "\r\n").encode("utf-16-le")
            )
        ),
        git_apply_plain,
    ),
    "UTF-32 with BOM (by hand)": Form(
        by_hand(lambda d: ("\ufeff" + d.decode()).encode("utf-32")), git_apply_plain
    ),
    "UTF-8 with BOM (by hand)": Form(by_hand(lambda d: b"\xef\xbb\xbf" + d), gnu_patch(1)),
    "no final newline (by hand)": Form(by_hand(lambda d: d[:-1]), git_apply_plain),
    "in a Markdown fence (by hand)": Form(
        by_hand(lambda d: b"The fix:\n\n```diff\n" + d + b"```\n\n- guards b == 0\n"),
        git_apply(),
    ),
}


class SeenTree(Scorer):
    """Not a component (left out of the decision): notes the patched tree the scorers got."""

    name = "seen-tree"

    def __init__(self) -> None:
        self.tree = ""
        self.ops = ""

    def score(self, ctx: ScoringContext) -> ScorerResult:
        self.tree = ctx.tree_ids[1]
        self.ops = (ctx.patched / "src/calc/ops.py").read_text()
        return ScorerResult.skipped(self.name)


def scored(repo: SampleRepo, patch_file: Path) -> tuple[Verdict, SeenTree]:
    seen = SeenTree()
    applier = PatchApplier(
        settings(disabled=frozenset({"types", "security"}), reruns=0),
        scorers=[*all_scorers(), seen],
    )
    return applier.score(repo.path, patch_file).verdict, seen


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> SampleRepo:
    return SampleRepo(tmp_path_factory.mktemp("formats") / "calc", CALC)


@pytest.fixture(scope="module")
def plain(repo: SampleRepo, tmp_path_factory: pytest.TempPathFactory) -> tuple[Verdict, str]:
    """The plain git diff's verdict and the tree git apply makes of it."""
    scratch = tmp_path_factory.mktemp("plain")
    patch_file = scratch / "fix.patch"
    patch_file.write_bytes(git_diff()(repo, scratch))
    verdict, seen = scored(repo, patch_file)
    assert verdict.decision is not PatchDecision.REJECTED, verdict.reason
    return verdict, seen.tree


@pytest.mark.parametrize("form", sorted(FORMS))
def test_each_form_is_applied_as_its_own_tool_applies_it_and_decided_alike(
    form: str, repo: SampleRepo, plain: tuple[Verdict, str], tmp_path: Path
) -> None:
    plain_verdict, plain_tree = plain
    raw = FORMS[form].make(repo, tmp_path)
    patch_file = tmp_path / "fix.patch"
    patch_file.write_bytes(raw)
    (tmp_path / "plain.patch").write_bytes(git_diff()(repo, tmp_path / "again"))
    checkout = clone(repo, tmp_path / "reference")
    FORMS[form].reference(checkout, patch_file)
    reference_tree = tree_of(checkout)
    assert reference_tree == plain_tree  # the form carries the same change

    verdict, seen = scored(repo, patch_file)

    assert verdict.decision is not PatchDecision.REJECTED, verdict.reason
    assert seen.tree == reference_tree
    assert verdict.decision == plain_verdict.decision
    assert verdict.confidence == plain_verdict.confidence
    assert [g.name for g in verdict.gates] == [g.name for g in plain_verdict.gates]


def test_a_U0_hunk_lands_where_git_puts_it(repo: SampleRepo, tmp_path: Path) -> None:
    raw = git_diff("-U0")(repo, tmp_path)
    assert b"@@ -8,0 +9,3 @@" in raw  # an insertion in mid-file, no context to place it
    patch_file = tmp_path / "fix.patch"
    patch_file.write_bytes(raw)
    verdict, seen = scored(repo, patch_file)
    assert verdict.decision is not PatchDecision.REJECTED, verdict.reason
    assert seen.ops == dedent(CHANGE["src/calc/ops.py"])
    assert seen.ops.index("if b == 0") < seen.ops.index("return a / b")


def test_a_series_keeps_every_commit_message_on_the_fix_branch(
    repo: SampleRepo, tmp_path: Path
) -> None:
    target = SampleRepo(tmp_path / "target", CALC)
    patch = parse_patch(
        format_patch(2)(repo, tmp_path), max_bytes=1 << 20, allow_binary=False, protected=()
    )
    verdict = make_verdict(target, patch, PatchDecision.AUTO_MERGE_PR)
    result = LocalForge(target.path, Settings()).publish(verdict, patch)
    message = git(target.path, "log", "-1", "--format=%B", result.branch or "")
    assert message.startswith("Step 1\n")
    for line in ("1/2 Step 1", "    Why 1.", "2/2 Step 2", "    Why 2.", patch.sha256):
        assert line in message
    assert target.show(result.branch or "", "src/calc/ops.py") == dedent(CHANGE["src/calc/ops.py"])
