"""A pytest plugin error-fix loads into the project's own test run (``-p error_fix_probe``).

It is copied, alone, into a private directory on the project's PYTHONPATH, so it must not import
error_fix and must run on any Python the project uses. It:

- starts coverage when ``ERROR_FIX_COVERAGE_DATA`` is set — of the files in
  ``ERROR_FIX_COVERAGE_INCLUDE`` (the ones the patch changes) or of every file under
  ``ERROR_FIX_SOURCE_ROOTS`` — with the project's coverage when it has one, else error-fix's own
  copy from ``ERROR_FIX_COVERAGE_FALLBACK``, so the one patched test run also measures patch
  coverage;
- stamps each test's node id into the JUnit XML (``<property name="nodeid">``);
- writes ``ERROR_FIX_PROBE_OUT``: collection errors and the file each project module was imported
  from, which proves the tests ran the worktree's code and not an installed copy.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

_coverage: Any = None
_collect_errors: list[str] = []


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


def pytest_collection_modifyitems(items: list[Any]) -> None:
    for item in items:
        item.user_properties.append(("nodeid", item.nodeid))


def pytest_collectreport(report: Any) -> None:
    if report.failed:
        _collect_errors.append(report.nodeid)


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
    if not out or hasattr(session.config, "workerinput"):
        return
    with open(out, "w", encoding="utf-8") as fh:  # noqa: PTH123 - runs on old Pythons too
        json.dump(
            {
                "collect_errors": _collect_errors,
                "imported": _imported_modules(),
                "python": sys.executable,
                "exitstatus": int(exitstatus),
            },
            fh,
        )
