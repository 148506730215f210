"""The mutation stage on generated projects: do the tests pin the fix down?

Real pytest runs of real sample projects; the mutants are switched into the project's own test
process. Lint, types and security are switched off here (they have their own tests), so a fix
that is proven and fully covered scores 1.0 and would merge.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from error_fix.decision import PatchDecision, Verdict
from error_fix.mutation import stage
from error_fix.mutation.stage import run_mutation
from error_fix.patch import read_patch
from error_fix.pipeline import PatchApplier
from error_fix.proc import scrubbed_env
from error_fix.report import markdown_report, terminal, verdict_annotations
from error_fix.scorers.interface import ScoringContext
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
    merged = {"disabled": ONLY_TESTS, **changes}
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


def test_a_test_that_pins_the_change_kills_every_mutant_and_the_fix_merges(
    calc: SampleRepo, tmp_path: Path
) -> None:
    verdict = score(
        calc, {"src/calc/ops.py": ROUNDED, "tests/test_ops.py": PINNED}, tmp_path / "artifact"
    )
    mutation = verdict.scorers["mutation"]
    details = mutation["details"]
    assert mutation["findings"] == [], mutation["findings"]
    assert details["survived"] == 0
    assert details["killed"] == details["run"] == details["generated"] >= 8
    assert details["processes"] <= 2  # many mutants per process, never one process each
    assert verdict.decision is PatchDecision.AUTO_MERGE
    assert verdict.timings["mutation"] > 0


def test_changed_lines_no_test_runs_are_reported_as_survivors(
    calc: SampleRepo, tmp_path: Path
) -> None:
    files = {
        "src/calc/ops.py": dedent(ROUNDED).replace(
            "def divide(",
            "def percent(part: float, whole: float) -> float:\n"
            "    return 100 * part / whole\n\n\ndef divide(",
        ),
        "tests/test_ops.py": PINNED,
    }
    verdict = score(calc, files, tmp_path / "artifact")
    mutation = verdict.scorers["mutation"]
    unreached = [f for f in mutation["findings"] if "no test runs this line" in f["message"]]
    assert [(f["path"], f["line"]) for f in unreached] == [("src/calc/ops.py", 9)]
    assert unreached[0]["message"].startswith("no test fails when `100 * part / whole` becomes")
    # Below the auto-merge threshold already (uncovered lines), so nothing to cap: it stays a PR.
    assert verdict.decision is PatchDecision.AUTO_MERGE_PR


COUNT_DOWN = {
    "src/calc/ops.py": dedent(CALC["src/calc/ops.py"])
    + "\n\n"
    + dedent(
        '''

    def steps_to_zero(n: int) -> int:
        """How many steps of 1 take n down to 0."""
        steps = 0
        while n > 0:
            n -= 1
            steps += 1
        return steps
'''
    ),
    "tests/test_ops.py": dedent(CALC["tests/test_ops.py"]).replace(
        "from calc.ops import add, divide", "from calc.ops import add, divide, steps_to_zero"
    )
    + "\n\n"
    + dedent(
        """

    def test_steps_to_zero() -> None:
        assert steps_to_zero(3) == 3
        assert steps_to_zero(0) == 0
"""
    ),
}
"""``n -= 1`` becomes ``n += 1`` or ``pass``: the test loops for ever."""


def test_a_mutant_that_hangs_is_killed_at_its_timeout(calc: SampleRepo, tmp_path: Path) -> None:
    verdict = score(calc, COUNT_DOWN, tmp_path / "artifact")
    details = verdict.scorers["mutation"]["details"]
    hung = [m for m in details["mutants"] if m["status"] == "timeout"]
    assert {m["original"] for m in hung} >= {"n -= 1"}
    assert all(m["by"] == "tests/test_ops.py::test_steps_to_zero" for m in hung)
    assert details["timed_out"] == len(hung)
    assert details["survived"] == 0 and details["killed"] == details["run"]
    assert verdict.decision is PatchDecision.AUTO_MERGE
    assert verdict.scorers["mutation"]["duration_s"] < 20


def test_a_test_that_notices_the_switch_itself_kills_nothing(
    calc: SampleRepo, tmp_path: Path
) -> None:
    """A patch's test that fails whenever the function's code object is not the one imported
    would kill every mutant without checking any behaviour; the control run catches it."""
    sniffing = PINNED.replace(
        "from calc.ops import add, divide",
        "from calc.ops import add, divide\n\nIMPORTED = divide.__code__",
    ).replace(
        "def test_divide_rounds_to_cents() -> None:\n",
        "def test_divide_rounds_to_cents() -> None:\n    assert divide.__code__ is IMPORTED\n",
    )
    verdict = score(
        calc, {"src/calc/ops.py": ROUNDED, "tests/test_ops.py": sniffing}, tmp_path / "artifact"
    )
    details = verdict.scorers["mutation"]["details"]
    assert details["control_failing"] == ["tests/test_ops.py::test_divide_rounds_to_cents"]
    assert details["survived"] >= 1
    assert verdict.decision is PatchDecision.AUTO_MERGE_PR


def test_out_of_budget_mutants_are_reported_and_leave_the_decision(
    calc: SampleRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stage, "MIN_BUDGET_S", 0.0)
    verdict = score(
        calc,
        {"src/calc/ops.py": ROUNDED, "tests/test_ops.py": PINNED},
        tmp_path / "artifact",
        mutation_budget=1e-9,
        mutation_max=3,
    )
    mutation = verdict.scorers["mutation"]
    details = mutation["details"]
    assert details["selected"] == 3
    assert details["run"] == 0
    assert details["out_of_budget"] == details["generated"] >= 8
    assert details["over_max"] == details["generated"] - 3
    assert "out of budget" in mutation["reason"]
    assert verdict.decision is PatchDecision.AUTO_MERGE


def _digest(tree: Path) -> dict[str, str]:
    return {
        str(p.relative_to(tree)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(tree.rglob("*.py"))
        if "__pycache__" not in p.parts
    }


def test_mutants_never_touch_the_checkout_or_the_patched_tree(
    calc: SampleRepo, tmp_path: Path
) -> None:
    artifact = calc.patch_file(
        {"src/calc/ops.py": ROUNDED, "tests/test_ops.py": REPORTED_CASE_ONLY},
        tmp_path / "artifact",
    )
    patch = read_patch(artifact, max_bytes=1 << 20, allow_binary=False, protected=())
    checkout = _digest(calc.path)
    before = calc.snapshot()
    base = git(calc.path, "rev-parse", "HEAD").strip()
    with Workspace(calc.path, base, patch) as ws:
        ctx = ScoringContext(
            settings=settings(disabled=ONLY_TESTS),
            patch=patch,
            base=ws.base,
            patched=ws.patched,
            tests_tree=ws.tests,
            scratch=ws.scratch,
            env=scrubbed_env(),
        )
        tests = TestsScorer().run(ctx)
        patched = _digest(ws.patched)
        status = git(ws.patched, "status", "--porcelain")
        mutation = run_mutation(ctx, tests)
        assert mutation.details["survived"] >= 1 and mutation.details["killed"] >= 1
        assert _digest(ws.patched) == patched
        assert git(ws.patched, "status", "--porcelain") == status
    assert _digest(calc.path) == checkout
    assert calc.snapshot() == before
