"""How a test's runs classify it, SWE-bench style: FAIL_TO_PASS, PASS_TO_FAIL, and the rest.

A test is seen on two trees, a *before* and an *after*, once or several times on each (re-runs):
its observations. The regression side compares the base with the regression tree (base tests,
patched source); the proof side compares the before tree with the patched tree for the tests the
patch adds or changes. Observations that disagree on one tree make a test flaky.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..harness import defined_name
from ..testrun import TestRun, TestStatus

FAIL_TO_PASS = "FAIL_TO_PASS"  # noqa: S105 - a test class, not a password
PASS_TO_FAIL = "PASS_TO_FAIL"  # noqa: S105
FAIL_TO_FAIL = "FAIL_TO_FAIL"
PASS_TO_PASS = "PASS_TO_PASS"  # noqa: S105
FLAKY = "FLAKY"
NOT_RUN = (TestStatus.SKIPPED, TestStatus.XFAILED, None)
"""Statuses of a test that did not run to a verdict (None: it was not there)."""

Observations = dict[str, list[TestStatus | None]]


def file_of(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


def status_in(run: TestRun, nodeid: str) -> TestStatus | None:
    """A test's status in ``run``.

    A test missing from a run whose file failed to collect failed; a file id (what a collection
    error is recorded under) has the combined status of the file's tests.
    """
    status = run.outcomes.get(nodeid)
    if status is not None:
        return status
    if run.outcomes.get(file_of(nodeid)) is TestStatus.FAILED:
        return TestStatus.FAILED
    if "::" not in nodeid:
        inside = [s for n, s in run.outcomes.items() if n.startswith(nodeid + "::")]
        if inside:
            return TestStatus.FAILED if TestStatus.FAILED in inside else TestStatus.PASSED
    return None


def covers(selectors: Iterable[str], nodeid: str) -> bool:
    """``nodeid`` is one of ``selectors``, one of its parameters or methods, in its file, or
    the same method a test class inherits from the selector's class (a mixin in that file)."""
    path, name = defined_name(nodeid)
    method = name.split("::")[-1]
    for selector in selectors:
        if nodeid == selector or nodeid.startswith((f"{selector}[", f"{selector}::")):
            return True
        where, _, what = selector.partition("::")
        inherited = "::" in what and "::" in name and what.split("::")[-1] == method
        if where == path and (not what or inherited):
            return True
    return False


@dataclass
class Side:
    """One comparison: what each run of a test saw on a tree before and a tree after."""

    before_tree: Path
    """Where "before" runs (the base, or base + test part)."""
    after_tree: Path
    """Where "after" runs (the regression tree, or the patched tree)."""
    before: Observations
    """Statuses per run before (None: the test was not there)."""
    after: Observations
    """Statuses per run after."""


def observe(into: Observations, run: TestRun, ids: Iterable[str]) -> None:
    """Add each test's status in ``run`` to its observations."""
    for nodeid in ids:
        into.setdefault(nodeid, []).append(status_in(run, nodeid))


def classify_regression(side: Side, nodeid: str) -> str:
    """A base test: as it ran on the base (PASSED when it was not re-checked: it passed in the
    regression run) against the regression run. Not running there is failing."""
    after = side.after[nodeid][0]
    before = side.before.get(nodeid, [TestStatus.PASSED])[0]
    passed_before = before in (TestStatus.PASSED, TestStatus.SKIPPED)
    if after is TestStatus.PASSED:
        return PASS_TO_PASS if passed_before else FAIL_TO_PASS
    if after in NOT_RUN:
        return PASS_TO_FAIL if before is TestStatus.PASSED else "NOT_RUN"
    return PASS_TO_FAIL if passed_before else FAIL_TO_FAIL


def classify_proof(side: Side, nodeid: str) -> str:
    """One of the patch's own tests: on the before tree against the patched tree."""
    after = side.after[nodeid][0]
    before = side.before.get(nodeid, [TestStatus.PASSED])[0]
    passed_before = before in (TestStatus.PASSED, TestStatus.SKIPPED, TestStatus.XFAILED)
    if after is TestStatus.FAILED:
        return PASS_TO_FAIL if passed_before else FAIL_TO_FAIL
    if after is TestStatus.PASSED:
        return PASS_TO_PASS if passed_before else FAIL_TO_PASS
    return "NOT_RUN"


def inconsistent(observations: list[TestStatus | None]) -> bool:
    seen = {o for o in observations if o is not None}
    return len(seen) > 1


def flaky_tests(sides: Iterable[tuple[Side, list[str]]]) -> list[str]:
    """The tests, of those each side re-ran, whose runs disagree on either tree."""
    return sorted(
        {
            nodeid
            for side, ids in sides
            for nodeid in ids
            if inconsistent(side.before.get(nodeid, [])) or inconsistent(side.after.get(nodeid, []))
        }
    )
