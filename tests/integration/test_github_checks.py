"""The verdict where reviewers look, against the loopback fake GitHub: the `error-fix` check run
on the fix commit (conclusion, title, the one confidence table, annotations on the changed lines,
50 per request), its re-runs, and bases that require a merge queue.

Assertions are about what ended up on "GitHub": the check runs stored on the PR's head commit,
their annotations, the PR's merge-queue entry, the base branch, and the requests counted."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from error_fix.config import Settings
from error_fix.decision import PatchDecision, Verdict
from error_fix.forge.interface import Outcome
from error_fix.patch import Patch
from error_fix.report import markdown_table
from error_fix.scorers.interface import Finding, Gate
from tests.fakes.github_server import CheckRun, FakeGitHub, FakeRepo
from tests.integration.github_helpers import ONE_FILE_FIX, connect, make_patch, make_verdict
from tests.sample import DIVIDE_FIX, dedent

FIXED_OPS = dedent(DIVIDE_FIX["src/calc/ops.py"])
OPS = "src/calc/ops.py"


@pytest.fixture
def protected(remote: FakeRepo) -> FakeRepo:
    """main requires the "ci" check, and the repository allows auto-merge."""
    remote.required_checks["main"] = ["ci"]
    remote.allow_auto_merge = True
    return remote


def added_line(patch: Patch) -> int:
    """The first line the patch adds to src/calc/ops.py."""
    return next(f for f in patch.files if f.path == OPS).added_lines[0]


def with_findings(
    verdict: Verdict, section: str, findings: list[Finding], **details: Any
) -> Verdict:
    """``verdict`` with ``findings`` introduced by the ``section`` scorer."""
    result = {
        "status": "ok",
        "score": 0.7,
        "findings": [f.to_dict() for f in findings],
        "preexisting": 0,
        "duration_s": 0.1,
        "details": details,
    }
    return replace(verdict, scorers={**verdict.scorers, section: result})


def lint_verdict(checkout: Path, patch: Patch) -> Verdict:
    """auto_merge_pr, with an unused import on the patch's first added line."""
    unused = Finding(OPS, added_line(patch), "F401", "`os` imported but unused", "warning")
    verdict = make_verdict(checkout, patch, PatchDecision.AUTO_MERGE_PR)
    return with_findings(verdict, "lint", [unused])


def the_check_run(remote: FakeRepo, branch: str = "error-fix/div-zero") -> CheckRun:
    """The one `error-fix` check run on the branch's head commit (fails if there are more)."""
    [run] = remote.check_runs(branch, "error-fix")
    return run


def _finding(data: dict[str, Any]) -> Finding:
    return Finding(data["path"], data["line"], data["rule"], data["message"], data["severity"])


def publish(gh: FakeGitHub, checkout: Path, verdict: Verdict, patch: Patch, **settings: Any) -> Any:
    forge = connect(gh, checkout, Settings(**settings))
    try:
        return forge.publish(verdict, patch)
    finally:
        forge.close()


# --------------------------------------------------------------------------------------------
# the check run


def test_a_lint_finding_is_annotated_on_the_added_line_of_a_success_check_run(
    gh: FakeGitHub, protected: FakeRepo, checkout: Path
) -> None:
    patch = make_patch(checkout, ONE_FILE_FIX)
    line = added_line(patch)
    verdict = lint_verdict(checkout, patch)
    result = publish(gh, checkout, verdict, patch)
    assert result.outcome is Outcome.AUTO_MERGE_ARMED, result.message
    run = the_check_run(protected)
    assert run.head_sha == protected.ref_sha("error-fix/div-zero")  # the fix commit
    assert (run.status, run.conclusion) == ("completed", "success")
    assert run.title == "auto_merge_pr · confidence 0.86"
    assert run.external_id == patch.sha256
    assert run.annotations == [
        {
            "path": OPS,
            "start_line": line,
            "end_line": line,
            "annotation_level": "warning",
            "title": "error-fix lint: introduced by this patch",
            "message": "F401: `os` imported but unused",
        }
    ]
    # One renderer: the check run's summary and the PR body carry the same confidence table.
    table = markdown_table(verdict)
    assert run.summary is not None and table in run.summary
    assert table in (protected.pull(1).body or "")
    assert run.text is not None and "`F401`" in run.text
    assert result.check_run_url is not None and result.check_run_url.endswith(f"/runs/{run.id}")


