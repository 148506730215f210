"""Tests scorer, SWE-bench style: what the patch fixes, what it breaks, and whether it proves it.

"Before" is the base tree with only the test part of the patch applied, "after" the patched tree.
The whole suite runs once, after, carrying coverage. Before, only what classification needs runs:
the tests the patch adds or changes (they must fail there: proof of fix), the error's failing
test, and tests that fail after (regression or pre-existing?). Tests whose status changed run
``reruns`` more times on both sides; any inconsistency marks them flaky.

Score (documented in the README):
- 1.0 fix proven (a test the patch touches, or error.json's failing_test, goes FAIL_TO_PASS);
  0.75 when nothing proves it;
- regression (PASS_TO_FAIL): 0.5 x share of tests passing after, plus the ``regression`` gate;
- the patch's own tests failing after, or failing_test still failing: at most 0.5, plus a gate;
- minus 0.1 per flaky test.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..patch import PATCH_SUFFIXES, is_test_path
from ..testrun import TestRun, TestRunner, TestStatus, resolve_python
from .interface import Finding, Gate, Scorer, ScorerResult, ScorerStatus, ScoringContext
from .patch_coverage import coverage_request

FAIL_TO_PASS = "FAIL_TO_PASS"  # noqa: S105 - a test class, not a password
PASS_TO_FAIL = "PASS_TO_FAIL"  # noqa: S105
FAIL_TO_FAIL = "FAIL_TO_FAIL"
PASS_TO_PASS = "PASS_TO_PASS"  # noqa: S105
MAX_SELECTED = 300
"""More failing tests than this and the before side runs the whole suite instead of a list."""

Observations = dict[str, list[TestStatus | None]]
COLLECT_ONLY = ("--collect-only", "-q", "-rN")
"""The base-tree import check: collect only, and end the output on the last error's message."""
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


def _selectable_test_files(paths: Iterable[str], tree: Path) -> list[str]:
    return [
        p
        for p in paths
        if p.endswith(".py")
        and not p.endswith(("conftest.py", *PATCH_SUFFIXES))
        and is_test_path(p)
        and (tree / p).is_file()
    ]


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


def _covers(ids: Iterable[str], nodeid: str) -> bool:
    """``nodeid`` is one of ``ids`` or lies in a file that is."""
    chosen = set(ids)
    return nodeid in chosen or _file_of(nodeid) in chosen


