"""Loopback stand-in for a Slack incoming webhook.

Usage::

    with SlackReceiver() as slack:                  # or SlackReceiver(path="/services/...")
        WebhookClient(slack.url, timeout=10).send(text="hi")
        slack.wait_for(1, timeout=5)                # -> [ReceivedMessage(...)]
        slack.messages[0].payload                   # {"text": "hi"}
        slack.respond_with(500, "internal_error")   # times=N: only the next N POSTs
        slack.reset()

``slack.url`` is ``http://127.0.0.1:PORT/services/T000/B000/XXXX``; the path plays the part of
the webhook secret, so tests can assert it never shows up in logs or reports.

What slack-sdk 3.48.0's ``WebhookClient(url, timeout=10)`` does (its default
``retry_handlers`` is ``default_retry_handlers()`` == ``[ConnectionErrorRetryHandler()]``),
checked by tests/integration/fakes/test_slack_receiver.py:

* 200: returns ``WebhookResponse`` with ``status_code == 200`` and ``body == "ok"``. The
  request is ``POST`` with ``Content-Type: application/json;charset=utf-8``, a
  ``slackclient/<version>`` User-Agent and the payload minus ``None`` fields.
* HTTP error (500 ``internal_error``, 404 ``no_service``/``channel_not_found``, ...): nothing
  is raised; it returns ``WebhookResponse(status_code=500, body="internal_error")`` etc. The
  default handlers never retry an HTTP status (exactly one POST). Adding
  ``ServerErrorRetryHandler`` retries 500/503 once; ``RateLimitErrorRetryHandler`` retries a
  429 after ``Retry-After`` + up to 1 s of jitter.
* Receiver down (connection refused): raises ``urllib.error.URLError`` whose ``reason`` is a
  ``ConnectionRefusedError``, after one retry (two attempts, 0.5-1.5 s back-off). Each
  attempt logs ERROR ``Failed to send a request to Slack API server: <urlopen error [Errno
  111] Connection refused>`` (no URL), but the retry also logs, at INFO on the
  ``slack_sdk.webhook.client`` logger, ``Going to retry the same request: POST <full webhook
  URL>`` -- the secret leaks if that logger is enabled at INFO (and at DEBUG every request
  is logged with its URL).
* Requests to 127.0.0.1 go through ``*_PROXY`` variables if they are set (``NO_PROXY`` is
  honoured); the tests clear them.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from .osv_server import IncomingRequest, LoopbackHTTPService, Reply, closed_port_url

__all__ = [
    "DEFAULT_WEBHOOK_PATH",
    "ReceivedMessage",
    "SlackReceiver",
    "closed_port_url",
]

#: Shaped like a real webhook path (/services/<team>/<bot>/<secret>); tests grep logs for it.
DEFAULT_WEBHOOK_PATH = "/services/T000/B000/XXXX"

# hooks.slack.com answers with a bare word ("ok", "no_service", ...), not JSON.
_CONTENT_TYPE = "text/html; charset=utf-8"


@dataclass(frozen=True)
class ReceivedMessage:
    """One POST the receiver got, whatever it answered."""

    path: str
    headers: dict[str, str]
    raw_body: bytes
    payload: dict[str, Any] | None  # None when the body was not a JSON object

    @property
    def text(self) -> str | None:
        value = (self.payload or {}).get("text")
        return value if isinstance(value, str) else None


@dataclass(frozen=True)
class _Override:
    reply: Reply
    remaining: int | None  # None: until reset


@dataclass
class _State:
    messages: list[ReceivedMessage] = field(default_factory=list)
    override: _Override | None = None


class SlackReceiver(LoopbackHTTPService):
    """Records webhook POSTs and answers the way hooks.slack.com does.

    * right path, JSON object with ``text``/``blocks``/``attachments`` -> ``200 ok``
    * body that is not a JSON object -> ``400 invalid_payload``
    * JSON object with nothing to post -> ``400 no_text``
    * any other path -> ``404 no_service``
    * :meth:`respond_with` overrides all of the above (optionally for the next ``times`` POSTs).
    """

    def __init__(self, path: str = DEFAULT_WEBHOOK_PATH) -> None:
        super().__init__()
        if not path.startswith("/"):
            raise ValueError(f"webhook path must start with '/': {path!r}")
        self.path = path
        self._state = _State()
        self._arrived = threading.Condition(self._lock)

    @property
    def url(self) -> str:
        """The webhook URL to hand to ``WebhookClient``; its path is the 'secret'."""
        return self.base_url + self.path

    @property
    def messages(self) -> list[ReceivedMessage]:
        """Every POST received so far, oldest first (a snapshot)."""
        with self._lock:
            return list(self._state.messages)

    @property
    def payloads(self) -> list[dict[str, Any] | None]:
        return [message.payload for message in self.messages]

    def respond_with(
        self,
        status: int,
        body: str = "",
        *,
        headers: Mapping[str, str] | None = None,
        times: int | None = None,
    ) -> None:
        """Answer the next ``times`` POSTs (all, if None) with ``status`` and a text ``body``.

        Real error bodies are bare words, e.g. ``respond_with(500, "internal_error")``,
        ``respond_with(404, "no_service")``, ``respond_with(404, "channel_not_found")``,
        ``respond_with(429, "rate_limited", headers={"Retry-After": "1"})``.
        """
        if times is not None and times < 1:
            raise ValueError("times must be >= 1 (or None for 'until reset')")
        reply = Reply(status, body.encode(), _CONTENT_TYPE, dict(headers or {}))
        with self._lock:
            self._state.override = _Override(reply, times)

    def reset(self) -> None:
        """Forget recorded messages and go back to answering like Slack."""
        with self._lock:
            self._state = _State()

    def wait_for(self, count: int, timeout: float = 5.0) -> list[ReceivedMessage]:
        """Block until at least ``count`` POSTs arrived; return them or raise TimeoutError."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self._state.messages) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(
                        f"expected {count} webhook POST(s) within {timeout}s, "
                        f"got {len(self._state.messages)}"
                    )
                self._arrived.wait(remaining)
            return list(self._state.messages)

    def handle(self, request: IncomingRequest) -> Reply:
        if request.method != "POST":
            return Reply(405, b"invalid_method", _CONTENT_TYPE)

        payload = _parse_object(request.body)
        message = ReceivedMessage(
            path=urlsplit(request.path).path,
            headers=request.headers,
            raw_body=request.body,
            payload=payload,
        )
        with self._arrived:
            self._state.messages.append(message)
            override = self._take_override()
            self._arrived.notify_all()

        if override is not None:
            return override
        if message.path != self.path:
            return _slack_text(404, "no_service")
        if payload is None:
            return _slack_text(400, "invalid_payload")
        if not any(payload.get(key) for key in ("text", "blocks", "attachments")):
            return _slack_text(400, "no_text")
        return _slack_text(200, "ok")

    def _take_override(self) -> Reply | None:
        override = self._state.override
        if override is None:
            return None
        if override.remaining is not None:
            left = override.remaining - 1
            self._state.override = _Override(override.reply, left) if left > 0 else None
        return override.reply


def _slack_text(status: int, word: str) -> Reply:
    return Reply(status, word.encode(), _CONTENT_TYPE)


def _parse_object(body: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(body)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
