"""A pytest plugin error-fix loads into the project's own test run (``-p error_fix_probe``).

It is copied, alone, into a private directory on the project's PYTHONPATH, so it must not import
error_fix and must run on any Python the project uses. It:

- starts coverage when ``ERROR_FIX_COVERAGE_DATA`` is set — of the files in
  ``ERROR_FIX_COVERAGE_INCLUDE`` (the ones the patch changes) or of every file under
  ``ERROR_FIX_SOURCE_ROOTS`` — with the project's coverage when it has one, else error-fix's own
  copy from ``ERROR_FIX_COVERAGE_FALLBACK``, so the one patched test run also measures patch
  coverage — paused during the tests ``ERROR_FIX_COVERAGE_PAUSE`` names (one per line);
- stamps each test's node id into the JUnit XML (``<property name="nodeid">``);
- checks every report against what the test really raised: a phase that raised (other than a
  skip) must not be reported passed, nor skipped unless the test is an expected failure — a
  report rewritten by another hook is recorded, and error-fix refuses to trust the run;
- writes ``ERROR_FIX_PROBE_OUT`` (``<that>.<worker>`` from a pytest-xdist worker): collection
  errors, the tests selected and deselected (and, when only collecting, those their own marks
  skip), rewritten reports, and the file each project module was imported from, which proves
  the tests ran the worktree's code and not an installed copy.
"""

from __future__ import annotations

import json
import os
import sys
import unittest
from typing import Any

import pytest

_coverage: Any = None
_collect_errors: list[str] = []
_selected: list[str] | None = None
_deselected: list[str] = []
_skipped_by_marks: list[str] = []
_raised: dict[tuple[str, str], type[BaseException]] = {}
_rewritten: dict[str, str] = {}
_SKIPS: tuple[type[BaseException], ...] = (pytest.skip.Exception, unittest.SkipTest)
_unmeasured = tuple(s for s in os.environ.get("ERROR_FIX_COVERAGE_PAUSE", "").split("\n") if s)


def _start_coverage() -> None:
    global _coverage
    data_file = os.environ.get("ERROR_FIX_COVERAGE_DATA")
    if not data_file:
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
    roots = [r for r in os.environ.get("ERROR_FIX_SOURCE_ROOTS", "").split(os.pathsep) if r]
    include = [f for f in os.environ.get("ERROR_FIX_COVERAGE_INCLUDE", "").split(os.pathsep) if f]
    _coverage = coverage.Coverage(
        data_file=data_file,
        data_suffix=True,
        source=roots or None,
        include=include or None,
        config_file=False,
        branch=False,
    )
    _coverage.start()


_start_coverage()


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_protocol(item: Any, nextitem: Any) -> Any:
    # The tests named in ERROR_FIX_COVERAGE_PAUSE do not count: their other version runs,
    # measured, elsewhere.
    nodeid = item.nodeid
    paused = _coverage is not None and any(
        nodeid == s or nodeid.startswith((s + "[", s + "::")) for s in _unmeasured
    )
    if paused:
        _coverage.stop()
    try:
        yield
    finally:
        if paused:
            _coverage.start()


def pytest_collection_modifyitems(items: list[Any]) -> None:
    for item in items:
        item.user_properties.append(("nodeid", item.nodeid))


def pytest_deselected(items: list[Any]) -> None:
    _deselected.extend(item.nodeid for item in items)


def pytest_collection_finish(session: Any) -> None:
    global _selected
    # A pytest-xdist controller collects nothing itself: its workers say what they ran.
    if not session.config.pluginmanager.hasplugin("dsession"):
        _selected = [item.nodeid for item in session.items]
    if session.config.option.collectonly:
        _skipped_by_marks.extend(item.nodeid for item in session.items if _marked_skip(item))


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
        _collect_errors.append(report.nodeid)


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: Any, call: Any) -> Any:
    # Outermost wrapper: see what the phase raised before any other hook, and the report
    # after every other hook has had it.
    if call.excinfo is not None and not isinstance(call.excinfo.value, _SKIPS):
        _raised[(item.nodeid, call.when)] = call.excinfo.type
    outcome = yield
    try:
        report = outcome.get_result()
    except BaseException:  # the report was not made: pytest says so itself
        return
    _check(item, report)


@pytest.hookimpl(trylast=True)
def pytest_runtest_logreport(report: Any) -> None:
    _check(None, report)


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
    out = os.environ.get("ERROR_FIX_PROBE_OUT")
    if not out:
        return
    worker = getattr(session.config, "workerinput", None)
    if worker is not None:
        out = f"{out}.{worker.get('workerid', 'worker')}"
    with open(out, "w", encoding="utf-8") as fh:  # noqa: PTH123 - runs on old Pythons too
        json.dump(
            {
                "collect_errors": _collect_errors,
                "selected": _selected,
                "deselected": _deselected,
                "skipped_by_marks": _skipped_by_marks,
                "rewritten": _rewritten,
                "imported": _imported_modules(),
                "python": sys.executable,
                "exitstatus": int(exitstatus),
            },
            fh,
        )
