"""Tests scorer, SWE-bench style: what the patch fixes, what it breaks, and whether it proves it.

Regressions are judged by the base's own tests and harness. The whole suite runs once, carrying
coverage, on the *regression* tree: the patch's source changes with the base's test files,
conftest files and pytest configuration (see harness.py). The tests the patch adds or changes run
apart, as proof of fix only: on the patched tree (the whole patch; coverage too) and on the
*before* tree (base + only the test part), where they must fail. Beside the suite, on the base,
runs only what classification needs: its collection (which tests the suite should hold), then the
tests that fail, are skipped, xfailed, deselected or missing in the regression run. Tests whose
status changed run ``reruns`` more times on both sides; any inconsistency marks them flaky.

The sessions are test_sessions.py's, the classes test_classes.py's, the score and gates
test_verdict.py's. A harness change fires ``test_harness_changed``. A report another hook
rewrote, a run that cannot be trusted (test_trust.py), or a sandbox that is required and
impossible makes the scorer unknown.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from ..harness import HarnessChange, PatchedTests, patched_tests
from ..mutation.reach import reach_plugins, recorded_reach
from ..patch import PATCH_SUFFIXES, is_test_path
from ..testrun import TestRun, TestRunner, TestStatus, resolve_python
from .interface import Gate, Scorer, ScorerResult, ScoringContext
from .patch_coverage import coverage_on_patched, coverage_request
from .test_classes import (
    FAIL_TO_FAIL,
    FAIL_TO_PASS,
    FLAKY,
    NOT_RUN,
    PASS_TO_FAIL,
    PASS_TO_PASS,
    Side,
    classify_proof,
    classify_regression,
    covers,
    file_of,
    flaky_tests,
    observe,
    status_in,
)
from .test_sessions import MAX_SELECTED, BesideTheSuite, Sessions, Trees, project_runner
from .test_trust import (
    rewritten_reason,
    tampered_reason,
    tree_state,
    uncollectable_on_base,
    unknown_reason,
)
from .test_verdict import Judged, describe_tree, tests_result

__all__ = [
    "FAIL_TO_FAIL",
    "FAIL_TO_PASS",
    "MAX_SELECTED",
    "PASS_TO_FAIL",
    "PASS_TO_PASS",
    "TestsScorer",
]


class TestsScorer(Scorer):
    name = "tests"

    def score(self, ctx: ScoringContext) -> ScorerResult:
        try:
            return self._score(ctx)
        finally:
            ctx.tools_may_start.set()  # however the scorer ended, the static tools go on
            if not ctx.patched_test_run.done():
                ctx.patched_test_run.set_exception(RuntimeError("the patched test run did not run"))

    def _score(self, ctx: ScoringContext) -> ScorerResult:
        harness_gates = _harness_gates(ctx.harness)
        changes = patched_tests(ctx.patch, ctx.base, ctx.patched)  # read before any test runs
        base_state = tree_state(ctx.base)
        sandbox = ctx.sandbox.status.to_dict() if ctx.sandbox else {"on": False}
        runner = self._runner(ctx, harness_gates, sandbox)
        if isinstance(runner, ScorerResult):
            return runner
        trees = Trees.of(ctx)
        sessions = Sessions(
            runner, trees, ctx.settings.reruns, lambda text: ctx.progress(self.name, text)
        )
        targets = _selectable(changes.own, ctx.patched)
        failing_test = ctx.patch.error.failing_test if ctx.patch.error else None
        if failing_test and failing_test not in targets:
            targets.append(failing_test)
        ctx.progress(self.name, "running the base's suite against the patched source")
        # The tests the patch edits count for coverage as the patch has them (proof run).
        unmeasured = [f"{path}::{name}" for path, name in sorted(changes.edited)]
        # Imported here: the mutation stage imports the scorers' interface.
        from ..mutation.stage import first_pass_jobs, start_second_pass

        full, beside = sessions.suite_and_beside(
            targets,
            coverage_request(ctx),
            unmeasured,
            lambda tree: reach_plugins(ctx, tree),
            partial(first_pass_jobs, ctx, sessions.runner),
            started=lambda group: ctx.tools_may_start.set(),
        )
        try:
            ctx.reach_data.extend(recorded_reach(full, beside.proof))
            ctx.patched_test_run.set_result(coverage_on_patched(ctx, full, beside.proof))
            unknown = _cannot_judge(trees, full, beside)
            if unknown:
                return ScorerResult.unknown(
                    self.name,
                    unknown,
                    gates=harness_gates,
                    details={
                        "output": full.output_tail,
                        "sandbox": sandbox,
                        "pytest_sessions": sessions.runner.sessions,
                    },
                )
            # The mutation stage's second pass needs only these runs: it starts now, beside the
            # base check and the re-runs, and the decision takes its result or stops it.
            start_second_pass(ctx, full, beside.proof or full)
            ctx.progress(self.name, "classifying")
            regression, causes, unseen = _regression_side(trees, full, beside.base_collection)
            runs = [full, beside.proof, beside.base_collection]
            runs += beside.touched.runs if beside.touched else []
            if trees.judge_base:
                tampered = tampered_reason(ctx.base, base_state)
                if tampered:
                    return ScorerResult.unknown(
                        self.name, tampered, gates=harness_gates, details={"sandbox": sandbox}
                    )
                if unseen:
                    runs.append(check := sessions.check_on_base(unseen, beside.base_standby))
                    for nodeid in unseen:
                        regression.before[nodeid] = [status_in(check, nodeid)]
            proof_side = _proof_side(trees, full, beside, targets, failing_test)
            judged = _judge(sessions, regression, proof_side, changes, full, beside)
            judged.causes, judged.failing_test = causes, failing_test
            details = {
                "regression_tree": describe_tree(full.tree, ctx.base, ctx.patched),
                "before_tree": "base + test part" if ctx.tests_tree else "base",
                "harness_changed": [c.to_dict() for c in ctx.harness],
                "coverage_measured": _measured(coverage_request(ctx)),
                "sandbox": sandbox,
                "base_collected": beside.base_collection is not None,
                "pytest_sessions": sessions.runner.sessions,
            }
            result = tests_result(self.name, judged, harness_gates, details)
            rewritten = rewritten_reason(runs)
            if rewritten:
                # What the runs showed stands beside it (a regression gate, say); the score cannot.
                return ScorerResult.unknown(
                    self.name, rewritten, gates=result.gates, details=result.details
                )
            return result
        finally:
            sessions.dismiss()  # whatever waits and was not needed

    def _runner(
        self, ctx: ScoringContext, gates: tuple[Gate, ...], sandbox: dict[str, Any]
    ) -> TestRunner | ScorerResult:
        """The runner for the project's tests, or why none can run."""
        settings = ctx.settings
        python = resolve_python(settings.python, ctx.env)
        if python is None:
            return ScorerResult.unknown(
                self.name, f"python interpreter not found: {settings.python}"
            )
        if ctx.sandbox is not None and ctx.sandbox.status.refused:
            return ScorerResult.unknown(
                self.name,
                f"sandbox = required, but {ctx.sandbox.status.reason}: no project code ran",
                gates=gates,
                details={"sandbox": sandbox},
            )
        return project_runner(ctx, python)


