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
  tracer, so this plugin records nothing itself: it labels coverage's data with the running test
  (a dynamic context) and reads the changed lines per test from it at the end. Without coverage.py
  running it records nothing and says why.
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


def _coverage_contexts() -> str | None:
    """Label the running coverage.py's data with each test; why not, when it cannot."""
    global _coverage
    try:
        import coverage

        _coverage = coverage.Coverage.current()
    except (ImportError, AttributeError):
        _coverage = None
    if _coverage is None:
        return "no coverage.py runs in the test process to tell which test runs which line"
    return None


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
        _reason = _coverage_contexts()
        _engine = None if _reason else "coverage contexts"


_start()


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_protocol(item: Any, nextitem: Any) -> Any:
    global _current
    _current = item.nodeid
    switched = _switch(item.nodeid)
    start = time.monotonic()
    try:
        yield
    finally:
        _durations[item.nodeid] = time.monotonic() - start
        if switched:
            _switch("")
        _current = None


def _switch(context: str) -> bool:
    if _coverage is None:
        return False
    try:
        _coverage.switch_context(context)
    except Exception:  # coverage paused for this test, or too old to switch
        return False
    return True


def _from_coverage() -> None:
    """The changed lines per test, from coverage's contexts."""
    try:
        data = _coverage.get_data()
        measured = {os.path.realpath(f): f for f in data.measured_files()}
        for real, (path, lines) in _files.items():
            name = measured.get(real)
            if name is None:
                continue
            for line, contexts in data.contexts_by_lineno(name).items():
                if line in lines:
                    tests = {c for c in contexts if c}
                    if tests:
                        _reach.setdefault(path, {}).setdefault(line, set()).update(tests)
    except Exception as exc:  # an old coverage.py without contexts
        global _engine, _reason
        _engine, _reason = None, f"coverage.py could not tell the lines per test: {exc}"


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: Any) -> None:
    out = os.environ.get("ERROR_FIX_REACH_OUT")
    if not out or not _files:
        return
    if _engine == "coverage contexts":
        _from_coverage()  # before the probe stops coverage
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
