from __future__ import annotations

from error_fix.decision import PatchDecision, Verdict
from error_fix.report import markdown_table, terminal
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
