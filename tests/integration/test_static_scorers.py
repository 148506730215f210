"""The static scorers on generated projects: real ruff, mypy, bandit, pip-audit and coverage runs,
each counting only what the patch introduces."""

from __future__ import annotations

import sys
import venv
from pathlib import Path
from typing import Any

import pytest

from error_fix.decision import PatchDecision, Verdict
from error_fix.pipeline import PatchApplier
from error_fix.scorers.interface import Scorer
from error_fix.scorers.lint import LintScorer
from error_fix.scorers.patch_coverage import CoverageScorer
from error_fix.scorers.security import SecurityScorer
from error_fix.scorers.tests import TestsScorer
from error_fix.scorers.typecheck import TypesScorer
from tests.fakes.osv_server import KNOWN_VULNS, FakeOSV, closed_port_url
from tests.sample import CALC, DIVIDE_FIX, SampleRepo, dedent, settings

STDLIB = [
    "abc",
    "argparse",
    "array",
    "base64",
    "bisect",
    "calendar",
    "csv",
    "decimal",
    "difflib",
    "enum",
    "fractions",
    "glob",
    "heapq",
    "hmac",
    "io",
    "json",
    "math",
    "operator",
    "random",
    "string",
]

DEBT = {
    **CALC,
    # 20 pre-existing lint findings and one pre-existing type error.
    "src/calc/legacy.py": "".join(f"import {m}\n" for m in STDLIB)
    + '\n\ndef answer() -> int:\n    return "42"\n',
}


def score(
    repo: SampleRepo,
    files: dict[str, str | None],
    tmp_path: Path,
    scorers: list[Scorer] | None = None,
    **changes: Any,
) -> Verdict:
    artifact = repo.patch_file(files, tmp_path / "artifact")
    applier = PatchApplier(settings(**changes), scorers=scorers)
    verdict = applier.score(repo.path, artifact).verdict
    assert verdict.decision is not PatchDecision.REJECTED, verdict.reason
    return verdict


@pytest.fixture
def calc(tmp_path: Path) -> SampleRepo:
    return SampleRepo(tmp_path / "calc", CALC)


def test_an_unused_import_is_one_introduced_ruff_finding(calc: SampleRepo, tmp_path: Path) -> None:
    source = "import os\n" + dedent(DIVIDE_FIX["src/calc/ops.py"])
    lint = score(calc, {"src/calc/ops.py": source}, tmp_path, [LintScorer()]).scorers["lint"]
    assert [(f["path"], f["line"], f["rule"]) for f in lint["findings"]] == [
        ("src/calc/ops.py", 1, "F401")
    ]
    assert lint["score"] == pytest.approx(0.7)
    assert lint["preexisting"] == 0


def test_pre_existing_lint_debt_is_counted_not_blamed(tmp_path: Path) -> None:
    repo = SampleRepo(tmp_path / "calc", DEBT)
    legacy = DEBT["src/calc/legacy.py"] + "\n\ndef question() -> str:\n    return 'six by nine'\n"
    fix = {**DIVIDE_FIX, "src/calc/legacy.py": legacy}
    lint = score(repo, fix, tmp_path, [LintScorer()]).scorers["lint"]
    assert lint["findings"] == []
    assert lint["preexisting"] == 20
    assert lint["score"] == 1.0
    assert lint["details"]["checked"] == "the 3 file(s) the patch touches that ruff reads"


def test_ruff_and_bandit_read_only_the_files_the_patch_touches(tmp_path: Path) -> None:
    # Debt in files the patch leaves alone is the same in both trees: not even read.
    repo = SampleRepo(tmp_path / "calc", {**DEBT, "src/calc/shell.py": SHELL})
    verdict = score(repo, DIVIDE_FIX, tmp_path, [LintScorer(), SecurityScorer()])
    lint, security = verdict.scorers["lint"], verdict.scorers["security"]
    assert (lint["score"], lint["preexisting"]) == (1.0, 0)
    assert (security["score"], security["preexisting"]) == (1.0, 0)
    assert security["details"]["bandit_checked"] == (
        "the 1 file(s) the patch touches that bandit reads"  # the test file is not a package's
    )
    assert "bandit:trees" in verdict.timings  # both trees' files in one bandit process
    assert "bandit:base" not in verdict.timings
    # Deleting a file with debt: read in the base, where its findings are, and counted fixed.
    deleted = score(repo, {"src/calc/legacy.py": None}, tmp_path / "d", [LintScorer()])
    assert deleted.scorers["lint"]["details"] | {"config": None} == {
        "introduced": 0,
        "fixed": 20,
        "config": None,
        "checked": "the 1 file(s) the patch touches that ruff reads",
    }


