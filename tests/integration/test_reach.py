"""Which tests reach the changed lines, recorded in the patched run without slowing it: markers
compiled into the changed file on Python <= 3.11 (alongside slipcover's coverage), sys.monitoring
on 3.12+. Real pytest runs of a generated project through the same runner the scorers use."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from textwrap import dedent

import pytest

from error_fix import testrun
from error_fix.mutation import reach as reach_module
from error_fix.mutation.reach import REACH_MODULE, Reach, read_reach, recorded_reach
from error_fix.scorers.patch_coverage import _load
from error_fix.testrun import Plugin

RECORDER = Path(reach_module.__file__).with_name("reach_plugin.py")

SHAPES = '''\
"""Statements of every shape a changed line can sit in."""
import functools

LIMIT = 10


def decorate(fn):
    @functools.wraps(fn)
    def inner(*args):
        return fn(*args)

    return inner


def grade(n):
    """A docstring stays the docstring."""
    if n < 0:
        return "negative"
    elif n == 0:
        return "zero"
    else:
        return "positive"


def safe_div(a, b):
    try:
        return a / b
    except ZeroDivisionError:
        return None
    finally:
        pass


def make_counter():
    count = 0

    def bump():
        nonlocal count
        count += 1
        return count

    return bump


def with_class():
    class Local:
        size = LIMIT + 1

    return Local.size


@decorate
def doubled(x):
    return [
        v * 2
        for v in x
    ]


def caller():
    return super_secret()


def super_secret():
    return "s"
'''

TESTS = """\
from shapes.core import caller, doubled, grade, make_counter, safe_div, with_class


def test_negative():
    assert grade(-1) == "negative"


def test_zero():
    assert grade(0) == "zero"


def test_divide_by_zero():
    assert safe_div(1, 0) is None


def test_counter():
    bump = make_counter()
    bump()
    assert bump() == 2


def test_class():
    assert with_class() == 11


def test_doubled():
    assert doubled([1, 2]) == [2, 4]


def test_code_is_the_files():
    # The loaded function still tells its own lines and name.
    assert grade.__code__.co_firstlineno == 15 and grade.__name__ == "grade"