def _selectable(selectors: tuple[str, ...], tree: Path) -> list[str]:
    """The selectors whose file is a test module in ``tree`` (not a conftest, not a patch)."""
    return [
        selector
        for selector in selectors
        if (path := file_of(selector)).endswith(".py")
        and not path.endswith(("conftest.py", *PATCH_SUFFIXES))
        and is_test_path(path)
        and (tree / path).is_file()
    ]


def _cannot_judge(trees: Trees, full: TestRun, beside: BesideTheSuite) -> str | None:
    """Why the runs cannot judge the patch at all (the scorer is unknown), or None."""
    collection = beside.base_collection
    base_selected = collection.selected if collection is not None else None
    # A suite that runs nothing against the patched source although the base holds tests
    # lost them all: a regression, not "checks nothing".
    unknown = unknown_reason(
        full, trees.regression, "the test suite", must_hold_tests=not base_selected
    )
    if not unknown and beside.proof is not None:
        unknown = unknown_reason(beside.proof, trees.patched, "the patch's own tests")
    return unknown or uncollectable_on_base(trees.base, full, collection or full)


def _regression_side(
    trees: Trees, full: TestRun, collection: TestRun | None
) -> tuple[Side, dict[str, str], list[str]]:
    """The base's tests on the base and against the patched source; why each test that did not
    run there did not; and the tests still to look at on the base."""
    regression = Side(trees.base, trees.regression, {}, {})
    causes: dict[str, str] = {}
    for nodeid, status in full.outcomes.items():
        regression.after[nodeid] = [status]
    base_selected = collection.selected if collection is not None else None
    for nodeid in sorted((base_selected or frozenset()) - set(full.outcomes)):
        if status_in(full, nodeid) is TestStatus.FAILED:
            continue  # its file failed to collect: the file's id stands for it
        regression.after[nodeid] = [None]
        causes[nodeid] = _why_gone(full, nodeid)
    for nodeid, status in full.outcomes.items():
        if status in NOT_RUN:
            causes[nodeid] = full.messages.get(nodeid, str(status))
    if not trees.judge_base:
        for nodeid, seen in regression.after.items():
            regression.before[nodeid] = list(seen)
        return regression, causes, []
    marked = collection.skipped_by_marks if collection is not None else frozenset()
    unseen = []
    for nodeid, seen in regression.after.items():
        if seen[0] in NOT_RUN and nodeid in marked:
            regression.before[nodeid] = [TestStatus.SKIPPED]  # its marks skip it there
        elif seen[0] is not TestStatus.PASSED:
            unseen.append(nodeid)
    return regression, causes, unseen


