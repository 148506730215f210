"""A pytest plugin that runs many mutants in one test process (``-p error_fix_mutants``).

It is copied, alone, beside the probe, so it must not import error_fix and must run on any Python
the project uses. ``ERROR_FIX_MUTANTS`` names a JSON plan; ``ERROR_FIX_MUTANTS_OUT`` the file it
appends one JSON line to per step, flushed at once, so a process killed in the middle still tells
what it finished and which mutant it was running.

After collection the plugin takes over the test loop. It switches a mutant in by compiling the
mutated file in memory and swapping the ``__code__`` of the live functions whose code changed
(the mutated function and the functions enclosing it, whose constants hold it); nothing is
written to disk. First a control: every planned test runs once with *equivalent* code swapped in
(the plan's edits of the changed lines that keep what the code does; a fresh compile of the file
where there is none), which measures each test here and finds the tests that fail without any
change of behaviour (they cannot kill anything): those that notice the swap itself, say by
comparing the code with what its file compiles to. Then each mutant runs its tests, the
first failure (or error, or timeout) killing it; fixtures are torn down between mutants. A test
that hangs is stopped by an alarm at its timeout, and the mutant counts as killed.
"""

from __future__ import annotations

import gc
import json
import os
import signal
import time
import types
from typing import Any

import pytest

CodeKey = tuple[str, int]
"""(co_name, co_firstlineno): a function's code within its file."""


class MutantTimeout(BaseException):
    """Raised by the alarm in a test that ran past its timeout (not an Exception, so a test's
    ``except Exception`` does not swallow it)."""


def code_key(code: types.CodeType) -> CodeKey:
    return (code.co_name, code.co_firstlineno)


def changed_functions(
    original: types.CodeType, mutated: types.CodeType
) -> list[tuple[types.CodeType, types.CodeType]]:
    """(original, mutated) pairs of the function code objects that differ between two compiles
    of one file, innermost last: the mutated function and every function enclosing it. Class
    bodies and the module itself are not functions and are left out."""
    pairs: list[tuple[types.CodeType, types.CodeType]] = []

    def walk(before: types.CodeType, after: types.CodeType, in_function: bool) -> None:
        if before == after:
            return
        if in_function:
            pairs.append((before, after))
        inner = {code_key(c): c for c in after.co_consts if isinstance(c, types.CodeType)}
        for const in before.co_consts:
            if isinstance(const, types.CodeType) and code_key(const) in inner:
                is_function = bool(const.co_flags & 0x02)  # CO_NEWLOCALS: a function's frame
                walk(const, inner[code_key(const)], is_function)

    walk(original, mutated, False)
    return pairs


def compile_file(source: bytes, filename: str) -> types.CodeType:
    return compile(source, filename, "exec", dont_inherit=True)


class _Switch:
    """Puts code objects into live functions and takes them out again."""

    def __init__(self) -> None:
        self._live: dict[tuple[str, CodeKey], list[types.FunctionType]] = {}

    def scan(self, files: set[str]) -> None:
        """Index the live functions of ``files`` (real paths) by file and code key (after
        collection imported them). Each file name is resolved once: with a whole suite
        collected there are tens of thousands of functions, and a realpath each made a scan
        cost a tenth of a second."""
        live: dict[tuple[str, CodeKey], list[types.FunctionType]] = {}
        resolved: dict[str, str | None] = {}
        for obj in gc.get_objects():
            if isinstance(obj, types.FunctionType):
                code = obj.__code__
                name = code.co_filename
                if name not in resolved:
                    real = os.path.realpath(name)
                    resolved[name] = real if real in files else None
                path = resolved[name]
                if path is not None:
                    live.setdefault((path, code_key(code)), []).append(obj)
        self._live = live

    def functions(self, filename: str, code: types.CodeType) -> list[types.FunctionType]:
        return self._live.get((filename, code_key(code)), [])

    def swap(
        self, filename: str, pairs: list[tuple[types.CodeType, types.CodeType]]
    ) -> list[tuple[types.FunctionType, types.CodeType]]:
        """Swap ``pairs`` in; returns what to put back. Raises ValueError (nothing swapped) when
        no live function holds the mutated code or the loaded code is not the file's."""
        if not any(self.functions(filename, before) for before, _ in pairs):
            raise ValueError("no loaded function holds this code (its module was not imported)")
        undo: list[tuple[types.FunctionType, types.CodeType]] = []
        try:
            for before, after in pairs:
                for function in self.functions(filename, before):
                    if function.__code__ != before:
                        raise ValueError(
                            f"{before.co_name} as loaded is not what its file compiles to "
                            "(an import hook rewrote it)"
                        )
                    old = function.__code__
                    function.__code__ = after
                    undo.append((function, old))
        except ValueError:
            restore(undo)
            raise
        return undo


