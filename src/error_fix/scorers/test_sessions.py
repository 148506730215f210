"""The pytest sessions of one decision, as few as correctness allows.

Every session is an interpreter start-up and a collection, so the tests scorer starts:

- ``after``: the whole suite once, on the regression tree, carrying coverage (one core);
- beside it, on the other core, in this order: ``proof`` (the patch's own tests, and the error's
  failing test, on the patched tree, when the suite ran elsewhere), then the mutation stage's
  first pass it makes due; ``before`` (the same tests on the before tree); ``base-collect``
  (the base's collection, when the suite ran elsewhere, by a session that then stands by to
  run the base check: see testrun.Standby; when the before tree is the base, the one session
  ``before-collect`` collects it and runs the touched tests); last ``reruns``
  re-runs of the tests failing on the before tree on each of the before and patched trees
  (short, and on two trees, they fill the end). Once the suite is done its core takes what is
  left, so on a small suite these cost half their time; two of them never run in one tree at
  once. A test module that fails to import in the suite is looked up in the base's collection,
  never collected again;
- after both: ``base-check`` (the tests that did not pass in the suite, on the base, in the
  waiting ``base-collect`` session when there is one), then the
  re-runs of every test whose status changed, **one session per tree and round** for all of them
  (the regression and proof sides share the sessions of a tree they share). Once the suite has
  failed a test (the probe writes each failure as it happens), the sessions of those rounds on
  the base and regression trees collect ahead on the idle core and wait (``rerun-collect``).

A re-run is a fresh process and never one per test: the tests re-run together, and a fresh
process is what tells a test that depends on process state (import-time values, caches, hash
seeds) from one the patch really fixed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from ..testrun import Plugin, Standby, TestRun, TestRunner, TestStatus
from .interface import ScoringContext
from .test_classes import Observations, Side, covers, file_of, status_in

MAX_SELECTED = 300
"""More tests to check than this and the base runs the whole suite instead of a list."""
WATCH_S = 0.05
"""How often the other core, idle beside the suite, looks whether it failed a test yet."""


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
    base_standby: Standby | None = None
    """The session that collected the base and waits to run its check (see :class:`Standby`)."""


Job = tuple[Path, Callable[[], list["Job"]]]
"""A session to start in a tree; it returns the sessions it makes due (none, mostly)."""


def project_runner(ctx: ScoringContext, python: str) -> TestRunner:
    """The runner of the project's own test command in this decision's trees (sandboxed)."""
    settings = ctx.settings
    return TestRunner(
        settings.test_command,
        python,
        ctx.env,
        ctx.scratch,
        settings.test_timeout,
        ctx.timings,
        sandbox=ctx.sandbox,
    )


def run_on_two_workers(first: Job, jobs: list[Job]) -> None:
    """``first`` (the suite) on one worker, ``jobs`` in order on the other, and whatever is left
    on whichever is free. Two of ``jobs`` never run in one tree at once (a project's tests may
    write into their tree; the suite's tree is shared as it always was). Returns when every job,
    and every job they made due, is done."""
    queue = list(jobs)
    locked: set[Path] = set()
    running = 1
    cond = threading.Condition()
    failures: list[BaseException] = []

    def take() -> Job | None:
        nonlocal running
        with cond:
            while not failures:
                ready = next((job for job in queue if job[0] not in locked), None)
                if ready is not None:
                    queue.remove(ready)
                    locked.add(ready[0])
                    running += 1
                    return ready
                if not running:
                    break
                cond.wait()
            cond.notify_all()
            return None

    def work(job: Job | None, lock: bool) -> None:
        nonlocal running
        job = job or take()
        while job is not None:
            more: list[Job] = []
            try:
                more = job[1]()
            except BaseException as exc:  # re-raised below, once the other worker stops
                failures.append(exc)
            with cond:
                if lock:
                    locked.discard(job[0])
                running -= 1
                queue.extend(more)
                cond.notify_all()
            job, lock = take(), True

    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="tests") as pool:
        for future in [pool.submit(work, first, False), pool.submit(work, None, True)]:
            future.result()
    if failures:
        raise failures[0]


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
        self._waiting: list[Standby] = []
        self._spares: dict[Path, list[Standby]] = {}
        self._lock = threading.Lock()

    def _standby(self, tree: Path, label: str, check_label: str) -> Standby:
        session = self.runner.standby(tree, label, check_label)
        with self._lock:
            self._waiting.append(session)
        return session

    def dismiss(self) -> None:
        """End every session still waiting: nobody asked it to run anything."""
        with self._lock:
            waiting, self._waiting, self._spares = self._waiting, [], {}
        for session in waiting:
            session.dismiss()

    def _spare(self, tree: Path, suite_done: Callable[[], bool]) -> Job:
        """A session for a re-run round in ``tree``, collected ahead while the suite runs."""

        def job() -> list[Job]:
            if not suite_done():  # after the suite a fresh session costs as much
                session = self._standby(tree, "rerun-collect", f"{tree.name}-rerun")
                session.collected()  # the worker starts nothing else while it collects
                with self._lock:
                    self._spares.setdefault(tree, []).append(session)
            return []

        return tree, job

    def _rerun(self, tree: Path, ids: Sequence[str]) -> TestRun:
        """A re-run round in ``tree``: in a session collected ahead, when one waits."""
        while True:
            with self._lock:
                spares = self._spares.get(tree) or []
                spare = spares.pop(0) if spares else None
            if spare is None:
                return self.selected(tree, ids, f"{tree.name}-rerun")
            run = spare.run([n for n in ids if (tree / file_of(n)).is_file()])
            if run is not None:
                return run

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
        after_proof: Callable[
            [TestRun | None, Callable[[], TestRun | None], Callable[[], bool]], list[Job]
        ] = lambda run, suite, failing: [],
        started: Callable[[int], None] | None = None,
    ) -> tuple[TestRun, BesideTheSuite]:
        """The suite on the regression tree and, on the other core, what runs beside it; once
        the suite is done, its core takes what is left (a small suite's decision then costs
        half the sessions' time, never a third process on two cores). ``plugins(tree)`` ride
        along on the suite and on the proof run (the mutation stage's reach recording);
        ``after_proof(run, suite, failing)`` are sessions the proof run makes due (the mutation
        stage's first pass), queued at the end as ``after_proof(None, …)`` when no proof run is
        due; ``failing()`` says whether the suite has failed a test yet, done or not;
        ``suite()`` is the suite's run once it is done, else None. ``started`` is called as the
        suite's process starts."""
        trees = self.trees
        done: dict[str, TestRun] = {}
        reruns: dict[str, list[TestRun]] = {"before": [], "after": []}
        suspects: list[str] = []
        # The before tree is the base: its collection and the run of the touched tests there
        # are one session.
        collecting = trees.judge_base and trees.before == trees.base
        touching = bool(targets) and not trees.same_before

        def record(name: str, run: TestRun) -> list[Job]:
            done[name] = run
            return []

        def rerun(side: str, tree: Path) -> Job:
            def job() -> list[Job]:
                reruns[side].append(self.selected(tree, suspects, f"{side}-rerun"))
                return []

            return tree, job

        def before() -> list[Job]:
            """The touched tests once on the before tree; the ones failing there (the would-be
            proof of fix) at once ``reruns`` more times on both trees (only those tests)."""
            if collecting:
                run = self.runner.run(trees.base, None, label="before-collect", only=targets)
            else:
                run = self.selected(trees.before, targets, "before")
            done["before"] = run
            suspects.extend(
                sorted(
                    n
                    for n, s in run.outcomes.items()
                    if s is TestStatus.FAILED and covers(targets, n)
                )
            )
            if not suspects:
                return []
            sides = [("before", trees.before), ("after", trees.patched)]
            return [rerun(side, tree) for _ in range(self.reruns) for side, tree in sides]

        jobs: list[Job] = []
        later: list[Job] = []
        failures = self.runner.folder("live", "after") / "failures"

        def failing() -> bool:
            return failures.exists() or bool("after" in done and done["after"].failed)

        if trees.separate_proof and targets:
            proof = partial(
                self.selected,
                trees.patched,
                targets,
                "proof",
                coverage=coverage,
                plugins=plugins(trees.patched),
            )

            def proven() -> list[Job]:
                done["proof"] = run = proof()
                return after_proof(run, lambda: done.get("after"), failing)

            jobs.append((trees.patched, proven))
        else:
            later = after_proof(None, lambda: done.get("after"), failing)
        if touching:
            jobs.append((trees.before, before))
        standbys: list[Standby] = []
        if trees.judge_base and not (touching and collecting):

            def collect_base() -> list[Job]:
                """The base's collection, by a session that then waits to run the base check
                (which tests is known only once the suite is in)."""
                standbys.append(self._standby(trees.base, "base-collect", "base-check"))
                return record("collection", standbys[0].collected())

            jobs.append((trees.base, collect_base))
        jobs += later

        def watch() -> list[Job]:
            """Last in line, while the suite runs: once it fails a test, the re-runs of the
            tests whose status changed will be due; their sessions collect ahead, round by
            round."""
            if "after" in done:
                return []
            if not failures.exists():
                time.sleep(WATCH_S)
                return [(trees.regression, watch)]
            sides = (trees.base, trees.regression)
            return [
                self._spare(tree, lambda: "after" in done)
                for _ in range(self.reruns)
                for tree in sides
            ]

        if self.reruns and trees.judge_base:
            jobs.append((trees.regression, watch))
        suite = partial(
            self.runner.run,
            trees.regression,
            None,
            coverage=coverage,
            unmeasured=unmeasured,
            plugins=plugins(trees.regression),
            started=started,
            failures=failures,
        )
        first: Job = (trees.regression, lambda: record("after", suite(label="after")))
        try:
            run_on_two_workers(first, jobs)
        except BaseException:
            self.dismiss()
            raise
        touched = None
        if touching:
            touched = Touched(done["before"], reruns["before"], reruns["after"], suspects)
        collection = done.get("collection", done["before"] if touching and collecting else None)
        standby = standbys[0] if standbys else None
        return done["after"], BesideTheSuite(done.get("proof"), touched, collection, standby)

    def check_on_base(self, unseen: list[str], standby: Standby | None = None) -> TestRun:
        """The tests that did not pass in the suite, as they run on the base: in the session
        that collected the base and waits (``standby``), else in a new one."""
        self.progress(f"checking {len(unseen)} test(s) on the base")
        if standby is not None:
            run = standby.run(None if len(unseen) > MAX_SELECTED else unseen)
            if run is not None:
                return run
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
                run = self._rerun(tree, ids)
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
