"""Publishing a verdict to GitHub: the fix commit, its branch, its PR, then the merge-state
machine (github_merge.py) on that PR.

The fix commit is built through the Git Data API from the patched tree of the local checkout
(forge/gittree.py): one tree POST with the changed files inline on the base tree, one commit POST,
one ref POST. No token reaches git, no hook runs, and GitHub marks the commit verified.

Requests for a fresh one-file fix, in order (tests count them against the fake):
``GET repo`` (reachable? writable?) · ``GET pulls?head=owner:branch&state=all`` (a re-run, or a
patch a reviewer closed before?) · ``POST git/trees`` · ``POST git/commits`` · ``POST git/refs`` ·
``POST pulls`` · ``POST check-runs`` (the verdict on the fix commit, github_checks.py; one
``PATCH`` more per 50 annotations past the first 50) · then by decision
``enablePullRequestAutoMerge`` (auto_merge_pr, and first for auto_merge), ``PUT merge``
(auto_merge when nothing would gate it) or ``enqueuePullRequest`` (auto_merge on a base that
requires a merge queue) · ``POST issues/N/labels``, which creates labels the repository lacks.
The check run is written before the PR is acted on, so a branch that requires the `error-fix`
check sees it. A re-run of the same patch costs the first two and a look-up of the check run,
and changes nothing.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from github import GithubException, InputGitTreeElement
from github.GitCommit import GitCommit
from github.GitTree import GitTree
from github.PullRequest import PullRequest

from .. import proc
from ..config import Settings
from ..decision import PatchDecision, Verdict
from ..patch import Patch
from ..report import pr_body, pr_title, read_marker
from . import gittree
from .github_api import API_ERRORS, GitHubClient, error_text
from .github_checks import CheckReport, CheckRuns
from .github_merge import MergeMachine, Step, fix_result
from .interface import ForgeError, Outcome, PublishResult
from .local import BRANCH_PREFIX

ACTIONS_MAY_NOT_OPEN_PRS = (
    "; turn on Settings → Actions → General → Workflow permissions → “Allow GitHub Actions to "
    "create and approve pull requests” (an organization can switch it off for all its "
    "repositories), or publish with a GitHub App token or a PAT"
)


@dataclass(frozen=True)
class _Branch:
    """Where the fix branch stands before the PR is looked at."""

    state: str
    """created, unchanged, updated, or foreign (holds commits error-fix did not make)."""
    commit: str
    """The branch tip."""
    note: str = ""
    """Why a foreign branch was left alone."""


class Publisher:
    """Turns verdicts into a branch, a PR, labels and a merge in one repository."""

    def __init__(
        self,
        api: GitHubClient,
        settings: Settings,
        repo: Path | None,
        env: Mapping[str, str],
        merges: MergeMachine,
    ) -> None:
        self.api = api
        self.settings = settings
        self.repo = repo
        self.env = env
        self.merges = merges
        self.checks = CheckRuns(api, settings)

    @property
    def _checkout(self) -> Path:
        """The local checkout the fix commit is built from."""
        if self.repo is None:
            raise ForgeError("publishing needs the repository's checkout (--repo)")
        return self.repo

    def _run_url(self) -> str | None:
        """The workflow run publishing this, on GitHub Actions."""
        env = self.env
        if env.get("GITHUB_RUN_ID") and env.get("GITHUB_SERVER_URL"):
            repository = env.get("GITHUB_REPOSITORY") or self.api.full_name
            return f"{env['GITHUB_SERVER_URL']}/{repository}/actions/runs/{env['GITHUB_RUN_ID']}"
        return None

    def _decision_log(self) -> str:
        run = self._run_url()
        if run is not None:
            return f"uploaded with [the workflow run]({run})"
        return f"`{self.settings.state_dir}/{self.settings.decision_log}` of the scoring run"

    def publish(self, verdict: Verdict, patch: Patch) -> PublishResult:
        if verdict.decision is PatchDecision.REJECTED:
            return PublishResult(Outcome.NOTHING, f"rejected: {verdict.reason}; nothing created")
        if verdict.sha256 != patch.sha256:
            raise ForgeError("the patch does not match the verdict (sha256 differs)")
        if verdict.identity != patch.identity:
            raise ForgeError(
                f"the verdict is for {verdict.identity!r} but the patch is {patch.identity!r}"
            )
        base_sha = str(verdict.base.get("sha") or "")
        if not re.fullmatch(r"[0-9a-f]{40}", base_sha):
            raise ForgeError(f"the verdict's base sha {base_sha!r} is not a full commit id")
        base_ref = str(verdict.base.get("ref") or self.api.repository.default_branch)
        tree = gittree.patched_tree(
            self._checkout, base_sha, patch, allow_binary=self.settings.allow_binary
        )
        branch = BRANCH_PREFIX + verdict.identity
        try:
            pulls = self.api.pulls_for(branch)
        except API_ERRORS as exc:
            return fix_result(
                Outcome.FAILED,
                f"cannot look up the PRs of {branch}: {error_text(exc)}; nothing was created",
                None,
                None,
            )
        open_pr = next((p for p in pulls if p.state == "open"), None)
        if open_pr is None:
            earlier = _handled_before(pulls, patch, branch)
            if earlier is not None:
                return earlier
        try:
            placed = self._place_branch(branch, tree, patch, open_pr)
        except API_ERRORS as exc:
            return fix_result(
                Outcome.FAILED,
                f"could not write {branch}: {error_text(exc)}; no branch was created or moved",
                None,
                None,
                open_pr,
            )
        if placed.state == "foreign":
            if open_pr is None:
                return fix_result(Outcome.NEEDS_REVIEW, placed.note, branch, placed.commit)
            return self._settle_foreign(open_pr, branch, placed)
        body = pr_body(verdict, self._decision_log(), commit=placed.commit)
        if open_pr is None:
            opened = self._open_pr(verdict, branch, base_ref, body, placed)
            if isinstance(opened, PublishResult):
                return opened
            check = self._check(verdict, placed)
            acted = self._act(verdict, opened, placed, fresh=True, base_ref=base_ref)
            return _with_check(acted, check)
        # The marker says what the description describes; the rest (a run link) may differ.
        stale = (
            placed.state != "unchanged"
            or read_marker(open_pr.body) != read_marker(body)
            or open_pr.title != pr_title(verdict)
        )
        try:
            if stale:
                open_pr.edit(title=pr_title(verdict), body=body)
        except API_ERRORS as exc:
            return fix_result(
                Outcome.FAILED,
                f"{branch} is {placed.state} but PR #{open_pr.number}'s description could not be "
                f"updated: {error_text(exc)}",
                branch,
                placed.commit,
                open_pr,
            )
        check = self._check(verdict, placed)
        acted = self._act(
            verdict, open_pr, placed, fresh=False, base_ref=open_pr.base.ref, refreshed=stale
        )
        return _with_check(acted, check)

    def _place_branch(
        self, branch: str, tree: gittree.PatchedTree, patch: Patch, open_pr: PullRequest | None
    ) -> _Branch:
        """Make ``branch`` hold the fix: create it, leave it, or move our own commit forward."""
        if open_pr is not None:
            tip = open_pr.head.sha
            fields = read_marker(open_pr.body) or {}
            if (
                fields.get("commit") == tip
                and fields.get("patch_sha256") == patch.sha256
                and fields.get("base_sha") == tree.base_sha
            ):
                return _Branch("unchanged", tip)
            return self._replace_tip(branch, tip, tree, patch, None)
        commit = self._create_commit(tree, patch)
        try:
            self.api.repository.create_git_ref(f"refs/heads/{branch}", commit)
        except GithubException as exc:
            if exc.status != 422 or "Reference already exists" not in error_text(exc):
                raise
            tip = self.api.repository.get_git_ref(f"heads/{branch}").object.sha
            return self._replace_tip(branch, tip, tree, patch, commit)
        return _Branch("created", commit)

    def _replace_tip(
        self,
        branch: str,
        tip: str,
        tree: gittree.PatchedTree,
        patch: Patch,
        commit: str | None,
    ) -> _Branch:
        """The branch exists at ``tip``: keep it when it already is the fix, move it when it is
        an older fix of ours, leave it alone when anyone else committed to it."""
        head = self.api.repository.get_git_commit(tip)
        parents = [p.sha for p in head.parents]
        if head.tree.sha == tree.tree and parents == [tree.base_sha]:
            return _Branch("unchanged", tip)
        foreign = self._foreign_reason(branch, head.message, parents, tree.base_sha)
        if foreign:
            return _Branch("foreign", tip, foreign)
        commit = commit or self._create_commit(tree, patch)
        # Our own single commit is replaced (force); anybody else's work never gets here.
        self.api.ref(branch).edit(commit, force=True)
        return _Branch("updated", commit)

    def _foreign_reason(self, branch: str, message: str, parents: list[str], base: str) -> str:
        """Why the tip is not a lone error-fix commit on the base history ("" when it is)."""
        left = f"{branch} has commits error-fix did not make; left as is for a human"
        if "Error-Fix-Patch: " not in message or len(parents) != 1:
            return left
        if parents[0] == base:
            return ""
        known = proc.git(self._checkout, "cat-file", "-e", f"{parents[0]}^{{commit}}", check=False)
        if not known.ok:
            return (
                f"{branch} is built on {parents[0][:12]}, which this checkout lacks, so error-fix "
                "cannot tell whether it is on the base history; left as is (fetch more history, "
                "e.g. actions/checkout with fetch-depth: 0)"
            )
        ancestor = proc.git(
            self._checkout, "merge-base", "--is-ancestor", parents[0], base, check=False
        )
        return "" if ancestor.ok else left

    def _create_commit(self, tree: gittree.PatchedTree, patch: Patch) -> str:
        """Tree (changed files inline on the base tree) and commit through the Git Data API."""
        blobs = gittree.read_blobs(
            self._checkout, [c.blob for c in tree.changes if c.blob is not None]
        )
        entries: list[InputGitTreeElement] = []
        for change in tree.changes:
            if change.blob is None:
                entries.append(InputGitTreeElement(change.path, change.mode, "blob", sha=None))
                continue
            data = blobs[change.blob]
            text = _as_text(data)
            if text is not None:
                entries.append(InputGitTreeElement(change.path, change.mode, "blob", content=text))
            else:  # binary: only a blob upload carries bytes exactly
                blob = self.api.repository.create_git_blob(
                    base64.b64encode(data).decode(), "base64"
                )
                entries.append(InputGitTreeElement(change.path, change.mode, "blob", sha=blob.sha))
        base_tree = self.api.client.create_from_raw_data(GitTree, {"sha": tree.base_tree})
        made = self.api.repository.create_git_tree(entries, base_tree)
        if made.sha != tree.tree:
            raise ForgeError(
                f"GitHub built tree {made.sha[:12]} where the checkout has {tree.tree[:12]}; "
                "nothing was published"
            )
        parent = self.api.client.create_from_raw_data(GitCommit, {"sha": tree.base_sha})
        return self.api.repository.create_git_commit(patch.commit_message, made, [parent]).sha

    def _open_pr(
        self, verdict: Verdict, branch: str, base_ref: str, body: str, placed: _Branch
    ) -> PullRequest | PublishResult:
        """Open the PR; on failure delete the branch (nothing half-made is left) and say so."""
        try:
            return self.api.repository.create_pull(
                base=base_ref, head=branch, title=pr_title(verdict), body=body
            )
        except API_ERRORS as exc:
            failure = exc
        text = error_text(failure)
        if "A pull request already exists" in text:  # a retried POST that had gone through
            try:
                found = next((p for p in self.api.pulls_for(branch) if p.state == "open"), None)
            except API_ERRORS:
                found = None
            if found is not None:
                return found
        hint = ACTIONS_MAY_NOT_OPEN_PRS if "not permitted to create" in text else ""
        left = self.api.delete_branch(branch)
        cleanup = (
            f"{branch} was deleted"
            if left is None
            else f"{branch} could not be deleted ({left}); delete it by hand"
        )
        return fix_result(
            Outcome.FAILED,
            f"could not open a PR for {branch}: {text}{hint}; {cleanup}",
            branch if left is not None else None,
            placed.commit if left is not None else None,
        )

    def _settle_foreign(self, pr: PullRequest, branch: str, placed: _Branch) -> PublishResult:
        try:
            if pr.auto_merge is not None:  # it would merge commits nobody scored
                pr.disable_automerge()
            self.merges.label(pr, review=True)
        except API_ERRORS as exc:
            return fix_result(
                Outcome.FAILED,
                f"{placed.note}; PR #{pr.number} could not be labelled: {error_text(exc)}",
                branch,
                placed.commit,
                pr,
            )
        return fix_result(
            Outcome.NEEDS_REVIEW,
            f"{placed.note}; PR #{pr.number} labelled for review",
            branch,
            placed.commit,
            pr,
        )

    def _settled(self, verdict: Verdict, pr: PullRequest) -> Step | None:
        """The PR already is what the verdict asks (a re-run): the step it stands at, or None."""
        labels = {label.name.lower() for label in pr.labels}
        missing = [name for name in self.settings.labels if name.lower() not in labels]
        if missing:
            return None
        if self.settings.review_label.lower() in labels and pr.auto_merge is None:
            return Step(Outcome.NEEDS_REVIEW, f"PR #{pr.number} waits for review", review=True)
        if verdict.decision is not PatchDecision.MANUAL_REVIEW and pr.auto_merge is not None:
            return Step(Outcome.AUTO_MERGE_ARMED, f"PR #{pr.number} has auto-merge armed")
        return None

    def _check(self, verdict: Verdict, placed: _Branch) -> CheckReport:
        """The check run on the fix commit, written before the PR is acted on (a base that
        requires it sees it)."""
        return self.checks.report(
            verdict,
            placed.commit,
            look_up=placed.state == "unchanged",
            details_url=self._run_url(),
            decision_log=self._decision_log(),
        )

    def _act(
        self,
        verdict: Verdict,
        pr: PullRequest,
        placed: _Branch,
        *,
        fresh: bool,
        base_ref: str,
        refreshed: bool = False,
    ) -> PublishResult:
        """Run the merge-state machine on the PR and label it; report partial failures."""
        branch = pr.head.ref
        settled = self._settled(verdict, pr) if placed.state == "unchanged" else None
        if settled is not None:
            done = "its description was refreshed" if refreshed else "nothing to do"
            return fix_result(
                Outcome.UNCHANGED, f"{settled.message}; {done}", branch, placed.commit, pr
            )
        try:
            if verdict.decision is PatchDecision.AUTO_MERGE:
                step = (
                    self.merges.arm_first(pr, placed.commit, base_ref)
                    if fresh
                    else self.merges.merge_or_arm(pr, placed.commit, base_ref)
                )
            elif verdict.decision is PatchDecision.AUTO_MERGE_PR:
                step = self.merges.arm_or_review(pr, placed.commit, base_ref)
            else:
                reasons = "; ".join(g.reason for g in verdict.gates[:2])
                step = Step(
                    Outcome.NEEDS_REVIEW,
                    f"PR #{pr.number} needs review: "
                    f"{reasons or 'confidence below the PR threshold'}",
                    review=True,
                )
        except API_ERRORS as exc:
            step = Step(
                Outcome.FAILED,
                f"PR #{pr.number} is open, but acting on it failed: {error_text(exc)}",
                review=True,
            )
        problems: list[str] = []
        try:
            if step.review and not fresh and pr.auto_merge is not None:
                pr.disable_automerge()
            self.merges.label(pr, review=step.review)
        except API_ERRORS as exc:
            problems.append(f"labels could not be set: {error_text(exc)}")
        if problems and step.outcome is not Outcome.FAILED:
            message = f"PR #{pr.number} is open ({step.outcome}), but {problems[0]}"
            return fix_result(Outcome.FAILED, message, branch, placed.commit, pr)
        if step.outcome is Outcome.FAILED:
            tail = problems or [f"PR #{pr.number} is labelled for review"]
            message = "; ".join([step.message, *tail])
            return fix_result(Outcome.FAILED, message, branch, placed.commit, pr)
        if placed.state == "updated" and not fresh and step.outcome is not Outcome.MERGED:
            return fix_result(
                Outcome.UPDATED,
                f"{branch} updated to this patch; {step.message}",
                branch,
                placed.commit,
                pr,
            )
        return fix_result(step.outcome, step.message, branch, placed.commit, pr)


def _with_check(result: PublishResult, check: CheckReport) -> PublishResult:
    """``result`` naming its check run; a check run that could not be written is said in the
    message and fails the publish, but does not undo the PR."""
    if not check.problem:
        return replace(result, check_run_url=check.url)
    return replace(
        result,
        outcome=Outcome.FAILED,
        message=f"{result.message}; but {check.problem}",
        check_run_url=check.url,
    )


def _handled_before(pulls: list[PullRequest], patch: Patch, branch: str) -> PublishResult | None:
    """A closed PR of ``branch`` that carried this very patch: merged, or rejected by a reviewer;
    either way it is not opened again."""
    for pr in pulls:
        fields = read_marker(pr.body)
        if fields is None or fields.get("patch_sha256") != patch.sha256:
            continue
        how = "merged" if pr.merged_at else "closed without merging (rejected)"
        return fix_result(
            Outcome.UNCHANGED,
            f"PR #{pr.number} with this very patch was {how} before; not opened again",
            branch,
            pr.head.sha,
            pr,
        )
    return None


def _as_text(data: bytes) -> str | None:
    """``data`` as a string GitHub stores byte for byte (inline tree content), else None."""
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None
