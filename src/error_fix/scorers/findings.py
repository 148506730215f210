"""Which findings a patch introduces: base and patched findings compared as multisets.

Findings are matched on ``(path, rule, message)`` without line numbers, because lines shift. A
key introduced N times more often in the patched tree than in the base is blamed N times; when
the patch adds lines, the copies on those lines are the ones blamed (they carry the patched-tree
file/line used for annotations). Changed lines place annotations; they never filter: a patch
can break an unchanged caller.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .interface import Finding, ScorerResult, ScorerStatus


@dataclass(frozen=True)
class FindingsDiff:
    """Base vs patched findings of one tool."""

    introduced: tuple[Finding, ...]
    """In the patched tree more often than in the base: blamed on the patch."""
    preexisting: int
    """Patched-tree findings the base already had: counted, not blamed."""
    fixed: int
    """Base findings the patch removed."""

    def result(self, name: str, per_finding: float, tool: str, **details: Any) -> ScorerResult:
        """The scorer's result: ``per_finding ** introduced``, pre-existing counted not blamed."""
        introduced = len(self.introduced)
        return ScorerResult(
            name,
            ScorerStatus.OK,
            decay(introduced, per_finding),
            findings=self.introduced,
            preexisting=self.preexisting,
            reason=f"{tool}: {introduced} introduced, {self.fixed} fixed",
            details={"introduced": introduced, "fixed": self.fixed, **details},
        )


def diff_findings(
    base: Iterable[Finding],
    patched: Iterable[Finding],
    added_lines: Mapping[str, Iterable[int]] | None = None,
) -> FindingsDiff:
    """Compare as multisets; ``added_lines`` (path → lines the patch adds) chooses whom to blame."""
    remaining = Counter(f.key for f in base)
    added = {path: set(lines) for path, lines in (added_lines or {}).items()}

    def on_added_line(finding: Finding) -> bool:
        return finding.line is not None and finding.line in added.get(finding.path, ())

    # Findings away from the patch's lines use up the base's copies first.
    ordered = sorted(patched, key=on_added_line)
    introduced: list[Finding] = []
    preexisting = 0
    for finding in ordered:
        if remaining[finding.key] > 0:
            remaining[finding.key] -= 1
            preexisting += 1
        else:
            introduced.append(finding)
    introduced.sort(key=lambda f: (f.path, f.line or 0, f.rule))
    return FindingsDiff(tuple(introduced), preexisting, sum(remaining.values()))


def decay(count: int, per_finding: float) -> float:
    """Score for ``count`` introduced findings: ``per_finding ** count`` (1.0 for none)."""
    return float(per_finding**count)
