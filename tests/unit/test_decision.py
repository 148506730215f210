from __future__ import annotations

import pytest

from error_fix.confidence import ConfidenceScore
from error_fix.config import Settings
from error_fix.decision import PatchDecision, Verdict, decide, gates_for
from error_fix.scorers.interface import Finding, Gate, ScorerResult, ScorerStatus


def results(**scores: float) -> dict[str, ScorerResult]:
    return {name: ScorerResult(name, ScorerStatus.OK, value) for name, value in scores.items()}


ALL_PERFECT = {"tests": 1.0, "lint": 1.0, "types": 1.0, "security": 1.0, "coverage": 1.0}


def test_overall_is_the_seed_weighted_sum() -> None:
    score = ConfidenceScore.from_results(
        results(tests=1.0, lint=0.5, types=1.0, security=1.0, coverage=0.0), Settings()
    )
    assert score.overall == pytest.approx(0.4 + 0.1 + 0.15 + 0.15)
    assert score.to_dict() == {
        "tests_passed": 1.0,
        "lint_passed": 0.5,
        "type_check_passed": 1.0,
        "security_scan_passed": 1.0,
        "coverage_maintained": 0.0,
        "overall": 0.8,
    }


@pytest.mark.parametrize(
    ("lint", "expected"),
    [
        (1.0, PatchDecision.AUTO_MERGE),
        (0.75, PatchDecision.AUTO_MERGE),
        (0.7, PatchDecision.AUTO_MERGE_PR),
        (0.0, PatchDecision.AUTO_MERGE_PR),
    ],
)
def test_thresholds(lint: float, expected: PatchDecision) -> None:
    scored = results(**{**ALL_PERFECT, "lint": lint})
    score = ConfidenceScore.from_results(scored, Settings())
    assert decide(score, [], Settings()) is expected


def test_below_pr_threshold_is_manual_review() -> None:
    score = ConfidenceScore.from_results(results(**{**ALL_PERFECT, "tests": 0.5}), Settings())
    assert score.overall == pytest.approx(0.8)
    assert decide(score, [], Settings(pr_threshold=0.81)) is PatchDecision.MANUAL_REVIEW


def test_any_gate_caps_a_perfect_score_at_manual_review() -> None:
    score = ConfidenceScore.from_results(results(**ALL_PERFECT), Settings())
    assert score.overall == 1.0
    assert decide(score, [Gate("security", "x")], Settings()) is PatchDecision.MANUAL_REVIEW


def test_unknown_scorer_scores_zero_and_fires_a_gate() -> None:
    scored = results(**ALL_PERFECT)
    scored["lint"] = ScorerResult.unknown("lint", "ruff crashed")
    gates = gates_for(scored)
    assert gates == [Gate("unknown:lint", "lint could not score: ruff crashed")]
    assert ConfidenceScore.from_results(scored, Settings()).overall == pytest.approx(0.8)


def test_unknown_can_never_carry_a_score() -> None:
    with pytest.raises(ValueError, match="must score 0"):
        ScorerResult("lint", ScorerStatus.UNKNOWN, 1.0)


def test_skipped_scorer_is_left_out_of_the_weighting() -> None:
    scored = results(tests=1.0, lint=1.0, types=1.0, security=1.0)
    scored["coverage"] = ScorerResult.skipped("coverage")
    score = ConfidenceScore.from_results(scored, Settings(disabled=frozenset({"coverage"})))
    assert score.overall == pytest.approx(1.0)
    assert gates_for(scored) == []


def test_verdict_round_trips_through_json() -> None:
    verdict = Verdict(
        decision=PatchDecision.MANUAL_REVIEW,
        patch={"sha256": "ab" * 32, "identity": "err-1", "title": "t", "files": []},
        base={"sha": "cd" * 20, "ref": "main"},
        confidence={"overall": 0.5},
        gates=(Gate("regression", "broke test_x"),),
        scorers={
            "lint": ScorerResult(
                "lint", ScorerStatus.OK, 0.9, findings=(Finding("a.py", 3, "F401", "unused"),)
            ).to_dict()
        },
    )
    again = Verdict.from_dict(__import__("json").loads(verdict.to_json()))
    assert again == verdict
    assert again.identity == "err-1"
    record = verdict.log_record()
    assert record["decision"] == "manual_review" and record["gates"] == ["regression"]


def test_verdict_with_another_schema_is_refused() -> None:
    with pytest.raises(ValueError, match="unsupported verdict schema 2"):
        Verdict.from_dict({"schema": 2})
