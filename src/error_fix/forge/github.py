"""The GitHub forge: a verdict becomes a branch, a pull request, labels and a merge (PyGithub).

The fix commit is built through the Git Data API from the patched tree of the local checkout
(forge/gittree.py): one tree POST with the changed files inline on the base tree, one commit POST,
one ref POST. No token reaches git, no hook runs, and GitHub marks the commit verified.

Requests for a fresh one-file fix, in order (tests count them against the fake):
``GET repo`` (reachable? writable?) · ``GET pulls?head=owner:branch&state=all`` (a re-run, or a
patch a reviewer closed before?) · ``POST git/trees`` · ``POST git/commits`` · ``POST git/refs`` ·
``POST pulls`` · then by decision ``enablePullRequestAutoMerge`` (auto_merge_pr) or ``PUT merge``
(auto_merge) · ``POST issues/N/labels``, which creates labels the repository lacks. A re-run of
the same patch costs the first two and changes nothing.

Merge-state machine (``_arm_or_review`` for auto_merge_pr, ``_merge_or_arm`` for auto_merge and a
human's approval): GitHub's answers decide, never a blind merge. 5xx and rate limits are retried
by PyGithub's ``GithubRetry`` (honouring ``Retry-After``; PATCH added to its methods, since every
PATCH sent here is idempotent); GitHub's eventual consistency right after a PR is created ("Could
not resolve to a node") is retried with tenacity.
"""

from __future__ import annotations

import base64
import datetime as dt
import itertools
import os
import re
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import requests
import tenacity
from github import (
    Auth,
    BadCredentialsException,
    Github,
    GithubException,
    GithubRetry,
    InputGitTreeElement,
    UnknownObjectException,
)
from github.GitCommit import GitCommit
from github.GitRef import GitRef
from github.GitTree import GitTree
from github.PullRequest import PullRequest
from urllib3 import Retry

from .. import __version__, proc
from ..config import Settings
from ..decision import PatchDecision, Verdict
from ..patch import Patch
from ..report import PR_TITLE_PREFIX, pr_body, pr_title, read_marker
from . import gittree
from .interface import (
    FixRecord,
    Forge,
    ForgeError,
    Outcome,
    PublishResult,
    QueueEntry,
    QueueMetrics,
)
from .local import BRANCH_PREFIX, find_reverts

DEFAULT_API_URL = "https://api.github.com"
TOKEN_VARIABLES = ("GITHUB_TOKEN", "GH_TOKEN")
API_ERRORS = (GithubException, requests.RequestException)
"""What a PyGithub call raises: GitHub's answer, or a transport failure left after retries."""

ACTIONS_MAY_NOT_OPEN_PRS = (
    "; turn on Settings → Actions → General → Workflow permissions → “Allow GitHub Actions to "
    "create and approve pull requests” (an organization can switch it off for all its "
    "repositories), or publish with a GitHub App token or a PAT"
)

T = TypeVar("T")


# ---------------------------------------------------------------------------------------------
# Where the repository is, and with which token


@dataclass(frozen=True)
class RemoteAddress:
    """A GitHub repository as a git remote URL names it."""

    scheme: str
    """https, http or ssh (scp-like ``git@host:owner/name`` counts as ssh)."""
    host: str
    """Host name, with the port when the URL gives one."""
    owner: str
    """Owner (user or organization)."""
    name: str
    """Repository name, without ``.git``."""

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"

    @property
    def api_url(self) -> str:
        """REST root: api.github.com for github.com, ``/api/v3`` on the host for GHES."""
        if self.host.lower() in ("github.com", "www.github.com"):
            return DEFAULT_API_URL
        scheme = self.scheme if self.scheme in ("http", "https") else "https"
        return f"{scheme}://{self.host}/api/v3"


_SCP_LIKE = re.compile(r"^(?:[^@/\s]+@)?(?P<host>[^:/\s]+):(?!//)(?P<path>[^\s]+)$")
_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")


