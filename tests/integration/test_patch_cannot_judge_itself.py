"""A patch cannot talk its way to a merge: each attack on the tests scorer, on a generated project.

Every attack pairs a broken ``add`` (``return a - b``) with something meant to hide it — a
conftest that rewrites reports, a start-up hook, an edited, skipped, xfailed or deleted test,
narrowed pytest configuration, a source change that makes the test vanish. Each must end in
``manual_review`` with a gate naming what happened. The controls are legitimate fixes (a new test,
an existing test reworded without changing what it checks): they still get ``auto_merge``.

Only the tests scorer weighs here (the static scorers are switched off), so its verdict alone
decides: 1.0 → auto_merge.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from error_fix.decision import PatchDecision, Verdict
from error_fix.sandbox import landlock_abi
from tests.sample import CALC, DIVIDE_FIX, SampleRepo, decide_by_tests, dedent

BROKEN_ADD = DIVIDE_FIX["src/calc/ops.py"].replace("return a + b", "return a - b")
"""The divide fix, with add() broken on the way."""

TEST_ADD = "tests/test_ops.py::test_add"

REWRITE_REPORTS = """
    import pytest


    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(item, call):
        outcome = yield
        rep = outcome.get_result()
        rep.outcome = "passed"
"""
"""The conftest from the issue: every report says passed."""


def gates(verdict: Verdict) -> dict[str, str]:
    return {gate.name: gate.reason for gate in verdict.gates}


@pytest.fixture
def calc(tmp_path: Path) -> SampleRepo:
    return SampleRepo(tmp_path / "calc", CALC)


# --- controls ------------------------------------------------------------------------------


def test_control_a_fix_with_a_new_test_is_merged(calc: SampleRepo, tmp_path: Path) -> None:
    verdict = decide_by_tests(calc, DIVIDE_FIX, tmp_path / "a")
    assert verdict.decision is PatchDecision.AUTO_MERGE, verdict.gates
    assert verdict.tests["fail_to_pass"] == ["tests/test_ops.py::test_divide_by_zero"]
    details = verdict.scorers["tests"]["details"]
    assert details["regression_tree"] == "patched source + base tests and harness"


def test_control_a_fix_with_a_new_test_file_is_merged(calc: SampleRepo, tmp_path: Path) -> None:
    files = {
        "src/calc/ops.py": DIVIDE_FIX["src/calc/ops.py"],
        "tests/test_zero.py": """
            from calc.ops import divide


            def test_divide_by_zero() -> None:
                assert divide(1, 0) == 0.0
        """,
    }
    verdict = decide_by_tests(calc, files, tmp_path / "a")
    assert verdict.decision is PatchDecision.AUTO_MERGE, verdict.gates
    assert verdict.tests["fail_to_pass"] == ["tests/test_zero.py::test_divide_by_zero"]


def test_control_rewording_an_existing_test_is_not_a_changed_contract(
    calc: SampleRepo, tmp_path: Path
) -> None:
    """The patch edits test_add's body, but the base's test_add still passes on its source."""
    reworded = dedent(DIVIDE_FIX["tests/test_ops.py"]).replace(
        "assert add(2, 3) == 5", "total = add(2, 3)\n    assert total == 5"
    )
    verdict = decide_by_tests(calc, {**DIVIDE_FIX, "tests/test_ops.py": reworded}, tmp_path / "a")
    assert verdict.decision is PatchDecision.AUTO_MERGE, verdict.gates
    assert verdict.tests["pass_to_fail"] == []


# --- the harness ---------------------------------------------------------------------------


@pytest.mark.parametrize("with_new_test", [False, True], ids=["alone", "with-a-new-test"])
def test_a_conftest_that_rewrites_reports_is_caught(
    calc: SampleRepo, tmp_path: Path, with_new_test: bool
) -> None:
    files = {"src/calc/ops.py": BROKEN_ADD, "tests/conftest.py": REWRITE_REPORTS}
    if with_new_test:
        files["tests/test_ops.py"] = DIVIDE_FIX["tests/test_ops.py"]
    verdict = decide_by_tests(calc, files, tmp_path / "a")
    assert verdict.decision is PatchDecision.MANUAL_REVIEW
    fired = gates(verdict)
    assert "tests/conftest.py" in fired["test_harness_changed"]
    # The base's suite, with the base's conftest, judges the patched source.
    assert TEST_ADD in fired["regression"]
    assert verdict.tests["pass_to_fail"] == [TEST_ADD]
    if with_new_test:
        # The patch's conftest is in force where its own tests prove the fix: on the before tree
        # the new test raises, its report says "passed", and the probe trusts nothing.
        reason = fired["unknown:tests"]
        assert "tests/test_ops.py::test_divide_by_zero" in reason
        assert "its call raised ZeroDivisionError, its report says passed" in reason


def test_control_a_failing_subtest_is_a_regression_not_a_rewritten_report(
    tmp_path: Path,
) -> None:
    """unittest's subTest makes a report per subtest in one call phase: the ones that failed
    raised, the test's own report passes. None of that is a rewritten report."""
    files = {
        **CALC,
        "tests/test_ops.py": """
            import unittest

            from calc.ops import add


            class AddTests(unittest.TestCase):
                def test_add(self) -> None:
                    for a, b in [(2, 3), (0, 0), (-1, 1)]:
                        with self.subTest(a=a, b=b):
                            self.assertEqual(add(a, b), a + b)
        """,
    }
    project = SampleRepo(tmp_path / "subtests", files)
    verdict = decide_by_tests(project, {"src/calc/ops.py": BROKEN_ADD}, tmp_path / "a")
    assert verdict.decision is PatchDecision.MANUAL_REVIEW
    fired = gates(verdict)
    assert "unknown:tests" not in fired, fired
    assert "tests/test_ops.py::AddTests::test_add" in fired["regression"]


