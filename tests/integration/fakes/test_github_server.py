"""Tests for tests/fakes/github_server.py, driven through real PyGithub.

Every JSON response the fake sends during a test is validated afterwards (in the ``gh``
fixture's teardown) against the schema of its operation in
/work/shared/github-api/rest-subset.json: OpenAPI 3.0 ``nullable`` becomes ``anyOf [.., null]``,
``required`` lists are dropped (GitHub's own examples miss some) and replaced by a short list of
fields the client reads, and ``oneOf`` becomes ``anyOf`` (with ``required`` gone the branches
overlap). ``date-time`` and ``uri`` formats are checked, and every URL the fake returns must point
at the host the request was sent to.
"""

from __future__ import annotations

import base64
import json
import re
import socket
import subprocess
import time
import urllib.parse
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import requests
from github import Auth, Github, GithubException, GithubRetry, InputGitAuthor, InputGitTreeElement
from github.GithubException import BadCredentialsException, UnknownObjectException
from github.PullRequest import PullRequest
from github.Repository import Repository

from tests.fakes.github_server import (
    ACTIONS_CANNOT_CREATE_PRS,
    BASE_MODIFIED,
    HEAD_MODIFIED,
    NOT_ACCESSIBLE,
    FakeGitHub,
    FakeRepo,
    RequestRecord,
)

SPEC_PATH = Path("/work/shared/github-api/rest-subset.json")
REPO = "acme/app"
FILES = {
    "app.py": "def answer():\n    return 41\n",
    "lib/util.py": "X = 1\n",
    "README.md": "# app\n",
}

# --------------------------------------------------------------------------------------------
# response validation
# --------------------------------------------------------------------------------------------

# Fields the client actually reads, per operation (dotted paths; lists are checked per item).
READ_FIELDS: dict[tuple[str, str], list[str]] = {
    ("GET", "/repos/{owner}/{repo}"): [
        "full_name",
        "default_branch",
        "permissions.push",
        "allow_auto_merge",
        "url",
        "node_id",
    ],
    ("GET", "/repos/{owner}/{repo}/branches/{branch}"): ["name", "commit.sha", "protected"],
    ("POST", "/repos/{owner}/{repo}/git/blobs"): ["sha", "url"],
    ("POST", "/repos/{owner}/{repo}/git/trees"): ["sha", "tree"],
    ("GET", "/repos/{owner}/{repo}/git/trees/{tree_sha}"): ["sha", "tree", "truncated"],
    ("POST", "/repos/{owner}/{repo}/git/commits"): [
        "sha",
        "tree.sha",
        "parents",
        "verification.verified",
    ],
    ("GET", "/repos/{owner}/{repo}/git/commits/{commit_sha}"): ["sha", "tree.sha", "parents"],
    ("GET", "/repos/{owner}/{repo}/git/ref/{ref}"): ["ref", "object.sha", "url"],
    ("POST", "/repos/{owner}/{repo}/git/refs"): ["ref", "object.sha", "url"],
    ("PATCH", "/repos/{owner}/{repo}/git/refs/{ref}"): ["ref", "object.sha", "url"],
    ("GET", "/repos/{owner}/{repo}/pulls"): [
        "number",
        "node_id",
        "state",
        "head.ref",
        "head.sha",
        "base.ref",
        "labels",
        "created_at",
        "html_url",
        "user.login",
    ],
    ("POST", "/repos/{owner}/{repo}/pulls"): [
        "number",
        "node_id",
        "url",
        "head.sha",
        "mergeable_state",
        "auto_merge",
    ],
    ("GET", "/repos/{owner}/{repo}/pulls/{pull_number}"): [
        "number",
        "node_id",
        "state",
        "head.sha",
        "head.ref",
        "base.ref",
        "mergeable",
        "mergeable_state",
        "merged",
        "auto_merge",
        "labels",
        "created_at",
        "user.login",
    ],
    ("PATCH", "/repos/{owner}/{repo}/pulls/{pull_number}"): ["number", "state", "title"],
    ("PUT", "/repos/{owner}/{repo}/pulls/{pull_number}/merge"): ["sha", "merged", "message"],
    ("GET", "/repos/{owner}/{repo}/issues"): ["number", "labels", "state", "html_url"],
    ("POST", "/repos/{owner}/{repo}/issues"): ["number", "labels", "url"],
    ("PATCH", "/repos/{owner}/{repo}/issues/{issue_number}"): ["number", "state", "labels"],
    ("POST", "/repos/{owner}/{repo}/issues/{issue_number}/labels"): ["name"],
    ("POST", "/repos/{owner}/{repo}/labels"): ["name", "color"],
    ("GET", "/repos/{owner}/{repo}/labels/{name}"): ["name", "color"],
    ("GET", "/search/issues"): ["total_count", "items"],
}

# Operations the fake serves beyond the 31 of rest-subset.json (so they have no schema).
EXTRA_OPERATIONS = {
    ("GET", "/user"),
    ("GET", "/rate_limit"),
    ("GET", "/repos/{owner}/{repo}/git/blobs/{file_sha}"),
    ("GET", "/repos/{owner}/{repo}/git/refs/{ref}"),
    ("GET", "/repos/{owner}/{repo}/git/refs"),
    ("GET", "/repos/{owner}/{repo}/git/matching-refs/{ref}"),
    ("GET", "/repos/{owner}/{repo}/commits/{ref}"),
    ("GET", "/repos/{owner}/{repo}/commits/{ref}/check-runs"),
    ("GET", "/repos/{owner}/{repo}/contents/{path}"),
    ("GET", "/repos/{owner}/{repo}/issues/{issue_number}"),
    ("GET", "/repos/{owner}/{repo}/issues/{issue_number}/labels"),
    ("PUT", "/repos/{owner}/{repo}/issues/{issue_number}/labels"),
    ("DELETE", "/repos/{owner}/{repo}/issues/{issue_number}/labels"),
    ("PATCH", "/repos/{owner}/{repo}/issues/comments/{comment_id}"),
    ("DELETE", "/repos/{owner}/{repo}/issues/comments/{comment_id}"),
    ("GET", "/repos/{owner}/{repo}/pulls/{pull_number}/merge"),
    ("GET", "/repos/{owner}/{repo}/pulls/{pull_number}/reviews"),
    ("PATCH", "/repos/{owner}/{repo}/labels/{name}"),
    ("DELETE", "/repos/{owner}/{repo}/labels/{name}"),
    ("GET", "/repos/{owner}/{repo}/branches/{branch}/protection/required_status_checks"),
    ("GET", "/repos/{owner}/{repo}/check-runs/{check_run_id}/annotations"),
}

