"""PatchDecision and the verdict: the one document the privileged half (forges) reads.

Policy: overall ≥ auto-merge threshold ⇒ auto_merge; ≥ PR threshold ⇒ auto_merge_pr; else
manual_review. Any gate caps the decision at manual_review; a surviving mutant of the changed
lines caps auto_merge at auto_merge_pr. A patch intake refuses ⇒ rejected.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

from . import __version__
from .confidence import ConfidenceScore
from .config import Settings
from .patch import Patch, PatchRejected, read_patch
from .scorers.interface import Gate, ScorerResult, ScorerStatus

SCHEMA = 1


class PatchDecision(StrEnum):
    AUTO_MERGE = "auto_merge"
    AUTO_MERGE_PR = "auto_merge_pr"
    MANUAL_REVIEW = "manual_review"
    REJECTED = "rejected"


def gates_for(results: Mapping[str, ScorerResult]) -> list[Gate]:
    """Every gate that fires: the scorers' own, plus one per unknown scorer."""
    gates: list[Gate] = []
    for name, result in results.items():
        gates.extend(result.gates)
        if result.status is ScorerStatus.UNKNOWN:
            gates.append(Gate(f"unknown:{name}", f"{name} could not score: {result.reason}"))
    return gates


def decide(confidence: ConfidenceScore, gates: list[Gate], settings: Settings) -> PatchDecision:
    # Compare what the report shows (4 decimals): 0.4 + 0.15 + 0.15 + 0.1 must count as 0.80.
    overall = round(confidence.overall, 4)
    if overall >= settings.auto_merge_threshold:
        decision = PatchDecision.AUTO_MERGE
    elif overall >= settings.pr_threshold:
        decision = PatchDecision.AUTO_MERGE_PR
    else:
        decision = PatchDecision.MANUAL_REVIEW
    if gates and decision is not PatchDecision.MANUAL_REVIEW:
        decision = PatchDecision.MANUAL_REVIEW
    return decision


