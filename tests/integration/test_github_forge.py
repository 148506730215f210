"""The GitHub forge against the loopback fake GitHub, through real PyGithub and real git.

Every assertion is about what ended up on "GitHub": the bare repository's branches and files,
the PR's labels, body and auto-merge state, and the requests the fake counted.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from error_fix.config import Settings
from error_fix.decision import PatchDecision
from error_fix.forge.github import GitHubForge
from error_fix.forge.interface import ForgeError, Outcome
from error_fix.patch import parse_patch
from error_fix.report import read_marker
from tests.fakes.github_server import FakeGitHub, FakeRepo
from tests.integration.github_helpers import (
    ONE_FILE_FIX,
    clone,
    connect,
    fake_github,
    make_patch,
    make_remote,
    make_verdict,
    route_regex,
    routes_used,
)
from tests.sample import DIVIDE_FIX, dedent, git

FIXED_OPS = dedent(DIVIDE_FIX["src/calc/ops.py"])


@pytest.fixture
def protected(remote: FakeRepo) -> FakeRepo:
    """main requires the "ci" check, and the repository allows auto-merge."""
    remote.required_checks["main"] = ["ci"]
    remote.allow_auto_merge = True
    return remote


@pytest.fixture
def forge(gh: FakeGitHub, checkout: Path) -> Iterator[GitHubForge]:
    made = connect(gh, checkout)
    yield made
    made.close()


def labels(remote: FakeRepo, number: int) -> list[str]:
    issue = remote.pull(number)
    return sorted(remote.labels[key].name for key in issue.labels)


def publish_counted(
    gh: FakeGitHub, checkout: Path, decision: PatchDecision, files: dict[str, str | None]
) -> tuple[Outcome, int]:
    """Publish with a new forge (its connection check included) and count the requests."""
    gh.reset_counts()
    forge = connect(gh, checkout)
    patch = make_patch(checkout, files)
    result = forge.publish(make_verdict(checkout, patch, decision), patch)
    forge.close()
    return result.outcome, gh.request_count()


# --------------------------------------------------------------------------------------------
# the decisions


def test_auto_merge_pr_opens_a_labelled_pr_with_auto_merge_armed(
    gh: FakeGitHub, protected: FakeRepo, checkout: Path
) -> None:
    outcome, requests = publish_counted(gh, checkout, PatchDecision.AUTO_MERGE_PR, ONE_FILE_FIX)
    print(f"\nrequests to publish a one-file fix (auto_merge_pr): {requests}")
    assert outcome is Outcome.AUTO_MERGE_ARMED
    assert requests <= 9  # with the check run on the fix commit
    assert protected.branches() == ["error-fix/div-zero", "main"]
    assert protected.read_file("error-fix/div-zero", "src/calc/ops.py") == FIXED_OPS
    changed = protected.git("diff", "--name-only", "main", "error-fix/div-zero").split()
    assert changed == ["src/calc/ops.py"]
    commit = protected.commit("error-fix/div-zero")
    assert commit is not None
    assert commit.committer[:2] == ("GitHub", "noreply@github.com")  # GitHub made (and signs) it
    assert commit.parents == (protected.ref_sha("main"),)
    assert commit.message.startswith("ZeroDivisionError in divide\n")
    assert "Error-Fix-Patch: " in commit.message
    pr = protected.pull(1)
    assert pr.title == "[Auto] Error fix: ZeroDivisionError in divide"
    assert labels(protected, 1) == ["automated-fix", "error-recovery"]
    assert pr.body is not None
    for row in ("| Tests | 1.00 | ✅ |", "| Coverage | 0.60 | ⚠️ |", "test_divide_by_zero"):
        assert row in pr.body
    marker = read_marker(pr.body)
    assert marker is not None and marker["identity"] == "div-zero" and marker["schema"] == 1
    assert pr.pull is not None and pr.pull.auto_merge is not None
    assert pr.pull.auto_merge.method == "squash"
    assert protected.read_file("main", "src/calc/ops.py") != FIXED_OPS
    # CI goes green: GitHub's own auto-merge lands the fix.
    assert gh.complete_checks(1, repo=protected) is not None
    assert protected.read_file("main", "src/calc/ops.py") == FIXED_OPS


def test_auto_merge_on_a_mergeable_branch_merges_into_the_base(
    gh: FakeGitHub, remote: FakeRepo, checkout: Path
) -> None:
    """No branch protection: nothing would gate auto-merge, so the fix is merged at once."""
    outcome, requests = publish_counted(gh, checkout, PatchDecision.AUTO_MERGE, ONE_FILE_FIX)
    print(f"\nrequests to publish a one-file fix (auto_merge, unprotected main): {requests}")
    assert outcome is Outcome.MERGED
    # A fresh PR's checks cannot have run, so error-fix arms auto-merge first; GitHub says the
    # branch has no protection, and the merge follows: one request more than on a protected
    # branch, the configuration the README asks for (and one for the check run).
    assert requests == 10
    assert gh.request_count("POST", "/api/graphql") == 1
    assert remote.read_file("main", "src/calc/ops.py") == FIXED_OPS
    pr = remote.pull(1)
    assert pr.pull is not None and pr.pull.merged and pr.state == "closed"
    assert labels(remote, 1) == ["automated-fix", "error-recovery"]


def test_auto_merge_with_pending_checks_arms_auto_merge(
    gh: FakeGitHub, protected: FakeRepo, checkout: Path
) -> None:
    """The recommended set-up: required checks on main, auto-merge allowed."""
    outcome, requests = publish_counted(gh, checkout, PatchDecision.AUTO_MERGE, ONE_FILE_FIX)
    print(f"\nrequests to publish a one-file fix (auto_merge, protected main): {requests}")
    assert outcome is Outcome.AUTO_MERGE_ARMED
    assert requests <= 9
    assert gh.request_count("PUT") == 0  # no merge attempt bound to be refused
    assert protected.read_file("main", "src/calc/ops.py") != FIXED_OPS
    assert gh.complete_checks(1, repo=protected) is not None
    assert protected.read_file("main", "src/calc/ops.py") == FIXED_OPS


def test_manual_review_is_labelled_for_review_and_not_armed(
    gh: FakeGitHub, protected: FakeRepo, checkout: Path
) -> None:
    outcome, requests = publish_counted(gh, checkout, PatchDecision.MANUAL_REVIEW, ONE_FILE_FIX)
    print(f"\nrequests to publish a one-file fix (manual_review): {requests}")
    assert outcome is Outcome.NEEDS_REVIEW
    assert labels(protected, 1) == ["automated-fix", "error-fix:needs-review", "error-recovery"]
    pr = protected.pull(1)
    assert pr.pull is not None and pr.pull.auto_merge is None
    assert pr.body is not None and "`regression`" in pr.body
    assert gh.request_count("POST", "/api/graphql") == 0


def test_rejected_creates_nothing(gh: FakeGitHub, remote: FakeRepo, checkout: Path) -> None:
    forge = connect(gh, checkout)
    gh.reset_counts()
    patch = make_patch(checkout, ONE_FILE_FIX)
    result = forge.publish(make_verdict(checkout, patch, PatchDecision.REJECTED), patch)
    assert result.outcome is Outcome.NOTHING
    assert gh.request_count() == 0
    assert remote.branches() == ["main"] and remote.pulls() == []


def test_a_binary_file_a_deletion_and_an_executable_land_exactly(
    gh: FakeGitHub, remote: FakeRepo, checkout: Path, forge: GitHubForge
) -> None:
    (checkout / "logo.bin").write_bytes(b"\x89PNG\x00\xff")
    (checkout / "run.sh").write_text("#!/bin/sh\necho hi\n")
    (checkout / "run.sh").chmod(0o755)
    (checkout / "tests/test_ops.py").unlink()
    git(checkout, "add", "--all")
    diff = subprocess.run(
        ["git", "-C", str(checkout), "diff", "--cached", "--binary"],
        capture_output=True,
        check=True,
    ).stdout
    git(checkout, "reset", "--quiet", "--hard")
    patch = parse_patch(diff, max_bytes=1 << 20, allow_binary=True, protected=())
    result = connect(gh, checkout, Settings(allow_binary=True)).publish(
        make_verdict(checkout, patch, PatchDecision.MANUAL_REVIEW), patch
    )
    assert result.outcome is Outcome.NEEDS_REVIEW
    branch = f"error-fix/{patch.sha256[:12]}"
    assert remote.gitrepo.show(branch, "logo.bin") == b"\x89PNG\x00\xff"
    assert remote.read_file(branch, "tests/test_ops.py") is None
    assert remote.git("ls-tree", branch, "run.sh").split()[0] == "100755"
    assert remote.read_file(branch, "run.sh") == "#!/bin/sh\necho hi\n"
    assert gh.request_count("POST", r"/git/blobs$") == 1  # only the binary file needs a blob


# --------------------------------------------------------------------------------------------
# the merge-state machine's refusals


def test_auto_merge_pr_without_branch_protection_is_not_merged_blind(
    gh: FakeGitHub, remote: FakeRepo, checkout: Path, forge: GitHubForge
) -> None:
    remote.allow_auto_merge = True
    patch = make_patch(checkout, ONE_FILE_FIX)
    result = forge.publish(make_verdict(checkout, patch, PatchDecision.AUTO_MERGE_PR), patch)
    assert result.outcome is Outcome.NEEDS_REVIEW
    assert "main has no branch protection" in result.message
    assert "requires status checks" in result.message
    assert "error-fix:needs-review" in labels(remote, 1)
    assert remote.read_file("main", "src/calc/ops.py") != FIXED_OPS


def test_auto_merge_pr_when_auto_merge_is_off_names_the_setting(
    gh: FakeGitHub, remote: FakeRepo, checkout: Path, forge: GitHubForge
) -> None:
    remote.required_checks["main"] = ["ci"]
    patch = make_patch(checkout, ONE_FILE_FIX)
    result = forge.publish(make_verdict(checkout, patch, PatchDecision.AUTO_MERGE_PR), patch)
    assert result.outcome is Outcome.NEEDS_REVIEW
    assert "“Allow auto-merge”" in result.message
    pr = remote.pull(1)
    assert pr.pull is not None and pr.pull.auto_merge is None
    assert "error-fix:needs-review" in labels(remote, 1)


def test_auto_merge_pr_with_nothing_pending_goes_to_review(
    gh: FakeGitHub, protected: FakeRepo, checkout: Path, forge: GitHubForge
) -> None:
    patch = make_patch(checkout, ONE_FILE_FIX)
    forge.publish(make_verdict(checkout, patch, PatchDecision.MANUAL_REVIEW), patch)
    gh.complete_checks(1, repo=protected)  # CI is green: the PR is "clean"
    protected.pull(1).labels.remove("error-fix:needs-review")
    result = forge.publish(make_verdict(checkout, patch, PatchDecision.AUTO_MERGE_PR), patch)
    assert result.outcome is Outcome.NEEDS_REVIEW
    assert "no required check is pending" in result.message
    assert "error-fix:needs-review" in labels(protected, 1)
    assert protected.read_file("main", "src/calc/ops.py") != FIXED_OPS


def test_auto_merge_that_conflicts_goes_to_review(
    gh: FakeGitHub, remote: FakeRepo, checkout: Path, forge: GitHubForge
) -> None:
    patch = make_patch(checkout, ONE_FILE_FIX)
    base = git(checkout, "rev-parse", "HEAD").strip()
    gh.push_commit(remote, "main", {"src/calc/ops.py": "def divide(a, b):\n    return 0\n"})
    result = forge.publish(make_verdict(checkout, patch, PatchDecision.AUTO_MERGE, base), patch)
    assert result.outcome is Outcome.NEEDS_REVIEW
    assert "conflicts with main" in result.message
    assert remote.read_file("main", "src/calc/ops.py") == "def divide(a, b):\n    return 0\n"


def test_eventual_consistency_of_a_new_pr_is_waited_out(
    gh: FakeGitHub, protected: FakeRepo, checkout: Path, forge: GitHubForge
) -> None:
    gh.node_lag(2)  # the new PR's node id resolves only on the third try
    patch = make_patch(checkout, ONE_FILE_FIX)
    result = forge.publish(make_verdict(checkout, patch, PatchDecision.AUTO_MERGE_PR), patch)
    assert result.outcome is Outcome.AUTO_MERGE_ARMED
    assert gh.request_count("POST", "/api/graphql") == 3


# --------------------------------------------------------------------------------------------
# idempotency


def test_the_same_publish_three_times_makes_one_pr(
    gh: FakeGitHub, protected: FakeRepo, checkout: Path, forge: GitHubForge
) -> None:
    patch = make_patch(checkout, ONE_FILE_FIX)
    verdict = make_verdict(checkout, patch, PatchDecision.AUTO_MERGE_PR)
    first = forge.publish(verdict, patch)
    tip = protected.ref_sha("error-fix/div-zero")
    gh.reset_counts()
    again = [forge.publish(verdict, patch) for _ in range(2)]
    again.append(connect(gh, checkout).publish(verdict, patch))
    assert first.outcome is Outcome.AUTO_MERGE_ARMED
    assert [r.outcome for r in again] == [Outcome.UNCHANGED] * 3
    assert len(protected.pulls()) == 1
    assert protected.ref_sha("error-fix/div-zero") == tip
    # A re-run: GET pulls and the check run's look-up (and GET repo for the new client).
    assert gh.request_count() == 7
    assert gh.request_count("POST") == gh.request_count("PATCH") == 0


@pytest.mark.parametrize("decision", [PatchDecision.AUTO_MERGE, PatchDecision.MANUAL_REVIEW])
def test_re_runs_of_merged_or_queued_fixes_change_nothing(
    gh: FakeGitHub, remote: FakeRepo, checkout: Path, forge: GitHubForge, decision: PatchDecision
) -> None:
    patch = make_patch(checkout, ONE_FILE_FIX)
    verdict = make_verdict(checkout, patch, decision)
    forge.publish(verdict, patch)
    gh.reset_counts()
    result = forge.publish(verdict, patch)
    assert result.outcome is Outcome.UNCHANGED
    assert len(remote.pulls()) == 1
    assert gh.request_count("POST") == 0


def test_a_newer_patch_for_the_same_error_updates_the_branch_and_pr(
    gh: FakeGitHub, protected: FakeRepo, checkout: Path, forge: GitHubForge
) -> None:
    old = make_patch(checkout, {"src/calc/ops.py": FIXED_OPS.replace("0.0", "float('nan')")})
    forge.publish(make_verdict(checkout, old, PatchDecision.AUTO_MERGE_PR), old)
    new = make_patch(checkout, ONE_FILE_FIX)
    result = forge.publish(make_verdict(checkout, new, PatchDecision.AUTO_MERGE_PR), new)
    assert result.outcome is Outcome.UPDATED
    assert len(protected.pulls()) == 1 and result.pr_number == 1
    assert protected.read_file("error-fix/div-zero", "src/calc/ops.py") == FIXED_OPS
    commit = protected.commit("error-fix/div-zero")
    assert commit is not None and commit.parents == (protected.ref_sha("main"),)
    marker = read_marker(protected.pull(1).body)
    assert marker is not None and marker["patch_sha256"] == new.sha256
    assert marker["commit"] == protected.ref_sha("error-fix/div-zero")


def test_when_the_base_moved_the_patch_is_re_applied_on_the_new_base(
    gh: FakeGitHub, protected: FakeRepo, checkout: Path, forge: GitHubForge
) -> None:
    patch = make_patch(checkout, ONE_FILE_FIX)
    forge.publish(make_verdict(checkout, patch, PatchDecision.AUTO_MERGE_PR), patch)
    moved = gh.push_commit(protected, "main", {"NOTES.md": "release notes\n"})
    git(checkout, "pull", "--quiet", "--ff-only")
    result = forge.publish(make_verdict(checkout, patch, PatchDecision.AUTO_MERGE_PR), patch)
    assert result.outcome is Outcome.UPDATED
    commit = protected.commit("error-fix/div-zero")
    assert commit is not None and commit.parents == (moved,)
    assert protected.read_file("error-fix/div-zero", "NOTES.md") == "release notes\n"
    assert len(protected.pulls()) == 1


def test_commits_someone_else_added_are_never_overwritten(
    gh: FakeGitHub, protected: FakeRepo, checkout: Path, forge: GitHubForge
) -> None:
    patch = make_patch(checkout, ONE_FILE_FIX)
    verdict = make_verdict(checkout, patch, PatchDecision.AUTO_MERGE_PR)
    forge.publish(verdict, patch)
    theirs = gh.push_commit(protected, "error-fix/div-zero", {"src/calc/extra.py": "X = 1\n"})
    newer = make_patch(checkout, {"src/calc/ops.py": FIXED_OPS + "\n# newer\n"})
    result = forge.publish(make_verdict(checkout, newer, PatchDecision.AUTO_MERGE_PR), newer)
    assert result.outcome is Outcome.NEEDS_REVIEW
    assert "commits error-fix did not make" in result.message
    assert protected.ref_sha("error-fix/div-zero") == theirs
    assert "error-fix:needs-review" in labels(protected, 1)
    pull = protected.pull(1).pull
    assert pull is not None and pull.auto_merge is None  # would merge unscored commits


def test_a_foreign_branch_without_a_pr_is_left_alone(
    gh: FakeGitHub, remote: FakeRepo, checkout: Path, forge: GitHubForge
) -> None:
    theirs = gh.push_commit(remote, "error-fix/div-zero", {"mine.txt": "work in progress\n"})
    patch = make_patch(checkout, ONE_FILE_FIX)
    result = forge.publish(make_verdict(checkout, patch, PatchDecision.AUTO_MERGE_PR), patch)
    assert result.outcome is Outcome.NEEDS_REVIEW
    assert remote.ref_sha("error-fix/div-zero") == theirs
    assert remote.pulls() == []


# --------------------------------------------------------------------------------------------
# faults


def _baseline_routes(tmp_path: Path, decision: PatchDecision) -> list[tuple[str, str]]:
    with fake_github(tmp_path / "baseline") as gh:
        remote = make_remote(gh)
        remote.allow_auto_merge = True
        remote.required_checks["main"] = ["ci"] if decision is PatchDecision.AUTO_MERGE_PR else []
        checkout = clone(remote, tmp_path / "baseline-checkout")
        forge = connect(gh, checkout)
        patch = make_patch(checkout, ONE_FILE_FIX)
        forge.publish(make_verdict(checkout, patch, decision), patch)
        forge.close()
        return routes_used(gh)


@pytest.mark.parametrize(
    ("decision", "outcome"),
    [
        (PatchDecision.AUTO_MERGE_PR, Outcome.AUTO_MERGE_ARMED),
        (PatchDecision.AUTO_MERGE, Outcome.MERGED),
    ],
)
def test_every_route_failing_once_with_502_changes_nothing(
    tmp_path: Path, gh: FakeGitHub, decision: PatchDecision, outcome: Outcome
) -> None:
    routes = _baseline_routes(tmp_path, decision)
    assert len(routes) >= 7
    remote = make_remote(gh)
    remote.allow_auto_merge = True
    remote.required_checks["main"] = ["ci"] if decision is PatchDecision.AUTO_MERGE_PR else []
    checkout = clone(remote, tmp_path / "checkout")
    faults = [gh.inject(method, route_regex(template), 502) for method, template in routes]
    forge = connect(gh, checkout)
    patch = make_patch(checkout, ONE_FILE_FIX)
    result = forge.publish(make_verdict(checkout, patch, decision), patch)
    assert result.outcome is outcome, result.message
    assert [f.hits for f in faults] == [1] * len(routes)
    assert len(remote.pulls()) == 1
    assert labels(remote, 1) == ["automated-fix", "error-recovery"]
    assert remote.read_file("error-fix/div-zero", "src/calc/ops.py") == FIXED_OPS


def test_every_route_failing_for_good_fails_cleanly_without_orphan_branches(
    tmp_path: Path, gh: FakeGitHub
) -> None:
    routes = _baseline_routes(tmp_path, PatchDecision.AUTO_MERGE_PR)
    for index, (method, template) in enumerate(routes):
        remote = make_remote(gh, f"acme/app{index}")
        remote.allow_auto_merge = True
        remote.required_checks["main"] = ["ci"]
        checkout = clone(remote, tmp_path / f"checkout{index}")
        fault = gh.inject(method, route_regex(template, f"acme/app{index}"), 502, times=None)
        patch = make_patch(checkout, ONE_FILE_FIX)
        try:
            forge = connect(gh, checkout, full_name=f"acme/app{index}")
            result = forge.publish(
                make_verdict(checkout, patch, PatchDecision.AUTO_MERGE_PR), patch
            )
        except ForgeError as exc:  # the connection check itself failed: a clean, early error
            assert (method, template) == ("GET", "/repos/{owner}/{repo}"), exc
            assert "502" in str(exc) or "kept failing" in str(exc)
        else:
            assert result.outcome is Outcome.FAILED, (method, template, result)
            assert "kept failing" in result.message
            print(f"\n{method} {template}: {result.message}")
        assert fault.hits == 4  # 1 + 3 retries, then given up
        open_heads = {p.pull.head_ref for p in remote.pulls("open") if p.pull is not None}
        orphans = [b for b in remote.branches() if b != "main" and b not in open_heads]
        assert orphans == [], (method, template)
        gh.clear_faults()


def test_a_branch_that_cannot_be_cleaned_up_is_reported(
    gh: FakeGitHub, remote: FakeRepo, checkout: Path, forge: GitHubForge
) -> None:
    gh.inject("POST", r"/pulls$", 502, times=None)
    gh.inject("DELETE", r"/git/refs/", 502, times=None)
    patch = make_patch(checkout, ONE_FILE_FIX)
    result = forge.publish(make_verdict(checkout, patch, PatchDecision.AUTO_MERGE_PR), patch)
    assert result.outcome is Outcome.FAILED
    assert "could not be deleted" in result.message and "delete it by hand" in result.message
    assert result.branch == "error-fix/div-zero"


def test_a_rate_limit_with_retry_after_is_waited_out(
    gh: FakeGitHub, remote: FakeRepo, checkout: Path, forge: GitHubForge
) -> None:
    gh.inject("POST", r"/pulls$", 403, headers={"Retry-After": "1"})
    patch = make_patch(checkout, ONE_FILE_FIX)
    started = time.monotonic()
    result = forge.publish(make_verdict(checkout, patch, PatchDecision.MANUAL_REVIEW), patch)
    assert time.monotonic() - started >= 0.9
    assert result.outcome is Outcome.NEEDS_REVIEW
    assert [r.status for r in gh.requests("POST", r"/pulls$")] == [403, 201]


def test_actions_may_not_open_prs_names_the_setting_and_leaves_no_branch(
    gh: FakeGitHub, remote: FakeRepo, checkout: Path, forge: GitHubForge
) -> None:
    remote.actions_can_create_prs = False
    patch = make_patch(checkout, ONE_FILE_FIX)
    result = forge.publish(make_verdict(checkout, patch, PatchDecision.AUTO_MERGE_PR), patch)
    assert result.outcome is Outcome.FAILED
    assert "Allow GitHub Actions to create and approve pull requests" in result.message
    assert "error-fix/div-zero was deleted" in result.message
    assert remote.branches() == ["main"]


# --------------------------------------------------------------------------------------------
# failing fast


def test_bad_token_unknown_repository_and_read_only_token_fail_fast(
    gh: FakeGitHub, remote: FakeRepo, checkout: Path
) -> None:
    with pytest.raises(ForgeError, match="rejected the token"):
        connect(gh, checkout, token="nope")
    with pytest.raises(ForgeError, match="acme/missing not found"):
        connect(gh, checkout, full_name="acme/missing")
    with pytest.raises(ForgeError, match="can read acme/app but not write"):
        connect(gh, checkout, token=gh.read_token)
    assert connect(gh, checkout, token=gh.read_token, need_write=False).queue() == []


def test_a_base_missing_from_the_checkout_says_to_fetch_it(
    gh: FakeGitHub, remote: FakeRepo, checkout: Path, forge: GitHubForge
) -> None:
    patch = make_patch(checkout, ONE_FILE_FIX)
    verdict = make_verdict(checkout, patch, PatchDecision.AUTO_MERGE_PR, base="f" * 40)
    with pytest.raises(ForgeError, match="is not in .*; fetch it first"):
        forge.publish(verdict, patch)
    assert remote.branches() == ["main"]


# --------------------------------------------------------------------------------------------
# the review queue


def test_approve_merges_and_reject_closes_and_is_remembered(
    gh: FakeGitHub, remote: FakeRepo, checkout: Path, forge: GitHubForge
) -> None:
    first = make_patch(checkout, ONE_FILE_FIX, error_id="first")
    second = make_patch(checkout, {"src/calc/ops.py": FIXED_OPS + "\n# v2\n"}, "second")
    for patch in (first, second):
        forge.publish(make_verdict(checkout, patch, PatchDecision.MANUAL_REVIEW), patch)
    queued = forge.queue()
    assert [(e.id, e.branch, e.decision) for e in queued] == [
        ("1", "error-fix/first", "manual_review"),
        ("2", "error-fix/second", "manual_review"),
    ]
    approved = forge.approve("1", "alice")
    assert approved.outcome is Outcome.MERGED
    assert remote.read_file("main", "src/calc/ops.py") == FIXED_OPS
    assert "error-fix:needs-review" not in labels(remote, 1)
    assert remote.pull(1).comments[-1].body.startswith("Approved by alice through error-fix")
    rejected = forge.reject("#2", "papers over the bug", "bob")
    assert rejected.outcome is Outcome.REJECTED
    assert remote.pull(2).state == "closed"
    assert "error-fix/second" not in remote.branches()
    assert remote.pull(2).comments[-1].body.endswith("papers over the bug")
    assert forge.queue() == []
    again = forge.publish(make_verdict(checkout, second, PatchDecision.MANUAL_REVIEW), second)
    assert again.outcome is Outcome.UNCHANGED and "not opened again" in again.message
    assert len(remote.pulls()) == 2
    with pytest.raises(ForgeError, match="not pending \\(it is merged\\)"):
        forge.approve("1", "alice")
    with pytest.raises(ForgeError, match="a PR number"):
        forge.approve("first", "alice")
    with pytest.raises(ForgeError, match="no PR #99"):
        forge.reject("99", "x", "bob")


def test_approve_arms_auto_merge_when_checks_are_pending(
    gh: FakeGitHub, protected: FakeRepo, checkout: Path, forge: GitHubForge
) -> None:
    patch = make_patch(checkout, ONE_FILE_FIX)
    forge.publish(make_verdict(checkout, patch, PatchDecision.MANUAL_REVIEW), patch)
    result = forge.approve("1", "alice")
    assert result.outcome is Outcome.AUTO_MERGE_ARMED
    assert forge.queue() == []
    gh.complete_checks(1, repo=protected)
    assert protected.read_file("main", "src/calc/ops.py") == FIXED_OPS


def test_approve_without_a_way_to_merge_fails_and_keeps_the_pr_queued(
    gh: FakeGitHub, remote: FakeRepo, checkout: Path, forge: GitHubForge
) -> None:
    remote.required_checks["main"] = ["ci"]  # pending, and auto-merge is off
    patch = make_patch(checkout, ONE_FILE_FIX)
    forge.publish(make_verdict(checkout, patch, PatchDecision.MANUAL_REVIEW), patch)
    result = forge.approve("1", "alice")
    assert result.outcome is Outcome.FAILED
    assert "“Allow auto-merge”" in result.message
    assert [e.id for e in forge.queue()] == ["1"]


def test_queue_metrics_over_1200_prs_use_paginated_requests(
    gh: FakeGitHub, remote: FakeRepo, checkout: Path, forge: GitHubForge
) -> None:
    now = dt.datetime.now(dt.UTC)
    for n in range(1200):
        identity = f"err-{n}"
        fields = {"patch_sha256": "ab" * 32, "identity": identity, "decision": "manual_review"}
        body = f"<!-- error-fix: {json.dumps({**fields, 'schema': 1, 'overall': 0.5})} -->"
        gh.seed_pull(
            remote,
            f"error-fix/{identity}",
            title=f"[Auto] Error fix: error {n}",
            body=body,
            labels=["error-fix:needs-review"],
            created_at=now - dt.timedelta(hours=100 - n * 0.05),
        )
    gh.seed_pull(remote, "error-fix/done", labels=["error-fix:needs-review"], state="closed")
    gh.seed_pull(remote, "feature", labels=["error-fix:needs-review"])  # not ours: no marker
    gh.seed_pull(remote, "error-fix/armed", labels=["automated-fix"])
    gh.reset_counts()
    metrics = forge.metrics(max_count=10, max_hours=72)
    assert metrics.total_pending == 1200
    assert 99.9 <= metrics.oldest_age_hours <= 100.1
    assert metrics.health == "critical"
    assert gh.request_count("GET", r"/issues$") == 13  # 1,201 labelled open PRs, 100 a page
    assert gh.request_count() == 13
    entries = forge.queue()
    assert entries[0].title == "error 0" and entries[-1].branch == "error-fix/err-1199"
    assert all(a.created_at <= b.created_at for a, b in itertools.pairwise(entries))


def test_settings_choose_labels_and_merge_method(
    gh: FakeGitHub, protected: FakeRepo, checkout: Path
) -> None:
    settings = Settings(labels=("bot-fix",), review_label="triage", merge_method="rebase")
    forge = connect(gh, checkout, settings)
    patch = make_patch(checkout, ONE_FILE_FIX)
    forge.publish(make_verdict(checkout, patch, PatchDecision.AUTO_MERGE_PR), patch)
    assert labels(protected, 1) == ["bot-fix"]
    pull = protected.pull(1).pull
    assert pull is not None and pull.auto_merge is not None and pull.auto_merge.method == "rebase"


# --------------------------------------------------------------------------------------------
# more states


def test_a_re_run_after_a_failed_cleanup_finishes_the_job(
    gh: FakeGitHub, remote: FakeRepo, checkout: Path, forge: GitHubForge
) -> None:
    pulls_down = gh.inject("POST", r"/pulls$", 502, times=None)
    deletes_down = gh.inject("DELETE", r"/git/refs/", 502, times=None)
    patch = make_patch(checkout, ONE_FILE_FIX)
    verdict = make_verdict(checkout, patch, PatchDecision.MANUAL_REVIEW)
    assert forge.publish(verdict, patch).outcome is Outcome.FAILED
    left = remote.ref_sha("error-fix/div-zero")
    assert left is not None
    pulls_down.remaining = deletes_down.remaining = 0
    result = forge.publish(verdict, patch)
    assert result.outcome is Outcome.NEEDS_REVIEW and result.pr_number == 1
    assert remote.ref_sha("error-fix/div-zero") == left  # the left-over fix commit is reused


def test_a_decision_that_drops_to_manual_review_disarms_auto_merge(
    gh: FakeGitHub, protected: FakeRepo, checkout: Path, forge: GitHubForge
) -> None:
    patch = make_patch(checkout, ONE_FILE_FIX)
    forge.publish(make_verdict(checkout, patch, PatchDecision.AUTO_MERGE_PR), patch)
    result = forge.publish(make_verdict(checkout, patch, PatchDecision.MANUAL_REVIEW), patch)
    assert result.outcome is Outcome.NEEDS_REVIEW
    pull = protected.pull(1).pull
    assert pull is not None and pull.auto_merge is None
    assert "error-fix:needs-review" in labels(protected, 1)
    marker = read_marker(protected.pull(1).body)
    assert marker is not None and marker["decision"] == "manual_review"


def test_a_better_newer_patch_leaves_the_review_queue(
    gh: FakeGitHub, protected: FakeRepo, checkout: Path, forge: GitHubForge
) -> None:
    old = make_patch(checkout, {"src/calc/ops.py": FIXED_OPS + "\n# first try\n"})
    forge.publish(make_verdict(checkout, old, PatchDecision.MANUAL_REVIEW), old)
    new = make_patch(checkout, ONE_FILE_FIX)
    result = forge.publish(make_verdict(checkout, new, PatchDecision.AUTO_MERGE_PR), new)
    assert result.outcome is Outcome.UPDATED
    assert labels(protected, 1) == ["automated-fix", "error-recovery"]
    pull = protected.pull(1).pull
    assert pull is not None and pull.auto_merge is not None
    assert forge.queue() == []


def test_a_checkout_without_the_branch_history_never_overwrites_blindly(
    gh: FakeGitHub, protected: FakeRepo, checkout: Path, forge: GitHubForge, tmp_path: Path
) -> None:
    patch = make_patch(checkout, ONE_FILE_FIX)
    forge.publish(make_verdict(checkout, patch, PatchDecision.AUTO_MERGE_PR), patch)
    tip = protected.ref_sha("error-fix/div-zero")
    gh.push_commit(protected, "main", {"NOTES.md": "release notes\n"})
    shallow = tmp_path / "shallow"
    subprocess.run(
        ["git", "clone", "--quiet", "--depth", "1", f"file://{protected.git_dir}", str(shallow)],
        check=True,
        capture_output=True,
    )
    shallow_forge = connect(gh, shallow)
    result = shallow_forge.publish(make_verdict(shallow, patch, PatchDecision.AUTO_MERGE_PR), patch)
    assert result.outcome is Outcome.NEEDS_REVIEW
    assert "fetch-depth: 0" in result.message
    assert protected.ref_sha("error-fix/div-zero") == tip


def test_a_merge_method_the_repository_forbids_is_reported(
    gh: FakeGitHub, remote: FakeRepo, checkout: Path, forge: GitHubForge
) -> None:
    remote.allow_squash_merge = False
    patch = make_patch(checkout, ONE_FILE_FIX)
    result = forge.publish(make_verdict(checkout, patch, PatchDecision.AUTO_MERGE), patch)
    assert result.outcome is Outcome.FAILED
    assert "Squash merges are not allowed" in result.message
    assert "labelled for review" in result.message
    assert "error-fix:needs-review" in labels(remote, 1)
    assert remote.read_file("main", "src/calc/ops.py") != FIXED_OPS


def test_a_base_that_moves_during_the_merge_is_merged_on_the_second_try(
    gh: FakeGitHub, remote: FakeRepo, checkout: Path, forge: GitHubForge
) -> None:
    remote.on_next_merge(lambda: gh.push_commit(remote, "main", {"NOTES.md": "x\n"}))
    patch = make_patch(checkout, ONE_FILE_FIX)
    result = forge.publish(make_verdict(checkout, patch, PatchDecision.AUTO_MERGE), patch)
    assert result.outcome is Outcome.MERGED
    assert [r.status for r in gh.requests("PUT", r"/merge$")] == [409, 200]
    assert remote.read_file("main", "src/calc/ops.py") == FIXED_OPS
    assert remote.read_file("main", "NOTES.md") == "x\n"


def test_publish_checks_the_verdict_against_the_patch(
    gh: FakeGitHub, remote: FakeRepo, checkout: Path, forge: GitHubForge
) -> None:
    patch = make_patch(checkout, ONE_FILE_FIX)
    other = make_patch(checkout, ONE_FILE_FIX, error_id="other")
    verdict = make_verdict(checkout, patch, PatchDecision.AUTO_MERGE_PR)
    with pytest.raises(ForgeError, match="sha256 differs"):
        forge.publish(verdict, make_patch(checkout, {"src/calc/ops.py": "x = 1\n"}))
    with pytest.raises(ForgeError, match="the verdict is for 'div-zero' but the patch is 'other'"):
        forge.publish(verdict, other)
    short = make_verdict(checkout, patch, PatchDecision.AUTO_MERGE_PR, base="abc123")
    with pytest.raises(ForgeError, match="not a full commit id"):
        forge.publish(short, patch)
    with pytest.raises(ForgeError, match="needs the repository's checkout"):
        connect(gh, None).publish(verdict, patch)
    assert remote.branches() == ["main"]


def test_only_open_error_fix_prs_can_be_approved_or_rejected(
    gh: FakeGitHub, remote: FakeRepo, checkout: Path, forge: GitHubForge
) -> None:
    number = gh.seed_pull(remote, "feature", labels=["error-fix:needs-review"])
    with pytest.raises(ForgeError, match="not an error-fix PR \\(its branch is feature\\)"):
        forge.approve(str(number), "alice")
    with pytest.raises(ForgeError, match="needs a reason"):
        forge.reject(str(number), " ", "alice")