# Operations beyond the subset whose answers are objects the subset does describe.
CHECK_RUN = {"$ref": "#/components/schemas/check-run"}
COMPONENT_RESPONSES: dict[tuple[str, str], Any] = {
    ("GET", "/repos/{owner}/{repo}/check-runs/{check_run_id}"): CHECK_RUN,
    ("PATCH", "/repos/{owner}/{repo}/check-runs/{check_run_id}"): CHECK_RUN,
    ("GET", "/repos/{owner}/{repo}/commits/{ref}/check-runs"): {
        "type": "object",
        "properties": {
            "total_count": {"type": "integer"},
            "check_runs": {"type": "array", "items": CHECK_RUN},
        },
    },
}
# Requests validated against the subset's request schema (what GitHub would accept): the check
# run's create body, which its update shares (without the required name and head_sha).
CHECK_RUN_WRITES = {
    ("POST", "/repos/{owner}/{repo}/check-runs"),
    ("PATCH", "/repos/{owner}/{repo}/check-runs/{check_run_id}"),
}

_DATE_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
_FORMATS = jsonschema.FormatChecker(formats=())


@_FORMATS.checks("date-time")
def _is_date_time(value: object) -> bool:
    return not isinstance(value, str) or bool(_DATE_TIME.match(value))


@_FORMATS.checks("uri")
def _is_uri(value: object) -> bool:
    if not isinstance(value, str):
        return True
    parts = urllib.parse.urlsplit(value)
    return bool(parts.scheme and parts.netloc)


def _to_jsonschema(node: Any, *, names: bool = False) -> Any:
    """OpenAPI 3.0 schema -> JSON Schema (draft 4) with the adjustments described above."""
    if isinstance(node, list):
        return [_to_jsonschema(item) for item in node]
    if not isinstance(node, dict):
        return node
    if names:  # a "properties" map: keys are property names, not keywords
        return {key: _to_jsonschema(value) for key, value in node.items()}
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("required", "nullable", "example", "examples", "discriminator"):
            continue
        out["anyOf" if key == "oneOf" else key] = _to_jsonschema(
            value, names=key in ("properties", "patternProperties")
        )
    return {"anyOf": [out, {"type": "null"}]} if node.get("nullable") else out


class ResponseSchemas:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.root = {
            "components": {
                "schemas": {
                    name: _to_jsonschema(schema)
                    for name, schema in spec["components"]["schemas"].items()
                }
            }
        }
        responses = spec["components"]["responses"]
        self.schemas: dict[tuple[str, str], dict[int, Any]] = {}
        for template, item in spec["paths"].items():
            for method, operation in item.items():
                if not isinstance(operation, dict) or "responses" not in operation:
                    continue
                by_status = self.schemas.setdefault((method.upper(), template), {})
                for status, response in operation["responses"].items():
                    if "$ref" in response:
                        response = responses[response["$ref"].rsplit("/", 1)[-1]]
                    schema = response.get("content", {}).get("application/json", {}).get("schema")
                    if schema is not None:
                        by_status[int(status)] = _to_jsonschema(schema)
        for op, schema in COMPONENT_RESPONSES.items():
            self.schemas.setdefault(op, {})[200] = schema
        create = spec["paths"]["/repos/{owner}/{repo}/check-runs"]["post"]["requestBody"]
        request = create["content"]["application/json"]["schema"]
        # Requests keep their "required" lists (the point is what GitHub would refuse).
        self.check_run_request = jsonschema.Draft4Validator(
            {**self.root, **_keep_required(request)}, format_checker=_FORMATS
        )
        self._validators: dict[tuple[str, str, int], jsonschema.Draft4Validator] = {}

    def validator(
        self, method: str, template: str, status: int
    ) -> jsonschema.Draft4Validator | None:
        key = (method, template, status)
        if key not in self._validators:
            schema = self.schemas.get((method, template), {}).get(status)
            if schema is None:
                return None
            self._validators[key] = jsonschema.Draft4Validator(
                {**self.root, "allOf": [schema]}, format_checker=_FORMATS
            )
        return self._validators[key]

    def problems(self, record: RequestRecord, base_url: str) -> list[str]:
        """Schema violations, missing read fields and foreign-host URLs of one response."""
        where = f"{record.method} {record.path} -> {record.status}"
        if record.template is None or record.status is None or record.injected:
            return []
        if record.template == "graphql":
            body = record.response_json
            ok = (
                isinstance(body, dict)
                and ("data" in body or "errors" in body)
                and all("message" in e for e in body.get("errors", []))
            )
            return [] if ok else [f"{where}: malformed GraphQL response {body!r}"]
        op = (record.method, record.template)
        problems: list[str] = []
        if op in CHECK_RUN_WRITES and record.status is not None and 200 <= record.status < 300:
            body = dict(record.request_json or {})
            if record.method == "PATCH":  # the update names neither the check nor the commit
                body.setdefault("name", "x")
                body.setdefault("head_sha", "x")
                output = body.get("output")
                if isinstance(output, dict):
                    body["output"] = {"title": "kept", **output}
            for error in self.check_run_request.iter_errors(body):
                path = "/".join(map(str, error.absolute_path))
                problems.append(f"{where}: request {path}: {error.message[:200]}")
        validator = self.validator(record.method, record.template, record.status)
        if validator is not None:
            for error in validator.iter_errors(record.response_json):
                problems.append(
                    f"{where}: {'/'.join(map(str, error.absolute_path))}: {error.message[:200]}"
                )
        elif 200 <= record.status < 300 and op not in self.schemas and op not in EXTRA_OPERATIONS:
            problems.append(f"{where}: operation is neither in the spec nor in EXTRA_OPERATIONS")
        if 200 <= record.status < 300:
            items = (
                record.response_json
                if isinstance(record.response_json, list)
                else [record.response_json]
            )
            for item in items:
                for dotted in READ_FIELDS.get(op, []):
                    if not _has_path(item, dotted):
                        problems.append(f"{where}: response lacks {dotted}")
        problems += [
            f"{where}: {key}={url} is not on {base_url}"
            for key, url in _urls(record.response_json)
            if not url.startswith(base_url)
        ]
        return problems


def _keep_required(node: Any) -> Any:
    """An OpenAPI request schema as JSON Schema, "required" lists and limits kept."""
    if isinstance(node, list):
        return [_keep_required(item) for item in node]
    if not isinstance(node, dict):
        return node
    return {
        key: (
            {k: _keep_required(v) for k, v in value.items()}
            if key == "properties"
            else _keep_required(value)
        )
        for key, value in node.items()
        if key not in ("example", "examples", "description")
    }


def _has_path(item: Any, dotted: str) -> bool:
    for part in dotted.split("."):
        if not isinstance(item, dict) or part not in item:
            return False
        item = item[part]
    return True


