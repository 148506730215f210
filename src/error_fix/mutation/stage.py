"""The mutation stage: do the tests pin the fix down?

A fix is proven when a test fails on the base and passes patched; that shows the test reaches the
bug, not that the tests would notice a *different* fix. So for a patch that would merge, each
source line the patch adds gets small changes (mutants, see mutants.py) and only the tests that
run that line — recorded during the patched run by the reach plugin — run against each one, many
mutants per pytest process (switch_plugin.py swaps code objects in memory; no file is written, in
the patched tree or anywhere). A mutant that makes a test fail, error or hang is killed; one no
test notices survives, and the report shows it on its line.

Two passes. The first runs beside the suite, as soon as the patch's own tests have run on the
patched tree (the proof run, which records their reach): one process, the patch's own tests
against the mutants of the lines they run, within MIN_BUDGET_S. The patch's tests are the ones
written for the fix, so they kill most mutants, and on two cores the suite's run hides this
pass. In the second pass the mutants still alive meet every other test that runs their line
(the suite's reach); when the first pass killed them all, no process starts. It starts as soon
as the suite is in, if no test failed (the fix looks like it will merge), beside the base
check, the re-runs and the static tools; the decision takes its result for a fix that would
merge and stops it otherwise. Without that early start it runs after the decision.

Bounds: at most ``mutation-max`` mutants, every changed line before any line's second one, and
``mutation-budget`` × the patched suite's time (at least MIN_BUDGET_S) of wall time for the
second pass; its processes run in parallel within ``jobs`` when the work is worth a second
start-up. What the budget leaves unrun is reported as such.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import CodeType
from typing import Any

from ..scorers.interface import Finding, ScorerResult, ScorerStatus, ScoringContext
from ..scorers.test_sessions import Job, project_runner
from ..testrun import Plugin, Standby, TestRun, TestRunner, TestStatus, resolve_python
from .mutants import Edit, Mutant, by_line, equivalent_edits, generate, round_robin
from .reach import Reach, changed_lines, read_reach, recorded_reach

NAME = "mutation"
SWITCH_MODULE = "error_fix_mutants"
MIN_BUDGET_S = 5.0
"""The least wall time the stage gets, so a small suite still has its mutants run."""
GRACE_S = 30.0
"""Past the budget, how long a mutant process may take to start and finish its last mutant
before it is killed."""
TIMEOUT_FACTOR = 10.0
"""A test under a mutant times out after this many times its own time, ..."""
MIN_TEST_TIMEOUT_S = 1.0
"""... and never under this."""
RESTARTS = 3
"""New processes a worker may start after one was killed (a mutant that hung in C code)."""
START_S = 1.0
"""About what starting and collecting one more test process costs: the second pass splits its
mutants over processes only when their tests would run longer than this."""
RULE = "surviving-mutant"


@dataclass
class Outcome:
    """What became of one selected mutant."""

    mutant: Mutant
    """The mutant."""
    tests: list[str]
    """The tests that run its line, in the order they run."""
    status: str = "out_of_budget"
    """killed, timeout (killed by a hang), survived, out_of_budget or unusable."""
    by: str | None = None
    """The test that killed it."""
    note: str | None = None
    """Why it is unusable, or how it survived (no test runs its line)."""
    tried: tuple[str, ...] = ()
    """Tests it already met, and survived, in the first pass (not run on it again)."""

    @property
    def untried(self) -> list[str]:
        """The tests still to run on it."""
        return [t for t in self.tests if t not in self.tried]

    @property
    def killed(self) -> bool:
        return self.status in ("killed", "timeout")

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.mutant.to_dict(),
            "status": self.status,
            "by": self.by,
            "note": self.note,
            "tests": len(self.tests),
        }


@dataclass
class _Worker:
    """One share of the mutants, run by as few pytest processes as possible."""

    name: str
    """Names its processes (``mutants-<name>``) and plans."""
    outcomes: list[Outcome]
    control_failing: set[str] = field(default_factory=set)
    equivalent: int = 0
    errors: list[str] = field(default_factory=list)
    processes: int = 0


def run_mutation(ctx: ScoringContext, tests: ScorerResult | None) -> ScorerResult:
    """The ``mutation`` section: skipped with the reason, or what became of the mutants (the
    second pass started as the suite ended, when the tests scorer started it)."""
    start = time.monotonic()
    second = ctx.mutation_second_pass[0] if ctx.mutation_second_pass else None
    result = _skipped(ctx, tests)
    if result is not None:
        stop_second_pass(ctx)
    elif second is not None:
        result = second.result()
    else:
        assert tests is not None  # _skipped says why not otherwise
        suite_s = float(tests.details.get("suite_duration_s") or 0.0)
        result = _second_pass(ctx, suite_s, ctx.settings.jobs)
    duration = time.monotonic() - start
    ctx.timings.add(NAME, duration)
    return ScorerResult(
        result.name,
        result.status,
        result.score,
        findings=result.findings,
        reason=result.reason,
        duration_s=duration,
        details=result.details,
    )


class SecondPass:
    """The second pass, started in a thread as soon as the suite is in and nothing failed (a
    fix that looks like it will merge), so it runs beside the base check, the re-runs and the
    static tools; the decision takes its result, or stops it."""

    def __init__(self, ctx: ScoringContext, suite_s: float) -> None:
        self._ctx = ctx
        self._stop = Stop(threading.Event(), ctx.scratch / NAME / f"stop-{next(_passes)}")
        self._result: ScorerResult | None = None
        self._thread = threading.Thread(
            target=self._work, args=(suite_s,), name="mutation", daemon=True
        )
        self._thread.start()

    def _work(self, suite_s: float) -> None:
        start = time.monotonic()
        # One tool slot stays with the scoring it runs beside (the base check, the re-runs).
        jobs = max(1, self._ctx.settings.jobs - 1)
        try:
            self._result = _second_pass(self._ctx, suite_s, jobs, self._stop)
        finally:
            if self._result is None:  # the thread itself was torn down
                self._result = ScorerResult.unknown(NAME, "the mutation stage was interrupted")
            self._ctx.timings.add(f"{NAME}:second-pass", time.monotonic() - start)

    def result(self) -> ScorerResult:
        self._thread.join()
        assert self._result is not None  # set however the thread ended
        return self._result

    def stop(self) -> None:
        """Start no more mutants (the running process stops after its mutant) and wait."""
        self._stop.set()
        self._thread.join()


@dataclass(frozen=True)
class Stop:
    """Tells a pass's workers, and through ``file`` its mutant processes, to stop."""

    event: threading.Event
    """Set when the pass is to stop."""
    file: Path
    """Created then; the switch plugin looks for it before each mutant."""

    def set(self) -> None:
        self.file.parent.mkdir(exist_ok=True)
        self.file.touch()
        self.event.set()


