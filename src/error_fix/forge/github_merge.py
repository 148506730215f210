"""The merge-state machine of the GitHub forge: what state a fix's PR ends in.

``arm_or_review`` for auto_merge_pr, ``arm_first``/``merge_or_arm`` for auto_merge and a human's
approval. GitHub's answers decide, never a blind merge: when nothing would gate an auto-merge
(no required check pending, auto-merge off, no branch protection) the PR goes to review, and the
message names the setting to change. The review label puts a PR in the queue.

A base branch that requires a merge queue is never merged around: where error-fix would merge,
it enqueues the PR (``enqueuePullRequest``, pinned to the head sha). GitHub says so in the answer
to arming auto-merge (read back in the same request) or by refusing the direct merge (405
"Changes must be made through the merge queue"); armed auto-merge there is "merge when ready",
which joins the queue once the PR's checks pass.
"""

from __future__ import annotations

from dataclasses import dataclass

from github import GithubException
from github.PullRequest import PullRequest

from ..config import Settings
from .github_api import GitHubClient, error_text, merge_queue_refusal
from .interface import Outcome, PublishResult


@dataclass(frozen=True)
class Step:
    """What the merge-state machine did with a PR."""

    outcome: Outcome
    """merged, auto_merge_armed, needs_review or failed."""
    message: str
    """What happened, and for a review or a failure why (naming the setting to change)."""
    review: bool = False
    """The PR goes to the review queue (gets the review label)."""
    unguarded: bool = False
    """Auto-merge could not be armed because nothing on GitHub would gate the merge (auto-merge
    off, no branch protection): a direct merge is still possible for an auto_merge decision."""
    merge_queue: bool = False
    """The base branch requires a merge queue."""


def fix_result(
    outcome: Outcome,
    message: str,
    branch: str | None,
    commit: str | None,
    pr: PullRequest | None = None,
) -> PublishResult:
    """A PublishResult naming the PR, when there is one."""
    return PublishResult(
        outcome,
        message,
        branch=branch,
        commit=commit,
        pr_number=pr.number if pr is not None else None,
        pr_url=pr.html_url if pr is not None else None,
    )