def _urls(node: Any, key: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _urls(v, k)
    elif isinstance(node, list):
        for v in node:
            yield from _urls(v, key)
    elif (
        isinstance(node, str)
        and (key.endswith("url") or key == "href")
        and key != "documentation_url"
        and node.startswith("http")
    ):
        yield key, node


@pytest.fixture(scope="module")
def schemas() -> ResponseSchemas:
    return ResponseSchemas(json.loads(SPEC_PATH.read_text()))


# --------------------------------------------------------------------------------------------
# fixtures and helpers
# --------------------------------------------------------------------------------------------


@pytest.fixture
def gh(tmp_path: Path, schemas: ResponseSchemas) -> Iterator[FakeGitHub]:
    with FakeGitHub(tmp_path) as fake:
        yield fake
        base = fake.base_url
        problems = [p for record in fake.requests() for p in schemas.problems(record, base)]
    assert not fake.crashes, fake.crashes[0]
    assert not problems, "\n".join(problems[:20])


@pytest.fixture
def fake_repo(gh: FakeGitHub) -> FakeRepo:
    return gh.create_repo(REPO, files=FILES)


@pytest.fixture
def connect(gh: FakeGitHub) -> Iterator[Callable[..., Github]]:
    clients: list[Github] = []

    def make(token: str | None = None, **kwargs: Any) -> Github:
        kwargs.setdefault("retry", GithubRetry(total=3, backoff_factor=0))
        client = Github(
            auth=Auth.Token(token or gh.write_token),
            base_url=gh.api_url,
            seconds_between_requests=0,
            seconds_between_writes=0,
            timeout=10,
            **kwargs,
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def api(connect: Callable[..., Github], fake_repo: FakeRepo) -> Repository:
    return connect().get_repo(REPO)


def open_pr(
    gh: FakeGitHub, api: Repository, branch: str, files: dict[str, str | None], title: str = "Fix"
) -> PullRequest:
    gh.push_commit(REPO, branch, files, f"{title} commit")
    return api.create_pull(base="main", head=branch, title=title, body="by the bot")


def git(repo: FakeRepo, *args: str) -> str:
    return subprocess.run(
        ["git", "--git-dir", str(repo.git_dir), *args], check=True, capture_output=True, text=True
    ).stdout


def graphql_message(exc: GithubException) -> str:
    errors = exc.data.get("errors", []) if isinstance(exc.data, dict) else []
    return "; ".join(e["message"] for e in errors)


# --------------------------------------------------------------------------------------------
# git data
# --------------------------------------------------------------------------------------------


def test_blob_tree_commit_ref_round_trip_lands_in_the_bare_repo(
    gh: FakeGitHub, api: Repository, fake_repo: FakeRepo
) -> None:
    head = api.get_git_ref("heads/main")
    parent = api.get_git_commit(head.object.sha)
    text_blob = api.create_git_blob("def answer():\n    return 42\n", "utf-8")
    binary = bytes(range(256))
    binary_blob = api.create_git_blob(base64.b64encode(binary).decode(), "base64")
    tree = api.create_git_tree(
        [
            InputGitTreeElement("app.py", "100644", "blob", sha=text_blob.sha),
            InputGitTreeElement("deep/er/nest/mod.py", "100644", "blob", content="N = 3\n"),
            InputGitTreeElement("data/blob.bin", "100644", "blob", sha=binary_blob.sha),
            InputGitTreeElement("lib/util.py", "100644", "blob", sha=None),
        ],
        base_tree=parent.tree,
    )
    author = InputGitAuthor("Fix Bot", "fix@example.com", "2025-03-04T05:06:07Z")
    commit = api.create_git_commit("Fix the answer", tree, [parent], author=author)
    ref = api.create_git_ref("refs/heads/fix/answer", commit.sha)

    assert ref.ref == "refs/heads/fix/answer"
    assert commit.raw_data["verification"]["verified"] is True
    assert commit.author.name == "Fix Bot"
    assert commit.author.date == datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)
    assert git(fake_repo, "show", "fix/answer:app.py") == "def answer():\n    return 42\n"
    assert git(fake_repo, "show", "fix/answer:deep/er/nest/mod.py") == "N = 3\n"
    assert git(fake_repo, "cat-file", "-s", f"{commit.sha}:data/blob.bin") == "256\n"
    assert fake_repo.gitrepo.show(commit.sha, "data/blob.bin") == binary
    assert fake_repo.read_file("fix/answer", "lib/util.py") is None
    assert fake_repo.read_file("fix/answer", "README.md") == "# app\n"
    assert git(fake_repo, "log", "-1", "--format=%P %s", "fix/answer").split() == [
        parent.sha,
        "Fix",
        "the",
        "answer",
    ]
    assert fake_repo.ref_sha("fix/answer") == commit.sha
    assert "fix/answer" in fake_repo.branches()

    recursive = api.get_git_tree(commit.sha, recursive=True)
    paths = {e.path: e.type for e in recursive.tree}
    assert paths["deep/er/nest"] == "tree" and paths["deep/er/nest/mod.py"] == "blob"
    assert (
        api.get_git_blob(binary_blob.sha).content.replace("\n", "")
        == base64.b64encode(binary).decode()
    )
    assert api.get_git_ref("heads/fix/answer").object.sha == commit.sha
    assert [r.ref for r in api.get_git_matching_refs("heads/fix/")] == ["refs/heads/fix/answer"]
    contents = api.get_contents("deep/er/nest/mod.py", ref="fix/answer")
    assert not isinstance(contents, list) and contents.decoded_content == b"N = 3\n"


def test_ref_with_encoded_slash_and_missing_ref(gh: FakeGitHub, api: Repository) -> None:
    sha = gh.push_commit(REPO, "feature/x", {"f.txt": "1\n"})
    url = f"{gh.api_url}/repos/{REPO}/git/ref/heads%2Ffeature%2Fx"
    answer = requests.get(url, headers={"Authorization": f"Bearer {gh.write_token}"}, timeout=5)
    assert answer.status_code == 200 and answer.json()["object"]["sha"] == sha
    with pytest.raises(UnknownObjectException):
        _ = api.get_git_ref("heads/nope").object


def test_ref_conflicts_fast_forward_and_delete(
    gh: FakeGitHub, api: Repository, fake_repo: FakeRepo
) -> None:
    main = fake_repo.ref_sha("main")
    assert main is not None
    api.create_git_ref("refs/heads/work", main)
    with pytest.raises(GithubException) as dup:
        api.create_git_ref("refs/heads/work", main)
    assert dup.value.status == 422 and dup.value.message == "Reference already exists"

    ahead = gh.push_commit(REPO, "work", {"a.txt": "a\n"})
    ref = api.get_git_ref("heads/work")
    with pytest.raises(GithubException) as non_ff:
        ref.edit(main)
    assert non_ff.value.status == 422 and non_ff.value.message == "Update is not a fast forward"
    ref.edit(main, force=True)
    assert fake_repo.ref_sha("work") == main
    ref.edit(ahead)  # fast-forward is fine without force
    assert fake_repo.ref_sha("work") == ahead

    ref.delete()
    assert fake_repo.ref_sha("work") is None
    with pytest.raises(GithubException) as gone:
        ref.delete()
    assert gone.value.status == 422 and gone.value.message == "Reference does not exist"


def test_protected_branch_and_branch_deletion(
    gh: FakeGitHub, api: Repository, fake_repo: FakeRepo
) -> None:
    fake_repo.required_checks["main"] = ["ci"]
    pr = open_pr(gh, api, "fix", {"app.py": "s\n"})
    main = api.get_git_ref("heads/main")
    with pytest.raises(GithubException) as refused:
        main.edit(pr.head.sha)  # a direct push to a protected branch needs green checks
    assert refused.value.status == 422
    assert refused.value.message == 'Required status check "ci" is expected.'
    gh.set_check(pr.head.sha, "ci")
    main.edit(pr.head.sha)
    assert fake_repo.ref_sha("main") == pr.head.sha

    other = open_pr(gh, api, "other", {"o.txt": "o\n"})
    api.get_git_ref("heads/other").delete()
    gone = api.get_pull(other.number)
    assert gone.state == "closed" and not gone.merged  # GitHub closes PRs of deleted branches
    assert gone.head.sha == other.head.sha


# --------------------------------------------------------------------------------------------
# pull requests, issues, labels
# --------------------------------------------------------------------------------------------


def test_create_pull_duplicate_and_invalid_heads(gh: FakeGitHub, api: Repository) -> None:
    pr = open_pr(gh, api, "fix", {"app.py": "def answer():\n    return 42\n"})
    assert pr.number == 1 and pr.state == "open" and pr.head.ref == "fix"
    assert pr.mergeable is None and pr.mergeable_state == "unknown" and pr.auto_merge is None
    assert api.get_pull(1).mergeable_state == "clean"  # computed "in the background"
    assert pr.user.login == "github-actions[bot]"
    assert pr.html_url == f"{gh.base_url}/{REPO}/pull/1"

    with pytest.raises(GithubException) as dup:
        api.create_pull(base="main", head="acme:fix", title="again")
    assert dup.value.status == 422
    assert dup.value.data["errors"][0]["message"] == "A pull request already exists for acme:fix."

    with pytest.raises(GithubException) as missing:
        api.create_pull(base="main", head="no-such-branch", title="x")
    assert missing.value.status == 422
    assert missing.value.data["errors"] == [
        {"resource": "PullRequest", "field": "head", "code": "invalid"}
    ]

    gh.create_branch(REPO, "empty")
    with pytest.raises(GithubException) as empty:
        api.create_pull(base="main", head="empty", title="x")
    assert empty.value.data["errors"][0]["message"] == "No commits between main and empty"


def test_pull_filters_and_edit(gh: FakeGitHub, api: Repository) -> None:
    first = open_pr(gh, api, "one", {"one.txt": "1\n"})
    open_pr(gh, api, "two", {"two.txt": "2\n"})
    assert [p.number for p in api.get_pulls(head="acme:one")] == [first.number]
    # GitHub ignores a head filter without "owner:" -- so does the fake.
    assert sorted(p.number for p in api.get_pulls(head="one")) == [1, 2]
    first.edit(title="Renamed", state="closed")
    assert [p.number for p in api.get_pulls(state="open")] == [2]
    closed = api.get_pull(first.number)
    assert (closed.title, closed.state, closed.merged) == ("Renamed", "closed", False)


def test_labels_and_issues_api(gh: FakeGitHub, api: Repository, fake_repo: FakeRepo) -> None:
    pr = open_pr(gh, api, "fix", {"app.py": "x\n"})
    pr.add_to_labels("error-fix", "automerge")
    sent = gh.requests("POST", r"/issues/1/labels$")[-1].request_json
    assert sent == ["error-fix", "automerge"]  # PyGithub sends a bare JSON array
    assert api.get_label("error-fix").color == "ededed"  # created on the fly, like GitHub

    answer = requests.post(
        f"{gh.api_url}/repos/{REPO}/issues/1/labels",
        json={"labels": ["needs-review"]},
        timeout=5,
        headers={"Authorization": f"token {gh.write_token}"},
    )
    assert [lb["name"] for lb in answer.json()] == ["error-fix", "automerge", "needs-review"]

    with pytest.raises(GithubException) as dup:
        api.create_label("error-fix", "ff0000")
    assert dup.value.status == 422 and dup.value.data["errors"][0]["code"] == "already_exists"
    with pytest.raises(UnknownObjectException):
        api.get_label("missing")

    issue = api.create_issue("Flaky test", body="seen twice", labels=["error-fix"])
    assert issue.number == 2  # one number sequence for issues and PRs
    listed = api.get_issues(labels=["error-fix", "automerge"])
    assert [i.number for i in listed] == [1]
    assert listed[0].pull_request is not None  # PRs show up in the issues list
    assert sorted(i.number for i in api.get_issues(labels=["error-fix"])) == [1, 2]

    pr.remove_from_labels("automerge")
    with pytest.raises(GithubException) as absent:  # not UnknownObjectException: no "not found"
        pr.remove_from_labels("automerge")
    assert (absent.value.status, absent.value.message) == (404, "Label does not exist")
    assert [lb.name for lb in api.get_pull(1).labels] == ["error-fix", "needs-review"]

    comment = issue.create_comment("Looking into it")
    assert [c.body for c in issue.get_comments()] == ["Looking into it"]
    comment.edit("Fixed")
    issue.edit(state="closed")
    assert api.get_issue(2).state == "closed"
    assert fake_repo.issue(2).comments[0].body == "Fixed"


def test_pagination_over_250_prs(
    gh: FakeGitHub, connect: Callable[..., Github], fake_repo: FakeRepo
) -> None:
    start = datetime(2025, 1, 1, tzinfo=UTC)
    for n in range(250):
        gh.seed_pull(
            REPO, f"bot/fix-{n}", labels=["error-fix"], created_at=start + timedelta(minutes=n)
        )
    api = connect(per_page=100).get_repo(REPO)
    gh.reset_counts()
    numbers = [p.number for p in api.get_pulls(state="open", sort="created", direction="asc")]
    assert numbers == list(range(1, 251))
    pages = gh.requests("GET", r"/pulls$")
    assert len(pages) == 3
    first = requests.get(
        f"{gh.api_url}/repos/{REPO}/pulls?per_page=100",
        timeout=5,
        headers={"Authorization": f"token {gh.write_token}"},
    )
    links: dict[str, str] = {}
    for part in first.headers["Link"].split(", "):
        url, rel = part.split("; ")
        links[rel] = url
    assert links['rel="next"'] == f"<{gh.api_url}/repos/{REPO}/pulls?per_page=100&page=2>"
    assert links['rel="last"'] == f"<{gh.api_url}/repos/{REPO}/pulls?per_page=100&page=3>"
    assert len(first.json()) == 100 and first.json()[0]["number"] == 250  # newest first
    assert api.get_pulls().totalCount == 250


def test_1200_seeded_prs_are_listed_and_searchable(
    gh: FakeGitHub, connect: Callable[..., Github], fake_repo: FakeRepo
) -> None:
    old = datetime.now(UTC) - timedelta(days=30)
    for n in range(1200):
        labels = ["error-fix"] if n % 2 else ["other"]
        gh.seed_pull(REPO, f"bot/fix-{n}", labels=labels, created_at=old + timedelta(seconds=n))

    client = connect(per_page=100)
    everything = list(client.get_repo(REPO).get_pulls(state="all"))
    assert len(everything) == 1200 and everything[0].created_at > everything[-1].created_at
    found = client.search_issues(f"repo:{REPO} is:pr is:open label:error-fix")
    assert found.totalCount == 600
    assert {lb.name for lb in found[0].labels} == {"error-fix"}
    beyond = requests.get(
        f"{gh.api_url}/search/issues",
        timeout=5,
        params={"q": f"repo:{REPO} is:pr", "per_page": "100", "page": "11"},
        headers={"Authorization": f"token {gh.write_token}"},
    )
    assert beyond.status_code == 422  # GitHub only serves the first 1000 search results
    assert beyond.json()["message"] == "Only the first 1000 search results are available"


# --------------------------------------------------------------------------------------------
# merging
# --------------------------------------------------------------------------------------------


def test_merge_sha_guard_then_merge(gh: FakeGitHub, api: Repository, fake_repo: FakeRepo) -> None:
    pr = open_pr(gh, api, "fix", {"app.py": "def answer():\n    return 42\n"})
    stale = pr.head.sha
    gh.push_commit(REPO, "fix", {"extra.txt": "pushed by someone else\n"})
    with pytest.raises(GithubException) as moved:
        pr.merge(merge_method="squash", sha=stale)
    assert (moved.value.status, moved.value.message) == (409, HEAD_MODIFIED)

    fake_repo.delete_branch_on_merge = True
    fresh = api.get_pull(pr.number)
    before = fake_repo.ref_sha("main")
    result = fresh.merge(merge_method="squash", sha=fresh.head.sha)
    assert result.merged and fake_repo.ref_sha("main") == result.sha
    subject, parents = git(fake_repo, "log", "-1", "--format=%s%n%P", "main").split("\n")[:2]
    assert (subject, parents) == (f"Fix (#{pr.number})", before)  # one parent: a squash
    assert "fix" not in fake_repo.branches()
    assert fake_repo.read_file("main", "app.py") == "def answer():\n    return 42\n"
    merged = api.get_pull(pr.number)
    assert (merged.merged, merged.state, merged.merge_commit_sha) == (True, "closed", result.sha)
    assert merged.is_merged()


def test_conflicting_pr_is_dirty_and_not_mergeable(gh: FakeGitHub, api: Repository) -> None:
    first = open_pr(gh, api, "a", {"app.py": "A\n"})
    second = open_pr(gh, api, "b", {"app.py": "B\n"})
    first.merge(merge_method="merge")
    blocked = api.get_pull(second.number)
    assert (blocked.mergeable, blocked.mergeable_state) == (False, "dirty")
    with pytest.raises(GithubException) as refused:
        blocked.merge()
    assert (refused.value.status, refused.value.message) == (405, "Pull Request is not mergeable")


def test_rebase_and_merge_commit_shapes(
    gh: FakeGitHub, api: Repository, fake_repo: FakeRepo
) -> None:
    gh.push_commit(REPO, "r", {"r1.txt": "1\n"}, "first")
    rebased = open_pr(gh, api, "r", {"r2.txt": "2\n"}, "second")
    merged = open_pr(gh, api, "m", {"m.txt": "m\n"}, "merge me")
    gh.push_commit(REPO, "main", {"base.txt": "moved\n"}, "base moved")
    rebased.merge(merge_method="rebase")
    subjects = git(fake_repo, "log", "--format=%s", "-3", "main").split("\n")[:3]
    assert subjects == ["second commit", "first", "base moved"]
    assert len(fake_repo.commit("main").parents) == 1  # type: ignore[union-attr]
    merged.merge(merge_method="merge")
    top = fake_repo.commit("main")
    assert top is not None and len(top.parents) == 2
    assert top.message.startswith(f"Merge pull request #{merged.number} from acme/m")


def test_required_checks_block_until_green(
    gh: FakeGitHub, api: Repository, fake_repo: FakeRepo
) -> None:
    fake_repo.required_checks["main"] = ["ci"]
    pr = open_pr(gh, api, "fix", {"app.py": "y\n"})
    assert api.get_pull(pr.number).mergeable_state == "blocked"
    with pytest.raises(GithubException) as refused:
        pr.merge()
    assert refused.value.status == 405
    gh.set_check(pr.head.sha, "ci", "completed", "failure")
    assert api.get_pull(pr.number).mergeable_state == "blocked"
    gh.set_check("fix", "ci")  # branch names work too
    gh.set_check("fix", "lint", "in_progress", None)
    assert api.get_pull(pr.number).mergeable_state == "unstable"
    runs = api.get_commit(pr.head.sha).get_check_runs()
    assert sorted((r.name, r.status) for r in runs) == [
        ("ci", "completed"),
        ("lint", "in_progress"),
    ]
    assert api.get_branch("main").protected is True
    assert api.get_pull(pr.number).merge().merged


def test_concurrent_base_move_loses_the_compare_and_swap(
    gh: FakeGitHub, api: Repository, fake_repo: FakeRepo
) -> None:
    pr = open_pr(gh, api, "fix", {"app.py": "z\n"})
    racer: list[str] = []
    fake_repo.on_next_merge(
        lambda: racer.append(
            gh.push_commit(REPO, "main", {"other.txt": "raced\n"}, "concurrent push")
        )
    )
    with pytest.raises(GithubException) as lost:
        pr.merge(merge_method="squash")
    assert (lost.value.status, lost.value.message) == (409, BASE_MODIFIED)
    assert fake_repo.ref_sha("main") == racer[0]  # the concurrent commit survived
    assert api.get_pull(pr.number).merge(merge_method="squash").merged  # a retry works


# --------------------------------------------------------------------------------------------
# GraphQL auto-merge
# --------------------------------------------------------------------------------------------


@pytest.fixture
def protected(fake_repo: FakeRepo) -> FakeRepo:
    fake_repo.allow_auto_merge = True
    fake_repo.required_checks["main"] = ["ci"]
    return fake_repo


def test_auto_merge_arms_and_fires_when_checks_pass(
    gh: FakeGitHub, api: Repository, protected: FakeRepo
) -> None:
    pr = open_pr(gh, api, "fix", {"app.py": "def answer():\n    return 42\n"})
    pr.enable_automerge(merge_method="SQUASH", expected_head_oid=pr.head.sha)
    sent = gh.requests("POST", "^/api/graphql$")[-1].request_json
    assert sent["variables"]["input"]["pullRequestId"] == pr.node_id
    assert "enablePullRequestAutoMerge(input: $input)" in sent["query"]

    armed = api.get_pull(pr.number)
    assert armed.auto_merge["merge_method"] == "squash"
    assert armed.auto_merge["enabled_by"]["login"] == "github-actions[bot]"
    assert armed.mergeable_state == "blocked"

    merge_sha = gh.complete_checks(pr.number)
    assert merge_sha is not None and protected.ref_sha("main") == merge_sha
    done = api.get_pull(pr.number)
    assert done.merged and done.state == "closed" and done.auto_merge is None
    assert protected.read_file("main", "app.py") == "def answer():\n    return 42\n"


def test_auto_merge_can_be_disabled_and_queried(
    gh: FakeGitHub, api: Repository, protected: FakeRepo
) -> None:
    pr = open_pr(gh, api, "fix", {"app.py": "q\n"})
    pr.enable_automerge()
    query = (
        "query($owner: String!, $name: String!, $number: Int!) { repository(owner: $owner,"
        " name: $name) { pullRequest(number: $number) { mergeStateStatus "
        "autoMergeRequest { mergeMethod } } } }"
    )
    _, data = api._requester.graphql_query(
        query, {"owner": "acme", "name": "app", "number": pr.number}
    )
    state = data["data"]["repository"]["pullRequest"]
    assert state["mergeStateStatus"] == "BLOCKED"
    assert state["autoMergeRequest"]["mergeMethod"] == "MERGE"
    _, node = api._requester.graphql_node(pr.node_id, "mergeStateStatus", "PullRequest")
    assert node["data"]["node"]["__typename"] == "PullRequest"
    pr.disable_automerge()
    assert api.get_pull(pr.number).auto_merge is None
    assert gh.complete_checks(pr.number) is None  # nothing armed, nothing merged


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        ("no_auto_merge", "Auto merge is not allowed for this repository"),
        ("unprotected", "Pull request Protected branch rules not configured for this branch"),
        ("clean", "Pull request Pull request is in clean status"),
        ("unstable", "Pull request Pull request is in unstable status"),
        ("stale_head", HEAD_MODIFIED),
    ],
)
def test_auto_merge_refusals_use_githubs_texts(
    gh: FakeGitHub, api: Repository, protected: FakeRepo, setup: str, expected: str
) -> None:
    pr = open_pr(gh, api, "fix", {"app.py": "w\n"})
    head: str | None = None
    if setup == "no_auto_merge":
        protected.allow_auto_merge = False
    elif setup == "unprotected":
        protected.required_checks.clear()
    elif setup == "clean":
        gh.complete_checks(pr.number)
    elif setup == "unstable":
        gh.complete_checks(pr.number)
        gh.set_check(pr.head.sha, "optional", "completed", "failure")
    elif setup == "stale_head":
        head = "0" * 40
    with pytest.raises(GithubException) as refused:
        if head:
            pr.enable_automerge(expected_head_oid=head)
        else:
            pr.enable_automerge()
    assert refused.value.status == 400  # PyGithub's status for a GraphQL "errors" answer
    assert graphql_message(refused.value) == expected
    assert api.get_pull(pr.number).auto_merge is None