_passes = itertools.count()


@dataclass(frozen=True)
class WaitingMutants:
    """A mutant process started beside the suite, once the other core is free: it has
    collected the patched tree's suite and waits for the second pass's plan, so the second
    pass's first process costs no start-up after the suite."""

    session: Standby
    """The waiting pytest session (the switch plugin loaded)."""
    plan: Path
    """Where its plan is to be written, before it is told to run."""


def _waiting(ctx: ScoringContext) -> WaitingMutants | None:
    """The waiting mutant process, if it is ready (one still collecting is sent away)."""
    while ctx.mutation_waiting:
        waiting = ctx.mutation_waiting.pop()
        if waiting.session.waiting:
            return waiting
        waiting.session.dismiss()
    return None


def _dismiss_waiting(ctx: ScoringContext) -> None:
    while ctx.mutation_waiting:
        ctx.mutation_waiting.pop().session.dismiss()


def start_second_pass(ctx: ScoringContext, suite: TestRun, proof: TestRun) -> None:
    """Start the second pass now, unless a run failed a test or the stage would skip."""
    if _early(ctx, suite, proof) and not ctx.mutation_second_pass:
        ctx.mutation_second_pass.append(SecondPass(ctx, suite.duration_s))


def _early(ctx: ScoringContext, *runs: TestRun | None) -> bool:
    """A pass may start before the decision: the stage is on, the harness is the base's, and
    no test failed in ``runs`` (a fix that fails one does not merge: the pass would be wasted)."""
    failed = any(r is not None and TestStatus.FAILED in r.outcomes.values() for r in runs)
    return ctx.settings.mutation != "off" and not ctx.harness and not failed


