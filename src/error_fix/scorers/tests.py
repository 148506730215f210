"""Tests scorer, SWE-bench style: what the patch fixes, what it breaks, and whether it proves it.

Regressions are judged by the base's own tests and harness. The whole suite runs once, carrying
coverage, on the *regression* tree: the patch's source changes with the base's test files,
conftest files and pytest configuration (see harness.py). The tests the patch adds or changes run
apart, as proof of fix only: on the patched tree (the whole patch; coverage too) and on the
*before* tree (base + only the test part), where they must fail. Beside the suite, on the base,
runs only what classification needs: its collection (which tests the suite should hold), then the
tests that fail, are skipped, xfailed, deselected or missing in the regression run. Tests whose
status changed run ``reruns`` more times on both sides; any inconsistency marks them flaky.

Score (documented in the README):
- 1.0 fix proven (a test the patch touches, or error.json's failing_test, goes FAIL_TO_PASS);
  0.75 when nothing proves it;
- regression (PASS_TO_FAIL: passes on the base, and fails, is skipped, xfailed, deselected or
  gone in the regression run): 0.5 x share of tests passing there, plus the ``regression`` gate,
  or ``changes_tested_behaviour`` for the tests the patch edits;
- the patch's own tests failing patched, or failing_test still failing: at most 0.5, plus a gate;
- minus 0.1 per flaky test.
A harness change fires ``test_harness_changed``. A report another hook rewrote, or a sandbox that
is required and impossible, makes the scorer unknown.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .. import proc
from ..harness import HarnessChange, defined_name, patched_tests
from ..mutation.reach import reach_plugins, recorded_reach
from ..patch import PATCH_SUFFIXES, is_test_path
from ..testrun import TestRun, TestRunner, TestStatus, resolve_python
from .interface import Finding, Gate, Scorer, ScorerResult, ScorerStatus, ScoringContext
from .patch_coverage import coverage_request

FAIL_TO_PASS = "FAIL_TO_PASS"  # noqa: S105 - a test class, not a password
PASS_TO_FAIL = "PASS_TO_FAIL"  # noqa: S105
FAIL_TO_FAIL = "FAIL_TO_FAIL"
PASS_TO_PASS = "PASS_TO_PASS"  # noqa: S105
MAX_SELECTED = 300
"""More tests to check than this and the base runs the whole suite instead of a list."""
_NOT_RUN = (TestStatus.SKIPPED, TestStatus.XFAILED, None)

Observations = dict[str, list[TestStatus | None]]
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _file_of(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


def _status(run: TestRun, nodeid: str) -> TestStatus | None:
    """A test's status in ``run``.

    A test missing from a run whose file failed to collect failed; a file id (what a collection
    error is recorded under) has the combined status of the file's tests.
    """
    status = run.outcomes.get(nodeid)
    if status is not None:
        return status
    if run.outcomes.get(_file_of(nodeid)) is TestStatus.FAILED:
        return TestStatus.FAILED
    if "::" not in nodeid:
        inside = [s for n, s in run.outcomes.items() if n.startswith(nodeid + "::")]
        if inside:
            return TestStatus.FAILED if TestStatus.FAILED in inside else TestStatus.PASSED
    return None


def _selectable(selectors: Iterable[str], tree: Path) -> list[str]:
    """The selectors whose file is a test module in ``tree`` (not a conftest, not a patch)."""
    return [
        selector
        for selector in selectors
        if (path := _file_of(selector)).endswith(".py")
        and not path.endswith(("conftest.py", *PATCH_SUFFIXES))
        and is_test_path(path)
        and (tree / path).is_file()
    ]


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


@dataclass(frozen=True)
class Touched:
    """What the early runs of the patch's own tests saw."""

    first: TestRun
    """The touched tests on the before tree."""
    before_reruns: list[TestRun]
    """Re-runs, on the before tree, of those that failed there."""
    after_reruns: list[TestRun]
    """Re-runs of the same tests on the patched tree."""
    suspects: list[str]
    """The ids re-run (test ids, or a file id when the file failed to collect)."""