def test_unknown_node_and_eventual_consistency(
    gh: FakeGitHub, api: Repository, protected: FakeRepo
) -> None:
    pr = open_pr(gh, api, "fix", {"app.py": "v\n"})
    with pytest.raises(UnknownObjectException) as unknown:
        api._requester.graphql_named_mutation(
            "enablePullRequestAutoMerge", {"pullRequestId": "PR_nope"}, "clientMutationId"
        )
    assert unknown.value.status == 404  # single NOT_FOUND error -> UnknownObjectException
    assert (
        graphql_message(unknown.value)
        == "Could not resolve to a node with the global id of 'PR_nope'."
    )

    gh.node_lag(2)
    lagging = open_pr(gh, api, "late", {"late.txt": "1\n"})
    for _ in range(2):
        with pytest.raises(UnknownObjectException):
            lagging.enable_automerge()
    lagging.enable_automerge()
    assert api.get_pull(lagging.number).auto_merge is not None
    assert pr.number != lagging.number


def test_mergeability_lag_and_reviews(gh: FakeGitHub, api: Repository) -> None:
    gh.mergeability_lag(2)
    pr = open_pr(gh, api, "fix", {"app.py": "m\n"})
    states = [api.get_pull(pr.number).mergeable_state for _ in range(3)]
    assert states == ["unknown", "unknown", "clean"]
    review = pr.create_review(body="LGTM", event="APPROVE")
    assert (review.state, review.user.login) == ("APPROVED", "github-actions[bot]")
    assert [r.state for r in pr.get_reviews()] == ["APPROVED"]


