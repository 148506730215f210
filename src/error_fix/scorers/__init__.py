"""Scorers, one module per tool family, all behind scorers.interface.Scorer."""

from __future__ import annotations

from .interface import Scorer
from .lint import LintScorer
from .patch_coverage import CoverageScorer
from .security import SecurityScorer
from .tests import TestsScorer
from .typecheck import TypesScorer


def all_scorers() -> list[Scorer]:
    """One instance per component, the tests scorer first (it is the longest)."""
    return [TestsScorer(), TypesScorer(), LintScorer(), SecurityScorer(), CoverageScorer()]
