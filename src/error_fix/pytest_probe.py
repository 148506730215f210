"""A pytest plugin error-fix loads into the project's own test run (``-p error_fix_probe``).

It is copied, alone, into a private directory on the project's PYTHONPATH, so it must not import
error_fix and must run on any Python the project uses. It:

- starts coverage when ``ERROR_FIX_COVERAGE_DATA`` is set — of the files in
  ``ERROR_FIX_COVERAGE_INCLUDE`` (the ones the patch changes) or of every file under
  ``ERROR_FIX_SOURCE_ROOTS`` — with the project's coverage when it has one, else error-fix's own
  copy from ``ERROR_FIX_COVERAGE_FALLBACK``, so the one patched test run also measures patch
  coverage — not counting the tests ``ERROR_FIX_COVERAGE_PAUSE`` names (one per line): coverage
  pauses during them; under slipcover they run last and its lines are saved as they start;
- collects the whole suite but runs only the tests ``ERROR_FIX_RUN_ONLY`` names (one per line),
  when set: one session is then both a tree's collection and a run of a few of its tests;
- stands by when ``ERROR_FIX_ORDERS`` names a file: once collected, it writes what it collected
  to ``<that>.collected`` and waits, idle, for the file to appear, then runs only the tests it
  lists (``{"run": [selectors]}``; ``null`` runs them all) — a session started early, whose
  start-up and collection are paid before anyone knows what it must run;
- appends the id of each failing test to ``ERROR_FIX_FAILURES`` as it fails (a hint, while the
  suite still runs, that re-runs will be due);
- stamps each test's node id into the JUnit XML (``<property name="nodeid">``);
- checks every report against what the test really raised: a phase that raised (other than a
  skip) must not be reported passed, nor skipped unless the test is an expected failure — a
  report rewritten by another hook is recorded, and error-fix refuses to trust the run;
- writes ``ERROR_FIX_PROBE_OUT`` (``<that>.<worker>`` from a pytest-xdist worker): collection
  errors (each with the exception that stopped the import), the tests selected and deselected
  (and, when only collecting, those their own marks skip), rewritten reports, and the file each
  project module was imported from, which proves the tests ran the worktree's code and not an
  installed copy.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
import unittest
from typing import Any

import pytest

SLIPCOVER_MISSES = 5000
"""Hits of an already-seen line before slipcover removes the seen lines' probes. Each removal
re-edits every instrumented function of the measured files: on a large hot module (5,000
lines) slipcover's default of 50 made 46 such passes cost 0.6 s of a 10.7 s suite; 5000 makes
6 (0.08 s), and a probe that stays a while longer costs far less. The lines seen are the same."""

_coverage: Any = None
_slipcover: Any = None
_engine = ""
_collect_errors: dict[str, str] = {}
_selected: list[str] | None = None
_deselected: list[str] = []
_skipped_by_marks: list[str] = []
_raised: dict[tuple[str, str], type[BaseException]] = {}
_rewritten: dict[str, str] = {}
_SKIPS: tuple[type[BaseException], ...] = (pytest.skip.Exception, unittest.SkipTest)
_run_only = tuple(s for s in os.environ.get("ERROR_FIX_RUN_ONLY", "").split("\n") if s)
_unmeasured = tuple(s for s in os.environ.get("ERROR_FIX_COVERAGE_PAUSE", "").split("\n") if s)
_orders = os.environ.get("ERROR_FIX_ORDERS", "")
_failures = os.environ.get("ERROR_FIX_FAILURES", "")
ORDERS_POLL_S = 0.005
_slipcover_saved = False


def _start_coverage() -> None:
    global _coverage, _engine
    data_file = os.environ.get("ERROR_FIX_COVERAGE_DATA")
    if not data_file:
        return
    roots = [r for r in os.environ.get("ERROR_FIX_SOURCE_ROOTS", "").split(os.pathsep) if r]
    include = [f for f in os.environ.get("ERROR_FIX_COVERAGE_INCLUDE", "").split(os.pathsep) if f]
    if _start_slipcover(roots or include):
        return
    if sys.version_info >= (3, 12):
        # sys.monitoring costs far less than a trace function; line coverage needs no more.
        os.environ.setdefault("COVERAGE_CORE", "sysmon")
    try:
        import coverage
    except ImportError:
        fallback = os.environ.get("ERROR_FIX_COVERAGE_FALLBACK")
        if not fallback:
            return
        sys.path.append(fallback)
        import coverage
    _coverage = coverage.Coverage(
        data_file=data_file,
        data_suffix=True,
        source=roots or None,
        include=include or None,
        config_file=False,
        branch=False,
    )
    _coverage.start()
    _engine = "coverage " + getattr(coverage, "__version__", "") + f" ({_coverage_core()})"


def _coverage_core() -> str:
    """Which of coverage's engines runs: sysmon, ctrace or pytrace."""
    try:
        return str(_coverage._collector.tracer_name())
    except Exception:  # another coverage version: its engine is not known
        return os.environ.get("COVERAGE_CORE", "tracer")


