"""Every intake refusal through the CLI: exit 1, the reason printed, nothing created, and the
user's checkout (work tree, index, refs, stash) exactly as it was."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from error_fix.cli import main
from tests.sample import CALC, DIVIDE_FIX, SampleRepo, git


@pytest.fixture
def busy_repo(tmp_path: Path) -> SampleRepo:
    """A checkout with work in progress: a stash, a staged change, an unstaged one, an untracked file."""
    repo = SampleRepo(tmp_path / "calc", CALC)
    (repo.path / "README.md").write_text("stashed\n")
    git(repo.path, "add", "README.md")
    git(repo.path, "stash", "push", "--quiet", "-m", "wip")
    (repo.path / "src/calc/__init__.py").write_text('"""staged"""\n')
    git(repo.path, "add", "src/calc/__init__.py")
    (repo.path / "src/calc/ops.py").write_text("# unstaged edit\n")
    (repo.path / "notes.txt").write_text("untracked\n")
    return repo


def _diff(path: str, header: str = "new file mode 100644\n") -> bytes:
    return (
        f"diff --git a/{path} b/{path}\n{header}--- /dev/null\n+++ b/{path}\n"
        "@@ -0,0 +1 @@\n+x = 1\n"
    ).encode()


REJECTIONS = {
    "empty": (b"", "patch is empty"),
    "malformed": (b"--- a/x\n+++ b/x\n@@ -1,9 +1,9 @@\n-a\n", "malformed patch"),
    "absolute": (
        b"diff --git a//etc/cron b//etc/cron\nnew file mode 100644\n--- /dev/null\n"
        b"+++ b//etc/cron\n@@ -0,0 +1 @@\n+x\n",
        "absolute path",
    ),
    "dotdot": (_diff("src/../../escape.py"), "leaves the repository"),
    "git-dir": (_diff(".git/hooks/post-checkout"), "under .git/"),
    "symlink": (_diff("src/calc/link.py", "new file mode 120000\n"), "symlinks are not allowed"),
    "submodule": (
        b"diff --git a/vendor b/vendor\nnew file mode 160000\nindex 0000000..1111111\n"
        b"--- /dev/null\n+++ b/vendor\n@@ -0,0 +1 @@\n"
        b"+Subproject commit 1111111111111111111111111111111111111111\n",
        "submodule changes are not allowed",
    ),
    "binary": (
        b"diff --git a/logo.png b/logo.png\nnew file mode 100644\nindex 0000000..1111111\n"
        b"Binary files /dev/null and b/logo.png differ\n",
        "binary changes are not allowed",
    ),
    "workflow": (_diff(".github/workflows/release.yml"), "protected path"),
    "action": (_diff("action.yaml"), "protected path"),
    "too-big": (
        _diff("src/calc/big.py").replace(b"+x = 1\n", b"+x = 1\n" * 1) + b"#" * 2_000_000,
        "over the size limit",
    ),
    "plain-diff-absolute": (
        b"--- a/src/calc/ops.py\n+++ /etc/cron.d/job\n@@ -1 +1 @@\n-x\n+* * * * * root sh\n",
        "/etc/cron.d/job: absolute path",
    ),
    "plain-diff-dotdot": (
        b"--- /dev/null\n+++ b/../escape.py\n@@ -0,0 +1 @@\n+x = 1\n",
        "leaves the repository",
    ),
    "forged-queue": (
        _diff(".state/review_queue.json").replace(
            b"+x = 1", b'+[{"id": "evil", "status": "approved"}]'
        ),
        ".state/review_queue.json: protected path",
    ),
    "forged-decision-log": (
        b"diff --git a/.state/patch_decisions.jsonl b/.state/patch_decisions.jsonl\n"
        b"--- a/.state/patch_decisions.jsonl\n+++ b/.state/patch_decisions.jsonl\n"
        b'@@ -0,0 +1 @@\n+{"decision": "auto_merge"}\n',
        "protected path",
    ),
    "absurd-hunk": (
        b"--- a/src/calc/ops.py\n+++ b/src/calc/ops.py\n"
        b"@@ -99999999999999999999999999,6 +1,6 @@\n-x\n+y\n",
        "absurd line number",
    ),
    "latin-1": (
        b"--- a/src/calc/ops.py\n+++ b/src/calc/ops.py\n@@ -1 +1 @@\n-x\n+caf\xe9 = 1\n",
        "not UTF-8 text",
    ),
    "nul": (_diff("src/calc/nul.py").replace(b"x = 1", b"x\x00= 1"), "NUL byte"),
    "miscounted": (
        b'--- a/src/calc/ops.py\n+++ b/src/calc/ops.py\n@@ -1,1 +1,1 @@\n-"""Arithmetic."""\n'
        b'+"""Arithmetic!"""\n+import os\n',
        "more lines than its header says",
    ),
    "does-not-apply": (
        b"diff --git a/src/calc/ops.py b/src/calc/ops.py\n--- a/src/calc/ops.py\n"
        b"+++ b/src/calc/ops.py\n@@ -1,3 +1,3 @@\n-not in the file\n+x\n ctx\n ctx\n",
        "does not apply to base",
    ),
}


@pytest.mark.parametrize("case", sorted(REJECTIONS))
def test_refused_patch_changes_nothing(
    case: str, busy_repo: SampleRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    raw, reason = REJECTIONS[case]
    patch = tmp_path / "fix.patch"
    patch.write_bytes(raw)
    before = busy_repo.snapshot()
    code = main(
        ["apply", "--repo", str(busy_repo.path), "--patch", str(patch), "--python", sys.executable]
    )
    out = capsys.readouterr().out
    assert code == 1
    assert "Decision: rejected" in out
    assert reason in out
    assert busy_repo.snapshot() == before
    assert not [b for b in busy_repo.branches() if b.startswith("error-fix/")]
    assert not (busy_repo.path / ".state" / "review_queue.json").exists()
    log = (busy_repo.path / ".state" / "patch_decisions.jsonl").read_text().splitlines()
    assert [json.loads(line)["decision"] for line in log] == ["rejected"]
    assert reason in json.loads(log[0])["reason"]


def test_json_output_is_only_the_verdict(
    busy_repo: SampleRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    patch = tmp_path / "fix.patch"
    patch.write_bytes(REJECTIONS["workflow"][0])
    code = main(["score", "--repo", str(busy_repo.path), "--patch", str(patch), "--json"])
    verdict = json.loads(capsys.readouterr().out)
    assert code == 1
    assert verdict["schema"] == 1
    assert verdict["decision"] == "rejected"
    assert verdict["reason"].startswith(".github/workflows/release.yml: protected path")


def test_a_good_patch_leaves_the_busy_checkout_alone(
    busy_repo: SampleRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clean = SampleRepo(tmp_path / "clean", CALC)
    artifact = clean.patch_file(DIVIDE_FIX, tmp_path / "artifact")
    before = busy_repo.snapshot()
    code = main(
        [
            "score",
            "--repo",
            str(busy_repo.path),
            "--patch",
            str(artifact),
            "--python",
            sys.executable,
            "--verdict-out",
            str(tmp_path / "verdict.json"),
        ]
    )
    assert code == 0
    assert busy_repo.snapshot() == before
    verdict = json.loads((tmp_path / "verdict.json").read_text())
    assert verdict["tests"]["fail_to_pass"] == ["tests/test_ops.py::test_divide_by_zero"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["score", "--patch", "x.patch", "--repo", "/no/such/dir"], "repository not found"),
        (["score", "--patch", "x.patch", "--base", "no-such-branch"], "base revision not found"),
        (["score", "--patch", "x.patch", "--pr-threshold", "2"], "pr-threshold must be between"),
        (["score"], "the following arguments are required: --patch"),
        (["score", "--patch", ""], "argument --patch: an empty path names nothing"),
        (
            ["publish", "--verdict", "v.json", "--patch", " "],
            "argument --patch: an empty path names nothing",
        ),
    ],
)
def test_usage_errors_exit_2_with_one_line(
    argv: list[str],
    message: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    repo = SampleRepo(tmp_path / "calc", CALC)
    monkeypatch.chdir(repo.path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_missing_patch_file_is_a_rejection(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = SampleRepo(tmp_path / "calc", CALC)
    code = main(["score", "--repo", str(repo.path), "--patch", str(tmp_path / "nope.patch")])
    assert code == 1
    assert "patch not found" in capsys.readouterr().out


def test_a_patch_already_in_the_base_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = SampleRepo(tmp_path / "calc", CALC)
    artifact = repo.patch_file(DIVIDE_FIX, tmp_path / "artifact")
    repo.commit(DIVIDE_FIX, "the fix, merged")
    code = main(["score", "--repo", str(repo.path), "--patch", str(artifact)])
    assert code == 1
    assert "is already in base" in capsys.readouterr().out


def test_a_patch_applied_differently_than_written_changes_nothing(
    busy_repo: SampleRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clean = SampleRepo(tmp_path / "clean", CALC)
    raw = clean.diff(DIVIDE_FIX)
    new_blob = raw.split(b"\nindex ")[1].split(b"..")[1].split(b" ")[0]
    patch = tmp_path / "fix.patch"
    patch.write_bytes(raw.replace(b".." + new_blob, b".." + b"f" * len(new_blob), 1))
    before = busy_repo.snapshot()
    code = main(["apply", "--repo", str(busy_repo.path), "--patch", str(patch)])
    assert code == 1
    assert "applied differently than written: src/calc/ops.py" in capsys.readouterr().out
    assert busy_repo.snapshot() == before
    assert not [b for b in busy_repo.branches() if b.startswith("error-fix/")]


def test_a_protected_non_ascii_path_is_refused_however_git_quoted_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = SampleRepo(tmp_path / "calc", {**CALC, "docs/café.txt": "menu\n"})
    raw = repo.diff({"docs/café.txt": "menu, changed\n"})
    assert b'"a/docs/caf\\303\\251.txt"' in raw  # git's quoting: the UTF-8 bytes in octal
    patch = tmp_path / "fix.patch"
    patch.write_bytes(raw)
    argv = ["score", "--repo", str(repo.path), "--patch", str(patch)]
    assert main([*argv, "--protected-paths", "docs/café.txt"]) == 1
    assert "docs/café.txt: protected path" in capsys.readouterr().out
