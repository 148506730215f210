from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from error_fix.events import Event, EventBus, EventSeverity, JsonlEventLog, task


def test_events_have_unique_ids_and_utc_timestamps() -> None:
    events = [Event(event_type="task_started") for _ in range(100)]
    assert len({e.event_id for e in events}) == 100
    stamp = events[0].timestamp
    assert stamp.endswith("Z")
    parsed = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    assert parsed.utcoffset() == dt.timedelta(0)


def test_an_orchestrators_own_events_are_delivered_as_it_builds_them() -> None:
    bus = EventBus()
    seen: list[Event] = []
    bus.subscribe(seen.append, "deploy_finished")
    when = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    sent = Event("e-1", "deploy_finished", EventSeverity.WARNING, {"env": "prod"}, when)
    assert bus.emit(sent) is sent
    bus.emit("task_started", {"task": "x"})  # not subscribed to
    assert seen == [sent]
    assert sent.to_dict() == {
        "event_id": "e-1",
        "event_type": "deploy_finished",
        "severity": "warning",
        "timestamp": "2026-01-02T03:04:05.000Z",
        "data": {"env": "prod"},
    }
    with pytest.raises(ValueError, match="an event needs an event_type"):
        Event("task_started")  # the seed's order: the first field is the id
    with pytest.raises(TypeError, match="takes no data"):
        bus.emit(sent, {"more": 1})


def test_a_failing_subscriber_breaks_nothing(caplog: pytest.LogCaptureFixture) -> None:
    bus = EventBus()
    seen: list[str] = []

    def broken(event: Event) -> None:
        raise RuntimeError("sink down")

    bus.subscribe(broken)
    bus.subscribe(lambda e: seen.append(e.event_type))
    bus.subscribe(lambda e: seen.append("filtered:" + e.event_type), "task_failed")
    bus.emit("task_started", {"task": "x"})
    assert seen == ["task_started"]
    assert "event subscriber" in caplog.text and "sink down" in caplog.text


def test_task_emits_started_then_completed_or_failed(tmp_path: Path) -> None:
    bus = EventBus()
    log = tmp_path / "events.jsonl"
    bus.subscribe(JsonlEventLog(log))
    with task(bus, "apply_patch", patch="a.patch") as result:
        result["decision"] = "auto_merge"
    with pytest.raises(ValueError), task(bus, "apply_patch", patch="b.patch"):
        raise ValueError("bad patch")
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(r["event_type"], r["severity"]) for r in records] == [
        ("task_started", "info"),
        ("task_completed", "info"),
        ("task_started", "info"),
        ("task_failed", "error"),
    ]
    task_id = records[0]["data"]["task_id"]
    assert records[1]["data"] == {
        "task": "apply_patch",
        "task_type": "apply_patch",
        "task_id": task_id,
        "patch": "a.patch",
        "decision": "auto_merge",
    }
    assert records[2]["data"]["task_id"] not in ("", task_id)  # a fresh id per task
    assert records[3]["data"]["error"] == "bad patch"
    assert EventSeverity.CRITICAL == "critical"