def parse_remote(url: str) -> RemoteAddress | None:
    """Owner and name from an ssh (``git@host:o/r.git``, ``ssh://``) or http(s) remote URL."""
    url = url.strip()
    if "://" in url:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("https", "http", "ssh", "git+ssh", "git") or not parts.hostname:
            return None
        host = parts.hostname
        if parts.port and parts.scheme in ("https", "http"):
            host = f"{host}:{parts.port}"
        scheme, path = ("ssh" if "ssh" in parts.scheme else parts.scheme), parts.path
    else:
        match = _SCP_LIKE.match(url)
        if match is None:
            return None
        scheme, host, path = "ssh", match["host"], match["path"]
    segments = [s for s in path.strip("/").split("/") if s]
    if len(segments) < 2:
        return None
    owner, name = segments[-2], segments[-1].removesuffix(".git")
    if not (_NAME.match(owner) and _NAME.match(name)):
        return None
    return RemoteAddress(scheme, host, owner, name)


def resolve_token(token: str | None, env: Mapping[str, str]) -> str:
    """``--token``, else GITHUB_TOKEN, else GH_TOKEN."""
    for candidate in (token, *(env.get(name) for name in TOKEN_VARIABLES)):
        if candidate and candidate.strip():
            return candidate.strip()
    raise ForgeError(
        "no GitHub token: set GITHUB_TOKEN (in a workflow: `env: GITHUB_TOKEN: "
        "${{ secrets.GITHUB_TOKEN }}`) or GH_TOKEN, or pass --token"
    )


def _remote_url(repo: Path) -> str | None:
    named = proc.git(repo, "remote", "get-url", "origin", check=False)
    if named.ok and named.stdout.strip():
        return named.stdout.strip()
    remotes = proc.git(repo, "remote", check=False).stdout.split()
    if not remotes:
        return None
    first = proc.git(repo, "remote", "get-url", remotes[0], check=False)
    return first.stdout.strip() if first.ok else None


def locate_repository(repo: Path | None, env: Mapping[str, str]) -> tuple[str, str]:
    """(owner/name, REST API URL): GITHUB_REPOSITORY and GITHUB_API_URL when set, else what the
    git remote (origin, else the first one) says."""
    remote = _remote_url(repo) if repo is not None else None
    address = parse_remote(remote) if remote else None
    full_name = env.get("GITHUB_REPOSITORY") or (address.full_name if address else None)
    if not full_name:
        raise ForgeError(
            "cannot tell which GitHub repository to publish to: set GITHUB_REPOSITORY=owner/name "
            "or give the checkout a GitHub remote named origin"
        )
    owner, _, name = full_name.partition("/")
    if not (_NAME.match(owner) and _NAME.match(name)):
        raise ForgeError(f"GITHUB_REPOSITORY must look like owner/name, got {full_name!r}")
    api_url = env.get("GITHUB_API_URL") or (address.api_url if address else DEFAULT_API_URL)
    return full_name, api_url.rstrip("/")


# ---------------------------------------------------------------------------------------------
# Errors


def error_text(exc: BaseException) -> str:
    """One line for a failed call: GitHub's status and messages (GraphQL ones included)."""
    if isinstance(exc, GithubException):
        parts: list[str] = []
        data = exc.data
        if isinstance(data, dict):
            if isinstance(data.get("message"), str) and data["message"]:
                parts.append(data["message"])
            for error in data.get("errors") or []:
                if isinstance(error, dict) and error.get("message"):
                    parts.append(str(error["message"]))
                elif isinstance(error, str):
                    parts.append(error)
        elif isinstance(data, str) and data:
            parts.append(data)
        if exc.message and exc.message not in parts:
            parts.append(exc.message)
        return f"{exc.status} {'; '.join(dict.fromkeys(parts)) or 'no message'}"
    text = " ".join(str(exc).split())
    if isinstance(exc, requests.exceptions.RetryError):
        cause = re.search(r"too many \d+ error responses", text)
        return f"GitHub kept failing ({cause[0] if cause else text[:200]}), even after retries"
    return f"{type(exc).__name__}: {text[:300]}"


