"""The GitHub forge: a verdict becomes a branch, a pull request, labels and a merge (PyGithub).

Three rooms behind one Forge:

- github_api.py — the transport: repository and token lookup, the PyGithub client with
  GithubRetry (5xx, rate limits, ``Retry-After``) and pacing, GraphQL retried through GitHub's
  eventual consistency, one-line error texts;
- github_publish.py (with the merge-state machine in github_merge.py) — verdict → commit,
  branch, PR, auto-merge or merge, labels; idempotent per patch identity;
- github_queue.py — the review queue (approve, reject), the fix history, the backlog issue.

The names other modules use are importable from here.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..config import Settings
from ..decision import Verdict
from ..patch import Patch
from .github_api import (
    API_ERRORS,
    DEFAULT_API_URL,
    TOKEN_VARIABLES,
    ClientOptions,
    GitHubClient,
    RemoteAddress,
    error_text,
    locate_repository,
    parse_remote,
    resolve_token,
)
from .github_merge import MergeMachine
from .github_publish import ACTIONS_MAY_NOT_OPEN_PRS, Publisher
from .github_queue import BACKLOG_LABEL, BACKLOG_TITLE, ReviewQueue
from .interface import FixRecord, Forge, PublishResult, QueueEntry, QueueMetrics

__all__ = [
    "ACTIONS_MAY_NOT_OPEN_PRS",
    "API_ERRORS",
    "BACKLOG_LABEL",
    "BACKLOG_TITLE",
    "DEFAULT_API_URL",
    "TOKEN_VARIABLES",
    "GitHubForge",
    "RemoteAddress",
    "error_text",
    "locate_repository",
    "parse_remote",
    "resolve_token",
]


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
        checks_token: str | None = None,
    ) -> None:
        """Connect and check, failing fast: the token works, the repository is reachable with
        it, and (with ``need_write``) the token may write to it.

        ``retries``/``backoff`` drive GithubRetry (5xx, rate limits) and the tenacity retries;
        the ``seconds_between_*`` throttles are PyGithub's (GitHub's advice for secondary rate
        limits). Tests set backoff and throttles to 0. ``checks_token`` writes the check runs
        (a workflow's GITHUB_TOKEN when the PRs are opened with a PAT, which cannot).
        """
        self.repo = repo
        self.settings = settings
        self.full_name = full_name
        self.api_url = api_url
        options = ClientOptions(
            need_write,
            retries,
            backoff,
            seconds_between_requests,
            seconds_between_writes,
            timeout,
            node_attempts,
            mergeability_reads,
        )
        self.api = GitHubClient(
            token=token,
            full_name=full_name,
            api_url=api_url,
            options=options,
            checks_token=checks_token,
        )
        self.client = self.api.client
        self.repository = self.api.repository
        merges = MergeMachine(self.api, settings)
        environment = dict(os.environ if env is None else env)
        self._publisher = Publisher(self.api, settings, repo, environment, merges)
        self._queue = ReviewQueue(self.api, settings, repo, merges)

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
        self.api.close()

    def publish(self, verdict: Verdict, patch: Patch) -> PublishResult:
        return self._publisher.publish(verdict, patch)

    def queue(self) -> list[QueueEntry]:
        return self._queue.queue()

    def approve(self, entry_id: str, who: str) -> PublishResult:
        return self._queue.approve(entry_id, who)

    def reject(self, entry_id: str, reason: str, who: str) -> PublishResult:
        return self._queue.reject(entry_id, reason, who)

    def fix_history(self) -> list[FixRecord]:
        return self._queue.fix_history()

    def reverted_commits(self, commits: set[str]) -> set[str]:
        return self._queue.reverted_commits(commits)

    def report_backlog(self, metrics: QueueMetrics, entries: list[QueueEntry]) -> str | None:
        return self._queue.report_backlog(metrics, entries)