@dataclass(frozen=True)
class BesideTheSuite:
    """What runs on the other core while the suite runs."""

    proof: TestRun | None
    """The touched tests on the patched tree (None: the suite's own run covers them)."""
    touched: Touched | None
    """The touched tests on the before tree (and re-runs of the ones failing there)."""
    base_collection: TestRun | None
    """The base's collection (None: the regression tree is the base)."""


def _covers(selectors: Iterable[str], nodeid: str) -> bool:
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


def _run_selected(runner: TestRunner, tree: Path, ids: list[str], label: str, **kw: Any) -> TestRun:
    """Run ``ids`` in ``tree``. Ids whose file is not in the tree are left out (they did not
    exist there); if pytest still refuses an id it cannot find (exit 4, nothing run), whole
    files are run instead, so one unknown id never hides the others' results."""
    present = [n for n in ids if (tree / _file_of(n)).is_file()]
    if not present:
        return TestRun(tree, {}, {}, 0, False, 0.0, junit_found=False)
    run = runner.run(tree, present, label=label, **kw)
    if run.returncode == 4 and not run.outcomes:
        files = sorted({_file_of(n) for n in present})
        run = runner.run(tree, files, label=f"{label}-files", **kw)
    return run


class TestsScorer(Scorer):
    name = "tests"

    def score(self, ctx: ScoringContext) -> ScorerResult:
        try:
            return self._score(ctx)
        finally:
            if not ctx.patched_test_run.done():
                ctx.patched_test_run.set_exception(RuntimeError("the patched test run did not run"))

    def _score(self, ctx: ScoringContext) -> ScorerResult:
        settings = ctx.settings
        harness_gates = _harness_gates(ctx.harness)
        changes = patched_tests(ctx.patch, ctx.base, ctx.patched)  # read before any test runs
        edited = changes.edited
        base_state = _state(ctx.base)
        sandbox = ctx.sandbox.status.to_dict() if ctx.sandbox else {"on": False}
        python = resolve_python(settings.python, ctx.env)
        if python is None:
            return ScorerResult.unknown(
                self.name, f"python interpreter not found: {settings.python}"
            )
        if ctx.sandbox is not None and ctx.sandbox.status.refused:
            return ScorerResult.unknown(
                self.name,
                f"sandbox = required, but {ctx.sandbox.status.reason}: no project code ran",
                gates=harness_gates,
                details={"sandbox": sandbox},
            )
        runner = TestRunner(
            settings.test_command,
            python,
            ctx.env,
            ctx.scratch,
            settings.test_timeout,
            ctx.timings,
            sandbox=ctx.sandbox,
        )
        regression_tree = ctx.regression or ctx.patched
        before_tree = ctx.tests_tree or (ctx.base if ctx.patch.source_diff else ctx.patched)
        same_tree = before_tree == ctx.patched
        separate_proof = regression_tree != ctx.patched
        judge_base = regression_tree != ctx.base
        targets = _selectable(changes.own, ctx.patched)
        failing_test = ctx.patch.error.failing_test if ctx.patch.error else None
        if failing_test and failing_test not in targets:
            targets.append(failing_test)
        coverage = coverage_request(ctx)

        def touched_on_both_trees() -> Touched:
            """The touched tests once on the before tree; the ones failing there (the would-be
            proof of fix) straight away ``reruns`` more times on both trees. Re-running only
            the failing tests, not whole files, keeps that small."""
            first = _run_selected(runner, before_tree, targets, "before")
            suspects = sorted(
                n
                for n, s in first.outcomes.items()
                if s is TestStatus.FAILED and _covers(targets, n)
            )
            if not suspects:
                return Touched(first, [], [], [])
            again = settings.reruns
            before_runs = [
                _run_selected(runner, before_tree, suspects, "before-rerun") for _ in range(again)
            ]
            after_runs = [
                _run_selected(runner, ctx.patched, suspects, "after-rerun") for _ in range(again)
            ]
            return Touched(first, before_runs, after_runs, suspects)

        def beside_the_suite() -> BesideTheSuite:
            proof = (
                _run_selected(
                    runner,
                    ctx.patched,
                    targets,
                    "proof",
                    coverage=coverage,
                    plugins=reach_plugins(ctx, ctx.patched),
                )
                if separate_proof and targets
                else None
            )
            touched = touched_on_both_trees() if targets and not same_tree else None
            collection = (
                runner.run(ctx.base, None, label="base-collect", collect_only=True)
                if judge_base
                else None
            )
            return BesideTheSuite(proof, touched, collection)

        ctx.progress(self.name, "running the base's suite against the patched source")
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="tests") as pool:
            # The tests the patch edits count for coverage as the patch has them (proof run).
            unmeasured = [f"{path}::{name}" for path, name in sorted(edited)]
            full_future = pool.submit(
                runner.run,
                regression_tree,
                None,
                coverage=coverage,
                label="after",
                unmeasured=unmeasured,
                plugins=reach_plugins(ctx, regression_tree),
            )
            beside_future = pool.submit(beside_the_suite)
            full = full_future.result()
            beside = beside_future.result()
        proof = beside.proof
        ctx.reach_data.extend(recorded_reach(full, proof))
        ctx.patched_test_run.set_result(_coverage_on_patched(ctx, full, proof))

        collection = beside.base_collection
        base_selected = collection.selected if collection is not None else None
        # A suite that runs nothing against the patched source although the base holds tests
        # lost them all: a regression, not "checks nothing".
        unknown = _unknown_reason(
            full, regression_tree, "the test suite", must_hold_tests=not base_selected
        ) or (_unknown_reason(proof, ctx.patched, "the patch's own tests") if proof else None)
        early = beside.touched
        unknown = unknown or _uncollectable_on_base(runner, ctx.base, full)
        if unknown:
            return ScorerResult.unknown(
                self.name,
                unknown,
                gates=harness_gates,
                details={"output": full.output_tail, "sandbox": sandbox},
            )
        ctx.progress(self.name, "classifying")
        runs = [full, proof, beside.base_collection, *(_touched_runs(early))]

        # The regression side: the base's tests, on the base and against the patched source.
        regression = Side(ctx.base, regression_tree, {}, {})
        causes: dict[str, str] = {}
        for nodeid, status in full.outcomes.items():
            regression.after[nodeid] = [status]
        for nodeid in sorted((base_selected or frozenset()) - set(full.outcomes)):
            if _status(full, nodeid) is TestStatus.FAILED:
                continue  # its file failed to collect: the file's id stands for it
            regression.after[nodeid] = [None]
            causes[nodeid] = _why_gone(full, nodeid)
        for nodeid, status in full.outcomes.items():
            if status in _NOT_RUN:
                causes[nodeid] = full.messages.get(nodeid, str(status))
        if judge_base:
            marked = collection.skipped_by_marks if collection is not None else frozenset()
            unseen = []
            for nodeid, seen in regression.after.items():
                if seen[0] in _NOT_RUN and nodeid in marked:
                    regression.before[nodeid] = [TestStatus.SKIPPED]  # its marks skip it there
                elif seen[0] is not TestStatus.PASSED:
                    unseen.append(nodeid)
            tampered = _state(ctx.base) - base_state
            if tampered:
                return ScorerResult.unknown(
                    self.name,
                    "the base tree changed while the patch's code ran ("
                    + ", ".join(sorted(tampered)[:3])
                    + "): its results cannot be trusted (the sandbox prevents this)",
                    gates=harness_gates,
                    details={"sandbox": sandbox},
                )
            if unseen:
                ctx.progress(self.name, f"checking {len(unseen)} test(s) on the base")
                if len(unseen) > MAX_SELECTED:
                    run = runner.run(ctx.base, None, label="base-check")
                else:
                    run = _run_selected(runner, ctx.base, unseen, "base-check")
                runs.append(run)
                for nodeid in unseen:
                    regression.before[nodeid] = [_status(run, nodeid)]
        else:
            for nodeid, seen in regression.after.items():
                regression.before[nodeid] = list(seen)

        # The proof side: the tests the patch adds or changes, before and patched.
        after_touched = proof or full
        proof_side = Side(before_tree, ctx.patched, {}, {})
        touched = {n for n in after_touched.outcomes if _covers(targets, n)}
        for nodeid in touched:
            proof_side.after[nodeid] = [_status(after_touched, nodeid)]
        if failing_test and failing_test not in proof_side.after:
            proof_side.after[failing_test] = [_status(after_touched, failing_test)]
            touched.add(failing_test)
        if early is not None:
            rerun = [n for n in touched if _covers(early.suspects, n)]
            for nodeid in touched:
                proof_side.before[nodeid] = [_status(early.first, nodeid)]
            for run in early.before_reruns:
                _observe(proof_side.before, run, rerun)
            for run in early.after_reruns:
                _observe(proof_side.after, run, rerun)
        if same_tree:
            for nodeid in touched:
                proof_side.before[nodeid] = list(proof_side.after[nodeid])

        # The patch's own tests: new ones, and base tests it edits (unchanged base tests in a
        # file it touches are judged on the regression side).
        edited_ids = [f"{path}::{name}" for path, name in sorted(edited)]
        own = {n for n in proof_side.after if n not in regression.after or _covers(edited_ids, n)}
        classes = {n: _classify_regression(regression, n) for n in regression.after}
        proof_classes = {n: _classify_proof(proof_side, n) for n in proof_side.after}
        changed = {
            "regression": [n for n, c in classes.items() if c in (FAIL_TO_PASS, PASS_TO_FAIL)],
            "proof": [n for n, c in proof_classes.items() if c == FAIL_TO_PASS],
        }
        self._top_up(
            ctx, runner, [(regression, changed["regression"]), (proof_side, changed["proof"])]
        )
        flaky = sorted(
            {
                n
                for side, ids in (
                    (regression, changed["regression"]),
                    (proof_side, changed["proof"]),
                )
                for n in ids
                if _inconsistent(side.before.get(n, [])) or _inconsistent(side.after.get(n, []))
            }
        )
        for nodeid in flaky:
            for table in (classes, proof_classes):
                if nodeid in table:
                    table[nodeid] = "FLAKY"
        result = self._result(
            ctx,
            full,
            after_touched,
            classes,
            proof_classes,
            causes,
            flaky,
            failing_test,
            harness_gates,
            edited,
            own,
            {"sandbox": sandbox, "base_collected": base_selected is not None},
        )
        rewritten = _rewritten_reason(runs)
        if rewritten:
            # What the runs showed stands beside it (a regression gate, say); the score cannot.
            return ScorerResult.unknown(
                self.name, rewritten, gates=result.gates, details=result.details
            )
        return result

    def _top_up(
        self,
        ctx: ScoringContext,
        runner: TestRunner,
        sides: list[tuple[Side, list[str]]],
    ) -> None:
        """Re-run status-changed tests until each side has 1 + reruns observations on both of
        its trees; the trees take turns on two workers (each tree's runs one after another)."""
        wanted = 1 + ctx.settings.reruns

        def top_up(tree: Path, observations: Observations, changed: list[str], label: str) -> None:
            lacking = [n for n in changed if len(observations.get(n, [])) < wanted]
            if not lacking:
                return
            ctx.progress(self.name, f"re-running {len(lacking)} changed test(s) ({label})")
            missing_runs = wanted - min(len(observations.get(n, [])) for n in lacking)
            for _ in range(missing_runs):
                run = _run_selected(runner, tree, lacking, f"{label}-rerun")
                for nodeid in lacking:
                    if len(observations.setdefault(nodeid, [])) < wanted:
                        observations[nodeid].append(_status(run, nodeid))

        jobs = [
            (tree, observations, changed, label)
            for side, changed in sides
            if changed
            for tree, observations, label in (
                (side.before_tree, side.before, side.before_tree.name),
                (side.after_tree, side.after, side.after_tree.name),
            )
        ]
        if not jobs:
            return
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="rerun") as pool:
            for job in [pool.submit(top_up, *job) for job in jobs]:
                job.result()

    def _result(
        self,
        ctx: ScoringContext,
        full: TestRun,
        after_touched: TestRun,
        classes: dict[str, str],
        proof_classes: dict[str, str],
        causes: dict[str, str],
        flaky: list[str],
        failing_test: str | None,
        gates: tuple[Gate, ...],
        edited: frozenset[tuple[str, str]],
        own: set[str],
        extra: dict[str, Any],
    ) -> ScorerResult:
        by_class: dict[str, list[str]] = {}
        for nodeid, kind in sorted(classes.items()):
            by_class.setdefault(kind, []).append(nodeid)
        proven = sorted(n for n, c in proof_classes.items() if c == FAIL_TO_PASS)
        own_failing = sorted(
            n for n, c in proof_classes.items() if c in (FAIL_TO_FAIL, PASS_TO_FAIL) and n in own
        )
        f2p = sorted({*by_class.get(FAIL_TO_PASS, []), *proven})
        p2f = by_class.get(PASS_TO_FAIL, [])
        f2f = sorted({*by_class.get(FAIL_TO_FAIL, []), *own_failing})
        passed_after = sum(1 for s in full.outcomes.values() if s is TestStatus.PASSED)
        edited_ids = [f"{path}::{name}" for path, name in sorted(edited)]
        changed_contract = [n for n in p2f if _covers(edited_ids, n)]
        broken = [n for n in p2f if n not in changed_contract]
        findings = [
            Finding(_file_of(n), None, PASS_TO_FAIL, _failure(n, full, causes), "error")
            for n in p2f
        ]
        all_gates = list(gates)
        if proven:
            score, proof = 1.0, f"{len(proven)} test(s) fail on the base and pass patched"
        elif not proof_classes:
            score, proof = 0.75, "no proof of fix: the patch adds or changes no tests"
        else:
            score, proof = 0.75, "no proof of fix: the patch's tests pass on the base too"
        if p2f:
            score = 0.5 * passed_after / (passed_after + len(p2f))
        if broken:
            all_gates.append(
                Gate(
                    "regression",
                    f"{len(broken)} test(s) pass on the base and fail patched: "
                    + ", ".join(f"{n} ({_cause(n, causes)})" for n in broken[:3]),
                )
            )
        if changed_contract:
            all_gates.append(
                Gate(
                    "changes_tested_behaviour",
                    f"the patch edits {len(changed_contract)} test(s) that pass on the base and "
                    "fail against its source, changing what they test (a human must agree): "
                    + ", ".join(changed_contract[:3]),
                )
            )
        if own_failing:
            score = min(score, 0.5)
            findings += [
                Finding(_file_of(n), None, "FAILING_TEST", _failure(n, after_touched, {}), "error")
                for n in own_failing
            ]
            all_gates.append(
                Gate(
                    "own_tests_fail",
                    "tests the patch adds or changes fail patched: " + ", ".join(own_failing[:3]),
                )
            )
        fixed = {**classes, **proof_classes}.get(failing_test or "")
        if failing_test and fixed not in (FAIL_TO_PASS, PASS_TO_PASS, "FLAKY"):
            score = min(score, 0.5)
            all_gates.append(
                Gate(
                    "failing_test_not_fixed",
                    f"the error's failing test {failing_test} still fails patched",
                )
            )
        score = max(0.0, score - 0.1 * len(flaky))
        details: dict[str, Any] = {
            "fail_to_pass": f2p,
            "pass_to_fail": p2f,
            "pass_to_fail_causes": {n: _cause(n, causes) for n in p2f},
            "fail_to_fail": f2f,
            "flaky": flaky,
            "pass_to_pass_count": sum(1 for c in classes.values() if c == PASS_TO_PASS),
            "proof": proof,
            "proven": bool(proven),
            "regression_tree": _describe(full.tree, ctx),
            "before_tree": "base + test part" if ctx.tests_tree else "base",
            "harness_changed": [c.to_dict() for c in ctx.harness],
            "edited_tests": changed_contract,
            "imported": dict(full.imported),
            "suite_duration_s": round(full.duration_s, 3),
            "coverage_measured": _measured(coverage_request(ctx)),
            **extra,
        }
        summary = f"{passed_after} passed; {len(f2p)} fixed, {len(p2f)} broken; {proof}"
        return ScorerResult(
            self.name,
            ScorerStatus.OK,
            round(score, 4),
            findings=tuple(findings),
            preexisting=len(by_class.get(FAIL_TO_FAIL, [])),
            reason=summary,
            gates=tuple(all_gates),
            details=details,
        )


