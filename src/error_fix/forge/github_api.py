"""The GitHub forge's transport: where the repository is and with which token, the PyGithub
client with its retries and pacing, GraphQL calls retried through GitHub's eventual consistency,
and one-line error texts.

5xx and rate limits are retried by PyGithub's ``GithubRetry`` (honouring ``Retry-After``; PATCH
added to its methods, since every PATCH error-fix sends is idempotent); requests are paced by
PyGithub's throttles (GitHub's advice for secondary rate limits). GitHub's eventual consistency
right after a PR is created ("Could not resolve to a node") is retried with tenacity.
"""

from __future__ import annotations

import itertools
import re
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import requests
import tenacity
from github import (
    Auth,
    BadCredentialsException,
    Github,
    GithubException,
    GithubRetry,
    UnknownObjectException,
)
from github.GitRef import GitRef
from github.PullRequest import PullRequest
from github.Repository import Repository
from urllib3 import Retry

from .. import __version__, proc
from .interface import ForgeError

DEFAULT_API_URL = "https://api.github.com"
TOKEN_VARIABLES = ("GITHUB_TOKEN", "GH_TOKEN")
API_ERRORS = (GithubException, requests.RequestException)
"""What a PyGithub call raises: GitHub's answer, or a transport failure left after retries."""

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


def status_of(exc: BaseException) -> int | None:
    return exc.status if isinstance(exc, GithubException) else None


def merge_queue_refusal(exc: BaseException) -> bool:
    """GitHub refused a direct merge because the base branch requires a merge queue (405
    "Repository rule violations found … Changes must be made through the merge queue")."""
    return status_of(exc) == 405 and "merge queue" in error_text(exc).lower()


def node_not_ready(exc: BaseException) -> bool:
    """GitHub has not finished creating the PR everywhere yet (eventual consistency)."""
    return isinstance(exc, GithubException) and "Could not resolve to a node" in error_text(exc)


# ---------------------------------------------------------------------------------------------
# The client


@dataclass(frozen=True)
class AutoMergeAnswer:
    """What GitHub answered when auto-merge was armed on a PR."""

    merge_queue: bool
    """The base branch requires a merge queue: armed auto-merge is "merge when ready" there
    (the PR joins the queue once its checks pass)."""
    queue_position: int | None
    """The PR's place in the merge queue when GitHub queued it at once (nothing was pending)."""


_QUEUE_FIELDS = "pullRequest { isMergeQueueEnabled mergeQueueEntry { position } }"
"""What the auto-merge mutation reads back about the merge queue (no request of its own)."""


@dataclass(frozen=True)
class ClientOptions:
    """How the client talks to GitHub (GitHubForge's keyword arguments set them)."""

    need_write: bool
    """Fail at connection when the token cannot write to the repository."""
    retries: int
    """GithubRetry's attempts for 5xx answers and rate limits (honouring Retry-After)."""
    backoff: float
    """Back-off factor of GithubRetry and of the tenacity retries (0 in tests)."""
    seconds_between_requests: float
    """PyGithub's pacing of all requests (GitHub's advice for secondary rate limits)."""
    seconds_between_writes: float
    """PyGithub's pacing of writes."""
    timeout: float
    """Seconds per request."""
    node_attempts: int
    """Attempts while GitHub cannot resolve a node it just created."""
    mergeability_reads: int
    """Reads of a PR's mergeable_state while GitHub is still computing it."""


