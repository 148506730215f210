"""The Slack fake is faithful enough for slack-sdk's real WebhookClient; documents its results."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from urllib.error import URLError

import pytest
import requests
from slack_sdk.http_retry import (
    FixedValueRetryIntervalCalculator,
    RateLimitErrorRetryHandler,
    default_retry_handlers,
)
from slack_sdk.http_retry.builtin_handlers import ServerErrorRetryHandler
from slack_sdk.webhook import WebhookClient

from tests.fakes.slack_receiver import DEFAULT_WEBHOOK_PATH, SlackReceiver, closed_port_url

PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


@pytest.fixture(autouse=True)
def _no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    """WebhookClient honours *_PROXY variables; keep loopback traffic direct."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


@pytest.fixture
def slack() -> Iterator[SlackReceiver]:
    with SlackReceiver() as receiver:
        yield receiver


def client(url: str) -> WebhookClient:
    """The construction the alerting code is expected to use."""
    return WebhookClient(url, timeout=10, retry_handlers=default_retry_handlers())


# --------------------------------------------------------------------------- real WebhookClient


def test_payload_arrives_and_ok_is_returned(slack: SlackReceiver) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*patch rejected*"}}]
    response = client(slack.url).send(text="patch rejected", blocks=blocks)

    assert (response.status_code, response.body) == (200, "ok")
    [message] = slack.messages
    assert message.path == DEFAULT_WEBHOOK_PATH
    assert message.payload == {"text": "patch rejected", "blocks": blocks}
    assert message.text == "patch rejected"
    assert message.headers["Content-Type"] == "application/json;charset=utf-8"
    assert "slackclient/" in message.headers["User-Agent"]


def test_server_error_is_returned_not_raised_and_not_retried(slack: SlackReceiver) -> None:
    slack.respond_with(500, "internal_error")
    response = client(slack.url).send(text="hello")

    assert (response.status_code, response.body) == (500, "internal_error")
    assert len(slack.messages) == 1  # default handlers only retry connection errors


@pytest.mark.parametrize("word", ["no_service", "channel_not_found"])
def test_not_found_is_returned_not_raised(slack: SlackReceiver, word: str) -> None:
    slack.respond_with(404, word)
    response = client(slack.url).send(text="hello")

    assert (response.status_code, response.body) == (404, word)


def test_receiver_down_raises_urlerror_after_one_retry(caplog: pytest.LogCaptureFixture) -> None:
    url = closed_port_url(DEFAULT_WEBHOOK_PATH)
    caplog.set_level(logging.INFO, logger="slack_sdk")
    started = time.monotonic()
    with pytest.raises(URLError) as caught:
        client(url).send(text="hello")
    elapsed = time.monotonic() - started

    assert isinstance(caught.value.reason, ConnectionRefusedError)
    assert 0.5 <= elapsed < 3  # one back-off sleep of 0.5 s + up to 1 s jitter
    failures = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(failures) == 2  # first attempt + the single retry
    # The error lines are URL-free, but the INFO retry lines carry the whole webhook URL.
    assert all(DEFAULT_WEBHOOK_PATH not in r.getMessage() for r in failures)
    assert any(r.levelno == logging.INFO and url in r.getMessage() for r in caplog.records), (
        "slack-sdk logs the full webhook URL at INFO when it retries"
    )


def test_server_error_retry_handler_recovers_from_one_500(slack: SlackReceiver) -> None:
    slack.respond_with(500, "internal_error", times=1)
    retrying = WebhookClient(
        slack.url,
        timeout=10,
        retry_handlers=[
            *default_retry_handlers(),
            ServerErrorRetryHandler(
                max_retry_count=1, interval_calculator=FixedValueRetryIntervalCalculator(0.01)
            ),
        ],
    )
    response = retrying.send(text="hello")

    assert (response.status_code, response.body) == (200, "ok")
    assert slack.payloads == [{"text": "hello"}, {"text": "hello"}]


def test_rate_limit_handler_honours_retry_after(slack: SlackReceiver) -> None:
    slack.respond_with(429, "rate_limited", headers={"Retry-After": "0"}, times=1)
    retrying = WebhookClient(slack.url, timeout=10, retry_handlers=[RateLimitErrorRetryHandler()])
    response = retrying.send(text="hello")

    assert (response.status_code, response.body) == (200, "ok")
    assert len(slack.messages) == 2


# --------------------------------------------------------------------------- the fake itself


def test_answers_like_hooks_slack_com(slack: SlackReceiver) -> None:
    ok = requests.post(slack.url, json={"text": "hi"}, timeout=5)
    no_text = requests.post(slack.url, json={"unfurl_links": False}, timeout=5)
    invalid = requests.post(slack.url, data=b"text=hi", timeout=5)
    wrong_path = requests.post(
        slack.base_url + "/services/T000/B000/WRONG", json={"text": "x"}, timeout=5
    )

    assert (ok.status_code, ok.text) == (200, "ok")
    assert (no_text.status_code, no_text.text) == (400, "no_text")
    assert (invalid.status_code, invalid.text) == (400, "invalid_payload")
    assert (wrong_path.status_code, wrong_path.text) == (404, "no_service")
    assert [m.payload for m in slack.messages] == [
        {"text": "hi"},
        {"unfurl_links": False},
        None,
        {"text": "x"},
    ]
    assert slack.messages[2].raw_body == b"text=hi"


def test_respond_with_until_reset(slack: SlackReceiver) -> None:
    slack.respond_with(503, "service_unavailable")
    statuses = [
        requests.post(slack.url, json={"text": "x"}, timeout=5).status_code for _ in range(2)
    ]
    slack.reset()
    after = requests.post(slack.url, json={"text": "x"}, timeout=5)

    assert statuses == [503, 503]
    assert after.status_code == 200
    assert len(slack.messages) == 1  # reset also forgot the earlier messages


def test_wait_for_blocks_until_messages_arrive(slack: SlackReceiver) -> None:
    def send_later() -> None:
        time.sleep(0.1)
        client(slack.url).send(text="late")

    sender = threading.Thread(target=send_later)
    sender.start()
    try:
        [message] = slack.wait_for(1, timeout=5)
    finally:
        sender.join()
    assert message.text == "late"
    with pytest.raises(TimeoutError, match="expected 2"):
        slack.wait_for(2, timeout=0.1)


def test_custom_path_is_the_secret() -> None:
    with SlackReceiver(path="/services/TABC/BDEF/s3cr3t") as slack:
        assert slack.url == f"http://127.0.0.1:{slack.port}/services/TABC/BDEF/s3cr3t"
        assert client(slack.url).send(text="hi").status_code == 200
    with pytest.raises(ValueError):
        SlackReceiver(path="services/no-leading-slash")