def _start_slipcover(sources: list[str]) -> bool:
    """Measure with slipcover on Python 3.10 and 3.11: it instruments the measured files'
    bytecode when they are imported and removes a line's probe once it ran, so measured code
    runs at nearly full speed, where coverage's trace function slows every call. Only
    error-fix's own copy is used (its probe is a stable-ABI extension), and only when none of
    the measured files is imported yet: slipcover cannot see a module loaded before it."""
    global _slipcover, _engine
    fallback = os.environ.get("ERROR_FIX_COVERAGE_FALLBACK")
    wanted = os.environ.get("ERROR_FIX_COVERAGE_ENGINE", "auto") == "auto"
    if not wanted or not fallback or not (3, 10) <= sys.version_info < (3, 12):
        return False
    measured = [os.path.realpath(s) for s in sources]
    if not measured or _imported_already(measured):
        return False
    sys.path.insert(0, fallback)
    try:
        import slipcover  # type: ignore[import-untyped]
        from slipcover.importer import SlipcoverLoader  # type: ignore[import-untyped]
    except Exception:  # PyPy, an interpreter its probe does not load in: coverage measures
        return False
    finally:
        sys.path.remove(fallback)
    _slipcover = slipcover.Slipcover(d_miss_threshold=SLIPCOVER_MISSES)
    sys.meta_path.insert(0, _Instrumenting(_slipcover, SlipcoverLoader, measured))
    _engine = "slipcover " + getattr(slipcover, "__version__", "")
    return True


class AskingFinder:
    """A meta path finder that asks the other finders for a module's spec and may change its
    loader (:meth:`adapt`). It steps aside (per thread) while it asks, so two of them — this
    probe's and the reach recorder's, which subclasses it — never ask each other round in
    circles, whichever of them comes first."""

    def __init__(self) -> None:
        self._asking = threading.local()

    def wants(self, fullname: str) -> bool:
        """Whether to look at this import at all (a failing import, which nothing caches,
        asks every finder every time)."""
        return True

    def adapt(self, spec: Any) -> None:
        """Change ``spec``'s loader when the module is one of this finder's."""

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if not self.wants(fullname) or getattr(self._asking, "on", False):
            return None
        self._asking.on = True
        try:
            for finder in sys.meta_path:
                if finder is self or not hasattr(finder, "find_spec"):
                    continue
                spec = finder.find_spec(fullname, path, target)
                if spec is None or spec.loader is None:
                    continue
                self.adapt(spec)
                return spec
            return None
        finally:
            self._asking.on = False


class _Instrumenting(AskingFinder):
    """A measured module that the ordinary source loader would load is loaded through
    slipcover's loader, which instruments its code. Any other loader (pytest's assertion
    rewriting of test modules, say) is left alone, except the reach recorder's, which marks a
    changed file and otherwise loads it as the source loader does."""

    def __init__(self, sci: Any, loader: Any, measured: list[str]) -> None:
        super().__init__()
        self.sci = sci
        self.loader = loader
        self.measured = measured

    def adapt(self, spec: Any) -> None:
        from importlib.machinery import SourceFileLoader

        source = type(spec.loader) is SourceFileLoader or getattr(
            spec.loader, "error_fix_source_loader", False
        )
        if source and _within(spec.origin, self.measured):
            spec.loader = self.loader(self.sci, spec.loader, spec.origin)


def _within(location: Any, measured: list[str]) -> bool:
    """``location`` is one of the measured files, or under one of the measured roots."""
    if not isinstance(location, str):
        return False
    real = os.path.realpath(location)
    return any(real == m or real.startswith(m + os.sep) for m in measured)


