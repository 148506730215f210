"""The mutation stage on generated projects: do the tests pin the fix down?

Real pytest runs of real sample projects; the mutants are switched into the project's own test
process. Lint, types and security are switched off here (they have their own tests), so a fix
that is proven and fully covered scores 1.0 and would merge.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from error_fix.decision import PatchDecision, Verdict
from error_fix.mutation import stage
from error_fix.mutation.stage import run_mutation
from error_fix.patch import Patch, read_patch
from error_fix.pipeline import PatchApplier
from error_fix.proc import scrubbed_env
from error_fix.report import markdown_report, terminal, verdict_annotations
from error_fix.scorers.interface import ScorerStatus, ScoringContext
from error_fix.scorers.tests import TestsScorer
from error_fix.workspace import Workspace
from tests.sample import CALC, SampleRepo, dedent, git, settings

ONLY_TESTS = frozenset({"lint", "types", "security"})

ROUNDED = '''
    """Arithmetic."""


    def add(a: int, b: int) -> int:
        return a + b


    def divide(a: float, b: float) -> float:
        if b == 0:
            return 0.0
        return round(a / b, 2)
'''
"""Fixes the division by zero, and also rounds every result: a change no test asked for."""

REPORTED_CASE_ONLY = (
    dedent(CALC["tests/test_ops.py"])
    + "\n\n"
    + dedent(
        """

    def test_divide_by_zero() -> None:
        assert divide(1, 0) == 0.0
"""
    )
)
"""The new test checks the reported case and nothing else."""

PINNED = (
    REPORTED_CASE_ONLY
    + "\n\n"
    + dedent(
        """

    def test_divide_rounds_to_cents() -> None:
        assert divide(1, 3) == 0.33
        assert divide(-2, 3) == -0.67
"""
    )
)
"""The same fix, with a test that pins the rounding down."""


def score(repo: SampleRepo, files: dict[str, str | None], where: Path, **changes: Any) -> Verdict:
    artifact = repo.patch_file(files, where)
    merged = {"disabled": ONLY_TESTS, "mutation": "auto", **changes}
    verdict = PatchApplier(settings(**merged)).score(repo.path, artifact).verdict
    assert verdict.decision is not PatchDecision.REJECTED, verdict.reason
    return verdict


@pytest.fixture
def calc(tmp_path: Path) -> SampleRepo:
    return SampleRepo(tmp_path / "calc", CALC)


def test_an_untested_change_on_a_fixed_line_survives_and_caps_the_merge(
    calc: SampleRepo, tmp_path: Path
) -> None:
    before = calc.snapshot()
    verdict = score(
        calc,
        {"src/calc/ops.py": ROUNDED, "tests/test_ops.py": REPORTED_CASE_ONLY},
        tmp_path / "artifact",
    )
    assert verdict.overall == 1.0  # proven and covered: it would have merged
    mutation = verdict.scorers["mutation"]
    assert mutation["status"] == "ok", mutation["reason"]
    described = [f["message"] for f in mutation["findings"]]
    assert (
        "no test fails when `return round(a / b, 2)` becomes `return round(a / b, 3)` (line 11)"
        in described
    )
    assert {f["line"] for f in mutation["findings"]} == {11}
    assert all(f["path"] == "src/calc/ops.py" for f in mutation["findings"])
    details = mutation["details"]
    assert details["survived"] == len(mutation["findings"]) >= 1
    assert details["killed"] >= 5  # every mutant of the zero check dies
    assert details["run"] == details["killed"] + details["survived"]
    assert verdict.decision is PatchDecision.AUTO_MERGE_PR
    # Shown where people look: the terminal, the PR body / job summary, the check run's lines.
    assert "becomes `return round(a / b, 3)` (line 11)" in terminal(verdict)
    body = markdown_report(verdict)
    assert "**Do the tests pin the fix down?**" in body
    assert (
        "- `src/calc/ops.py:11`: no test fails when `return round(a / b, 2)` becomes "
        "`return round(a / b, 3)` (line 11)"
    ) in body
    annotations = [a for a in verdict_annotations(verdict) if a.section == "mutation"]
    assert {(a.path, a.start_line, a.level) for a in annotations} == {
        ("src/calc/ops.py", 11, "warning")
    }
    assert calc.snapshot() == before


STEPS = dedent(
    '''

    def steps_to_zero(n: int) -> int:
        """How many steps of 1 take n down to 0."""
        steps = 0
        while n > 0:
            n -= 1
            steps += 1
        return steps
'''
)
"""``n -= 1`` becomes ``n += 1`` or ``pass``: the test loops for ever."""

STEPS_TEST = dedent(
    """

    from calc.ops import steps_to_zero


    def test_steps_to_zero() -> None:
        assert steps_to_zero(3) == 3
        assert steps_to_zero(0) == 0
