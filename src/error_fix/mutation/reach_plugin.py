"""A pytest plugin recording which tests reach the lines a patch changed (``-p error_fix_reach``).

It is copied, alone, beside the probe into the patched test runs, so it must not import error_fix
and must run on any Python the project uses. ``ERROR_FIX_REACH`` holds JSON
``[{"file": absolute path, "path": tree-relative path, "lines": [changed lines]}]``; it writes
``ERROR_FIX_REACH_OUT`` (``<that>.<worker>`` from a pytest-xdist worker):
``{"engine", "reason", "reach": {path: {line: [test ids]}}, "durations": {test id: seconds}}``.

Only the changed files are watched, and the run stays as fast as without it:

- Python ≥ 3.12: ``sys.monitoring`` under a tool id of its own. A function's first start in a
  changed file turns on line events for that function alone; a line event on an unchanged line
  is switched off for good, one on a changed line is recorded for the running test. Every other
  function runs untouched.
- Older Pythons have only trace functions, and one in Python slows every call of the process
  several-fold. There the probe's coverage.py already traces the changed files with its C
  tracer, so this plugin traces nothing itself: between tests it takes the lines coverage's
  tracer collected for the changed files out of the tracer's own sets (the lines of that test),
  and puts them all back before coverage saves. (coverage.py's public way, a dynamic context per
  test, writes its database at every switch: a quarter more time on a suite of many small
  tests.) Without coverage.py running it records nothing and says why.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

import pytest

_files: dict[str, tuple[str, frozenset[int]]] = {}
_reach: dict[str, dict[int, set[str]]] = {}
_durations: dict[str, float] = {}
_current: str | None = None
_engine: str | None = None
_reason: str | None = None
_coverage: Any = None


def _load() -> None:
    for entry in json.loads(os.environ.get("ERROR_FIX_REACH") or "[]"):
        real = os.path.realpath(entry["file"])
        _files[real] = (entry["path"], frozenset(int(n) for n in entry["lines"]))


def _monitoring() -> str | None:
    """Start the sys.monitoring recorder; why not, when it cannot."""
    monitoring = sys.monitoring  # type: ignore[attr-defined]
    tool = next((t for t in (3, 4, 2, 5) if monitoring.get_tool(t) is None), None)
    if tool is None:
        return "every sys.monitoring tool id is taken"
    monitoring.use_tool_id(tool, "error-fix reach")
    events = monitoring.events
    by_name: dict[str, tuple[str, frozenset[int]] | None] = {}

    def watched(filename: str) -> tuple[str, frozenset[int]] | None:
        if filename not in by_name:
            by_name[filename] = _files.get(os.path.realpath(filename))
        return by_name[filename]

    def on_start(code: Any, offset: int) -> Any:
        if watched(code.co_filename) is not None:
            monitoring.set_local_events(tool, code, events.LINE)
        return monitoring.DISABLE

    def on_line(code: Any, line: int) -> Any:
        entry = watched(code.co_filename)
        if entry is None or line not in entry[1]:
            return monitoring.DISABLE
        if _current is not None:
            _reach.setdefault(entry[0], {}).setdefault(line, set()).add(_current)
        return None

    monitoring.register_callback(tool, events.PY_START, on_start)
    monitoring.register_callback(tool, events.LINE, on_line)
    monitoring.set_events(tool, events.PY_START)
    return None


def _coverage_sets() -> str | None:
    """Find the running coverage.py's line sets; why not, when it cannot."""
    global _coverage
    try:
        import coverage

        running = coverage.Coverage.current()
    except (ImportError, AttributeError):
        running = None
    if running is None:
        return "no coverage.py runs in the test process to tell which test runs which line"
    collector = getattr(running, "_collector", None)
    if not isinstance(getattr(collector, "data", None), dict):
        return "this coverage.py keeps its line data where error-fix cannot read it"
    _coverage = collector
    return None


_kept: dict[str, set[Any]] = {}
_names: dict[str, tuple[str, frozenset[int]] | None] = {}


def _drain() -> dict[str, set[Any]]:
    """The lines coverage collected for the changed files since the last drain, taken out of
    its sets (and kept, to be put back at the end)."""
    data: dict[str, set[Any]] = _coverage.data
    lock = getattr(_coverage, "data_lock", None)
    taken: dict[str, set[Any]] = {}
    if lock is not None:
        lock.acquire()
    try:
        for name, lines in list(data.items()):
            if name not in _names:
                _names[name] = _files.get(os.path.realpath(name))
            if _names[name] is None or not isinstance(lines, set) or not lines:
                continue
            taken[name] = set(lines)
            _kept.setdefault(name, set()).update(lines)
            lines.clear()
    finally:
        if lock is not None:
            lock.release()
    return taken


def _put_back() -> None:
    data: dict[str, set[Any]] = _coverage.data
    for name, lines in _kept.items():
        data.setdefault(name, set()).update(lines)
    _kept.clear()


def _start() -> None:
    global _engine, _reason
    if not os.environ.get("ERROR_FIX_REACH_OUT"):
        return
    _load()
    if not _files:
        return
    if sys.version_info >= (3, 12):
        _reason = _monitoring()
        _engine = None if _reason else "sys.monitoring"
    else:
        _reason = _coverage_sets()
        _engine = None if _reason else "coverage's line sets"


_start()


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_protocol(item: Any, nextitem: Any) -> Any:
    global _current
    _current = item.nodeid
    if _coverage is not None:
        _drain()  # what ran before this test (imports, other tests' leftovers) is not its
    start = time.monotonic()
    try:
        yield
    finally:
        _durations[item.nodeid] = time.monotonic() - start
        if _coverage is not None:
            for name, lines in _drain().items():
                path, changed = _names[name] or ("", frozenset())
                for line in lines:
                    if line in changed:
                        _reach.setdefault(path, {}).setdefault(line, set()).add(item.nodeid)
        _current = None


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: Any) -> None:
    out = os.environ.get("ERROR_FIX_REACH_OUT")
    if not out or not _files:
        return
    if _coverage is not None:
        _put_back()  # before the probe stops and saves coverage
    worker = getattr(session.config, "workerinput", None)
    if worker is not None:
        out = f"{out}.{worker.get('workerid', 'worker')}"
    reached = {t for lines in _reach.values() for tests in lines.values() for t in tests}
    with open(out, "w", encoding="utf-8") as fh:  # noqa: PTH123 - runs on old Pythons too
        json.dump(
            {
                "engine": _engine,
                "reason": _reason,
                "reach": {
                    path: {str(line): sorted(tests) for line, tests in lines.items()}
                    for path, lines in _reach.items()
                },
                "durations": {t: round(s, 4) for t, s in _durations.items() if t in reached},
            },
            fh,
        )
