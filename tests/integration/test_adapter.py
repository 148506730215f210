"""The orchestrator adapter on the local forge, and the events a full apply emits, in order."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from error_fix.adapter import ErrorAutomationAdapter, ToolConfig
from error_fix.events import default_bus
from tests.sample import CALC, DIVIDE_FIX, SampleRepo


@pytest.fixture
def repo(tmp_path: Path) -> SampleRepo:
    return SampleRepo(tmp_path / "calc", CALC)


def adapter(repo: SampleRepo, **params: object) -> ErrorAutomationAdapter:
    config = ToolConfig(
        "error-fix",
        {"repo": str(repo.path), "python": sys.executable, "actor": "orchestrator", **params},
    )
    return ErrorAutomationAdapter(config, event_bus=default_bus(repo.path / ".state"))


def test_apply_patch_emits_every_event_in_order(repo: SampleRepo, tmp_path: Path) -> None:
    artifact = repo.patch_file(DIVIDE_FIX, tmp_path / "artifact", error={"id": "div-zero"})
    response = adapter(repo).execute({"task_type": "apply_patch", "patch_path": str(artifact)})
    assert response["exit_code"] == 0, response["output"]
    assert response["output"]["action_taken"]["status"] == "merged"
    assert response["metadata"]["decision"] == "auto_merge"
    assert response["metadata"]["forge"]["outcome"] == "merged"
    assert "if b == 0" in repo.show("main", "src/calc/ops.py")
    events = [
        json.loads(line) for line in (repo.path / ".state/events.jsonl").read_text().splitlines()
    ]
    kinds = [e["event_type"] for e in events]
    assert kinds[:2] == ["task_started", "patch_validation_started"]
    assert sorted(kinds[2:7]) == ["scorer_completed"] * 5
    assert kinds[7:] == ["patch_validation_completed", "patch_published", "task_completed"]
    assert {e["data"]["scorer"] for e in events[2:7]} == {
        "tests",
        "lint",
        "types",
        "security",
        "coverage",
    }
    assert events[7]["data"]["decision"] == "auto_merge" and events[7]["data"]["overall"] == 1.0
    assert events[8]["data"]["outcome"] == "merged"
    assert events == sorted(events, key=lambda e: e["timestamp"])


def test_thresholds_come_from_the_params(repo: SampleRepo, tmp_path: Path) -> None:
    # No test proves this change (tests 0.75) and coverage is off: overall (0.3 + 0.5) / 0.9.
    # The mutation stage is off too: no test runs `triple`, so its mutants would cap the merge.
    files = {"src/calc/extra.py": "def triple(x: int) -> int:\n    return 3 * x\n"}
    artifact = repo.patch_file(files, tmp_path / "artifact")
    request = {"task_type": "apply_patch", "patch_path": str(artifact)}
    default = adapter(repo, disable="coverage", mutation="off").execute(request)
    assert default["metadata"]["overall"] == pytest.approx(0.8889, abs=1e-4)
    assert (default["metadata"]["decision"], default["metadata"]["forge"]["outcome"]) == (
        "auto_merge_pr",
        "queued",
    )
    lenient = adapter(
        repo, disable="coverage", mutation="off", pr_threshold=0.5, auto_merge_threshold=0.85
    )
    again = lenient.execute(request)
    assert (again["metadata"]["decision"], again["metadata"]["forge"]["outcome"]) == (
        "auto_merge",
        "merged",
    )
    assert "def triple" in repo.show("main", "src/calc/extra.py")


def test_rejected_patch_is_exit_code_1(repo: SampleRepo, tmp_path: Path) -> None:
    patch = tmp_path / "evil.patch"
    patch.write_text(
        "diff --git a/.github/workflows/x.yml b/.github/workflows/x.yml\n"
        "new file mode 100644\n--- /dev/null\n+++ b/.github/workflows/x.yml\n"
        "@@ -0,0 +1 @@\n+on: push\n"
    )
    response = adapter(repo).execute({"task_type": "apply_patch", "patch_path": str(patch)})
    assert response["exit_code"] == 1
    assert response["metadata"]["decision"] == "rejected"
    assert "protected path" in response["output"]["error"]


def test_process_queue_list_approve_reject_round_trip(repo: SampleRepo, tmp_path: Path) -> None:
    tool = adapter(repo, pr_threshold=0.99, auto_merge_threshold=1.0)
    for name, error_id in (("one", "err-1"), ("two", "err-2")):
        files = {f"src/calc/{name}.py": f"def {name}() -> int:\n    return 1\n"}
        artifact = repo.patch_file(files, tmp_path / name, error={"id": error_id})
        assert (
            tool.execute({"task_type": "apply_patch", "patch_path": str(artifact)})["metadata"][
                "forge"
            ]["outcome"]
            == "needs_review"
        )
    listing = tool.execute({"task_type": "process_queue", "action": "list"})
    assert [e["patch_id"] for e in listing["output"]["pending"]] == ["err-1", "err-2"]
    approved = tool.execute(
        {"task_type": "process_queue", "action": "approve", "patch_id": "err-1"}
    )
    assert approved["exit_code"] == 0 and approved["output"]["status"] == "merged"
    assert "def one" in repo.show("main", "src/calc/one.py")
    rejected = tool.execute(
        {
            "task_type": "process_queue",
            "action": "reject",
            "patch_id": "err-2",
            "reason": "not needed",
        }
    )
    assert rejected["exit_code"] == 0 and rejected["output"]["status"] == "rejected"
    assert "error-fix/err-2" not in repo.branches()
    assert tool.execute({"task_type": "process_queue", "action": "list"})["output"] == {
        "status": "success",
        "pending": [],
    }
    events = (repo.path / ".state/events.jsonl").read_text()
    assert '"patch_approved"' in events and '"patch_rejected"' in events


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        ({}, "missing field: task_type"),
        ({"task_type": "deploy"}, "unknown task_type 'deploy'"),
        ({"task_type": "apply_patch"}, "missing field: patch_path"),
        ({"task_type": "process_queue"}, "missing field: action"),
        ({"task_type": "process_queue", "action": "approve"}, "missing field: patch_id"),
        (
            {"task_type": "process_queue", "action": "reject", "patch_id": "x"},
            "missing field: reason",
        ),
        ({"task_type": "process_queue", "action": "shuffle"}, "unknown action 'shuffle'"),
        (
            {"task_type": "process_queue", "action": "approve", "patch_id": "nope"},
            "no queued fix with id 'nope'",
        ),
    ],
)
def test_bad_requests_are_errors_with_a_message(
    repo: SampleRepo, request_: dict[str, str], message: str
) -> None:
    response = adapter(repo).execute(request_)
    assert response["exit_code"] == 1
    assert response["output"]["error"].startswith(message)


def test_bad_settings_in_params_are_errors(repo: SampleRepo, tmp_path: Path) -> None:
    response = adapter(repo, pr_threshold=3).execute(
        {"task_type": "process_queue", "action": "list"}
    )
    assert response == {
        "exit_code": 1,
        "output": {"error": "pr-threshold must be between 0 and 1, got 3.0"},
        "metadata": {
            "task_id": "unknown",
            "task_type": "process_queue",
            "confidence": {},
            "error": "pr-threshold must be between 0 and 1, got 3.0",
        },
    }