def test_read_token_cannot_mutate(
    gh: FakeGitHub, connect: Callable[..., Github], protected: FakeRepo
) -> None:
    api = connect().get_repo(REPO)
    pr = open_pr(gh, api, "fix", {"app.py": "r\n"})
    reader = connect(gh.read_token).get_repo(REPO)
    assert reader.permissions.push is False and reader.permissions.pull is True
    with pytest.raises(GithubException) as forbidden:
        reader.get_pull(pr.number).enable_automerge()
    assert graphql_message(forbidden.value) == NOT_ACCESSIBLE
    with pytest.raises(GithubException) as rest:
        reader.create_issue("nope")
    assert (rest.value.status, rest.value.message) == (403, NOT_ACCESSIBLE)


# --------------------------------------------------------------------------------------------
# auth and policy
# --------------------------------------------------------------------------------------------


def test_bad_or_missing_token_is_401(
    gh: FakeGitHub, connect: Callable[..., Github], fake_repo: FakeRepo
) -> None:
    with pytest.raises(BadCredentialsException) as bad:
        connect("ghp_wrong").get_repo(REPO)
    assert bad.value.status == 401 and bad.value.message is None
    assert bad.value.data["message"] == "Bad credentials"
    anonymous = requests.get(f"{gh.api_url}/repos/{REPO}", timeout=5)
    assert anonymous.status_code == 401
    graphql = requests.post(gh.graphql_url, json={"query": "{ viewer { login } }"}, timeout=5)
    assert graphql.status_code == 401