@pytest.mark.parametrize(
    ("hook", "content"),
    [
        (
            "src/sitecustomize.py",
            """
            import calc.ops

            _add = calc.ops.add
            calc.ops.add = lambda a, b: _add(a, -b)
            """,
        ),
        ("src/calc-fix.pth", "import calc_fix_hook\n"),
        (
            "fnmatch.py",
            """
            # pytest imports fnmatch, and the tree comes first on the path: this is the standard
            # module, plus a mended add().
            import importlib.util
            import os
            import sysconfig

            _path = os.path.join(sysconfig.get_paths()["stdlib"], "fnmatch.py")
            _spec = importlib.util.spec_from_file_location("fnmatch", _path)
            _real = importlib.util.module_from_spec(_spec)
            _spec.loader.exec_module(_real)
            globals().update({k: v for k, v in vars(_real).items() if not k.startswith("__")})

            import calc.ops

            calc.ops.add = lambda a, b: a + b
            """,
        ),
    ],
    ids=["sitecustomize", "pth", "shadowing-the-standard-library"],
)
def test_a_start_up_hook_that_hides_the_break_is_caught(
    calc: SampleRepo, tmp_path: Path, hook: str, content: str
) -> None:
    files = {**DIVIDE_FIX, "src/calc/ops.py": BROKEN_ADD, hook: content}
    verdict = decide_by_tests(calc, files, tmp_path / "a")
    assert verdict.decision is PatchDecision.MANUAL_REVIEW
    fired = gates(verdict)
    assert hook in fired["test_harness_changed"]
    assert TEST_ADD in fired["regression"]
    assert verdict.tests["pass_to_fail"] == [TEST_ADD]


