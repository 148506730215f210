"""From the tests' classes to the tests scorer's result: score, gates, findings and details.

Score (documented in docs/decisions.md):
- 1.0 fix proven (a test the patch touches, or error.json's failing_test, goes FAIL_TO_PASS);
  0.75 when nothing proves it;
- regression (PASS_TO_FAIL: passes on the base, and fails, is skipped, xfailed, deselected or
  gone in the regression run): 0.5 x share of tests passing there, plus the ``regression`` gate,
  or ``changes_tested_behaviour`` for the tests the patch edits;
- the patch's own tests failing patched, or failing_test still failing: at most 0.5, plus a gate;
- minus 0.1 per flaky test.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..testrun import TestRun, TestStatus
from .interface import Finding, Gate, ScorerResult, ScorerStatus
from .test_classes import (
    FAIL_TO_FAIL,
    FAIL_TO_PASS,
    FLAKY,
    PASS_TO_FAIL,
    PASS_TO_PASS,
    covers,
    file_of,
)


@dataclass
class Judged:
    """What the runs showed, test by test."""

    full: TestRun
    """The suite's run on the regression tree."""
    after_touched: TestRun
    """The run that saw the patch's own tests patched (the proof run, or the suite)."""
    classes: dict[str, str]
    """Base test → its class on the regression side."""
    proof_classes: dict[str, str]
    """The patch's own test (and failing_test) → its class on the proof side."""
    causes: dict[str, str] = field(default_factory=dict)
    """A base test that did not run in the suite → how it did not."""
    flaky: list[str] = field(default_factory=list)
    """Tests whose runs disagreed."""
    failing_test: str | None = None
    """error.json's failing test."""
    edited: frozenset[tuple[str, str]] = frozenset()
    """Existing tests the patch edits, as (file, name)."""
    own: set[str] = field(default_factory=set)
    """The patch's own tests: new ones, and base tests it edits."""

    def by_class(self) -> dict[str, list[str]]:
        grouped: dict[str, list[str]] = {}
        for nodeid, kind in sorted(self.classes.items()):
            grouped.setdefault(kind, []).append(nodeid)
        return grouped


def cause(nodeid: str, causes: dict[str, str]) -> str:
    """Why a test that passes on the base counts as broken: it fails, or did not run (how)."""
    return causes.get(nodeid, "fails")


def _failure(nodeid: str, run: TestRun, causes: dict[str, str]) -> str:
    """The test's id and its first failure line: several failures in one file stay distinct."""
    if nodeid in causes:
        return f"{nodeid}: passes on the base; {causes[nodeid]}"
    return f"{nodeid}: {run.messages.get(nodeid, 'fails after the patch')}"


def tests_result(
    name: str, judged: Judged, gates: tuple[Gate, ...], details: dict[str, Any]
) -> ScorerResult:
    """The scorer's result; ``details`` adds to what the classes say (trees, sandbox...)."""
    by_class = judged.by_class()
    proof_classes = judged.proof_classes
    proven = sorted(n for n, c in proof_classes.items() if c == FAIL_TO_PASS)
    own_failing = sorted(
        n for n, c in proof_classes.items() if c in (FAIL_TO_FAIL, PASS_TO_FAIL) and n in judged.own
    )
    p2f = by_class.get(PASS_TO_FAIL, [])
    passed_after = sum(1 for s in judged.full.outcomes.values() if s is TestStatus.PASSED)
    edited_ids = [f"{path}::{test}" for path, test in sorted(judged.edited)]
    changed_contract = [n for n in p2f if covers(edited_ids, n)]
    if proven:
        score, proof = 1.0, f"{len(proven)} test(s) fail on the base and pass patched"
    elif not proof_classes:
        score, proof = 0.75, "no proof of fix: the patch adds or changes no tests"
    elif all(c == FAIL_TO_FAIL for c in proof_classes.values()):
        score, proof = 0.75, "no proof of fix: the patch's tests fail on the base and patched"
    else:
        score, proof = 0.75, "no proof of fix: the patch's tests pass on the base too"
    if p2f:
        score = 0.5 * passed_after / (passed_after + len(p2f))
    findings = [
        Finding(file_of(n), None, PASS_TO_FAIL, _failure(n, judged.full, judged.causes), "error")
        for n in p2f
    ]
    findings += [
        Finding(file_of(n), None, "FAILING_TEST", _failure(n, judged.after_touched, {}), "error")
        for n in own_failing
    ]
    all_gates = [*gates, *_gates(judged, p2f, changed_contract, own_failing)]
    if own_failing or any(g.name == "failing_test_not_fixed" for g in all_gates):
        score = min(score, 0.5)
    score = max(0.0, score - 0.1 * len(judged.flaky))
    f2p = sorted({*by_class.get(FAIL_TO_PASS, []), *proven})
    f2f = sorted({*by_class.get(FAIL_TO_FAIL, []), *own_failing})
    return ScorerResult(
        name,
        ScorerStatus.OK,
        round(score, 4),
        findings=tuple(findings),
        preexisting=len(by_class.get(FAIL_TO_FAIL, [])),
        reason=f"{passed_after} passed; {len(f2p)} fixed, {len(p2f)} broken; {proof}",
        gates=tuple(all_gates),
        details={
            "fail_to_pass": f2p,
            "pass_to_fail": p2f,
            "pass_to_fail_causes": {n: cause(n, judged.causes) for n in p2f},
            "fail_to_fail": f2f,
            "flaky": judged.flaky,
            "pass_to_pass_count": sum(1 for c in judged.classes.values() if c == PASS_TO_PASS),
            "proof": proof,
            "proven": bool(proven),
            "edited_tests": changed_contract,
            "imported": dict(judged.full.imported),
            "suite_duration_s": round(judged.full.duration_s, 3),
            **details,
        },
    )


def _gates(
    judged: Judged, p2f: list[str], changed_contract: list[str], own_failing: list[str]
) -> list[Gate]:
    """The gates the classes fire: regression, changed contract, own tests, failing test."""
    gates = []
    broken = [n for n in p2f if n not in changed_contract]
    if broken:
        gates.append(
            Gate(
                "regression",
                f"{len(broken)} test(s) pass on the base and fail patched: "
                + ", ".join(f"{n} ({cause(n, judged.causes)})" for n in broken[:3]),
            )
        )
    if changed_contract:
        gates.append(
            Gate(
                "changes_tested_behaviour",
                f"the patch edits {len(changed_contract)} test(s) that pass on the base and "
                "fail against its source, changing what they test (a human must agree): "
                + ", ".join(changed_contract[:3]),
            )
        )
    if own_failing:
        gates.append(
            Gate(
                "own_tests_fail",
                "tests the patch adds or changes fail patched: " + ", ".join(own_failing[:3]),
            )
        )
    failing_test = judged.failing_test
    fixed = {**judged.classes, **judged.proof_classes}.get(failing_test or "")
    if failing_test and fixed not in (FAIL_TO_PASS, PASS_TO_PASS, FLAKY):
        gates.append(
            Gate(
                "failing_test_not_fixed",
                f"the error's failing test {failing_test} still fails patched",
            )
        )
    return gates


def describe_tree(tree: Path, base: Path, patched: Path) -> str:
    """What the tree the suite ran in holds."""
    if tree == patched:
        return "patched (the patch changes no tests and no harness)"
    if tree == base:
        return "base (the patch changes only tests or harness)"
    return "patched source + base tests and harness"
