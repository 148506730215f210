"""AlertManager called as SEED_API.md shows: defaults from the environment and the working
directory, the record format readers of alerts.jsonl expect, and alert logs written in the earlier
format still counted by `error-fix status`."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from error_fix import AlertManager, ConfidenceScore
from error_fix.alerting import read_alerts
from error_fix.cli import main
from error_fix.state import append_jsonl
from tests.fakes.slack_receiver import SlackReceiver
from tests.sample import CALC, SampleRepo

SCORE = ConfidenceScore(1.0, 0.5, 1.0, 1.0, 0.8)


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("SLACK_WEBHOOK_URL", "ERROR_FIX_SLACK_WEBHOOK_URL", "HTTP_PROXY", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.chdir(tmp_path)


def records(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_defaults_are_the_state_folder_and_the_slack_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    quiet = AlertManager()
    assert quiet.slack_available is False
    assert (tmp_path / ".state").is_dir()  # created with the manager
    assert (tmp_path / ".state" / ".gitignore").is_file()
    with SlackReceiver() as slack:
        monkeypatch.setenv("SLACK_WEBHOOK_URL", slack.url)
        alerts = AlertManager()
        assert alerts.slack_available is True
        assert AlertManager(slack_webhook="").slack_available is False  # explicitly off
        assert alerts.alert_patch_failed("fixes/a.patch", "does not apply", SCORE.to_dict())
        [message] = slack.wait_for(1)
    assert message.payload is not None
    assert message.payload["text"] == (
        ":x: Patch failed: fixes/a.patch — does not apply (confidence 0.88)"
    )
    [alert, delivery] = records(tmp_path / ".state" / "alerts.jsonl")
    assert alert["type"] == "patch_failed"
    assert (alert["patch_path"], alert["error"]) == ("fixes/a.patch", "does not apply")
    assert alert["confidence"] == SCORE.to_dict()
    stamp = dt.datetime.fromisoformat(str(alert["timestamp"]).replace("Z", "+00:00"))
    assert stamp.utcoffset() == dt.timedelta(0)
    assert (delivery["type"], delivery["alert_id"], delivery["delivered"]) == (
        "slack_delivery",
        alert["alert_id"],
        True,
    )


def test_each_alert_type_logs_the_documented_keys(tmp_path: Path) -> None:
    log = tmp_path / "logs" / "alerts.jsonl"
    alerts = AlertManager(alert_log=log)
    assert log.parent.is_dir()
    alerts.alert_auto_merge_success("fixes/b.patch", SCORE.to_dict())
    alerts.alert_auto_merge_success("fixes/c.patch", 0.97)  # a bare float is accepted too
    alerts.alert_patch_failed("fixes/d.patch", "rejected")  # no confidence at all
    assert not alerts.alert_queue_backlog(count=9, oldest_hours=71.9)
    alerts.alert_queue_backlog(count=12, oldest_hours=80.0)
    logged = records(log)
    assert [r["type"] for r in logged] == [
        "auto_merge_success",
        "auto_merge_success",
        "patch_failed",
        "queue_backlog",
    ]
    assert logged[0]["confidence"] == SCORE.to_dict()
    assert logged[1]["confidence"] == {"overall": 0.97}
    assert "(confidence 0.97)" in str(logged[1]["text"])
    assert logged[2]["confidence"] is None and "(confidence n/a)" in str(logged[2]["text"])
    assert (logged[3]["pending_count"], logged[3]["oldest_age_hours"]) == (12, 80.0)
    assert all(isinstance(r["timestamp"], str) for r in logged)


OLD_LINES = [
    {
        "at": "2026-01-05T10:00:00Z",
        "alert_id": "a1",
        "kind": "queue_backlog",
        "level": "warning",
        "text": "backlog",
        "data": {"count": 12, "oldest_hours": 80.0, "threshold_count": 10},
        "slack": "sending",
    },
    {"alert_id": "a1", "kind": "slack_delivery", "delivered": False},
    {
        "at": "2026-01-06T09:00:00Z",
        "alert_id": "a2",
        "kind": "patch_failed",
        "level": "error",
        "text": "failed",
        "data": {"patch_path": "p.patch", "error": "boom", "confidence": 0.42},
        "slack": "off",
    },
]


def test_alert_lines_in_the_earlier_format_still_read_and_count_in_status(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = SampleRepo(tmp_path / "calc", CALC)
    log = repo.path / ".state" / "alerts.jsonl"
    for line in OLD_LINES:
        append_jsonl(log, line)
    AlertManager(alert_log=log).alert_auto_merge_success("q.patch", 0.99)
    read = read_alerts(log)
    assert [r["type"] for r in read] == [
        "queue_backlog",
        "slack_delivery",
        "patch_failed",
        "auto_merge_success",
    ]
    assert (read[0]["timestamp"], read[0]["pending_count"], read[0]["oldest_age_hours"]) == (
        "2026-01-05T10:00:00Z",
        12,
        80.0,
    )
    assert (read[2]["patch_path"], read[2]["error"], read[2]["confidence"]) == (
        "p.patch",
        "boom",
        {"overall": 0.42},
    )
    assert main(["status", "--repo", str(repo.path), "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["alerts"]["patch_failed"] == 1
    assert status["alerts"]["queue_backlog"] == 1
    assert status["alerts"]["auto_merge_success"] == 1
    assert status["alerts"]["last"] == read[3]["timestamp"]
    assert main(["status", "--repo", str(repo.path)]) == 0
    assert "Alerts: 3 (patch_failed 1, queue_backlog 1, auto_merge_success 1)" in (
        capsys.readouterr().out
    )