class MergeMachine:
    """Arms auto-merge, merges, and labels PRs of one repository."""

    def __init__(self, api: GitHubClient, settings: Settings) -> None:
        self.api = api
        self.settings = settings

    def label(self, pr: PullRequest, *, review: bool) -> None:
        """Add the missing labels in one call (GitHub creates unknown ones); drop the review
        label when the PR no longer needs review."""
        present = {label.name.lower() for label in pr.labels}
        wanted = [*self.settings.labels, *([self.settings.review_label] if review else [])]
        missing = [name for name in dict.fromkeys(wanted) if name.lower() not in present]
        if missing:
            self.api.node_retry(lambda: pr.add_to_labels(*missing))
        if not review and self.settings.review_label.lower() in present:
            self.drop_review_label(pr)

    def drop_review_label(self, pr: PullRequest) -> None:
        try:
            pr.remove_from_labels(self.settings.review_label)
        except GithubException as exc:
            if exc.status != 404:  # "Label does not exist": someone removed it already
                raise

    def _arm(self, pr: PullRequest, head: str, base_ref: str) -> Step | None:
        """Arm auto-merge pinned to ``head``; None when GitHub says nothing is pending (the
        PR is mergeable right now, so auto-merge would merge it at once)."""
        method = self.settings.merge_method
        try:
            answer = self.api.enable_automerge(pr, method, head)
        except GithubException as exc:
            text = error_text(exc)
            lowered = text.lower()
            if "clean status" in lowered or "unstable status" in lowered:
                return None
            if "auto merge is not allowed" in lowered:
                return Step(
                    Outcome.NEEDS_REVIEW,
                    f"PR #{pr.number} labelled for review: auto-merge is off in "
                    f"{self.api.full_name}; turn on Settings → General → Pull Requests → “Allow "
                    "auto-merge”",
                    review=True,
                    unguarded=True,
                )
            if "protected branch rules not configured" in lowered:
                return Step(
                    Outcome.NEEDS_REVIEW,
                    f"PR #{pr.number} labelled for review: {base_ref} has no branch protection; "
                    f"add a branch protection rule or ruleset on {base_ref} that requires status "
                    "checks, so auto-merge waits for CI",
                    review=True,
                    unguarded=True,
                )
            if "head branch was modified" in lowered:
                return Step(
                    Outcome.NEEDS_REVIEW,
                    f"PR #{pr.number} labelled for review: its branch moved while error-fix "
                    "armed auto-merge (someone pushed)",
                    review=True,
                )
            return Step(
                Outcome.FAILED,
                f"PR #{pr.number} is open, but auto-merge could not be armed: {text}",
                review=True,
            )
        if answer.queue_position is not None:  # nothing was pending: GitHub queued it at once
            return self._queued(pr, base_ref, answer.queue_position)
        if answer.merge_queue:
            return Step(
                Outcome.AUTO_MERGE_ARMED,
                f"PR #{pr.number}: auto-merge armed; it joins {base_ref}'s merge queue when its "
                "required checks pass",
                merge_queue=True,
            )
        return Step(
            Outcome.AUTO_MERGE_ARMED,
            f"PR #{pr.number}: auto-merge ({method}) armed; it merges when {base_ref}'s "
            "required checks pass",
        )

    @staticmethod
    def _queued(pr: PullRequest, base_ref: str, position: int | None) -> Step:
        where = f" at position {position}" if position else ""
        return Step(
            Outcome.MERGE_QUEUED,
            f"PR #{pr.number} queued for merge: it is in {base_ref}'s merge queue{where}, and "
            "GitHub merges it when the queue's checks pass",
            merge_queue=True,
        )

    def enqueue(self, pr: PullRequest, head: str, base_ref: str, armed: Step | None) -> Step:
        """Put the PR in the base branch's merge queue, pinned to ``head``. When GitHub will
        not take it yet, armed auto-merge (``armed``, else armed now) queues it when ready."""
        try:
            position = self.api.enqueue(pr, head)
        except GithubException as exc:
            text = error_text(exc)
            lowered = text.lower()
            if "already in the queue" in lowered:
                return Step(
                    Outcome.MERGE_QUEUED,
                    f"PR #{pr.number} is already in {base_ref}'s merge queue",
                    merge_queue=True,
                )
            if "head branch was modified" in lowered:
                return Step(
                    Outcome.NEEDS_REVIEW,
                    f"PR #{pr.number} labelled for review: its branch moved while error-fix "
                    "queued it for merge (someone pushed)",
                    review=True,
                )
            waiting = armed or self._arm(pr, head, base_ref)
            if waiting is not None and waiting.outcome is Outcome.AUTO_MERGE_ARMED:
                return Step(
                    waiting.outcome, f"{waiting.message} (not queued yet: {text})", merge_queue=True
                )
            if waiting is not None and waiting.outcome is not Outcome.FAILED:
                return waiting
            return Step(
                Outcome.FAILED,
                f"PR #{pr.number} could not be queued for merge in {base_ref}'s merge queue: "
                f"{text}",
                review=True,
                merge_queue=True,
            )
        return self._queued(pr, base_ref, position)

    def arm_or_review(self, pr: PullRequest, head: str, base_ref: str) -> Step:
        """auto_merge_pr: arm auto-merge; a PR with nothing pending is never merged blind."""
        step = self._arm(pr, head, base_ref)
        if step is not None:
            return step
        return Step(
            Outcome.NEEDS_REVIEW,
            f"PR #{pr.number} labelled for review: no required check is pending on {base_ref}, "
            "so auto-merge would merge it at once, without CI; require status checks on "
            f"{base_ref} (branch protection or a ruleset)",
            review=True,
        )

    def _merge(self, pr: PullRequest, head: str) -> GithubException | None:
        """Merge now, only if the head is still ``head``; None when merged."""
        try:
            pr.merge(merge_method=self.settings.merge_method, sha=head)
        except GithubException as exc:
            return exc
        return None

    def arm_first(self, pr: PullRequest, head: str, base_ref: str) -> Step:
        """auto_merge on a PR opened just now: its checks cannot have run, so a merge attempt
        would be refused; arm auto-merge first (one request). Only when GitHub says nothing is
        pending, or nothing would gate the merge, merge directly — the decision allows it."""
        step = self._arm(pr, head, base_ref)
        if step is not None and step.merge_queue and step.outcome is Outcome.AUTO_MERGE_ARMED:
            return self.enqueue(pr, head, base_ref, armed=step)  # merge now: join the queue now
        if step is None or step.unguarded:
            return self.merge_or_arm(pr, head, base_ref)
        return step

    def merge_or_arm(self, pr: PullRequest, head: str, base_ref: str) -> Step:
        """auto_merge (and an approval): merge now with the head-sha guard when GitHub lets us,
        else arm auto-merge; a conflict or a moved head goes to review."""
        merged = f"PR #{pr.number} merged into {base_ref} ({self.settings.merge_method})"
        refused = self._merge(pr, head)
        if refused is not None and "Base branch was modified" in error_text(refused):
            refused = self._merge(pr, head)  # the base moved during the merge: GitHub says retry
        if refused is None:
            return Step(Outcome.MERGED, merged)
        if merge_queue_refusal(refused):
            return self.enqueue(pr, head, base_ref, armed=None)
        if refused.status == 409:
            return Step(
                Outcome.NEEDS_REVIEW,
                f"PR #{pr.number} labelled for review: its branch moved (someone pushed), so it "
                f"was not merged ({error_text(refused)})",
                review=True,
            )
        if refused.status not in (405, 422):
            return Step(
                Outcome.FAILED, f"merging PR #{pr.number} failed: {error_text(refused)}", True
            )
        state = self.api.mergeable_state(pr.number)
        if state == "dirty":
            return Step(
                Outcome.NEEDS_REVIEW,
                f"PR #{pr.number} labelled for review: it conflicts with {base_ref}",
                review=True,
            )
        step = (
            None if state in ("clean", "unstable", "has_hooks") else self._arm(pr, head, base_ref)
        )
        if step is not None:
            return step
        again = self._merge(pr, head)  # GitHub says it is mergeable now: merge once more
        if again is None:
            return Step(Outcome.MERGED, merged)
        return Step(
            Outcome.FAILED,
            f"PR #{pr.number} could not be merged: {error_text(again)}; first refusal: "
            f"{error_text(refused)}",
            review=True,
        )

    # -- the review queue ---------------------------------------------------------------------