def _run_selected(runner: TestRunner, tree: Path, ids: list[str], label: str) -> TestRun:
    """Run ``ids`` in ``tree``. Ids whose file is not in the tree are left out (they did not
    exist there); if pytest still refuses an id it cannot find (exit 4, nothing run), whole
    files are run instead, so one unknown id never hides the others' results."""
    present = [n for n in ids if (tree / _file_of(n)).is_file()]
    if not present:
        return TestRun(tree, {}, {}, 0, False, 0.0, junit_found=False)
    run = runner.run(tree, present, label=label)
    if run.returncode == 4 and not run.outcomes:
        files = sorted({_file_of(n) for n in present})
        run = runner.run(tree, files, label=f"{label}-files")
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
        python = resolve_python(settings.python, ctx.env)
        if python is None:
            return ScorerResult.unknown(
                self.name, f"python interpreter not found: {settings.python}"
            )
        runner = TestRunner(
            settings.test_command, python, ctx.env, ctx.scratch, settings.test_timeout, ctx.timings
        )
        before_tree = ctx.tests_tree or (ctx.base if ctx.patch.source_diff else ctx.patched)
        same_tree = before_tree == ctx.patched
        targets = _selectable_test_files(ctx.patch.test_files, before_tree)
        failing_test = ctx.patch.error.failing_test if ctx.patch.error else None
        if failing_test and failing_test not in targets:
            targets.append(failing_test)
        before: Observations = {}
        after: Observations = {}

        def observe(into: Observations, run: TestRun, ids: Iterable[str]) -> None:
            for nodeid in ids:
                into.setdefault(nodeid, []).append(_status(run, nodeid))

        def touched_on_both_trees() -> Touched:
            """The touched tests once on the before tree; the ones failing there (the would-be
            proof of fix) straight away ``reruns`` more times on both trees. All of it runs
            beside the full patched run, on the core that run leaves free; re-running only the
            failing tests, not whole files, keeps that small."""
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

        ctx.progress(self.name, "running the suite on the patched tree")
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="tests") as pool:
            full_future = pool.submit(
                runner.run, ctx.patched, None, coverage=coverage_request(ctx), label="after"
            )
            touched_future = (
                pool.submit(touched_on_both_trees) if targets and not same_tree else None
            )
            full = full_future.result()
            ctx.patched_test_run.set_result(full)
            early = touched_future.result() if touched_future is not None else None

        unknown = self._unknown_reason(full, ctx.patched) or _uncollectable_on_base(
            runner, ctx.base, full
        )
        if unknown:
            return ScorerResult.unknown(self.name, unknown, details={"output": full.output_tail})

        after_ids = [n for n, s in full.outcomes.items() if s is not TestStatus.SKIPPED]
        observe(after, full, after_ids)
        touched = {n for n in after_ids if _covers(targets, n)}
        if failing_test and failing_test not in after:
            after[failing_test] = [_status(full, failing_test)]
            touched.add(failing_test)
        if early is not None:
            observe(before, early.first, touched)
            rerun = [n for n in touched if _covers(early.suspects, n)]
            for run in early.before_reruns:
                observe(before, run, rerun)
            for run in early.after_reruns:
                observe(after, run, rerun)
        if same_tree:
            for nodeid in touched:
                before[nodeid] = list(after[nodeid])

        # Tests failing after that we have not seen before: pre-existing, or a regression?
        unseen = [n for n in full.failed if n not in before]
        if unseen:
            ctx.progress(self.name, f"checking {len(unseen)} failing test(s) on the base")
            if len(unseen) > MAX_SELECTED:
                run = runner.run(before_tree, None, label="before-failing")
            else:
                run = _run_selected(runner, before_tree, unseen, "before-failing")
            observe(before, run, unseen)

        # Tests passing after that were never run before are assumed to have passed there too.
        classes = {
            n: _classify(before[n][0], after[n][0])
            if n in before
            else (PASS_TO_PASS if after[n][0] is not TestStatus.FAILED else FAIL_TO_FAIL)
            for n in after
        }
        changed = [n for n, c in classes.items() if c in (FAIL_TO_PASS, PASS_TO_FAIL)]
        self._top_up(ctx, runner, before_tree, ctx.patched, changed, before, after)
        flaky = sorted(
            n for n in changed if _inconsistent(before.get(n, [])) or _inconsistent(after[n])
        )
        for nodeid in flaky:
            classes[nodeid] = "FLAKY"
        return self._result(ctx, full, classes, touched, flaky, failing_test)

    def _top_up(
        self,
        ctx: ScoringContext,
        runner: TestRunner,
        before_tree: Path,
        after_tree: Path,
        changed: list[str],
        before: Observations,
        after: Observations,
    ) -> None:
        """Re-run status-changed tests until each side has 1 + reruns observations; the two
        sides run at the same time (each side's runs are one after the other)."""
        wanted = 1 + ctx.settings.reruns

        def top_up(tree: Path, observations: Observations, label: str) -> None:
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

        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="rerun") as pool:
            sides = [
                pool.submit(top_up, before_tree, before, "before"),
                pool.submit(top_up, after_tree, after, "after"),
            ]
            for side in sides:
                side.result()

    @staticmethod
    def _unknown_reason(full: TestRun, tree: Path) -> str | None:
        if full.timed_out:
            each = full.duration_s / full.attempts
            return f"the test suite timed out (killed after {each:.0f}s, twice)"
        if not full.junit_found:
            last = full.output_tail.splitlines()[-1] if full.output_tail else ""
            return (
                f"the test command wrote no JUnit XML (exit {full.returncode}); "
                f"it must run pytest: {last}"
            ).strip()
        if full.returncode == 5 or not full.outcomes:
            return "no tests were collected: the suite checks nothing"
        if full.returncode != 0 and not full.failed:
            return f"the test command exited {full.returncode} with no failing test recorded"
        root = os.path.realpath(tree)
        strays = {m: f for m, f in full.imported.items() if not f.startswith(root + os.sep)}
        if strays:
            module, location = sorted(strays.items())[0]
            return (
                f"the tests imported {module} from {location}, not from the patched tree; "
                "an installed copy shadows the worktree"
            )
        return None

    def _result(
        self,
        ctx: ScoringContext,
        full: TestRun,
        classes: dict[str, str],
        touched: set[str],
        flaky: list[str],
        failing_test: str | None,
    ) -> ScorerResult:
        by_class: dict[str, list[str]] = {}
        for nodeid, kind in sorted(classes.items()):
            by_class.setdefault(kind, []).append(nodeid)
        f2p = by_class.get(FAIL_TO_PASS, [])
        p2f = by_class.get(PASS_TO_FAIL, [])
        f2f = by_class.get(FAIL_TO_FAIL, [])
        passed_after = sum(1 for s in full.outcomes.values() if s is TestStatus.PASSED)
        own_failing = sorted(n for n in touched if classes.get(n) == FAIL_TO_FAIL)
        proven = [n for n in f2p if n in touched]
        gates: list[Gate] = []
        findings = [
            Finding(_file_of(n), None, PASS_TO_FAIL, _failure(n, full), "error") for n in p2f
        ]
        if proven:
            score, proof = 1.0, f"{len(proven)} test(s) fail on the base and pass patched"
        elif not touched:
            score, proof = 0.75, "no proof of fix: the patch adds or changes no tests"
        else:
            score, proof = 0.75, "no proof of fix: the patch's tests pass on the base too"
        if p2f:
            score = 0.5 * passed_after / (passed_after + len(p2f))
            gates.append(
                Gate(
                    "regression",
                    f"{len(p2f)} test(s) pass on the base and fail patched: " + ", ".join(p2f[:3]),
                )
            )
        if own_failing:
            score = min(score, 0.5)
            findings += [
                Finding(_file_of(n), None, "FAILING_TEST", _failure(n, full), "error")
                for n in own_failing
            ]
            gates.append(
                Gate(
                    "own_tests_fail",
                    "tests the patch adds or changes fail patched: " + ", ".join(own_failing[:3]),
                )
            )
        if failing_test and classes.get(failing_test) not in (FAIL_TO_PASS, PASS_TO_PASS, "FLAKY"):
            score = min(score, 0.5)
            gates.append(
                Gate(
                    "failing_test_not_fixed",
                    f"the error's failing test {failing_test} still fails patched",
                )
            )
        score = max(0.0, score - 0.1 * len(flaky))
        details: dict[str, Any] = {
            "fail_to_pass": f2p,
            "pass_to_fail": p2f,
            "fail_to_fail": f2f,
            "flaky": flaky,
            "pass_to_pass_count": len(classes) - len(f2p) - len(p2f) - len(f2f) - len(flaky),
            "proof": proof,
            "proven": bool(proven),
            "before_tree": "base + test part" if ctx.tests_tree else "base",
            "imported": dict(full.imported),
            "suite_duration_s": round(full.duration_s, 3),
            "coverage_measured": _measured(coverage_request(ctx)),
        }
        summary = f"{passed_after} passed patched; {len(f2p)} fixed, {len(p2f)} broken; {proof}"
        return ScorerResult(
            self.name,
            ScorerStatus.OK,
            round(score, 4),
            findings=tuple(findings),
            preexisting=len(f2f),
            reason=summary,
            gates=tuple(gates),
            details=details,
        )


