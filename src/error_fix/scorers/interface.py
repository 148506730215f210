"""The scorer interface: one small ABC, frozen results, and "could not score" as its own status.

A scorer compares the base tree with the patched tree and reports only what the patch changes.
``unknown`` means it could not tell (tool missing, crash, timeout, nothing checked): it scores 0
and caps the decision; it is never a pass.
"""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from ..config import Settings
from ..harness import HarnessChange
from ..patch import Patch
from ..sandbox import Sandbox
from ..timings import Timings
from .silencing import GATE_PREFIX as SILENCED
from .silencing import silencing_reason

if TYPE_CHECKING:
    from ..mutation.stage import FirstPass, SecondPass, WaitingMutants


class ScorerUnknown(Exception):
    """Raised by a scorer that could not score; the message becomes the ``unknown`` reason."""


class ScorerStatus(StrEnum):
    OK = "ok"
    UNKNOWN = "unknown"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class Finding:
    """One problem a tool reports, placed in the patched tree."""

    path: str
    """File, relative to the tree root."""
    line: int | None
    """1-based line in the patched file, when the tool gives one."""
    rule: str
    """Tool rule id (ruff code, mypy error code, bandit test id, test node id, ...)."""
    message: str
    """The tool's message."""
    severity: str = "warning"
    """error, warning or notice (how an annotation shows it)."""

    @property
    def key(self) -> tuple[str, str, str]:
        """Identity across trees: no line number, because lines shift."""
        return (self.path, self.rule, self.message)

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "line": self.line,
            "rule": self.rule,
            "message": self.message,
            "severity": self.severity,
        }


@dataclass(frozen=True)
class Gate:
    """A hard rule that caps the decision at manual_review, with its reason."""

    name: str
    """Short id, e.g. ``regression``, ``unknown:lint``, ``security``."""
    reason: str
    """One sentence for the report."""

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "reason": self.reason}


@dataclass(frozen=True)
class ScorerResult:
    """What one scorer concluded."""

    name: str
    """Scorer name (tests, lint, types, security, coverage)."""
    status: ScorerStatus
    """ok, unknown (could not score) or skipped (disabled by configuration)."""
    score: float
    """In [0, 1]; 0 whenever the status is unknown."""
    findings: tuple[Finding, ...] = ()
    """What the patch introduces."""
    preexisting: int = 0
    """Findings already in the base tree: counted, not blamed."""
    reason: str | None = None
    """Why the scorer is unknown or skipped, or a one-line summary when ok."""
    duration_s: float = 0.0
    """Wall-clock seconds the scorer took."""
    gates: tuple[Gate, ...] = ()
    """Hard gates this scorer fires."""
    details: Mapping[str, Any] = field(default_factory=dict)
    """Scorer-specific evidence for the verdict (JSON-serialisable)."""

    def __post_init__(self) -> None:
        if not 0.0 <= self.score <= 1.0:
            raise ValueError(f"{self.name}: score {self.score} outside [0, 1]")
        if self.status is not ScorerStatus.OK and self.score != 0.0:
            raise ValueError(f"{self.name}: a {self.status} result must score 0")

    @classmethod
    def unknown(cls, name: str, reason: str, duration_s: float = 0.0, **kw: Any) -> ScorerResult:
        return cls(name, ScorerStatus.UNKNOWN, 0.0, reason=reason, duration_s=duration_s, **kw)

    @classmethod
    def skipped(cls, name: str, reason: str = "disabled by configuration") -> ScorerResult:
        return cls(name, ScorerStatus.SKIPPED, 0.0, reason=reason)

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": str(self.status),
            "score": round(self.score, 4),
            "findings": [f.to_dict() for f in self.findings],
            "preexisting": self.preexisting,
            "reason": self.reason,
            "duration_s": round(self.duration_s, 3),
            "gates": [g.to_dict() for g in self.gates],
            "details": dict(self.details),
        }