def test_actions_token_may_not_open_prs_when_policy_is_off(
    gh: FakeGitHub, connect: Callable[..., Github], fake_repo: FakeRepo
) -> None:
    fake_repo.actions_can_create_prs = False
    gh.push_commit(REPO, "fix", {"app.py": "p\n"})
    with pytest.raises(GithubException) as refused:
        connect().get_repo(REPO).create_pull(base="main", head="fix", title="Fix")
    assert (refused.value.status, refused.value.message) == (403, ACTIONS_CANNOT_CREATE_PRS)
    assert gh.request_count("POST", r"/pulls$") == 1  # a policy 403 is not retried
    app = connect(gh.admin_token).get_repo(REPO)  # a PAT / App token is not subject to it
    assert app.create_pull(base="main", head="fix", title="Fix").user.login == "octo-admin"
    app.edit(allow_auto_merge=True)
    assert fake_repo.allow_auto_merge is True


# --------------------------------------------------------------------------------------------
# faults and transport
# --------------------------------------------------------------------------------------------


def test_502_once_is_retried_by_githubretry(gh: FakeGitHub, api: Repository) -> None:
    pr = open_pr(gh, api, "fix", {"app.py": "t\n"})
    fault = gh.inject("GET", r"/pulls/\d+$", status=502)
    gh.reset_counts()
    assert api.get_pull(pr.number).number == pr.number
    assert fault.hits == 1 and gh.request_count("GET", r"/pulls/\d+$") == 2
    gh.inject("POST", r"/issues$", status=502)
    assert api.create_issue("retried POST").number == 2  # GithubRetry adds POST
    gh.inject("PATCH", r"/pulls/\d+$", status=502)
    with pytest.raises(GithubException) as not_retried:
        pr.edit(title="x")  # ...but not PATCH
    assert not_retried.value.status == 502