def _uncollectable_on_base(runner: TestRunner, base: Path, full: TestRun) -> str | None:
    """Why the suite cannot judge the patch: test modules that fail to collect patched *and* on
    the base tree (a generated file or a dependency the environment lacks). Their tests check
    nothing on either tree, so this is ``unknown``, not the patch's doing. None when each such
    module collects on the base: then its collection error is the patch's (a regression)."""
    broken = sorted(n for n in full.failed if n and "::" not in n and (base / n).exists())
    if not broken:
        return None
    # In reverse: the first module that fails on the base is the last error the run prints.
    run = runner.run(base, [*COLLECT_ONLY, *reversed(broken)], label="base-collect")
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


def _failure(nodeid: str, run: TestRun) -> str:
    """The test's id and its first failure line: several failures in one file stay distinct."""
    return f"{nodeid}: {run.messages.get(nodeid, 'fails after the patch')}"


def _classify(before: TestStatus | None, after: TestStatus | None) -> str:
    passed_before = before is TestStatus.PASSED or before is TestStatus.SKIPPED
    passed_after = after is TestStatus.PASSED or after is TestStatus.SKIPPED
    if passed_after:
        return PASS_TO_PASS if passed_before else FAIL_TO_PASS
    return PASS_TO_FAIL if passed_before else FAIL_TO_FAIL


def _inconsistent(observations: list[TestStatus | None]) -> bool:
    seen = {o for o in observations if o is not None}
    return len(seen) > 1