"""
)


def _context(ws: Workspace, patch: Patch, **changes: Any) -> ScoringContext:
    """The context the pipeline would give the scorers for ``patch`` in ``ws`` (tests only)."""
    return ScoringContext(
        settings=settings(disabled=ONLY_TESTS, mutation="auto", **changes),
        patch=patch,
        base=ws.base,
        patched=ws.patched,
        tests_tree=ws.tests,
        scratch=ws.scratch,
        env=scrubbed_env(),
        regression=ws.regression,
        harness=ws.harness,
        sandbox=ws.sandbox,
    )


def _digest(tree: Path) -> dict[str, str]:
    return {
        str(p.relative_to(tree)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(tree.rglob("*.py"))
        if "__pycache__" not in p.parts
    }


def test_tests_that_pin_the_fix_kill_every_mutant_a_hang_included_and_the_fix_merges(
    calc: SampleRepo, tmp_path: Path
) -> None:
    files = {"src/calc/ops.py": dedent(ROUNDED) + STEPS, "tests/test_ops.py": PINNED + STEPS_TEST}
    verdict = score(calc, files, tmp_path / "artifact")
    mutation = verdict.scorers["mutation"]
    details = mutation["details"]
    assert mutation["findings"] == [], mutation["findings"]
    assert details["survived"] == 0 and details["control_failing"] == []
    assert details["killed"] == details["run"] == details["selected"] == 25  # mutation-max
    assert details["over_max"] == details["generated"] - 25
    hung = [m for m in details["mutants"] if m["status"] == "timeout"]
    assert {m["original"] for m in hung} >= {"n -= 1"}
    assert all(m["by"] == "tests/test_ops.py::test_steps_to_zero" for m in hung)
    assert details["timed_out"] == len(hung)
    # Many mutants per process, a hang stopped inside it: never one process per mutant. The
    # patch's own tests met them all beside the suite.
    assert details["processes"] <= 2
    assert details["first_pass"]["mutants"] == 25
    assert verdict.decision is PatchDecision.AUTO_MERGE
    assert verdict.timings["mutation:first-pass"] > 0 and "mutation" in verdict.timings


SNIFFERS = dedent(
    """

    import sys

    IMPORTED = divide.__code__


    def test_divide_is_the_imported_code() -> None:
        divide(1, 3)  # runs the changed lines, so it is chosen to kill their mutants
        assert divide.__code__ is IMPORTED


    def test_divide_is_what_its_file_compiles_to() -> None:
        divide(1, 3)  # runs the changed lines, so it is chosen to kill their mutants
        path = divide.__code__.co_filename
        with open(path, encoding="utf-8") as fh:
            module = compile(fh.read(), path, "exec")
        [code] = [c for c in module.co_consts if getattr(c, "co_name", "") == "divide"]
        assert divide.__code__.co_code == code.co_code


    def test_no_mutant_runner_is_loaded() -> None:
        divide(1, 3)  # runs the changed lines, so it is chosen to kill their mutants
        assert "error_fix_mutants" not in sys.modules
