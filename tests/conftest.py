"""Fixtures shared across test layers: the loopback fake GitHub, a repository on it, a checkout."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from error_fix import proc
from error_fix.forge.github import GitHubForge
from tests.fakes.github_server import FakeGitHub, FakeRepo
from tests.integration.github_helpers import FAST, REPO, clone, fake_github, make_remote


@pytest.fixture(autouse=True)
def tools_may_start() -> None:
    """A test that failed inside a workspace cancelled every later tool run in its process (as a
    signal would); the next test starts from a clean slate, as each scoring run does."""
    proc.reset_cancel()


@pytest.fixture
def gh(tmp_path: Path) -> Iterator[FakeGitHub]:
    """The fake GitHub, checked on the way out (no crash in it, no unknown route asked for)."""
    with fake_github(tmp_path / "github") as fake:
        yield fake


@pytest.fixture
def remote(gh: FakeGitHub) -> FakeRepo:
    """acme/app on the fake, holding the sample calculator project."""
    return make_remote(gh)


@pytest.fixture
def checkout(tmp_path: Path, remote: FakeRepo) -> Path:
    """A local clone of the remote (local and remote share the base commit)."""
    return clone(remote, tmp_path / "checkout")


@pytest.fixture
def github_env(gh: FakeGitHub, monkeypatch: pytest.MonkeyPatch) -> FakeGitHub:
    """The environment of a workflow step that talks to the fake: GITHUB_API_URL, _REPOSITORY and
    _TOKEN set, nothing from the caller's own Actions or proxy settings; the forge's production
    pacing (throttle, back-off) dropped so the command line runs at test speed."""
    for name in (
        "GH_TOKEN",
        "GITHUB_ACTIONS",
        "GITHUB_RUN_ID",
        "GITHUB_ACTOR",
        "ERROR_FIX_SLACK_WEBHOOK_URL",
        "SLACK_WEBHOOK_URL",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "http_proxy",
        "https_proxy",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setenv("GITHUB_API_URL", gh.api_url)
    monkeypatch.setenv("GITHUB_REPOSITORY", REPO)
    monkeypatch.setenv("GITHUB_TOKEN", gh.write_token)
    for option, value in FAST.items():
        monkeypatch.setitem(GitHubForge.__init__.__kwdefaults__, option, value)
    return gh


@pytest.fixture
def no_slack(monkeypatch: pytest.MonkeyPatch) -> None:
    """No Slack webhook from the caller's environment: alerts are only logged."""
    for name in ("SLACK_WEBHOOK_URL", "ERROR_FIX_SLACK_WEBHOOK_URL"):
        monkeypatch.delenv(name, raising=False)