def test_a_change_to_ruffs_configuration_checks_the_whole_tree(tmp_path: Path) -> None:
    pyproject = dedent(CALC["pyproject.toml"]) + '\n[tool.ruff.lint]\nselect = ["T20"]\n'
    repo = SampleRepo(tmp_path / "calc", {**DEBT, "pyproject.toml": pyproject})
    stricter = pyproject.replace('["T20"]', '["T20", "F401"]')
    lint = score(repo, {"pyproject.toml": stricter}, tmp_path, [LintScorer()]).scorers["lint"]
    assert len(lint["findings"]) == 20  # legacy.py's imports, which the patch never touched
    assert {f["path"] for f in lint["findings"]} == {"src/calc/legacy.py"}
    assert lint["details"]["checked"] == (
        "the whole tree (the patch changes ruff's configuration in pyproject.toml)"
    )
    # Control: a pyproject.toml change that leaves [tool.ruff] alone keeps ruff on the one file.
    bumped = pyproject.replace('version = "0.1.0"', 'version = "0.1.1"')
    control = score(
        repo, {**DIVIDE_FIX, "pyproject.toml": bumped}, tmp_path / "c", [LintScorer()]
    ).scorers["lint"]
    assert control["details"]["checked"] == "the 2 file(s) the patch touches that ruff reads"


def test_a_file_the_project_excludes_from_ruff_stays_excluded_when_touched(
    tmp_path: Path,
) -> None:
    project = {
        **CALC,
        "ruff.toml": 'extend-exclude = ["src/calc/vendored.py"]\nlint.select = ["F"]\n',
        "src/calc/vendored.py": "VERSION = 1\n",
    }
    repo = SampleRepo(tmp_path / "calc", project)
    patch = {"src/calc/vendored.py": "import os\n\nVERSION = 2\n", **DIVIDE_FIX}
    patch["src/calc/ops.py"] = "import sys\n" + dedent(DIVIDE_FIX["src/calc/ops.py"])
    lint = score(repo, patch, tmp_path, [LintScorer()]).scorers["lint"]
    assert [(f["path"], f["rule"]) for f in lint["findings"]] == [("src/calc/ops.py", "F401")]


def test_the_project_ruff_configuration_is_used(tmp_path: Path) -> None:
    project = {**CALC, "ruff.toml": 'lint.select = ["T20"]\n'}
    repo = SampleRepo(tmp_path / "calc", project)
    source = "import os\n" + dedent(DIVIDE_FIX["src/calc/ops.py"]) + "\nprint('hi')\n"
    lint = score(repo, {"src/calc/ops.py": source}, tmp_path, [LintScorer()]).scorers["lint"]
    assert [f["rule"] for f in lint["findings"]] == ["T201"]  # no F401: the project chose T20 only
    assert lint["details"]["config"] == "project configuration"


def test_a_changed_return_type_breaks_an_unchanged_caller(tmp_path: Path) -> None:
    project = {
        **CALC,
        "src/calc/report.py": """
            from calc.ops import divide


            def half(x: float) -> float:
                return divide(x, 2)
        """,
    }
    repo = SampleRepo(tmp_path / "calc", project)
    changed = DIVIDE_FIX["src/calc/ops.py"].replace(
        "def divide(a: float, b: float) -> float:", "def divide(a: float, b: float) -> str | float:"
    )
    types = score(repo, {"src/calc/ops.py": changed}, tmp_path, [TypesScorer()]).scorers["types"]
    assert [(f["path"], f["rule"]) for f in types["findings"]] == [
        ("src/calc/report.py", "return-value")
    ]
    assert types["findings"][0]["line"] == 5
    assert types["score"] == pytest.approx(0.6)


def test_pre_existing_type_errors_are_not_blamed(tmp_path: Path) -> None:
    repo = SampleRepo(tmp_path / "calc", DEBT)
    types = score(repo, DIVIDE_FIX, tmp_path, [TypesScorer()]).scorers["types"]
    assert types["findings"] == [] and types["preexisting"] == 1
    assert types["score"] == 1.0


