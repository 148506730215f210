"""PRCreator called as SEED_API.md shows, against the loopback fake GitHub through real PyGithub
and a real checkout: what ends up on "GitHub" is asserted, not what was called."""

from __future__ import annotations

from pathlib import Path

import pytest

from error_fix import ConfidenceScore, PRCreator
from error_fix.report import read_marker
from tests.fakes.github_server import FakeGitHub, FakeRepo
from tests.integration.github_helpers import ONE_FILE_FIX, diff_for
from tests.sample import dedent

CONFIDENCE = ConfidenceScore(
    tests_passed=1.0,
    lint_passed=0.7,
    type_check_passed=1.0,
    security_scan_passed=1.0,
    coverage_maintained=0.5,
)


@pytest.fixture
def protected(remote: FakeRepo) -> FakeRepo:
    """The set-up the README asks for: main requires a check; auto-merge is allowed."""
    remote.required_checks.update(main=["ci"])
    remote.allow_auto_merge = True
    return remote


@pytest.fixture
def in_checkout(github_env: FakeGitHub, checkout: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A script run inside the checkout, with GITHUB_TOKEN and GITHUB_API_URL set."""
    monkeypatch.chdir(checkout)
    return checkout


def fix_patch(checkout: Path, tmp_path: Path, name: str = "fix-divide.patch") -> Path:
    patch = tmp_path / name
    patch.write_bytes(diff_for(checkout, ONE_FILE_FIX))
    return patch


def labels(remote: FakeRepo, number: int) -> list[str]:
    return sorted(remote.labels[key].name for key in remote.pull(number).labels)


def test_opens_a_labelled_pr_with_the_table_and_auto_merge_armed(
    in_checkout: Path, protected: FakeRepo, tmp_path: Path, github_env: FakeGitHub
) -> None:
    creator = PRCreator("acme", "app")
    result = creator.create_pr_with_auto_merge(
        fix_patch(in_checkout, tmp_path), CONFIDENCE.to_dict(), base_branch="main"
    )
    assert result["status"] == "pr_created", result
    assert result["auto_merge_enabled"] is True
    number, branch = result["pr_number"], result["branch"]
    assert result["pr_url"].endswith(f"/pull/{number}")
    pr = protected.pull(number)
    assert pr.title == "[Auto] Error fix: fix-divide"
    assert labels(protected, number) == ["automated-fix", "error-recovery"]
    assert pr.body is not None
    for row in (
        "| Tests | 1.00 | ✅ |",
        "| Linting | 0.70 | ⚠️ |",
        "| Type Checking | 1.00 | ✅ |",
        "| Security Scan | 1.00 | ✅ |",
        "| Coverage | 0.50 | ⚠️ |",
        f"| **Overall** | **{CONFIDENCE.overall:.2f}** |",
        ".state/patch_decisions.jsonl",
    ):
        assert row in pr.body
    marker = read_marker(pr.body)
    assert marker is not None and marker["decision"] == "auto_merge_pr"
    assert pr.pull is not None and pr.pull.auto_merge is not None
    fixed = dedent(ONE_FILE_FIX["src/calc/ops.py"])
    assert protected.read_file(branch, "src/calc/ops.py") == fixed
    commit = protected.commit(branch)
    assert commit is not None and commit.committer[:2] == ("GitHub", "noreply@github.com")
    assert protected.read_file("main", "src/calc/ops.py") != fixed
    # CI goes green: GitHub's auto-merge lands the fix.
    assert github_env.complete_checks(number, repo=protected) is not None
    assert protected.read_file("main", "src/calc/ops.py") == fixed


def test_a_second_call_updates_nothing_and_opens_no_second_pr(
    in_checkout: Path, protected: FakeRepo, tmp_path: Path, github_env: FakeGitHub
) -> None:
    patch = fix_patch(in_checkout, tmp_path)
    first = PRCreator("acme", "app").create_pr_with_auto_merge(patch, CONFIDENCE.to_dict())
    github_env.reset_counts()
    again = PRCreator("acme", "app").create_pr_with_auto_merge(patch, CONFIDENCE.to_dict())
    assert again["status"] == "pr_created" and again["pr_number"] == first["pr_number"]
    assert again["auto_merge_enabled"] is True
    assert len(protected.pulls()) == 1
    assert github_env.request_count("POST") == 0


def test_without_protection_the_pr_waits_for_review_instead_of_merging_blind(
    in_checkout: Path, remote: FakeRepo, tmp_path: Path
) -> None:
    remote.allow_auto_merge = True  # but main requires no check: nothing would gate the merge
    result = PRCreator("acme", "app").create_pr_with_auto_merge(
        fix_patch(in_checkout, tmp_path), CONFIDENCE.to_dict()
    )
    assert result["status"] == "pr_created" and result["auto_merge_enabled"] is False
    assert "no branch protection" in result["message"]
    assert "error-fix:needs-review" in labels(remote, result["pr_number"])
    assert "if b == 0" not in (remote.read_file("main", "src/calc/ops.py") or "")
    pr = remote.pull(result["pr_number"])
    assert pr.pull is not None and not pr.pull.merged


def test_a_failed_pr_leaves_no_branch_behind(
    in_checkout: Path, protected: FakeRepo, tmp_path: Path, github_env: FakeGitHub
) -> None:
    creator = PRCreator("acme", "app")
    github_env.inject("POST", r"/pulls$", 502, times=None)
    result = creator.create_pr_with_auto_merge(
        fix_patch(in_checkout, tmp_path), CONFIDENCE.to_dict()
    )
    assert result["status"] == "failed"
    assert "could not open a PR" in result["error"] and "was deleted" in result["error"]
    assert result["branch"] is None
    assert protected.branches() == ["main"]
    assert protected.pulls() == []


def test_a_hostile_patch_creates_nothing(
    in_checkout: Path, protected: FakeRepo, tmp_path: Path, github_env: FakeGitHub
) -> None:
    patch = tmp_path / "evil.patch"
    patch.write_text(
        "diff --git a/.github/workflows/x.yml b/.github/workflows/x.yml\n"
        "new file mode 100644\n--- /dev/null\n+++ b/.github/workflows/x.yml\n"
        "@@ -0,0 +1 @@\n+on: push\n"
    )
    creator = PRCreator("acme", "app")
    github_env.reset_counts()
    result = creator.create_pr_with_auto_merge(patch, CONFIDENCE.to_dict())
    assert result["status"] == "failed" and "protected path" in result["error"]
    assert result["branch"] is None
    assert github_env.request_count() == 0
    assert protected.branches() == ["main"]


def test_an_unknown_base_branch_is_a_failure_that_names_it(
    in_checkout: Path, protected: FakeRepo, tmp_path: Path
) -> None:
    result = PRCreator("acme", "app").create_pr_with_auto_merge(
        fix_patch(in_checkout, tmp_path), CONFIDENCE.to_dict(), base_branch="release"
    )
    assert result["status"] == "failed" and "branch release of acme/app" in result["error"]
    assert protected.branches() == ["main"]


def test_outside_a_checkout_the_failure_says_what_is_needed(
    github_env: FakeGitHub, remote: FakeRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    patch = tmp_path / "fix.patch"
    patch.write_text("diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n")
    result = PRCreator("acme", "app").create_pr_with_auto_merge(patch, {"overall": 0.9})
    assert result["status"] == "failed" and "repo_path=" in result["error"]
    assert remote.branches() == ["main"]


def test_the_token_comes_from_the_argument_then_the_environment(
    github_env: FakeGitHub, remote: FakeRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITHUB_TOKEN")
    with pytest.raises(ValueError, match="GITHUB_TOKEN"):
        PRCreator("acme", "app")
    PRCreator("acme", "app", token=github_env.write_token).close()
    monkeypatch.setenv("GH_TOKEN", github_env.write_token)
    with PRCreator("acme", "app") as creator:
        assert creator.full_name == "acme/app"


@pytest.mark.parametrize(
    ("owner", "name", "token", "why"),
    [
        ("acme", "nope", None, "not found"),
        ("acme", "app", "ghs_wrong", "rejected the token"),
        ("acme", "a pp", None, "owner/name"),
    ],
)
def test_an_unreachable_repository_is_a_value_error_naming_it(
    github_env: FakeGitHub, remote: FakeRepo, owner: str, name: str, token: str | None, why: str
) -> None:
    with pytest.raises(ValueError, match=f"GitHub repository {owner}/{name}: .*{why}"):
        PRCreator(owner, name, token=token)