def _state(tree: Path) -> frozenset[str]:
    """What differs in ``tree`` from its commit (bytecode caches aside), one entry per file."""
    status = proc.git(tree, "status", "--porcelain", "--untracked-files=all", check=False)
    return frozenset(line for line in status.stdout.splitlines() if "__pycache__/" not in line)


def _observe(into: Observations, run: TestRun, ids: Iterable[str]) -> None:
    for nodeid in ids:
        into.setdefault(nodeid, []).append(_status(run, nodeid))


def _touched_runs(early: Touched | None) -> list[TestRun]:
    return [] if early is None else [early.first, *early.before_reruns, *early.after_reruns]


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


def _unknown_reason(
    run: TestRun, tree: Path, what: str, *, must_hold_tests: bool = False
) -> str | None:
    if run.timed_out:
        each = run.duration_s / run.attempts
        return f"{what} timed out (killed after {each:.0f}s, twice)"
    if not run.junit_found:
        last = run.output_tail.splitlines()[-1] if run.output_tail else ""
        return (
            f"the test command wrote no JUnit XML (exit {run.returncode}); "
            f"it must run pytest: {last}"
        ).strip()
    if must_hold_tests and (run.returncode == 5 or not run.outcomes):
        return "no tests were collected: the suite checks nothing"
    if run.returncode not in (0, 5) and not run.failed:
        return f"the test command exited {run.returncode} with no failing test recorded"
    root = os.path.realpath(tree)
    strays = {m: f for m, f in run.imported.items() if not f.startswith(root + os.sep)}
    if strays:
        module, location = sorted(strays.items())[0]
        return (
            f"the tests imported {module} from {location}, not from the {tree.name} tree; "
            "an installed copy shadows the worktree"
        )
    return None


