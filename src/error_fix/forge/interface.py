"""The forge interface: where a verdict becomes a branch, a merge, a PR or a queued review.

Forges read the verdict and the patch, never the scorers; they run no project code.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar

from ..decision import Verdict
from ..patch import Patch


class Outcome(StrEnum):
    MERGED = "merged"
    """The fix is in the base branch."""
    AUTO_MERGE_ARMED = "auto_merge_armed"
    """A PR exists and will merge when its required checks pass."""
    MERGE_QUEUED = "merge_queued"
    """The PR is in the base branch's merge queue; GitHub merges it when the queue's checks
    pass."""
    QUEUED = "queued"
    """The branch is ready and queued; it merges on approval (local forge's auto_merge_pr)."""
    NEEDS_REVIEW = "needs_review"
    """Waiting for a human."""
    UNCHANGED = "unchanged"
    """A re-run: everything was already as the verdict asks."""
    UPDATED = "updated"
    """A re-run: the existing branch/PR was updated with the newer patch."""
    REJECTED = "rejected"
    """A reviewer rejected the fix: the branch is gone, the reason is kept."""
    NOTHING = "nothing"
    """The verdict was ``rejected``: nothing was created."""
    FAILED = "failed"
    """The forge could not act; ``message`` says why, and what was left behind."""


@dataclass(frozen=True)
class PublishResult:
    """What a forge did with one verdict (or one queue action)."""

    outcome: Outcome
    """What happened."""
    message: str
    """One line for the user: what happened and, when it stopped short, why."""
    branch: str | None = None
    """The fix branch, when one exists."""
    commit: str | None = None
    """The fix commit on that branch."""
    pr_number: int | None = None
    """GitHub PR number."""
    pr_url: str | None = None
    """GitHub PR URL."""
    check_run_url: str | None = None
    """The `error-fix` check run on the fix commit (GitHub), when it was written."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "outcome": str(self.outcome),
            "message": self.message,
            "branch": self.branch,
            "commit": self.commit,
            "pr_number": self.pr_number,
            "pr_url": self.pr_url,
            "check_run_url": self.check_run_url,
        }


@dataclass(frozen=True)
class QueueEntry:
    """One fix waiting in the review queue."""

    id: str
    """What ``queue approve``/``reject`` take: the patch identity (local) or PR number (GitHub)."""
    branch: str
    """The fix branch."""
    title: str
    """The error or patch title."""
    decision: str
    """The verdict's decision."""
    overall: float
    """The verdict's overall confidence."""
    created_at: dt.datetime
    """When it was queued (UTC)."""
    status: str
    """ready (merges on approval) or needs-review."""
    url: str | None = None
    """Where to look at it (PR URL on GitHub)."""

    def age_hours(self, now: dt.datetime | None = None) -> float:
        now = now or dt.datetime.now(dt.UTC)
        return max(0.0, (now - self.created_at).total_seconds() / 3600)


@dataclass(frozen=True)
class QueueMetrics:
    """How the review queue is doing."""

    total_pending: int
    """Fixes waiting."""
    oldest_age_hours: float
    """Age of the oldest waiting fix (0 when none)."""
    health: str
    """good, warning (a threshold reached) or critical (twice a threshold)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "total_pending": self.total_pending,
            "oldest_age_hours": round(self.oldest_age_hours, 2),
            "health": self.health,
        }


@dataclass(frozen=True)
class FixRecord:
    """One fix a forge handled, for metrics."""

    id: str
    """Patch identity or PR number."""
    decision: str
    """The verdict's decision."""
    decided_at: dt.datetime | None
    """When the verdict was made (UTC)."""
    merged_at: dt.datetime | None
    """When it reached the base branch (None: not merged)."""
    merged_by_human: bool
    """Merged on a human's approval rather than by automation."""
    commits: tuple[str, ...] = ()
    """Commits whose revert undoes the fix (the fix commit, its merge commit)."""


def queue_health(count: int, oldest_hours: float, max_count: int, max_hours: float) -> str:
    if count >= 2 * max_count or oldest_hours >= 2 * max_hours:
        return "critical"
    if count >= max_count or oldest_hours >= max_hours:
        return "warning"
    return "good"


def queue_metrics(entries: list[QueueEntry], max_count: int, max_hours: float) -> QueueMetrics:
    oldest = max((e.age_hours() for e in entries), default=0.0)
    health = queue_health(len(entries), oldest, max_count, max_hours)
    return QueueMetrics(len(entries), oldest, health)


class ForgeError(Exception):
    """The forge cannot work at all (bad credentials, unknown repository, ...)."""


class Forge(ABC):
    """Acts on verdicts and keeps the review queue."""

    name: ClassVar[str]

    @abstractmethod
    def publish(self, verdict: Verdict, patch: Patch) -> PublishResult:
        """Act on ``verdict``: merge, queue, open a PR, label it. Idempotent per patch identity."""

    @abstractmethod
    def queue(self) -> list[QueueEntry]:
        """Pending fixes, oldest first."""

    @abstractmethod
    def approve(self, entry_id: str, who: str) -> PublishResult:
        """A human approves: merge (or arm auto-merge)."""

    @abstractmethod
    def reject(self, entry_id: str, reason: str, who: str) -> PublishResult:
        """A human rejects: drop the branch, keep the reason."""

    def fix_history(self) -> list[FixRecord]:
        """Every fix this forge handled (for metrics); forges without history return none."""
        return []

    def reverted_commits(self, commits: set[str]) -> set[str]:
        """Which of ``commits`` a later commit on the base branch reverts."""
        return set()

    def report_backlog(self, metrics: QueueMetrics, entries: list[QueueEntry]) -> str | None:
        """Make the backlog visible where the team looks (a tracking issue on GitHub)."""
        return None

    def metrics(self, max_count: int, max_hours: float) -> QueueMetrics:
        return queue_metrics(self.queue(), max_count, max_hours)

    def close(self) -> None:  # noqa: B027 - optional: most forges hold nothing open
        """Release what the forge holds open (the GitHub client's connections)."""
