"""The review queue on GitHub: open PRs carrying the review label and error-fix's marker.

A human approves (merge, or arm auto-merge) or rejects (comment, close, delete the branch) them;
the PR history feeds ``error-fix status``; a backlog gets one tracking issue.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from github import UnknownObjectException
from github.PullRequest import PullRequest

from ..config import Settings
from ..decision import PatchDecision
from ..report import PR_TITLE_PREFIX, read_marker
from .github_api import API_ERRORS, GitHubClient, error_text
from .github_merge import MergeMachine, fix_result
from .interface import (
    FixRecord,
    ForgeError,
    Outcome,
    PublishResult,
    QueueEntry,
    QueueMetrics,
)
from .local import BRANCH_PREFIX, find_reverts

BACKLOG_TITLE = "Review queue backlog"
BACKLOG_LABEL = "error-fix:backlog"


class ReviewQueue:
    """The review queue of one repository, and its history."""

    def __init__(
        self, api: GitHubClient, settings: Settings, repo: Path | None, merges: MergeMachine
    ) -> None:
        self.api = api
        self.settings = settings
        self.repo = repo
        self.merges = merges

    def queue(self) -> list[QueueEntry]:
        """Open PRs carrying the review label and error-fix's marker, oldest first (every page
        of the Issues API, 100 per request)."""
        issues = self.api.repository.get_issues(
            state="open", labels=[self.settings.review_label], sort="created", direction="asc"
        )
        entries: list[QueueEntry] = []
        for issue in issues:
            fields = read_marker(issue.body)
            if fields is None or issue.pull_request is None:
                continue  # not one of ours: a plain issue, or a PR someone else labelled
            created = issue.created_at
            if created.tzinfo is None:
                created = created.replace(tzinfo=dt.UTC)
            entries.append(
                QueueEntry(
                    id=str(issue.number),
                    branch=BRANCH_PREFIX + str(fields.get("identity") or "?"),
                    title=issue.title.removeprefix(PR_TITLE_PREFIX),
                    decision=str(fields.get("decision") or ""),
                    overall=float(fields.get("overall") or 0.0),
                    created_at=created,
                    status="needs-review",
                    url=issue.html_url,
                )
            )
        return sorted(entries, key=lambda e: e.created_at)

    def _open_fix(self, entry_id: str) -> PullRequest:
        number = entry_id.strip().lstrip("#")
        if not number.isdigit():
            raise ForgeError(f"on GitHub a queued fix is a PR number, got {entry_id!r}")
        try:
            pr = self.api.repository.get_pull(int(number))
            state, head_ref, merged = pr.state, pr.head.ref, pr.merged
        except UnknownObjectException:
            raise ForgeError(f"there is no PR #{number} in {self.api.full_name}") from None
        except API_ERRORS as exc:
            raise ForgeError(f"cannot read PR #{number}: {error_text(exc)}") from None
        if state != "open":
            raise ForgeError(f"PR #{number} is not pending (it is {'merged' if merged else state})")
        if not head_ref.startswith(BRANCH_PREFIX):
            raise ForgeError(f"PR #{number} is not an error-fix PR (its branch is {head_ref})")
        return pr

    def approve(self, entry_id: str, who: str) -> PublishResult:
        pr = self._open_fix(entry_id)
        head, branch = pr.head.sha, pr.head.ref
        try:
            step = self.merges.merge_or_arm(pr, head, pr.base.ref)
            if step.outcome not in (Outcome.MERGED, Outcome.AUTO_MERGE_ARMED, Outcome.MERGE_QUEUED):
                return fix_result(
                    Outcome.FAILED,
                    f"not approved: {step.message}; PR #{pr.number} stays in the review queue",
                    branch,
                    head,
                    pr,
                )
            if self.settings.review_label.lower() in {label.name.lower() for label in pr.labels}:
                self.merges.drop_review_label(pr)
            pr.create_issue_comment(f"Approved by {who} through error-fix: {step.message}.")
        except API_ERRORS as exc:
            return fix_result(
                Outcome.FAILED,
                f"approving PR #{pr.number} failed part way: {error_text(exc)}",
                branch,
                head,
                pr,
            )
        return fix_result(step.outcome, f"approved by {who}; {step.message}", branch, head, pr)

    # -- metrics and the backlog ---------------------------------------------------------------

    def fix_history(self) -> list[FixRecord]:
        """Every error-fix PR (its branch and marker), newest first, one paginated listing.

        decided_at is when the PR was opened (right after the first decision); a fix decided
        manual_review counts as merged by a human (someone approved it)."""
        records: list[FixRecord] = []
        for pr in self.api.repository.get_pulls(state="all", sort="created", direction="desc"):
            fields = read_marker(pr.body)
            if fields is None or not pr.head.ref.startswith(BRANCH_PREFIX):
                continue
            decision = str(fields.get("decision") or "")
            records.append(
                FixRecord(
                    id=str(pr.number),
                    decision=decision,
                    decided_at=_aware(pr.created_at),
                    merged_at=_aware(pr.merged_at),
                    merged_by_human=decision == PatchDecision.MANUAL_REVIEW,
                    commits=tuple(c for c in (pr.merge_commit_sha, pr.head.sha) if c),
                )
            )
        return records

    def reverted_commits(self, commits: set[str]) -> set[str]:
        """Reverts found in the checkout's history (check out with full history to see them)."""
        return find_reverts(self.repo, commits) if self.repo is not None else set()

    def report_backlog(self, metrics: QueueMetrics, entries: list[QueueEntry]) -> str | None:
        """Keep one open tracking issue while the queue is unhealthy: open it, update it on
        later runs, close it once the queue is healthy again. Returns its URL."""
        tracking = [
            issue
            for issue in self.api.repository.get_issues(state="open", labels=[BACKLOG_LABEL])
            if issue.pull_request is None and issue.title == BACKLOG_TITLE
        ]
        if metrics.health == "good":
            for issue in tracking:
                issue.create_comment("The review queue is healthy again; closing.")
                issue.edit(state="closed")
            return tracking[0].html_url if tracking else None
        queued = entries
        lines = [
            f"**Queue health: {metrics.health}** — {metrics.total_pending} fix(es) waiting for "
            f"review, the oldest for {metrics.oldest_age_hours:.0f}h.",
            "",
            "| PR | waiting | title |",
            "|---|---:|---|",
            *(f"| #{e.id} | {e.age_hours():.0f}h | {e.title} |" for e in queued[:20]),
        ]
        if len(queued) > 20:
            lines.append(f"| … | | and {len(queued) - 20} more |")
        lines += [
            "",
            "Approve or reject them with the review-decision workflow "
            "(`error-fix queue approve|reject`). This issue closes itself when the "
            "queue is healthy again.",
        ]
        body = "\n".join(lines)
        if tracking:
            issue = tracking[0]
            if issue.body != body:
                issue.edit(body=body)
            return issue.html_url
        created = self.api.repository.create_issue(
            title=BACKLOG_TITLE, body=body, labels=[BACKLOG_LABEL]
        )
        return created.html_url

    def reject(self, entry_id: str, reason: str, who: str) -> PublishResult:
        if not reason.strip():
            raise ForgeError("a rejection needs a reason")
        pr = self._open_fix(entry_id)
        head, branch = pr.head.sha, pr.head.ref
        try:
            pr.create_issue_comment(f"Rejected by {who} through error-fix: {reason.strip()}")
            pr.edit(state="closed")
        except API_ERRORS as exc:
            return fix_result(
                Outcome.FAILED,
                f"rejecting PR #{pr.number} failed: {error_text(exc)}",
                branch,
                head,
                pr,
            )
        left = self.api.delete_branch(branch)
        if left is not None:
            return fix_result(
                Outcome.FAILED,
                f"PR #{pr.number} closed, but {branch} could not be deleted: {left}",
                branch,
                head,
                pr,
            )
        return fix_result(
            Outcome.REJECTED,
            f"rejected by {who}: {reason.strip()}; PR #{pr.number} closed, {branch} deleted",
            branch,
            head,
            pr,
        )


def _aware(moment: dt.datetime | None) -> dt.datetime | None:
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment
