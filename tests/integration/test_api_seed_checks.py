"""The error automation plan's own checks (SEED_API.md, last section), verbatim but for the
imports, run in a real repository as its scripts run: from the repository's directory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from error_fix import (
    AlertManager,
    ErrorAutomationAdapter,
    PRCreator,
    ReviewQueueProcessor,
    ToolConfig,
)
from error_fix.config import Settings
from error_fix.decision import PatchDecision
from error_fix.forge.local import LocalForge
from tests.sample import CALC, SampleRepo, make_patch, make_verdict


def monitor() -> None:
    """The monitor script's loop body, as the plan wrote it."""
    metrics = ReviewQueueProcessor().get_queue_metrics()
    if metrics["health"] != "good":
        AlertManager().alert_queue_backlog(
            count=metrics["total_pending"], oldest_hours=metrics["oldest_age_hours"]
        )
    print(f"Queue health: {metrics['health']}")


def test_the_plans_checks_pass_as_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("GITHUB_TOKEN", "GH_TOKEN", "SLACK_WEBHOOK_URL", "ERROR_FIX_SLACK_WEBHOOK_URL"):
        monkeypatch.delenv(name, raising=False)
    repo = SampleRepo(tmp_path / "calc", CALC)
    monkeypatch.chdir(repo.path)
    alert_log = repo.path / ".state" / "alerts.jsonl"

    mgr = AlertManager()
    mgr.alert_patch_failed("test.patch", "Test error", {"overall": 0.75})
    [line] = alert_log.read_text().splitlines()
    assert json.loads(line)["type"] == "patch_failed"

    ErrorAutomationAdapter(ToolConfig(tool_id="error_auto"))
    ErrorAutomationAdapter(
        ToolConfig(tool_id="error_automation", params={"auto_merge_threshold": 0.95})
    )

    with pytest.raises(ValueError, match="GITHUB_TOKEN"):
        PRCreator("OWNER", "REPO")

    monitor()
    assert capsys.readouterr().out == "Queue health: good\n"
    assert len(alert_log.read_text().splitlines()) == 1  # a healthy queue: no alert

    forge = LocalForge(repo.path, Settings())
    for number in range(10):  # ten fixes waiting for a human: a backlog
        patch = make_patch(repo, {f"src/calc/f{number}.py": f"F = {number}\n"}, f"fix-{number}")
        forge.publish(make_verdict(repo, patch, PatchDecision.MANUAL_REVIEW), patch)
    monitor()
    assert capsys.readouterr().out == "Queue health: warning\n"
    backlog = json.loads(alert_log.read_text().splitlines()[-1])
    assert (backlog["type"], backlog["pending_count"]) == ("queue_backlog", 10)
    assert backlog["oldest_age_hours"] < 1