def stop_second_pass(ctx: ScoringContext) -> None:
    """Stop a second pass the decision does not need (a fix that does not merge), and a mutant
    process still waiting for one."""
    for second in ctx.mutation_second_pass:
        second.stop()
    _dismiss_waiting(ctx)


def _skipped(ctx: ScoringContext, tests: ScorerResult | None) -> ScorerResult | None:
    """Why the stage does not run for this patch, or None."""
    if ctx.settings.mutation == "off":
        return ScorerResult.skipped(NAME, "mutation = off")
    if tests is None or tests.status is not ScorerStatus.OK:
        return ScorerResult.skipped(NAME, "the tests scorer did not score")
    if ctx.harness:
        # The mutants run in the patched tree: its harness must be the base's (a harness
        # change is a gate anyway, and a gated fix never gets here from the pipeline).
        return ScorerResult.skipped(
            NAME,
            "the patch changes the test harness ("
            + ", ".join(c.describe() for c in ctx.harness[:3])
            + "): its tests cannot judge mutants",
        )
    return None


def _second_pass(
    ctx: ScoringContext, suite_s: float, jobs: int, stop: Stop | None = None
) -> ScorerResult:
    try:
        return _run(ctx, suite_s, jobs, stop)
    except Exception as exc:
        return ScorerResult.unknown(
            NAME, f"the mutation stage crashed: {type(exc).__name__}: {exc}"
        )


def _run(ctx: ScoringContext, suite_s: float, jobs: int, stop: Stop | None) -> ScorerResult:
    settings = ctx.settings
    mutants, equivalents = _mutants(ctx)
    if not mutants:
        return ScorerResult.skipped(
            NAME,
            "no changed line is executable code inside a function (comments, imports and "
            "module- or class-level code are not mutated)",
        )
    reach = read_reach(ctx.reach_data)
    if reach.engine is None:
        return ScorerResult.skipped(
            NAME, f"which tests run the changed lines is not known: {reach.reason}"
        )
    python = resolve_python(settings.python, ctx.env)
    if python is None:
        return ScorerResult.unknown(NAME, f"python interpreter not found: {settings.python}")
    budget = max(MIN_BUDGET_S, settings.mutation_budget * suite_s)
    deadline = time.time() + budget
    order = _order(ctx, reach)
    groups: list[list[Outcome]] = []
    for (path, line), group in by_line(mutants).items():
        reached = _reached(reach, path, line, group[0].end_line)
        if not reached:
            # No test runs the line: any change of it goes unnoticed; one mutant says so.
            groups.append([Outcome(group[0], [], "survived", note="no test runs this line")])
        else:
            ids = order(reached)
            groups.append([Outcome(m, ids) for m in group])
    selected = round_robin(groups, settings.mutation_max)
    first = ctx.mutation_first_pass[0] if ctx.mutation_first_pass else None
    if first is not None:
        first.carry_into(selected)
    runnable = [o for o in selected if o.status == "out_of_budget" and o.untried]
    workers = [_Worker(str(k), share) for k, share in enumerate(_shares(runnable, reach, jobs))]
    waiting = _waiting(ctx) if runnable else None
    _dismiss_waiting(ctx)
    try:
        if runnable:
            ctx.progress(NAME, f"running {len(runnable)} mutant(s) of the changed lines")
            runner = project_runner(ctx, python)
            with ThreadPoolExecutor(max_workers=len(workers), thread_name_prefix="mutants") as pool:
                futures = [
                    pool.submit(
                        _work,
                        ctx,
                        runner,
                        w,
                        deadline,
                        reach,
                        equivalents,
                        stop,
                        None if k else waiting,
                    )
                    for k, w in enumerate(workers)
                ]
                for future in futures:
                    future.result()
    finally:
        if waiting is not None:
            waiting.session.dismiss()  # unused (the deadline or a stop came first), or done
    return _result(ctx, len(mutants), selected, workers, reach, budget, suite_s, first)


