"""`status` numbers from a decision log and a local forge's history, checked by hand."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from error_fix.config import Settings
from error_fix.decision import PatchDecision
from error_fix.forge.local import LocalForge
from error_fix.metrics import compute_status
from error_fix.state import append_jsonl, read_jsonl
from tests.sample import CALC, SampleRepo, git, make_patch, make_verdict


def hours_ago(hours: float) -> str:
    moment = dt.datetime.now(dt.UTC) - dt.timedelta(hours=hours)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def test_status_counts_rates_time_to_merge_and_a_reverted_auto_merge(tmp_path: Path) -> None:
    repo = SampleRepo(tmp_path / "calc", CALC)
    settings = Settings()
    forge = LocalForge(repo.path, settings)

    def publish(name: str, decision: PatchDecision, decided_hours_ago: float) -> str:
        patch = make_patch(repo, {f"src/calc/{name}.py": f"{name.upper()} = 1\n"}, name)
        verdict = make_verdict(repo, patch, decision, created_at=hours_ago(decided_hours_ago))
        append_jsonl(settings.decision_log_path(repo.path), verdict.log_record())
        result = forge.publish(verdict, patch)
        assert result.commit is not None
        return result.commit

    a = publish("a", PatchDecision.AUTO_MERGE, 2)  # merged by automation, later reverted
    publish("b", PatchDecision.AUTO_MERGE, 6)  # merged by automation
    publish("c", PatchDecision.MANUAL_REVIEW, 10)  # approved by a human
    publish("d", PatchDecision.MANUAL_REVIEW, 1)  # still waiting
    append_jsonl(
        settings.decision_log_path(repo.path), {"decision": "rejected", "patch_sha256": "x"}
    )
    assert forge.approve("c", "alice").outcome == "merged"
    git(repo.path, "revert", "--no-edit", a)

    fixes = forge.fix_history()
    commits = {c for f in fixes for c in f.commits}
    reverted = forge.reverted_commits(commits)
    assert reverted == {a}
    status = compute_status(
        read_jsonl(settings.decision_log_path(repo.path)),
        fixes,
        reverted,
        forge.metrics(10, 72),
        settings.minutes_per_fix,
    )
    numbers = status.to_dict()
    assert numbers["decisions"] == {
        "auto_merge": 2,
        "auto_merge_pr": 0,
        "manual_review": 2,
        "rejected": 1,
    }
    assert numbers["auto_merge_rate"] == 0.4
    assert numbers["merged_without_human"] == 2
    assert numbers["reverted"] == 1
    assert numbers["false_positive_rate"] == 0.5
    assert numbers["hours_saved"] == 1.0
    assert numbers["median_hours_to_merge"] == pytest.approx(6.0, abs=0.05)  # of 2h, 6h, 10h
    assert numbers["queue"]["total_pending"] == 1
    table = status.table()
    assert "False positives:        1 reverted of 2 merged without a human (50.0%)" in table
    assert "Queue health: good" in table
