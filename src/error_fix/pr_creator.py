"""PRCreator: open an auto-merge pull request for a patch whose confidence the caller already has.

It is the GitHub forge's publish with an ``auto_merge_pr`` decision: the fix commit is built
through the Git Data API from the local checkout (no token reaches git), one branch per patch
identity (a re-run updates the same PR), GitHub's answers retried, and the branch deleted when
no PR could be opened. Auto-merge is armed through GraphQL, pinned to the fix commit; where
nothing would gate the merge (no required check pending, auto-merge off) the PR is labelled for
review instead of being merged blind, and ``auto_merge_enabled`` is False.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .confidence import FIELDS, ConfidenceScore
from .config import COMPONENTS, Settings, load_settings
from .decision import PatchDecision, Verdict
from .forge.choice import HoldsForge
from .forge.github import (
    API_ERRORS,
    GitHubForge,
    error_text,
    locate_repository,
    resolve_token,
)
from .forge.interface import ForgeError, Outcome, PublishResult
from .patch import Patch, PatchRejected, read_patch
from .proc import GitError
from .workspace import WorkspaceError, resolve_repo


class PRCreator(HoldsForge):
    """Opens pull requests on ``repo_owner/repo_name``, on github.com or at GITHUB_API_URL.

    The token is ``token``, else GITHUB_TOKEN, else GH_TOKEN; without one, or when the
    repository cannot be reached with it, the constructor raises ValueError. The fix commit is
    built from the git checkout at ``repo_path`` (default: the current directory), which must
    hold the base branch's tip. Settings (labels, merge method) come from its
    ``[tool.error-fix]`` unless given.
    """

    _forge: GitHubForge

    def __init__(
        self,
        repo_owner: str,
        repo_name: str,
        token: str | None = None,
        *,
        repo_path: str | os.PathLike[str] | None = None,
        settings: Settings | None = None,
    ) -> None:
        try:
            secret = resolve_token(token, os.environ)
        except ForgeError:
            raise ValueError(
                f"no GitHub token for {repo_owner}/{repo_name}: pass token=..., or set "
                "GITHUB_TOKEN (or GH_TOKEN)"
            ) from None
        checkout: Path | None
        try:
            checkout = resolve_repo(Path(repo_path) if repo_path is not None else Path.cwd())
        except WorkspaceError:
            checkout = None  # said when a PR is asked for: the connection needs no checkout
        self.settings = settings or load_settings(checkout)
        environment = {**os.environ, "GITHUB_REPOSITORY": f"{repo_owner}/{repo_name}"}
        try:
            full_name, api_url = locate_repository(None, environment)
            self._forge = GitHubForge(
                checkout, self.settings, token=secret, full_name=full_name, api_url=api_url
            )
        except ForgeError as exc:
            raise ValueError(f"GitHub repository {repo_owner}/{repo_name}: {exc}") from None
        self.full_name = full_name
        """owner/name of the repository."""

    def create_pr_with_auto_merge(
        self,
        patch_path: str | os.PathLike[str],
        confidence: Mapping[str, Any],
        base_branch: str = "main",
    ) -> dict[str, Any]:
        """Open (or update) the PR for the patch against ``base_branch`` and arm auto-merge.

        ``confidence`` is a ConfidenceScore's ``to_dict()``: the five fields, and ``overall``
        (computed from them when missing). Returns ``{"status": "pr_created", "pr_number",
        "pr_url", "branch", "auto_merge_enabled", "message"}``, or ``{"status": "failed",
        "error", "branch"}`` with ``branch`` None when nothing is left on GitHub (a branch
        with commits someone else made is left as it was, and named).
        """
        path = Path(patch_path)
        settings = self.settings
        try:
            patch = read_patch(
                path,
                max_bytes=settings.max_patch_bytes,
                allow_binary=settings.allow_binary,
                protected=settings.protected_globs(self._forge.repo),
            )
        except PatchRejected as exc:
            return _failed(str(exc))
        if self._forge.repo is None:
            return _failed(
                "PRCreator builds the fix commit from a git checkout of "
                f"{self.full_name}; run it inside one or pass repo_path="
            )
        try:
            base_sha = self._forge.repository.get_branch(base_branch).commit.sha
        except API_ERRORS as exc:
            return _failed(
                f"cannot read branch {base_branch} of {self.full_name}: {error_text(exc)}"
            )
        verdict = _verdict(path, patch, confidence, base_sha, base_branch)
        try:
            result = self._forge.publish(verdict, patch)
        except (ForgeError, GitError) as exc:
            return _failed(str(exc))
        return self._answer(result)

    def _answer(self, result: PublishResult) -> dict[str, Any]:
        if result.pr_number is None or result.outcome is Outcome.FAILED:
            return _failed(result.message, result.branch, result.pr_number, result.pr_url)
        armed = result.outcome in (Outcome.AUTO_MERGE_ARMED, Outcome.MERGE_QUEUED)
        if result.outcome in (Outcome.UNCHANGED, Outcome.UPDATED):
            try:
                pr = self._forge.repository.get_pull(result.pr_number)
                state, armed = pr.state, pr.auto_merge is not None
            except API_ERRORS as exc:
                return _failed(
                    f"{result.message}; reading PR #{result.pr_number} back failed: "
                    f"{error_text(exc)}",
                    result.branch,
                    result.pr_number,
                    result.pr_url,
                )
            if state != "open":  # this very patch was merged or rejected before
                return _failed(result.message, None, result.pr_number, result.pr_url)
        return {
            "status": "pr_created",
            "pr_number": result.pr_number,
            "pr_url": result.pr_url,
            "branch": result.branch,
            "auto_merge_enabled": armed,
            "message": result.message,
            "commit": result.commit,
        }


def _failed(
    error: str,
    branch: str | None = None,
    pr_number: int | None = None,
    pr_url: str | None = None,
) -> dict[str, Any]:
    return {
        "status": "failed",
        "error": error,
        "branch": branch,
        "pr_number": pr_number,
        "pr_url": pr_url,
    }


def _verdict(
    path: Path, patch: Patch, confidence: Mapping[str, Any], base_sha: str, base_branch: str
) -> Verdict:
    """An auto_merge_pr verdict carrying the caller's scores (the PR body's confidence table)."""
    try:
        scores: dict[str, Any] = {
            attr: float(confidence.get(attr, 0.0)) for attr in FIELDS.values()
        }
        given = confidence.get("overall")
        overall = ConfidenceScore(**scores).overall if given is None else float(given)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"confidence must map the score fields to numbers: {exc}") from None
    by_scorer = {name: scores[FIELDS[name]] for name in COMPONENTS}
    return Verdict(
        decision=PatchDecision.AUTO_MERGE_PR,
        patch={
            "sha256": patch.sha256,
            "identity": patch.identity,
            "title": path.stem,
            "subject": patch.subject,
        },
        base={"sha": base_sha, "ref": base_branch},
        confidence={**{k: round(v, 4) for k, v in scores.items()}, "overall": round(overall, 4)},
        scorers={
            name: {
                "status": "ok",
                "score": score,
                "findings": [],
                "preexisting": 0,
                "reason": "scored by the caller",
            }
            for name, score in by_scorer.items()
        },
        tests={"proof": "not checked here: the confidence was given by the caller"},
        error=patch.error.to_dict() if patch.error else None,
        notes=patch.notes,
    )
