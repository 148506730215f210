"""Alerts against a loopback Slack receiver: payloads, outages, and a webhook that never leaks."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from error_fix.alerting import AlertManager
from error_fix.events import EventBus
from tests.fakes.slack_receiver import SlackReceiver, closed_port_url


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


@pytest.fixture
def everything_logged(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)  # the strictest setting a user could choose
    for name in ("slack_sdk", "slack_sdk.webhook.client", "urllib3"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    return caplog


def lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_each_alert_type_delivers_its_payload(tmp_path: Path) -> None:
    log = tmp_path / "alerts.jsonl"
    with SlackReceiver() as slack:
        alerts = AlertManager(slack_webhook=slack.url, alert_log=log)
        assert alerts.alert_patch_failed("fixes/a.patch", "does not apply", 0.42)
        assert alerts.alert_queue_backlog(12, 80.0)
        assert alerts.alert_auto_merge_success("fixes/b.patch", 0.97)
        texts = [m.payload["text"] for m in slack.wait_for(3)]  # type: ignore[index]
    assert texts == [
        ":x: Patch failed: fixes/a.patch — does not apply (confidence 0.42)",
        ":warning: Review queue backlog: 12 fix(es) waiting, oldest 80h (thresholds 10 / 72h)",
        ":white_check_mark: Auto-merged fix: fixes/b.patch (confidence 0.97)",
    ]
    kinds = [(r["type"], r.get("slack"), r.get("delivered")) for r in lines(log)]
    assert kinds == [
        ("patch_failed", "sending", None),
        ("slack_delivery", None, True),
        ("queue_backlog", "sending", None),
        ("slack_delivery", None, True),
        ("auto_merge_success", "sending", None),
        ("slack_delivery", None, True),
    ]


def test_no_backlog_alert_under_both_thresholds(tmp_path: Path) -> None:
    log = tmp_path / "alerts.jsonl"
    with SlackReceiver() as slack:
        alerts = AlertManager(slack_webhook=slack.url, alert_log=log)
        assert not alerts.alert_queue_backlog(9, 71.9)
        assert alerts.alert_queue_backlog(3, 72.0)  # one threshold is enough
        assert alerts.alert_queue_backlog(5, 1.0, threshold_count=5)
        assert len(slack.wait_for(2)) == 2
    assert [r["type"] for r in lines(log) if r["type"] != "slack_delivery"] == [
        "queue_backlog",
        "queue_backlog",
    ]


@pytest.mark.parametrize("outage", ["500", "down"])
def test_slack_outage_still_logs_raises_nothing_and_never_leaks_the_url(
    tmp_path: Path,
    outage: str,
    everything_logged: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    log = tmp_path / "alerts.jsonl"
    with SlackReceiver() as slack:
        if outage == "500":
            slack.respond_with(500, "internal_error")
            url = slack.url
        else:
            url = closed_port_url("/services/T000/B000/XXXX")
        alerts = AlertManager(slack_webhook=url, alert_log=log)
        assert alerts.alert_patch_failed("fixes/a.patch", "boom", None) is False
    records = lines(log)
    assert records[0]["type"] == "patch_failed"
    assert records[1] == {
        "timestamp": records[1]["timestamp"],
        "alert_id": records[0]["alert_id"],
        "type": "slack_delivery",
        "delivered": False,
    }
    out = capsys.readouterr()
    secret = "/services/T000/B000/XXXX"
    for text in (everything_logged.text, out.out, out.err, log.read_text(), repr(alerts)):
        assert secret not in text and "127.0.0.1" not in text
    assert "Slack alert not delivered" in everything_logged.text


def test_without_a_webhook_alerts_are_only_logged(tmp_path: Path) -> None:
    log = tmp_path / "alerts.jsonl"
    assert AlertManager(alert_log=log).alert_auto_merge_success("p", 1.0) is False
    assert [(r["type"], r["slack"]) for r in lines(log)] == [("auto_merge_success", "off")]


def test_alerts_follow_events(tmp_path: Path) -> None:
    log = tmp_path / "alerts.jsonl"
    bus = EventBus()
    with SlackReceiver() as slack:
        AlertManager(slack_webhook=slack.url, alert_log=log).subscribe(bus)
        bus.emit("patch_published", {"patch": "err-1", "outcome": "merged", "overall": 0.99})
        bus.emit("patch_published", {"patch": "err-2", "outcome": "needs_review"})
        bus.emit(
            "patch_validation_completed",
            {"patch": "p", "decision": "rejected", "reason": "protected path", "overall": 0.0},
        )
        bus.emit("task_failed", {"task": "apply_patch", "error": "git exploded"})
        bus.emit("queue_backlog", {"total_pending": 12, "oldest_age_hours": 80})
        texts = [m.payload["text"] for m in slack.wait_for(4)]  # type: ignore[index]
    assert [t.split(" ")[0] for t in texts] == [":white_check_mark:", ":x:", ":x:", ":warning:"]
    assert "protected path" in texts[1] and "git exploded" in texts[2]