Progress = Callable[[str, str], None]
"""progress(scorer_name, message): what a scorer is doing now, for the terminal."""


def _opened() -> threading.Event:
    event = threading.Event()
    event.set()
    return event


@dataclass
class ScoringContext:
    """Everything a scorer may read. Scorers never write outside ``scratch``."""

    settings: Settings
    """Effective settings."""
    patch: Patch
    """The checked patch."""
    base: Path
    """The base tree."""
    patched: Path
    """The base tree with the patch applied."""
    tests_tree: Path | None
    """The base tree with only the test part applied (None when the patch has no such split)."""
    scratch: Path
    """Private directory for outputs and caches, removed afterwards."""
    env: dict[str, str]
    """Scrubbed environment for the project's tools."""
    state_dir: Path | None = None
    """The repository's state directory (caches that outlive a run, e.g. coverage baselines)."""
    tree_ids: tuple[str, str] = ("", "")
    """Git tree ids of the base and patched trees."""
    timings: Timings = field(default_factory=Timings)
    """Seconds per stage (each tool on each tree, each kind of test run) for the verdict."""
    patched_test_run: Future[Any] = field(default_factory=Future)
    """Set by the tests scorer to its patched-tree TestRun (coverage rides on that run)."""
    progress: Progress = field(default=lambda name, message: None)
    """Progress callback."""
    regression: Path | None = None
    """The patch's source changes with the base's tests and harness, where regressions are
    judged (None: the patched tree)."""
    harness: tuple[HarnessChange, ...] = ()
    """Harness files the patch changes (conftest, pytest configuration, start-up hooks)."""
    sandbox: Sandbox | None = None
    """How project code is confined (None: it runs unconfined)."""
    reach_data: list[Path] = field(default_factory=list)
    """Files in which the patched runs recorded which tests ran each changed line (the mutation
    stage reads them)."""
    mutation_first_pass: list[FirstPass] = field(default_factory=list)
    """What the mutation stage's first pass, beside the suite, found (at most one)."""
    mutation_second_pass: list[SecondPass] = field(default_factory=list)
    """The mutation stage's second pass, when the tests scorer started it early (at most one)."""
    mutation_waiting: list[WaitingMutants] = field(default_factory=list)
    """A mutant process started beside the suite that waits for the second pass's plan."""
    tools_may_start: threading.Event = field(default_factory=_opened)
    """Static tools (ruff, mypy, bandit, pip-audit) start once this is set. A scoring run with a
    tests scorer clears it until the suite's process runs, so the suite, the longest job, never
    waits for a tool slot behind them; the tools then take turns with the sessions beside it."""


class Scorer(ABC):
    """Compares base and patched trees with one tool family."""

    name: ClassVar[str]
    """The ConfidenceScore component this scorer feeds (see config.COMPONENTS)."""

    @abstractmethod
    def score(self, ctx: ScoringContext) -> ScorerResult:
        """Score the patch. May raise; the pipeline turns an exception into ``unknown``."""

    def run(self, ctx: ScoringContext) -> ScorerResult:
        """Score with timing; a crash is an ``unknown`` result naming the error, never a pass."""
        if self.name in ctx.settings.disabled:
            return ScorerResult.skipped(self.name)
        start = time.monotonic()
        try:
            result = self.score(ctx)
        except ScorerUnknown as exc:
            return ScorerResult.unknown(self.name, str(exc), time.monotonic() - start)
        except Exception as exc:
            return ScorerResult.unknown(
                self.name, f"scorer crashed: {type(exc).__name__}: {exc}", time.monotonic() - start
            )
        silenced = silencing_reason(self.name, ctx.patch, ctx.base, ctx.patched)
        if silenced is not None:
            result = replace(result, gates=(*result.gates, Gate(SILENCED + self.name, silenced)))
        if result.duration_s == 0.0:
            result = replace(result, duration_s=time.monotonic() - start)
        return result
