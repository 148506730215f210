"""A pytest session that collects now and runs later (testrun.Standby), with real pytest."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from error_fix import testrun
from tests.sample import process_alive, write_files

PROJECT = {
    "pyproject.toml": '[tool.pytest.ini_options]\ntestpaths = ["tests"]\n',
    "tests/test_a.py": """
        import os
        import pathlib

        import pytest


        def test_one() -> None:
            pathlib.Path("ran-one").write_text(str(os.getpid()))


        def test_two() -> None:
            pathlib.Path("ran-two").write_text("")


        @pytest.mark.skip(reason="not here")
        def test_marked() -> None:
            pass
    """,
    "tests/test_broken.py": "import not_a_module_anywhere\n",
    "tests/test_hangs.py": """
        import time


        def test_forever() -> None:
            time.sleep(600)
    """,
}


def _runner(tmp_path: Path) -> tuple[Path, testrun.TestRunner]:
    root = tmp_path / "project"
    write_files(root, PROJECT)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "COV"))}
    runner = testrun.TestRunner(["python", "-m", "pytest", "-q"], sys.executable, env, scratch, 60)
    return root, runner


def test_it_reports_the_collection_then_runs_only_what_it_is_told(tmp_path: Path) -> None:
    root, runner = _runner(tmp_path)
    standby = runner.standby(root, "base-collect", "base-check")
    collected = standby.collected()
    assert collected.selected == {
        "tests/test_a.py::test_one",
        "tests/test_a.py::test_two",
        "tests/test_a.py::test_marked",
        "tests/test_hangs.py::test_forever",
    }
    assert collected.skipped_by_marks == {"tests/test_a.py::test_marked"}
    assert collected.outcomes == {"tests/test_broken.py": testrun.TestStatus.FAILED}
    assert "not_a_module_anywhere" in collected.messages["tests/test_broken.py"]
    # Collected, it waits: nothing ran yet.
    time.sleep(0.3)
    assert standby.waiting and not (root / "ran-one").exists()

    run = standby.run(["tests/test_a.py::test_one"])
    assert run is not None
    assert run.outcomes["tests/test_a.py::test_one"] is testrun.TestStatus.PASSED
    assert "tests/test_a.py::test_two" not in run.outcomes
    assert (root / "ran-one").exists() and not (root / "ran-two").exists()
    assert not standby.waiting
    # One session did both; its two phases are timed apart.
    assert runner.sessions == 1
    assert {"pytest:base-collect", "pytest:base-check"} <= set(runner.timings.to_dict())
    # Asked again once it ended, it says so: nothing runs, a fresh run must stand in.
    assert standby.run(["tests/test_a.py::test_two"]) is None
    assert not (root / "ran-two").exists()


def test_a_dismissed_session_ends_without_running_anything(tmp_path: Path) -> None:
    root, runner = _runner(tmp_path)
    standby = runner.standby(root, "mutants-collect", "mutants-waiting")
    standby.collected()
    start = time.monotonic()
    standby.dismiss()
    assert time.monotonic() - start < 5
    assert not standby.waiting
    assert not (root / "ran-one").exists() and not (root / "ran-two").exists()


def test_a_run_past_its_timeout_is_killed_and_says_so(tmp_path: Path) -> None:
    root, runner = _runner(tmp_path)
    standby = runner.standby(root, "mutants-collect", "mutants-waiting")
    standby.collected()
    start = time.monotonic()
    run = standby.run(["tests/test_a.py::test_one", "tests/test_hangs.py::test_forever"], 2.0)
    assert run is not None and run.timed_out
    assert time.monotonic() - start < 20
    # The session that hung is gone, not left running the sleep.
    pid = int((root / "ran-one").read_text())
    assert not process_alive(pid)


def test_a_suite_run_with_xdist_still_waits_and_runs_in_the_one_session(tmp_path: Path) -> None:
    # A project whose test command spreads its tests (pytest-xdist's -n): the session still
    # reports its collection, waits, and runs only what it is told (the probe turns the
    # spreading off: a controller collects nothing itself).
    root, runner = _runner(tmp_path)
    runner.command += ["-n", "2"]
    standby = runner.standby(root, "base-collect", "base-check")
    assert "tests/test_a.py::test_two" in (standby.collected().selected or ())
    run = standby.run(["tests/test_a.py::test_one"])
    assert run is not None and run.outcomes == {
        "tests/test_a.py::test_one": testrun.TestStatus.PASSED,
        "tests/test_broken.py": testrun.TestStatus.FAILED,
    }
    assert not (root / "ran-two").exists() and runner.sessions == 1