def _rewritten_reason(runs: Iterable[TestRun | None]) -> str | None:
    for run in runs:
        if run is not None and run.rewritten:
            nodeid, how = sorted(run.rewritten.items())[0]
            more = len(run.rewritten) - 1
            also = f" (and {more} more)" if more else ""
            return (
                f"a hook rewrote the report of {nodeid}{also}: {how}; "
                f"the {run.tree.name} tree's test results cannot be trusted"
            )
    return None


def _coverage_on_patched(ctx: ScoringContext, full: TestRun, proof: TestRun | None) -> TestRun:
    """The run the coverage scorer reads: the suite's run, joined by the proof run, with every
    measured file moved onto the patched tree (the patch's source files are the same in the
    regression tree and the patched one)."""
    runs = [run for run in (full, proof) if run is not None and run.coverage_data is not None]
    last = proof or full
    if not runs or (proof is None and full.tree == ctx.patched):
        return last
    from coverage import CoverageData

    merged = ctx.scratch / "coverage-moved" / ".coverage"
    merged.parent.mkdir(exist_ok=True)
    target = os.path.realpath(ctx.patched)
    parts = [
        (os.path.realpath(run.tree), part)
        for run in runs
        if run.coverage_data is not None
        for part in sorted(run.coverage_data.parent.glob(run.coverage_data.name + ".*"))
    ]
    for index, (root, part) in enumerate(parts):
        data = CoverageData(basename=str(part))
        data.read()
        lines: dict[str, list[int]] = {}
        for measured in data.measured_files():
            real = os.path.realpath(measured)
            path = target + real[len(root) :] if real.startswith(root + os.sep) else measured
            lines[path] = sorted(data.lines(measured) or ())
        moved = CoverageData(basename=f"{merged}.{index}")
        moved.add_lines(lines)
        moved.write()
    return replace(last, tree=ctx.patched, coverage_data=merged)


