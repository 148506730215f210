"""AlertManager: alerts to a JSONL log (always, first) and to Slack (when configured).

Alerts follow events (``subscribe``) rather than ad-hoc calls. Slack goes through slack-sdk's
WebhookClient with its retry handlers and a 10 s timeout; a Slack failure is logged, never raised.
The webhook URL is a secret: it is never printed or logged — slack-sdk logs the full URL when it
retries (INFO) and on every request (DEBUG), so its logger is given a silent one.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from pathlib import Path
from typing import Any

from .events import Event, EventBus
from .state import append_jsonl

log = logging.getLogger(__name__)

DEFAULT_ALERT_LOG = Path(".state") / "alerts.jsonl"


def _silent_logger() -> logging.Logger:
    quiet = logging.getLogger("error_fix.alerting.slack_sdk")
    quiet.propagate = False
    quiet.handlers = [logging.NullHandler()]
    quiet.setLevel(logging.CRITICAL + 1)
    return quiet


class AlertManager:
    def __init__(self, slack_webhook: str | None = None, alert_log: Path | None = None) -> None:
        self._webhook = slack_webhook or None
        self.alert_log = alert_log or DEFAULT_ALERT_LOG

    def __repr__(self) -> str:  # never show the webhook
        slack = "configured" if self._webhook else "off"
        return f"AlertManager(slack={slack}, alert_log={str(self.alert_log)!r})"

    # -- alerts ---------------------------------------------------------------------------------

    def alert_patch_failed(self, patch_path: str, error: str, confidence: float | None) -> bool:
        score = "n/a" if confidence is None else f"{confidence:.2f}"
        return self._alert(
            "patch_failed",
            "error",
            f":x: Patch failed: {patch_path} — {error} (confidence {score})",
            {"patch_path": patch_path, "error": error, "confidence": confidence},
        )

    def alert_queue_backlog(
        self,
        count: int,
        oldest_hours: float,
        threshold_count: int = 10,
        threshold_hours: float = 72,
    ) -> bool:
        """Alert when the queue reaches either threshold; no alert under both."""
        if count < threshold_count and oldest_hours < threshold_hours:
            return False
        return self._alert(
            "queue_backlog",
            "warning",
            f":warning: Review queue backlog: {count} fix(es) waiting, oldest {oldest_hours:.0f}h "
            f"(thresholds {threshold_count} / {threshold_hours:.0f}h)",
            {
                "count": count,
                "oldest_hours": round(oldest_hours, 2),
                "threshold_count": threshold_count,
                "threshold_hours": threshold_hours,
            },
        )

    def alert_auto_merge_success(self, patch_path: str, confidence: float | None) -> bool:
        score = "n/a" if confidence is None else f"{confidence:.2f}"
        return self._alert(
            "auto_merge_success",
            "info",
            f":white_check_mark: Auto-merged fix: {patch_path} (confidence {score})",
            {"patch_path": patch_path, "confidence": confidence},
        )

    # -- delivery -------------------------------------------------------------------------------

    def _alert(self, kind: str, level: str, text: str, data: dict[str, Any]) -> bool:
        """Log the alert first (it survives a Slack outage or a crash), then try Slack.

        True when Slack accepted it; the delivery outcome is logged as a second line.
        """
        alert_id = uuid.uuid4().hex
        append_jsonl(
            self.alert_log,
            {
                "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
                "alert_id": alert_id,
                "kind": kind,
                "level": level,
                "text": text,
                "data": data,
                "slack": "sending" if self._webhook else "off",
            },
        )
        if not self._webhook:
            return False
        delivered = self._send_to_slack(text)
        append_jsonl(
            self.alert_log, {"alert_id": alert_id, "kind": "slack_delivery", "delivered": delivered}
        )
        return delivered

    def _send_to_slack(self, text: str) -> bool:
        from slack_sdk.http_retry.builtin_handlers import (
            ConnectionErrorRetryHandler,
            RateLimitErrorRetryHandler,
            ServerErrorRetryHandler,
        )
        from slack_sdk.webhook import WebhookClient

        assert self._webhook is not None
        client = WebhookClient(
            self._webhook,
            timeout=10,
            logger=_silent_logger(),
            retry_handlers=[
                ConnectionErrorRetryHandler(max_retry_count=1),
                RateLimitErrorRetryHandler(max_retry_count=1),
                ServerErrorRetryHandler(max_retry_count=1),
            ],
        )
        try:
            response = client.send(text=text)
        except Exception as exc:  # the network, not us: log the kind, never the URL
            log.warning("Slack alert not delivered: %s", type(exc).__name__)
            return False
        if response.status_code != 200:
            log.warning(
                "Slack alert not delivered: HTTP %s %s",
                response.status_code,
                str(response.body)[:100],
            )
            return False
        return True

    # -- events ---------------------------------------------------------------------------------

    def subscribe(
        self, bus: EventBus, threshold_count: int = 10, threshold_hours: float = 72
    ) -> None:
        """Alert on: task_failed and rejected decisions, merges, and queue backlog events."""

        def on_event(event: Event) -> None:
            data = event.data
            patch = str(data.get("patch") or data.get("branch") or "patch")
            if event.event_type == "task_failed":
                self.alert_patch_failed(patch, str(data.get("error")), data.get("overall"))
            elif (
                event.event_type == "patch_validation_completed"
                and data.get("decision") == "rejected"
            ):
                self.alert_patch_failed(patch, str(data.get("reason")), data.get("overall"))
            elif event.event_type == "patch_published" and data.get("outcome") == "merged":
                self.alert_auto_merge_success(patch, data.get("overall"))
            elif event.event_type == "queue_backlog":
                self.alert_queue_backlog(
                    int(data.get("total_pending", 0)),
                    float(data.get("oldest_age_hours", 0.0)),
                    int(data.get("threshold_count", threshold_count)),
                    float(data.get("threshold_hours", threshold_hours)),
                )

        bus.subscribe(
            on_event,
            "task_failed",
            "patch_validation_completed",
            "patch_published",
            "queue_backlog",
        )
