"""ReviewQueueProcessor called as SEED_API.md shows, on the local forge's queue (a real git
repository) and on GitHub's (the loopback fake): approving and rejecting change the queue, and
the metrics are the queue's."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from pathlib import Path

import pytest

from error_fix import EventBus, ReviewQueueProcessor
from error_fix.config import Settings
from error_fix.decision import PatchDecision
from error_fix.events import Event
from error_fix.forge.local import LocalForge
from error_fix.workspace import WorkspaceError
from tests.fakes.github_server import FakeGitHub, FakeRepo
from tests.integration.github_helpers import connect
from tests.integration.github_helpers import make_patch as github_patch
from tests.integration.github_helpers import make_verdict as github_verdict
from tests.sample import CALC, SampleRepo, git, make_patch, make_verdict

KEYS = {"patch_id", "branch", "title", "decision", "confidence", "age_hours"}


@pytest.fixture
def repo(tmp_path: Path) -> SampleRepo:
    return SampleRepo(tmp_path / "calc", CALC)


def queue_fix(repo: SampleRepo, name: str, decision: PatchDecision, overall: float = 0.5) -> None:
    """A fix the local forge queued, as `error-fix apply` leaves it (no scoring needed here)."""
    patch = make_patch(repo, {f"src/calc/{name}.py": f"{name.upper()} = 1\n"}, name)
    verdict = replace(make_verdict(repo, patch, decision), confidence={"overall": overall})
    LocalForge(repo.path, Settings()).publish(verdict, patch)


def age(repo: SampleRepo, patch_id: str, hours: float) -> None:
    """Make a queued fix ``hours`` old (the queue file is the local forge's)."""
    path = repo.path / ".state" / "review_queue.json"
    data = json.loads(path.read_text())
    then = dt.datetime.now(dt.UTC) - dt.timedelta(hours=hours)
    data["entries"][patch_id]["created_at"] = then.isoformat(timespec="seconds")
    path.write_text(json.dumps(data))


def test_local_list_approve_reject_and_metrics_follow_the_queue(
    repo: SampleRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    queue_fix(repo, "one", PatchDecision.MANUAL_REVIEW, 0.42)
    queue_fix(repo, "two", PatchDecision.AUTO_MERGE_PR, 0.86)
    age(repo, "one", 5.0)
    monkeypatch.chdir(repo.path)
    processor = ReviewQueueProcessor()  # the current directory, the local forge
    pending = processor.list_pending()
    assert [p["patch_id"] for p in pending] == ["one", "two"]
    assert set(pending[0]) >= KEYS
    assert (pending[0]["branch"], pending[0]["decision"]) == ("error-fix/one", "manual_review")
    assert [p["confidence"] for p in pending] == [0.42, 0.86]
    assert 4.9 < pending[0]["age_hours"] < 5.1
    metrics = processor.get_queue_metrics()
    assert (metrics["total_pending"], metrics["health"]) == (2, "good")
    assert metrics["oldest_age_hours"] == pytest.approx(5.0, abs=0.1)

    approved = processor.approve("one")
    assert approved["status"] == "merged", approved
    assert "ONE = 1" in repo.show("main", "src/calc/one.py")
    assert [p["patch_id"] for p in processor.list_pending()] == ["two"]

    rejected = processor.reject("two", "not needed")
    assert rejected["status"] == "rejected"
    assert "error-fix/two" not in repo.branches()
    assert processor.list_pending() == []
    assert processor.get_queue_metrics()["total_pending"] == 0
    assert processor.get_queue_metrics()["oldest_age_hours"] == 0.0


def test_health_is_the_queues_against_the_thresholds(repo: SampleRepo) -> None:
    (repo.path / "pyproject.toml").write_text(
        (repo.path / "pyproject.toml").read_text()
        + "\n[tool.error-fix]\nqueue-alert-count = 2\nqueue-alert-hours = 10\n"
    )
    git(repo.path, "commit", "--quiet", "-am", "thresholds")
    processor = ReviewQueueProcessor(repo.path)
    queue_fix(repo, "a", PatchDecision.MANUAL_REVIEW)
    assert processor.get_queue_metrics()["health"] == "good"
    queue_fix(repo, "b", PatchDecision.MANUAL_REVIEW)
    assert processor.get_queue_metrics()["health"] == "warning"  # 2 pending
    age(repo, "a", 25.0)
    metrics = processor.get_queue_metrics()
    assert (metrics["health"], metrics["threshold_count"], metrics["threshold_hours"]) == (
        "critical",
        2,
        10.0,
    )


def test_a_bad_id_is_a_failed_answer_not_an_exception(repo: SampleRepo) -> None:
    queue_fix(repo, "one", PatchDecision.MANUAL_REVIEW)
    processor = ReviewQueueProcessor(repo.path)
    assert processor.approve("nope") == {
        "status": "failed",
        "patch_id": "nope",
        "error": "no queued fix with id 'nope' (see `error-fix queue list`)",
    }
    answer = processor.reject("one", "  ")
    assert answer["status"] == "failed" and "needs a reason" in answer["error"]
    assert [p["patch_id"] for p in processor.list_pending()] == ["one"]


def test_an_orchestrators_bus_hears_approvals_and_rejections(repo: SampleRepo) -> None:
    queue_fix(repo, "one", PatchDecision.MANUAL_REVIEW)
    queue_fix(repo, "two", PatchDecision.MANUAL_REVIEW)
    bus = EventBus()
    seen: list[Event] = []
    bus.subscribe(seen.append)
    processor = ReviewQueueProcessor(repo.path, actor="alice")
    processor.event_bus = bus
    processor.approve("one")
    processor.reject("two", "duplicate")
    assert [(e.event_type, e.data["patch_id"]) for e in seen] == [
        ("patch_approved", "one"),
        ("patch_rejected", "two"),
    ]
    assert seen[1].data["reason"] == "duplicate" and seen[0].data["by"] == "alice"


def test_outside_a_repository_the_local_queue_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError, match="not a git repository"):
        ReviewQueueProcessor(tmp_path)


def test_on_github_the_queue_is_the_labelled_prs(
    github_env: FakeGitHub, remote: FakeRepo, checkout: Path
) -> None:
    forge = connect(github_env, checkout)
    for name in ("one", "two"):
        patch = github_patch(checkout, {f"src/calc/{name}.py": f"{name.upper()} = 1\n"}, name)
        forge.publish(github_verdict(checkout, patch, PatchDecision.MANUAL_REVIEW), patch)
    forge.close()
    with ReviewQueueProcessor(checkout, forge="github", actor="alice") as processor:
        pending = processor.list_pending()
        assert [(p["patch_id"], p["branch"]) for p in pending] == [
            ("1", "error-fix/one"),
            ("2", "error-fix/two"),
        ]
        assert pending[0]["decision"] == "manual_review" and pending[0]["url"].endswith("/1")
        assert processor.get_queue_metrics()["total_pending"] == 2
        approved = processor.approve("1")
        assert approved["status"] == "merged" and approved["pr_number"] == 1
        assert remote.read_file("main", "src/calc/one.py") == "ONE = 1\n"
        rejected = processor.reject("2", "not wanted")
        assert rejected["status"] == "rejected"
        assert "error-fix/two" not in remote.branches()
        assert remote.pull(2).state == "closed"
        assert processor.list_pending() == []
        assert processor.get_queue_metrics()["health"] == "good"
