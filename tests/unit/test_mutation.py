"""Mutants of changed lines, the stage's skips, its cap on the decision, and its report."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from error_fix import testrun
from error_fix.config import ConfigError, Settings
from error_fix.decision import PatchDecision, Verdict, capped_by_mutation
from error_fix.harness import HarnessChange
from error_fix.mutation.mutants import Mutant, by_line, equivalent_edits, generate, round_robin
from error_fix.mutation.reach import Reach, read_reach
from error_fix.mutation.stage import (
    FirstPass,
    Outcome,
    _shares,
    _Worker,
    first_pass_jobs,
    run_mutation,
)
from error_fix.mutation.switch_plugin import changed_functions, compile_file
from error_fix.report import markdown_report, terminal, verdict_annotations
from error_fix.scorers.interface import Finding, ScorerResult, ScorerStatus, ScoringContext
from error_fix.scorers.test_sessions import project_runner
from tests.sample import CALC, SampleRepo, dedent, make_patch, settings

SOURCE = dedent(
    '''
    """Prices."""
    LIMIT = 3


    def price(amount, discount):
        """The price after the discount."""
        if amount < LIMIT and discount is not None:
            total = amount - discount
            total += 1
            return total
        return round(amount * 1.5, 2)


    class Basket:
        EMPTY = []

        def size(self, items):
            return len(items) if items else 0
    '''
).encode()


def described(mutants: list[Mutant]) -> list[str]:
    return [m.described() for m in mutants]


def test_each_classic_operator_on_a_changed_line() -> None:
    found = generate(SOURCE, "prices.py", [7])
    assert described(found) == [
        "no test fails when `amount < LIMIT` becomes `amount <= LIMIT` (line 7)",
        "no test fails when `amount < LIMIT` becomes `amount >= LIMIT` (line 7)",
        "no test fails when `discount is not None` becomes `discount is None` (line 7)",
        "no test fails when `amount < LIMIT and discount is not None` becomes "
        "`amount < LIMIT or discount is not None` (line 7)",
        "no test fails when `amount < LIMIT and discount is not None` becomes "
        "`not (amount < LIMIT and discount is not None)` (line 7)",
    ]
    assert {m.function for m in found} == {"price"}
    operators = {m.operator for m in generate(SOURCE, "prices.py", range(1, 20))}
    assert operators == {
        "boundary",
        "negate",
        "and_or",
        "condition",
        "arithmetic",
        "constant",
        "return",
        "remove",
    }


def test_constants_returns_and_removals_are_shown_in_their_line() -> None:
    found = described(generate(SOURCE, "prices.py", [9, 11]))
    assert "no test fails when `total += 1` becomes `total += 2` (line 9)" in found
    assert "no test fails when `total += 1` becomes `total -= 1` (line 9)" in found
    assert "no test fails when `total += 1` becomes `pass` (line 9)" in found
    assert (
        "no test fails when `return round(amount * 1.5, 2)` becomes `return None` (line 11)"
        in found
    )


def test_only_changed_lines_inside_functions_are_mutated() -> None:
    # Line 2 is module level, 6 a docstring, 15 a class body: none runs when a test calls.
    assert generate(SOURCE, "prices.py", [1, 2, 6, 14, 15]) == []
    assert {m.function for m in generate(SOURCE, "prices.py", [18])} == {"Basket.size"}
    assert generate(b"def broken(:\n", "x.py", [1]) == []


def test_the_message_of_a_raise_or_an_assert_is_not_mutated() -> None:
    source = (
        b"def check(n):\n"
        b"    if n < 0:\n"
        b"        raise ValueError('n must not be negative: ' + str(n))\n"
        b"    assert n != 13, 'unlucky'\n"
        b"    return 'ok'\n"
    )
    found = [(m.line, m.operator, m.mutated) for m in generate(source, "c.py", [3, 4, 5])]
    assert (3, "remove", "pass") in found  # the raise itself still goes
    assert (4, "negate", "n == 13") in found
    assert (5, "constant", '""') in found  # a returned string is behaviour
    assert (4, "constant", "14") in found  # a number in the condition is behaviour too
    assert not [f for f in found if f[0] in (3, 4) and f[2] in ('""', '"error-fix"')]


def test_a_mutant_keeps_every_line_where_it_was() -> None:
    source = dedent(
        """
        def f(x):
            y = compute(
                x,
                1,
            )
            return y
        """
    ).encode()
    removal = next(m for m in generate(source, "f.py", [2]) if m.operator == "remove")
    mutated = removal.apply(source)
    assert mutated.count(b"\n") == source.count(b"\n")
    assert mutated.splitlines()[1].strip() == b"pass"
    assert mutated.splitlines()[5] == b"    return y"


def test_every_changed_line_is_covered_before_a_line_gets_a_second_mutant() -> None:
    groups = list(by_line(generate(SOURCE, "prices.py", [7, 8, 9])).values())
    chosen = round_robin(groups, 4)
    assert [m.line for m in chosen] == [7, 8, 9, 7]
    assert len(round_robin(groups, 100)) == sum(len(g) for g in groups)


def test_a_first_pass_kill_stands_and_a_survivor_meets_only_the_tests_it_has_not_met() -> None:
    killed, spared, done, unrun, unreached = generate(SOURCE, "prices.py", [7])[:5]
    early = [
        Outcome(killed, ["t::own"], "killed", by="t::own"),
        Outcome(spared, ["t::own"], "survived"),
        Outcome(done, ["t::own"], "survived"),
        Outcome(unrun, ["t::own"]),  # the first pass ran out of time
    ]
    first = FirstPass({o.mutant.key: o for o in early}, _Worker("first", early), 1.0)
    second = [
        Outcome(killed, ["t::own", "t::base"]),
        Outcome(spared, ["t::own", "t::base"]),
        Outcome(done, ["t::own"]),
        Outcome(unrun, ["t::own", "t::base"]),
        Outcome(unreached, [], "survived", note="no test runs this line"),
    ]
    first.carry_into(second)
    assert [(o.status, o.by, o.untried) for o in second] == [
        ("killed", "t::own", ["t::own", "t::base"]),
        ("out_of_budget", None, ["t::base"]),
        ("survived", None, []),
        ("out_of_budget", None, ["t::own", "t::base"]),
        ("survived", None, []),
    ]
    assert first.to_dict()["killed"] == 1 and first.to_dict()["survived"] == 2


def test_mutants_share_a_process_unless_their_tests_outlast_a_start_up() -> None:
    mutants = generate(SOURCE, "prices.py", [7, 8])[:4]
    quick = Reach({}, {"t::a": 0.01, "t::b": 0.02}, "markers", None)
    slow = Reach({}, {"t::a": 2.0, "t::b": 0.02}, "markers", None)
    outcomes = [Outcome(m, ["t::a", "t::b"]) for m in mutants]
    assert [len(s) for s in _shares(outcomes, quick, 2)] == [4]
    assert [len(s) for s in _shares(outcomes, slow, 2)] == [2, 2]
    assert [len(s) for s in _shares(outcomes, slow, 1)] == [4]


def test_code_that_changes_is_the_mutated_function_and_what_encloses_it() -> None:
    source = b"def outer(a):\n    def inner(b):\n        return b + 1\n    return inner(a)\n"
    mutant = next(m for m in generate(source, "n.py", [3]) if m.operator == "arithmetic")
    pairs = changed_functions(
        compile_file(source, "n.py"), compile_file(mutant.apply(source), "n.py")
    )
    assert [before.co_name for before, _ in pairs] == ["outer", "inner"]


def test_equivalent_edits_change_the_code_of_changed_lines_and_nothing_it_does() -> None:
    source = dedent(
        """
        def divide(a, b):
            if b == 0:
                return 0.0
            return round(a / b, 2)


        def add(a, b):
            return a + b
        """
    ).encode()
    edits = equivalent_edits(source, [2, 3, 4])
    assert sorted(edits) == [2, 4]  # a bare constant has nothing to wrap
    assert edits[4][0][2] == "[(round(a / b, 2))][0]"  # the outermost expression first
    edited = source
    for start, end, text in sorted((e[0] for e in edits.values()), reverse=True):
        edited = edited[:start] + text.encode() + edited[end:]
    original, changed = compile_file(source, "ops.py"), compile_file(edited, "ops.py")
    assert [a.co_name for a, _ in changed_functions(original, changed)] == ["divide"]
    namespaces: list[dict[str, Any]] = [{}, {}]
    exec(original, namespaces[0])
    exec(changed, namespaces[1])
    for args in [(1, 0), (1, 3), (-2, 3)]:
        assert namespaces[0]["divide"](*args) == namespaces[1]["divide"](*args)


def test_reach_parts_of_every_process_are_merged(tmp_path: Path) -> None:
    out = tmp_path / "error_fix_reach.out"
    out.write_text(
        '{"engine": "coverage contexts", "reach": {"a.py": {"3": ["t::x"]}}, '
        '"durations": {"t::x": 0.5}}'
    )
    (tmp_path / "error_fix_reach.out.gw1").write_text(
        '{"engine": "coverage contexts", "reach": {"a.py": {"3": ["t::y"]}}, "durations": {}}'
    )
    reach = read_reach([out])
    assert reach.tests[("a.py", 3)] == {"t::x", "t::y"}
    assert reach.durations == {"t::x": 0.5}
    missing = read_reach([tmp_path / "nothing"])
    assert missing.engine is None and "recorded no per-test reach" in str(missing.reason)


def _context(tmp_path: Path, **changes: Any) -> ScoringContext:
    repo = SampleRepo(tmp_path / "calc", CALC)
    files = changes.pop(
        "files", {"src/calc/ops.py": dedent(CALC["src/calc/ops.py"]) + "\n\nX = 1\n"}
    )
    harness = changes.pop("harness", ())
    patch = make_patch(repo, files)
    repo.commit(files)  # the checkout stands for the patched tree
    return ScoringContext(
        harness=harness,
        settings=settings(**{"mutation": "auto", **changes}),
        patch=patch,
        base=repo.path,
        patched=repo.path,
        tests_tree=None,
        scratch=tmp_path,
        env={},
    )


OK_TESTS = ScorerResult("tests", ScorerStatus.OK, 1.0, details={"suite_duration_s": 1.0})


@pytest.mark.parametrize(
    ("changes", "tests", "reason"),
    [
        ({"mutation": "off"}, OK_TESTS, "mutation = off"),
        ({}, ScorerResult.unknown("tests", "timed out"), "the tests scorer did not score"),
        ({}, OK_TESTS, "no changed line is executable code inside a function"),
        (
            {"harness": (HarnessChange("tests/conftest.py", "conftest.py"),)},
            OK_TESTS,
            "the patch changes the test harness (tests/conftest.py): its tests cannot judge",
        ),
    ],
    ids=["off", "tests-unknown", "module-level-only", "harness-changed"],
)
def test_the_stage_skips_cleanly_with_its_reason(
    tmp_path: Path, changes: dict[str, Any], tests: ScorerResult, reason: str
) -> None:
    result = run_mutation(_context(tmp_path, **changes), tests)
    assert result.status is ScorerStatus.SKIPPED
    assert reason in str(result.reason)
    assert capped_by_mutation(PatchDecision.AUTO_MERGE, result) is PatchDecision.AUTO_MERGE


def test_no_reach_recorded_is_a_skip_with_the_reason(tmp_path: Path) -> None:
    ctx = _context(
        tmp_path,
        files={"src/calc/ops.py": CALC["src/calc/ops.py"].replace("a + b", "b + a")},
    )
    result = run_mutation(ctx, OK_TESTS)
    assert result.status is ScorerStatus.SKIPPED
    assert "which tests run the changed lines is not known" in str(result.reason)


def _run(tree: Path, **outcomes: testrun.TestStatus) -> testrun.TestRun:
    return testrun.TestRun(
        tree,
        {f"tests/test_ops.py::{n}": s for n, s in outcomes.items()},
        {},
        0,
        False,
        1,
        junit_found=True,
    )


def test_no_first_pass_for_a_fix_whose_own_test_fails_or_whose_suite_already_failed(
    tmp_path: Path,
) -> None:
    ctx = _context(
        tmp_path, files={"src/calc/ops.py": CALC["src/calc/ops.py"].replace("a + b", "b + a")}
    )
    runner = project_runner(ctx, sys.executable)  # never starts: nothing is due
    passing = _run(ctx.patched, test_new=testrun.TestStatus.PASSED)
    failing = _run(
        ctx.patched, test_new=testrun.TestStatus.PASSED, test_other=testrun.TestStatus.FAILED
    )
    assert first_pass_jobs(ctx, runner, failing) == []
    off = replace(ctx, settings=settings(mutation="off"))
    assert first_pass_jobs(off, runner, passing) == []
    harness = replace(ctx, harness=(HarnessChange("tests/conftest.py", "conftest.py"),))
    assert first_pass_jobs(harness, runner, passing) == []
    # Queued while the suite ran; the suite has failed a test by the time its turn comes.
    [(tree, job)] = first_pass_jobs(
        ctx,
        runner,
        passing,
        lambda: _run(ctx.patched, test_add=testrun.TestStatus.FAILED),
    )
    assert tree == ctx.patched
    assert job() == []
    # Still running, but it failed a test already: neither the first pass nor, for a patch
    # without tests of its own, the process that would wait for the second pass starts.
    [(_, job)] = first_pass_jobs(ctx, runner, passing, lambda: None, lambda: True)
    assert job() == []
    [(_, wait)] = first_pass_jobs(ctx, runner, None, lambda: None, lambda: True)
    assert wait() == []
    assert ctx.mutation_first_pass == [] and ctx.mutation_waiting == []
    assert not (ctx.scratch / "mutation").exists() and runner.sessions == 0


def _mutation(status: ScorerStatus, survivors: int) -> ScorerResult:
    findings = tuple(
        Finding("a.py", 3, "surviving-mutant", "no test fails when `a` becomes `b` (line 3)")
        for _ in range(survivors)
    )
    if status is ScorerStatus.UNKNOWN:
        return ScorerResult.unknown("mutation", "the mutants could not be run")
    return ScorerResult("mutation", status, 0.5 if survivors else 1.0, findings=findings)


@pytest.mark.parametrize(
    ("decision", "mutation", "expected"),
    [
        (PatchDecision.AUTO_MERGE, _mutation(ScorerStatus.OK, 1), PatchDecision.AUTO_MERGE_PR),
        (PatchDecision.AUTO_MERGE, _mutation(ScorerStatus.OK, 0), PatchDecision.AUTO_MERGE),
        (PatchDecision.AUTO_MERGE, _mutation(ScorerStatus.UNKNOWN, 0), PatchDecision.AUTO_MERGE_PR),
        (PatchDecision.AUTO_MERGE_PR, _mutation(ScorerStatus.OK, 2), PatchDecision.AUTO_MERGE_PR),
        (PatchDecision.MANUAL_REVIEW, _mutation(ScorerStatus.OK, 2), PatchDecision.MANUAL_REVIEW),
    ],
)
def test_a_survivor_caps_a_merge_at_a_pr_and_nothing_more(
    decision: PatchDecision, mutation: ScorerResult, expected: PatchDecision
) -> None:
    assert capped_by_mutation(decision, mutation) is expected


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("mutation", "on", "mutation must be 'auto' or 'off'"),
        ("mutation_max", 0, "mutation-max must be ≥ 1"),
        ("mutation_budget", 0.0, "mutation-budget must be > 0"),
    ],
)
def test_mutation_settings_are_validated(key: str, value: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings(**{key: value})


def test_survivors_are_shown_inert_in_every_report_and_annotated_on_their_line() -> None:
    survivor = {
        "path": "src/x.py",
        "line": 42,
        "shown": ["a < b", "a <= b"],
        "note": None,
        "described": "no test fails when `a < b` becomes `a <= b` (line 42)",
    }
    hostile = {**survivor, "line": 7, "shown": ["x`<img src=y>`", "x"]}
    mutation = {
        "status": "ok",
        "score": 0.5,
        "findings": [
            {
                "path": "src/x.py",
                "line": 42,
                "rule": "surviving-mutant",
                "message": survivor["described"],
                "severity": "warning",
            }
        ],
        "preexisting": 0,
        "reason": "2 mutant(s) of the changed lines: 1 killed, 1 survived",
        "duration_s": 1.2,
        "gates": [],
        "details": {"survivors": [survivor, hostile]},
    }
    verdict = Verdict(
        decision=PatchDecision.AUTO_MERGE_PR,
        patch={"sha256": "ab" * 32},
        base={"sha": "cd" * 20},
        scorers={"mutation": mutation},
    )
    body = markdown_report(verdict)
    assert "- `src/x.py:42`: no test fails when `a < b` becomes `a <= b` (line 42)" in body
    assert "<img" not in body.replace("`x'<img src=y>'`", "")
    assert "capped at `auto_merge_pr`" in body
    assert "mutation   ok" in terminal(verdict)
    assert "src/x.py:42: surviving-mutant no test fails when `a < b`" in terminal(verdict)
    (annotation,) = verdict_annotations(verdict)
    assert (annotation.path, annotation.start_line, annotation.level) == ("src/x.py", 42, "warning")
    assert annotation.section == "mutation"