SHELL = """
    import subprocess


    def run(cmd: str) -> int:
        return subprocess.call(cmd, shell=True)
"""


def test_shell_true_fires_the_security_gate_even_when_everything_else_is_perfect(
    calc: SampleRepo, tmp_path: Path
) -> None:
    fix = {
        **DIVIDE_FIX,
        "src/calc/shell.py": SHELL,
        "tests/test_shell.py": "from calc.shell import run\n\n\ndef test_run() -> None:\n"
        "    assert run('true') == 0\n",
    }
    verdict = score(calc, fix, tmp_path)
    security = verdict.scorers["security"]
    assert [g["name"] for g in security["gates"]] == ["security"]
    assert {f["rule"] for f in security["findings"]} == {"B404", "B602"}
    others = {n: s["score"] for n, s in verdict.scorers.items() if n != "security"}
    assert others == {"tests": 1.0, "lint": 1.0, "types": 1.0, "coverage": 1.0}
    assert verdict.decision is PatchDecision.MANUAL_REVIEW


def test_the_projects_bandit_configuration_is_read_in_each_tree(tmp_path: Path) -> None:
    pyproject = dedent(CALC["pyproject.toml"]) + '\n[tool.bandit]\nskips = ["B404"]\n'
    repo = SampleRepo(tmp_path / "calc", {**CALC, "pyproject.toml": pyproject})
    verdict = score(repo, {"src/calc/shell.py": SHELL}, tmp_path, [SecurityScorer()])
    security = verdict.scorers["security"]
    assert [f["rule"] for f in security["findings"]] == ["B602"]  # B404 skipped, as configured
    assert "bandit:patched" in verdict.timings  # in the tree, as a tree of its own
    assert "bandit:trees" not in verdict.timings


def test_a_second_copy_of_an_existing_bandit_issue_is_introduced(tmp_path: Path) -> None:
    repo = SampleRepo(tmp_path / "calc", {**CALC, "src/calc/shell.py": SHELL})
    twice = (
        dedent(SHELL)
        + "\n\ndef run_again(cmd: str) -> int:\n    return subprocess.call(cmd, shell=True)\n"
    )
    security = score(repo, {"src/calc/shell.py": twice}, tmp_path, [SecurityScorer()]).scorers[
        "security"
    ]
    assert [(f["rule"], f["line"]) for f in security["findings"]] == [("B602", 9)]
    assert security["preexisting"] == 2  # B404 and the first B602
    assert [g["name"] for g in security["gates"]] == ["security"]


@pytest.fixture
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


@pytest.mark.usefixtures("no_proxy")
def test_pinning_a_vulnerable_requests_fires_the_dependency_gate(tmp_path: Path) -> None:
    repo = SampleRepo(tmp_path / "calc", {**CALC, "requirements.txt": "idna==3.7\n"})
    with FakeOSV() as osv:
        security = score(
            repo,
            {"requirements.txt": "idna==3.7\nrequests==2.25.0\n"},
            tmp_path,
            [SecurityScorer()],
            vulnerability_service="osv",
            osv_url=osv.url,
        ).scorers["security"]
        asked = {(r["package"]["name"], r["version"]) for r in osv.requests}
    assert asked == {("requests", "2.25.0")}  # only what the patch adds (no base counterpart)
    assert [g["name"] for g in security["gates"]] == ["vulnerable_dependency"]
    [finding] = security["findings"]
    assert finding["path"] == "requirements.txt"
    assert "GHSA-j8r2-6x86-q33q" in finding["message"] and "fixed in 2.31.0" in finding["message"]


@pytest.mark.usefixtures("no_proxy")
def test_a_vulnerability_the_base_already_had_is_not_introduced(tmp_path: Path) -> None:
    repo = SampleRepo(tmp_path / "calc", {**CALC, "requirements.txt": "requests==2.25.0\n"})
    known = {**KNOWN_VULNS, ("requests", "2.25.1"): KNOWN_VULNS[("requests", "2.25.0")]}
    with FakeOSV(vulns=known) as osv:
        security = score(
            repo,
            {"requirements.txt": "requests==2.25.1\n"},
            tmp_path,
            [SecurityScorer()],
            vulnerability_service="osv",
            osv_url=osv.url,
        ).scorers["security"]
    assert security["findings"] == [] and security["gates"] == []
    assert security["details"]["audit"]["compared_with_base"] == ["requests==2.25.0"]


