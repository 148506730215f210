"""The two workers the tests scorer's sessions share: jobs a job makes due, one tree at a time."""

from __future__ import annotations

import itertools
import threading
import time
from pathlib import Path

import pytest

from error_fix.scorers.test_sessions import Job, run_on_two_workers


def test_the_suites_worker_takes_what_is_left_and_no_tree_runs_twice_at_once() -> None:
    spans: dict[str, tuple[float, float, str, str]] = {}

    def job(name: str, tree: str, seconds: float, then: tuple[Job, ...] = ()) -> Job:
        def run() -> list[Job]:
            start = time.monotonic()
            time.sleep(seconds)
            spans[name] = (start, time.monotonic(), threading.current_thread().name, tree)
            return list(then)

        return Path(tree), run

    reruns = (job("b1", "before", 0.1), job("p1", "patched", 0.1))
    reruns += (job("b2", "before", 0.1), job("p2", "patched", 0.1))
    run_on_two_workers(
        job("suite", "regression", 0.25),
        [job("before", "before", 0.15, reruns), job("proof", "patched", 0.15)],
    )
    assert set(spans) == {"suite", "before", "proof", "b1", "p1", "b2", "p2"}
    suite_worker = spans["suite"][2]
    assert any(span[2] == suite_worker for name, span in spans.items() if name != "suite")
    for tree in ("before", "patched"):
        ours = sorted(span[:2] for span in spans.values() if span[3] == tree)
        assert len(ours) == 3
        assert all(a[1] <= b[0] for a, b in itertools.pairwise(ours)), tree


def test_a_failing_job_is_raised_once_both_workers_stop() -> None:
    ran: list[str] = []

    def fails() -> list[Job]:
        raise RuntimeError("the sandbox refused")

    with pytest.raises(RuntimeError, match="the sandbox refused"):
        run_on_two_workers(
            (Path("regression"), lambda: ran.append("suite") or []),
            [(Path("base"), fails), (Path("base"), lambda: ran.append("late") or [])],
        )
    assert "suite" in ran