def test_secondary_rate_limit_waits_for_retry_after(gh: FakeGitHub, api: Repository) -> None:
    gh.inject(
        "GET",
        r"/repos/acme/app$",
        status=403,
        headers={"Retry-After": "1", "X-RateLimit-Remaining": "0"},
    )
    gh.reset_counts()
    started = time.monotonic()
    api.update()  # GET /repos/acme/app
    assert time.monotonic() - started >= 0.9
    records = gh.requests("GET", r"/repos/acme/app$")
    assert [r.status for r in records] == [403, 200]
    assert (
        records[0].response_json["message"].startswith("You have exceeded a secondary rate limit")
    )


def test_connection_reset_once_is_retried(gh: FakeGitHub, api: Repository) -> None:
    gh.inject_reset("GET", r"/git/ref/heads/main$")
    gh.reset_counts()
    assert api.get_git_ref("heads/main").object.sha
    records = gh.requests("GET", r"/git/ref/heads/main$")
    assert [r.status for r in records] == [None, 200]


def test_permanent_fault_exhausts_retries(gh: FakeGitHub, api: Repository) -> None:
    gh.inject("GET", r"/labels$", status=503, times=None)
    with pytest.raises(requests.exceptions.RetryError):
        list(api.get_labels())
    assert gh.request_count("GET", r"/labels$") == 4  # 1 + GithubRetry(total=3)
    gh.clear_faults()
    assert list(api.get_labels()) == []


def test_concurrent_clients_are_served_consistently(gh: FakeGitHub, fake_repo: FakeRepo) -> None:
    def work(n: int) -> list[int]:
        with requests.Session() as session:
            session.headers["Authorization"] = f"token {gh.write_token}"
            url = f"{gh.api_url}/repos/{REPO}/issues"
            return [
                session.post(url, json={"title": f"t{n}-{i}"}, timeout=10).json()["number"]
                for i in range(5)
            ]

    with ThreadPoolExecutor(max_workers=8) as pool:
        numbers = [n for batch in pool.map(work, range(8)) for n in batch]
    assert sorted(numbers) == list(range(1, 41))


def test_urls_follow_the_host_header(gh: FakeGitHub, fake_repo: FakeRepo) -> None:
    answer = requests.get(
        f"{gh.api_url}/repos/{REPO}",
        timeout=5,
        headers={"Authorization": f"token {gh.write_token}", "Host": "ghe.example.test:8443"},
    )
    body = answer.json()
    assert body["url"] == f"http://ghe.example.test:8443/api/v3/repos/{REPO}"
    assert body["html_url"] == f"http://ghe.example.test:8443/{REPO}"
    assert body["pulls_url"].startswith("http://ghe.example.test:8443/api/v3/")
    gh.reset_counts()  # keep the foreign-host answer out of the URL check in teardown


def test_keep_alive_and_nodelay(gh: FakeGitHub, fake_repo: FakeRepo) -> None:
    with requests.Session() as session:
        session.headers["Authorization"] = f"token {gh.write_token}"
        first = session.get(f"{gh.api_url}/repos/{REPO}", timeout=5)
        second = session.get(f"{gh.api_url}/repos/{REPO}/labels", timeout=5)
        assert first.headers["Content-Length"] == str(len(first.content))
        assert second.status_code == 200
        server_side = list(gh._server.open_sockets)  # type: ignore[union-attr]
        assert server_side and all(
            sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) for sock in server_side
        )
    ports = {r.client_port for r in gh.requests()}
    assert len(ports) == 1  # both requests rode one keep-alive connection


def test_server_stops_cleanly(tmp_path: Path) -> None:
    with FakeGitHub(tmp_path) as fake:
        fake.create_repo(REPO)
        port = fake.port
        session = requests.Session()  # an idle keep-alive connection stays open
        assert session.get(
            f"{fake.api_url}/repos/{REPO}",
            timeout=5,
            headers={"Authorization": f"token {fake.write_token}"},
        ).ok
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", port), 1):
        pass
    with pytest.raises(requests.exceptions.ConnectionError):
        session.get(f"http://127.0.0.1:{port}/api/v3/repos/{REPO}", timeout=2)
    session.close()
    fake.stop()  # idempotent
    started = FakeGitHub(tmp_path / "again").start()
    try:
        assert started.port != 0
    finally:
        started.stop()


def test_schema_validation_is_not_vacuous(schemas: ResponseSchemas) -> None:
    broken = RequestRecord(
        "GET",
        "/api/v3/repos/a/b/pulls/1",
        "",
        "/repos/{owner}/{repo}/pulls/{pull_number}",
        200,
        None,
        {
            "number": "one",
            "state": "weird",
            "created_at": "yesterday",
            "url": "http://elsewhere/x",
            "auto_merge": None,
        },
        False,
        0.0,
    )
    problems = schemas.problems(broken, "http://127.0.0.1:1")
    assert any("number" in p and "integer" in p for p in problems)
    assert any("state" in p for p in problems)
    assert any("created_at" in p for p in problems)
    assert any("lacks head.sha" in p for p in problems)
    assert any("not on http://127.0.0.1:1" in p for p in problems)


# --------------------------------------------------------------------------------------------
# check runs with annotations
# --------------------------------------------------------------------------------------------


def _annotation(line: int, level: str = "warning") -> dict[str, Any]:
    return {
        "path": "app.py",
        "start_line": line,
        "end_line": line,
        "annotation_level": level,
        "message": f"finding {line}",
        "title": "lint",
    }


def test_check_runs_keep_output_and_append_annotations_50_at_a_time(
    gh: FakeGitHub, api: Repository, fake_repo: FakeRepo
) -> None:
    sha = fake_repo.ref_sha("main")
    assert sha is not None
    output = {"title": "auto_merge_pr · confidence 0.90", "summary": "| table |"}
    with pytest.raises(GithubException) as refused:
        api.create_check_run(
            "error-fix",
            sha,
            conclusion="success",
            output={**output, "annotations": [_annotation(n) for n in range(1, 52)]},
        )
    assert refused.value.status == 422
    assert "No more than 50 items are allowed; 51 were supplied." in str(refused.value.data)
    assert fake_repo.check_runs(sha) == []  # refused before anything was stored
    run = api.create_check_run(
        "error-fix",
        sha,
        external_id="p" * 64,
        status="completed",
        conclusion="neutral",
        output={**output, "annotations": [_annotation(n) for n in range(1, 51)]},
    )
    run.edit(output={**output, "annotations": [_annotation(51, "failure")]})
    assert run.output.annotations_count == 51
    held = list(run.get_annotations())
    assert [a.start_line for a in held] == list(range(1, 52))  # appended, in order
    assert held[-1].annotation_level == "failure"
    assert api.get_check_run(run.id).conclusion == "neutral"
    listed = api.get_commit(sha).get_check_runs(check_name="error-fix")
    assert [(r.id, r.external_id) for r in listed] == [(run.id, "p" * 64)]
    api.create_check_run("error-fix", sha, conclusion="success", output=output)  # a second
    assert len(list(api.get_commit(sha).get_check_runs(check_name="error-fix"))) == 1  # latest
    assert len(list(api.get_commit(sha).get_check_runs(filter="all"))) == 2
    assert len(fake_repo.check_runs(sha, "error-fix")) == 2
    with pytest.raises(GithubException) as bad:
        run.edit(output={"title": "no summary"})
    assert bad.value.status == 422


