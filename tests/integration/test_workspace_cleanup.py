"""The user's checkout survives everything: crashes, timeouts, SIGTERM and SIGINT mid-run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from error_fix.pipeline import PatchApplier
from error_fix.scorers.interface import Scorer, ScorerResult, ScoringContext
from error_fix.scorers.tests import TestsScorer
from tests.sample import CALC, DIVIDE_FIX, SampleRepo, hanging_test, process_alive, settings


def worktree_dirs(repo: SampleRepo) -> list[str]:
    listing = subprocess.run(
        ["git", "-C", str(repo.path), "worktree", "list", "--porcelain"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [line.split(" ", 1)[1] for line in listing.splitlines() if line.startswith("worktree ")]


class Crashing(Scorer):
    name = "lint"

    def score(self, ctx: ScoringContext) -> ScorerResult:
        assert ctx.patched.is_dir() and ctx.base.is_dir()
        raise RuntimeError("ruff exploded")


class Interrupting(Scorer):
    name = "types"

    def score(self, ctx: ScoringContext) -> ScorerResult:
        raise KeyboardInterrupt


def test_a_crashing_scorer_is_unknown_and_the_trees_are_removed(tmp_path: Path) -> None:
    repo = SampleRepo(tmp_path / "calc", CALC)
    before = repo.snapshot()
    applier = PatchApplier(settings(), scorers=[TestsScorer(), Crashing()])
    verdict = applier.score(repo.path, repo.patch_file(DIVIDE_FIX, tmp_path / "a")).verdict
    assert verdict.scorers["lint"]["status"] == "unknown"
    assert verdict.scorers["lint"]["reason"] == "scorer crashed: RuntimeError: ruff exploded"
    assert verdict.decision == "manual_review"
    assert repo.snapshot() == before


def test_an_interrupt_inside_scoring_still_removes_the_trees(tmp_path: Path) -> None:
    repo = SampleRepo(tmp_path / "calc", CALC)
    before = repo.snapshot()
    applier = PatchApplier(settings(), scorers=[Interrupting()])
    with pytest.raises(KeyboardInterrupt):
        applier.score(repo.path, repo.patch_file(DIVIDE_FIX, tmp_path / "a"))
    assert repo.snapshot() == before


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_mid_run_kills_the_tools_and_restores_everything(
    tmp_path: Path, signum: int
) -> None:
    started = tmp_path / "started"
    project = {
        **CALC,
        "tests/test_slow.py": hanging_test(started),
    }
    repo = SampleRepo(tmp_path / "calc", project)
    artifact = repo.patch_file({"src/calc/ops.py": DIVIDE_FIX["src/calc/ops.py"]}, tmp_path / "a")
    before = repo.snapshot()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "error_fix",
            "score",
            "--repo",
            str(repo.path),
            "--patch",
            str(artifact),
            "--python",
            sys.executable,
            "--sandbox",
            "off",  # the hanging test writes its pid outside the workspace
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not started.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert started.exists(), "the test suite never started"
    assert len(worktree_dirs(repo)) > 1
    scratch = [d for d in worktree_dirs(repo) if d != str(repo.path)]
    dispositions = _signal_state(process.pid)
    os.kill(process.pid, signum)
    try:
        _, err = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        _, err = process.communicate()
        pytest.fail(f"error-fix did not exit within 30 s of the signal; before it: {dispositions}")
    assert process.returncode == (130 if signum == signal.SIGINT else 128 + signum), err
    assert repo.snapshot() == before
    assert worktree_dirs(repo) == [str(repo.path)]
    assert not any(Path(d).exists() for d in scratch)
    child = int(started.read_text().split()[0])
    time.sleep(0.2)
    assert not process_alive(child), "a test subprocess outlived error-fix"


def _signal_state(pid: int) -> str:
    """The process's ignored, caught and per-thread blocked signal masks (/proc), to tell a
    signal the process ignores or blocks from one it handles late."""
    try:
        status = Path(f"/proc/{pid}/status").read_text().splitlines()
        threads = sorted(Path(f"/proc/{pid}/task").iterdir())
    except OSError as exc:
        return f"unknown ({exc})"
    wanted = [line for line in status if line.startswith(("SigIgn", "SigCgt", "SigBlk"))]
    for task in threads:
        try:
            lines = (task / "status").read_text().splitlines()
        except OSError:
            continue
        name = next(
            (line.split(":", 1)[1].strip() for line in lines if line.startswith("Name")), ""
        )
        blocked = next(
            (line.split(":", 1)[1].strip() for line in lines if line.startswith("SigBlk")), ""
        )
        wanted.append(f"task {task.name} {name} SigBlk {blocked}")
    return "; ".join(wanted)
