"""PatchApplier called as SEED_API.md shows: keyword construction and apply_with_validation, on
real git repositories (local forge) and the fake GitHub, with real scoring."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from error_fix import AlertManager, EventBus, PatchApplier
from error_fix.config import ConfigError, Settings
from error_fix.events import Event
from error_fix.forge.interface import ForgeError
from error_fix.forge.local import LocalForge
from error_fix.state import read_jsonl
from tests.fakes.github_server import FakeGitHub, FakeRepo
from tests.integration.github_helpers import diff_for
from tests.sample import CALC, DIVIDE_FIX, SampleRepo, git

FIELDS = (
    "tests_passed",
    "lint_passed",
    "type_check_passed",
    "security_scan_passed",
    "coverage_maintained",
    "overall",
)
REGRESSION = {
    "src/calc/ops.py": '''
        """Arithmetic."""


        def add(a: int, b: int) -> int:
            return a - b


        def divide(a: float, b: float) -> float:
            return a / b
    '''
}
"""add() broken: test_add passes on the base and fails patched."""
HOSTILE = (
    "diff --git a/.github/workflows/x.yml b/.github/workflows/x.yml\n"
    "new file mode 100644\n--- /dev/null\n+++ b/.github/workflows/x.yml\n"
    "@@ -0,0 +1 @@\n+on: push\n"
)


pytestmark = pytest.mark.usefixtures("no_slack")


@pytest.fixture
def repo(tmp_path: Path) -> SampleRepo:
    return SampleRepo(tmp_path / "calc", CALC)


def write_patch(repo: SampleRepo, files: dict[str, str | None], where: Path) -> Path:
    where.write_bytes(repo.diff(files))
    return where


def alerts(repo: Path) -> list[dict[str, object]]:
    return read_jsonl(repo / ".state" / "alerts.jsonl")


def test_a_good_fix_is_merged_logged_and_alerted(repo: SampleRepo, tmp_path: Path) -> None:
    applier = PatchApplier(
        repo_path=repo.path,
        auto_merge_threshold=0.95,
        pr_threshold=0.80,
        test_command=None,
        python=sys.executable,
    )
    assert isinstance(applier.alert_manager, AlertManager)
    patch = write_patch(repo, DIVIDE_FIX, tmp_path / "div-zero.patch")
    result = applier.apply_with_validation(patch)
    assert result["decision"] == "auto_merge", result
    assert set(FIELDS) <= set(result["confidence"]) and result["confidence"]["overall"] >= 0.95
    assert result["action_taken"]["status"] == "merged"
    assert "error" not in result
    assert "if b == 0" in repo.show("main", "src/calc/ops.py")
    [logged] = read_jsonl(repo.path / ".state" / "patch_decisions.jsonl")
    assert logged["decision"] == "auto_merge"
    [alert] = alerts(repo.path)
    assert alert["type"] == "auto_merge_success" and alert["patch_path"] == str(patch)
    assert alert["confidence"] == result["confidence"]


def test_a_regression_is_queued_for_review(repo: SampleRepo, tmp_path: Path) -> None:
    applier = PatchApplier(repo_path=repo.path, python=sys.executable)
    result = applier.apply_with_validation(write_patch(repo, REGRESSION, tmp_path / "r.patch"))
    assert result["decision"] == "manual_review"
    assert "regression" in [gate["name"] for gate in result["gates"]]
    assert result["action_taken"]["status"] == "queued"
    branch = result["action_taken"]["branch"]
    queued = LocalForge(repo.path, Settings()).queue()
    assert [(e.branch, e.status) for e in queued] == [(branch, "needs-review")]
    assert "return a + b" in repo.show("main", "src/calc/ops.py")
    assert alerts(repo.path) == []  # a queued fix is no alert


@pytest.mark.parametrize(
    ("patch_text", "reason"),
    [
        (HOSTILE, "protected path"),
        (
            "diff --git a/../x b/../x\n--- a/../x\n+++ b/../x\n@@ -1 +1 @@\n-a\n+b\n",
            "leaves the repository",
        ),
        ("this is not a diff\n", "malformed patch"),
    ],
)
def test_a_hostile_or_broken_patch_is_rejected_without_raising(
    repo: SampleRepo, tmp_path: Path, patch_text: str, reason: str
) -> None:
    before = repo.snapshot()
    patch = tmp_path / "evil.patch"
    patch.write_text(patch_text)
    applier = PatchApplier(repo_path=repo.path, python=sys.executable)
    result = applier.apply_with_validation(patch)
    assert result["decision"] == "rejected"
    assert reason in result["error"]
    assert {key: result["confidence"][key] for key in FIELDS} == dict.fromkeys(FIELDS, 0.0)
    assert "action_taken" not in result
    assert repo.snapshot() == before
    [logged] = read_jsonl(repo.path / ".state" / "patch_decisions.jsonl")
    assert logged["decision"] == "rejected"
    [alert] = alerts(repo.path)
    assert alert["type"] == "patch_failed" and alert["error"] == result["error"]
    assert alert["confidence"] == result["confidence"]


def test_a_missing_patch_file_is_rejected_too(repo: SampleRepo, tmp_path: Path) -> None:
    result = PatchApplier(repo_path=repo.path).apply_with_validation(tmp_path / "gone.patch")
    assert result["decision"] == "rejected" and "gone.patch" in result["error"]


def test_an_orchestrator_sets_the_event_bus(repo: SampleRepo, tmp_path: Path) -> None:
    applier = PatchApplier(repo_path=repo.path, python=sys.executable)
    seen: list[Event] = []
    bus = EventBus()
    bus.subscribe(seen.append, "patch_validation_completed")
    applier.event_bus = bus
    applier.apply_with_validation(tmp_path / "gone.patch")
    [event] = seen
    assert event.data["patch_path"] == str(tmp_path / "gone.patch")
    assert (event.data["decision"], event.data["confidence"]) == ("rejected", 0.0)


def test_keywords_are_settings_and_todays_construction_still_works(repo: SampleRepo) -> None:
    applier = PatchApplier(repo_path=repo.path, pr_threshold=0.7, test_command="pytest -x")
    assert applier.settings.pr_threshold == 0.7
    assert applier.settings.test_command == ("pytest", "-x")
    assert PatchApplier(repo_path=repo.path, test_command=["pytest", "-q"]).settings.test_command
    (repo.path / "pyproject.toml").write_text(
        (repo.path / "pyproject.toml").read_text() + "\n[tool.error-fix]\npr-threshold = 0.6\n"
    )
    assert PatchApplier(repo_path=repo.path / "src").settings.pr_threshold == 0.6  # its pyproject
    with pytest.raises(ConfigError, match="pr-threshold"):
        PatchApplier(repo_path=repo.path, pr_threshold=2)
    with pytest.raises(ConfigError, match="unknown key 'colour'"):
        PatchApplier(repo_path=repo.path, colour="blue")
    with pytest.raises(TypeError, match="not both"):
        PatchApplier(Settings(), pr_threshold=0.5)
    settings = Settings(pr_threshold=0.5)
    assert PatchApplier(settings).settings is settings


def test_on_github_the_fix_becomes_a_pr_with_auto_merge_armed(
    github_env: FakeGitHub, tmp_path: Path, remote: FakeRepo, checkout: Path
) -> None:
    remote.required_checks["main"] = ["ci"]
    remote.allow_auto_merge = True
    patch = tmp_path / "div-zero.patch"
    patch.write_bytes(diff_for(checkout, DIVIDE_FIX))
    applier = PatchApplier(repo_path=checkout, forge="github", python=sys.executable)
    result = applier.apply_with_validation(patch)
    assert result["decision"] == "auto_merge"
    taken = result["action_taken"]
    assert (taken["status"], taken["outcome"]) == ("pr_created", "auto_merge_armed")
    pr = remote.pull(taken["pr_number"])
    assert pr.pull is not None and pr.pull.auto_merge is not None
    assert remote.read_file(taken["branch"], "src/calc/ops.py") is not None
    assert "if b == 0" not in (remote.read_file("main", "src/calc/ops.py") or "")
    assert alerts(checkout) == []  # armed, not merged yet
    assert git(checkout, "status", "--porcelain", "--untracked-files=no") == ""


def test_a_github_forge_that_cannot_connect_fails_before_scoring(
    github_env: FakeGitHub, monkeypatch: pytest.MonkeyPatch, repo: SampleRepo, tmp_path: Path
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "ghs_not_a_token")
    applier = PatchApplier(repo_path=repo.path, forge="github")
    with pytest.raises(ForgeError, match="rejected the token"):
        applier.apply_with_validation(write_patch(repo, DIVIDE_FIX, tmp_path / "fix.patch"))
    assert not (repo.path / ".state" / "patch_decisions.jsonl").exists()  # nothing was scored
