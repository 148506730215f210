"""ConfidenceScore: the weighted sum of the scorers' results (the seed's five fields)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .config import COMPONENTS, DEFAULT_WEIGHTS, Settings
from .scorers.interface import ScorerResult, ScorerStatus

FIELDS = {
    "tests": "tests_passed",
    "lint": "lint_passed",
    "types": "type_check_passed",
    "security": "security_scan_passed",
    "coverage": "coverage_maintained",
}
"""Scorer name → ConfidenceScore field."""


@dataclass(frozen=True)
class ConfidenceScore:
    """Per-component scores in [0, 1] and their weights; ``overall`` is the weighted mean."""

    tests_passed: float = 0.0
    """Tests scorer: fix proven, nothing broken."""
    lint_passed: float = 0.0
    """Lint scorer: no ruff findings introduced."""
    type_check_passed: float = 0.0
    """Types scorer: no mypy errors introduced."""
    security_scan_passed: float = 0.0
    """Security scorer: no bandit issue or vulnerable dependency introduced."""
    coverage_maintained: float = 0.0
    """Coverage scorer: added lines executed, total not dropping."""
    weights: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    """Weight per scorer name; a skipped scorer has weight 0 (left out of the weighting)."""

    @property
    def overall(self) -> float:
        total = sum(self.weights.get(name, 0.0) for name in COMPONENTS)
        if total <= 0:
            return 0.0
        weighted = sum(
            self.weights.get(name, 0.0) * float(getattr(self, attr))
            for name, attr in FIELDS.items()
        )
        return float(weighted / total)

    def to_dict(self) -> dict[str, Any]:
        values: dict[str, Any] = {attr: round(getattr(self, attr), 4) for attr in FIELDS.values()}
        values["overall"] = round(self.overall, 4)
        return values

    @classmethod
    def from_results(
        cls, results: Mapping[str, ScorerResult], settings: Settings
    ) -> ConfidenceScore:
        weights = {
            name: 0.0
            if name in results and results[name].status is ScorerStatus.SKIPPED
            else settings.weight(name)
            for name in COMPONENTS
        }
        scores = {FIELDS[name]: results[name].score for name in COMPONENTS if name in results}
        return cls(weights=weights, **scores)