@dataclass
class FirstPass:
    """What the patch's own tests did to the mutants, beside the suite."""

    outcomes: dict[str, Outcome]
    """Mutant key → its outcome there (killed, survived those tests, or not decided)."""
    worker: _Worker
    """The pass's process count, control and errors."""
    duration_s: float
    """Wall time of the pass."""
    settled: bool = False
    """It killed every mutant the second pass would select: that pass has nothing to run."""

    def carry_into(self, selected: list[Outcome]) -> None:
        """A kill stands; a mutant that survived the patch's tests keeps only the other tests
        that run its line, and survives if there are none; the rest run as if new."""
        for outcome in selected:
            early = self.outcomes.get(outcome.mutant.key)
            if early is None or not outcome.tests:
                continue
            if early.killed:
                outcome.status, outcome.by, outcome.note = early.status, early.by, early.note
            elif early.status == "survived":
                outcome.tried = tuple(early.tests)
                if not outcome.untried:
                    outcome.status = "survived"

    def to_dict(self) -> dict[str, Any]:
        decided = [o for o in self.outcomes.values() if o.status != "out_of_budget"]
        return {
            "mutants": len(self.outcomes),
            "killed": sum(1 for o in decided if o.killed),
            "survived": sum(1 for o in decided if o.status == "survived"),
            "processes": self.worker.processes,
            "duration_s": round(self.duration_s, 3),
            "errors": list(self.worker.errors),
        }


def first_pass_jobs(
    ctx: ScoringContext,
    runner: TestRunner,
    proof: TestRun | None,
    suite: Callable[[], TestRun | None] = lambda: None,
    failing: Callable[[], bool] = lambda: False,
) -> list[Job]:
    """The sessions the mutation stage queues beside the suite: once the proof run is in, the
    first pass, then a mutant process that waits for the second pass (:class:`WaitingMutants`)
    when mutants are left for it; without a proof run (``proof`` None), only that process.
    None when the stage is off, the patch changes the harness, or the patch's own tests did not
    all pass on the patched tree (such a fix does not merge; the pass would be wasted); none
    starts once the suite failed a test (``failing()``, as it runs) or, for the waiting process,
    once the suite (``suite()``) is in at all."""
    if not _early(ctx, proof):
        return []
    wait = _waiting_job(ctx, runner, suite, failing)
    if proof is None:
        return [wait]
    if TestStatus.PASSED not in proof.outcomes.values():
        return []

    def job() -> list[Job]:
        if failing() or not _early(ctx, suite()):
            return []
        start = time.monotonic()
        found = _first_pass(ctx, runner, proof)
        if found is not None:
            found.duration_s = time.monotonic() - start
            ctx.mutation_first_pass.append(found)
            ctx.timings.add(f"{NAME}:first-pass", found.duration_s)
        return [] if found is not None and found.settled else [wait]

    return [(ctx.patched, job)]


