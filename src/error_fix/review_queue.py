"""ReviewQueueProcessor: the forges' review queue for Python callers.

The queue is the forge's own — the local forge's queue file, or the GitHub PRs carrying the review
label — and approving or rejecting goes through the forge exactly as ``error-fix queue`` does;
this class only turns its answers into plain dicts. Nothing here raises for a bad id: the answer
is ``{"status": "failed", "error": ...}``.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .config import Settings, load_settings
from .events import EventBus
from .forge.choice import HoldsForge, open_forge, resolve_choice
from .forge.interface import Forge, ForgeError, Outcome, PublishResult, QueueEntry
from .forge.observed import ObservedForge
from .proc import GitError
from .workspace import WorkspaceError, resolve_repo


def default_actor() -> str:
    """Who acts: the workflow's actor on GitHub Actions, else the local user."""
    return os.environ.get("GITHUB_ACTOR") or getpass.getuser()


class ReviewQueueProcessor(HoldsForge):
    """List, approve and reject the fixes waiting for a human, and tell how the queue is doing.

    ``forge`` is ``local`` (default: the repository at ``repo_path``), ``github`` (token from
    ``token``, GITHUB_TOKEN or GH_TOKEN; repository from GITHUB_REPOSITORY or the checkout's
    remote) or ``auto``. Settings (queue thresholds, labels) come from the repository's
    ``[tool.error-fix]`` unless given. Raises WorkspaceError, ConfigError or ForgeError when
    the queue cannot be reached at all.
    """

    def __init__(
        self,
        repo_path: str | os.PathLike[str] | None = None,
        *,
        forge: str = "local",
        token: str | None = None,
        settings: Settings | None = None,
        actor: str | None = None,
        event_bus: EventBus | None = None,
    ) -> None:
        path = Path(repo_path) if repo_path is not None else Path.cwd()
        repo: Path | None
        try:
            repo = resolve_repo(path)
        except WorkspaceError:
            if resolve_choice(forge) == "local":
                raise
            repo = None  # GitHub's queue needs no checkout
        self.repo = repo
        """The repository's top level (None on GitHub without a checkout)."""
        self.settings = settings or load_settings(repo)
        self.actor = actor or default_actor()
        """Recorded as the reviewer of approvals and rejections."""
        self.event_bus = event_bus
        """When set, approvals and rejections are reported on it (patch_approved/_rejected)."""
        self._forge = open_forge(forge, repo, self.settings, token=token, need_write=False)

    def _acting(self) -> Forge:
        return self._forge if self.event_bus is None else ObservedForge(self._forge, self.event_bus)

    def list_pending(self) -> list[dict[str, Any]]:
        """Fixes waiting, oldest first: ``patch_id`` (what approve/reject take), ``branch``,
        ``title``, ``decision``, ``confidence`` (the overall score), ``age_hours``, ``status``,
        ``created_at``, ``url``."""
        return [entry_dict(entry) for entry in self._forge.queue()]

    def approve(self, patch_id: str) -> dict[str, Any]:
        """Merge the fix (on GitHub: merge, or arm auto-merge while checks run)."""
        return self._act(patch_id, lambda forge: forge.approve(patch_id, self.actor))

    def reject(self, patch_id: str, reason: str) -> dict[str, Any]:
        """Drop the fix and its branch, keeping the reason."""
        return self._act(patch_id, lambda forge: forge.reject(patch_id, reason, self.actor))

    def _act(self, patch_id: str, action: Callable[[Forge], PublishResult]) -> dict[str, Any]:
        try:
            result = action(self._acting())
        except (ForgeError, GitError) as exc:
            return {"status": "failed", "patch_id": patch_id, "error": str(exc)}
        answer = {"patch_id": patch_id, **result.to_dict()}
        answer["status"] = str(answer.pop("outcome"))
        if result.outcome is Outcome.FAILED:
            answer["error"] = result.message
        return answer

    def get_queue_metrics(self) -> dict[str, Any]:
        """``total_pending``, ``oldest_age_hours``, ``health`` (good, warning at a threshold,
        critical at twice one), and the thresholds used."""
        count, hours = self.settings.queue_alert_count, self.settings.queue_alert_hours
        return {
            **self._forge.metrics(count, hours).to_dict(),
            "threshold_count": count,
            "threshold_hours": hours,
        }


def entry_dict(entry: QueueEntry) -> dict[str, Any]:
    """One queued fix as a plain dict."""
    return {
        "patch_id": entry.id,
        "branch": entry.branch,
        "title": entry.title,
        "decision": entry.decision,
        "confidence": entry.overall,
        "age_hours": round(entry.age_hours(), 2),
        "status": entry.status,
        "created_at": entry.created_at.isoformat(),
        "url": entry.url,
    }