def capped_by_mutation(decision: PatchDecision, mutation: ScorerResult) -> PatchDecision:
    """A surviving mutant — or a mutation stage that could not run its mutants — caps a direct
    merge at auto_merge_pr: the PR's checks and a reviewer's eye. All killed, or the stage
    skipped with its reason, leaves the decision as it is."""
    if decision is not PatchDecision.AUTO_MERGE:
        return decision
    if mutation.status is ScorerStatus.UNKNOWN or (
        mutation.status is ScorerStatus.OK and mutation.findings
    ):
        return PatchDecision.AUTO_MERGE_PR
    return decision


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class Verdict:
    """What was decided about one patch, and why. Serialised as JSON (``schema: 1``)."""

    decision: PatchDecision
    """auto_merge, auto_merge_pr, manual_review or rejected."""
    patch: Mapping[str, Any]
    """sha256, identity (branch suffix), title, files, subject/body of an mbox."""
    base: Mapping[str, Any]
    """sha of the base commit, ref (branch name or None)."""
    confidence: Mapping[str, Any] = field(default_factory=dict)
    """The five ConfidenceScore fields and overall."""
    gates: tuple[Gate, ...] = ()
    """Hard gates that fired."""
    scorers: Mapping[str, Any] = field(default_factory=dict)
    """Per scorer: status, score, findings, preexisting, reason, duration_s, details."""
    tests: Mapping[str, Any] = field(default_factory=dict)
    """fail_to_pass, pass_to_fail, flaky, pass_to_pass_count (from the tests scorer)."""
    reason: str | None = None
    """Why the patch was rejected."""
    error: Mapping[str, Any] | None = None
    """error.json from the patch artifact."""
    notes: tuple[str, ...] = ()
    """Things noticed along the way."""
    duration_s: float = 0.0
    """Seconds from intake to decision."""
    timings: Mapping[str, float] = field(default_factory=dict)
    """Seconds per stage: intake, worktrees, each tool per tree, each kind of test run, ..."""
    sandbox: Mapping[str, Any] = field(default_factory=dict)
    """Whether project code ran confined (``on``), by which Landlock ABI, with which limits."""
    created_at: str = field(default_factory=_now)
    """UTC time of the decision."""
    version: str = __version__
    """error-fix version that decided."""
    schema: int = SCHEMA
    """Verdict format version."""

    @property
    def sha256(self) -> str:
        return str(self.patch.get("sha256") or "")

    @property
    def identity(self) -> str:
        return str(self.patch.get("identity", self.sha256[:12]))

    @property
    def overall(self) -> float:
        return float(self.confidence.get("overall", 0.0))

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": self.schema,
            "version": self.version,
            "created_at": self.created_at,
            "decision": str(self.decision),
            "reason": self.reason,
            "confidence": dict(self.confidence),
            "gates": [g.to_dict() for g in self.gates],
            "scorers": dict(self.scorers),
            "tests": dict(self.tests),
            "patch": dict(self.patch),
            "base": dict(self.base),
            "error": dict(self.error) if self.error else None,
            "notes": list(self.notes),
            "duration_s": round(self.duration_s, 3),
            "timings": dict(self.timings),
            "sandbox": dict(self.sandbox),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    def log_record(self) -> dict[str, Any]:
        """The decision-log line: enough to count and audit, not the whole evidence."""
        return {
            "at": self.created_at,
            "patch_sha256": self.sha256,
            "identity": self.identity,
            "title": self.patch.get("title"),
            "decision": str(self.decision),
            "overall": self.confidence.get("overall"),
            "gates": [g.name for g in self.gates],
            "reason": self.reason,
            "base_sha": self.base.get("sha"),
            "duration_s": round(self.duration_s, 3),
        }

    def capped_for_publishing(self) -> Verdict:
        """This verdict as the privileged half may act on it when it was made elsewhere.

        The job that made it ran the patch's code, which can rewrite it; so a merge must wait
        for the repository's own required checks: auto_merge becomes auto_merge_pr (armed
        auto-merge, or review when nothing is required). Everything else stands.
        """
        if self.decision is not PatchDecision.AUTO_MERGE:
            return self
        note = (
            "auto_merge capped at auto_merge_pr: a verdict made where the patch's code ran "
            "merges only through the repository's required checks (--trust-verdict lifts it)"
        )
        return replace(self, decision=PatchDecision.AUTO_MERGE_PR, notes=(*self.notes, note))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Verdict:
        if data.get("schema") != SCHEMA:
            raise ValueError(
                f"unsupported verdict schema {data.get('schema')!r} (expected {SCHEMA})"
            )
        try:
            return cls(
                decision=PatchDecision(data["decision"]),
                patch=dict(data["patch"]),
                base=dict(data["base"]),
                confidence=dict(data.get("confidence") or {}),
                gates=tuple(Gate(g["name"], g["reason"]) for g in data.get("gates") or []),
                scorers=dict(data.get("scorers") or {}),
                tests=dict(data.get("tests") or {}),
                reason=data.get("reason"),
                error=data.get("error"),
                notes=tuple(data.get("notes") or ()),
                duration_s=float(data.get("duration_s") or 0.0),
                timings=dict(data.get("timings") or {}),
                sandbox=dict(data.get("sandbox") or {}),
                created_at=str(data.get("created_at") or _now()),
                version=str(data.get("version") or __version__),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"malformed verdict: {exc}") from None

    @classmethod
    def load(cls, path: Path) -> Verdict:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ValueError(f"cannot read verdict {path}: {exc}") from None
        if not isinstance(data, dict):
            raise ValueError(f"verdict {path} is not a JSON object")
        return cls.from_dict(data)


def verified_patch(
    verdict: Verdict, patch_path: Path, settings: Settings, repo: Path | None = None
) -> Patch:
    """The patch a verdict speaks for, checked again (``error-fix publish``'s rules): intake,
    then sha256 and identity must be the verdict's. Raises PatchRejected."""
    patch = read_patch(
        patch_path,
        max_bytes=settings.max_patch_bytes,
        allow_binary=settings.allow_binary,
        protected=settings.protected_globs(repo),
    )
    if patch.sha256 != verdict.sha256 or patch.identity != verdict.identity:
        raise PatchRejected(
            "the patch is not the one the verdict was made for "
            f"(sha256 {patch.sha256[:12]} / {patch.identity}, verdict says "
            f"{verdict.sha256[:12]} / {verdict.identity})"
        )
    return patch