class GitHubClient:
    """One repository on GitHub (or GitHub Enterprise Server), reached through PyGithub."""

    def __init__(
        self,
        *,
        token: str,
        full_name: str,
        api_url: str,
        options: ClientOptions,
        checks_token: str | None = None,
    ) -> None:
        """Connect and check, failing fast: the token works, the repository is reachable with
        it, and (with ``options.need_write``) the token may write to it. ``checks_token`` writes
        the check runs (only GitHub App tokens can, a workflow's GITHUB_TOKEN among them; a PAT
        cannot); by default ``token`` does."""
        self.full_name = full_name
        self.api_url = api_url
        self.backoff = options.backoff
        self._node_attempts = max(1, options.node_attempts)
        self._mergeability_reads = max(1, options.mergeability_reads)
        retry = GithubRetry(
            total=options.retries,
            backoff_factor=options.backoff,
            allowed_methods=Retry.DEFAULT_ALLOWED_METHODS | {"GET", "POST", "PATCH"},
        )

        def connect(secret: str, *, lazy: bool = False) -> Github:
            return Github(
                auth=Auth.Token(secret),
                lazy=lazy,
                base_url=api_url,
                retry=retry,
                timeout=max(1, int(options.timeout)),
                per_page=100,
                user_agent=f"error-fix/{__version__}",
                seconds_between_requests=options.seconds_between_requests,
                seconds_between_writes=options.seconds_between_writes,
            )

        self.client = connect(token)
        # Lazy: its repository object is made without a request.
        self.checks_client = connect(checks_token, lazy=True) if checks_token else self.client
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
        if options.need_write and isinstance(permissions, dict) and not permissions.get("push"):
            raise ForgeError(
                f"the token can read {full_name} but not write to it; publishing needs contents, "
                "pull-requests and issues write access (in a workflow: `permissions: contents: "
                "write, pull-requests: write, issues: write`)"
            )

    @property
    def checks_repository(self) -> Repository:
        """The repository as the check-run token sees it (no request)."""
        if self.checks_client is self.client:
            return self.repository
        return self.checks_client.get_repo(self.full_name)

    def close(self) -> None:
        self.client.close()
        if self.checks_client is not self.client:
            self.checks_client.close()

    @property
    def owner(self) -> str:
        return self.full_name.split("/", 1)[0]

    def node_retry(self, call: Callable[[], T]) -> T:
        """``call``, retried while GitHub cannot resolve a node it just created."""
        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception(node_not_ready),
            stop=tenacity.stop_after_attempt(self._node_attempts),
            wait=tenacity.wait_exponential(multiplier=self.backoff, max=30),
            reraise=True,
        )
        return retrying(call)

    def ref(self, branch: str) -> GitRef:
        """A GitRef for ``branch`` without a request (for edit and delete)."""
        url = f"{self.repository.url}/git/refs/heads/{urllib.parse.quote(branch, safe='/')}"
        return self.client.create_from_raw_data(GitRef, {"ref": f"refs/heads/{branch}", "url": url})

    def delete_branch(self, branch: str) -> str | None:
        """Delete ``branch``; None when done (or already gone), else why not."""
        try:
            self.ref(branch).delete()
        except API_ERRORS as exc:
            if status_of(exc) == 422 and "Reference does not exist" in error_text(exc):
                return None
            return error_text(exc)
        return None

    def pulls_for(self, branch: str) -> list[PullRequest]:
        """PRs whose head is ``branch``, newest first, any state (one page)."""
        found = self.repository.get_pulls(
            state="all", head=f"{self.owner}:{branch}", sort="created", direction="desc"
        )
        return list(itertools.islice(found, 100))

    def _mutation(self, name: str, payload: dict[str, object], fields: str) -> dict[str, object]:
        """One GraphQL mutation, retried while GitHub cannot resolve a node it just created."""
        requester = self.client.requester
        _, data = self.node_retry(lambda: requester.graphql_named_mutation(name, payload, fields))
        return data if isinstance(data, dict) else {}

    def enable_automerge(self, pr: PullRequest, method: str, head: str) -> AutoMergeAnswer:
        """GraphQL ``enablePullRequestAutoMerge``, pinned to ``head``."""
        payload = {"pullRequestId": pr.node_id, "mergeMethod": method.upper()}
        data = self._mutation(
            "enablePullRequestAutoMerge",
            {**payload, "expectedHeadOid": head},
            f"clientMutationId {_QUEUE_FIELDS}",
        )
        pull = data.get("pullRequest")
        pull = pull if isinstance(pull, dict) else {}
        entry = pull.get("mergeQueueEntry")
        position = entry.get("position") if isinstance(entry, dict) else None
        return AutoMergeAnswer(
            merge_queue=pull.get("isMergeQueueEnabled") is True,
            queue_position=position if isinstance(position, int) else None,
        )

    def enqueue(self, pr: PullRequest, head: str) -> int | None:
        """GraphQL ``enqueuePullRequest``, pinned to ``head`` (the queue's ruleset picks the
        merge method); the PR's place in the queue."""
        data = self._mutation(
            "enqueuePullRequest",
            {"pullRequestId": pr.node_id, "expectedHeadOid": head},
            "clientMutationId mergeQueueEntry { position state }",
        )
        entry = data.get("mergeQueueEntry")
        position = entry.get("position") if isinstance(entry, dict) else None
        return position if isinstance(position, int) else None

    def mergeable_state(self, number: int) -> str:
        """GitHub's mergeable_state, re-read while GitHub is still computing it."""
        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_result(lambda state: state == "unknown"),
            stop=tenacity.stop_after_attempt(self._mergeability_reads),
            wait=tenacity.wait_exponential(multiplier=self.backoff, max=10),
            retry_error_callback=lambda attempt: "unknown",
        )
        state: str = retrying(lambda: self.repository.get_pull(number).mergeable_state)
        return state