@pytest.mark.parametrize(("setting", "expected"), [("neutral", "neutral"), ("failure", "failure")])
def test_a_security_finding_makes_a_review_check_run_with_the_bandit_finding_annotated(
    gh: FakeGitHub,
    protected: FakeRepo,
    checkout: Path,
    setting: str,
    expected: str,
) -> None:
    patch = make_patch(checkout, ONE_FILE_FIX)
    line = added_line(patch)
    shell = Finding(OPS, line, "B602", "subprocess call with shell=True identified", "error")
    verdict = replace(
        with_findings(
            make_verdict(checkout, patch, PatchDecision.MANUAL_REVIEW), "security", [shell]
        ),
        gates=(Gate("security", "introduces B602 (HIGH severity)"),),
    )
    result = publish(gh, checkout, verdict, patch, review_conclusion=setting)
    assert result.outcome is Outcome.NEEDS_REVIEW, result.message
    run = the_check_run(protected)
    assert run.conclusion == expected
    assert run.title == "manual_review · confidence 0.50"
    [annotation] = run.annotations
    assert (annotation["path"], annotation["start_line"]) == (OPS, line)
    assert annotation["annotation_level"] == "failure"
    assert annotation["message"].startswith("B602: subprocess call with shell=True")
    assert "`security`" in (run.summary or "")  # the gate, as in the PR body


def test_120_findings_go_in_three_batches_most_severe_first_and_all_are_stored(
    gh: FakeGitHub, protected: FakeRepo, checkout: Path
) -> None:
    patch = make_patch(checkout, ONE_FILE_FIX)
    verdict = make_verdict(checkout, patch, PatchDecision.AUTO_MERGE_PR)
    lint = [Finding(OPS, n, "E501", f"line {n} too long", "warning") for n in range(1, 41)]
    types = [Finding(OPS, n, "arg-type", f"bad arg {n}", "error") for n in range(1, 41)]
    uncovered = [
        Finding(OPS, n, "uncovered", f"added lines {n}-{n + 2} not executed", "notice")
        for n in range(100, 140)
    ]
    ranges = [{"path": OPS, "start_line": n, "end_line": n + 2} for n in range(100, 140)]
    verdict = with_findings(verdict, "lint", lint)
    verdict = with_findings(verdict, "types", types)
    verdict = with_findings(verdict, "coverage", uncovered, uncovered=ranges)
    gh.reset_counts()
    result = publish(gh, checkout, verdict, patch)
    assert result.outcome is Outcome.AUTO_MERGE_ARMED, result.message
    writes = [
        r.request_json["output"]["annotations"]
        for r in gh.requests()
        if r.template is not None and "check-runs" in r.template and r.method != "GET"
    ]
    assert [len(batch) for batch in writes] == [50, 50, 20]
    run = the_check_run(protected)
    stored = run.annotations
    assert len(stored) == 120
    levels = [a["annotation_level"] for a in stored]
    assert levels == ["failure"] * 40 + ["warning"] * 40 + ["notice"] * 40
    first_uncovered = stored[80]
    assert (first_uncovered["start_line"], first_uncovered["end_line"]) == (100, 102)