"""

CHANGED = {
    16: "docstring",
    17: "if n < 0",
    18: "return negative",
    19: "elif n == 0",
    20: "return zero",
    22: "return positive",
    27: "return a / b",
    29: "return None",
    31: "pass in finally",
    35: "count = 0",
    38: "nonlocal count",
    39: "count += 1",
    46: "class Local",
    47: "size = LIMIT + 1",
    54: "return [ (multi-line)",
    56: "for v in x",
    61: "return super_secret()",
    4: "LIMIT = 10 (import time)",
}


def _project(root: Path) -> Path:
    (root / "src" / "shapes").mkdir(parents=True)
    (root / "src" / "shapes" / "__init__.py").write_text("")
    (root / "src" / "shapes" / "core.py").write_text(SHAPES)
    (root / "tests").mkdir()
    (root / "tests" / "test_shapes.py").write_text(dedent(TESTS))
    (root / "pyproject.toml").write_text('[tool.pytest.ini_options]\ntestpaths = ["tests"]\n')
    return root


def _run(root: Path, scratch: Path, reach: bool) -> testrun.TestRun:
    scratch.mkdir()
    runner = testrun.TestRunner(
        ["python", "-m", "pytest", "-q"],
        sys.executable,
        # Bytecode caches written as usual, so one of the marked file would show.
        {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
        scratch,
        120.0,
    )
    entries = [
        {
            "file": str(root / "src/shapes/core.py"),
            "path": "src/shapes/core.py",
            "lines": sorted(CHANGED),
        }
    ]
    plugins = (
        [
            Plugin(
                REACH_MODULE,
                RECORDER,
                {"ERROR_FIX_REACH": json.dumps(entries)},
                output="ERROR_FIX_REACH_OUT",
            )
        ]
        if reach
        else []
    )
    return runner.run(root, None, coverage=["src/shapes/core.py"], plugins=plugins)


def _reached(reach: Reach, line: int) -> set[str]:
    return {n.split("::")[-1] for n in reach.tests.get(("src/shapes/core.py", line), ())}


def test_each_changed_line_is_reached_by_the_tests_that_run_it(tmp_path: Path) -> None:
    root = _project(tmp_path / "shapes")
    run = _run(root, tmp_path / "scratch", reach=True)
    assert set(run.outcomes.values()) == {"passed"}, run.output_tail
    reach = read_reach(recorded_reach(run))
    assert reach.engine == ("sys.monitoring" if sys.version_info >= (3, 12) else "markers")
    assert _reached(reach, 17) == {"test_negative", "test_zero"}
    assert _reached(reach, 18) == {"test_negative"}
    assert _reached(reach, 19) == _reached(reach, 20) == {"test_zero"}
    assert _reached(reach, 22) == set()  # no test grades a positive number
    assert (
        _reached(reach, 27) == _reached(reach, 29) == _reached(reach, 31) == {"test_divide_by_zero"}
    )
    assert _reached(reach, 35) == _reached(reach, 39) == {"test_counter"}
    assert _reached(reach, 46) == _reached(reach, 47) == {"test_class"}
    assert _reached(reach, 54) == _reached(reach, 56) == {"test_doubled"}
    assert _reached(reach, 61) == set()
    assert _reached(reach, 4) == set()  # import time belongs to no test
    assert set(reach.durations) >= {"tests/test_shapes.py::test_zero"}


def test_recording_reach_leaves_coverage_and_outcomes_as_they_were(tmp_path: Path) -> None:
    root = _project(tmp_path / "shapes")
    plain = _run(root, tmp_path / "plain", reach=False)
    recorded = _run(root, tmp_path / "recorded", reach=True)
    assert recorded.outcomes == plain.outcomes
    assert recorded.coverage_engine == plain.coverage_engine
    if sys.version_info < (3, 12):
        assert plain.coverage_engine.startswith("slipcover")
    path = str(root / "src/shapes/core.py")
    # What the coverage figures are made of: the file's statements and the ones that did not run.
    analyses = [
        _load(run, tmp_path / name, name).analysis2(path)[1:4]
        for run, name in ((plain, "plain"), (recorded, "recorded"))
    ]
    assert analyses[0] == analyses[1]
    statements, _, missing = analyses[0]
    assert 22 in missing and 18 in statements and 18 not in missing
    # Caches were written (the plain run's), and none holds the marked code for a later run.
    caches = list((root / "src/shapes/__pycache__").glob("*.pyc"))
    assert {p.name.split(".")[0] for p in caches} >= {"__init__", "core"}
    assert not [p for p in caches if b"__error_fix_reach__" in p.read_bytes()]


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="markers are the <= 3.11 recorder")
def test_a_module_imported_before_the_run_watches_it_is_no_reach_with_the_reason(
    tmp_path: Path,
) -> None:
    root = _project(tmp_path / "shapes")
    # A .pth-style start-up import: the changed module is loaded before any plugin.
    (root / "sitecustomize.py").write_text("import shapes.core\n")
    env_root = tmp_path / "scratch"
    env_root.mkdir()
    runner = testrun.TestRunner(
        ["python", "-m", "pytest", "-q"],
        sys.executable,
        {**os.environ, "PYTHONPATH": f"{root}{os.pathsep}{root / 'src'}"},
        env_root,
        120.0,
    )
    entries = [
        {"file": str(root / "src/shapes/core.py"), "path": "src/shapes/core.py", "lines": [17]}
    ]
    run = runner.run(
        root,
        None,
        plugins=[
            Plugin(
                REACH_MODULE,
                RECORDER,
                {"ERROR_FIX_REACH": json.dumps(entries)},
                output="ERROR_FIX_REACH_OUT",
            )
        ],
    )
    reach = read_reach(recorded_reach(run))
    assert reach.engine is None
    assert "shapes.core was imported before the test run could watch it" in str(reach.reason)
