"""A forge that reports what it does on an EventBus: patch_published, patch_approved,
patch_rejected. Any forge (local, GitHub) is wrapped the same way, so events come from one place."""

from __future__ import annotations

from ..decision import Verdict
from ..events import EventBus, EventSeverity
from ..patch import Patch
from .interface import FixRecord, Forge, Outcome, PublishResult, QueueEntry, QueueMetrics


def _severity(result: PublishResult) -> EventSeverity:
    return EventSeverity.ERROR if result.outcome is Outcome.FAILED else EventSeverity.INFO


class ObservedForge(Forge):
    def __init__(self, inner: Forge, bus: EventBus) -> None:
        self.inner = inner
        self.bus = bus
        self.name = inner.name  # type: ignore[misc]

    def publish(self, verdict: Verdict, patch: Patch) -> PublishResult:
        result = self.inner.publish(verdict, patch)
        self.bus.emit(
            "patch_published",
            {
                "forge": self.name,
                "identity": verdict.identity,
                "patch": verdict.identity,
                "decision": str(verdict.decision),
                "overall": verdict.overall,
                **result.to_dict(),
            },
            _severity(result),
        )
        return result

    def queue(self) -> list[QueueEntry]:
        return self.inner.queue()

    def approve(self, entry_id: str, who: str) -> PublishResult:
        result = self.inner.approve(entry_id, who)
        self.bus.emit(
            "patch_approved",
            {
                "forge": self.name,
                "id": entry_id,
                "patch_id": entry_id,
                "by": who,
                **result.to_dict(),
            },
            _severity(result),
        )
        return result

    def reject(self, entry_id: str, reason: str, who: str) -> PublishResult:
        result = self.inner.reject(entry_id, reason, who)
        self.bus.emit(
            "patch_rejected",
            {
                "forge": self.name,
                "id": entry_id,
                "patch_id": entry_id,
                "by": who,
                "reason": reason,
                **result.to_dict(),
            },
            _severity(result),
        )
        return result

    def metrics(self, max_count: int, max_hours: float) -> QueueMetrics:
        return self.inner.metrics(max_count, max_hours)

    def fix_history(self) -> list[FixRecord]:
        return self.inner.fix_history()

    def reverted_commits(self, commits: set[str]) -> set[str]:
        return self.inner.reverted_commits(commits)

    def report_backlog(self, metrics: QueueMetrics, entries: list[QueueEntry]) -> str | None:
        return self.inner.report_backlog(metrics, entries)

    def close(self) -> None:
        self.inner.close()