def _waiting_job(
    ctx: ScoringContext,
    runner: TestRunner,
    suite: Callable[[], TestRun | None],
    failing: Callable[[], bool],
) -> Job:
    def job() -> list[Job]:
        if suite() is not None or failing() or not _mutants(ctx)[0]:
            return []  # the second pass starts its own processes now, or has nothing to do
        folder = ctx.scratch / NAME
        folder.mkdir(exist_ok=True)
        plan = folder / f"plan-waiting-{next(_passes)}.json"
        session = runner.standby(ctx.patched, "mutants-collect", "mutants-waiting", [_switch(plan)])
        ctx.mutation_waiting.append(WaitingMutants(session, plan))
        session.collected()  # the worker starts nothing else while it collects
        return []

    return ctx.patched, job


def _first_pass(ctx: ScoringContext, runner: TestRunner, proof: TestRun) -> FirstPass | None:
    mutants, equivalents = _mutants(ctx)
    reach = read_reach(recorded_reach(proof))
    if not mutants or reach.engine is None:
        return None
    order = _order(ctx, reach)
    # The same mutants the second pass will select (it keeps one per line no test runs).
    chosen = round_robin(list(by_line(mutants).values()), ctx.settings.mutation_max)
    outcomes = [
        Outcome(m, order(reached))
        for m in chosen
        if (reached := _reached(reach, m.path, m.line, m.end_line))
    ]
    if not outcomes:
        return None
    ctx.progress(NAME, f"running {len(outcomes)} mutant(s) against the patch's own tests")
    worker = _Worker("first", outcomes)
    _work(ctx, runner, worker, time.time() + MIN_BUDGET_S, reach, equivalents)
    settled = len(outcomes) == len(chosen) and all(o.killed for o in outcomes)
    return FirstPass({o.mutant.key: o for o in outcomes}, worker, 0.0, settled)


def _order(ctx: ScoringContext, reach: Reach) -> Callable[[frozenset[str]], list[str]]:
    own = set(ctx.patch.test_files)

    def order(ids: frozenset[str]) -> list[str]:
        """The patch's own tests first (most likely to kill), then the quickest."""
        return sorted(
            ids,
            key=lambda n: (n.split("::", 1)[0] not in own, reach.durations.get(n, 0.0), n),
        )

    return order


def _reached(reach: Reach, path: str, line: int, end_line: int) -> frozenset[str]:
    """The tests that run any line of ``line``..``end_line`` of ``path``."""
    return frozenset().union(
        *(reach.tests.get((path, n), frozenset()) for n in range(line, end_line + 1))
    )


def _shares(runnable: list[Outcome], reach: Reach, jobs: int) -> list[list[Outcome]]:
    """The mutants split over at most ``jobs`` processes; one process when all their tests
    together would not outlast another process's start-up."""
    work = sum(reach.durations.get(t, 0.0) for o in runnable for t in o.untried)
    count = max(1, min(jobs, len(runnable)))
    if work < START_S:
        count = 1
    return [runnable[k::count] for k in range(count)]


def _mutants(ctx: ScoringContext) -> tuple[list[Mutant], dict[str, list[Edit]]]:
    """Every mutant of the changed lines that compiles, changes some function's code and keeps
    its closure's shape (so its code can be swapped into the live function); and per file the
    equivalent edits the control swaps in (see :func:`equivalent_edits`)."""
    # The plugin module imports pytest: only a decision that makes mutants pays for it.
    from .switch_plugin import compile_file

    found: list[Mutant] = []
    equivalents: dict[str, list[Edit]] = {}
    for path, lines in changed_lines(ctx).items():
        target = ctx.patched / path
        try:
            source = target.read_bytes()
        except OSError:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                original = compile_file(source, str(target))
            except (SyntaxError, ValueError):
                continue
            for mutant in generate(source, path, lines):
                if _swappable(original, mutant.apply(source), str(target)):
                    found.append(mutant)
            chosen: list[Edit] = []
            for candidates in equivalent_edits(source, lines).values():
                for start, end, text in candidates:
                    edited = source[:start] + text.encode("utf-8") + source[end:]
                    apart = all(end <= a or start >= b for a, b, _ in chosen)
                    if apart and _swappable(original, edited, str(target)):
                        chosen.append((start, end, text))
                        break
            if chosen:
                equivalents[path] = chosen
    return found, equivalents


