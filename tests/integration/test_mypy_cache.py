"""`error-fix mypy-cache`: checking a base alone into mypy's cache, as a decision on that base
will find it, and naming the cache's folder and key; refusals are one line."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from error_fix.cli import main
from error_fix.pipeline import PatchApplier
from tests.sample import CALC, DIVIDE_FIX, SampleRepo, git, mypy_cache_rows, settings


def test_the_base_checked_alone_leaves_the_cache_a_decision_then_finds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = SampleRepo(tmp_path / "calc", CALC)
    args = ["mypy-cache", "--repo", str(repo.path), "--python", sys.executable]
    assert main([*args, "--locate"]) == 0
    lines = dict(line.split("=", 1) for line in capsys.readouterr().out.splitlines())
    cache = repo.path / ".state" / "cache" / "mypy"
    tree = git(repo.path, "rev-parse", "HEAD^{tree}").strip()
    assert lines["path"] == str(cache)
    assert lines["key"] == lines["restore-prefix"] + tree
    assert not cache.exists()  # --locate checks nothing

    assert main(args) == 0
    out = capsys.readouterr().out
    assert "mypy checked the base" in out and "(0 error(s) there)" in out
    assert lines["key"] in out
    shards = sorted(p.relative_to(cache) for p in cache.rglob("*") if p.is_file())
    assert shards  # written, by a worktree that is gone again
    assert git(repo.path, "worktree", "list").count("\n") == 1

    # A decision on that base finds the package's entries valid (same arguments, same
    # environment): the module the patch leaves alone is not checked again on either tree.
    def checked() -> dict[str, tuple[float, bytes]]:
        """calc/__init__'s checked data (its meta may be re-stamped with a new path)."""
        rows = mypy_cache_rows(cache, "calc/__init__")
        return {name: row for name, row in rows.items() if ".data." in name}

    warmed = checked()
    assert warmed
    artifact = repo.patch_file(DIVIDE_FIX, tmp_path / "artifact")
    verdict = PatchApplier(settings()).score(repo.path, artifact).verdict
    assert verdict.scorers["types"]["status"] == "ok"
    assert checked() == warmed  # not written again: written at the same moment, same content


def test_refusals_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = SampleRepo(tmp_path / "calc", CALC)
    assert main(["mypy-cache", "--repo", str(repo.path), "--base", "no-such-rev"]) == 2
    assert capsys.readouterr().err.strip() == (
        "error-fix: error: base revision not found: 'no-such-rev'"
    )
    bare = SampleRepo(tmp_path / "bare", {"README.md": "nothing to type-check\n"})
    assert main(["mypy-cache", "--repo", str(bare.path), "--python", sys.executable]) == 3
    err = capsys.readouterr().err.strip()
    assert err == "error-fix: mypy could not check the base: no Python package found to type-check"
