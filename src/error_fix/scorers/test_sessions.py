"""The pytest sessions of one decision, as few as correctness allows.

Every session is an interpreter start-up and a collection, so the tests scorer starts:

- ``after``: the whole suite once, on the regression tree, carrying coverage (one core);
- beside it, on the other core, one after another: ``proof`` (the patch's own tests on the
  patched tree, when the suite ran elsewhere), ``before`` (the same tests, and the error's
  failing test, on the before tree), ``reruns`` re-runs of the ones failing there on each of the
  two trees, and ``base-collect`` (the base's collection, when the suite ran elsewhere; when the
  before tree is the base, one session ``before-collect`` collects it and runs the touched
  tests); a test module that fails to import in the suite is looked up in that collection,
  never collected again;
- after both: ``base-check`` (the tests that did not pass in the suite, on the base), then the
  re-runs of every test whose status changed, **one session per tree and round** for all of them
  (the regression and proof sides share the sessions of a tree they share).

A re-run is a fresh process and never one per test: the tests re-run together, and a fresh
process is what tells a test that depends on process state (import-time values, caches, hash
seeds) from one the patch really fixed. The trees' sessions go on two workers, each tree's one
after another.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..testrun import Plugin, TestRun, TestRunner, TestStatus
from .interface import ScoringContext
from .test_classes import Observations, Side, covers, file_of, status_in

MAX_SELECTED = 300
"""More tests to check than this and the base runs the whole suite instead of a list."""


@dataclass(frozen=True)
class Trees:
    """The trees one decision's tests run in."""

    base: Path
    """The base commit."""
    patched: Path
    """Base + the whole patch."""
    regression: Path
    """Where the suite runs: the patch's source with the base's tests and harness."""
    before: Path
    """Where the patch's own tests run before: base + the patch's test part."""

    @classmethod
    def of(cls, ctx: ScoringContext) -> Trees:
        before = ctx.tests_tree or (ctx.base if ctx.patch.source_diff else ctx.patched)
        return cls(ctx.base, ctx.patched, ctx.regression or ctx.patched, before)

    @property
    def same_before(self) -> bool:
        """The patch changes only tests: its tests' "before" is the patched tree itself."""
        return self.before == self.patched

    @property
    def separate_proof(self) -> bool:
        """The suite did not run the patch's own tests (it ran the base's)."""
        return self.regression != self.patched

    @property
    def judge_base(self) -> bool:
        """The suite ran elsewhere than on the base, so the base is looked at too."""
        return self.regression != self.base


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

    @property
    def runs(self) -> list[TestRun]:
        return [self.first, *self.before_reruns, *self.after_reruns]


@dataclass(frozen=True)
class BesideTheSuite:
    """What runs on the other core while the suite runs."""

    proof: TestRun | None
    """The touched tests on the patched tree (None: the suite's own run covers them)."""
    touched: Touched | None
    """The touched tests on the before tree (and re-runs of the ones failing there)."""
    base_collection: TestRun | None
    """The base's collection (None: the regression tree is the base)."""


