"""Is the automation paying off? Numbers from the decision log and the forge's fix history.

- decisions by kind (the decision log);
- auto-merge rate: share of decisions that needed no human (auto_merge or auto_merge_pr);
- median time from decision to merge (an MTTR proxy), over merged fixes;
- review queue size and oldest age (the forge's queue);
- false-positive rate: fixes merged without a human that were later reverted (a commit saying
  "This reverts commit <sha>" for the fix or its merge commit), over fixes merged without a human;
- hours saved: fixes merged without a human × ``minutes-per-fix`` / 60;
- alerts sent, by type, and the latest (the alert log, old and current record formats alike).
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .alerting import ALERT_TYPES
from .forge.interface import FixRecord, QueueMetrics

DECISIONS = ("auto_merge", "auto_merge_pr", "manual_review", "rejected")


@dataclass(frozen=True)
class Status:
    """The numbers ``error-fix status`` prints."""

    decisions: Mapping[str, int]
    """Decisions by kind."""
    auto_merge_rate: float | None
    """Share of decisions that needed no human (None before any decision)."""
    median_hours_to_merge: float | None
    """Median hours from decision to merge over merged fixes."""
    queue: QueueMetrics
    """The review queue."""
    merged_without_human: int
    """Fixes merged by automation (auto-merge or armed auto-merge PR)."""
    reverted: int
    """Of those, how many were later reverted."""
    false_positive_rate: float | None
    """reverted / merged_without_human."""
    hours_saved: float
    """merged_without_human × minutes per fix / 60."""
    alerts: Mapping[str, int] = field(default_factory=lambda: dict.fromkeys(ALERT_TYPES, 0))
    """Alerts sent, by type."""
    last_alert_at: str | None = None
    """When the latest alert was sent (UTC, ISO 8601)."""

    def to_dict(self) -> dict[str, Any]:
        def r(value: float | None) -> float | None:
            return None if value is None else round(value, 4)

        return {
            "decisions": dict(self.decisions),
            "total_decisions": sum(self.decisions.values()),
            "auto_merge_rate": r(self.auto_merge_rate),
            "median_hours_to_merge": r(self.median_hours_to_merge),
            "queue": self.queue.to_dict(),
            "merged_without_human": self.merged_without_human,
            "reverted": self.reverted,
            "false_positive_rate": r(self.false_positive_rate),
            "hours_saved": round(self.hours_saved, 2),
            "alerts": {**self.alerts, "last": self.last_alert_at},
        }

    def table(self) -> str:
        def pct(value: float | None) -> str:
            return "n/a" if value is None else f"{100 * value:.1f}%"

        total = sum(self.decisions.values())
        lines = [f"Decisions: {total}"]
        lines += [f"  {kind:<14} {self.decisions.get(kind, 0)}" for kind in DECISIONS]
        hours = self.median_hours_to_merge
        lines += [
            f"Auto-merge rate:        {pct(self.auto_merge_rate)}",
            "Median decision→merge:  " + ("n/a" if hours is None else f"{hours:.1f}h"),
            f"False positives:        {self.reverted} reverted of {self.merged_without_human} "
            f"merged without a human ({pct(self.false_positive_rate)})",
            f"Hours saved (estimate): {self.hours_saved:.1f}",
            f"Review queue: {self.queue.total_pending} pending, "
            f"oldest {self.queue.oldest_age_hours:.1f}h",
            f"Queue health: {self.queue.health}",
            f"Alerts: {sum(self.alerts.values())} ("
            + ", ".join(f"{kind} {count}" for kind, count in self.alerts.items())
            + ")"
            + (f", last at {self.last_alert_at}" if self.last_alert_at else ""),
        ]
        return "\n".join(lines)


def _parse(value: Any) -> dt.datetime | None:
    if not value:
        return None
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def compute_status(
    decision_log: Iterable[Mapping[str, Any]],
    fixes: Iterable[FixRecord],
    reverted_commits: set[str],
    queue: QueueMetrics,
    minutes_per_fix: float,
    alerts: Iterable[Mapping[str, Any]] = (),
) -> Status:
    """The figures; ``alerts`` are alert-log records as ``alerting.read_alerts`` gives them."""
    counts = Counter(str(record.get("decision")) for record in decision_log)
    decisions = {kind: counts.get(kind, 0) for kind in DECISIONS}
    total = sum(decisions.values())
    automatic = decisions["auto_merge"] + decisions["auto_merge_pr"]
    merged = [f for f in fixes if f.merged_at is not None]
    hours = [
        (f.merged_at - f.decided_at).total_seconds() / 3600
        for f in merged
        if f.merged_at is not None and f.decided_at is not None
    ]
    by_machine = [f for f in merged if not f.merged_by_human]
    reverted = [f for f in by_machine if set(f.commits) & reverted_commits]
    sent = [a for a in alerts if a.get("type") in ALERT_TYPES]
    by_type = Counter(str(a["type"]) for a in sent)
    moments = [m for m in (_moment(a.get("timestamp")) for a in sent) if m is not None]
    return Status(
        decisions=decisions,
        auto_merge_rate=automatic / total if total else None,
        median_hours_to_merge=statistics.median(hours) if hours else None,
        queue=queue,
        merged_without_human=len(by_machine),
        reverted=len(reverted),
        false_positive_rate=len(reverted) / len(by_machine) if by_machine else None,
        hours_saved=len(by_machine) * minutes_per_fix / 60,
        alerts={kind: by_type.get(kind, 0) for kind in ALERT_TYPES},
        last_alert_at=_iso(max(moments)) if moments else None,
    )


def _moment(value: Any) -> dt.datetime | None:
    """An aware datetime from a logged timestamp; None for none or an unreadable one."""
    try:
        parsed = _parse(value)
    except (TypeError, ValueError):
        return None
    if parsed is not None and parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def parse_time(value: Any) -> dt.datetime | None:
    """ISO 8601 (with Z) → aware datetime; None for nothing."""
    return _parse(value)