@pytest.mark.parametrize(
    ("config", "edit"),
    [
        ("pyproject.toml", ('testpaths = ["tests"]', 'testpaths = ["tests/test_zero.py"]')),
        ("pyproject.toml", ('testpaths = ["tests"]', 'addopts = "--deselect tests/test_ops.py"')),
    ],
    ids=["narrowed-testpaths", "deselected-by-addopts"],
)
def test_pytest_configuration_that_hides_the_break_is_caught(
    calc: SampleRepo, tmp_path: Path, config: str, edit: tuple[str, str]
) -> None:
    files = {
        "src/calc/ops.py": BROKEN_ADD,
        config: CALC[config].replace(*edit),
        "tests/test_zero.py": "from calc.ops import divide\n\n\n"
        "def test_divide_by_zero() -> None:\n    assert divide(1, 0) == 0.0\n",
    }
    verdict = decide_by_tests(calc, files, tmp_path / "a")
    assert verdict.decision is PatchDecision.MANUAL_REVIEW
    fired = gates(verdict)
    assert "pyproject.toml ([tool.pytest] configuration)" in fired["test_harness_changed"]
    assert TEST_ADD in fired["regression"]


# --- the tests themselves ------------------------------------------------------------------


EDITS = {
    "edited-expectation": ("assert add(2, 3) == 5", "assert add(2, 3) == -1"),
    "skip": ("def test_add()", "@pytest.mark.skip(reason='flaky')\ndef test_add()"),
    "xfail": ("def test_add()", "@pytest.mark.xfail(reason='known')\ndef test_add()"),
    "deleted": ("def test_add() -> None:\n    assert add(2, 3) == 5\n", ""),
}


@pytest.mark.parametrize("edit", list(EDITS))
def test_editing_the_test_it_breaks_is_a_changed_contract(
    calc: SampleRepo, tmp_path: Path, edit: str
) -> None:
    old, new = EDITS[edit]
    test_file = "import pytest\n" + dedent(DIVIDE_FIX["tests/test_ops.py"])
    assert old in test_file
    files = {"src/calc/ops.py": BROKEN_ADD, "tests/test_ops.py": test_file.replace(old, new)}
    verdict = decide_by_tests(calc, files, tmp_path / "a")
    assert verdict.decision is PatchDecision.MANUAL_REVIEW
    fired = gates(verdict)
    assert TEST_ADD in fired["changes_tested_behaviour"]
    assert "regression" not in fired  # the only broken test is the one it edits
    assert verdict.tests["pass_to_fail"] == [TEST_ADD]
    # The fix itself is still proven by the new test.
    assert "tests/test_ops.py::test_divide_by_zero" in verdict.tests["fail_to_pass"]


def test_a_root_test_module_is_the_tests_not_the_source(tmp_path: Path) -> None:
    """A project whose tests live in one root ``test.py`` (as python-slugify's do): editing its
    expectation to match the broken source is a changed contract, not a source change."""
    files = {name: text for name, text in CALC.items() if not name.startswith("tests/")}
    files["pyproject.toml"] = files["pyproject.toml"].replace(
        'testpaths = ["tests"]', 'python_files = ["test.py"]'
    )
    files["test.py"] = CALC["tests/test_ops.py"]
    project = SampleRepo(tmp_path / "flat", files)
    edited = dedent(CALC["tests/test_ops.py"]).replace("add(2, 3) == 5", "add(2, 3) == -1")
    verdict = decide_by_tests(
        project, {"src/calc/ops.py": BROKEN_ADD, "test.py": edited}, tmp_path / "a"
    )
    assert verdict.decision is PatchDecision.MANUAL_REVIEW
    assert "test.py::test_add" in gates(verdict)["changes_tested_behaviour"]
    assert verdict.tests["pass_to_fail"] == ["test.py::test_add"]


# --- the source makes the test disappear ---------------------------------------------------

VANISH = {
    "skipped": dedent(BROKEN_ADD).replace(
        "    return a - b",
        "    import pytest\n\n    pytest.skip('not today')\n    return a - b",
    ),
    "gone": "import pytest\n\npytest.skip('no tests here', allow_module_level=True)\n\n"
    + dedent(BROKEN_ADD),
}