"""
)
"""Tests that check no behaviour and fail whenever the code under test was swapped: without the
control they would kill every mutant, so an untested change would still merge."""


def test_tests_that_notice_the_switch_kill_nothing_and_mutants_touch_no_tree(
    calc: SampleRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Thinks like the patch: its own tests try to make every mutant look killed. Also: a line
    no test runs survives, the budget leaves mutants unrun, and nothing is written to the
    checkout or the patched tree."""
    with_unreached = dedent(ROUNDED).replace(
        "def divide(",
        "def percent(part: float, whole: float) -> float:\n"
        "    return 100 * part / whole\n\n\ndef divide(",
    )
    artifact = calc.patch_file(
        {"src/calc/ops.py": with_unreached, "tests/test_ops.py": REPORTED_CASE_ONLY + SNIFFERS},
        tmp_path / "artifact",
    )
    patch = read_patch(artifact, max_bytes=1 << 20, allow_binary=False, protected=())
    checkout = _digest(calc.path)
    before = calc.snapshot()
    base = git(calc.path, "rev-parse", "HEAD").strip()
    with Workspace(calc.path, base, patch) as ws:
        ctx = _context(ws, patch)
        tests = TestsScorer().run(ctx)
        assert tests.status is ScorerStatus.OK, tests.reason
        patched = _digest(ws.patched)
        status = git(ws.patched, "status", "--porcelain")

        mutation = run_mutation(ctx, tests)
        details = mutation.details
        assert details["control_failing"] == [
            "tests/test_ops.py::test_divide_is_the_imported_code",
            "tests/test_ops.py::test_divide_is_what_its_file_compiles_to",
            "tests/test_ops.py::test_no_mutant_runner_is_loaded",
        ]
        assert details["control_equivalent"] >= 1
        survivors = {(f.line, f.message.split(";")[0]) for f in mutation.findings}
        assert (
            15,
            "no test fails when `return round(a / b, 2)` becomes `return round(a / b, 3)` "
            "(line 15)",
        ) in survivors
        unreached = [f for f in mutation.findings if "no test runs this line" in f.message]
        assert [(f.path, f.line) for f in unreached] == [("src/calc/ops.py", 9)]
        assert details["killed"] >= 1  # the zero check's mutants fail the reported case
        assert _digest(ws.patched) == patched
        assert git(ws.patched, "status", "--porcelain") == status

        monkeypatch.setattr(stage, "MIN_BUDGET_S", 0.0)
        starved = run_mutation(
            replace(
                ctx,
                settings=settings(mutation="auto", mutation_budget=1e-9, mutation_max=3),
                mutation_first_pass=[],
            ),
            tests,
        )
        details = starved.details
        assert details["selected"] == 3 and details["killed"] == 0
        assert details["over_max"] == details["generated"] - 3
        assert details["out_of_budget"] == details["generated"] - details["survived"]
        assert "out of budget" in str(starved.reason)
    assert _digest(calc.path) == checkout
    assert calc.snapshot() == before


WEAK_TEST = """

def test_divide_by_zero() -> None:
    assert divide(1, 0) == divide(2, 0)
"""

WEAKLY_TESTED_FIX = {
    "src/calc/ops.py": dedent(CALC["src/calc/ops.py"]).replace(
        "return a / b", "return a / b if b != 0 else 0.0"
    ),
    "tests/test_ops.py": dedent(CALC["tests/test_ops.py"]) + WEAK_TEST,
}
"""A one-line fix whose own test misses `a * b` (1 * 0 == 2 * 0): the base's test_divide
does not."""


def test_the_patchs_own_tests_meet_the_mutants_beside_the_suite_and_the_rest_after(
    calc: SampleRepo, tmp_path: Path
) -> None:
    """First pass, beside the suite: the patch's own (weak) test against the mutants of the lines
    it runs. A mutant it misses is not let go: after the decision the base's tests that run the
    line meet it (not the test it already survived)."""
    verdict = score(calc, WEAKLY_TESTED_FIX, tmp_path / "a")
    details = verdict.scorers["mutation"]["details"]
    first = details["first_pass"]
    assert first["mutants"] >= 3 and first["processes"] == 1, first
    assert first["killed"] >= 1 and first["survived"] >= 1, first
    by_text = {m["mutated"]: m for m in details["mutants"]}
    # Survived `divide(1, 0) == divide(2, 0)`; the base's test_divide kills it afterwards.
    assert by_text["a * b"]["status"] == "killed"
    assert by_text["a * b"]["by"] == "tests/test_ops.py::test_divide"
    # The patch's own test kills `b == 0` in the first pass; nothing runs it again.
    assert by_text["b == 0"]["by"] == "tests/test_ops.py::test_divide_by_zero"
    assert details["processes"] == first["processes"] + 1  # one more process, after the suite
    assert verdict.timings["pytest:mutants-first"] > 0


SLOW_TEST = """

def test_slow() -> None:
    time.sleep(3)
"""


