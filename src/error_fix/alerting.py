"""AlertManager: alerts to a JSONL log (always, first) and to Slack (when configured).

Alerts follow events (``subscribe``) or are sent directly (``alert_*``). Slack goes through
slack-sdk's WebhookClient with its retry handlers and a 10 s timeout; a Slack failure is logged,
never raised. The webhook URL is a secret: it is never printed or logged — slack-sdk logs the full
URL when it retries (INFO) and on every request (DEBUG), so its logger is given a silent one.

The alert log (``.state/alerts.jsonl``) holds one JSON object per line: ``timestamp`` (UTC ISO
8601), ``type`` (patch_failed, queue_backlog, auto_merge_success), ``alert_id``, ``level``,
``text``, ``slack`` (sending or off), then ``patch_path``, ``error``, ``confidence`` (a mapping with
``overall``) for patch alerts, ``pending_count``, ``oldest_age_hours``, ``threshold_count``,
``threshold_hours`` for backlog alerts. When Slack was tried, a second line with type
``slack_delivery``, the same ``alert_id`` and ``delivered`` follows. Lines written before this
format (``at``/``kind``/``data`` with ``count``/``oldest_hours``) are read by ``read_alerts`` as if
written in it.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .config import ALERT_LOG_FILE, Settings
from .events import Event, EventBus
from .state import append_jsonl, ensure_dir, read_jsonl

log = logging.getLogger(__name__)

DEFAULT_ALERT_LOG = Path(Settings.state_dir) / ALERT_LOG_FILE
WEBHOOK_VARIABLES = ("ERROR_FIX_SLACK_WEBHOOK_URL", "SLACK_WEBHOOK_URL")
"""Where the Slack webhook URL is looked for, first match wins."""
ALERT_TYPES = ("patch_failed", "queue_backlog", "auto_merge_success")
DELIVERY = "slack_delivery"

Confidence = Mapping[str, Any] | float | None
"""A ConfidenceScore's ``to_dict()`` (``overall`` is read from it), a bare overall score, or
nothing."""


def webhook_from_environment(env: Mapping[str, str] | None = None) -> str | None:
    """The Slack webhook URL from ERROR_FIX_SLACK_WEBHOOK_URL, else SLACK_WEBHOOK_URL."""
    environment = os.environ if env is None else env
    return next((environment[v] for v in WEBHOOK_VARIABLES if environment.get(v)), None)


def _silent_logger() -> logging.Logger:
    quiet = logging.getLogger("error_fix.alerting.slack_sdk")
    quiet.propagate = False
    quiet.handlers = [logging.NullHandler()]
    quiet.setLevel(logging.CRITICAL + 1)
    return quiet


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _confidence(confidence: Confidence) -> tuple[dict[str, Any] | None, float | None]:
    """(the mapping to log, the overall score to show)."""
    if confidence is None:
        return None, None
    if isinstance(confidence, Mapping):
        overall = confidence.get("overall")
        return dict(confidence), None if overall is None else float(overall)
    return {"overall": float(confidence)}, float(confidence)


class AlertManager:
    """Sends alerts. ``slack_webhook`` defaults to ERROR_FIX_SLACK_WEBHOOK_URL or
    SLACK_WEBHOOK_URL (``""`` turns Slack off); ``alert_log`` to ``.state/alerts.jsonl``, whose
    folder is created."""

    def __init__(
        self, slack_webhook: str | None = None, alert_log: str | os.PathLike[str] | None = None
    ) -> None:
        webhook = webhook_from_environment() if slack_webhook is None else slack_webhook
        self._webhook = webhook or None
        self.alert_log = Path(alert_log) if alert_log else DEFAULT_ALERT_LOG
        ensure_dir(self.alert_log.parent)

    def __repr__(self) -> str:  # never show the webhook
        slack = "configured" if self._webhook else "off"
        return f"AlertManager(slack={slack}, alert_log={str(self.alert_log)!r})"

    @property
    def slack_available(self) -> bool:
        """Whether alerts also go to Slack."""
        return self._webhook is not None

    # -- alerts ---------------------------------------------------------------------------------

    def alert_patch_failed(
        self, patch_path: str | os.PathLike[str], error: str, confidence: Confidence = None
    ) -> bool:
        logged, overall = _confidence(confidence)
        score = "n/a" if overall is None else f"{overall:.2f}"
        return self._alert(
            "patch_failed",
            "error",
            f":x: Patch failed: {patch_path} — {error} (confidence {score})",
            {"patch_path": str(patch_path), "error": str(error), "confidence": logged},
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
                "pending_count": count,
                "oldest_age_hours": round(oldest_hours, 2),
                "threshold_count": threshold_count,
                "threshold_hours": threshold_hours,
            },
        )

    def alert_auto_merge_success(
        self, patch_path: str | os.PathLike[str], confidence: Confidence
    ) -> bool:
        logged, overall = _confidence(confidence)
        score = "n/a" if overall is None else f"{overall:.2f}"
        return self._alert(
            "auto_merge_success",
            "info",
            f":white_check_mark: Auto-merged fix: {patch_path} (confidence {score})",
            {"patch_path": str(patch_path), "confidence": logged},
        )

    # -- delivery -------------------------------------------------------------------------------

    def _alert(self, alert_type: str, level: str, text: str, fields: dict[str, Any]) -> bool:
        """Log the alert first (it survives a Slack outage or a crash), then try Slack.

        True when Slack accepted it; the delivery outcome is logged as a second line.
        """
        alert_id = uuid.uuid4().hex
        append_jsonl(
            self.alert_log,
            {
                "timestamp": _now(),
                "type": alert_type,
                "alert_id": alert_id,
                "level": level,
                "text": text,
                **fields,
                "slack": "sending" if self._webhook else "off",
            },
        )
        if not self._webhook:
            return False
        delivered = self._send_to_slack(text)
        append_jsonl(
            self.alert_log,
            {"timestamp": _now(), "type": DELIVERY, "alert_id": alert_id, "delivered": delivered},
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
            patch = str(
                data.get("patch_path") or data.get("patch") or data.get("branch") or "patch"
            )
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


_OLD_FIELDS = {"count": "pending_count", "oldest_hours": "oldest_age_hours"}


def read_alerts(path: Path) -> list[dict[str, Any]]:
    """Every record of the alert log at ``path`` in the current format; lines written in the
    earlier one (``at``, ``kind``, ``data`` with ``count``/``oldest_hours``, a bare confidence)
    are converted. A torn or foreign line is skipped."""
    records: list[dict[str, Any]] = []
    for record in read_jsonl(path):
        if "type" not in record and "kind" in record:
            record = _upgraded(record)
        if isinstance(record.get("type"), str):
            records.append(record)
    return records


def _upgraded(old: Mapping[str, Any]) -> dict[str, Any]:
    record = {k: v for k, v in old.items() if k not in ("at", "kind", "data")}
    record["type"] = old["kind"]
    if old.get("at"):
        record["timestamp"] = old["at"]
    data = old.get("data")
    if isinstance(data, Mapping):
        for key, value in data.items():
            record[_OLD_FIELDS.get(str(key), str(key))] = value
    if "confidence" in record:
        record["confidence"] = _confidence(record["confidence"])[0]
    return record
