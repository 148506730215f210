"""A pytest plugin recording which tests reach the lines a patch changed (``-p error_fix_reach``).

It is copied beside the probe into the patched test runs and loaded after it (it uses the probe's
finder), so it must not import error_fix and must run on any Python the project uses.
``ERROR_FIX_REACH`` holds JSON
``[{"file": absolute path, "path": tree-relative path, "lines": [changed lines]}]``; it writes
``ERROR_FIX_REACH_OUT`` (``<that>.<worker>`` from a pytest-xdist worker):
``{"engine", "reason", "reach": {path: {line: [test ids]}}, "durations": {test id: seconds}}``.

Only the changed files are watched, and the run stays as fast as without it:

- Python ≥ 3.12: ``sys.monitoring`` under a tool id of its own. A function's first start in a
  changed file turns on line events for that function alone; a line event on an unchanged line
  is switched off for good, one on a changed line is recorded for the running test. Every other
  function runs untouched.
- Older Pythons have only trace functions, and one slows every call of the process several-fold.
  There a changed file is loaded through a loader of this plugin's that compiles it with one
  marker call before each statement of a function that holds changed lines: the call adds the
  statement's lines to a set, which is read and emptied between tests. The markers carry the
  statement's own line, so tracebacks, coverage and line numbers are those of the file, and the
  loader writes no bytecode cache. The probe's slipcover instruments the marked code as usual.
"""

from __future__ import annotations

import ast
import builtins
import json
import os
import sys
import time
from importlib.machinery import SourceFileLoader
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from error_fix.pytest_probe import AskingFinder
else:
    from error_fix_probe import AskingFinder  # the probe, copied beside it and loaded before it

MARKER = "__error_fix_reach__"
"""The builtin name a marker calls: the recording set's ``update``."""

_files: dict[str, tuple[str, frozenset[int]]] = {}
_reach: dict[str, dict[int, set[str]]] = {}
_durations: dict[str, float] = {}
_current: str | None = None
_engine: str | None = None
_reason: str | None = None
_points: list[tuple[str, int]] = []
"""Marker argument → (path, line): what the markers' numbers stand for."""
_hits: set[int] = set()
_marked: set[str] = set()
"""The changed files loaded with markers."""


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


# --- markers (Python <= 3.11) ------------------------------------------------------------------

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


def _lines(stmt: ast.stmt) -> range:
    """The lines ``stmt`` spans, its decorators included."""
    decorators: list[ast.expr] = getattr(stmt, "decorator_list", None) or []
    first = min([stmt.lineno, *(d.lineno for d in decorators)])
    return range(first, (stmt.end_lineno or stmt.lineno) + 1)


def _bodies(stmt: ast.stmt) -> list[list[ast.stmt]]:
    """The statement lists nested directly in ``stmt``."""
    found: list[list[ast.stmt]] = []
    for name in ("body", "orelse", "finalbody"):
        value = getattr(stmt, name, None)
        if isinstance(value, list) and value and isinstance(value[0], ast.stmt):
            found.append(value)
    for handler in getattr(stmt, "handlers", None) or []:
        found.append(handler.body)
    for case in getattr(stmt, "cases", None) or []:
        found.append(case.body)
    return found


def _runs_no_code(stmt: ast.stmt, position: int) -> bool:
    """A declaration, a bare annotation or a docstring: nothing to mark (a marker would make a
    line of it run, and a marker before a docstring would unmake the docstring)."""
    if isinstance(stmt, (ast.Global, ast.Nonlocal)):
        return True
    if isinstance(stmt, ast.AnnAssign) and stmt.value is None:
        return True
    return (
        position == 0
        and isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Constant)
        and isinstance(stmt.value.value, str)
    )


def _mark(path: str, body: list[ast.stmt], changed: frozenset[int], in_function: bool) -> None:
    """Put a marker before each statement of a function that owns changed lines (lines of its
    own, not of a statement nested in it), recursing into nested statements."""
    position = 0
    while position < len(body):
        stmt = body[position]
        nested = _bodies(stmt)
        owned = {n for n in changed if n in _lines(stmt)}
        inner_function = in_function or isinstance(stmt, _FUNCTIONS)
        for inner in nested:
            below = {n for child in inner for n in owned if n in _lines(child)}
            if below:
                owned -= below
                _mark(path, inner, changed, inner_function)
        if in_function and owned and not _runs_no_code(stmt, position):
            body.insert(position, _marker(path, sorted(owned), stmt))
            position += 1
        position += 1