def test_a_check_run_is_refused_on_an_unknown_commit_and_to_a_read_token(
    gh: FakeGitHub, api: Repository, connect: Callable[..., Github]
) -> None:
    with pytest.raises(GithubException) as unknown:
        api.create_check_run("error-fix", "f" * 40, conclusion="success")
    assert unknown.value.status == 422
    sha = api.get_branch("main").commit.sha
    with pytest.raises(GithubException) as denied:
        connect(gh.read_token).get_repo(REPO).create_check_run("x", sha, conclusion="success")
    assert (denied.value.status, denied.value.data["message"]) == (403, NOT_ACCESSIBLE)


def test_a_green_check_run_fires_armed_auto_merge(
    gh: FakeGitHub, api: Repository, protected: FakeRepo
) -> None:
    protected.required_checks["main"] = ["error-fix"]
    pr = open_pr(gh, api, "fix", {"app.py": "def answer():\n    return 42\n"})
    pr.enable_automerge()
    api.create_check_run(
        "error-fix", pr.head.sha, conclusion="success", output={"title": "t", "summary": "s"}
    )
    assert api.get_pull(pr.number).merged


# --------------------------------------------------------------------------------------------
# merge queues
# --------------------------------------------------------------------------------------------

ENQUEUE = (
    "mutation($input: EnqueuePullRequestInput!) { enqueuePullRequest(input: $input) "
    "{ clientMutationId mergeQueueEntry { position state } } }"
)


@pytest.fixture
def queued_main(protected: FakeRepo) -> FakeRepo:
    protected.merge_queue.add("main")
    return protected


def test_a_merge_queue_branch_refuses_a_direct_merge_with_githubs_error(
    gh: FakeGitHub, api: Repository, queued_main: FakeRepo
) -> None:
    pr = open_pr(gh, api, "fix", {"app.py": "x = 2\n"})
    gh.complete_checks(pr.number)
    with pytest.raises(GithubException) as refused:
        pr.merge()
    assert refused.value.status == 405
    assert refused.value.data["message"] == (
        "Repository rule violations found\n\nChanges must be made through the merge queue"
    )
    rules = api._requester.requestJsonAndCheck("GET", f"{api.url}/rules/branches/main")[1]
    assert [r["type"] for r in rules] == ["merge_queue", "required_status_checks"]


def test_enqueue_pins_the_head_queues_once_and_the_queue_merges(
    gh: FakeGitHub, api: Repository, queued_main: FakeRepo
) -> None:
    pr = open_pr(gh, api, "fix", {"app.py": "x = 3\n"})
    moved = {"pullRequestId": pr.node_id, "expectedHeadOid": "0" * 40}
    with pytest.raises(GithubException) as stale:
        api._requester.graphql_query(ENQUEUE, {"input": moved})
    assert graphql_message(stale.value) == HEAD_MODIFIED
    pinned = {"pullRequestId": pr.node_id, "expectedHeadOid": pr.head.sha}
    _, data = api._requester.graphql_query(ENQUEUE, {"input": pinned})
    entry = data["data"]["enqueuePullRequest"]["mergeQueueEntry"]
    assert (entry["position"], entry["state"]) == (1, "AWAITING_CHECKS")  # checks pending
    assert entry["headCommit"]["oid"] == pr.head.sha
    with pytest.raises(GithubException) as again:
        api._requester.graphql_query(ENQUEUE, {"input": pinned})
    assert graphql_message(again.value) == "Pull request is already in the queue"
    assert gh.run_merge_queue() == []  # the checks have not passed
    gh.complete_checks(pr.number)
    assert not api.get_pull(pr.number).merged  # green checks alone do not merge a queued PR
    [merged] = gh.run_merge_queue()
    assert queued_main.ref_sha("main") == merged and api.get_pull(pr.number).merged


def test_auto_merge_on_a_merge_queue_branch_joins_the_queue_when_ready(
    gh: FakeGitHub, api: Repository, queued_main: FakeRepo
) -> None:
    pr = open_pr(gh, api, "fix", {"app.py": "x = 4\n"})
    fields = "clientMutationId pullRequest { isMergeQueueEnabled mergeQueueEntry { position } }"
    _, armed = api._requester.graphql_named_mutation(
        "enablePullRequestAutoMerge", {"pullRequestId": pr.node_id}, fields
    )
    read_back = armed["pullRequest"]
    assert (read_back["isMergeQueueEnabled"], read_back["mergeQueueEntry"]) == (True, None)
    assert queued_main.queued() == []
    gh.complete_checks(pr.number)  # ready: "merge when ready" puts it in the queue
    assert [i.number for i in queued_main.queued()] == [pr.number]
    assert api.get_pull(pr.number).auto_merge is None
    assert len(gh.run_merge_queue()) == 1


def test_check_run_validation_is_not_vacuous(schemas: ResponseSchemas) -> None:
    sent = {
        "name": "error-fix",
        "head_sha": "a" * 40,
        "conclusion": "fine",
        "output": {"title": "t", "summary": "s", "annotations": [{"path": "a.py"}]},
    }
    valid = _annotation(1)
    answer = {"id": 1, "status": "done", "output": {"annotations_count": "many"}}
    record = RequestRecord(
        "POST",
        "/api/v3/repos/a/b/check-runs",
        "",
        "/repos/{owner}/{repo}/check-runs",
        201,
        sent,
        answer,
        False,
        0.0,
    )
    problems = "\n".join(schemas.problems(record, "http://127.0.0.1:1"))
    assert "request conclusion" in problems  # not one of GitHub's conclusions
    assert "request output/annotations/0: 'start_line' is a required property" in problems
    sent["output"]["annotations"] = [valid] * 51  # type: ignore[index]
    many = "\n".join(schemas.problems(record, "http://127.0.0.1:1"))
    assert "request output/annotations: " in many  # more than 50 in one request
    sent["output"]["annotations"] = [valid] * 50  # type: ignore[index]
    assert "request output" not in "\n".join(schemas.problems(record, "http://127.0.0.1:1"))
    assert ": status: 'done'" in problems and "annotations_count" in problems
    patch = RequestRecord(
        "PATCH",
        "/api/v3/repos/a/b/check-runs/1",
        "",
        "/repos/{owner}/{repo}/check-runs/{check_run_id}",
        200,
        {"output": {"summary": 3}},
        {"id": "one"},
        False,
        0.0,
    )
    problems = "\n".join(schemas.problems(patch, "http://127.0.0.1:1"))
    assert "request output/summary" in problems and ": id: 'one'" in problems
