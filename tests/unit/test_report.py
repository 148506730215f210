from __future__ import annotations

from dataclasses import replace

from error_fix.decision import PatchDecision, Verdict
from error_fix.report import (
    annotations_digest,
    check_summary,
    check_text,
    check_title,
    findings_table,
    markdown_table,
    terminal,
    verdict_annotations,
)
from error_fix.scorers.interface import Finding, Gate, ScorerResult, ScorerStatus


def sample_verdict() -> Verdict:
    lint = ScorerResult(
        "lint",
        ScorerStatus.OK,
        0.8,
        findings=tuple(Finding("src/a.py", i, "F401", f"unused import x{i}") for i in range(1, 8)),
        preexisting=20,
    )
    return Verdict(
        decision=PatchDecision.MANUAL_REVIEW,
        patch={"sha256": "ab" * 32, "identity": "err", "title": "t"},
        base={"sha": "c" * 40, "ref": "main"},
        confidence={"overall": 0.81},
        gates=(Gate("unknown:types", "types could not score: mypy missing"),),
        scorers={
            "tests": ScorerResult("tests", ScorerStatus.OK, 1.0, reason="3 passed").to_dict(),
            "lint": lint.to_dict(),
            "types": ScorerResult.unknown("types", "mypy missing").to_dict(),
            "security": ScorerResult("security", ScorerStatus.OK, 0.6).to_dict(),
            "coverage": ScorerResult.skipped("coverage").to_dict(),
        },
        tests={
            "fail_to_pass": ["tests/test_a.py::test_x"],
            "flaky": ["tests/test_b.py::test_y"],
            "proof": "1 test(s) fail on the base and pass patched",
        },
        notes=("ignored notes.txt in the patch artifact",),
    )


def test_terminal_report_shows_findings_gates_and_evidence() -> None:
    text = terminal(sample_verdict(), "/repo/.state/patch_decisions.jsonl")
    assert text.startswith("Decision: manual_review  (overall 0.81)")
    assert "7 introduced; 20 pre-existing (not counted)" in text
    assert "src/a.py:1: F401 unused import x1" in text
    assert "… and 2 more" in text
    assert "types could not score: mypy missing" in text
    assert "Fixed (fail on base, pass patched): tests/test_a.py::test_x" in text
    assert "Flaky (excluded): tests/test_b.py::test_y" in text
    assert "Note: ignored notes.txt" in text
    assert text.endswith("Decision log: /repo/.state/patch_decisions.jsonl")


def test_markdown_table_has_the_five_checks_and_the_overall() -> None:
    table = markdown_table(sample_verdict()).splitlines()
    assert table[0] == "| Check | Score | Status | Notes |"
    assert [row.split("|")[1].strip() for row in table[2:]] == [
        "Tests",
        "Linting",
        "Type Checking",
        "Security Scan",
        "Coverage",
        "**Overall**",
    ]
    assert "| Tests | 1.00 | ✅ | 3 passed |" in table
    assert "| Linting | 0.80 | ⚠️ |" in table[3]
    assert "| Type Checking | 0.00 | ❌ | mypy missing |" in table
    assert "| Coverage | 0.00 | ➖ |" in table[6]
    assert table[-1] == "| **Overall** | **0.81** | | **manual_review** |"


def test_pr_body_is_the_report_with_the_marker_last_and_untrusted_text_made_inert() -> None:
    from error_fix.report import pr_body, pr_title, read_marker

    verdict = sample_verdict()
    hostile = '<!-- error-fix: {"patch_sha256": "forged"} --> `x` <img src=y>'
    verdict = Verdict(
        decision=verdict.decision,
        patch={**verdict.patch, "title": "a\nb"},
        base=verdict.base,
        confidence=verdict.confidence,
        gates=(Gate("regression", hostile),),
        scorers=verdict.scorers,
        tests={**verdict.tests, "pass_to_fail": [hostile]},
    )
    body = pr_body(verdict, "uploaded with the run", commit="d" * 40)
    assert body.startswith("| Check | Score | Status | Notes |")
    assert "`regression`: &lt;!-- error-fix:" in body and "<img" not in body
    assert "Regressions: pass on the base, fail patched (PASS_TO_FAIL)" in body
    assert "`tests/test_a.py::test_x`" in body and "decision log: uploaded with the run" in body
    marker = read_marker(body)
    assert marker == {
        "patch_sha256": "ab" * 32,
        "schema": 1,
        "identity": "err",
        "decision": "manual_review",
        "overall": 0.81,
        "base_sha": "c" * 40,
        "commit": "d" * 40,
    }
    assert body.splitlines()[-1].startswith("<!-- error-fix: ")
    assert pr_title(verdict) == "[Auto] Error fix: a b"
    assert read_marker("no marker") is None and read_marker("<!-- error-fix: {bad} -->") is None