@pytest.mark.parametrize("how", list(VANISH))
def test_a_source_change_that_stops_a_test_from_running_is_a_regression(
    calc: SampleRepo, tmp_path: Path, how: str
) -> None:
    files = {
        "src/calc/ops.py": VANISH[how],
        "tests/test_zero.py": "def test_nothing():\n    pass\n",
    }
    verdict = decide_by_tests(calc, files, tmp_path / "a")
    assert verdict.decision is PatchDecision.MANUAL_REVIEW
    causes = verdict.scorers["tests"]["details"]["pass_to_fail_causes"]
    assert TEST_ADD in gates(verdict)["regression"]
    if how == "skipped":
        assert causes == {TEST_ADD: "skipped: not today"}
    else:
        assert causes == {
            TEST_ADD: "not collected in the regression run",
            "tests/test_ops.py::test_divide": "not collected in the regression run",
        }


# --- the patch's code speaks for another session -----------------------------------------

FORGE_BASE = """
    import json
    import os
    import pathlib
    import threading
    import time

    BASE_TESTS = ["tests/test_ops.py::test_add", "tests/test_ops.py::test_divide"]


    def _forge(log: str) -> None:
        # Every session of the decision shares one scratch folder: find the sessions that
        # collect the base and wait there, and speak for them first: "the base's own marks
        # skip test_add" (so its skip here looks like the base's), and "run nothing".
        scratch = pathlib.Path(os.environ["ERROR_FIX_PROBE_OUT"]).parent.parent
        collected = {"selected": BASE_TESTS, "skipped_by_marks": BASE_TESTS}
        end = time.monotonic() + 5
        while time.monotonic() < end:
            for folder in scratch.glob("standby/*"):
                try:
                    (folder / "orders.json.collected").write_text(json.dumps(collected))
                    (folder / "orders.json").write_text(json.dumps({"run": []}))
                    outcome = "written"
                except OSError:
                    outcome = "refused"
                with open(log, "a") as fh:
                    fh.write(f"{folder.name} {outcome}\\n")
            time.sleep(0.01)


    if "ERROR_FIX_PROBE_OUT" in os.environ:
        threading.Thread(target=_forge, args=(LOG,), daemon=True).start()
"""


@pytest.mark.skipif(landlock_abi()[0] < 1, reason="needs Landlock: unconfined code writes anywhere")
def test_the_patchs_code_cannot_speak_for_the_session_that_collects_the_base(
    tmp_path: Path,
) -> None:
    # The base's collection is a session that then waits to run the base check. The patch
    # skips test_add (the "skipped" vanish above) and its code, running in the suite beside
    # that session (slow enough here for it to exist), writes the session's collection report
    # and orders before it can: a base whose marks skip test_add would make the skip no
    # regression, and the fix would merge. Each session may write only its own folder.
    project = SampleRepo(tmp_path / "calc", {**CALC, "tests/test_slow.py": SLOW_TEST})
    log = Path("/dev/shm") / f"error-fix-forge-{os.getpid()}-{tmp_path.name}"
    forge = dedent(FORGE_BASE).replace("(LOG,)", f"({str(log)!r},)")
    files = {**DIVIDE_FIX, "src/calc/ops.py": VANISH["skipped"] + "\n\n" + forge}
    try:
        verdict = decide_by_tests(project, files, tmp_path / "a")
        attempts = log.read_text().splitlines() if log.exists() else []
    finally:
        log.unlink(missing_ok=True)
    assert any(line.startswith("base-collect-") for line in attempts), attempts
    assert all(line.endswith(" refused") for line in attempts), attempts
    assert verdict.decision is PatchDecision.MANUAL_REVIEW
    assert verdict.tests["pass_to_fail"] == [TEST_ADD]
    assert verdict.tests["pass_to_fail_causes"] == {TEST_ADD: "skipped: not today"}
    assert "pytest:base-check" in verdict.timings
    # The base check ran in the session that collected the base: the suite, the proof run,
    # the patch's test on the before tree, and that one.
    assert verdict.scorers["tests"]["details"]["pytest_sessions"] == 4


SLOW_TEST = """
    import time


    def test_slow() -> None:
        time.sleep(2)
"""