def _status(exc: BaseException) -> int | None:
    return exc.status if isinstance(exc, GithubException) else None


def _node_not_ready(exc: BaseException) -> bool:
    """GitHub has not finished creating the PR everywhere yet (eventual consistency)."""
    return isinstance(exc, GithubException) and "Could not resolve to a node" in error_text(exc)


# ---------------------------------------------------------------------------------------------
# The forge


@dataclass(frozen=True)
class _Step:
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


@dataclass(frozen=True)
class _Branch:
    """Where the fix branch stands before the PR is looked at."""

    state: str
    """created, unchanged, updated, or foreign (holds commits error-fix did not make)."""
    commit: str
    """The branch tip."""
    note: str = ""
    """Why a foreign branch was left alone."""


class GitHubForge(Forge):
    """Publishes verdicts to one GitHub (or GitHub Enterprise Server) repository."""

    name = "github"

    def __init__(
        self,
        repo: Path | None,
        settings: Settings,
        *,
        token: str,
        full_name: str,
        api_url: str = DEFAULT_API_URL,
        need_write: bool = True,
        retries: int = 5,
        backoff: float = 1.0,
        seconds_between_requests: float = 0.25,
        seconds_between_writes: float = 1.0,
        timeout: float = 30.0,
        node_attempts: int = 6,
        mergeability_reads: int = 5,
        env: Mapping[str, str] | None = None,
    ) -> None:
        """Connect and check, failing fast: the token works, the repository is reachable with
        it, and (with ``need_write``) the token may write to it.

        ``retries``/``backoff`` drive GithubRetry (5xx, rate limits) and the tenacity retries;
        the ``seconds_between_*`` throttles are PyGithub's (GitHub's advice for secondary rate
        limits). Tests set backoff and throttles to 0.
        """
        self.repo = repo
        self.settings = settings
        self.full_name = full_name
        self.api_url = api_url
        self._env = dict(os.environ if env is None else env)
        self._backoff = backoff
        self._node_attempts = max(1, node_attempts)
        self._mergeability_reads = max(1, mergeability_reads)
        retry = GithubRetry(
            total=retries,
            backoff_factor=backoff,
            allowed_methods=Retry.DEFAULT_ALLOWED_METHODS | {"GET", "POST", "PATCH"},
        )
        self.client = Github(
            auth=Auth.Token(token),
            base_url=api_url,
            retry=retry,
            timeout=max(1, int(timeout)),
            per_page=100,
            user_agent=f"error-fix/{__version__}",
            seconds_between_requests=seconds_between_requests,
            seconds_between_writes=seconds_between_writes,
        )
        try:
            self.repository = self.client.get_repo(full_name)
        except BadCredentialsException:
            raise ForgeError(
                f"GitHub at {api_url} rejected the token (401 Bad credentials): check "
                "GITHUB_TOKEN / GH_TOKEN / --token"
            ) from None
        except UnknownObjectException:
            raise ForgeError(
                f"repository {full_name} not found at {api_url}, or the token cannot see it"
            ) from None
        except API_ERRORS as exc:
            raise ForgeError(f"cannot reach {full_name} at {api_url}: {error_text(exc)}") from None
        # Installation tokens (a workflow's GITHUB_TOKEN) get no "permissions" here; a user's
        # token does, and then a read-only one is caught before anything is attempted.
        permissions = self.repository.raw_data.get("permissions")
        if need_write and isinstance(permissions, dict) and not permissions.get("push"):
            raise ForgeError(
                f"the token can read {full_name} but not write to it; publishing needs contents, "
                "pull-requests and issues write access (in a workflow: `permissions: contents: "
                "write, pull-requests: write, issues: write`)"
            )

    @classmethod
    def from_environment(
        cls,
        repo: Path | None,
        settings: Settings,
        *,
        token: str | None = None,
        env: Mapping[str, str] | None = None,
        **options: Any,
    ) -> GitHubForge:
        """Token from ``token``/GITHUB_TOKEN/GH_TOKEN; repository and API URL from
        GITHUB_REPOSITORY/GITHUB_API_URL or the checkout's git remote."""
        environment = os.environ if env is None else env
        secret = resolve_token(token, environment)
        full_name, api_url = locate_repository(repo, environment)
        return cls(
            repo,
            settings,
            token=secret,
            full_name=full_name,
            api_url=api_url,
            env=environment,
            **options,
        )

    def close(self) -> None:
        self.client.close()

    # -- small helpers -------------------------------------------------------------------------

    @property
    def _owner(self) -> str:
        return self.full_name.split("/", 1)[0]

    @property
    def _checkout(self) -> Path:
        """The local checkout the fix commit is built from."""
        if self.repo is None:
            raise ForgeError("publishing needs the repository's checkout (--repo)")
        return self.repo

    def _node_retry(self, call: Callable[[], T]) -> T:
        """``call``, retried while GitHub cannot resolve a node it just created."""
        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception(_node_not_ready),
            stop=tenacity.stop_after_attempt(self._node_attempts),
            wait=tenacity.wait_exponential(multiplier=self._backoff, max=30),
            reraise=True,
        )
        return retrying(call)

    def _ref(self, branch: str) -> GitRef:
        """A GitRef for ``branch`` without a request (for edit and delete)."""
        url = f"{self.repository.url}/git/refs/heads/{urllib.parse.quote(branch, safe='/')}"
        return self.client.create_from_raw_data(GitRef, {"ref": f"refs/heads/{branch}", "url": url})

    def _delete_branch(self, branch: str) -> str | None:
        """Delete ``branch``; None when done (or already gone), else why not."""
        try:
            self._ref(branch).delete()
        except API_ERRORS as exc:
            if _status(exc) == 422 and "Reference does not exist" in error_text(exc):
                return None
            return error_text(exc)
        return None

    def _pulls_for(self, branch: str) -> list[PullRequest]:
        """PRs whose head is ``branch``, newest first, any state (one page)."""
        found = self.repository.get_pulls(
            state="all", head=f"{self._owner}:{branch}", sort="created", direction="desc"
        )
        return list(itertools.islice(found, 100))

    def _decision_log(self) -> str:
        env = self._env
        if env.get("GITHUB_RUN_ID") and env.get("GITHUB_SERVER_URL"):
            repository = env.get("GITHUB_REPOSITORY") or self.full_name
            run = f"{env['GITHUB_SERVER_URL']}/{repository}/actions/runs/{env['GITHUB_RUN_ID']}"
            return f"uploaded with [the workflow run]({run})"
        return f"`{self.settings.state_dir}/{self.settings.decision_log}` of the scoring run"

    def _result(
        self,
        outcome: Outcome,
        message: str,
        branch: str | None,
        commit: str | None,
        pr: PullRequest | None = None,
    ) -> PublishResult:
        return PublishResult(
            outcome,
            message,
            branch=branch,
            commit=commit,
            pr_number=pr.number if pr is not None else None,
            pr_url=pr.html_url if pr is not None else None,
        )

    # -- publish ----------------------------------------------------------------------------------

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
        base_ref = str(verdict.base.get("ref") or self.repository.default_branch)
        tree = gittree.patched_tree(
            self._checkout, base_sha, patch, allow_binary=self.settings.allow_binary
        )
        branch = BRANCH_PREFIX + verdict.identity
        try:
            pulls = self._pulls_for(branch)
        except API_ERRORS as exc:
            return self._result(
                Outcome.FAILED,
                f"cannot look up the PRs of {branch}: {error_text(exc)}; nothing was created",
                None,
                None,
            )
        open_pr = next((p for p in pulls if p.state == "open"), None)
        if open_pr is None:
            for pr in pulls:
                fields = read_marker(pr.body)
                if fields is None or fields.get("patch_sha256") != patch.sha256:
                    continue
                how = "merged" if pr.merged_at else "closed without merging (rejected)"
                return self._result(
                    Outcome.UNCHANGED,
                    f"PR #{pr.number} with this very patch was {how} before; not opened again",
                    branch,
                    pr.head.sha,
                    pr,
                )
        try:
            placed = self._place_branch(branch, tree, patch, open_pr)
        except API_ERRORS as exc:
            return self._result(
                Outcome.FAILED,
                f"could not write {branch}: {error_text(exc)}; no branch was created or moved",
                None,
                None,
                open_pr,
            )
        if placed.state == "foreign":
            if open_pr is None:
                return self._result(Outcome.NEEDS_REVIEW, placed.note, branch, placed.commit)
            return self._settle_foreign(open_pr, branch, placed)
        body = pr_body(verdict, self._decision_log(), commit=placed.commit)
        if open_pr is None:
            opened = self._open_pr(verdict, branch, base_ref, body, placed)
            if isinstance(opened, PublishResult):
                return opened
            return self._act(verdict, opened, placed, fresh=True, base_ref=base_ref)
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
            return self._result(
                Outcome.FAILED,
                f"{branch} is {placed.state} but PR #{open_pr.number}'s description could not be "
                f"updated: {error_text(exc)}",
                branch,
                placed.commit,
                open_pr,
            )
        return self._act(
            verdict, open_pr, placed, fresh=False, base_ref=open_pr.base.ref, refreshed=stale
        )

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
            self.repository.create_git_ref(f"refs/heads/{branch}", commit)
        except GithubException as exc:
            if exc.status != 422 or "Reference already exists" not in error_text(exc):
                raise
            tip = self.repository.get_git_ref(f"heads/{branch}").object.sha
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
        head = self.repository.get_git_commit(tip)
        parents = [p.sha for p in head.parents]
        if head.tree.sha == tree.tree and parents == [tree.base_sha]:
            return _Branch("unchanged", tip)
        foreign = self._foreign_reason(branch, head.message, parents, tree.base_sha)
        if foreign:
            return _Branch("foreign", tip, foreign)
        commit = commit or self._create_commit(tree, patch)
        # Our own single commit is replaced (force); anybody else's work never gets here.
        self._ref(branch).edit(commit, force=True)
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
                blob = self.repository.create_git_blob(base64.b64encode(data).decode(), "base64")
                entries.append(InputGitTreeElement(change.path, change.mode, "blob", sha=blob.sha))
        base_tree = self.client.create_from_raw_data(GitTree, {"sha": tree.base_tree})
        made = self.repository.create_git_tree(entries, base_tree)
        if made.sha != tree.tree:
            raise ForgeError(
                f"GitHub built tree {made.sha[:12]} where the checkout has {tree.tree[:12]}; "
                "nothing was published"
            )
        parent = self.client.create_from_raw_data(GitCommit, {"sha": tree.base_sha})
        return self.repository.create_git_commit(patch.commit_message, made, [parent]).sha

    def _open_pr(
        self, verdict: Verdict, branch: str, base_ref: str, body: str, placed: _Branch
    ) -> PullRequest | PublishResult:
        """Open the PR; on failure delete the branch (nothing half-made is left) and say so."""
        try:
            return self.repository.create_pull(
                base=base_ref, head=branch, title=pr_title(verdict), body=body
            )
        except API_ERRORS as exc:
            failure = exc
        text = error_text(failure)
        if "A pull request already exists" in text:  # a retried POST that had gone through
            try:
                found = next((p for p in self._pulls_for(branch) if p.state == "open"), None)
            except API_ERRORS:
                found = None
            if found is not None:
                return found
        hint = ACTIONS_MAY_NOT_OPEN_PRS if "not permitted to create" in text else ""
        left = self._delete_branch(branch)
        cleanup = (
            f"{branch} was deleted"
            if left is None
            else f"{branch} could not be deleted ({left}); delete it by hand"
        )
        return self._result(
            Outcome.FAILED,
            f"could not open a PR for {branch}: {text}{hint}; {cleanup}",
            branch if left is not None else None,
            placed.commit if left is not None else None,
        )

    def _settle_foreign(self, pr: PullRequest, branch: str, placed: _Branch) -> PublishResult:
        try:
            if pr.auto_merge is not None:  # it would merge commits nobody scored
                pr.disable_automerge()
            self._label(pr, review=True)
        except API_ERRORS as exc:
            return self._result(
                Outcome.FAILED,
                f"{placed.note}; PR #{pr.number} could not be labelled: {error_text(exc)}",
                branch,
                placed.commit,
                pr,
            )
        return self._result(
            Outcome.NEEDS_REVIEW,
            f"{placed.note}; PR #{pr.number} labelled for review",
            branch,
            placed.commit,
            pr,
        )

    def _settled(self, verdict: Verdict, pr: PullRequest) -> _Step | None:
        """The PR already is what the verdict asks (a re-run): the step it stands at, or None."""
        labels = {label.name.lower() for label in pr.labels}
        missing = [name for name in self.settings.labels if name.lower() not in labels]
        if missing:
            return None
        if self.settings.review_label.lower() in labels and pr.auto_merge is None:
            return _Step(Outcome.NEEDS_REVIEW, f"PR #{pr.number} waits for review", review=True)
        if verdict.decision is not PatchDecision.MANUAL_REVIEW and pr.auto_merge is not None:
            return _Step(Outcome.AUTO_MERGE_ARMED, f"PR #{pr.number} has auto-merge armed")
        return None

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
            return self._result(
                Outcome.UNCHANGED, f"{settled.message}; {done}", branch, placed.commit, pr
            )
        try:
            if verdict.decision is PatchDecision.AUTO_MERGE:
                step = (
                    self._arm_first(pr, placed.commit, base_ref)
                    if fresh
                    else self._merge_or_arm(pr, placed.commit, base_ref)
                )
            elif verdict.decision is PatchDecision.AUTO_MERGE_PR:
                step = self._arm_or_review(pr, placed.commit, base_ref)
            else:
                reasons = "; ".join(g.reason for g in verdict.gates[:2])
                step = _Step(
                    Outcome.NEEDS_REVIEW,
                    f"PR #{pr.number} needs review: "
                    f"{reasons or 'confidence below the PR threshold'}",
                    review=True,
                )
        except API_ERRORS as exc:
            step = _Step(
                Outcome.FAILED,
                f"PR #{pr.number} is open, but acting on it failed: {error_text(exc)}",
                review=True,
            )
        problems: list[str] = []
        try:
            if step.review and not fresh and pr.auto_merge is not None:
                pr.disable_automerge()
            self._label(pr, review=step.review)
        except API_ERRORS as exc:
            problems.append(f"labels could not be set: {error_text(exc)}")
        if problems and step.outcome is not Outcome.FAILED:
            message = f"PR #{pr.number} is open ({step.outcome}), but {problems[0]}"
            return self._result(Outcome.FAILED, message, branch, placed.commit, pr)
        if step.outcome is Outcome.FAILED:
            tail = problems or [f"PR #{pr.number} is labelled for review"]
            message = "; ".join([step.message, *tail])
            return self._result(Outcome.FAILED, message, branch, placed.commit, pr)
        if placed.state == "updated" and not fresh and step.outcome is not Outcome.MERGED:
            return self._result(
                Outcome.UPDATED,
                f"{branch} updated to this patch; {step.message}",
                branch,
                placed.commit,
                pr,
            )
        return self._result(step.outcome, step.message, branch, placed.commit, pr)

    def _label(self, pr: PullRequest, *, review: bool) -> None:
        """Add the missing labels in one call (GitHub creates unknown ones); drop the review
        label when the PR no longer needs review."""
        present = {label.name.lower() for label in pr.labels}
        wanted = [*self.settings.labels, *([self.settings.review_label] if review else [])]
        missing = [name for name in dict.fromkeys(wanted) if name.lower() not in present]
        if missing:
            self._node_retry(lambda: pr.add_to_labels(*missing))
        if not review and self.settings.review_label.lower() in present:
            self._drop_review_label(pr)

    def _drop_review_label(self, pr: PullRequest) -> None:
        try:
            pr.remove_from_labels(self.settings.review_label)
        except GithubException as exc:
            if exc.status != 404:  # "Label does not exist": someone removed it already
                raise

    # -- the merge-state machine -------------------------------------------------------------

    def _arm(self, pr: PullRequest, head: str, base_ref: str) -> _Step | None:
        """Arm auto-merge pinned to ``head``; None when GitHub says nothing is pending (the
        PR is mergeable right now, so auto-merge would merge it at once)."""
        method = self.settings.merge_method
        try:
            self._node_retry(
                lambda: pr.enable_automerge(merge_method=method.upper(), expected_head_oid=head)
            )
        except GithubException as exc:
            text = error_text(exc)
            lowered = text.lower()
            if "clean status" in lowered or "unstable status" in lowered:
                return None
            if "auto merge is not allowed" in lowered:
                return _Step(
                    Outcome.NEEDS_REVIEW,
                    f"PR #{pr.number} labelled for review: auto-merge is off in "
                    f"{self.full_name}; turn on Settings → General → Pull Requests → “Allow "
                    "auto-merge”",
                    review=True,
                    unguarded=True,
                )
            if "protected branch rules not configured" in lowered:
                return _Step(
                    Outcome.NEEDS_REVIEW,
                    f"PR #{pr.number} labelled for review: {base_ref} has no branch protection; "
                    f"add a branch protection rule or ruleset on {base_ref} that requires status "
                    "checks, so auto-merge waits for CI",
                    review=True,
                    unguarded=True,
                )
            if "head branch was modified" in lowered:
                return _Step(
                    Outcome.NEEDS_REVIEW,
                    f"PR #{pr.number} labelled for review: its branch moved while error-fix "
                    "armed auto-merge (someone pushed)",
                    review=True,
                )
            return _Step(
                Outcome.FAILED,
                f"PR #{pr.number} is open, but auto-merge could not be armed: {text}",
                review=True,
            )
        return _Step(
            Outcome.AUTO_MERGE_ARMED,
            f"PR #{pr.number}: auto-merge ({method}) armed; it merges when {base_ref}'s "
            "required checks pass",
        )

    def _arm_or_review(self, pr: PullRequest, head: str, base_ref: str) -> _Step:
        """auto_merge_pr: arm auto-merge; a PR with nothing pending is never merged blind."""
        step = self._arm(pr, head, base_ref)
        if step is not None:
            return step
        return _Step(
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

    def _mergeable_state(self, number: int) -> str:
        """GitHub's mergeable_state, re-read while GitHub is still computing it."""
        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_result(lambda state: state == "unknown"),
            stop=tenacity.stop_after_attempt(self._mergeability_reads),
            wait=tenacity.wait_exponential(multiplier=self._backoff, max=10),
            retry_error_callback=lambda attempt: "unknown",
        )
        state: str = retrying(lambda: self.repository.get_pull(number).mergeable_state)
        return state

    def _arm_first(self, pr: PullRequest, head: str, base_ref: str) -> _Step:
        """auto_merge on a PR opened just now: its checks cannot have run, so a merge attempt
        would be refused; arm auto-merge first (one request). Only when GitHub says nothing is
        pending, or nothing would gate the merge, merge directly — the decision allows it."""
        step = self._arm(pr, head, base_ref)
        if step is None or step.unguarded:
            return self._merge_or_arm(pr, head, base_ref)
        return step

    def _merge_or_arm(self, pr: PullRequest, head: str, base_ref: str) -> _Step:
        """auto_merge (and an approval): merge now with the head-sha guard when GitHub lets us,
        else arm auto-merge; a conflict or a moved head goes to review."""
        merged = f"PR #{pr.number} merged into {base_ref} ({self.settings.merge_method})"
        refused = self._merge(pr, head)
        if refused is not None and "Base branch was modified" in error_text(refused):
            refused = self._merge(pr, head)  # the base moved during the merge: GitHub says retry
        if refused is None:
            return _Step(Outcome.MERGED, merged)
        if refused.status == 409:
            return _Step(
                Outcome.NEEDS_REVIEW,
                f"PR #{pr.number} labelled for review: its branch moved (someone pushed), so it "
                f"was not merged ({error_text(refused)})",
                review=True,
            )
        if refused.status not in (405, 422):
            return _Step(
                Outcome.FAILED, f"merging PR #{pr.number} failed: {error_text(refused)}", True
            )
        state = self._mergeable_state(pr.number)
        if state == "dirty":
            return _Step(
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
            return _Step(Outcome.MERGED, merged)
        return _Step(
            Outcome.FAILED,
            f"PR #{pr.number} could not be merged: {error_text(again)}; first refusal: "
            f"{error_text(refused)}",
            review=True,
        )

    # -- the review queue ---------------------------------------------------------------------

    def queue(self) -> list[QueueEntry]:
        """Open PRs carrying the review label and error-fix's marker, oldest first (every page
        of the Issues API, 100 per request)."""
        issues = self.repository.get_issues(
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
            pr = self.repository.get_pull(int(number))
            state, head_ref, merged = pr.state, pr.head.ref, pr.merged
        except UnknownObjectException:
            raise ForgeError(f"there is no PR #{number} in {self.full_name}") from None
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
            step = self._merge_or_arm(pr, head, pr.base.ref)
            if step.outcome not in (Outcome.MERGED, Outcome.AUTO_MERGE_ARMED):
                return self._result(
                    Outcome.FAILED,
                    f"not approved: {step.message}; PR #{pr.number} stays in the review queue",
                    branch,
                    head,
                    pr,
                )
            if self.settings.review_label.lower() in {label.name.lower() for label in pr.labels}:
                self._drop_review_label(pr)
            pr.create_issue_comment(f"Approved by {who} through error-fix: {step.message}.")
        except API_ERRORS as exc:
            return self._result(
                Outcome.FAILED,
                f"approving PR #{pr.number} failed part way: {error_text(exc)}",
                branch,
                head,
                pr,
            )
        return self._result(step.outcome, f"approved by {who}; {step.message}", branch, head, pr)

    # -- metrics and the backlog ---------------------------------------------------------------

    def fix_history(self) -> list[FixRecord]:
        """Every error-fix PR (its branch and marker), newest first, one paginated listing.

        decided_at is when the PR was opened (right after the first decision); a fix decided
        manual_review counts as merged by a human (someone approved it)."""
        records: list[FixRecord] = []
        for pr in self.repository.get_pulls(state="all", sort="created", direction="desc"):
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
            for issue in self.repository.get_issues(state="open", labels=[BACKLOG_LABEL])
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
        created = self.repository.create_issue(
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
            return self._result(
                Outcome.FAILED,
                f"rejecting PR #{pr.number} failed: {error_text(exc)}",
                branch,
                head,
                pr,
            )
        left = self._delete_branch(branch)
        if left is not None:
            return self._result(
                Outcome.FAILED,
                f"PR #{pr.number} closed, but {branch} could not be deleted: {left}",
                branch,
                head,
                pr,
            )
        return self._result(
            Outcome.REJECTED,
            f"rejected by {who}: {reason.strip()}; PR #{pr.number} closed, {branch} deleted",
            branch,
            head,
            pr,
        )


BACKLOG_TITLE = "Review queue backlog"
BACKLOG_LABEL = "error-fix:backlog"


def _aware(moment: dt.datetime | None) -> dt.datetime | None:
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment


def _as_text(data: bytes) -> str | None:
    """``data`` as a string GitHub stores byte for byte (inline tree content), else None."""
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None