def restore(undo: list[tuple[types.FunctionType, types.CodeType]]) -> None:
    for function, code in reversed(undo):
        function.__code__ = code


class _Runner:
    """Runs one test item again and again, with an alarm for a test that hangs."""

    def __init__(self, session: Any) -> None:
        from _pytest.runner import runtestprotocol

        self.session = session
        self._protocol = runtestprotocol
        self.fired = False

    def run(self, item: Any, nextitem: Any, timeout: float) -> tuple[str, float]:
        """("passed" | "failed" | "timeout", seconds)."""
        self.fired = False

        def alarm(signum: int, frame: Any) -> None:
            self.fired = True
            raise MutantTimeout(f"error-fix: the test ran past its {timeout:.1f}s timeout")

        previous = signal.signal(signal.SIGALRM, alarm)
        signal.setitimer(signal.ITIMER_REAL, max(timeout, 0.01))
        start = time.monotonic()
        try:
            reports = self._protocol(item, log=False, nextitem=nextitem)
            failed = any(report.failed for report in reports)
        except MutantTimeout:
            failed = True
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
        seconds = time.monotonic() - start
        if self.fired:
            self.teardown()
            return "timeout", seconds
        return ("failed" if failed else "passed"), seconds

    def teardown(self) -> None:
        """Tear every fixture down (between mutants, or after a mutant stopped early)."""
        state: Any = getattr(self.session, "_setupstate", None)
        try:
            if hasattr(state, "teardown_exact"):
                state.teardown_exact(None)
            elif hasattr(state, "teardown_all"):
                state.teardown_all()
        except BaseException:  # noqa: S110 - a fixture that cannot tear down under a mutant
            pass


class _Log:
    def __init__(self, path: str) -> None:
        self._fh = open(path, "a", encoding="utf-8")  # noqa: PTH123, SIM115 - old Pythons too

    def write(self, record: dict[str, Any]) -> None:
        self._fh.write(json.dumps(record) + "\n")
        self._fh.flush()


def _plan() -> dict[str, Any] | None:
    path = os.environ.get("ERROR_FIX_MUTANTS")
    if not path or not os.path.exists(path):  # noqa: PTH110 - a waiting process sent away unused
        return None
    with open(path, encoding="utf-8") as fh:  # noqa: PTH123
        plan: dict[str, Any] = json.load(fh)
    return plan


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: Any) -> None:
    # One process runs the mutants; a pytest-xdist -n in the test command must not spread them.
    if hasattr(config.option, "dist"):
        config.option.dist = "no"
    if hasattr(config.option, "numprocesses"):
        config.option.numprocesses = None


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: Any) -> Any:
    plan = _plan()
    out = os.environ.get("ERROR_FIX_MUTANTS_OUT")
    if plan is None or not out:
        return None
    log = _Log(out)
    try:
        _loop(session, plan, log)
    except Exception as exc:  # tell the parent rather than die silently
        log.write({"error": f"{type(exc).__name__}: {exc}"})
    return True


def _ordered(items: list[Any], wanted: list[str]) -> list[Any]:
    by_id = {item.nodeid: item for item in items}
    return [by_id[n] for n in wanted if n in by_id]


def _run_tests(
    runner: _Runner, items: list[Any], timeouts: dict[str, float], default: float
) -> tuple[str, str | None]:
    """Run ``items`` until one fails: ("killed" | "timeout" | "survived", the test)."""
    for index, item in enumerate(items):
        nextitem = items[index + 1] if index + 1 < len(items) else None
        outcome, _ = runner.run(item, nextitem, timeouts.get(item.nodeid, default))
        if outcome != "passed":
            if nextitem is not None:
                runner.teardown()
            return ("timeout" if outcome == "timeout" else "killed"), item.nodeid
    return "survived", None