@pytest.mark.usefixtures("no_proxy")
def test_vulnerability_service_down_makes_security_unknown(tmp_path: Path) -> None:
    repo = SampleRepo(tmp_path / "calc", {**CALC, "requirements.txt": "idna==3.7\n"})
    verdict = score(
        repo,
        {"requirements.txt": "idna==3.7\nrequests==2.25.0\n"},
        tmp_path,
        [TestsScorer(), SecurityScorer()],
        vulnerability_service="osv",
        osv_url=closed_port_url(),
    )
    security = verdict.scorers["security"]
    assert security["status"] == "unknown"
    assert security["reason"].startswith("pip-audit could not audit the dependencies")
    assert any(g.name == "unknown:security" for g in verdict.gates)
    assert verdict.decision is PatchDecision.MANUAL_REVIEW


def test_unpinned_new_requirement_in_pyproject_cannot_be_audited_offline(
    calc: SampleRepo, tmp_path: Path, no_proxy: None
) -> None:
    pyproject = CALC["pyproject.toml"].replace(
        'version = "0.1.0"', 'version = "0.1.0"\ndependencies = ["idna>=3"]'
    )
    with FakeOSV() as osv:
        security = score(
            calc,
            {"pyproject.toml": pyproject},
            tmp_path,
            [SecurityScorer()],
            vulnerability_service="osv",
            osv_url=osv.url,
        ).scorers["security"]
    if security["status"] == "ok":  # a package index was reachable and resolved it
        assert security["details"]["audit"]["added"] == ["idna>=3"]
    else:
        assert "pip-audit" in security["reason"]


def test_fully_executed_fix_has_coverage_one(calc: SampleRepo, tmp_path: Path) -> None:
    verdict = score(calc, DIVIDE_FIX, tmp_path, [TestsScorer(), CoverageScorer()])
    coverage = verdict.scorers["coverage"]
    assert coverage["score"] == 1.0
    assert coverage["details"]["added_statements"] == 2
    # By default only the changed file is traced: the rest of the suite runs at full speed.
    assert coverage["details"]["measured"] == ["src/calc/ops.py"]
    assert verdict.scorers["tests"]["details"]["coverage_measured"] == ["src/calc/ops.py"]
    assert coverage["details"]["total"] is None


