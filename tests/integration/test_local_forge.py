"""The local forge against real git repositories: branches, merges, the queue on disk."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from error_fix.config import Settings
from error_fix.decision import PatchDecision
from error_fix.forge.interface import ForgeError, Outcome
from error_fix.forge.local import LocalForge
from tests.sample import CALC, DIVIDE_FIX, SampleRepo, git, make_patch, make_verdict


@pytest.fixture
def repo(tmp_path: Path) -> SampleRepo:
    return SampleRepo(tmp_path / "calc", CALC)


@pytest.fixture
def forge(repo: SampleRepo) -> LocalForge:
    return LocalForge(repo.path, Settings())


def test_auto_merge_merges_into_the_checked_out_base(repo: SampleRepo, forge: LocalForge) -> None:
    patch = make_patch(repo, DIVIDE_FIX, "div-zero")
    result = forge.publish(make_verdict(repo, patch, PatchDecision.AUTO_MERGE), patch)
    assert result.outcome is Outcome.MERGED
    assert result.branch == "error-fix/div-zero"
    assert "if b == 0" in repo.show("main", "src/calc/ops.py")
    assert "if b == 0" in (repo.path / "src/calc/ops.py").read_text()  # the checkout followed
    assert git(repo.path, "status", "--porcelain") == ""
    message = git(repo.path, "log", "-1", "--format=%B", "error-fix/div-zero")
    assert message.startswith("ZeroDivisionError in divide")
    assert f"Error-Fix-Patch: {patch.sha256}" in message
    assert forge.queue() == []


def test_auto_merge_refuses_a_dirty_checkout_and_keeps_the_fix(
    repo: SampleRepo, forge: LocalForge
) -> None:
    patch = make_patch(repo, DIVIDE_FIX, "div-zero")
    (repo.path / "src/calc/__init__.py").write_text("# my work in progress\n")
    before = repo.snapshot()
    result = forge.publish(make_verdict(repo, patch, PatchDecision.AUTO_MERGE), patch)
    assert result.outcome is Outcome.QUEUED
    assert "refusing to merge into main" in result.message
    assert "uncommitted changes" in result.message
    after = repo.snapshot()
    assert after["status"] == before["status"] and after["head"] == before["head"]
    assert (repo.path / "src/calc/__init__.py").read_text() == "# my work in progress\n"
    assert [e.id for e in forge.queue()] == ["div-zero"]
    assert "if b == 0" in repo.show("error-fix/div-zero", "src/calc/ops.py")


def test_merge_into_a_branch_that_is_not_checked_out(repo: SampleRepo, forge: LocalForge) -> None:
    git(repo.path, "branch", "release")
    patch = make_patch(repo, DIVIDE_FIX, "div-zero")
    before = repo.snapshot()
    result = forge.publish(make_verdict(repo, patch, PatchDecision.AUTO_MERGE, "release"), patch)
    assert result.outcome is Outcome.MERGED
    assert "if b == 0" in repo.show("release", "src/calc/ops.py")
    assert repo.snapshot()["status"] == before["status"]
    assert "if b == 0" not in repo.show("main", "src/calc/ops.py")


def test_auto_merge_pr_is_queued_ready_then_approved(repo: SampleRepo, forge: LocalForge) -> None:
    patch = make_patch(repo, DIVIDE_FIX)
    result = forge.publish(make_verdict(repo, patch, PatchDecision.AUTO_MERGE_PR), patch)
    assert result.outcome is Outcome.QUEUED
    [entry] = forge.queue()
    assert (entry.id, entry.status, entry.branch) == (
        patch.sha256[:12],
        "ready",
        f"error-fix/{patch.sha256[:12]}",
    )
    approved = forge.approve(entry.id, "alice")
    assert approved.outcome is Outcome.MERGED and "approved by alice" in approved.message
    assert "if b == 0" in repo.show("main", "src/calc/ops.py")
    assert forge.queue() == []
    with pytest.raises(ForgeError, match="is not pending \\(it is merged\\)"):
        forge.approve(entry.id, "alice")


def test_manual_review_then_reject_deletes_the_branch_and_keeps_the_reason(
    repo: SampleRepo, forge: LocalForge
) -> None:
    patch = make_patch(repo, DIVIDE_FIX, "div-zero")
    result = forge.publish(make_verdict(repo, patch, PatchDecision.MANUAL_REVIEW), patch)
    assert result.outcome is Outcome.NEEDS_REVIEW
    assert "broke test_add" in result.message
    assert [(e.id, e.status) for e in forge.queue()] == [("div-zero", "needs-review")]
    rejected = forge.reject("div-zero", "wrong approach", "bob")
    assert rejected.outcome is Outcome.REJECTED
    assert "error-fix/div-zero" not in repo.branches()
    stored = json.loads(forge.queue_path.read_text())["entries"]["div-zero"]
    assert (stored["status"], stored["reason"], stored["rejected_by"]) == (
        "rejected",
        "wrong approach",
        "bob",
    )
    # The same patch proposed again is not queued again.
    again = forge.publish(make_verdict(repo, patch, PatchDecision.MANUAL_REVIEW), patch)
    assert again.outcome is Outcome.UNCHANGED and "rejected before" in again.message
    assert "error-fix/div-zero" not in repo.branches()


def test_rejected_verdict_creates_nothing(repo: SampleRepo, forge: LocalForge) -> None:
    patch = make_patch(repo, DIVIDE_FIX)
    before = repo.snapshot()
    result = forge.publish(make_verdict(repo, patch, PatchDecision.REJECTED), patch)
    assert result.outcome is Outcome.NOTHING
    assert repo.snapshot() == before
    assert not forge.queue_path.exists()


def test_publishing_twice_is_unchanged_and_a_newer_patch_updates(
    repo: SampleRepo, forge: LocalForge
) -> None:
    patch = make_patch(repo, DIVIDE_FIX, "div-zero")
    verdict = make_verdict(repo, patch, PatchDecision.MANUAL_REVIEW)
    first = forge.publish(verdict, patch)
    second = forge.publish(verdict, patch)
    assert (first.outcome, second.outcome) == (Outcome.NEEDS_REVIEW, Outcome.UNCHANGED)
    assert first.commit == second.commit
    assert [b for b in repo.branches() if b.startswith("error-fix/")] == ["error-fix/div-zero"]
    assert len(forge.queue()) == 1
    newer_files = {"src/calc/ops.py": DIVIDE_FIX["src/calc/ops.py"].replace("0.0", "float('nan')")}
    newer = make_patch(repo, newer_files, "div-zero")
    third = forge.publish(make_verdict(repo, newer, PatchDecision.MANUAL_REVIEW), newer)
    assert third.outcome is Outcome.UPDATED
    assert "float('nan')" in repo.show("error-fix/div-zero", "src/calc/ops.py")
    assert len(forge.queue()) == 1


def test_never_overwrites_commits_someone_else_added(repo: SampleRepo, forge: LocalForge) -> None:
    patch = make_patch(repo, DIVIDE_FIX, "div-zero")
    forge.publish(make_verdict(repo, patch, PatchDecision.MANUAL_REVIEW), patch)
    git(repo.path, "checkout", "--quiet", "error-fix/div-zero")
    (repo.path / "HUMAN.md").write_text("reviewed and tweaked\n")
    git(repo.path, "add", "HUMAN.md")
    git(repo.path, "commit", "--quiet", "-m", "human tweak")
    tip = git(repo.path, "rev-parse", "HEAD").strip()
    git(repo.path, "checkout", "--quiet", "main")
    newer = make_patch(repo, {"src/calc/ops.py": "x = 1\n"}, "div-zero")
    result = forge.publish(make_verdict(repo, newer, PatchDecision.AUTO_MERGE), newer)
    assert result.outcome is Outcome.NEEDS_REVIEW
    assert "commits error-fix did not make" in result.message
    assert git(repo.path, "rev-parse", "error-fix/div-zero").strip() == tip


def test_queue_metrics_and_health(repo: SampleRepo) -> None:
    forge = LocalForge(repo.path, Settings())
    for i in range(3):
        patch = make_patch(repo, {f"src/calc/m{i}.py": "x = 1\n"}, f"err-{i}")
        forge.publish(make_verdict(repo, patch, PatchDecision.MANUAL_REVIEW), patch)
    metrics = forge.metrics(max_count=10, max_hours=72)
    assert (metrics.total_pending, metrics.health) == (3, "good")
    assert metrics.oldest_age_hours < 0.1
    data = json.loads(forge.queue_path.read_text())
    old = dt.datetime.now(dt.UTC) - dt.timedelta(hours=80)
    data["entries"]["err-0"]["created_at"] = old.isoformat()
    forge.queue_path.write_text(json.dumps(data))
    metrics = forge.metrics(max_count=10, max_hours=72)
    assert metrics.health == "warning" and 79.9 < metrics.oldest_age_hours < 80.1
    assert forge.metrics(max_count=2, max_hours=72).health == "warning"
    assert forge.metrics(max_count=1, max_hours=72).health == "critical"
    assert [e.id for e in forge.queue()] == ["err-0", "err-1", "err-2"]


def test_unknown_queue_id(forge: LocalForge) -> None:
    with pytest.raises(ForgeError, match="no queued fix with id 'nope'"):
        forge.approve("nope", "alice")
    with pytest.raises(ForgeError, match="needs a reason"):
        forge.reject("nope", " ", "alice")