def _why_gone(run: TestRun, nodeid: str) -> str:
    if nodeid in run.deselected:
        return "deselected in the regression run"
    if run.selected is not None and nodeid in run.selected:
        return "selected but not run in the regression run"
    return "not collected in the regression run"


def _describe(tree: Path, ctx: ScoringContext) -> str:
    if tree == ctx.patched:
        return "patched (the patch changes no tests and no harness)"
    if tree == ctx.base:
        return "base (the patch changes only tests or harness)"
    return "patched source + base tests and harness"


def _uncollectable_on_base(runner: TestRunner, base: Path, full: TestRun) -> str | None:
    """Why the suite cannot judge the patch: test modules that fail to collect patched *and* on
    the base tree (a generated file or a dependency the environment lacks). Their tests check
    nothing on either tree, so this is ``unknown``, not the patch's doing. None when each such
    module collects on the base: then its collection error is the patch's (a regression)."""
    broken = sorted(n for n in full.failed if n and "::" not in n and (base / n).exists())
    if not broken:
        return None
    # In reverse: the first module that fails on the base is the last error the run prints.
    run = runner.run(base, list(reversed(broken)), label="base-collect", collect_only=True)
    both = [n for n in broken if run.outcomes.get(n) is TestStatus.FAILED]
    if not both:
        return None
    error = _last_error(run.output_tail) or run.messages.get(both[0], "collection error")
    more = f" (and {len(both) - 1} more test module(s))" if len(both) > 1 else ""
    return f"{both[0]} cannot be imported on the base tree either: {error}{more}"