def _imported_already(measured: list[str]) -> bool:
    return any(
        _within(getattr(module, "__file__", None), measured)
        for module in list(sys.modules.values())
    )


def _freeze_slipcover() -> None:
    """Save slipcover's lines now; what runs from here on does not count."""
    global _slipcover_saved
    data_file = os.environ.get("ERROR_FIX_COVERAGE_DATA")
    if data_file and not _slipcover_saved:
        _save_slipcover(data_file)
    _slipcover_saved = True


def _save_slipcover(data_file: str) -> None:
    """Write the lines slipcover saw, per real file path, as JSON; error-fix turns it into
    coverage data (``<data_file>-slipcover.<pid>.json``)."""
    here = os.getcwd()  # noqa: PTH109 - runs on old Pythons too
    files = _slipcover.get_coverage()["files"]
    lines = {
        os.path.realpath(os.path.join(here, name)): sorted(seen["executed_lines"])  # noqa: PTH118
        for name, seen in files.items()
    }
    with open(f"{data_file}-slipcover.{os.getpid()}.json", "w", encoding="utf-8") as fh:  # noqa: PTH123
        json.dump(lines, fh)


_start_coverage()


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: Any) -> None:
    # A session that stands by runs its tests itself: pytest-xdist must not hand them out.
    if _orders and hasattr(config.option, "dist"):
        config.option.dist = "no"
        config.option.numprocesses = None


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_protocol(item: Any, nextitem: Any) -> Any:
    # The tests named in ERROR_FIX_COVERAGE_PAUSE do not count: their other version runs,
    # measured, elsewhere.
    nodeid = item.nodeid
    unmeasured = _named(nodeid, _unmeasured)
    if unmeasured and _slipcover is not None:
        _freeze_slipcover()
    paused = unmeasured and _coverage is not None
    if paused:
        _coverage.stop()
    try:
        yield
    finally:
        if paused:
            _coverage.start()


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session: Any, items: list[Any]) -> None:
    for item in items:
        item.user_properties.append(("nodeid", item.nodeid))
    if _run_only or _orders:
        # The whole collection is what the run reports as selected; only the named tests run.
        _record_selection(session, items)
    if _run_only:
        items[:] = [item for item in items if _named(item.nodeid, _run_only)]
    if _orders:
        _report_collection(_orders + ".collected")
        wanted = _await_orders(_orders)
        if wanted is not None:
            items[:] = [item for item in items if _named(item.nodeid, wanted)]
    if _slipcover is not None and _unmeasured:
        # slipcover cannot pause (a line's probe fires once): the tests whose run does not count
        # go last, and its lines are saved as the first of them starts.
        items.sort(key=lambda item: _named(item.nodeid, _unmeasured))


def _report_collection(path: str) -> None:
    """What a collect-only run's probe file would say, written whole before it appears."""
    with open(path + ".part", "w", encoding="utf-8") as fh:  # noqa: PTH123
        json.dump(_findings(), fh)
    os.replace(path + ".part", path)  # noqa: PTH105 - old Pythons too


def _await_orders(path: str) -> tuple[str, ...] | None:
    """The selectors to run (None: all), once the orders file appears; none when error-fix,
    which started this process, is gone, or past ``ERROR_FIX_ORDERS_DEADLINE``."""
    parent = os.getppid()
    deadline = float(os.environ.get("ERROR_FIX_ORDERS_DEADLINE") or "inf")
    while True:
        try:
            with open(path, encoding="utf-8") as fh:  # noqa: PTH123
                wanted = json.load(fh).get("run")
        except FileNotFoundError:
            if os.getppid() != parent or time.time() > deadline:
                return ()
            time.sleep(ORDERS_POLL_S)
            continue
        return None if wanted is None else tuple(str(s) for s in wanted)


def _named(nodeid: str, selectors: tuple[str, ...]) -> bool:
    """``nodeid`` is a selector, a parameter or method of one, or in a selected file."""
    return any(nodeid == s or nodeid.startswith((s + "[", s + "::")) for s in selectors)


def pytest_deselected(items: list[Any]) -> None:
    _deselected.extend(item.nodeid for item in items)


def pytest_collection_finish(session: Any) -> None:
    if not _run_only:
        _record_selection(session, session.items)


