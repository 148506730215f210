"""The review-queue monitor (``error-fix monitor``, run hourly by review-queue.yml).

It reads the queue once, emits ``queue_backlog`` when the queue is unhealthy (AlertManager turns
that into a Slack alert and a line in alerts.jsonl), and asks the forge to keep the backlog
visible — on GitHub one "Review queue backlog" issue, opened, updated, closed when healthy.
"""

from __future__ import annotations

from dataclasses import dataclass

from .events import EventBus, EventSeverity
from .forge.interface import Forge, QueueMetrics, queue_metrics


@dataclass(frozen=True)
class MonitorReport:
    """What one monitor run found and did."""

    metrics: QueueMetrics
    """Queue size, oldest age, health."""
    tracking_issue: str | None
    """URL of the tracking issue (open while unhealthy, the closed one after recovery)."""
    backlog_reported: bool
    """Whether a queue_backlog event went out."""


def run_monitor(
    forge: Forge, threshold_count: int, threshold_hours: float, bus: EventBus | None = None
) -> MonitorReport:
    entries = forge.queue()
    metrics = queue_metrics(entries, threshold_count, threshold_hours)
    reported = metrics.health != "good" and bus is not None
    if bus is not None and reported:
        severity = EventSeverity.CRITICAL if metrics.health == "critical" else EventSeverity.WARNING
        bus.emit(
            "queue_backlog",
            {
                **metrics.to_dict(),
                "threshold_count": threshold_count,
                "threshold_hours": threshold_hours,
                "oldest": [e.id for e in entries[:5]],
            },
            severity,
        )
    return MonitorReport(metrics, forge.report_backlog(metrics, entries), reported)