def _proof_side(
    trees: Trees,
    full: TestRun,
    beside: BesideTheSuite,
    targets: list[str],
    failing_test: str | None,
) -> Side:
    """The tests the patch adds or changes (and failing_test), before and patched."""
    after_touched = beside.proof or full
    side = Side(trees.before, trees.patched, {}, {})
    touched = {n for n in after_touched.outcomes if covers(targets, n)}
    if failing_test:
        touched.add(failing_test)
    for nodeid in touched:
        side.after[nodeid] = [status_in(after_touched, nodeid)]
    early = beside.touched
    if early is not None:
        rerun = [n for n in touched if covers(early.suspects, n)]
        for nodeid in touched:
            side.before[nodeid] = [status_in(early.first, nodeid)]
        for run in early.before_reruns:
            observe(side.before, run, rerun)
        for run in early.after_reruns:
            observe(side.after, run, rerun)
    if trees.same_before:
        for nodeid in touched:
            side.before[nodeid] = list(side.after[nodeid])
    return side


def _judge(
    sessions: Sessions,
    regression: Side,
    proof_side: Side,
    changes: PatchedTests,
    full: TestRun,
    beside: BesideTheSuite,
) -> Judged:
    """Classify every test on both sides; re-run the ones whose status changed; mark flaky."""
    # The patch's own tests: new ones, and base tests it edits (unchanged base tests in a
    # file it touches are judged on the regression side).
    edited_ids = [f"{path}::{name}" for path, name in sorted(changes.edited)]
    own = {n for n in proof_side.after if n not in regression.after or covers(edited_ids, n)}
    classes = {n: classify_regression(regression, n) for n in regression.after}
    proof_classes = {n: classify_proof(proof_side, n) for n in proof_side.after}
    changed = [
        (regression, [n for n, c in classes.items() if c in (FAIL_TO_PASS, PASS_TO_FAIL)]),
        (proof_side, [n for n, c in proof_classes.items() if c == FAIL_TO_PASS]),
    ]
    sessions.top_up(changed)
    flaky = flaky_tests(changed)
    for nodeid in flaky:
        for table in (classes, proof_classes):
            if nodeid in table:
                table[nodeid] = FLAKY
    return Judged(
        full=full,
        after_touched=beside.proof or full,
        classes=classes,
        proof_classes=proof_classes,
        flaky=flaky,
        edited=changes.edited,
        own=own,
    )


def _harness_gates(harness: tuple[HarnessChange, ...]) -> tuple[Gate, ...]:
    if not harness:
        return ()
    return (
        Gate(
            "test_harness_changed",
            "the patch changes how the tests run: "
            + ", ".join(c.describe() for c in harness[:5])
            + "; regressions were judged with the base's harness",
        ),
    )


def _why_gone(run: TestRun, nodeid: str) -> str:
    if nodeid in run.deselected:
        return "deselected in the regression run"
    if run.selected is not None and nodeid in run.selected:
        return "selected but not run in the regression run"
    return "not collected in the regression run"


def _measured(request: bool | list[str]) -> str | list[str]:
    if request is True:
        return "all project files"
    return list(request) if request else "nothing"
