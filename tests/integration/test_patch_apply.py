"""Applying a read patch to a real base: line endings kept per file, plain-diff creations decided
by the base, and the result checked against the patch's own ``index a..b`` blob ids."""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

import pytest

from error_fix.patch import Patch, parse_patch
from error_fix.patch.apply import apply_patch
from error_fix.patch.model import PatchRejected
from error_fix.workspace import Workspace
from tests.sample import CALC, SampleRepo, dedent, git

CRLF_TABLE = "name,price\r\napple,1\r\npear,2\r\nplum,3\r\n"


def read(raw: bytes) -> Patch:
    return parse_patch(raw, max_bytes=1 << 20, allow_binary=False, protected=())


def applied(repo: SampleRepo, patch: Patch) -> dict[str, bytes]:
    """path → bytes of every file the patch leaves, from the tree a forge would publish."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {"GIT_INDEX_FILE": str(Path(tmp, "index"))}
        head = git(repo.path, "rev-parse", "HEAD").strip()
        subprocess.run(
            ["git", "-C", str(repo.path), "read-tree", head], env={**os.environ, **env}, check=True
        )
        apply_patch(repo.path, head, patch, patch.diff, cached=True, allow_binary=False, env=env)
        tree = subprocess.run(
            ["git", "-C", str(repo.path), "write-tree"],
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    return {f.path: show(repo, f"{tree}:{f.path}") for f in patch.files if f.status != "deleted"}


def show(repo: SampleRepo, spec: str) -> bytes:
    return subprocess.run(
        ["git", "-C", str(repo.path), "show", spec], capture_output=True, check=True
    ).stdout


def git_apply_result(repo: SampleRepo, raw: bytes, paths: list[str]) -> dict[str, bytes]:
    """What plain ``git apply`` makes of ``raw`` (the checkout is restored afterwards)."""
    subprocess.run(["git", "-C", str(repo.path), "apply", "-"], input=raw, check=True)
    result = {p: (repo.path / p).read_bytes() for p in paths}
    git(repo.path, "checkout", "--quiet", ".")
    git(repo.path, "clean", "--quiet", "-fd")
    return result


@pytest.fixture
def mixed(tmp_path: Path) -> SampleRepo:
    """CALC plus a CRLF data file committed as CRLF (no text conversion)."""
    repo = SampleRepo(tmp_path / "calc", CALC)
    (repo.path / "data").mkdir()
    (repo.path / "data/table.csv").write_bytes(CRLF_TABLE.encode())
    git(repo.path, "add", "data/table.csv")
    git(repo.path, "commit", "--quiet", "-m", "prices")
    return repo


def mixed_diff(repo: SampleRepo) -> bytes:
    """A git diff touching the CRLF file and an LF file and adding an LF file."""
    (repo.path / "data/table.csv").write_bytes(CRLF_TABLE.replace("pear,2", "pear,4").encode())
    ops = repo.path / "src/calc/ops.py"
    ops.write_text(ops.read_text().replace("return a / b", "return a / b if b else 0.0"))
    (repo.path / "src/calc/new.py").write_text("VALUE = 1\n")
    git(repo.path, "add", "--all")
    diff = subprocess.run(
        ["git", "-C", str(repo.path), "diff", "--cached"], capture_output=True, check=True
    ).stdout
    git(repo.path, "reset", "--quiet", "--hard")
    return diff


PATHS = ["data/table.csv", "src/calc/ops.py", "src/calc/new.py"]


def test_mixed_line_endings_are_kept_line_by_line(mixed: SampleRepo) -> None:
    raw = mixed_diff(mixed)
    assert b"+pear,4\r\n" in raw and b"+    return a / b if b else 0.0\n" in raw
    result = applied(mixed, read(raw))
    assert result == git_apply_result(mixed, raw, PATHS)
    assert result["data/table.csv"] == CRLF_TABLE.replace("pear,2", "pear,4").encode()
    assert b"\r" not in result["src/calc/ops.py"] + result["src/calc/new.py"]


@pytest.mark.parametrize(
    "transport",
    [
        pytest.param(lambda d: d.replace(b"\n", b"\r\n"), id="CR added to every line"),
        pytest.param(
            lambda d: d.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"),
            id="every line re-ended in CRLF (PowerShell)",
        ),
    ],
)
def test_a_crlf_transport_leaves_each_file_its_own_endings(mixed: SampleRepo, transport) -> None:  # type: ignore[no-untyped-def]
    raw = mixed_diff(mixed)
    travelled = transport(raw)
    assert all(line.endswith(b"\r") for line in travelled.split(b"\n")[:-1])
    patch = read(travelled)
    assert patch.crlf_transport
    assert applied(mixed, patch) == git_apply_result(mixed, raw, PATHS)


def test_the_patch_line_endings_are_not_forced_onto_an_lf_file(mixed: SampleRepo) -> None:
    """Control for the above: without the per-file rule the CRLF patch does not even apply."""
    raw = mixed_diff(mixed).replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    refused = subprocess.run(
        ["git", "-C", str(mixed.path), "apply", "--check", "-"], input=raw, capture_output=True
    )
    assert refused.returncode != 0


def test_a_plain_diff_from_zero_fills_an_empty_file_or_creates_one(tmp_path: Path) -> None:
    repo = SampleRepo(tmp_path / "calc", {**CALC, "src/calc/empty.py": ""})
    raw = (
        b"--- a/src/calc/empty.py\n+++ b/src/calc/empty.py\n@@ -0,0 +1 @@\n+X = 1\n"
        b"--- a/src/calc/fresh.py\n+++ b/src/calc/fresh.py\n@@ -0,0 +1 @@\n+Y = 2\n"
    )
    patch = read(raw)
    result = applied(repo, patch)
    assert result == {"src/calc/empty.py": b"X = 1\n", "src/calc/fresh.py": b"Y = 2\n"}
    assert result == git_apply_result(repo, raw, ["src/calc/empty.py", "src/calc/fresh.py"])


def _diff_with_index(repo: SampleRepo) -> bytes:
    return repo.diff({"src/calc/ops.py": CALC["src/calc/ops.py"].replace("a + b", "b + a")})


def test_a_result_that_is_not_the_blob_the_patch_names_is_refused(tmp_path: Path) -> None:
    repo = SampleRepo(tmp_path / "calc", CALC)
    raw = _diff_with_index(repo)
    assert applied(repo, read(raw))  # control: as written, it applies and checks out
    old, new = raw.split(b"\nindex ")[1].split(b" ")[0].split(b"..")
    forged = raw.replace(b".." + new, b".." + b"0123456789abcdef"[: len(new)], 1)
    with pytest.raises(PatchRejected, match="applied differently than written: src/calc/ops.py"):
        applied(repo, read(forged))
    assert old


def test_a_patch_applied_at_an_offset_is_refused_when_its_blob_says_otherwise(
    tmp_path: Path,
) -> None:
    repo = SampleRepo(tmp_path / "calc", CALC)
    raw = _diff_with_index(repo)
    no_index = b"\n".join(line for line in raw.split(b"\n") if not line.startswith(b"index "))
    repo.commit({"src/calc/ops.py": '"""Moved down."""\n\n\n' + dedent(CALC["src/calc/ops.py"])})
    # git itself applies it, two lines further down:
    subprocess.run(["git", "-C", str(repo.path), "apply", "--check", "-"], input=raw, check=True)
    with pytest.raises(PatchRejected, match=r"written against blob \w+, the base has"):
        applied(repo, read(raw))
    assert b"b + a" in applied(repo, read(no_index))["src/calc/ops.py"]  # nothing to check


def test_the_workspace_checks_the_blobs_too(tmp_path: Path) -> None:
    repo = SampleRepo(tmp_path / "calc", CALC)
    raw = _diff_with_index(repo)
    repo.commit({"src/calc/ops.py": "# moved\n" + dedent(CALC["src/calc/ops.py"])})
    head = git(repo.path, "rev-parse", "HEAD").strip()
    with (
        pytest.raises(PatchRejected, match="applied differently"),
        Workspace(repo.path, head, read(raw)),
    ):
        pass
    assert git(repo.path, "worktree", "list").count("\n") == 1


def test_binary_data_mode_changes_and_renames_apply_as_git_applies_them(tmp_path: Path) -> None:
    repo = SampleRepo(tmp_path / "calc", CALC)
    (repo.path / "logo.bin").write_bytes(b"\x00\x01\x02 logo")
    git(repo.path, "add", "logo.bin")
    git(repo.path, "commit", "--quiet", "-m", "logo")
    (repo.path / "logo.bin").write_bytes(b"\x00\x01\x03 new logo")
    (repo.path / "tests/test_ops.py").chmod(0o755)
    git(repo.path, "mv", "src/calc/__init__.py", "src/calc/package.py")
    git(repo.path, "add", "--all")
    raw = subprocess.run(
        ["git", "-C", str(repo.path), "diff", "--cached", "--binary", "-M"],
        capture_output=True,
        check=True,
    ).stdout
    git(repo.path, "reset", "--quiet", "--hard")
    patch = parse_patch(raw, max_bytes=1 << 20, allow_binary=True, protected=())
    assert [(f.path, f.status) for f in patch.files] == [
        ("logo.bin", "modified"),
        ("src/calc/package.py", "renamed"),
        ("tests/test_ops.py", "modified"),
    ]
    paths = ["logo.bin", "src/calc/package.py", "tests/test_ops.py"]
    assert applied(repo, patch) == git_apply_result(repo, raw, paths)
    assert b"new mode 100755" in patch.diff and b"GIT binary patch" in patch.diff