def _last_error(output: str) -> str | None:
    """The last ``E   `` line pytest printed: the exception that stopped the import."""
    for line in reversed(_ANSI.sub("", output).splitlines()):
        if line.startswith("E ") and line[1:].strip():
            return line[1:].strip()[:300]
    return None


def _measured(request: bool | list[str]) -> str | list[str]:
    if request is True:
        return "all project files"
    return list(request) if request else "nothing"


def _cause(nodeid: str, causes: dict[str, str]) -> str:
    """Why a test that passes on the base counts as broken: it fails, or did not run (how)."""
    return causes.get(nodeid, "fails")


def _failure(nodeid: str, run: TestRun, causes: dict[str, str]) -> str:
    """The test's id and its first failure line: several failures in one file stay distinct."""
    if nodeid in causes:
        return f"{nodeid}: passes on the base; {causes[nodeid]}"
    return f"{nodeid}: {run.messages.get(nodeid, 'fails after the patch')}"


def _classify_regression(side: Side, nodeid: str) -> str:
    """A base test: as it ran on the base (PASSED when it was not re-checked: it passed in the
    regression run) against the regression run. Not running there is failing."""
    after = side.after[nodeid][0]
    before = side.before.get(nodeid, [TestStatus.PASSED])[0]
    passed_before = before in (TestStatus.PASSED, TestStatus.SKIPPED)
    if after is TestStatus.PASSED:
        return PASS_TO_PASS if passed_before else FAIL_TO_PASS
    if after in _NOT_RUN:
        return PASS_TO_FAIL if before is TestStatus.PASSED else "NOT_RUN"
    return PASS_TO_FAIL if passed_before else FAIL_TO_FAIL


def _classify_proof(side: Side, nodeid: str) -> str:
    after = side.after[nodeid][0]
    before = side.before.get(nodeid, [TestStatus.PASSED])[0]
    passed_before = before in (TestStatus.PASSED, TestStatus.SKIPPED, TestStatus.XFAILED)
    if after is TestStatus.FAILED:
        return PASS_TO_FAIL if passed_before else FAIL_TO_FAIL
    if after is TestStatus.PASSED:
        return PASS_TO_PASS if passed_before else FAIL_TO_PASS
    return "NOT_RUN"


def _inconsistent(observations: list[TestStatus | None]) -> bool:
    seen = {o for o in observations if o is not None}
    return len(seen) > 1