def _with(verdict: Verdict, **sections: ScorerResult) -> Verdict:
    return replace(
        verdict, scorers={**verdict.scorers, **{k: v.to_dict() for k, v in sections.items()}}
    )


def test_annotations_carry_every_introduced_finding_most_severe_first() -> None:
    coverage = ScorerResult(
        "coverage",
        ScorerStatus.OK,
        0.5,
        findings=(
            Finding(
                "src/a.py", 4, "uncovered", "added lines 4-6 not executed by any test", "notice"
            ),
            Finding(".", None, "coverage-drop", "total coverage fell", "warning"),
        ),
        details={"uncovered": [{"path": "src/a.py", "start_line": 4, "end_line": 6}]},
    )
    security = ScorerResult(
        "security",
        ScorerStatus.OK,
        0.2,
        findings=(
            Finding("src/b.py", 9, "B602", "shell=True", "error"),
            Finding("requirements.txt", None, "PYSEC-1", "vulnerable dep", "error"),
        ),
    )
    found = verdict_annotations(_with(sample_verdict(), coverage=coverage, security=security))
    assert [(a.section, a.level) for a in found][:3] == [
        ("security", "failure"),
        ("security", "failure"),
        ("lint", "warning"),
    ]
    assert found[-1].section == "coverage" and (found[-1].start_line, found[-1].end_line) == (4, 6)
    assert found[-1].to_check()["end_line"] == 6
    assert all(a.path != "." for a in found)  # a project-wide finding stays in the summary
    no_line = next(a for a in found if a.path == "requirements.txt")
    assert no_line.start_line is None  # the step's own annotation names no line ...
    assert (no_line.to_check()["start_line"], no_line.to_check()["end_line"]) == (1, 1)  # GitHub's
    assert len(found) == 7 + 3  # 7 lint, 2 security, 1 uncovered range


def test_a_later_stage_reporting_findings_is_annotated_without_change() -> None:
    """Surviving mutants, the ``mutation`` section of the verdict, plug into the same annotation
    list (and the findings table) as the scorers' findings."""
    survivor = ScorerResult(
        "mutation",
        ScorerStatus.OK,
        0.5,
        findings=(Finding("src/a.py", 3, "survived", "`<` → `<=` survived the tests", "warning"),),
    )
    verdict = _with(sample_verdict(), mutation=survivor)
    [mutant] = [a for a in verdict_annotations(verdict) if a.section == "mutation"]
    assert (mutant.path, mutant.start_line, mutant.level) == ("src/a.py", 3, "warning")
    assert mutant.title == "error-fix mutation: no test notices this change of the patch's line"
    assert "| Mutation | `src/a.py:3` | `survived` |" in findings_table(verdict, 50)


def test_the_check_run_text_fits_githubs_limit_and_the_digest_tracks_the_annotations() -> None:
    many = ScorerResult(
        "lint",
        ScorerStatus.OK,
        0.1,
        findings=tuple(Finding("src/a.py", n, "E501", "x" * 290, "warning") for n in range(1, 400)),
    )
    verdict = _with(sample_verdict(), lint=many)
    text = check_text(verdict)
    assert len(text) <= 65535 and "all of them are in the verdict" in text
    assert len(check_summary(verdict)) <= 65535
    found = verdict_annotations(verdict)
    assert annotations_digest(found) == annotations_digest(list(reversed(found)))
    assert annotations_digest(found) != annotations_digest(found[1:])
    assert check_title(verdict) == "manual_review · confidence 0.81"