def _marker(path: str, lines: list[int], stmt: ast.stmt) -> ast.stmt:
    """``__error_fix_reach__((numbers of lines,))``, placed on the statement's first line."""
    numbers = []
    for line in lines:
        numbers.append(len(_points))
        _points.append((path, line))
    first = _lines(stmt).start
    number_tuple: Any = tuple(numbers)  # a constant tuple, as the compiler folds them
    call = ast.Call(ast.Name(MARKER, ast.Load()), [ast.Constant(number_tuple)], [])
    marker = ast.Expr(call)
    for node in (marker, call, call.func, call.args[0]):
        for name, value in (("lineno", first), ("end_lineno", first)):
            setattr(node, name, value)
        for name in ("col_offset", "end_col_offset"):
            setattr(node, name, stmt.col_offset)
    return marker


def _marked_code(source: bytes, filename: str) -> Any:
    path, changed = _files[os.path.realpath(filename)]
    tree = ast.parse(source, filename)
    _mark(path, tree.body, changed, in_function=False)
    return compile(tree, filename, "exec", dont_inherit=True)


class _MarkingLoader(SourceFileLoader):
    """Loads a changed file with markers in; never from or into a bytecode cache."""

    error_fix_source_loader = True
    """The probe's coverage measures what this loader loads as it would the plain source."""

    def get_code(self, fullname: str) -> Any:
        global _reason
        path = self.get_filename(fullname)
        try:
            code = _marked_code(self.get_data(path), path)
        except Exception as exc:  # let the module load unmarked, and say why reach is unknown
            _reason = f"{path} could not be marked: {type(exc).__name__}: {exc}"
            return super().get_code(fullname)
        _marked.add(os.path.realpath(path))
        return code


class _Marking(AskingFinder):
    """A changed file the ordinary source loader would load is loaded by :class:`_MarkingLoader`
    instead (inside slipcover's loader, when the probe put one around it)."""

    def __init__(self) -> None:
        super().__init__()
        files = [Path(f) for f in _files]
        self._names = {f.parent.name if f.name == "__init__.py" else f.stem for f in files}

    def wants(self, fullname: str) -> bool:
        return fullname.rpartition(".")[2] in self._names

    def adapt(self, spec: Any) -> None:
        origin = spec.origin if isinstance(spec.origin, str) else ""
        if os.path.realpath(origin) not in _files:
            return
        wrapped = getattr(spec.loader, "orig_loader", None)  # slipcover's loader
        if type(spec.loader) is SourceFileLoader:
            spec.loader = _MarkingLoader(spec.name, origin)
        elif type(wrapped) is SourceFileLoader:
            spec.loader.orig_loader = _MarkingLoader(spec.name, origin)


def _changed_modules() -> dict[str, str]:
    """Loaded module name → its changed file (real path)."""
    found = {}
    for name, module in list(sys.modules.items()):
        real = os.path.realpath(str(getattr(module, "__file__", None) or ""))
        if real in _files:
            found[name] = real
    return found


def _markers() -> str | None:
    """Load the changed files with markers from now on; why not, when it cannot."""
    loaded = list(_changed_modules())
    if loaded:
        return f"{loaded[0]} was imported before the test run could watch it"
    setattr(builtins, MARKER, _hits.update)
    sys.meta_path.insert(0, _Marking())
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
        _reason = _markers()
        _engine = None if _reason else "markers"


_start()


def _take_hits(nodeid: str) -> None:
    hits = list(_hits)
    _hits.clear()
    for number in hits:
        path, line = _points[number]
        _reach.setdefault(path, {}).setdefault(line, set()).add(nodeid)


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_protocol(item: Any, nextitem: Any) -> Any:
    global _current
    _current = item.nodeid
    _hits.clear()  # what ran before this test (imports, collection) is not its
    start = time.monotonic()
    try:
        yield
    finally:
        _durations[item.nodeid] = time.monotonic() - start
        if _hits:
            _take_hits(item.nodeid)
        _current = None


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: Any) -> None:
    out = os.environ.get("ERROR_FIX_REACH_OUT")
    if not out or not _files:
        return
    worker = getattr(session.config, "workerinput", None)
    if worker is not None:
        out = f"{out}.{worker.get('workerid', 'worker')}"
    engine, reason = _engine, _reason
    if engine == "markers":
        # A changed module loaded by some other loader ran unmarked: its reach is unknown.
        other = [name for name, real in _changed_modules().items() if real not in _marked]
        if other:
            engine, reason = None, f"{other[0]} was loaded by a loader that error-fix cannot mark"
        elif reason is not None:
            engine = None
    reached = {t for lines in _reach.values() for tests in lines.values() for t in tests}
    with open(out, "w", encoding="utf-8") as fh:  # noqa: PTH123 - runs on old Pythons too
        json.dump(
            {
                "engine": engine,
                "reason": reason,
                "reach": {
                    path: {str(line): sorted(tests) for line, tests in lines.items()}
                    for path, lines in _reach.items()
                },
                "durations": {t: round(s, 4) for t, s in _durations.items() if t in reached},
            },
            fh,
        )