def _swappable(original: CodeType, source: bytes, filename: str) -> bool:
    """``source`` compiles to different code of some function, with its closure's shape."""
    from .switch_plugin import changed_functions, compile_file

    try:
        changed = compile_file(source, filename)
    except (SyntaxError, ValueError):
        return False
    pairs = changed_functions(original, changed)
    return bool(pairs) and all(a.co_freevars == b.co_freevars for a, b in pairs)


def _work(
    ctx: ScoringContext,
    runner: TestRunner,
    worker: _Worker,
    deadline: float,
    reach: Reach,
    equivalents: dict[str, list[Edit]],
    stop: Stop | None = None,
    waiting: WaitingMutants | None = None,
) -> None:
    """Run the worker's mutants, starting a new process only when one was killed mid-way, until
    the deadline or ``stop``; the first in the ``waiting`` one, when it is given."""
    by_id = {f"m{n}": o for n, o in enumerate(worker.outcomes)}
    pending = list(by_id)
    folder = ctx.scratch / NAME
    folder.mkdir(exist_ok=True)
    while pending and worker.processes <= RESTARTS and time.time() < deadline:
        if stop is not None and stop.event.is_set():
            return
        worker.processes += 1
        plan = waiting.plan if waiting else folder / f"plan-{worker.name}-{worker.processes}.json"
        tests = sorted({t for i in pending for t in by_id[i].untried})
        plan.write_text(
            json.dumps(
                {
                    "deadline": deadline,
                    "stop": str(stop.file) if stop is not None else None,
                    "timeout_factor": TIMEOUT_FACTOR,
                    "min_timeout": MIN_TEST_TIMEOUT_S,
                    "first_timeout": ctx.settings.test_timeout,
                    "equivalent": {
                        str(ctx.patched / path): edits for path, edits in equivalents.items()
                    },
                    "mutants": [
                        {
                            "id": i,
                            "file": str(ctx.patched / by_id[i].mutant.path),
                            "start": by_id[i].mutant.start,
                            "end": by_id[i].mutant.end,
                            "replacement": by_id[i].mutant.mutated,
                            "tests": by_id[i].untried,
                        }
                        for i in pending
                    ],
                }
            ),
            encoding="utf-8",
        )
        control = 2 * sum(reach.durations.get(t, MIN_TEST_TIMEOUT_S) for t in tests)
        hard = min(ctx.settings.test_timeout, max(0.0, deadline - time.time()) + control + GRACE_S)
        files = sorted(
            {t.split("::", 1)[0] for t in tests if (ctx.patched / t.split("::", 1)[0]).is_file()}
        )
        run = waiting.session.run(tests, hard) if waiting is not None else None
        waiting = None
        if run is None:
            run = runner.run(
                ctx.patched,
                files,
                label=f"mutants-{worker.name}",
                plugins=[_switch(plan)],
                timeout=hard,
                retry=False,
            )
        records = _records(run.plugin_outputs.get(SWITCH_MODULE))
        running: str | None = None
        controlled = False
        for record in records:
            if record.get("control"):
                controlled = True
                worker.control_failing.update(map(str, record.get("failing") or ()))
                worker.equivalent = max(worker.equivalent, int(record.get("equivalent") or 0))
            elif record.get("error"):
                worker.errors.append(str(record["error"]))
            elif record.get("id") in pending:
                mutant_id = str(record["id"])
                if record.get("status") == "started":
                    running = mutant_id
                    continue
                outcome = by_id[mutant_id]
                outcome.status = str(record.get("status"))
                outcome.by = record.get("by")
                outcome.note = record.get("note")
                pending.remove(mutant_id)
                running = None
        if not controlled:
            last = (run.output_tail.strip().splitlines() or ["no output"])[-1]
            worker.errors.append(f"the mutant runner did not start: {last}")
            return
        if running is not None:
            # The process was killed (or died) while this mutant ran: its test hung or crashed.
            hung = by_id[running]
            hung.status = "timeout" if run.timed_out else "killed"
            hung.by = None  # which of its tests hung is not known
            hung.note = "the test process " + ("hung and was killed" if run.timed_out else "died")
            pending.remove(running)
        if worker.errors:
            return