def test_a_re_run_updates_the_same_check_run_and_never_repeats_an_annotation(
    gh: FakeGitHub, protected: FakeRepo, checkout: Path
) -> None:
    patch = make_patch(checkout, ONE_FILE_FIX)
    line = added_line(patch)
    first = lint_verdict(checkout, patch)
    publish(gh, checkout, first, patch)
    run = the_check_run(protected)
    gh.reset_counts()
    again = publish(gh, checkout, first, patch)
    assert again.outcome is Outcome.UNCHANGED
    assert gh.request_count("POST", "check-runs") == gh.request_count("PATCH", "check-runs") == 0
    assert again.check_run_url is not None and again.check_run_url.endswith(f"/runs/{run.id}")
    # Scored again, the same patch now has one more finding, and the decision drops.
    shadowed = Finding(OPS, line + 1, "F811", "redefinition of `divide`", "error")
    rescored = replace(
        with_findings(first, "lint", [*map(_finding, first.scorers["lint"]["findings"]), shadowed]),
        decision=PatchDecision.MANUAL_REVIEW,
        confidence={"overall": 0.62},
        gates=(Gate("regression", "1 test(s) pass on the base and fail patched: test_add"),),
    )
    gh.reset_counts()
    updated = publish(gh, checkout, rescored, patch)
    assert updated.outcome is Outcome.NEEDS_REVIEW, updated.message
    assert the_check_run(protected) is run  # the same run, updated
    assert gh.request_count("POST", "check-runs") == 0
    assert gh.request_count("PATCH", "check-runs") == 1
    assert (run.conclusion, run.title) == ("neutral", "manual_review · confidence 0.62")
    assert [a["message"].split(":")[0] for a in run.annotations] == ["F401", "F811"]


def test_a_token_that_may_not_write_check_runs_fails_the_publish_and_says_why(
    gh: FakeGitHub, protected: FakeRepo, checkout: Path
) -> None:
    patch = make_patch(checkout, ONE_FILE_FIX)
    forge = connect(gh, checkout, checks_token=gh.read_token)  # the check run's own token
    result = forge.publish(make_verdict(checkout, patch, PatchDecision.AUTO_MERGE_PR), patch)
    forge.close()
    assert result.outcome is Outcome.FAILED
    assert result.message.startswith("PR #1: auto-merge (squash) armed")
    assert "check run could not be written: 403 Resource not accessible" in result.message
    assert "checks: write" in result.message
    assert protected.check_runs("error-fix/div-zero") == []
    assert protected.pull(1).pull is not None and protected.pull(1).pull.auto_merge is not None


def test_the_requests_of_a_one_file_publish_with_the_check_run(
    gh: FakeGitHub, protected: FakeRepo, checkout: Path
) -> None:
    patch = make_patch(checkout, ONE_FILE_FIX)
    gh.reset_counts()
    result = publish(
        gh, checkout, make_verdict(checkout, patch, PatchDecision.AUTO_MERGE_PR), patch
    )
    assert result.outcome is Outcome.AUTO_MERGE_ARMED
    sequence = [f"{r.method} {r.template}" for r in gh.requests()]
    print("\nrequests of a one-file publish (auto_merge_pr, protected main):")
    print("\n".join(f"  {n}. {line}" for n, line in enumerate(sequence, 1)))
    assert sequence == [
        "GET /repos/{owner}/{repo}",
        "GET /repos/{owner}/{repo}/pulls",
        "POST /repos/{owner}/{repo}/git/trees",
        "POST /repos/{owner}/{repo}/git/commits",
        "POST /repos/{owner}/{repo}/git/refs",
        "POST /repos/{owner}/{repo}/pulls",
        "POST /repos/{owner}/{repo}/check-runs",
        "POST graphql",
        "POST /repos/{owner}/{repo}/issues/{issue_number}/labels",
    ]


# --------------------------------------------------------------------------------------------
# merge queues


@pytest.fixture
def queued_main(protected: FakeRepo) -> FakeRepo:
    """main requires "ci" and a merge queue."""
    protected.merge_queue.add("main")
    return protected


