"""Which GitHub repository, API and token the GitHub forge uses, and how its errors read."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import requests
from github import GithubException, UnknownObjectException

from error_fix.forge.github import error_text, locate_repository, parse_remote, resolve_token
from error_fix.forge.interface import ForgeError


@pytest.mark.parametrize(
    ("url", "full_name", "api_url"),
    [
        ("git@github.com:acme/app.git", "acme/app", "https://api.github.com"),
        ("git@github.com:acme/app", "acme/app", "https://api.github.com"),
        ("https://github.com/acme/app.git", "acme/app", "https://api.github.com"),
        ("https://github.com/acme/app/", "acme/app", "https://api.github.com"),
        (
            "https://x-access-token:ghs_secret@github.com/acme/app",
            "acme/app",
            "https://api.github.com",
        ),
        ("ssh://git@github.com/acme/app.git", "acme/app", "https://api.github.com"),
        ("git@ghe.example.com:team/svc.git", "team/svc", "https://ghe.example.com/api/v3"),
        ("https://ghe.example.com/team/svc", "team/svc", "https://ghe.example.com/api/v3"),
        ("http://127.0.0.1:8080/acme/app.git", "acme/app", "http://127.0.0.1:8080/api/v3"),
        (
            "ssh://git@ghe.example.com:2222/team/svc.git",
            "team/svc",
            "https://ghe.example.com/api/v3",
        ),
    ],
)
def test_remote_urls(url: str, full_name: str, api_url: str) -> None:
    address = parse_remote(url)
    assert address is not None
    assert (address.full_name, address.api_url) == (full_name, api_url)


@pytest.mark.parametrize(
    "url", ["/srv/git/app.git", "file:///srv/app.git", "https://github.com/acme", "git@host:x"]
)
def test_urls_that_name_no_github_repository(url: str) -> None:
    assert parse_remote(url) is None


def _repo_with_remote(tmp_path: Path, url: str | None) -> Path:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    if url:
        subprocess.run(["git", "-C", str(tmp_path), "remote", "add", "upstream", url], check=True)
    return tmp_path


def test_locate_prefers_the_environment_then_the_remote(tmp_path: Path) -> None:
    repo = _repo_with_remote(tmp_path, "git@ghe.example.com:team/svc.git")
    assert locate_repository(repo, {}) == ("team/svc", "https://ghe.example.com/api/v3")
    env = {"GITHUB_REPOSITORY": "acme/app", "GITHUB_API_URL": "https://api.github.com/"}
    assert locate_repository(repo, env) == ("acme/app", "https://api.github.com")
    assert locate_repository(None, {"GITHUB_REPOSITORY": "acme/app"})[1] == "https://api.github.com"


def test_locate_without_any_hint_says_what_to_set(tmp_path: Path) -> None:
    repo = _repo_with_remote(tmp_path, None)
    with pytest.raises(ForgeError, match="set GITHUB_REPOSITORY=owner/name"):
        locate_repository(repo, {})
    with pytest.raises(ForgeError, match="must look like owner/name"):
        locate_repository(repo, {"GITHUB_REPOSITORY": "acme"})


def test_token_order() -> None:
    env = {"GITHUB_TOKEN": "from-actions", "GH_TOKEN": "from-gh"}
    assert resolve_token("flag", env) == "flag"
    assert resolve_token(None, env) == "from-actions"
    assert resolve_token(None, {"GH_TOKEN": "from-gh", "GITHUB_TOKEN": " "}) == "from-gh"
    with pytest.raises(ForgeError, match="no GitHub token"):
        resolve_token("", {})


def test_error_text_reads_rest_graphql_and_transport_errors() -> None:
    rest = GithubException(
        422,
        {
            "message": "Validation Failed",
            "errors": [{"message": "A pull request already exists for acme:x."}],
        },
    )
    assert error_text(rest) == "422 Validation Failed; A pull request already exists for acme:x."
    graphql = GithubException(
        400, {"errors": [{"message": "Pull request Pull request is in clean status"}]}
    )
    assert "clean status" in error_text(graphql)
    node = UnknownObjectException(
        404,
        {"errors": [{"message": "Could not resolve to a node"}]},
        None,
        "Could not resolve to a node",
    )
    assert error_text(node) == "404 Could not resolve to a node"
    gave_up = requests.exceptions.RetryError(
        "Max retries exceeded (Caused by ResponseError('too many 502 error responses'))"
    )
    assert (
        error_text(gave_up)
        == "GitHub kept failing (too many 502 error responses), even after retries"
    )
    assert error_text(ConnectionError("refused")) == "ConnectionError: refused"
