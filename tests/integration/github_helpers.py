"""Shared set-up for tests of the GitHub forge: the loopback fake GitHub, a real checkout cloned
from its bare repository (so local and remote share the base commit), patches and verdicts."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from github import Auth, Github

from error_fix.config import Settings
from error_fix.decision import PatchDecision, Verdict
from error_fix.forge.github import GitHubForge
from error_fix.patch import ErrorInfo, Patch, parse_patch
from error_fix.scorers.interface import Gate
from tests.fakes.github_server import FakeGitHub, FakeRepo
from tests.sample import CALC, DIVIDE_FIX, dedent, git, write_files

REPO = "acme/app"
ONE_FILE_FIX = {"src/calc/ops.py": DIVIDE_FIX["src/calc/ops.py"]}
"""The divide-by-zero fix as a one-file patch."""

FAST = {
    "retries": 3,
    "backoff": 0.0,
    "seconds_between_requests": 0.0,
    "seconds_between_writes": 0.0,
    "timeout": 10.0,
}
"""Client options that keep tests fast: no throttle, retries without waiting."""


@contextmanager
def fake_github(root: Path) -> Iterator[FakeGitHub]:
    """The fake, checked on the way out: no crash in it, no request it did not know."""
    with FakeGitHub(root) as fake:
        yield fake
    assert not fake.crashes, fake.crashes[0]
    unknown = [r for r in fake.unmatched_requests() if r.status != 401]  # 401: no route tried
    assert not unknown, unknown


def make_remote(gh: FakeGitHub, name: str = REPO) -> FakeRepo:
    return gh.create_repo(name, files={path: dedent(text) for path, text in CALC.items()})


def clone(remote: FakeRepo, where: Path) -> Path:
    subprocess.run(
        ["git", "clone", "--quiet", str(remote.git_dir), str(where)],
        check=True,
        capture_output=True,
    )
    return where


def diff_for(checkout: Path, files: dict[str, str | None]) -> bytes:
    """The ``git diff`` turning the checkout's HEAD into HEAD + ``files``; the checkout is reset."""
    write_files(checkout, files)
    git(checkout, "add", "--all")
    diff = subprocess.run(
        ["git", "-C", str(checkout), "diff", "--cached", "--binary", "HEAD"],
        capture_output=True,
        check=True,
    ).stdout
    git(checkout, "reset", "--quiet", "--hard", "HEAD")
    return diff


def make_patch(
    checkout: Path, files: dict[str, str | None], error_id: str | None = "div-zero"
) -> Patch:
    error = ErrorInfo(id=error_id, title="ZeroDivisionError in divide") if error_id else None
    return parse_patch(
        diff_for(checkout, files), max_bytes=1 << 20, allow_binary=True, protected=(), error=error
    )


def make_verdict(
    checkout: Path, patch: Patch, decision: PatchDecision, base: str | None = None
) -> Verdict:
    gates = (
        (Gate("regression", "1 test(s) pass on the base and fail patched: test_add"),)
        if decision is PatchDecision.MANUAL_REVIEW
        else ()
    )
    overall = {"auto_merge": 0.97, "auto_merge_pr": 0.86}.get(str(decision), 0.5)
    ok = {"status": "ok", "score": 1.0, "findings": [], "preexisting": 0, "duration_s": 0.1}
    return Verdict(
        decision=decision,
        patch={"sha256": patch.sha256, "identity": patch.identity, "title": patch.title},
        base={"sha": base or git(checkout, "rev-parse", "HEAD").strip(), "ref": "main"},
        confidence={"overall": overall},
        gates=gates,
        scorers={
            "tests": {**ok, "reason": "12 passed"},
            "lint": ok,
            "types": ok,
            "security": ok,
            "coverage": {**ok, "score": 0.6},
        },
        tests={
            "fail_to_pass": ["tests/test_ops.py::test_divide_by_zero"],
            "proof": "1 test(s) fail on the base and pass patched",
        },
        reason="refused" if decision is PatchDecision.REJECTED else None,
    )


def connect(
    gh: FakeGitHub,
    checkout: Path | None,
    settings: Settings | None = None,
    *,
    full_name: str = REPO,
    **options: Any,
) -> GitHubForge:
    kwargs: dict[str, Any] = {**FAST, "token": gh.write_token, **options}
    return GitHubForge(
        checkout, settings or Settings(), full_name=full_name, api_url=gh.api_url, **kwargs
    )


def api(gh: FakeGitHub) -> Github:
    """A PyGithub client for test set-up and inspection, without PyGithub's throttling."""
    return Github(
        auth=Auth.Token(gh.write_token),
        base_url=gh.api_url,
        seconds_between_requests=0,
        seconds_between_writes=0,
    )


def route_regex(template: str, full_name: str | None = None) -> str:
    """A fault regex matching exactly the requests of one route template (of one repository)."""
    if template == "graphql":
        return r"^/api/graphql$"
    owner, _, name = (full_name or "").partition("/")
    fixed = {"owner": owner, "repo": name} if full_name else {}
    greedy = {"ref", "branch", "path", "name"}
    out = ""
    for piece in re.split(r"(\{\w+\})", template):
        param = piece[1:-1] if piece.startswith("{") else None
        if param in fixed:
            out += re.escape(fixed[param])
        elif param is not None:
            out += ".+" if param in greedy else "[^/]+"
        else:
            out += re.escape(piece)
    return f"^/api/v3{out}$"


def routes_used(gh: FakeGitHub) -> list[tuple[str, str]]:
    """(method, template) of every route served so far, in first-use order."""
    seen: dict[tuple[str, str], None] = {}
    for record in gh.requests():
        if record.template is not None:
            seen[(record.method, record.template)] = None
    return list(seen)