def _switch(plan: Path) -> Plugin:
    """The switch plugin, told to run ``plan``."""
    return Plugin(
        SWITCH_MODULE,
        Path(__file__).with_name("switch_plugin.py"),
        {"ERROR_FIX_MUTANTS": str(plan)},
        output="ERROR_FIX_MUTANTS_OUT",
    )


def _records(path: Path | None) -> list[dict[str, Any]]:
    if path is None:
        return []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return []
    records = []
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            continue  # the last line of a killed process may be cut
        if isinstance(record, dict):
            records.append(record)
    return records


def _result(
    ctx: ScoringContext,
    generated: int,
    selected: list[Outcome],
    workers: list[_Worker],
    reach: Reach,
    budget: float,
    suite_s: float,
    first: FirstPass | None = None,
) -> ScorerResult:
    errors = [e for w in workers for e in w.errors]
    # The first pass's errors only sent its mutants to the second pass.
    every = [*workers, first.worker] if first is not None else workers
    killed = [o for o in selected if o.killed]
    survived = [o for o in selected if o.status == "survived"]
    unusable = [o for o in selected if o.status == "unusable"]
    out_of_budget = [o for o in selected if o.status == "out_of_budget"]
    ran = [o for o in selected if o.killed or (o.status == "survived" and o.tests)]
    control_failing = sorted({t for w in every for t in w.control_failing})
    details: dict[str, Any] = {
        "generated": generated,
        "selected": len(selected),
        "run": len(ran),
        "killed": len(killed),
        "timed_out": sum(1 for o in killed if o.status == "timeout"),
        "survived": len(survived),
        "out_of_budget": len(out_of_budget) + generated - len(selected),
        "over_max": generated - len(selected),
        "unusable": len(unusable),
        "survivors": [
            o.to_dict() for o in sorted(survived, key=lambda o: (o.mutant.path, o.mutant.line))
        ],
        "mutants": [o.to_dict() for o in selected],
        "control_failing": control_failing,
        "control_equivalent": sum(w.equivalent for w in every),
        "budget_s": round(budget, 3),
        "suite_s": round(suite_s, 3),
        "reach": reach.engine,
        "processes": sum(w.processes for w in every),
        "first_pass": first.to_dict() if first is not None else None,
    }
    if errors and not killed and not survived:
        return ScorerResult.unknown(
            NAME, f"the mutants could not be run: {errors[0]}", details=details
        )
    findings = tuple(
        Finding(
            o.mutant.path,
            o.mutant.line,
            RULE,
            o.mutant.described() + (f"; {o.note}" if o.note else ""),
            "warning",
        )
        for o in sorted(survived, key=lambda o: (o.mutant.path, o.mutant.line, o.mutant.start))
    )
    decided = len(killed) + len(survived)
    parts = [f"{len(killed)} killed", f"{len(survived)} survived"]
    if details["out_of_budget"]:
        parts.append(f"{details['out_of_budget']} out of budget")
    if unusable:
        parts.append(f"{len(unusable)} could not be switched in")
    summary = f"{generated} mutant(s) of the changed lines: " + ", ".join(parts)
    return ScorerResult(
        NAME,
        ScorerStatus.OK,
        round(len(killed) / decided, 4) if decided else 1.0,
        findings=findings,
        reason=summary,
        details=details,
    )