def test_the_second_pass_runs_in_a_process_that_collected_beside_the_suite(
    tmp_path: Path,
) -> None:
    """When the other core is free before the suite ends, a mutant process starts there,
    collects, and waits: the second pass then costs no start-up after the suite. It decides
    as a fresh process would (the test above)."""
    slow = "import time\n" + dedent(CALC["tests/test_ops.py"]) + SLOW_TEST
    repo = SampleRepo(tmp_path / "calc", {**CALC, "tests/test_ops.py": slow})
    fix = {**WEAKLY_TESTED_FIX, "tests/test_ops.py": slow + WEAK_TEST}
    verdict = score(repo, fix, tmp_path / "a")
    details = verdict.scorers["mutation"]["details"]
    by_text = {m["mutated"]: m for m in details["mutants"]}
    assert by_text["a * b"]["status"] == "killed"
    assert by_text["a * b"]["by"] == "tests/test_ops.py::test_divide"
    assert by_text["b == 0"]["by"] == "tests/test_ops.py::test_divide_by_zero"
    timings = verdict.timings
    assert {"pytest:mutants-collect", "pytest:mutants-waiting"} <= set(timings), timings
    assert "pytest:mutants-0" not in timings  # no process started after the suite
    assert details["processes"] == details["first_pass"]["processes"] + 1


def test_the_second_pass_starts_as_the_suite_ends_and_a_fix_that_will_not_merge_stops_it(
    tmp_path: Path,
) -> None:
    """The second pass runs beside the rest of the tests scorer's work; when the decision does
    not need it, it starts no further mutant. Control: left alone, it decides every mutant."""
    slow = dedent(CALC["tests/test_ops.py"]).replace(
        "def test_divide() -> None:\n", "def test_divide() -> None:\n    time.sleep(0.4)\n"
    )
    repo = SampleRepo(tmp_path / "calc", {**CALC, "tests/test_ops.py": "import time\n" + slow})
    # No test of its own: no proof run, so no first pass; every mutant is the second pass's.
    artifact = repo.patch_file({"src/calc/ops.py": ROUNDED}, tmp_path / "artifact")
    patch = read_patch(artifact, max_bytes=1 << 20, allow_binary=False, protected=())
    base = git(repo.path, "rev-parse", "HEAD").strip()
    with Workspace(repo.path, base, patch) as ws:
        ctx = _context(ws, patch, mutation_budget=100.0)
        tests = TestsScorer().run(ctx)
        assert tests.status is ScorerStatus.OK, tests.reason
        assert ctx.mutation_first_pass == [] and len(ctx.mutation_second_pass) == 1
        stage.stop_second_pass(ctx)  # what the pipeline does for a fix that does not merge
        stopped = ctx.mutation_second_pass[0].result().details
        runnable = stopped["selected"] - 1  # `return 0.0`: no test runs it
        assert runnable >= 8, stopped["mutants"]
        assert stopped["out_of_budget"] >= runnable - 2, stopped["mutants"]

        alone = run_mutation(replace(ctx, mutation_second_pass=[]), tests).details
        assert alone["out_of_budget"] == alone["over_max"], alone["mutants"]
        assert alone["run"] == runnable and alone["killed"] >= 1


def test_own_tests_that_notice_the_switch_kill_nothing_in_the_first_pass(
    calc: SampleRepo, tmp_path: Path
) -> None:
    """Thinks like the patch: its own tests run the changed lines and fail whenever the code is
    swapped, and they pass in the proof run, so they meet the mutants in the first pass, beside
    the suite, where a kill would stand. The control there keeps them from killing anything: the
    untested rounding still survives and caps the merge."""
    sniffers = REPORTED_CASE_ONLY + dedent(
        """

        import sys

        IMPORTED = divide.__code__


        def test_divide_is_the_imported_code() -> None:
            divide(1, 3)
            assert divide.__code__ is IMPORTED


        def test_no_mutant_runner_is_loaded() -> None:
            divide(1, 3)
            assert "error_fix_mutants" not in sys.modules
        """
    )
    verdict = score(
        calc, {"src/calc/ops.py": ROUNDED, "tests/test_ops.py": sniffers}, tmp_path / "artifact"
    )
    details = verdict.scorers["mutation"]["details"]
    assert details["first_pass"] is not None and details["first_pass"]["mutants"] >= 5
    assert details["control_failing"] == [
        "tests/test_ops.py::test_divide_is_the_imported_code",
        "tests/test_ops.py::test_no_mutant_runner_is_loaded",
    ]
    rounding = [m for m in details["mutants"] if m["original"] == "2" and m["mutated"] == "3"]
    assert [m["status"] for m in rounding] == ["survived"], details["mutants"]
    assert verdict.decision is PatchDecision.AUTO_MERGE_PR