def test_auto_merge_on_a_merge_queue_base_enqueues_the_pr(
    gh: FakeGitHub, queued_main: FakeRepo, checkout: Path
) -> None:
    patch = make_patch(checkout, ONE_FILE_FIX)
    gh.reset_counts()
    result = publish(gh, checkout, make_verdict(checkout, patch, PatchDecision.AUTO_MERGE), patch)
    assert result.outcome is Outcome.MERGE_QUEUED, result.message
    assert "queued for merge" in result.message and "main's merge queue" in result.message
    assert gh.request_count() <= 10
    assert gh.request_count("PUT") == 0  # never merged around the queue
    enqueue = gh.requests("POST", "graphql")[-1].request_json
    assert "enqueuePullRequest(input: $input)" in enqueue["query"]
    assert enqueue["variables"]["input"] == {
        "pullRequestId": queued_main.pull(1).pull.node_id,  # type: ignore[union-attr]
        "expectedHeadOid": queued_main.ref_sha("error-fix/div-zero"),
    }
    assert [i.number for i in queued_main.queued()] == [1]
    assert queued_main.read_file("main", OPS) != FIXED_OPS
    gh.complete_checks(1, repo=queued_main)
    assert len(gh.run_merge_queue(repo=queued_main)) == 1  # the queue merges it
    assert queued_main.read_file("main", OPS) == FIXED_OPS


def test_auto_merge_pr_on_a_merge_queue_base_is_armed_and_joins_the_queue_when_ready(
    gh: FakeGitHub, queued_main: FakeRepo, checkout: Path
) -> None:
    patch = make_patch(checkout, ONE_FILE_FIX)
    result = publish(
        gh, checkout, make_verdict(checkout, patch, PatchDecision.AUTO_MERGE_PR), patch
    )
    assert result.outcome is Outcome.AUTO_MERGE_ARMED, result.message
    assert "joins main's merge queue when its required checks pass" in result.message
    assert queued_main.queued() == []
    assert gh.request_count("POST", "graphql") == 1  # armed, not enqueued
    gh.complete_checks(1, repo=queued_main)
    assert [i.number for i in queued_main.queued()] == [1]
    gh.run_merge_queue(repo=queued_main)
    assert queued_main.read_file("main", OPS) == FIXED_OPS


def test_where_a_direct_merge_is_refused_for_the_queue_the_pr_is_enqueued(
    gh: FakeGitHub, remote: FakeRepo, checkout: Path
) -> None:
    """Auto-merge is off, so error-fix tries the merge; GitHub answers that changes must go
    through the merge queue (405), and the PR is enqueued instead. A re-run finds it queued."""
    remote.merge_queue.add("main")
    patch = make_patch(checkout, ONE_FILE_FIX)
    verdict = make_verdict(checkout, patch, PatchDecision.AUTO_MERGE)
    result = publish(gh, checkout, verdict, patch)
    assert result.outcome is Outcome.MERGE_QUEUED, result.message
    [refused] = gh.requests("PUT", r"/merge$")
    assert refused.status == 405
    assert [i.number for i in remote.queued()] == [1]
    again = publish(gh, checkout, verdict, patch)
    assert again.outcome is Outcome.MERGE_QUEUED
    assert "already in main's merge queue" in again.message
    assert len(remote.queued()) == 1 and len(remote.check_runs("error-fix/div-zero")) == 1


def test_an_approval_on_a_merge_queue_base_enqueues(
    gh: FakeGitHub, queued_main: FakeRepo, checkout: Path
) -> None:
    patch = make_patch(checkout, ONE_FILE_FIX)
    publish(gh, checkout, make_verdict(checkout, patch, PatchDecision.MANUAL_REVIEW), patch)
    gh.complete_checks(1, repo=queued_main)
    forge = connect(gh, checkout)
    approved = forge.approve("1", "alice")
    forge.close()
    assert approved.outcome is Outcome.MERGE_QUEUED, approved.message
    assert [i.number for i in queued_main.queued()] == [1]
    assert "error-fix:needs-review" not in queued_main.pull(1).labels