def _loop(session: Any, plan: dict[str, Any], log: _Log) -> None:
    runner = _Runner(session)
    switch = _Switch()
    files = {os.path.realpath(m["file"]) for m in plan["mutants"]}
    switch.scan(files)
    sources: dict[str, tuple[bytes, types.CodeType]] = {}
    for filename in {m["file"] for m in plan["mutants"]}:
        with open(filename, "rb") as fh:  # noqa: PTH123
            data = fh.read()
        sources[filename] = (data, compile_file(data, filename))

    def pairs_of(mutant: dict[str, Any]) -> list[tuple[types.CodeType, types.CodeType]]:
        data, original = sources[mutant["file"]]
        mutated_source = (
            data[: mutant["start"]] + mutant["replacement"].encode("utf-8") + data[mutant["end"] :]
        )
        return changed_functions(original, compile_file(mutated_source, mutant["file"]))

    factor = float(plan.get("timeout_factor", 10.0))
    floor = float(plan.get("min_timeout", 1.0))
    first_timeout = float(plan.get("first_timeout", 60.0))

    # The control: every planned test once, with code swapped in that does what the loaded code
    # does: an equivalent edit of the changed lines where there is one, else a fresh compile.
    wanted = list(dict.fromkeys(n for m in plan["mutants"] for n in m["tests"]))
    items = _ordered(session.items, wanted)
    undo: list[tuple[types.FunctionType, types.CodeType]] = []
    equivalent = 0
    for filename, (data, original) in sources.items():
        fresh = compile_file(data, filename)
        same = _equivalent(original, data, filename, plan.get("equivalent", {}).get(filename))
        for mutant in plan["mutants"]:
            if mutant["file"] != filename:
                continue
            for before, _ in pairs_of(mutant):
                twin = same.get(code_key(before)) or _find(fresh, before)
                if twin is not None:
                    for function in switch.functions(filename, before):
                        if function.__code__ == before and function.__code__ is not twin:
                            undo.append((function, function.__code__))
                            function.__code__ = twin
                            equivalent += code_key(before) in same
    durations: dict[str, float] = {}
    failing: list[str] = []
    try:
        for index, item in enumerate(items):
            nextitem = items[index + 1] if index + 1 < len(items) else None
            outcome, seconds = runner.run(item, nextitem, first_timeout)
            durations[item.nodeid] = seconds
            if outcome != "passed":
                failing.append(item.nodeid)
                if nextitem is not None:
                    runner.teardown()
    finally:
        restore(undo)
    log.write(
        {
            "control": True,
            "failing": failing,
            "durations": durations,
            "swapped": len(undo),
            "equivalent": equivalent,
        }
    )
    switch.scan(files)  # modules the tests imported lazily are loaded now

    deadline = float(plan.get("deadline", 0.0)) or None
    stop = str(plan.get("stop") or "")
    for mutant in plan["mutants"]:
        stopped = bool(stop) and os.path.exists(stop)  # noqa: PTH110
        if stopped or (deadline is not None and time.time() >= deadline):
            log.write({"id": mutant["id"], "status": "out_of_budget"})
            continue
        tests = [n for n in mutant["tests"] if n not in failing]
        mine = _ordered(session.items, tests)
        if not mine:
            log.write({"id": mutant["id"], "status": "survived", "note": "no usable test"})
            continue
        try:
            swapped = switch.swap(mutant["file"], pairs_of(mutant))
        except (ValueError, SyntaxError) as exc:
            log.write({"id": mutant["id"], "status": "unusable", "note": str(exc)})
            continue
        log.write({"id": mutant["id"], "status": "started"})
        start = time.monotonic()
        timeouts = {n: max(floor, factor * durations.get(n, floor)) for n in tests}
        try:
            status, by = _run_tests(runner, mine, timeouts, floor)
        finally:
            restore(swapped)
        log.write(
            {
                "id": mutant["id"],
                "status": status,
                "by": by,
                "seconds": round(time.monotonic() - start, 4),
            }
        )


def _equivalent(
    original: types.CodeType, data: bytes, filename: str, edits: list[list[Any]] | None
) -> dict[CodeKey, types.CodeType]:
    """Code key → the function's code with the equivalent edits in (none when they do not
    compile here)."""
    if not edits:
        return {}
    for start, end, text in sorted(edits, reverse=True):
        data = data[:start] + str(text).encode("utf-8") + data[end:]
    try:
        edited = compile_file(data, filename)
    except (SyntaxError, ValueError):
        return {}
    return {
        code_key(before): after
        for before, after in changed_functions(original, edited)
        if before.co_freevars == after.co_freevars
    }


def _find(code: types.CodeType, wanted: types.CodeType) -> types.CodeType | None:
    """The code object in ``code``'s tree with ``wanted``'s key."""
    if code_key(code) == code_key(wanted) and code.co_name != "<module>":
        return code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            found = _find(const, wanted)
            if found is not None:
                return found
    return None
