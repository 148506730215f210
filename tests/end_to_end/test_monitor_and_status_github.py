"""`error-fix monitor` and `error-fix status` with --forge github against the loopback fake GitHub,
alerts going to the loopback Slack receiver."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from error_fix.cli import main
from error_fix.decision import PatchDecision
from error_fix.forge.github import BACKLOG_TITLE
from error_fix.report import MARKER_PREFIX
from error_fix.state import append_jsonl
from tests.fakes.github_server import FakeGitHub, FakeRepo
from tests.fakes.slack_receiver import SlackReceiver
from tests.integration.github_helpers import (
    REPO,
    api,
    connect,
    make_patch,
    make_verdict,
)
from tests.sample import git

REVIEW_LABELS = ["automated-fix", "error-recovery", "error-fix:needs-review"]


pytestmark = pytest.mark.usefixtures("github_env")


def tracking_issues(gh: FakeGitHub, state: str) -> list[int]:
    issues = api(gh).get_repo(REPO).get_issues(state=state)
    return [i.number for i in issues if i.title == BACKLOG_TITLE and i.pull_request is None]


def test_monitor_alerts_and_keeps_exactly_one_tracking_issue(
    gh: FakeGitHub,
    remote: FakeRepo,
    checkout: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    now = dt.datetime.now(dt.UTC)
    numbers = []
    for i in range(12):
        marker = json.dumps(
            {"identity": f"err-{i}", "decision": "manual_review", "overall": 0.5, "schema": 1}
        )
        numbers.append(
            gh.seed_pull(
                remote,
                f"error-fix/err-{i}",
                title=f"[Auto] Error fix: error {i}",
                body=f"report\n\n{MARKER_PREFIX}{marker} -->",
                labels=REVIEW_LABELS,
                created_at=now - dt.timedelta(hours=80 if i == 0 else i),
            )
        )
    monitor = ["monitor", "--forge", "github", "--repo", str(checkout)]
    with SlackReceiver() as slack:
        monkeypatch.setenv("SLACK_WEBHOOK_URL", slack.url)
        assert main(monitor) == 0
        out = capsys.readouterr().out
        assert "Review queue: 12 pending, oldest 80.0h" in out
        assert out.rstrip().endswith("Queue health: warning")
        [alert] = slack.wait_for(1)
        assert alert.payload is not None
        assert "12 fix(es) waiting, oldest 80h" in alert.payload["text"]
        assert len(tracking_issues(gh, "open")) == 1
        issue = remote.issue(tracking_issues(gh, "open")[0])
        assert f"#{numbers[0]} | 80h" in issue.body
        assert main(monitor) == 0  # an hour later: still backlogged
        assert len(tracking_issues(gh, "open")) == 1
        assert len(slack.wait_for(2)) == 2
        repository = api(gh).get_repo(REPO)
        for number in numbers:  # the team works through the queue
            repository.get_pull(number).edit(state="closed")
        assert main(monitor) == 0
        assert capsys.readouterr().out.rstrip().endswith("Queue health: good")
        assert tracking_issues(gh, "open") == []
        assert len(tracking_issues(gh, "closed")) == 1
        assert len(slack.messages) == 2  # no alert once healthy
        secret = slack.url
    alerts = (checkout / ".state" / "alerts.jsonl").read_text()
    assert alerts.count('"type":"queue_backlog"') == 2
    events = (checkout / ".state" / "events.jsonl").read_text()
    assert events.count('"event_type":"queue_backlog"') == 2
    assert secret not in alerts + events


def test_status_counts_a_reverted_auto_merge_as_a_false_positive(
    gh: FakeGitHub, remote: FakeRepo, checkout: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    forge = connect(gh, checkout)
    log = checkout / ".state" / "patch_decisions.jsonl"
    merges = {}
    for name, decision in (
        ("one", PatchDecision.AUTO_MERGE),
        ("two", PatchDecision.AUTO_MERGE),
        ("three", PatchDecision.MANUAL_REVIEW),
    ):
        patch = make_patch(checkout, {f"src/calc/{name}.py": f"{name.upper()} = 1\n"}, name)
        verdict = make_verdict(checkout, patch, decision)
        append_jsonl(log, verdict.log_record())
        result = forge.publish(verdict, patch)
        assert result.outcome == (
            "merged" if decision is PatchDecision.AUTO_MERGE else "needs_review"
        ), result.message
        merges[name] = result.pr_number
    append_jsonl(log, {"decision": "rejected"})
    assert forge.approve(str(merges["three"]), "alice").outcome == "merged"
    merged_one = remote.pull(merges["one"]).pull.merge_commit_sha
    gh.push_commit(
        remote,
        "main",
        {"src/calc/one.py": None},
        f'Revert "one"\n\nThis reverts commit {merged_one}.',
    )
    git(checkout, "fetch", "--quiet", "origin")  # the monitoring job checks out full history
    assert main(["status", "--forge", "github", "--repo", str(checkout), "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["decisions"] == {
        "auto_merge": 2,
        "auto_merge_pr": 0,
        "manual_review": 1,
        "rejected": 1,
    }
    assert status["auto_merge_rate"] == 0.5
    assert status["merged_without_human"] == 2
    assert status["reverted"] == 1
    assert status["false_positive_rate"] == 0.5
    assert status["hours_saved"] == 1.0
    assert status["queue"] == {"total_pending": 0, "oldest_age_hours": 0.0, "health": "good"}
    assert status["median_hours_to_merge"] is not None and status["median_hours_to_merge"] < 0.1