class Sessions:
    """Starts the pytest sessions of one decision (see the module's docstring for which)."""

    def __init__(
        self,
        runner: TestRunner,
        trees: Trees,
        reruns: int,
        progress: Callable[[str], None],
    ) -> None:
        self.runner = runner
        self.trees = trees
        self.reruns = reruns
        self.progress = progress

    def selected(self, tree: Path, ids: Sequence[str], label: str, **kw: Any) -> TestRun:
        """Run ``ids`` in ``tree``. Ids whose file is not in the tree are left out (they did not
        exist there); if pytest still refuses an id it cannot find (exit 4, nothing run), whole
        files are run instead, so one unknown id never hides the others' results."""
        present = [n for n in ids if (tree / file_of(n)).is_file()]
        if not present:
            return TestRun(tree, {}, {}, 0, False, 0.0, junit_found=False)
        run = self.runner.run(tree, present, label=label, **kw)
        if run.returncode == 4 and not run.outcomes:
            files = sorted({file_of(n) for n in present})
            run = self.runner.run(tree, files, label=f"{label}-files", **kw)
        return run

    def suite_and_beside(
        self,
        targets: list[str],
        coverage: bool | list[str],
        unmeasured: list[str],
        plugins: Callable[[Path], Sequence[Plugin]] = lambda tree: (),
    ) -> tuple[TestRun, BesideTheSuite]:
        """The suite on the regression tree and, on the other core, what runs beside it;
        ``plugins(tree)`` ride along on the suite and on the proof run (the mutation stage's
        reach recording)."""
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="tests") as pool:
            full_future = pool.submit(
                self.runner.run,
                self.trees.regression,
                None,
                coverage=coverage,
                label="after",
                unmeasured=unmeasured,
                plugins=plugins(self.trees.regression),
            )
            beside_future = pool.submit(self._beside_the_suite, targets, coverage, plugins)
            return full_future.result(), beside_future.result()

    def _beside_the_suite(
        self,
        targets: list[str],
        coverage: bool | list[str],
        plugins: Callable[[Path], Sequence[Plugin]],
    ) -> BesideTheSuite:
        trees = self.trees
        proof = (
            self.selected(
                trees.patched, targets, "proof", coverage=coverage, plugins=plugins(trees.patched)
            )
            if trees.separate_proof and targets
            else None
        )
        # The before tree is the base: its collection and the run of the touched tests there
        # are one session.
        collecting = trees.judge_base and trees.before == trees.base
        touched = (
            self._touched_on_both_trees(targets, collecting)
            if targets and not trees.same_before
            else None
        )
        if touched is not None and collecting:
            collection: TestRun | None = touched.first
        elif trees.judge_base:
            collection = self.runner.run(trees.base, None, label="base-collect", collect_only=True)
        else:
            collection = None
        return BesideTheSuite(proof, touched, collection)

    def _touched_on_both_trees(self, targets: list[str], collecting: bool) -> Touched:
        """The touched tests once on the before tree (``collecting``: in the session that
        collects the whole base); the ones failing there (the would-be proof of fix) straight
        away ``reruns`` more times on both trees. Re-running only the failing tests, not whole
        files, keeps that small."""
        if collecting:
            first = self.runner.run(self.trees.base, None, label="before-collect", only=targets)
        else:
            first = self.selected(self.trees.before, targets, "before")
        suspects = sorted(
            n for n, s in first.outcomes.items() if s is TestStatus.FAILED and covers(targets, n)
        )
        if not suspects:
            return Touched(first, [], [], [])
        before_runs = [
            self.selected(self.trees.before, suspects, "before-rerun") for _ in range(self.reruns)
        ]
        after_runs = [
            self.selected(self.trees.patched, suspects, "after-rerun") for _ in range(self.reruns)
        ]
        return Touched(first, before_runs, after_runs, suspects)

    def check_on_base(self, unseen: list[str]) -> TestRun:
        """The tests that did not pass in the suite, as they run on the base."""
        self.progress(f"checking {len(unseen)} test(s) on the base")
        if len(unseen) > MAX_SELECTED:
            return self.runner.run(self.trees.base, None, label="base-check")
        return self.selected(self.trees.base, unseen, "base-check")

    def top_up(self, sides: list[tuple[Side, list[str]]]) -> None:
        """Re-run status-changed tests until each has 1 + reruns observations on both trees of
        its side. Each round is one session per tree for every side's tests there."""
        wanted = 1 + self.reruns
        per_tree: dict[Path, list[tuple[Observations, list[str]]]] = {}
        for side, changed in sides:
            if changed:
                per_tree.setdefault(side.before_tree, []).append((side.before, changed))
                per_tree.setdefault(side.after_tree, []).append((side.after, changed))

        def lacking(tables: list[tuple[Observations, list[str]]]) -> list[str]:
            return sorted({n for seen, ids in tables for n in ids if len(seen.get(n, [])) < wanted})

        def top_up_tree(tree: Path, tables: list[tuple[Observations, list[str]]]) -> None:
            while ids := lacking(tables):
                run = self.selected(tree, ids, f"{tree.name}-rerun")
                for seen, changed in tables:
                    for nodeid in changed:
                        if len(seen.setdefault(nodeid, [])) < wanted:
                            seen[nodeid].append(status_in(run, nodeid))

        due = {tree: tables for tree, tables in per_tree.items() if lacking(tables)}
        if not due:
            return
        count = len({n for tables in due.values() for n in lacking(tables)})
        self.progress(f"re-running {count} changed test(s) on {len(due)} tree(s)")
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="rerun") as pool:
            for job in [pool.submit(top_up_tree, *item) for item in due.items()]:
                job.result()
