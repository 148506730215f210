"""Events: one for every state transition, delivered to subscribers (logs, alerts).

A subscriber that raises is logged and skipped: it never breaks the pipeline or the other
subscribers. Emitters: the pipeline (patch_validation_*, scorer_completed), the forge wrapper
``observed`` (patch_published, patch_approved, patch_rejected), the monitor (queue_backlog) and
whoever runs a task (task_started, task_completed, task_failed). An orchestrator's bus may carry
its own event types too; they are delivered like ours.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from .state import append_jsonl

log = logging.getLogger(__name__)

EVENT_TYPES = (
    "task_started",
    "task_completed",
    "task_failed",
    "patch_validation_started",
    "patch_validation_completed",
    "scorer_completed",
    "patch_published",
    "patch_approved",
    "patch_rejected",
    "queue_backlog",
)
"""The event types error-fix emits. Data keys callers rely on: task_* ``task_id``, ``task_type``
(task_completed adds the result, task_failed the ``error``); patch_validation_started
``patch_path``; patch_validation_completed ``patch_path``, ``decision``, ``confidence`` (the
overall score); patch_approved / patch_rejected ``patch_id`` (and ``reason``)."""


class EventSeverity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"
    CRITICAL = "critical"


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class Event:
    """Something that happened. Fields in the order orchestrators construct them:
    ``Event(event_id, event_type, severity, data, timestamp)``; error-fix passes keywords."""

    event_id: str = ""
    """Unique id (a fresh one when empty)."""
    event_type: str = ""
    """What happened: one of EVENT_TYPES for error-fix's own events, or an orchestrator's own."""
    severity: EventSeverity = EventSeverity.INFO
    """How much attention it deserves."""
    data: Mapping[str, Any] = field(default_factory=dict)
    """What happened, JSON-serialisable."""
    timestamp: str | dt.datetime = ""
    """When: UTC, ISO 8601 (now when empty); an orchestrator may give a datetime."""

    def __post_init__(self) -> None:
        if not isinstance(self.event_type, str) or not self.event_type.strip():
            raise ValueError(f"an event needs an event_type, got {self.event_type!r}")
        object.__setattr__(self, "severity", EventSeverity(self.severity))
        if not self.event_id:
            object.__setattr__(self, "event_id", uuid.uuid4().hex)
        if not self.timestamp:
            object.__setattr__(self, "timestamp", _now())

    def to_dict(self) -> dict[str, Any]:
        stamp = self.timestamp
        if isinstance(stamp, dt.datetime):
            aware = stamp if stamp.tzinfo is not None else stamp.replace(tzinfo=dt.UTC)
            stamp = aware.astimezone(dt.UTC).isoformat(timespec="milliseconds")
            stamp = stamp.replace("+00:00", "Z")
        return {
            "event_id": self.event_id,
            "event_type": self.event_type,
            "severity": str(self.severity),
            "timestamp": stamp,
            "data": dict(self.data),
        }


Subscriber = Callable[[Event], None]


class EventBus:
    """Delivers every event to its subscribers. The bus may belong to an orchestrator: event types
    error-fix does not emit itself are delivered like its own."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: list[tuple[Subscriber, frozenset[str] | None]] = []

    def subscribe(self, subscriber: Subscriber, *event_types: str) -> None:
        """Call ``subscriber`` for every event (or only for ``event_types``)."""
        with self._lock:
            self._subscribers.append((subscriber, frozenset(event_types) or None))

    def emit(
        self,
        event: Event | str,
        data: Mapping[str, Any] | None = None,
        severity: EventSeverity = EventSeverity.INFO,
    ) -> Event:
        """Deliver ``event`` (an Event, or an event type with its data and severity)."""
        if isinstance(event, Event):
            if data is not None:
                raise TypeError("emit(Event) takes no data: it is the event's own")
        else:
            event = Event(event_type=event, severity=severity, data=dict(data or {}))
        with self._lock:
            subscribers = list(self._subscribers)
        for subscriber, wanted in subscribers:
            if wanted is not None and event.event_type not in wanted:
                continue
            try:
                subscriber(event)
            except Exception:
                log.exception("event subscriber %r failed on %s", subscriber, event.event_type)
        return event


class JsonlEventLog:
    """Sink: every event as one line of ``path`` (``.state/events.jsonl``)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __call__(self, event: Event) -> None:
        append_jsonl(self.path, event.to_dict())


_MILESTONES = {
    "patch_validation_completed",
    "patch_published",
    "patch_approved",
    "patch_rejected",
    "task_completed",
    "queue_backlog",
}


class ActionsLog:
    """Sink: the GitHub Actions log. Warnings and errors become annotations; of the INFO events,
    only milestones become notices (GitHub shows at most 10 annotations per type per step)."""

    def __call__(self, event: Event) -> None:
        import github_action_utils as gha

        summary = ", ".join(f"{k}={v}" for k, v in event.data.items() if _short(v))
        message = f"{event.event_type}: {summary}" if summary else event.event_type
        if event.severity in (EventSeverity.ERROR, EventSeverity.CRITICAL):
            gha.error(message, title="error-fix")
        elif event.severity is EventSeverity.WARNING:
            gha.warning(message, title="error-fix")
        elif event.event_type in _MILESTONES:
            gha.notice(message, title="error-fix")
        else:
            gha.echo(message)


def _short(value: Any) -> bool:
    return isinstance(value, str | int | float | bool) and len(str(value)) <= 200


def default_bus(state_dir: Path) -> EventBus:
    """A bus with the JSONL event log, and the Actions log when running in GitHub Actions."""
    bus = EventBus()
    bus.subscribe(JsonlEventLog(state_dir / "events.jsonl"))
    if os.environ.get("GITHUB_ACTIONS") == "true":
        bus.subscribe(ActionsLog())
    return bus


@contextmanager
def task(
    bus: EventBus | None, name: str, *, task_id: str | None = None, **data: Any
) -> Iterator[dict[str, Any]]:
    """Emit task_started, then task_completed (with what the body put in the yielded dict) or
    task_failed (with the error) — the error is re-raised. Each carries ``task_id`` (a fresh one
    unless given) and ``task_type`` (``name``)."""
    result: dict[str, Any] = {}
    data = {"task": name, "task_type": name, "task_id": task_id or uuid.uuid4().hex, **data}
    if bus is not None:
        bus.emit("task_started", data)
    try:
        yield result
    except BaseException as exc:
        if bus is not None:
            error = str(exc) or type(exc).__name__
            bus.emit("task_failed", {**data, "error": error}, EventSeverity.ERROR)
        raise
    if bus is not None:
        bus.emit("task_completed", {**data, **result})
