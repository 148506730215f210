"""ErrorAutomationAdapter called as an orchestrator does (SEED_API.md): the result shapes, and
what an orchestrator-style EventBus subscriber sees while the adapter applies a patch."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from error_fix import ErrorAutomationAdapter, Event, EventBus, PatchDecision, Settings, ToolConfig
from error_fix.forge.local import LocalForge
from tests.sample import CALC, DIVIDE_FIX, SampleRepo, make_patch, make_verdict

FIELDS = {
    "tests_passed",
    "lint_passed",
    "type_check_passed",
    "security_scan_passed",
    "coverage_maintained",
    "overall",
}
SEEN = ("task_started", "patch_validation_started", "patch_validation_completed", "task_completed")


pytestmark = pytest.mark.usefixtures("no_slack")


@pytest.fixture
def repo(tmp_path: Path) -> SampleRepo:
    return SampleRepo(tmp_path / "calc", CALC)


def test_an_orchestrator_subscriber_sees_the_task_and_validation_events_in_order(
    repo: SampleRepo, tmp_path: Path
) -> None:
    seen: list[Event] = []

    class Orchestrator:
        """What an orchestrator's code does: its own bus, its own events, one handler."""

        def __init__(self) -> None:
            self.bus = EventBus()
            self.bus.subscribe(self.on_event, *SEEN)

        def on_event(self, event: Event) -> None:
            seen.append(event)

    orchestrator = Orchestrator()
    tool = ErrorAutomationAdapter(
        ToolConfig(
            tool_id="error_automation",
            params={"repo": str(repo.path), "python": sys.executable, "auto_merge_threshold": 0.95},
        ),
        event_bus=orchestrator.bus,
    )
    orchestrator.bus.emit(Event("o-1", "task_started", data={"task_id": "t-0", "task_type": "x"}))
    seen.clear()  # the orchestrator's own event was delivered; now the adapter's
    patch = tmp_path / "div-zero.patch"
    patch.write_bytes(repo.diff(DIVIDE_FIX))
    response = tool.execute(
        {"task_type": "apply_patch", "patch_path": str(patch), "task_id": "t-42"}
    )
    assert response["exit_code"] == 0, response["output"]
    assert [e.event_type for e in seen] == list(SEEN)
    started, validating, validated, completed = seen
    for event in (started, completed):
        assert (event.data["task_id"], event.data["task_type"]) == ("t-42", "apply_patch")
    assert validating.data["patch_path"] == str(patch)
    assert validated.data["patch_path"] == str(patch)
    assert validated.data["decision"] == "auto_merge"
    assert validated.data["confidence"] == response["output"]["confidence"]["overall"]
    assert completed.data["result"] == response["output"]
    output, metadata = response["output"], response["metadata"]
    assert output["action_taken"]["status"] == "merged"
    assert set(output["confidence"]) >= FIELDS
    assert (metadata["task_id"], metadata["confidence"]) == ("t-42", output["confidence"])
    assert "if b == 0" in repo.show("main", "src/calc/ops.py")
    assert len({e.event_id for e in seen}) == 4
    assert [e.timestamp for e in seen] == sorted(str(e.timestamp) for e in seen)


def test_a_rejected_patch_is_exit_code_1_with_an_error(repo: SampleRepo, tmp_path: Path) -> None:
    patch = tmp_path / "evil.patch"
    patch.write_text(
        "diff --git a/.git/config b/.git/config\n--- a/.git/config\n+++ b/.git/config\n"
    )
    tool = ErrorAutomationAdapter(ToolConfig("error_auto", {"repo": str(repo.path)}))
    response = tool.execute({"task_type": "apply_patch", "patch_path": str(patch), "task_id": 7})
    assert response["exit_code"] == 1
    assert response["output"]["decision"] == "rejected"
    assert response["output"]["error"]
    assert response["metadata"]["task_id"] == "7"
    assert response["metadata"]["confidence"]["overall"] == 0.0


def test_queue_requests_return_the_queue_processors_dicts(repo: SampleRepo) -> None:
    patch = make_patch(repo, {"src/calc/extra.py": "X = 3\n"}, "extra")
    LocalForge(repo.path, Settings()).publish(
        make_verdict(repo, patch, PatchDecision.MANUAL_REVIEW), patch
    )
    tool = ErrorAutomationAdapter(ToolConfig("error_automation", {"repo": str(repo.path)}))
    listing = tool.execute({"task_type": "process_queue", "action": "list", "task_id": "q"})
    assert listing["exit_code"] == 0 and listing["metadata"]["task_id"] == "q"
    assert listing["output"]["status"] == "success"
    [pending] = listing["output"]["pending"]
    assert (pending["patch_id"], pending["decision"]) == ("extra", "manual_review")
    request = {"task_type": "process_queue", "patch_id": "extra"}
    rejected = tool.execute({**request, "action": "reject", "reason": "not now"})
    assert (rejected["exit_code"], rejected["output"]["status"]) == (0, "rejected")
    again = tool.execute({**request, "action": "approve"})
    assert again["exit_code"] == 1 and "not pending" in again["output"]["error"]
    assert tool.execute({"task_type": "process_queue", "action": "list"})["output"] == {
        "status": "success",
        "pending": [],
    }


def test_failures_are_an_error_dict_and_exit_code_1(repo: SampleRepo, tmp_path: Path) -> None:
    tool = ErrorAutomationAdapter(ToolConfig(tool_id="error_auto"))  # the tool id alone works
    assert tool.config.params == {}
    missing = tool.execute({"task_type": "apply_patch", "task_id": "t-1"})
    assert missing == {
        "exit_code": 1,
        "output": {"error": "missing field: patch_path"},
        "metadata": {
            "task_id": "t-1",
            "task_type": "apply_patch",
            "confidence": {},
            "error": "missing field: patch_path",
        },
    }
    elsewhere = ErrorAutomationAdapter(ToolConfig("error_auto", {"repo": str(tmp_path)}))
    response = elsewhere.execute({"task_type": "process_queue", "action": "list"})
    assert response["exit_code"] == 1 and "not a git repository" in response["output"]["error"]
    bad_forge = ErrorAutomationAdapter(
        ToolConfig("error_auto", {"repo": str(repo.path), "forge": "gitlab"})
    )
    response = bad_forge.execute({"task_type": "process_queue", "action": "list"})
    assert "forge must be one of local, github, auto" in response["output"]["error"]
