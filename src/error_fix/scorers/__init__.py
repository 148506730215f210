"""Scorers, one module per tool family, all behind scorers.interface.Scorer."""

from __future__ import annotations

from .interface import Scorer, ScorerResult, ScoringContext
from .tests import TestsScorer


class NotAvailableScorer(Scorer):
    """Stands in for a scorer that does not exist yet: always ``unknown``, never a pass."""

    def __init__(self, name: str) -> None:
        self.name = name  # type: ignore[misc]

    def score(self, ctx: ScoringContext) -> ScorerResult:
        return ScorerResult.unknown(self.name, "this scorer is not available in this version")


def all_scorers() -> list[Scorer]:
    """One instance per component, the tests scorer first (it is the longest)."""
    return [
        TestsScorer(),
        NotAvailableScorer("lint"),
        NotAvailableScorer("types"),
        NotAvailableScorer("security"),
        NotAvailableScorer("coverage"),
    ]