def _record_selection(session: Any, items: list[Any]) -> None:
    global _selected
    # A pytest-xdist controller collects nothing itself: its workers say what they ran.
    if not session.config.pluginmanager.hasplugin("dsession"):
        _selected = [item.nodeid for item in items]
    if session.config.option.collectonly or _run_only or _orders:
        _skipped_by_marks.extend(item.nodeid for item in items if _marked_skip(item))


def _marked_skip(item: Any) -> bool:
    """The test's own marks skip it (or xfail it without running), as pytest will decide."""
    try:
        from _pytest.skipping import evaluate_skip_marks, evaluate_xfail_marks

        xfail = evaluate_xfail_marks(item)
        return evaluate_skip_marks(item) is not None or (xfail is not None and not xfail.run)
    except Exception:  # an old pytest, or a condition that fails: then it is not known
        return False


def pytest_collectreport(report: Any) -> None:
    if report.failed:
        _collect_errors[report.nodeid] = _error_line(report.longreprtext)


def _error_line(text: str) -> str:
    """The exception that stopped the import: the last ``E   `` line pytest would print."""
    lines = [line for line in text.splitlines() if line.strip()]
    for line in reversed(lines):
        if line.startswith("E ") and line[1:].strip():
            return line[1:].strip()[:300]
    return lines[-1].strip()[:300] if lines else "collection error"


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: Any, call: Any) -> Any:
    # Outermost wrapper: see what the phase raised before any other hook, and the report
    # after every other hook has had it.
    # One phase can make several reports (each unittest subTest makes its own): each report is
    # checked against its own call, never against what an earlier one raised.
    if call.excinfo is not None and not isinstance(call.excinfo.value, _SKIPS):
        _raised[(item.nodeid, call.when)] = call.excinfo.type
    else:
        _raised.pop((item.nodeid, call.when), None)
    outcome = yield
    try:
        report = outcome.get_result()
    except BaseException:  # the report was not made: pytest says so itself
        return
    _check(item, report)


@pytest.hookimpl(trylast=True)
def pytest_runtest_logreport(report: Any) -> None:
    _check(None, report)
    if _failures and report.failed:
        with open(_failures, "a", encoding="utf-8") as fh:  # noqa: PTH123
            fh.write(report.nodeid + "\n")


def _check(item: Any, report: Any) -> None:
    raised = _raised.get((report.nodeid, report.when))
    if raised is None or report.nodeid in _rewritten:
        return
    expected_failure = hasattr(report, "wasxfail") or (
        item is not None and item.get_closest_marker("xfail") is not None
    )
    if report.passed or (report.skipped and not expected_failure):
        _rewritten[report.nodeid] = (
            f"its {report.when} raised {raised.__name__}, its report says {report.outcome}"
        )


def _imported_modules() -> dict[str, str]:
    names = [n for n in os.environ.get("ERROR_FIX_PROJECT_MODULES", "").split(",") if n]
    imported = {}
    for name in names:
        module = sys.modules.get(name)
        location = getattr(module, "__file__", None) if module is not None else None
        if location is None and module is not None:
            paths = list(getattr(module, "__path__", []))
            location = paths[0] if paths else None
        if location:
            imported[name] = os.path.realpath(location)
    return imported


def pytest_sessionfinish(session: Any, exitstatus: int) -> None:
    if _coverage is not None:
        _coverage.stop()
        _coverage.save()
    if _slipcover is not None:
        _freeze_slipcover()
    out = os.environ.get("ERROR_FIX_PROBE_OUT")
    if not out:
        return
    worker = getattr(session.config, "workerinput", None)
    if worker is not None:
        out = f"{out}.{worker.get('workerid', 'worker')}"
    with open(out, "w", encoding="utf-8") as fh:  # noqa: PTH123 - runs on old Pythons too
        json.dump(
            {
                **_findings(),
                "python": sys.executable,
                "exitstatus": int(exitstatus),
                "coverage_engine": _engine,
            },
            fh,
        )


def _findings() -> dict[str, Any]:
    """What the probe saw so far: the collection, rewritten reports, where modules came from."""
    return {
        "collect_errors": _collect_errors,
        "selected": _selected,
        "deselected": _deselected,
        "skipped_by_marks": _skipped_by_marks,
        "rewritten": _rewritten,
        "imported": _imported_modules(),
    }
