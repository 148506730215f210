"""What applying a patch did, as the plain dicts the Python API returns.

``PatchApplier.apply`` gives an :class:`Applied`; ``apply_with_validation`` and the orchestrator
adapter give its ``to_dict()``: ``decision``, ``confidence`` (the five ConfidenceScore fields and
``overall``) and ``action_taken`` (what the forge did, its ``status`` one of ``merged``,
``pr_created``, ``queued``, ``unchanged``, ``updated`` or ``failed`` with ``error``); a patch that
cannot be used has no ``action_taken`` but an ``error``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .decision import PatchDecision, Verdict
from .forge.interface import Outcome, PublishResult

_STATUS = {
    Outcome.MERGED: "merged",
    Outcome.AUTO_MERGE_ARMED: "pr_created",
    Outcome.MERGE_QUEUED: "pr_created",
    Outcome.QUEUED: "queued",
    Outcome.NEEDS_REVIEW: "queued",
    Outcome.UNCHANGED: "unchanged",
    Outcome.UPDATED: "updated",
    Outcome.FAILED: "failed",
}
"""Forge outcome → the status callers of ``apply_with_validation`` read. A fix waiting for a
human is ``queued`` on either forge (on GitHub its PR carries the review label)."""


def action_taken(result: PublishResult) -> dict[str, Any]:
    """The forge's answer as ``action_taken``: ``status``, then the forge's own fields
    (``outcome``, ``message``, ``branch``, ``commit``, ``pr_number``, ``pr_url``)."""
    taken: dict[str, Any] = {
        "status": _STATUS.get(result.outcome, str(result.outcome)),
        **result.to_dict(),
    }
    if result.outcome is Outcome.FAILED:
        taken["error"] = result.message
    return taken


@dataclass(frozen=True)
class Applied:
    """A decided patch and what the forge did with it."""

    verdict: Verdict
    """The decision and its evidence."""
    published: PublishResult | None
    """The forge's answer; None when the patch was rejected (nothing was published)."""
    patch_path: Path
    """The patch file or artifact folder, as given."""
    decision_log: Path
    """The decision log the verdict was appended to."""

    @property
    def error(self) -> str | None:
        """Why the patch was rejected, or what the forge could not do; None when all went well."""
        if self.verdict.decision is PatchDecision.REJECTED:
            return self.verdict.reason or "rejected"
        if self.published is not None and self.published.outcome is Outcome.FAILED:
            return self.published.message
        return None

    def to_dict(self) -> dict[str, Any]:
        verdict = self.verdict
        result: dict[str, Any] = {
            "decision": str(verdict.decision),
            "confidence": dict(verdict.confidence),
            "patch_path": str(self.patch_path),
            "identity": verdict.identity,
            "gates": [gate.to_dict() for gate in verdict.gates],
            "decision_log": str(self.decision_log),
        }
        if self.published is not None:
            result["action_taken"] = action_taken(self.published)
        if self.error is not None:
            result["error"] = self.error
        return result