def test_an_untested_branch_lowers_coverage_by_either_engine(
    calc: SampleRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    untested = {
        **DIVIDE_FIX,
        "src/calc/ops.py": dedent(DIVIDE_FIX["src/calc/ops.py"]).replace(
            "    if b == 0:\n",
            "    if b is None:\n        raise TypeError('b is None')\n    if b == 0:\n",
        ),
    }
    scorers: list[Scorer] = [TestsScorer(), CoverageScorer()]
    coverage = score(calc, untested, tmp_path / "auto", scorers, mutation="off").scorers["coverage"]
    assert coverage["score"] == pytest.approx(3 / 4)
    assert [(f["line"], f["message"]) for f in coverage["findings"]] == [
        (10, "added line 10 not executed by any test")
    ]
    # The range, for the annotation on the fix commit.
    assert coverage["details"]["uncovered"] == [
        {"path": "src/calc/ops.py", "start_line": 10, "end_line": 10}
    ]
    assert_the_tracer_agrees(calc, untested, tmp_path, coverage, monkeypatch)


def assert_the_tracer_agrees(
    repo: SampleRepo,
    files: dict[str, str | None],
    tmp_path: Path,
    coverage: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``coverage`` came from this Python's engine — slipcover's bytecode probes on 3.10/3.11,
    coverage on sys.monitoring on 3.12+; forced back to coverage's tracer, every figure is the
    same."""
    engine = coverage["details"].pop("engine")
    assert engine.startswith("slipcover" if sys.version_info < (3, 12) else "coverage")
    monkeypatch.setenv("ERROR_FIX_COVERAGE_ENGINE", "coverage")
    scorers: list[Scorer] = [TestsScorer(), CoverageScorer()]
    traced = score(repo, files, tmp_path / "traced", scorers, mutation="off").scorers["coverage"]
    assert traced["details"].pop("engine").startswith("coverage")
    assert {k: traced[k] for k in ("score", "findings", "details")} == {
        k: coverage[k] for k in ("score", "findings", "details")
    }


EDITED_TEST_BASE = """
    from calc.ops import add, divide


    def test_add() -> None:
        assert add(0, 3) == 3


    def test_divide() -> None:
        assert divide(add(4, 2), 3) == 2
"""

EDITED_TEST_FIX = {
    "src/calc/ops.py": """
        \"\"\"Arithmetic.\"\"\"


        def add(a: int, b: int) -> int:
            if a == 0:
                return b
            return a + b


        def divide(a: float, b: float) -> float:
            if b == 0:
                raise ZeroDivisionError("b is zero")
            return a / b
    """,
    # The patch's test_add no longer calls add: only the base's version took the early return.
    "tests/test_ops.py": EDITED_TEST_BASE.replace("assert add(0, 3) == 3", "assert add"),
}


def test_an_edited_tests_base_version_does_not_count_for_coverage_by_either_engine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The suite runs the base's test_add (its run does not count: the patch edits it) before
    # test_divide, which runs add's new condition (line 5) too; only test_add took line 6.
    repo = SampleRepo(tmp_path / "calc", {**CALC, "tests/test_ops.py": EDITED_TEST_BASE})
    scorers: list[Scorer] = [TestsScorer(), CoverageScorer()]
    verdict = score(repo, EDITED_TEST_FIX, tmp_path / "auto", scorers, mutation="off")
    coverage = verdict.scorers["coverage"]
    assert [f["line"] for f in coverage["findings"]] == [6, 12]
    assert coverage["score"] == pytest.approx(2 / 4)
    assert_the_tracer_agrees(repo, EDITED_TEST_FIX, tmp_path, coverage, monkeypatch)


def test_a_total_coverage_drop_against_a_measured_base_caps_the_score(tmp_path: Path) -> None:
    repo = SampleRepo(tmp_path / "calc", CALC)
    # Deleting the divide test leaves divide() unexecuted: patch coverage says nothing, the total does.
    fewer_tests = {
        "tests/test_ops.py": "from calc.ops import add\n\n\ndef test_add() -> None:\n"
        "    assert add(2, 3) == 5\n"
    }
    coverage = score(
        repo, fewer_tests, tmp_path, [TestsScorer(), CoverageScorer()], coverage_baseline="measure"
    ).scorers["coverage"]
    assert coverage["details"]["baseline_source"] == "measured"
    assert coverage["details"]["total"] < coverage["details"]["baseline"]
    assert coverage["score"] == 0.5
    assert coverage["findings"][-1]["rule"] == "coverage-drop"


def test_the_patched_total_becomes_the_next_base_baseline(calc: SampleRepo, tmp_path: Path) -> None:
    first = score(
        calc,
        DIVIDE_FIX,
        tmp_path / "one",
        [TestsScorer(), CoverageScorer()],
        coverage_baseline="auto",
    )
    assert first.scorers["coverage"]["details"]["baseline_source"].startswith("no baseline")
    calc.commit(DIVIDE_FIX, "merge the fix")  # the base is now the tree the first run measured
    assert first.scorers["coverage"]["details"]["total"] == 100.0
    second = score(
        calc,
        {"src/calc/ops.py": dedent(DIVIDE_FIX["src/calc/ops.py"]) + "\n# note\n"},
        tmp_path / "two",
        [TestsScorer(), CoverageScorer()],
        coverage_baseline="auto",
    )
    assert second.scorers["coverage"]["details"]["baseline_source"] == "cached"
    assert second.scorers["coverage"]["details"]["baseline"] == 100.0


def test_a_clean_tested_fix_on_a_project_with_debt_is_auto_merged(tmp_path: Path) -> None:
    repo = SampleRepo(tmp_path / "calc", DEBT)
    verdict = score(repo, DIVIDE_FIX, tmp_path, mutation="auto")
    assert {n: s["status"] for n, s in verdict.scorers.items()} == dict.fromkeys(
        ("tests", "lint", "types", "security", "coverage", "mutation"), "ok"
    )
    # The fix's test pins its lines down: every mutant of them is killed.
    assert verdict.scorers["mutation"]["findings"] == []
    assert verdict.gates == ()
    assert verdict.overall == 1.0
    assert verdict.decision is PatchDecision.AUTO_MERGE


def test_missing_tools_are_unknown_with_the_reason(calc: SampleRepo, tmp_path: Path) -> None:
    bare = tmp_path / "bare-venv"
    venv.EnvBuilder(with_pip=False).create(bare)
    python = str(bare / "bin" / "python")
    verdict = score(
        calc,
        DIVIDE_FIX,
        tmp_path,
        [LintScorer(), TypesScorer(), SecurityScorer()],
        tool_python=python,
    )
    for name, module in (("lint", "ruff"), ("types", "mypy"), ("security", "bandit")):
        assert verdict.scorers[name]["status"] == "unknown"
        assert verdict.scorers[name]["reason"] == f"{module} is not installed for {python}"
    assert verdict.decision is PatchDecision.MANUAL_REVIEW


def test_with_the_coverage_scorer_off_the_patched_run_measures_nothing(
    calc: SampleRepo, tmp_path: Path
) -> None:
    verdict = score(
        calc,
        DIVIDE_FIX,
        tmp_path,
        [TestsScorer(), CoverageScorer()],
        disabled=frozenset({"coverage"}),
    )
    assert verdict.scorers["coverage"]["status"] == "skipped"
    assert verdict.scorers["tests"]["details"]["fail_to_pass"] == [
        "tests/test_ops.py::test_divide_by_zero"
    ]
    assert verdict.scorers["tests"]["details"]["coverage_measured"] == "nothing"


def _logging_python(path: Path, log: Path, what: str) -> str:
    """An interpreter that appends ``what``, the time and its second argument to ``log`` as
    it starts."""
    path.write_text(
        f'#!/bin/sh\necho "{what} $(date +%s.%N) $2" >> {log}\nexec {sys.executable} "$@"\n'
    )
    path.chmod(0o755)
    return str(path)


def test_the_static_tools_start_once_the_suite_runs(calc: SampleRepo, tmp_path: Path) -> None:
    # The suite is the decision's longest job: it never waits for a tool slot behind ruff,
    # mypy and bandit; they take turns with the sessions beside it.
    log = Path("/dev/shm") / f"error-fix-starts-{tmp_path.name}-{id(tmp_path)}"
    pythons = {
        "tool_python": _logging_python(tmp_path / "tool-python", log, "tool"),
        "python": _logging_python(tmp_path / "project-python", log, "pytest"),
    }
    try:
        verdict = score(calc, DIVIDE_FIX, tmp_path, reruns=0, **pythons)
        lines = [line.split() for line in log.read_text().splitlines()]
    finally:
        log.unlink(missing_ok=True)
    assert verdict.decision is PatchDecision.AUTO_MERGE, verdict.reason
    # The pytest sessions all start as "python -m pytest"; the first is the suite or the
    # proof run beside it.
    first_session = min(float(f[1]) for f in lines if f[0] == "pytest" and f[2] == "pytest")
    tools = {f[2]: float(f[1]) for f in reversed(lines) if f[0] == "tool"}
    assert {"ruff", "mypy", "bandit"} <= set(tools), lines
    assert min(tools.values()) > first_session, lines


def test_the_static_tools_run_when_the_tests_scorer_cannot(
    calc: SampleRepo, tmp_path: Path
) -> None:
    # The tests scorer lets the tools start as its suite starts; one that never starts a
    # suite (no interpreter) must still let them run, and one switched off must hold up
    # neither them nor the coverage scorer, which has no run to read.
    no_python = score(calc, DIVIDE_FIX, tmp_path / "a", python=str(tmp_path / "no-python"))
    switched_off = score(calc, DIVIDE_FIX, tmp_path / "b", disabled={"tests"})
    for verdict in (no_python, switched_off):
        assert [verdict.scorers[n]["status"] for n in ("lint", "types", "security")] == ["ok"] * 3
    assert no_python.scorers["tests"]["status"] == "unknown"
    assert no_python.scorers["coverage"]["status"] == "unknown"
    assert switched_off.scorers["coverage"] == {
        **switched_off.scorers["coverage"],
        "status": "skipped",
        "reason": "the tests scorer is disabled: no test run",
    }
    # Nor does a scoring run without a tests scorer at all.
    alone = score(calc, DIVIDE_FIX, tmp_path / "c", [CoverageScorer()])
    assert alone.scorers["coverage"]["status"] == "unknown"
    assert "the tests scorer does not run" in alone.scorers["coverage"]["reason"]
