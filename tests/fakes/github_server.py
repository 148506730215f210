"""Stateful loopback fake of a GitHub Enterprise Server (REST v3 + GraphQL), backed by real git.

Usage::

    with FakeGitHub(tmp_path) as gh:
        repo = gh.create_repo("acme/app", files={"app.py": "print(1)\\n"})
        repo.required_checks["main"] = ["ci"]
        repo.allow_auto_merge = True
        g = Github(auth=Auth.Token(gh.write_token), base_url=gh.api_url, ...)
        ...                                   # run the code under test against g
        repo.read_file("main", "app.py")      # inspect the bare repository with git
        gh.complete_checks(pr_number, repo="acme/app")   # CI goes green; armed auto-merge fires
        gh.request_count("PUT", r"/pulls/\\d+/merge")

Layout is GHES: REST under ``/api/v3``, GraphQL at ``POST /api/graphql`` (what PyGithub derives
from ``base_url=.../api/v3``). Every URL in a response is built from the request's ``Host``
header. Repositories are real bare git repositories under ``<tmp>/git``; the Git Data API, PR
mergeability and merges are all done by the git CLI, so a test can check results with
``git show``. Issues, pull requests, labels, comments and check runs live in memory.

What PyGithub 2.x sends (read from the installed source and checked by
tests/integration/fakes/test_github_server.py):

* ``Auth.Token`` sends ``Authorization: token <t>``; ``Bearer <t>`` is accepted as well.
* ``Repository.get_git_ref("heads/a/b")`` quotes with ``safe="/"`` (slashes stay raw), but
  ``get_git_matching_refs`` and ``get_commit``/``get_git_tree`` quote with ``safe=""``, so
  ``%2F`` arrives in the path. Routes match on the raw path and unquote each parameter.
* ``PullRequest.add_to_labels`` / ``set_labels`` send a bare JSON array (``["x"]``).
* ``Repository.get_pulls(head="branch")`` passes ``head`` verbatim; GitHub (and this fake)
  silently IGNORES a head filter without the ``owner:`` prefix and returns every PR.
* ``PullRequest.enable_automerge`` posts ``mutation Mutation($input:
  EnablePullRequestAutoMergeInput!) { enablePullRequestAutoMerge(input: $input) { actor {
  avatarUrl login resourcePath url } clientMutationId } }`` with ``variables={"input":
  {"pullRequestId": <node_id>, "mergeMethod": "MERGE"|"SQUASH"|"REBASE", ...}}``; unset
  optional fields are left out. GraphQL errors come back as HTTP 200 with an ``errors`` array;
  PyGithub raises ``GithubException(400)``, except a single ``type: NOT_FOUND`` error (the
  "Could not resolve to a node" case), which it raises as ``UnknownObjectException(404)``.
* ``GithubRetry`` retries 5xx and 403-with-``Retry-After`` (or a rate-limit message) for the
  urllib3 default methods plus GET and POST -- PATCH is NOT retried. A dropped connection is
  retried only for those methods too. A 403 without ``Retry-After`` whose message is not a
  rate limit (e.g. the Actions policy) is raised at once, without a retry.
* ``PullRequest.remove_from_labels`` on a label the issue lacks gets 404 ``Label does not
  exist``; PyGithub raises a plain ``GithubException`` (only "not found" texts become
  ``UnknownObjectException``).

GitHub behaviour mirrored on purpose: ``POST /pulls`` answers ``mergeable: null`` /
``mergeable_state: "unknown"`` (GitHub computes mergeability in the background; read the PR
again -- ``mergeability_lag(n)`` keeps it unknown for n more reads). A merged or closed PR
reports ``mergeable: null`` / ``"unknown"`` too. Updating a branch that has required checks
through ``PATCH git/refs`` needs those checks green on the new commit. Deleting a PR's head or
base branch closes the PR. Search serves only the first 1000 results (422 beyond). Two
schema-driven details: labels inside the PR *list* carry ``description: ""`` instead of null,
and search items carry ``body: ""`` instead of null (both fields are non-nullable strings in
GitHub's OpenAPI description).

GitHub's error texts reproduced here (GraphQL ones carry GitHub's "Pull request " resource
prefix, exactly as gh and octokit print them): ``Bad credentials`` (401), ``Resource not
accessible by integration`` (403), ``GitHub Actions is not permitted to create or approve pull
requests.`` (403), ``A pull request already exists for OWNER:BRANCH.`` (422), ``No commits
between BASE and HEAD`` (422), ``Reference already exists`` / ``Reference does not exist`` /
``Update is not a fast forward`` (422), ``Head branch was modified. Review and try the merge
again.`` (409), ``Base branch was modified. Review and try the merge again.`` (409, lost
compare-and-swap), ``Pull Request is not mergeable`` (405), ``Auto merge is not allowed for
this repository``, ``Pull request Protected branch rules not configured for this branch``,
``Pull request Pull request is in clean status``, ``Pull request Pull request is in unstable
status``, ``Could not resolve to a node with the global id of '<id>'.``, and
``You have exceeded a secondary rate limit...`` for an injected 403. Texts not confirmed
against GitHub (kept plausible, assert on status codes instead): required-check 405s
(``Required status check "ci" is expected.``), draft 405, and the enable-auto-merge
``expectedHeadOid`` mismatch (reuses the REST 409 text). ``disablePullRequestAutoMerge`` on a
PR without auto-merge is a no-op success here.

Check runs keep their output (title, summary, text) and annotations; an update *appends* the
annotations it carries (GitHub's documented behaviour), and one request takes at most 50: more
get GitHub's own 422 ``Invalid request.\n\nNo more than 50 items are allowed; N were supplied.``
``FakeRepo.check_runs()`` lists every run ever created on a commit (GitHub's list shows the newest
of each name unless ``filter=all``). A completed check run can fire armed auto-merge, as a status does.

Merge queues: a branch in ``FakeRepo.merge_queue`` refuses a direct merge with GitHub's 405
``Repository rule violations found\n\nChanges must be made through the merge queue`` and lists a
``merge_queue`` rule. ``enqueuePullRequest`` (input ``pullRequestId``, ``expectedHeadOid``; no
``mergeMethod`` — the ruleset picks it) queues an open PR, its entry ``AWAITING_CHECKS`` while
required checks are pending; a PR already queued gets ``Pull request is already in the queue``
(as GitHub answers). Armed auto-merge there is "merge when ready": the PR joins the queue once it
is mergeable, and arming a PR that already is queues it at once (gh's merge code relies on this).
``run_merge_queue()`` is the queue's turn: it merges the ready entries in order. Not confirmed
against GitHub (assert on behaviour instead): the texts for enqueuing on a branch without a
queue, a draft or a conflicting PR.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import math
import os
import re
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.parse
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, Self

__all__ = [
    "API_PREFIX",
    "GRAPHQL_PATH",
    "ApiError",
    "AutoMerge",
    "CheckRun",
    "FakeGitHub",
    "FakeRepo",
    "Fault",
    "GitError",
    "Issue",
    "MergeQueueEntry",
    "PullState",
    "RequestRecord",
    "TokenInfo",
]

API_PREFIX = "/api/v3"
GRAPHQL_PATH = "/api/graphql"
GHES_VERSION = "3.14.0"
DOCS_URL = "https://docs.github.com/enterprise-server@3.14/rest"
GRAPHQL_DOCS_URL = "https://docs.github.com/enterprise-server@3.14/graphql"
ZERO_SHA = "0" * 40
SECONDARY_RATE_LIMIT_MESSAGE = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. "
    "If you reach out to GitHub Support for help, please include the request ID "
    "FAKE:0000:0000000:0000000:00000000."
)
HEAD_MODIFIED = "Head branch was modified. Review and try the merge again."
BASE_MODIFIED = "Base branch was modified. Review and try the merge again."
NOT_MERGEABLE = "Pull Request is not mergeable"
ACTIONS_CANNOT_CREATE_PRS = "GitHub Actions is not permitted to create or approve pull requests."
NOT_ACCESSIBLE = "Resource not accessible by integration"
MERGE_QUEUE_REQUIRED = (
    "Repository rule violations found\n\nChanges must be made through the merge queue"
)
ALREADY_QUEUED = "Pull request is already in the queue"
ANNOTATIONS_PER_REQUEST = 50
_CONCLUSIONS = frozenset(
    {
        "action_required",
        "cancelled",
        "failure",
        "neutral",
        "success",
        "skipped",
        "stale",
        "timed_out",
    }
)
_ANNOTATION_LEVELS = frozenset({"notice", "warning", "failure"})
_ANNOTATION_FIELDS = ("path", "start_line", "end_line", "annotation_level", "message")

_PERMISSION_RANK = {"read": 1, "write": 2, "admin": 3}
_GREEN = frozenset({"success", "neutral", "skipped"})
_MERGE_METHODS = ("merge", "squash", "rebase")


# --------------------------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------------------------


def utcnow() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def iso(dt: datetime | None) -> str | None:
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_iso(text: str) -> datetime:
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _node_id(prefix: str, *parts: object) -> str:
    raw = ":".join(str(p) for p in parts).encode()
    return prefix + "_kwDO" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _b64_lines(data: bytes) -> str:
    """Base64 the way GitHub's blob/contents endpoints do: wrapped every 60 characters."""
    encoded = base64.b64encode(data).decode()
    return "".join(encoded[i : i + 60] + "\n" for i in range(0, len(encoded), 60))


class ApiError(Exception):
    """An error response; raised by route handlers and turned into JSON by the dispatcher."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        errors: list[Any] | None = None,
        headers: Mapping[str, str] | None = None,
        docs: str = DOCS_URL,
    ) -> None:
        super().__init__(f"{status} {message}")
        self.status = status
        self.body: dict[str, Any] = {
            "message": message,
            "documentation_url": docs,
            "status": str(status),
        }
        if errors is not None:
            self.body["errors"] = errors
        self.headers = dict(headers or {})


def _not_found() -> ApiError:
    return ApiError(404, "Not Found")


def _validation_failed(*errors: dict[str, Any]) -> ApiError:
    return ApiError(422, "Validation Failed", errors=list(errors))


@dataclass
class Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------
# git
# --------------------------------------------------------------------------------------------


class GitError(RuntimeError):
    pass


@dataclass(frozen=True)
class GitPerson:
    name: str
    email: str
    date: str | None = None  # anything git understands (ISO 8601 included); None = now


@dataclass(frozen=True)
class TreeEdit:
    """One entry of a tree edit: ``sha=None`` deletes ``path`` (file or whole directory)."""

    path: str
    sha: str | None
    mode: str = "100644"
    type: str = "blob"


@dataclass(frozen=True)
class CommitInfo:
    sha: str
    tree: str
    parents: tuple[str, ...]
    author: tuple[str, str, datetime]
    committer: tuple[str, str, datetime]
    message: str
    signed: bool


_PERSON_RE = re.compile(r"^(?P<name>.*) <(?P<email>[^>]*)> (?P<epoch>-?\d+) (?P<tz>[+-]\d{4})$")
GITHUB_COMMITTER = GitPerson("GitHub", "noreply@github.com")


class GitRepo:
    """Thin wrapper around the git CLI for one bare repository (isolated from user config)."""

    def __init__(self, git_dir: Path, scratch: Path) -> None:
        self.git_dir = git_dir
        self._scratch = scratch
        self._env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(scratch),
            "GIT_DIR": str(git_dir),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_TERMINAL_PROMPT": "0",
            "LC_ALL": "C",
            "TZ": "UTC",
            "GIT_AUTHOR_NAME": "Fake GitHub",
            "GIT_AUTHOR_EMAIL": "fake@github.invalid",
            "GIT_COMMITTER_NAME": GITHUB_COMMITTER.name,
            "GIT_COMMITTER_EMAIL": GITHUB_COMMITTER.email,
        }
        self._merge_cache: dict[tuple[str, str], str | None] = {}

    def run(
        self,
        *args: str,
        stdin: bytes | None = None,
        env: Mapping[str, str] | None = None,
        ok_codes: tuple[int, ...] = (0,),
    ) -> subprocess.CompletedProcess[bytes]:
        proc = subprocess.run(
            ["git", *args],
            input=stdin,
            capture_output=True,
            check=False,
            env={**self._env, **(env or {})},
        )
        if proc.returncode not in ok_codes:
            raise GitError(
                f"git {' '.join(args)} failed ({proc.returncode}): "
                f"{proc.stderr.decode(errors='replace').strip()}"
            )
        return proc

    def out(
        self, *args: str, stdin: bytes | None = None, env: Mapping[str, str] | None = None
    ) -> str:
        return self.run(*args, stdin=stdin, env=env).stdout.decode().strip()

    # -- objects ---------------------------------------------------------------------------

    def init(self, default_branch: str) -> None:
        self.git_dir.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["git", "init", "--bare", "-q", str(self.git_dir)],
            check=True,
            env={k: v for k, v in self._env.items() if k != "GIT_DIR"},
            capture_output=True,
        )
        self.run("symbolic-ref", "HEAD", f"refs/heads/{default_branch}")

    def hash_blob(self, data: bytes) -> str:
        return self.out("hash-object", "-w", "--stdin", stdin=data)

    def object_types(self, shas: Iterable[str]) -> dict[str, str | None]:
        wanted = list(dict.fromkeys(shas))
        if not wanted:
            return {}
        lines = self.run(
            "cat-file", "--batch-check", stdin="".join(s + "\n" for s in wanted).encode()
        ).stdout.decode()
        result: dict[str, str | None] = {}
        for sha, line in zip(wanted, lines.splitlines(), strict=True):
            parts = line.split()
            result[sha] = parts[1] if len(parts) == 3 and parts[1] != "missing" else None
        return result

    def object_type(self, sha: str) -> str | None:
        if not re.fullmatch(r"[0-9a-f]{4,40}", sha):
            return None
        return self.object_types([sha])[sha]

    def resolve(self, rev: str, kind: str = "commit") -> str | None:
        if rev.startswith("-"):
            return None
        # "rev:path" swallows any "^{...}" suffix into the path, so only peel plain revisions
        spec = rev if ":" in rev else f"{rev}^{{{kind}}}"
        proc = self.run("rev-parse", "--verify", "--quiet", spec, ok_codes=(0, 1, 128))
        return proc.stdout.decode().strip() or None

    def cat_blob(self, sha: str) -> bytes:
        return self.run("cat-file", "blob", sha).stdout

    def show(self, rev: str, path: str) -> bytes | None:
        proc = self.run("cat-file", "-p", f"{rev}:{path}", ok_codes=(0, 128))
        return proc.stdout if proc.returncode == 0 else None

    def read_commit(self, sha: str) -> CommitInfo | None:
        if self.object_type(sha) != "commit":
            return None
        raw = self.run("cat-file", "commit", sha).stdout.decode(errors="replace")
        header, _, message = raw.partition("\n\n")
        fields: dict[str, list[str]] = {}
        key = ""
        for line in header.split("\n"):
            if line.startswith(" ") and key:
                fields[key][-1] += "\n" + line[1:]
                continue
            key, _, value = line.partition(" ")
            fields.setdefault(key, []).append(value)
        return CommitInfo(
            sha=sha,
            tree=fields["tree"][0],
            parents=tuple(fields.get("parent", [])),
            author=self._person(fields["author"][0]),
            committer=self._person(fields["committer"][0]),
            message=message,
            signed="gpgsig" in fields,
        )

    @staticmethod
    def _person(text: str) -> tuple[str, str, datetime]:
        m = _PERSON_RE.match(text)
        if not m:
            return (text, "", datetime.fromtimestamp(0, UTC))
        return (m["name"], m["email"], datetime.fromtimestamp(int(m["epoch"]), UTC))

    def commit_tree(
        self,
        tree: str,
        parents: Sequence[str],
        message: str,
        author: GitPerson | None = None,
        committer: GitPerson | None = None,
    ) -> str:
        env: dict[str, str] = {}
        for role, person in (("AUTHOR", author), ("COMMITTER", committer)):
            if person is not None:
                env[f"GIT_{role}_NAME"] = person.name
                env[f"GIT_{role}_EMAIL"] = person.email
                if person.date:
                    env[f"GIT_{role}_DATE"] = person.date
        args = ["commit-tree", tree]
        for parent in parents:
            args += ["-p", parent]
        return self.out(*args, "-F", "-", stdin=message.encode(), env=env)

    def build_tree(self, base_tree: str | None, edits: Sequence[TreeEdit]) -> str:
        """Apply ``edits`` to ``base_tree`` (or an empty tree) with a throw-away index."""
        with tempfile.TemporaryDirectory(dir=self._scratch) as tmp:
            env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
            self.run("read-tree", *([base_tree] if base_tree else ["--empty"]), env=env)
            replaced = [e.path.rstrip("/") for e in edits if e.sha is None or e.type == "tree"]
            if replaced:  # drop the path and everything below it (mode 0 = remove)
                listed = self.run("ls-files", "-z", env=env).stdout.decode().split("\0")
                doomed = [
                    p
                    for p in listed
                    if p and any(p == r or p.startswith(r + "/") for r in replaced)
                ]
                if doomed:
                    self.run(
                        "update-index",
                        "-z",
                        "--index-info",
                        env=env,
                        stdin="".join(f"0 {ZERO_SHA}\t{p}\0" for p in doomed).encode(),
                    )
            for edit in edits:
                if edit.sha is not None and edit.type == "tree":
                    self.run("read-tree", f"--prefix={edit.path.rstrip('/')}/", edit.sha, env=env)
            info = "".join(
                f"{e.mode} {e.sha}\t{e.path}\0"
                for e in edits
                if e.sha is not None and e.type != "tree"
            )
            if info:
                self.run(
                    "update-index",
                    "--add",
                    "--replace",
                    "-z",
                    "--index-info",
                    stdin=info.encode(),
                    env=env,
                )
            return self.out("write-tree", env=env)

    def ls_tree(self, tree: str, *, recursive: bool) -> list[tuple[str, str, str, int | None, str]]:
        """(mode, type, sha, size, path) entries; trees included when recursive."""
        args = ["ls-tree", "-l", "-z", *(["-r", "-t"] if recursive else []), tree]
        entries = []
        for record in self.run(*args).stdout.decode().split("\0"):
            if not record:
                continue
            meta, _, path = record.partition("\t")
            mode, kind, sha, size = meta.split()
            entries.append((mode, kind, sha, None if size == "-" else int(size), path))
        return entries

    # -- refs ------------------------------------------------------------------------------

    def refs(self, prefix: str = "refs/") -> dict[str, str]:
        text = self.out("for-each-ref", "--format=%(objectname) %(refname)", prefix)
        return {name: sha for sha, _, name in (ln.partition(" ") for ln in text.splitlines())}

    def ref_sha(self, ref: str) -> str | None:
        proc = self.run("rev-parse", "--verify", "--quiet", ref, ok_codes=(0, 1))
        return proc.stdout.decode().strip() or None

    def update_ref(self, ref: str, new: str, old: str | None) -> bool:
        """Compare-and-swap; ``old=ZERO_SHA`` means "must not exist", None means unconditional."""
        proc = self.run(
            "update-ref", ref, new, *([old] if old is not None else []), ok_codes=(0, 1, 128)
        )
        return proc.returncode == 0

    def delete_ref(self, ref: str, old: str | None = None) -> bool:
        proc = self.run("update-ref", "-d", ref, *([old] if old else []), ok_codes=(0, 1, 128))
        return proc.returncode == 0

    # -- history and merging ---------------------------------------------------------------

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        proc = self.run("merge-base", "--is-ancestor", ancestor, descendant, ok_codes=(0, 1))
        return proc.returncode == 0

    def rev_list(self, exclude: str, include: str) -> list[str]:
        """Commits reachable from ``include`` but not ``exclude``, oldest first."""
        text = self.out("rev-list", "--reverse", "--topo-order", include, f"^{exclude}")
        return text.split()

    def merge_tree(self, ours: str, theirs: str) -> str | None:
        """Tree of a three-way merge, None on conflict (cached: objects are immutable)."""
        key = (ours, theirs)
        if key not in self._merge_cache:
            proc = self.run(
                "merge-tree", "--write-tree", "--no-messages", ours, theirs, ok_codes=(0, 1)
            )
            first = proc.stdout.decode().split("\n", 1)[0].strip()
            self._merge_cache[key] = first if proc.returncode == 0 else None
        return self._merge_cache[key]

    def cherry_pick_tree(self, onto: str, commit: CommitInfo) -> str | None:
        """Tree of ``commit`` replayed on ``onto`` (merge-tree with the parent as merge base)."""
        parent_tree = self.resolve(commit.parents[0], "tree") if commit.parents else None
        onto_tree = self.resolve(onto, "tree")
        if parent_tree == onto_tree:
            return commit.tree
        # git 2.39 has no `merge-tree --merge-base`: give both sides a synthetic common root.
        root_tree = parent_tree or self.build_tree(None, [])
        root = self.commit_tree(root_tree, [], "base")
        ours = self.commit_tree(onto_tree or root_tree, [root], "ours")
        theirs = self.commit_tree(commit.tree, [root], "theirs")
        return self.merge_tree(ours, theirs)

    def diff_stats(self, base: str, head: str) -> tuple[int, int, int]:
        """(additions, deletions, changed files) of ``base...head``."""
        text = self.out("diff", "--numstat", f"{base}...{head}")
        adds = dels = files = 0
        for line in text.splitlines():
            a, d, _ = line.split("\t", 2)
            adds += int(a) if a.isdigit() else 0
            dels += int(d) if d.isdigit() else 0
            files += 1
        return adds, dels, files

    def changed_files(self, sha: str) -> list[tuple[str, str, int, int]]:
        """(status, path, additions, deletions) of a commit against its first parent."""
        status = self.out("diff-tree", "-r", "--root", "--no-commit-id", "--name-status", sha)
        numstat = self.out("diff-tree", "-r", "--root", "--no-commit-id", "--numstat", sha)
        counts = {}
        for line in numstat.splitlines():
            a, d, path = line.split("\t", 2)
            counts[path] = (int(a) if a.isdigit() else 0, int(d) if d.isdigit() else 0)
        result = []
        for line in status.splitlines():
            code, _, path = line.partition("\t")
            adds, dels = counts.get(path, (0, 0))
            result.append(
                ({"A": "added", "D": "removed"}.get(code[:1], "modified"), path, adds, dels)
            )
        return result


# --------------------------------------------------------------------------------------------
# state
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TokenInfo:
    token: str
    permission: str  # read | write | admin
    login: str
    actions: bool  # a workflow GITHUB_TOKEN (subject to the "Actions may not create PRs" policy)


@dataclass(frozen=True)
class User:
    login: str
    id: int

    @property
    def node_id(self) -> str:
        return _node_id("U", self.id)

    @property
    def type(self) -> str:
        return "Bot" if self.login.endswith("[bot]") else "User"

    @property
    def email(self) -> str:
        return f"{self.id}+{self.login}@users.noreply.github.com"


@dataclass
class Label:
    id: int
    name: str
    color: str = "ededed"
    description: str | None = None


@dataclass
class Comment:
    id: int
    issue_number: int
    body: str
    user: User
    created_at: datetime
    updated_at: datetime


@dataclass
class CheckRun:
    id: int
    name: str
    head_sha: str
    status: str  # queued | in_progress | completed
    conclusion: str | None
    started_at: datetime
    completed_at: datetime | None
    external_id: str = ""
    details_url: str | None = None
    title: str | None = None
    summary: str | None = None
    text: str | None = None
    annotations: list[dict[str, Any]] = field(default_factory=list)  # appended, as on GitHub
    requests: int = 1  # POST + PATCHes that wrote it

    @property
    def green(self) -> bool:
        return self.status == "completed" and self.conclusion in _GREEN


@dataclass
class Review:
    id: int
    user: User
    body: str
    state: str
    commit_id: str
    submitted_at: datetime


@dataclass
class MergeQueueEntry:
    id: int
    enqueued_at: datetime
    enqueued_by: User
    head_sha: str  # the head it was queued with (a push takes the PR out of the queue)

    @property
    def node_id(self) -> str:
        return _node_id("MQE", self.id)


@dataclass
class AutoMerge:
    method: str  # merge | squash | rebase
    enabled_by: User
    enabled_at: datetime
    commit_title: str
    commit_message: str


@dataclass
class PullState:
    id: int
    head_ref: str
    head_owner: str
    base_ref: str
    head_sha: str  # last known head (live value comes from the branch while the PR is open)
    base_sha: str
    draft: bool = False
    maintainer_can_modify: bool = False
    merged: bool = False
    merged_at: datetime | None = None
    merged_by: User | None = None
    merge_commit_sha: str | None = None
    auto_merge: AutoMerge | None = None
    queue_entry: MergeQueueEntry | None = None
    reviews: list[Review] = field(default_factory=list)
    node_lag: int = 0  # GraphQL lookups of node_id that still fail (eventual consistency)
    unknown_reads: int = 0  # REST/GraphQL reads that still report mergeability as unknown

    @property
    def node_id(self) -> str:
        return _node_id("PR", self.id)


@dataclass
class Issue:
    """An issue, or a pull request when ``pull`` is set (they share one number sequence)."""

    number: int
    id: int
    title: str
    body: str | None
    user: User
    created_at: datetime
    updated_at: datetime
    state: str = "open"
    state_reason: str | None = None
    closed_at: datetime | None = None
    closed_by: User | None = None
    labels: list[str] = field(default_factory=list)  # label keys (lower-case names)
    assignees: list[str] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    pull: PullState | None = None

    @property
    def node_id(self) -> str:
        return _node_id("I", self.id)

    @property
    def is_pull(self) -> bool:
        return self.pull is not None


class FakeRepo:
    """One repository: settings (mutable from tests), in-memory issues/PRs, a bare git repo."""

    def __init__(
        self,
        fake: FakeGitHub,
        owner: str,
        name: str,
        repo_id: int,
        default_branch: str,
        git: GitRepo,
    ) -> None:
        self._fake = fake
        self.owner = owner
        self.name = name
        self.id = repo_id
        self.default_branch = default_branch
        self.gitrepo = git
        self.created_at = utcnow()
        # settings
        self.allow_auto_merge = False
        self.actions_can_create_prs = True
        self.delete_branch_on_merge = False
        self.allow_merge_commit = True
        self.allow_squash_merge = True
        self.allow_rebase_merge = True
        self.private = True
        self.required_checks: dict[str, list[str]] = {}
        self.merge_queue: set[str] = set()  # branches whose ruleset requires a merge queue
        self.merge_queue_method = "squash"
        # data
        self.labels: dict[str, Label] = {}
        self.issues: dict[int, Issue] = {}
        self.checks: dict[str, dict[str, CheckRun]] = {}  # sha -> name -> latest run
        self.check_history: list[CheckRun] = []  # every run ever created, oldest first
        self._numbers = itertools.count(1)
        self._before_merge_update: list[Callable[[], None]] = []
        self._seed_sha: str | None = None

    # -- test-facing helpers ---------------------------------------------------------------

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"

    @property
    def git_dir(self) -> Path:
        return self.gitrepo.git_dir

    @property
    def node_id(self) -> str:
        return _node_id("R", self.id)

    def git(self, *args: str) -> str:
        """Run any git command against the bare repository; returns stripped stdout."""
        return self.gitrepo.out(*args)

    def ref_sha(self, branch_or_ref: str) -> str | None:
        ref = branch_or_ref if branch_or_ref.startswith("refs/") else f"refs/heads/{branch_or_ref}"
        return self.gitrepo.ref_sha(ref)

    def branches(self) -> list[str]:
        return sorted(r.removeprefix("refs/heads/") for r in self.gitrepo.refs("refs/heads/"))

    def read_file(self, ref: str, path: str) -> str | None:
        data = self.gitrepo.show(ref, path)
        return None if data is None else data.decode()

    def commit(self, rev: str) -> CommitInfo | None:
        sha = self.gitrepo.resolve(rev)
        return self.gitrepo.read_commit(sha) if sha else None

    def issue(self, number: int) -> Issue:
        return self.issues[number]

    def pull(self, number: int) -> Issue:
        issue = self.issues[number]
        assert issue.pull is not None, f"#{number} is an issue, not a pull request"
        return issue

    def pulls(self, state: str = "all") -> list[Issue]:
        return [i for i in self.issues.values() if i.pull is not None and state in ("all", i.state)]

    def check_runs(self, sha_or_branch: str, name: str | None = None) -> list[CheckRun]:
        """Every check run ever created on a commit (not only the latest of each name)."""
        sha = self.gitrepo.resolve(sha_or_branch) or sha_or_branch
        return [r for r in self.check_history if r.head_sha == sha and name in (None, r.name)]

    def queued(self, base_ref: str | None = None) -> list[Issue]:
        """Open PRs in ``base_ref``'s merge queue, in queue order."""
        base = base_ref or self.default_branch
        found = [
            i
            for i in self.pulls("open")
            if i.pull is not None and i.pull.queue_entry is not None and i.pull.base_ref == base
        ]
        return sorted(
            found, key=lambda i: i.pull.queue_entry.id if i.pull and i.pull.queue_entry else 0
        )

    def on_next_merge(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once, between computing a merge and swapping the base ref."""
        self._before_merge_update.append(callback)

    # -- internal --------------------------------------------------------------------------

    def next_number(self) -> int:
        return next(self._numbers)

    def label(self, name: str, *, create: bool = False) -> Label | None:
        key = name.lower()
        if key not in self.labels and create:
            self.labels[key] = Label(self._fake._next_id(), name)
        return self.labels.get(key)

    def seed_sha(self) -> str:
        if self._seed_sha is None:
            self._seed_sha = self.ref_sha(self.default_branch) or ZERO_SHA
        return self._seed_sha

    def head_sha(self, issue: Issue, refs: Mapping[str, str] | None = None) -> str:
        pull = issue.pull
        assert pull is not None
        if issue.state == "open":
            ref = f"refs/heads/{pull.head_ref}"
            live = refs.get(ref) if refs is not None else self.gitrepo.ref_sha(ref)
            if live:
                pull.head_sha = live
        return pull.head_sha

    def base_sha(self, issue: Issue, refs: Mapping[str, str] | None = None) -> str:
        pull = issue.pull
        assert pull is not None
        if issue.state == "open":
            ref = f"refs/heads/{pull.base_ref}"
            live = refs.get(ref) if refs is not None else self.gitrepo.ref_sha(ref)
            if live:
                pull.base_sha = live
        return pull.base_sha

    def check_summary(self, base_ref: str, sha: str) -> tuple[list[str], list[str], bool]:
        """(required checks missing/pending, required checks failed, any other check not green)."""
        runs = self.checks.get(sha, {})
        required = self.required_checks.get(base_ref, [])
        pending = [n for n in required if n not in runs or runs[n].status != "completed"]
        failed = [
            n for n in required if n in runs and runs[n].status == "completed" and not runs[n].green
        ]
        others_red = any(not run.green for name, run in runs.items() if name not in required)
        return pending, failed, others_red

    def merge_state(self, issue: Issue) -> tuple[bool | None, str]:
        """(mergeable, mergeable_state) the way GitHub computes them for one PR."""
        pull = issue.pull
        assert pull is not None
        if issue.state != "open":
            return None, "unknown"
        head, base = self.head_sha(issue), self.base_sha(issue)
        if self.gitrepo.object_type(head) != "commit" or self.gitrepo.object_type(base) != "commit":
            return None, "unknown"
        if self.gitrepo.merge_tree(base, head) is None:
            return False, "dirty"
        if pull.draft:
            return True, "draft"
        pending, failed, others_red = self.check_summary(pull.base_ref, head)
        if pending or failed:
            return True, "blocked"
        if others_red:
            return True, "unstable"
        return True, "clean"

    def reported_merge_state(self, issue: Issue) -> tuple[bool | None, str]:
        """merge_state() as a client sees it: "unknown" while GitHub is still computing."""
        pull = issue.pull
        assert pull is not None
        if pull.unknown_reads > 0 and issue.state == "open":
            pull.unknown_reads -= 1
            return None, "unknown"
        return self.merge_state(issue)

    def merge_pull(
        self,
        issue: Issue,
        *,
        method: str,
        merger: User,
        title: str | None = None,
        message: str | None = None,
        expected_head: str | None = None,
        through_queue: bool = False,
    ) -> str:
        """Merge with git and compare-and-swap the base ref; raises ApiError like GitHub (a
        base that requires a merge queue only takes merges the queue makes)."""
        pull = issue.pull
        assert pull is not None
        if issue.state != "open" or pull.merged:
            raise ApiError(405, NOT_MERGEABLE)
        if pull.base_ref in self.merge_queue and not through_queue:
            raise ApiError(405, MERGE_QUEUE_REQUIRED)
        head = self.head_sha(issue)
        base_ref = f"refs/heads/{pull.base_ref}"
        base = self.gitrepo.ref_sha(base_ref)
        if expected_head is not None and expected_head != head:
            raise ApiError(409, HEAD_MODIFIED)
        if method not in _MERGE_METHODS:
            raise _validation_failed(
                {"resource": "PullRequest", "field": "merge_method", "code": "invalid"}
            )
        allowed = {
            "merge": self.allow_merge_commit,
            "squash": self.allow_squash_merge,
            "rebase": self.allow_rebase_merge,
        }
        if not allowed[method]:
            noun = {"merge": "Merge commits", "squash": "Squash merges", "rebase": "Rebase merges"}[
                method
            ]
            raise ApiError(405, f"{noun} are not allowed on this repository.")
        if base is None or self.gitrepo.object_type(head) != "commit":
            raise ApiError(405, NOT_MERGEABLE)
        if pull.draft:
            raise ApiError(405, "Pull Request is still a draft")
        if self.gitrepo.merge_tree(base, head) is None:
            raise ApiError(405, NOT_MERGEABLE)
        pending, failed, _ = self.check_summary(pull.base_ref, head)
        if failed:
            raise ApiError(405, f'Required status check "{failed[0]}" is failing.')
        if pending:
            raise ApiError(405, f'Required status check "{pending[0]}" is expected.')
        new = self._merge_commits(issue, method, base, head, merger, title, message)
        if new is None:
            raise ApiError(405, NOT_MERGEABLE)
        while self._before_merge_update:
            self._before_merge_update.pop(0)()
        if not self.gitrepo.update_ref(base_ref, new, base):
            raise ApiError(409, BASE_MODIFIED)
        now = utcnow()
        pull.merged, pull.merged_at, pull.merged_by = True, now, merger
        pull.merge_commit_sha, pull.head_sha, pull.base_sha = new, head, new
        pull.auto_merge = None
        pull.queue_entry = None
        issue.state, issue.closed_at, issue.closed_by, issue.updated_at = "closed", now, merger, now
        if self.delete_branch_on_merge and pull.head_ref != self.default_branch:
            self.gitrepo.delete_ref(f"refs/heads/{pull.head_ref}", head)
        return new

    def _merge_commits(
        self,
        issue: Issue,
        method: str,
        base: str,
        head: str,
        merger: User,
        title: str | None,
        message: str | None,
    ) -> str | None:
        pull = issue.pull
        assert pull is not None
        git = self.gitrepo
        author = GitPerson(merger.login, merger.email)
        if method == "rebase":
            current = base
            for sha in git.rev_list(base, head):
                info = git.read_commit(sha)
                assert info is not None
                if len(info.parents) > 1:
                    return None  # GitHub: "This branch can't be rebased"
                tree = git.cherry_pick_tree(current, info)
                if tree is None:
                    return None
                name, email, when = info.author
                current = git.commit_tree(
                    tree,
                    [current],
                    info.message,
                    GitPerson(name, email, iso(when)),
                    GITHUB_COMMITTER,
                )
            return current
        tree = git.merge_tree(base, head)
        if tree is None:
            return None
        if method == "squash":
            subjects = [git.out("log", "-1", "--format=%s", c) for c in git.rev_list(base, head)]
            text = (
                (title or f"{issue.title} (#{issue.number})")
                + "\n\n"
                + (message if message is not None else "\n\n".join(f"* {s}" for s in subjects))
            )
            return git.commit_tree(tree, [base], text.rstrip("\n") + "\n", author, GITHUB_COMMITTER)
        text = (
            (title or f"Merge pull request #{issue.number} from {pull.head_owner}/{pull.head_ref}")
            + "\n\n"
            + (message if message is not None else issue.title)
        )
        return git.commit_tree(
            tree, [base, head], text.rstrip("\n") + "\n", author, GITHUB_COMMITTER
        )

    def enqueue(self, issue: Issue, actor: User) -> MergeQueueEntry:
        """Put an open PR in its base branch's merge queue (armed auto-merge is consumed)."""
        pull = issue.pull
        assert pull is not None
        if pull.queue_entry is None:
            pull.queue_entry = MergeQueueEntry(
                self._fake._next_id(), utcnow(), actor, self.head_sha(issue)
            )
        pull.auto_merge = None
        return pull.queue_entry

    def queue_state(self, issue: Issue) -> str:
        """The GraphQL MergeQueueEntryState of a queued PR."""
        pull = issue.pull
        assert pull is not None
        pending, failed, _ = self.check_summary(pull.base_ref, self.head_sha(issue))
        return "AWAITING_CHECKS" if pending or failed else "QUEUED"

    def maybe_auto_merge(self, issue: Issue) -> str | None:
        """Fire armed auto-merge once the PR's requirements are met, as GitHub does."""
        pull = issue.pull
        if pull is None or pull.auto_merge is None or issue.state != "open":
            return None
        _, state = self.merge_state(issue)
        if state not in ("clean", "unstable"):
            return None
        armed = pull.auto_merge
        if pull.base_ref in self.merge_queue:  # "merge when ready": ready, so it joins the queue
            self.enqueue(issue, armed.enabled_by)
            return None
        try:
            return self.merge_pull(
                issue,
                method=armed.method,
                merger=armed.enabled_by,
                title=armed.commit_title or None,
                message=armed.commit_message or None,
            )
        except ApiError:
            return None  # stays armed, as on GitHub when the merge cannot happen yet


# --------------------------------------------------------------------------------------------
# request bookkeeping and fault injection
# --------------------------------------------------------------------------------------------


@dataclass
class RequestRecord:
    method: str
    path: str  # raw request path without the query string, e.g. /api/v3/repos/o/r/pulls
    query: str
    template: str | None  # OpenAPI path template of the matched route ("graphql" for GraphQL)
    status: int | None  # None when the connection was dropped
    request_json: Any
    response_json: Any
    injected: bool
    at: float
    client_port: int = 0  # the client's source port: equal ports = one keep-alive connection


@dataclass
class Fault:
    method: str | None
    path_regex: re.Pattern[str]
    status: int
    remaining: int | None  # None = permanent
    headers: dict[str, str]
    body: Any
    reset: bool
    hits: int = 0

    def matches(self, method: str, path: str) -> bool:
        return (
            (self.remaining is None or self.remaining > 0)
            and self.method in (None, "*", method)
            and bool(self.path_regex.search(path))
        )

    def consume(self) -> None:
        self.hits += 1
        if self.remaining is not None:
            self.remaining -= 1


def _default_fault_body(status: int) -> dict[str, Any]:
    if status == 403:
        return {
            "message": SECONDARY_RATE_LIMIT_MESSAGE,
            "documentation_url": "https://docs.github.com/enterprise-server@3.14/rest/overview/"
            "rate-limits-for-the-rest-api#about-secondary-rate-limits",
        }
    if status == 429:
        return {"message": SECONDARY_RATE_LIMIT_MESSAGE, "documentation_url": DOCS_URL}
    messages = {
        500: "Server Error",
        502: "Server Error",
        503: "Service Unavailable",
        504: "We couldn't respond to your request in time. Sorry about that.",
    }
    return {"message": messages.get(status, "Injected fault"), "documentation_url": DOCS_URL}


# --------------------------------------------------------------------------------------------
# HTTP plumbing
# --------------------------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False

    def __init__(self, fake: FakeGitHub) -> None:
        self.fake = fake
        self.open_sockets: set[socket.socket] = set()
        self.sockets_lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return  # the client went away mid-request: nothing to report
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "GitHub.com"
    sys_version = ""
    timeout = 30
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.server.sockets_lock:
            self.server.open_sockets.add(self.connection)

    def finish(self) -> None:
        with contextlib.suppress(OSError):
            super().finish()
        with self.server.sockets_lock:
            self.server.open_sockets.discard(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _handle(self) -> None:
        self.server.fake._handle(self)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = do_HEAD = _handle

    def read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def abort(self) -> None:
        """Drop the connection without a response (RST thanks to a zero linger)."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    def respond(self, reply: Reply, *, rate_remaining: int) -> None:
        data = (
            b""
            if reply.body is None or reply.status in (204, 304)
            else json.dumps(reply.body).encode()
        )
        self.send_response(reply.status)
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "X-GitHub-Media-Type": "github.v3; format=json",
            "X-GitHub-Enterprise-Version": GHES_VERSION,
            "X-GitHub-Request-Id": f"FAKE:{threading.get_ident() % 100000:05d}",
            "X-RateLimit-Limit": "5000",
            "X-RateLimit-Remaining": str(rate_remaining),
            "X-RateLimit-Used": str(5000 - rate_remaining),
            "X-RateLimit-Reset": str(int(time.time()) + 3600),
            "X-RateLimit-Resource": "core",
        }
        headers.update(reply.headers)
        for key, value in headers.items():
            self.send_header(key, value)
        if reply.status not in (204, 304):
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if data and self.command != "HEAD":
            self.wfile.write(data)


# --------------------------------------------------------------------------------------------
# request context and routing
# --------------------------------------------------------------------------------------------


@dataclass
class _Ctx:
    method: str
    path: str  # API-relative raw path, e.g. /repos/o/r/pulls
    query: dict[str, str]
    body: Any
    base: str  # http://host:port from the Host header
    token: TokenInfo
    params: dict[str, str] = field(default_factory=dict)
    repo: FakeRepo | None = None
    _refs: dict[str, str] | None = None
    _repo_json: dict[tuple[str, bool], dict[str, Any]] = field(default_factory=dict)

    @property
    def api(self) -> str:
        return self.base + API_PREFIX

    @property
    def r(self) -> FakeRepo:
        assert self.repo is not None
        return self.repo

    def refs(self) -> dict[str, str]:
        """One ``for-each-ref`` per request, however many PRs are serialized."""
        if self._refs is None:
            self._refs = self.r.gitrepo.refs()
        return self._refs

    def invalidate_refs(self) -> None:
        self._refs = None

    def obj(self) -> dict[str, Any]:
        if self.body is None:
            return {}
        if not isinstance(self.body, dict):
            raise ApiError(400, "Problems parsing JSON")
        return self.body

    def int_param(self, name: str) -> int:
        return int(self.params[name])


_HandlerFn = Callable[[_Ctx], Reply]
_GREEDY_PARAMS = frozenset({"ref", "branch", "path", "name"})
_NUMERIC_PARAMS = frozenset({"issue_number", "pull_number", "comment_id", "check_run_id"})


@dataclass(frozen=True)
class _Route:
    method: str
    template: str
    handler: _HandlerFn
    access: str = "read"

    @property
    def regex(self) -> re.Pattern[str]:
        def param(m: re.Match[str]) -> str:
            name = m[1]
            pattern = (
                ".+" if name in _GREEDY_PARAMS else r"\d+" if name in _NUMERIC_PARAMS else "[^/]+"
            )
            return f"(?P<{name}>{pattern})"

        return re.compile("^" + re.sub(r"\\\{(\w+)\\\}", param, re.escape(self.template)) + "$")


# --------------------------------------------------------------------------------------------
# JSON views
# --------------------------------------------------------------------------------------------


class _Views:
    """Serializers for GitHub's REST objects; every URL is built from the request's host."""

    def __init__(self, fake: FakeGitHub) -> None:
        self.fake = fake

    @staticmethod
    def user(ctx: _Ctx, user: User) -> dict[str, Any]:
        api = f"{ctx.api}/users/{urllib.parse.quote(user.login)}"
        return {
            "login": user.login,
            "id": user.id,
            "node_id": user.node_id,
            "avatar_url": f"{ctx.base}/avatars/u/{user.id}",
            "gravatar_id": "",
            "url": api,
            "html_url": f"{ctx.base}/{user.login}",
            "followers_url": f"{api}/followers",
            "following_url": f"{api}/following{{/other_user}}",
            "gists_url": f"{api}/gists{{/gist_id}}",
            "starred_url": f"{api}/starred{{/owner}}{{/repo}}",
            "subscriptions_url": f"{api}/subscriptions",
            "organizations_url": f"{api}/orgs",
            "repos_url": f"{api}/repos",
            "events_url": f"{api}/events{{/privacy}}",
            "received_events_url": f"{api}/received_events",
            "type": user.type,
            "site_admin": False,
            "user_view_type": "public",
        }

    _REPO_URLS = (
        ("archive_url", "/{archive_format}{/ref}"),
        ("assignees_url", "/assignees{/user}"),
        ("blobs_url", "/git/blobs{/sha}"),
        ("branches_url", "/branches{/branch}"),
        ("collaborators_url", "/collaborators{/collaborator}"),
        ("comments_url", "/comments{/number}"),
        ("commits_url", "/commits{/sha}"),
        ("compare_url", "/compare/{base}...{head}"),
        ("contents_url", "/contents/{+path}"),
        ("contributors_url", "/contributors"),
        ("deployments_url", "/deployments"),
        ("downloads_url", "/downloads"),
        ("events_url", "/events"),
        ("forks_url", "/forks"),
        ("git_commits_url", "/git/commits{/sha}"),
        ("git_refs_url", "/git/refs{/sha}"),
        ("git_tags_url", "/git/tags{/sha}"),
        ("hooks_url", "/hooks"),
        ("issue_comment_url", "/issues/comments{/number}"),
        ("issue_events_url", "/issues/events{/number}"),
        ("issues_url", "/issues{/number}"),
        ("keys_url", "/keys{/key_id}"),
        ("labels_url", "/labels{/name}"),
        ("languages_url", "/languages"),
        ("merges_url", "/merges"),
        ("milestones_url", "/milestones{/number}"),
        ("notifications_url", "/notifications{?since,all,participating}"),
        ("pulls_url", "/pulls{/number}"),
        ("releases_url", "/releases{/id}"),
        ("stargazers_url", "/stargazers"),
        ("statuses_url", "/statuses/{sha}"),
        ("subscribers_url", "/subscribers"),
        ("subscription_url", "/subscription"),
        ("tags_url", "/tags"),
        ("teams_url", "/teams"),
        ("trees_url", "/git/trees{/sha}"),
    )

    def repo(self, ctx: _Ctx, repo: FakeRepo, *, full: bool = False) -> dict[str, Any]:
        key = (repo.full_name, full)
        if key in ctx._repo_json:
            return ctx._repo_json[key]
        api = f"{ctx.api}/repos/{repo.full_name}"
        host = urllib.parse.urlsplit(ctx.base).hostname or "localhost"
        open_count = sum(1 for i in repo.issues.values() if i.state == "open")
        data: dict[str, Any] = {
            "id": repo.id,
            "node_id": repo.node_id,
            "name": repo.name,
            "full_name": repo.full_name,
            "private": repo.private,
            "owner": self.user(ctx, self.fake._user(repo.owner)),
            "html_url": f"{ctx.base}/{repo.full_name}",
            "description": None,
            "fork": False,
            "url": api,
            **{k: api + suffix for k, suffix in self._REPO_URLS},
            "git_url": f"git://{host}/{repo.full_name}.git",
            "ssh_url": f"git@{host}:{repo.full_name}.git",
            "clone_url": f"{ctx.base}/{repo.full_name}.git",
            "svn_url": f"{ctx.base}/{repo.full_name}",
            "mirror_url": None,
            "homepage": None,
            "language": "Python",
            "size": 0,
            "stargazers_count": 0,
            "watchers_count": 0,
            "forks_count": 0,
            "forks": 0,
            "watchers": 0,
            "open_issues_count": open_count,
            "open_issues": open_count,
            "has_issues": True,
            "has_projects": False,
            "has_downloads": True,
            "has_wiki": False,
            "has_pages": False,
            "has_discussions": False,
            "archived": False,
            "disabled": False,
            "visibility": "private" if repo.private else "internal",
            "is_template": False,
            "license": None,
            "topics": [],
            "default_branch": repo.default_branch,
            "created_at": iso(repo.created_at),
            "updated_at": iso(repo.created_at),
            "pushed_at": iso(repo.created_at),
            "allow_forking": False,
            "web_commit_signoff_required": False,
        }
        if full:
            perm = _PERMISSION_RANK[ctx.token.permission]
            data.update(
                {
                    "permissions": {
                        "admin": perm >= 3,
                        "maintain": perm >= 3,
                        "push": perm >= 2,
                        "triage": perm >= 2,
                        "pull": True,
                    },
                    "allow_auto_merge": repo.allow_auto_merge,
                    "allow_merge_commit": repo.allow_merge_commit,
                    "allow_squash_merge": repo.allow_squash_merge,
                    "allow_rebase_merge": repo.allow_rebase_merge,
                    "allow_update_branch": False,
                    "delete_branch_on_merge": repo.delete_branch_on_merge,
                    "use_squash_pr_title_as_default": False,
                    "squash_merge_commit_title": "COMMIT_OR_PR_TITLE",
                    "squash_merge_commit_message": "COMMIT_MESSAGES",
                    "merge_commit_title": "MERGE_MESSAGE",
                    "merge_commit_message": "PR_TITLE",
                    "network_count": 0,
                    "subscribers_count": 0,
                    "organization": None,
                }
            )
        ctx._repo_json[key] = data
        return data

    @staticmethod
    def label(ctx: _Ctx, repo: FakeRepo, label: Label) -> dict[str, Any]:
        return {
            "id": label.id,
            "node_id": _node_id("LA", label.id),
            "url": f"{ctx.api}/repos/{repo.full_name}/labels/{urllib.parse.quote(label.name)}",
            "name": label.name,
            "color": label.color,
            "default": False,
            "description": label.description,
        }

    def issue_labels(
        self, ctx: _Ctx, repo: FakeRepo, issue: Issue, *, null_description: bool = True
    ) -> list[dict[str, Any]]:
        labels = [self.label(ctx, repo, repo.labels[k]) for k in issue.labels if k in repo.labels]
        if not null_description:  # the pull-request-simple schema has a non-nullable string
            for label in labels:
                label["description"] = label["description"] or ""
        return labels

    def issue(self, ctx: _Ctx, repo: FakeRepo, issue: Issue) -> dict[str, Any]:
        api = f"{ctx.api}/repos/{repo.full_name}/issues/{issue.number}"
        html_kind = "pull" if issue.is_pull else "issues"
        data: dict[str, Any] = {
            "id": issue.id,
            "node_id": issue.node_id,
            "url": api,
            "repository_url": f"{ctx.api}/repos/{repo.full_name}",
            "labels_url": f"{api}/labels{{/name}}",
            "comments_url": f"{api}/comments",
            "events_url": f"{api}/events",
            "timeline_url": f"{api}/timeline",
            "html_url": f"{ctx.base}/{repo.full_name}/{html_kind}/{issue.number}",
            "number": issue.number,
            "state": issue.state,
            "state_reason": issue.state_reason,
            "title": issue.title,
            "body": issue.body,
            "user": self.user(ctx, issue.user),
            "labels": self.issue_labels(ctx, repo, issue),
            "assignee": self.user(ctx, self.fake._user(issue.assignees[0]))
            if issue.assignees
            else None,
            "assignees": [self.user(ctx, self.fake._user(a)) for a in issue.assignees],
            "milestone": None,
            "locked": False,
            "active_lock_reason": None,
            "comments": len(issue.comments),
            "created_at": iso(issue.created_at),
            "updated_at": iso(issue.updated_at),
            "closed_at": iso(issue.closed_at),
            "closed_by": self.user(ctx, issue.closed_by) if issue.closed_by else None,
            "author_association": "CONTRIBUTOR",
            "draft": bool(issue.pull and issue.pull.draft),
        }
        if issue.pull is not None:
            pr_api = f"{ctx.api}/repos/{repo.full_name}/pulls/{issue.number}"
            html = data["html_url"]
            data["pull_request"] = {
                "url": pr_api,
                "html_url": html,
                "diff_url": f"{html}.diff",
                "patch_url": f"{html}.patch",
                "merged_at": iso(issue.pull.merged_at),
            }
        return data

    def _branch_part(
        self, ctx: _Ctx, repo: FakeRepo, owner: str, ref: str, sha: str
    ) -> dict[str, Any]:
        return {
            "label": f"{owner}:{ref}",
            "ref": ref,
            "sha": sha,
            "user": self.user(ctx, self.fake._user(owner)),
            "repo": self.repo(ctx, repo),
        }

    def auto_merge(self, ctx: _Ctx, armed: AutoMerge | None) -> dict[str, Any] | None:
        if armed is None:
            return None
        return {
            "enabled_by": self.user(ctx, armed.enabled_by),
            "merge_method": armed.method,
            "commit_title": armed.commit_title,
            "commit_message": armed.commit_message,
        }

    def pull(
        self, ctx: _Ctx, repo: FakeRepo, issue: Issue, *, full: bool, just_created: bool = False
    ) -> dict[str, Any]:
        pull = issue.pull
        assert pull is not None
        refs = ctx.refs()
        head_sha, base_sha = repo.head_sha(issue, refs), repo.base_sha(issue, refs)
        api = f"{ctx.api}/repos/{repo.full_name}"
        url = f"{api}/pulls/{issue.number}"
        html = f"{ctx.base}/{repo.full_name}/pull/{issue.number}"
        links = {
            "self": url,
            "html": html,
            "issue": f"{api}/issues/{issue.number}",
            "comments": f"{api}/issues/{issue.number}/comments",
            "review_comments": f"{url}/comments",
            "review_comment": f"{api}/pulls/comments{{/number}}",
            "commits": f"{url}/commits",
            "statuses": f"{api}/statuses/{head_sha}",
        }
        data: dict[str, Any] = {
            "url": url,
            "id": pull.id,
            "node_id": pull.node_id,
            "html_url": html,
            "diff_url": f"{html}.diff",
            "patch_url": f"{html}.patch",
            "issue_url": links["issue"],
            "commits_url": links["commits"],
            "review_comments_url": links["review_comments"],
            "review_comment_url": links["review_comment"],
            "comments_url": links["comments"],
            "statuses_url": links["statuses"],
            "number": issue.number,
            "state": issue.state,
            "locked": False,
            "title": issue.title,
            "user": self.user(ctx, issue.user),
            "body": issue.body,
            "milestone": None,
            "labels": self.issue_labels(ctx, repo, issue, null_description=full),
            "active_lock_reason": None,
            "created_at": iso(issue.created_at),
            "updated_at": iso(issue.updated_at),
            "closed_at": iso(issue.closed_at),
            "merged_at": iso(pull.merged_at),
            "merge_commit_sha": pull.merge_commit_sha,
            "assignee": None,
            "assignees": [],
            "requested_reviewers": [],
            "requested_teams": [],
            "head": self._branch_part(ctx, repo, pull.head_owner, pull.head_ref, head_sha),
            "base": self._branch_part(ctx, repo, repo.owner, pull.base_ref, base_sha),
            "_links": {k: {"href": v} for k, v in links.items()},
            "author_association": "CONTRIBUTOR",
            "auto_merge": self.auto_merge(ctx, pull.auto_merge),
            "draft": pull.draft,
        }
        if full:
            # GitHub computes mergeability in the background: a new PR always says "unknown"
            mergeable, state = (
                (None, "unknown") if just_created else repo.reported_merge_state(issue)
            )
            commits = adds = dels = files = 0
            git = repo.gitrepo
            if git.object_type(head_sha) == "commit" and git.object_type(base_sha) == "commit":
                commits = len(git.rev_list(base_sha, head_sha))
                adds, dels, files = git.diff_stats(base_sha, head_sha)
            data.update(
                {
                    "merged": pull.merged,
                    "mergeable": mergeable,
                    "rebaseable": mergeable,
                    "mergeable_state": state,
                    "merged_by": self.user(ctx, pull.merged_by) if pull.merged_by else None,
                    "comments": len(issue.comments),
                    "review_comments": 0,
                    "maintainer_can_modify": pull.maintainer_can_modify,
                    "commits": commits,
                    "additions": adds,
                    "deletions": dels,
                    "changed_files": files,
                }
            )
        return data

    @staticmethod
    def comment(ctx: _Ctx, repo: FakeRepo, comment: Comment) -> dict[str, Any]:
        api = f"{ctx.api}/repos/{repo.full_name}"
        issue = repo.issues[comment.issue_number]
        kind = "pull" if issue.is_pull else "issues"
        return {
            "id": comment.id,
            "node_id": _node_id("IC", comment.id),
            "url": f"{api}/issues/comments/{comment.id}",
            "html_url": f"{ctx.base}/{repo.full_name}/{kind}/{issue.number}"
            f"#issuecomment-{comment.id}",
            "issue_url": f"{api}/issues/{issue.number}",
            "body": comment.body,
            "user": _Views.user(ctx, comment.user),
            "created_at": iso(comment.created_at),
            "updated_at": iso(comment.updated_at),
            "author_association": "CONTRIBUTOR",
        }

    def review(self, ctx: _Ctx, repo: FakeRepo, issue: Issue, review: Review) -> dict[str, Any]:
        html = f"{ctx.base}/{repo.full_name}/pull/{issue.number}#pullrequestreview-{review.id}"
        pr_url = f"{ctx.api}/repos/{repo.full_name}/pulls/{issue.number}"
        return {
            "id": review.id,
            "node_id": _node_id("PRR", review.id),
            "user": self.user(ctx, review.user),
            "body": review.body,
            "state": review.state,
            "html_url": html,
            "pull_request_url": pr_url,
            "commit_id": review.commit_id,
            "submitted_at": iso(review.submitted_at),
            "author_association": "CONTRIBUTOR",
            "_links": {"html": {"href": html}, "pull_request": {"href": pr_url}},
        }

    def check_run(self, ctx: _Ctx, repo: FakeRepo, run: CheckRun) -> dict[str, Any]:
        api = f"{ctx.api}/repos/{repo.full_name}/check-runs/{run.id}"
        html = f"{ctx.base}/{repo.full_name}/runs/{run.id}"
        actions = self.fake._user("github-actions[bot]")
        return {
            "id": run.id,
            "node_id": _node_id("CR", run.id),
            "head_sha": run.head_sha,
            "external_id": run.external_id,
            "url": api,
            "html_url": html,
            "details_url": run.details_url or html,
            "status": run.status,
            "conclusion": run.conclusion,
            "started_at": iso(run.started_at),
            "completed_at": iso(run.completed_at),
            "output": {
                "title": run.title,
                "summary": run.summary,
                "text": run.text,
                "annotations_count": len(run.annotations),
                "annotations_url": f"{api}/annotations",
            },
            "name": run.name,
            "check_suite": {"id": run.id + 1},
            "app": {
                "id": 15368,
                "slug": "github-actions",
                "node_id": _node_id("A", 15368),
                "name": "GitHub Actions",
                "owner": self.user(ctx, actions),
                "description": "",
                "external_url": f"{ctx.base}/features/actions",
                "html_url": f"{ctx.base}/apps/github-actions",
                "created_at": "2018-07-30T09:30:17Z",
                "updated_at": "2019-12-10T19:04:12Z",
                "permissions": {},
                "events": [],
            },
            "pull_requests": [],
        }

    @staticmethod
    def git_ref(ctx: _Ctx, repo: FakeRepo, ref: str, sha: str, kind: str) -> dict[str, Any]:
        api = f"{ctx.api}/repos/{repo.full_name}/git"
        plural = {"commit": "commits", "tag": "tags", "tree": "trees", "blob": "blobs"}[kind]
        return {
            "ref": ref,
            "node_id": _node_id("REF", repo.id, ref),
            "url": f"{api}/refs/{urllib.parse.quote(ref.removeprefix('refs/'))}",
            "object": {"sha": sha, "type": kind, "url": f"{api}/{plural}/{sha}"},
        }

    def verification(self, repo: FakeRepo, info: CommitInfo) -> dict[str, Any]:
        if info.sha in self.fake._verified:
            signature = "-----BEGIN PGP SIGNATURE-----\n\nfake\n-----END PGP SIGNATURE-----\n"
            return {
                "verified": True,
                "reason": "valid",
                "signature": signature,
                "payload": f"tree {info.tree}\n",
                "verified_at": iso(info.committer[2]),
            }
        return {
            "verified": False,
            "reason": "unsigned",
            "signature": None,
            "payload": None,
            "verified_at": None,
        }

    def git_commit(self, ctx: _Ctx, repo: FakeRepo, info: CommitInfo) -> dict[str, Any]:
        api = f"{ctx.api}/repos/{repo.full_name}/git"
        html = f"{ctx.base}/{repo.full_name}/commit"
        return {
            "sha": info.sha,
            "node_id": _node_id("C", repo.id, info.sha),
            "url": f"{api}/commits/{info.sha}",
            "html_url": f"{html}/{info.sha}",
            "author": self._person(info.author),
            "committer": self._person(info.committer),
            "tree": {"sha": info.tree, "url": f"{api}/trees/{info.tree}"},
            "message": info.message,
            "parents": [
                {"sha": p, "url": f"{api}/commits/{p}", "html_url": f"{html}/{p}"}
                for p in info.parents
            ],
            "verification": self.verification(repo, info),
        }

    @staticmethod
    def _person(person: tuple[str, str, datetime]) -> dict[str, Any]:
        return {"name": person[0], "email": person[1], "date": iso(person[2])}

    def commit(self, ctx: _Ctx, repo: FakeRepo, info: CommitInfo) -> dict[str, Any]:
        """The repos/get-commit shape (also embedded in a branch)."""
        api = f"{ctx.api}/repos/{repo.full_name}"
        html = f"{ctx.base}/{repo.full_name}/commit"
        files: list[dict[str, Any]] = []
        for status, path, adds, dels in repo.gitrepo.changed_files(info.sha):
            files.append(
                {
                    "sha": None,
                    "filename": path,
                    "status": status,
                    "additions": adds,
                    "deletions": dels,
                    "changes": adds + dels,
                    "blob_url": f"{ctx.base}/{repo.full_name}/blob/{info.sha}/{path}",
                    "raw_url": f"{ctx.base}/{repo.full_name}/raw/{info.sha}/{path}",
                    "contents_url": f"{api}/contents/{path}?ref={info.sha}",
                }
            )
        adds = sum(f["additions"] for f in files)
        dels = sum(f["deletions"] for f in files)
        return {
            "sha": info.sha,
            "node_id": _node_id("C", repo.id, info.sha),
            "url": f"{api}/commits/{info.sha}",
            "html_url": f"{html}/{info.sha}",
            "comments_url": f"{api}/commits/{info.sha}/comments",
            "commit": {
                "author": self._person(info.author),
                "committer": self._person(info.committer),
                "message": info.message.rstrip("\n"),
                "tree": {"sha": info.tree, "url": f"{api}/git/trees/{info.tree}"},
                "url": f"{api}/git/commits/{info.sha}",
                "comment_count": 0,
                "verification": self.verification(repo, info),
            },
            "author": None,
            "committer": None,
            "parents": [
                {"sha": p, "url": f"{api}/commits/{p}", "html_url": f"{html}/{p}"}
                for p in info.parents
            ],
            "stats": {"additions": adds, "deletions": dels, "total": adds + dels},
            "files": files,
        }

    @staticmethod
    def tree(ctx: _Ctx, repo: FakeRepo, sha: str, *, recursive: bool) -> dict[str, Any]:
        api = f"{ctx.api}/repos/{repo.full_name}/git"
        entries = []
        for mode, kind, obj, size, path in repo.gitrepo.ls_tree(sha, recursive=recursive):
            entry: dict[str, Any] = {"path": path, "mode": mode, "type": kind, "sha": obj}
            if size is not None:
                entry["size"] = size
            if kind in ("blob", "tree"):
                entry["url"] = f"{api}/{kind}s/{obj}"
            entries.append(entry)
        return {"sha": sha, "url": f"{api}/trees/{sha}", "tree": entries, "truncated": False}


# --------------------------------------------------------------------------------------------
# REST API
# --------------------------------------------------------------------------------------------


class _RestApi:
    """Route table plus one small handler per operation."""

    def __init__(self, fake: FakeGitHub) -> None:
        self.fake = fake
        self.v = fake._views
        repo = "/repos/{owner}/{repo}"
        r = _Route
        self.routes: list[_Route] = [
            r("GET", "/user", self.get_user),
            r("GET", "/rate_limit", self.get_rate_limit),
            r("GET", "/search/issues", self.search_issues),
            r("GET", repo, self.get_repo),
            r("PATCH", repo, self.update_repo, "admin"),
            r(
                "GET",
                repo + "/branches/{branch}/protection/required_status_checks",
                self.get_required_status_checks,
            ),
            r("GET", repo + "/branches/{branch}", self.get_branch),
            r("GET", repo + "/rules/branches/{branch}", self.get_branch_rules),
            r("GET", repo + "/commits/{ref}/check-runs", self.list_check_runs),
            r("GET", repo + "/commits/{ref}", self.get_commit),
            r("POST", repo + "/check-runs", self.create_check_run, "write"),
            r("GET", repo + "/check-runs/{check_run_id}", self.get_check_run),
            r("PATCH", repo + "/check-runs/{check_run_id}", self.update_check_run, "write"),
            r("GET", repo + "/check-runs/{check_run_id}/annotations", self.list_annotations),
            r("GET", repo + "/contents/{path}", self.get_contents),
            r("POST", repo + "/git/blobs", self.create_blob, "write"),
            r("GET", repo + "/git/blobs/{file_sha}", self.get_blob),
            r("POST", repo + "/git/trees", self.create_tree, "write"),
            r("GET", repo + "/git/trees/{tree_sha}", self.get_tree),
            r("POST", repo + "/git/commits", self.create_git_commit, "write"),
            r("GET", repo + "/git/commits/{commit_sha}", self.get_git_commit),
            r("GET", repo + "/git/ref/{ref}", self.get_ref),
            r("GET", repo + "/git/refs/{ref}", self.get_ref),
            r("GET", repo + "/git/refs", self.list_refs),
            r("GET", repo + "/git/matching-refs/{ref}", self.list_matching_refs),
            r("POST", repo + "/git/refs", self.create_ref, "write"),
            r("PATCH", repo + "/git/refs/{ref}", self.update_ref, "write"),
            r("DELETE", repo + "/git/refs/{ref}", self.delete_ref, "write"),
            r("GET", repo + "/pulls", self.list_pulls),
            r("POST", repo + "/pulls", self.create_pull, "write"),
            r("GET", repo + "/pulls/{pull_number}", self.get_pull),
            r("PATCH", repo + "/pulls/{pull_number}", self.update_pull, "write"),
            r("GET", repo + "/pulls/{pull_number}/merge", self.check_merged),
            r("PUT", repo + "/pulls/{pull_number}/merge", self.merge_pull, "write"),
            r("GET", repo + "/pulls/{pull_number}/reviews", self.list_reviews),
            r("POST", repo + "/pulls/{pull_number}/reviews", self.create_review, "write"),
            r("GET", repo + "/issues", self.list_issues),
            r("POST", repo + "/issues", self.create_issue, "write"),
            r("PATCH", repo + "/issues/comments/{comment_id}", self.update_comment, "write"),
            r("DELETE", repo + "/issues/comments/{comment_id}", self.delete_comment, "write"),
            r("GET", repo + "/issues/{issue_number}", self.get_issue),
            r("PATCH", repo + "/issues/{issue_number}", self.update_issue, "write"),
            r("GET", repo + "/issues/{issue_number}/labels", self.list_issue_labels),
            r("POST", repo + "/issues/{issue_number}/labels", self.add_labels, "write"),
            r("PUT", repo + "/issues/{issue_number}/labels", self.set_labels, "write"),
            r("DELETE", repo + "/issues/{issue_number}/labels", self.clear_labels, "write"),
            r("DELETE", repo + "/issues/{issue_number}/labels/{name}", self.remove_label, "write"),
            r("GET", repo + "/issues/{issue_number}/comments", self.list_comments),
            r("POST", repo + "/issues/{issue_number}/comments", self.create_comment, "write"),
            r("GET", repo + "/labels", self.list_labels),
            r("POST", repo + "/labels", self.create_label, "write"),
            r("GET", repo + "/labels/{name}", self.get_label),
            r("PATCH", repo + "/labels/{name}", self.update_label, "write"),
            r("DELETE", repo + "/labels/{name}", self.delete_label, "write"),
        ]
        self._compiled = [(route, route.regex) for route in self.routes]

    def match(self, method: str, path: str) -> tuple[_Route, dict[str, str]] | None:
        for route, regex in self._compiled:
            if route.method == method or (method == "HEAD" and route.method == "GET"):
                m = regex.match(path)
                if m:
                    return route, {k: urllib.parse.unquote(v) for k, v in m.groupdict().items()}
        return None

    # -- helpers ---------------------------------------------------------------------------

    def _paginate(
        self, ctx: _Ctx, items: Sequence[Any], *, cap: int | None = None
    ) -> tuple[Sequence[Any], dict[str, str]]:
        per_page = min(max(_int(ctx.query.get("per_page"), 30), 1), 100)
        page = max(_int(ctx.query.get("page"), 1), 1)
        available = len(items) if cap is None else min(len(items), cap)
        last = max(1, math.ceil(available / per_page))
        chunk = items[(page - 1) * per_page : min(page * per_page, available)]

        def url(n: int) -> str:
            query = {**ctx.query, "page": str(n)}
            return f"{ctx.api}{ctx.path}?{urllib.parse.urlencode(query)}"

        links = []
        if page > 1:
            links.append(f'<{url(min(page - 1, last))}>; rel="prev"')
        if page < last:
            links += [f'<{url(page + 1)}>; rel="next"', f'<{url(last)}>; rel="last"']
        if page > 1:
            links.append(f'<{url(1)}>; rel="first"')
        return chunk, ({"Link": ", ".join(links)} if links else {})

    @staticmethod
    def _issue(ctx: _Ctx, number: int, *, pull: bool | None = None) -> Issue:
        issue = ctx.r.issues.get(number)
        if issue is None or (pull is True and issue.pull is None):
            raise _not_found()
        return issue

    def _actor(self, ctx: _Ctx) -> User:
        return self.fake._user(ctx.token.login)

    def _git_ref_name(self, ctx: _Ctx, ref: str) -> str:
        ref = ref.strip("/")
        if not ref.startswith("refs/"):
            ref = "refs/" + ref
        if ".." in ref or ref.endswith(".lock") or " " in ref:
            raise ApiError(422, "Invalid reference name")
        return ref

    @staticmethod
    def _resolve_commitish(ctx: _Ctx, ref: str) -> str:
        """A branch, tag or (abbreviated) sha to a commit sha; 422 like GitHub otherwise."""
        git, refs = ctx.r.gitrepo, ctx.refs()
        for candidate in (ref, f"refs/heads/{ref}", f"refs/tags/{ref}"):
            if candidate in refs:
                return git.resolve(refs[candidate]) or refs[candidate]
        sha = git.resolve(ref) if re.fullmatch(r"[0-9a-f]{7,40}", ref) else None
        if sha is None:
            raise ApiError(422, f"No commit found for SHA: {ref}")
        return sha

    # -- meta --------------------------------------------------------------------------------

    def get_user(self, ctx: _Ctx) -> Reply:
        return Reply(200, self.v.user(ctx, self._actor(ctx)))

    def get_rate_limit(self, ctx: _Ctx) -> Reply:
        core = {
            "limit": 5000,
            "remaining": self.fake._rate_remaining,
            "used": 0,
            "reset": int(time.time()) + 3600,
        }
        return Reply(
            200, {"resources": {"core": core, "graphql": core, "search": core}, "rate": core}
        )

    # -- repository --------------------------------------------------------------------------

    def get_repo(self, ctx: _Ctx) -> Reply:
        return Reply(200, self.v.repo(ctx, ctx.r, full=True))

    def update_repo(self, ctx: _Ctx) -> Reply:
        body, repo = ctx.obj(), ctx.r
        for key in (
            "allow_auto_merge",
            "delete_branch_on_merge",
            "allow_merge_commit",
            "allow_squash_merge",
            "allow_rebase_merge",
            "private",
        ):
            if key in body:
                setattr(repo, key, bool(body[key]))
        if "default_branch" in body:
            if repo.ref_sha(str(body["default_branch"])) is None:
                raise _validation_failed(
                    {"resource": "Repository", "field": "default_branch", "code": "invalid"}
                )
            repo.default_branch = str(body["default_branch"])
            repo.gitrepo.run("symbolic-ref", "HEAD", f"refs/heads/{repo.default_branch}")
        ctx._repo_json.clear()
        return Reply(200, self.v.repo(ctx, repo, full=True))

    def _protection(self, ctx: _Ctx, branch: str) -> dict[str, Any]:
        checks = ctx.r.required_checks.get(branch, [])
        return {
            "enabled": bool(checks),
            "required_status_checks": {
                "enforcement_level": "non_admins" if checks else "off",
                "contexts": list(checks),
                "checks": [{"context": c, "app_id": None} for c in checks],
            },
        }

    def get_branch(self, ctx: _Ctx) -> Reply:
        branch = ctx.params["branch"]
        sha = ctx.r.ref_sha(branch)
        info = ctx.r.gitrepo.read_commit(sha) if sha else None
        if info is None:
            raise ApiError(404, "Branch not found")
        api = f"{ctx.api}/repos/{ctx.r.full_name}/branches/{urllib.parse.quote(branch)}"
        return Reply(
            200,
            {
                "name": branch,
                "commit": self.v.commit(ctx, ctx.r, info),
                "_links": {"self": api, "html": f"{ctx.base}/{ctx.r.full_name}/tree/{branch}"},
                "protected": bool(ctx.r.required_checks.get(branch)),
                "protection": self._protection(ctx, branch),
                "protection_url": f"{api}/protection",
            },
        )

    def get_required_status_checks(self, ctx: _Ctx) -> Reply:
        branch = ctx.params["branch"]
        checks = ctx.r.required_checks.get(branch)
        if not checks:
            raise ApiError(404, "Branch not protected")
        api = f"{ctx.api}/repos/{ctx.r.full_name}/branches/{urllib.parse.quote(branch)}"
        return Reply(
            200,
            {
                "url": f"{api}/protection/required_status_checks",
                "strict": False,
                "contexts": list(checks),
                "checks": [{"context": c, "app_id": None} for c in checks],
                "contexts_url": f"{api}/protection/required_status_checks/contexts",
            },
        )

    def get_branch_rules(self, ctx: _Ctx) -> Reply:
        branch = ctx.params["branch"]
        checks = ctx.r.required_checks.get(branch, [])
        rules: list[dict[str, Any]] = []
        if branch in ctx.r.merge_queue:
            rules.append(
                {
                    "type": "merge_queue",
                    "parameters": {
                        "check_response_timeout_minutes": 60,
                        "grouping_strategy": "ALLGREEN",
                        "max_entries_to_build": 5,
                        "max_entries_to_merge": 5,
                        "merge_method": ctx.r.merge_queue_method.upper(),
                        "min_entries_to_merge": 1,
                        "min_entries_to_merge_wait_minutes": 5,
                    },
                    "ruleset_source_type": "Repository",
                    "ruleset_source": ctx.r.full_name,
                    "ruleset_id": 2,
                }
            )
        if not checks:
            return Reply(200, rules)
        return Reply(
            200,
            [
                *rules,
                {
                    "type": "required_status_checks",
                    "parameters": {
                        "strict_required_status_checks_policy": False,
                        "do_not_enforce_on_create": False,
                        "required_status_checks": [{"context": c} for c in checks],
                    },
                    "ruleset_source_type": "Repository",
                    "ruleset_source": ctx.r.full_name,
                    "ruleset_id": 1,
                },
            ],
        )

    def get_commit(self, ctx: _Ctx) -> Reply:
        sha = self._resolve_commitish(ctx, ctx.params["ref"])
        info = ctx.r.gitrepo.read_commit(sha)
        assert info is not None
        return Reply(200, self.v.commit(ctx, ctx.r, info))

    def get_contents(self, ctx: _Ctx) -> Reply:
        repo, path = ctx.r, ctx.params["path"].strip("/")
        ref = ctx.query.get("ref") or repo.default_branch
        commit = self._resolve_commitish(ctx, ref)
        obj = repo.gitrepo.resolve(f"{commit}:{path}", "object")
        kind = repo.gitrepo.object_type(obj) if obj else None
        if obj is None or kind not in ("blob", "tree"):
            raise _not_found()
        api = f"{ctx.api}/repos/{repo.full_name}"

        def entry(p: str, sha: str, git_kind: str, size: int) -> dict[str, Any]:
            is_dir = git_kind == "tree"
            url = f"{api}/contents/{urllib.parse.quote(p)}?ref={urllib.parse.quote(ref)}"
            git_url = f"{api}/git/{git_kind}s/{sha}"
            html = f"{ctx.base}/{repo.full_name}/{'tree' if is_dir else 'blob'}/{ref}/{p}"
            raw = None if is_dir else f"{ctx.base}/{repo.full_name}/raw/{ref}/{p}"
            return {
                "type": "dir" if is_dir else "file",
                "size": size,
                "name": p.rsplit("/", 1)[-1],
                "path": p,
                "sha": sha,
                "url": url,
                "git_url": git_url,
                "html_url": html,
                "download_url": raw,
                "_links": {"self": url, "git": git_url, "html": html},
            }

        if kind == "tree":
            return Reply(
                200,
                [
                    entry(f"{path}/{p}" if path else p, s, k, size or 0)
                    for _, k, s, size, p in repo.gitrepo.ls_tree(obj, recursive=False)
                ],
            )
        data = repo.gitrepo.cat_blob(obj)
        return Reply(
            200,
            {
                **entry(path, obj, "blob", len(data)),
                "encoding": "base64",
                "content": _b64_lines(data),
            },
        )

    # -- checks ------------------------------------------------------------------------------

    def list_check_runs(self, ctx: _Ctx) -> Reply:
        sha = self._resolve_commitish(ctx, ctx.params["ref"])
        if ctx.query.get("filter") == "all":
            runs = ctx.r.check_runs(sha)
        else:  # "latest" (the default): the newest run of each name
            runs = list(ctx.r.checks.get(sha, {}).values())
        runs.sort(key=lambda r: r.id, reverse=True)
        if "check_name" in ctx.query:
            runs = [r for r in runs if r.name == ctx.query["check_name"]]
        if "status" in ctx.query:
            runs = [r for r in runs if r.status == ctx.query["status"]]
        chunk, headers = self._paginate(ctx, runs)
        return Reply(
            200,
            {
                "total_count": len(runs),
                "check_runs": [self.v.check_run(ctx, ctx.r, r) for r in chunk],
            },
            headers,
        )

    @staticmethod
    def _check_output(body: Mapping[str, Any], run: CheckRun | None) -> list[dict[str, Any]]:
        """Check a create/update body as GitHub does; returns the annotations it adds."""
        status, conclusion = body.get("status"), body.get("conclusion")
        if conclusion is not None and conclusion not in _CONCLUSIONS:
            raise ApiError(422, f"Invalid request.\n\n{conclusion!r} is not a valid conclusion.")
        if status == "completed" and conclusion is None and (run is None or not run.conclusion):
            raise ApiError(
                422, "Invalid request.\n\nconclusion is required when status is completed."
            )
        output = body.get("output")
        if output is None:
            return []
        if not isinstance(output, dict):
            raise ApiError(422, "Invalid request.\n\nFor 'properties/output', it is not an object.")
        for key in ("title", "summary") if run is None else ("summary",):
            if not isinstance(output.get(key), str):
                raise ApiError(422, f'Invalid request.\n\n"{key}" wasn\'t supplied.')
        for key in ("summary", "text"):
            if len(str(output.get(key) or "")) > 65535:
                raise ApiError(
                    422, f"Invalid request.\n\n{key} is too long (maximum is 65535 characters)."
                )
        annotations = output.get("annotations") or []
        if not isinstance(annotations, list):
            raise ApiError(
                422, "Invalid request.\n\nFor 'properties/annotations', it is not an array."
            )
        if len(annotations) > ANNOTATIONS_PER_REQUEST:  # GitHub's own text
            raise ApiError(
                422,
                f"Invalid request.\n\nNo more than {ANNOTATIONS_PER_REQUEST} items are allowed; "
                f"{len(annotations)} were supplied.",
            )
        for item in annotations:
            missing = [k for k in _ANNOTATION_FIELDS if not isinstance(item, dict) or k not in item]
            if missing:
                raise ApiError(422, f'Invalid request.\n\n"{missing[0]}" wasn\'t supplied.')
            if item["annotation_level"] not in _ANNOTATION_LEVELS:
                raise ApiError(
                    422, "Invalid request.\n\nannotation_level is not included in the list."
                )
            start, end = item["start_line"], item["end_line"]
            if not (isinstance(start, int) and isinstance(end, int) and 1 <= start <= end):
                raise ApiError(422, "Invalid request.\n\nstart_line and end_line are invalid.")
        return [dict(item) for item in annotations]

    def _write_check(self, ctx: _Ctx, run: CheckRun, body: Mapping[str, Any]) -> None:
        output = body.get("output") or {}
        run.annotations.extend(self._check_output(body, run))
        for key in ("title", "summary", "text"):
            if key in output:
                setattr(run, key, output[key])
        if "external_id" in body:
            run.external_id = str(body["external_id"])
        if "details_url" in body:
            run.details_url = str(body["details_url"])
        if body.get("conclusion") is not None:
            run.status, run.conclusion, run.completed_at = "completed", body["conclusion"], utcnow()
        elif body.get("status") is not None:
            run.status = str(body["status"])
        for issue in ctx.r.pulls("open"):  # a green required check can fire auto-merge
            if ctx.r.head_sha(issue) == run.head_sha:
                ctx.r.maybe_auto_merge(issue)

    def create_check_run(self, ctx: _Ctx) -> Reply:
        body = ctx.obj()
        if not body.get("name") or not body.get("head_sha"):
            raise _validation_failed(
                {"resource": "CheckRun", "field": "name", "code": "missing_field"}
            )
        sha = str(body["head_sha"])
        if ctx.r.gitrepo.object_type(sha) != "commit":
            raise ApiError(422, f"No commit found for SHA: {sha}")
        self._check_output(body, None)  # refuse before anything is stored
        run = self.fake._record_check(ctx.r, sha, str(body["name"]), "queued", None)
        run.requests = 0
        self._write_check(ctx, run, body)
        run.requests += 1
        return Reply(201, self.v.check_run(ctx, ctx.r, run))

    def _check_run(self, ctx: _Ctx) -> CheckRun:
        wanted = ctx.int_param("check_run_id")
        run = next((r for r in ctx.r.check_history if r.id == wanted), None)
        if run is None:
            raise _not_found()
        return run

    def get_check_run(self, ctx: _Ctx) -> Reply:
        return Reply(200, self.v.check_run(ctx, ctx.r, self._check_run(ctx)))

    def update_check_run(self, ctx: _Ctx) -> Reply:
        run = self._check_run(ctx)
        body = ctx.obj()
        self._check_output(body, run)
        self._write_check(ctx, run, body)
        run.requests += 1
        return Reply(200, self.v.check_run(ctx, ctx.r, run))

    def list_annotations(self, ctx: _Ctx) -> Reply:
        run = self._check_run(ctx)
        chunk, headers = self._paginate(ctx, run.annotations)
        blob = f"{ctx.base}/{ctx.r.full_name}/blob/{run.head_sha}"
        items = [
            {
                "path": a["path"],
                "start_line": a["start_line"],
                "end_line": a["end_line"],
                "start_column": a.get("start_column"),
                "end_column": a.get("end_column"),
                "annotation_level": a["annotation_level"],
                "title": a.get("title"),
                "message": a["message"],
                "raw_details": a.get("raw_details"),
                "blob_href": f"{blob}/{a['path']}",
            }
            for a in chunk
        ]
        return Reply(200, items, headers)

    # -- git data ----------------------------------------------------------------------------

    def create_blob(self, ctx: _Ctx) -> Reply:
        body = ctx.obj()
        content, encoding = body.get("content"), body.get("encoding", "utf-8")
        if not isinstance(content, str):
            raise _validation_failed(
                {"resource": "Blob", "field": "content", "code": "missing_field"}
            )
        if encoding == "base64":
            try:
                data = base64.b64decode(content, validate=False)
            except ValueError as exc:
                raise ApiError(422, "content is not valid Base64") from exc
        elif encoding in ("utf-8", "utf8"):
            data = content.encode()
        else:
            raise ApiError(422, f"encoding must be one of utf-8, base64; got {encoding!r}")
        sha = ctx.r.gitrepo.hash_blob(data)
        url = f"{ctx.api}/repos/{ctx.r.full_name}/git/blobs/{sha}"
        return Reply(201, {"sha": sha, "url": url}, {"Location": url})

    def get_blob(self, ctx: _Ctx) -> Reply:
        sha = ctx.params["file_sha"]
        if ctx.r.gitrepo.object_type(sha) != "blob":
            raise _not_found()
        data = ctx.r.gitrepo.cat_blob(sha)
        return Reply(
            200,
            {
                "sha": sha,
                "node_id": _node_id("B", ctx.r.id, sha),
                "size": len(data),
                "url": f"{ctx.api}/repos/{ctx.r.full_name}/git/blobs/{sha}",
                "content": _b64_lines(data),
                "encoding": "base64",
            },
        )

    def create_tree(self, ctx: _Ctx) -> Reply:
        body, git = ctx.obj(), ctx.r.gitrepo
        entries = body.get("tree")
        if not isinstance(entries, list):
            raise _validation_failed({"resource": "Tree", "field": "tree", "code": "missing_field"})
        base_tree = body.get("base_tree")
        if base_tree is not None:
            base_tree = (
                git.resolve(str(base_tree), "tree")
                if re.fullmatch(r"[0-9a-f]{40}", str(base_tree))
                else None
            )
            if base_tree is None:
                raise ApiError(422, "base_tree is not a valid tree oid")
        edits: list[TreeEdit] = []
        wanted: list[tuple[int, str, str]] = []
        for index, entry in enumerate(entries):
            if not isinstance(entry, dict) or not entry.get("path"):
                raise ApiError(422, f"tree.path missing at index {index}")
            path, mode = str(entry["path"]).strip("/"), str(entry.get("mode", "100644"))
            kind = str(entry.get("type", "tree" if mode == "040000" else "blob"))
            if mode not in ("100644", "100755", "040000", "160000", "120000"):
                raise ApiError(422, f"tree.mode contains a malformed mode: {mode}")
            if "content" in entry and entry["content"] is not None:
                if kind != "blob":
                    raise ApiError(422, "content is only allowed for blobs")
                sha = git.hash_blob(str(entry["content"]).encode())
            elif "sha" in entry:
                sha = entry["sha"]
                if sha is not None:
                    wanted.append((index, str(sha), kind))
            else:
                raise ApiError(422, "Must supply either tree.sha or tree.content")
            edits.append(TreeEdit(path, None if sha is None else str(sha), mode, kind))
        found = git.object_types(s for _, s, k in wanted if k != "commit")
        for index, sha, kind in wanted:
            if kind != "commit" and found.get(sha) != kind:
                raise ApiError(
                    422,
                    f"tree.sha {sha} is not a valid {kind}",
                    errors=[{"resource": "Tree", "field": f"tree[{index}].sha", "code": "invalid"}],
                )
        sha = git.build_tree(base_tree, edits)
        url = f"{ctx.api}/repos/{ctx.r.full_name}/git/trees/{sha}"
        return Reply(201, self.v.tree(ctx, ctx.r, sha, recursive=False), {"Location": url})

    def get_tree(self, ctx: _Ctx) -> Reply:
        ref = ctx.params["tree_sha"]
        git = ctx.r.gitrepo
        sha = git.resolve(ref, "tree") if re.fullmatch(r"[0-9a-f]{40}", ref) else None
        if sha is None:
            branch = git.ref_sha(f"refs/heads/{ref}")
            sha = git.resolve(branch, "tree") if branch else None
        if sha is None:
            raise _not_found()
        recursive = ctx.query.get("recursive") not in (None, "", "0", "false")
        return Reply(200, self.v.tree(ctx, ctx.r, sha, recursive=recursive))

    def create_git_commit(self, ctx: _Ctx) -> Reply:
        body, git = ctx.obj(), ctx.r.gitrepo
        message, tree = body.get("message"), body.get("tree")
        parents = body.get("parents", [])
        if not isinstance(message, str) or not isinstance(tree, str):
            raise _validation_failed(
                {
                    "resource": "Commit",
                    "field": "message" if not isinstance(message, str) else "tree",
                    "code": "missing_field",
                }
            )
        if not isinstance(parents, list):
            raise ApiError(422, "parents must be an array")
        if git.object_type(tree) != "tree":
            raise ApiError(422, "Tree SHA does not exist")
        for parent in parents:
            if git.object_type(str(parent)) != "commit":
                raise ApiError(422, "Parent SHA does not exist or is not a commit object")
        actor = self._actor(ctx)
        author = self._person(body.get("author")) or GitPerson(actor.login, actor.email)
        committer = self._person(body.get("committer")) or (
            GITHUB_COMMITTER if body.get("author") is None else author
        )
        sha = git.commit_tree(tree, [str(p) for p in parents], message, author, committer)
        self.fake._verified.add(sha)
        info = git.read_commit(sha)
        assert info is not None
        url = f"{ctx.api}/repos/{ctx.r.full_name}/git/commits/{sha}"
        return Reply(201, self.v.git_commit(ctx, ctx.r, info), {"Location": url})

    @staticmethod
    def _person(value: Any) -> GitPerson | None:
        if value is None:
            return None
        if not isinstance(value, dict) or not value.get("name") or not value.get("email"):
            raise ApiError(422, "author/committer needs name and email")
        date = value.get("date")
        if date is not None:
            try:
                _parse_iso(str(date))
            except ValueError as exc:
                raise ApiError(422, f"Invalid date: {date}") from exc
        return GitPerson(str(value["name"]), str(value["email"]), date and str(date))

    def get_git_commit(self, ctx: _Ctx) -> Reply:
        info = ctx.r.gitrepo.read_commit(ctx.params["commit_sha"])
        if info is None:
            raise _not_found()
        return Reply(200, self.v.git_commit(ctx, ctx.r, info))

    def _ref_json(self, ctx: _Ctx, ref: str, sha: str) -> dict[str, Any]:
        kind = ctx.r.gitrepo.object_type(sha) or "commit"
        return self.v.git_ref(ctx, ctx.r, ref, sha, kind)

    def get_ref(self, ctx: _Ctx) -> Reply:
        ref = self._git_ref_name(ctx, ctx.params["ref"])
        sha = ctx.refs().get(ref)
        if sha is None:
            raise _not_found()
        return Reply(200, self._ref_json(ctx, ref, sha))

    def list_refs(self, ctx: _Ctx) -> Reply:
        refs = sorted(ctx.refs().items())
        chunk, headers = self._paginate(ctx, refs)
        return Reply(200, [self._ref_json(ctx, name, sha) for name, sha in chunk], headers)

    def list_matching_refs(self, ctx: _Ctx) -> Reply:
        prefix = "refs/" + ctx.params["ref"].strip("/")
        refs = sorted((n, s) for n, s in ctx.refs().items() if n.startswith(prefix))
        chunk, headers = self._paginate(ctx, refs)
        return Reply(200, [self._ref_json(ctx, name, sha) for name, sha in chunk], headers)

    def create_ref(self, ctx: _Ctx) -> Reply:
        body, git = ctx.obj(), ctx.r.gitrepo
        ref, sha = body.get("ref"), body.get("sha")
        if not isinstance(ref, str) or not isinstance(sha, str):
            raise _validation_failed(
                {
                    "resource": "Reference",
                    "field": "ref" if not isinstance(ref, str) else "sha",
                    "code": "missing_field",
                }
            )
        if not ref.startswith("refs/") or ref.count("/") < 2:
            raise ApiError(
                422, "Reference name must start with 'refs/' and have at least two slashes."
            )
        ref = self._git_ref_name(ctx, ref)
        if git.object_type(sha) is None:
            raise ApiError(422, "Object does not exist")
        if not git.update_ref(ref, sha, ZERO_SHA):
            raise ApiError(422, "Reference already exists")
        ctx.invalidate_refs()
        data = self._ref_json(ctx, ref, sha)
        return Reply(201, data, {"Location": data["url"]})

    def update_ref(self, ctx: _Ctx) -> Reply:
        body, git = ctx.obj(), ctx.r.gitrepo
        ref = self._git_ref_name(ctx, ctx.params["ref"])
        sha, force = body.get("sha"), bool(body.get("force", False))
        if not isinstance(sha, str):
            raise _validation_failed(
                {"resource": "Reference", "field": "sha", "code": "missing_field"}
            )
        old = git.ref_sha(ref)
        if old is None:
            raise ApiError(422, "Reference does not exist")
        if git.object_type(sha) is None:
            raise ApiError(422, "Object does not exist")
        if not force and old != sha and not git.is_ancestor(old, sha):
            raise ApiError(422, "Update is not a fast forward")
        branch = ref.removeprefix("refs/heads/")
        if ref.startswith("refs/heads/") and ctx.r.required_checks.get(branch):
            pending, failed, _ = ctx.r.check_summary(branch, sha)
            if pending or failed:  # a protected branch only takes commits with green checks
                name = (pending or failed)[0]
                raise ApiError(422, f'Required status check "{name}" is expected.')
        if not git.update_ref(ref, sha, old):
            raise ApiError(422, "Reference cannot be updated")
        ctx.invalidate_refs()
        return Reply(200, self._ref_json(ctx, ref, sha))

    def delete_ref(self, ctx: _Ctx) -> Reply:
        ref = self._git_ref_name(ctx, ctx.params["ref"])
        old = ctx.r.gitrepo.ref_sha(ref)
        if old is None or not ctx.r.gitrepo.delete_ref(ref, old):
            raise ApiError(422, "Reference does not exist")
        branch = ref.removeprefix("refs/heads/")
        for issue in ctx.r.pulls("open"):  # GitHub closes PRs whose head or base branch is gone
            assert issue.pull is not None
            if branch in (issue.pull.head_ref, issue.pull.base_ref):
                issue.pull.head_sha = old if branch == issue.pull.head_ref else issue.pull.head_sha
                self._set_state(ctx, issue, "closed", None)
        return Reply(204)

    # -- pull requests -----------------------------------------------------------------------

    def list_pulls(self, ctx: _Ctx) -> Reply:
        repo, q = ctx.r, ctx.query
        state = q.get("state", "open")
        pulls = [
            i
            for i in repo.issues.values()
            if i.pull is not None and (state == "all" or i.state == state)
        ]
        head = q.get("head")
        if head and ":" in head:  # GitHub silently ignores a head filter without "owner:"
            owner, _, branch = head.partition(":")
            pulls = [
                i
                for i in pulls
                if i.pull is not None
                and i.pull.head_ref == branch
                and i.pull.head_owner.lower() == owner.lower()
            ]
        if q.get("base"):
            pulls = [i for i in pulls if i.pull is not None and i.pull.base_ref == q["base"]]
        pulls = _sort_issues(pulls, q.get("sort", "created"), q.get("direction"))
        chunk, headers = self._paginate(ctx, pulls)
        return Reply(200, [self.v.pull(ctx, repo, i, full=False) for i in chunk], headers)

    def create_pull(self, ctx: _Ctx) -> Reply:
        body, repo = ctx.obj(), ctx.r
        if ctx.token.actions and not repo.actions_can_create_prs:
            raise ApiError(403, ACTIONS_CANNOT_CREATE_PRS)
        for key in ("head", "base"):
            if not isinstance(body.get(key), str) or not body[key]:
                raise _validation_failed(
                    {"resource": "PullRequest", "field": key, "code": "missing_field"}
                )
        if not body.get("title") and not body.get("issue"):
            raise _validation_failed(
                {"resource": "PullRequest", "field": "title", "code": "missing_field"}
            )
        head_raw, base = str(body["head"]), str(body["base"])
        owner, _, branch = head_raw.rpartition(":")
        owner = owner or repo.owner
        refs = ctx.refs()
        if owner.lower() != repo.owner.lower() or f"refs/heads/{branch}" not in refs:
            raise _validation_failed(
                {"resource": "PullRequest", "field": "head", "code": "invalid"}
            )
        if f"refs/heads/{base}" not in refs:
            raise _validation_failed(
                {"resource": "PullRequest", "field": "base", "code": "invalid"}
            )
        for other in repo.pulls("open"):
            assert other.pull is not None
            if other.pull.head_ref == branch and other.pull.base_ref == base:
                raise _validation_failed(
                    {
                        "resource": "PullRequest",
                        "code": "custom",
                        "message": f"A pull request already exists for {repo.owner}:{branch}.",
                    }
                )
        head_sha, base_sha = refs[f"refs/heads/{branch}"], refs[f"refs/heads/{base}"]
        if repo.gitrepo.is_ancestor(head_sha, base_sha):
            raise _validation_failed(
                {
                    "resource": "PullRequest",
                    "code": "custom",
                    "message": f"No commits between {base} and {head_raw}",
                }
            )
        issue = self.fake._new_pull(
            repo,
            title=str(body.get("title") or ""),
            body=body.get("body"),
            user=self._actor(ctx),
            head_ref=branch,
            base_ref=base,
            head_sha=head_sha,
            base_sha=base_sha,
            draft=bool(body.get("draft", False)),
            maintainer_can_modify=bool(body.get("maintainer_can_modify", False)),
        )
        data = self.v.pull(ctx, repo, issue, full=True, just_created=True)
        return Reply(201, data, {"Location": data["url"]})

    def get_pull(self, ctx: _Ctx) -> Reply:
        issue = self._issue(ctx, ctx.int_param("pull_number"), pull=True)
        return Reply(200, self.v.pull(ctx, ctx.r, issue, full=True))

    def update_pull(self, ctx: _Ctx) -> Reply:
        body, repo = ctx.obj(), ctx.r
        issue = self._issue(ctx, ctx.int_param("pull_number"), pull=True)
        pull = issue.pull
        assert pull is not None
        if "title" in body:
            issue.title = str(body["title"])
        if "body" in body:
            issue.body = body["body"]
        if "base" in body:
            if repo.ref_sha(str(body["base"])) is None:
                raise _validation_failed(
                    {"resource": "PullRequest", "field": "base", "code": "invalid"}
                )
            pull.base_ref = str(body["base"])
        if "maintainer_can_modify" in body:
            pull.maintainer_can_modify = bool(body["maintainer_can_modify"])
        if "state" in body:
            self._set_state(ctx, issue, str(body["state"]), None)
        issue.updated_at = utcnow()
        return Reply(200, self.v.pull(ctx, repo, issue, full=True))

    def _set_state(self, ctx: _Ctx, issue: Issue, state: str, reason: str | None) -> None:
        if state not in ("open", "closed"):
            raise _validation_failed({"resource": "Issue", "field": "state", "code": "invalid"})
        if state == issue.state:
            return
        pull = issue.pull
        if state == "open":
            if pull is not None and (pull.merged or ctx.r.ref_sha(pull.head_ref) is None):
                raise ApiError(
                    422,
                    "state cannot be changed. The head branch was deleted or "
                    "the pull request was merged.",
                )
            issue.state, issue.closed_at, issue.closed_by = "open", None, None
            issue.state_reason = "reopened" if pull is None else None
        else:
            if pull is not None:
                ctx.r.head_sha(issue)
                ctx.r.base_sha(issue)
                pull.auto_merge = None
            issue.state, issue.closed_at, issue.closed_by = "closed", utcnow(), self._actor(ctx)
            issue.state_reason = None if pull is not None else (reason or "completed")

    def check_merged(self, ctx: _Ctx) -> Reply:
        issue = self._issue(ctx, ctx.int_param("pull_number"), pull=True)
        assert issue.pull is not None
        if not issue.pull.merged:
            raise _not_found()
        return Reply(204)

    def merge_pull(self, ctx: _Ctx) -> Reply:
        body = ctx.obj()
        issue = self._issue(ctx, ctx.int_param("pull_number"), pull=True)
        sha = ctx.r.merge_pull(
            issue,
            method=str(body.get("merge_method", "merge")),
            merger=self._actor(ctx),
            title=body.get("commit_title"),
            message=body.get("commit_message"),
            expected_head=body.get("sha"),
        )
        return Reply(
            200, {"sha": sha, "merged": True, "message": "Pull Request successfully merged"}
        )

    def list_reviews(self, ctx: _Ctx) -> Reply:
        issue = self._issue(ctx, ctx.int_param("pull_number"), pull=True)
        assert issue.pull is not None
        chunk, headers = self._paginate(ctx, issue.pull.reviews)
        return Reply(200, [self.v.review(ctx, ctx.r, issue, r) for r in chunk], headers)

    def create_review(self, ctx: _Ctx) -> Reply:
        body = ctx.obj()
        issue = self._issue(ctx, ctx.int_param("pull_number"), pull=True)
        assert issue.pull is not None
        event = str(body.get("event") or "PENDING").upper()
        states = {
            "APPROVE": "APPROVED",
            "REQUEST_CHANGES": "CHANGES_REQUESTED",
            "COMMENT": "COMMENTED",
            "PENDING": "PENDING",
        }
        if event not in states:
            raise ApiError(422, "Unprocessable Entity", errors=[f"Invalid event: {event}"])
        if event == "APPROVE" and ctx.token.actions and not ctx.r.actions_can_create_prs:
            raise ApiError(
                422,
                "Unprocessable Entity",
                errors=["GitHub Actions is not permitted to approve pull requests."],
            )
        if event in ("REQUEST_CHANGES", "COMMENT") and not body.get("body"):
            raise ApiError(
                422,
                "Unprocessable Entity",
                errors=[f"Review Can not {event.lower()} without a body"],
            )
        review = Review(
            self.fake._next_id(),
            self._actor(ctx),
            str(body.get("body") or ""),
            states[event],
            str(body.get("commit_id") or ctx.r.head_sha(issue)),
            utcnow(),
        )
        issue.pull.reviews.append(review)
        return Reply(200, self.v.review(ctx, ctx.r, issue, review))

    # -- issues ------------------------------------------------------------------------------

    def list_issues(self, ctx: _Ctx) -> Reply:
        repo, q = ctx.r, ctx.query
        state = q.get("state", "open")
        issues = [i for i in repo.issues.values() if state == "all" or i.state == state]
        if q.get("labels"):
            wanted = [w.strip().lower() for w in q["labels"].split(",") if w.strip()]
            issues = [i for i in issues if all(w in i.labels for w in wanted)]
        if q.get("creator"):
            issues = [i for i in issues if i.user.login.lower() == q["creator"].lower()]
        if q.get("since"):
            since = _parse_iso(q["since"])
            issues = [i for i in issues if i.updated_at >= since]
        issues = _sort_issues(issues, q.get("sort", "created"), q.get("direction"))
        chunk, headers = self._paginate(ctx, issues)
        return Reply(200, [self.v.issue(ctx, repo, i) for i in chunk], headers)

    def create_issue(self, ctx: _Ctx) -> Reply:
        body, repo = ctx.obj(), ctx.r
        if not body.get("title"):
            raise _validation_failed(
                {"resource": "Issue", "field": "title", "code": "missing_field"}
            )
        issue = self.fake._new_issue(
            repo,
            title=str(body["title"]),
            body=body.get("body"),
            user=self._actor(ctx),
            labels=[str(x) for x in body.get("labels") or []],
        )
        issue.assignees = [str(a) for a in body.get("assignees") or []]
        data = self.v.issue(ctx, repo, issue)
        return Reply(201, data, {"Location": data["url"]})

    def get_issue(self, ctx: _Ctx) -> Reply:
        issue = self._issue(ctx, ctx.int_param("issue_number"))
        return Reply(200, self.v.issue(ctx, ctx.r, issue))

    def update_issue(self, ctx: _Ctx) -> Reply:
        body, repo = ctx.obj(), ctx.r
        issue = self._issue(ctx, ctx.int_param("issue_number"))
        if "title" in body:
            issue.title = str(body["title"])
        if "body" in body:
            issue.body = body["body"]
        if "labels" in body:
            issue.labels = []
            self._attach_labels(repo, issue, self._label_names({"labels": body["labels"]}))
        if "assignees" in body:
            issue.assignees = [str(a) for a in body["assignees"] or []]
        if "state" in body:
            self._set_state(ctx, issue, str(body["state"]), body.get("state_reason"))
        issue.updated_at = utcnow()
        return Reply(200, self.v.issue(ctx, repo, issue))

    @staticmethod
    def _label_names(body: Any) -> list[str]:
        names = body.get("labels") if isinstance(body, dict) else body
        if not isinstance(names, list):
            raise _validation_failed({"resource": "Label", "field": "labels", "code": "invalid"})
        return [str(n.get("name") if isinstance(n, dict) else n) for n in names]

    def _attach_labels(self, repo: FakeRepo, issue: Issue, names: Iterable[Any]) -> None:
        for name in names:
            label = repo.label(str(name), create=True)  # GitHub creates unknown labels
            assert label is not None
            if label.name.lower() not in issue.labels:
                issue.labels.append(label.name.lower())

    def list_issue_labels(self, ctx: _Ctx) -> Reply:
        issue = self._issue(ctx, ctx.int_param("issue_number"))
        return Reply(200, self.v.issue_labels(ctx, ctx.r, issue))

    def add_labels(self, ctx: _Ctx) -> Reply:
        issue = self._issue(ctx, ctx.int_param("issue_number"))
        self._attach_labels(ctx.r, issue, self._label_names(ctx.body))
        issue.updated_at = utcnow()
        return Reply(200, self.v.issue_labels(ctx, ctx.r, issue))

    def set_labels(self, ctx: _Ctx) -> Reply:
        issue = self._issue(ctx, ctx.int_param("issue_number"))
        names = self._label_names(ctx.body)
        issue.labels = []
        self._attach_labels(ctx.r, issue, names)
        issue.updated_at = utcnow()
        return Reply(200, self.v.issue_labels(ctx, ctx.r, issue))

    def clear_labels(self, ctx: _Ctx) -> Reply:
        issue = self._issue(ctx, ctx.int_param("issue_number"))
        issue.labels = []
        return Reply(204)

    def remove_label(self, ctx: _Ctx) -> Reply:
        issue = self._issue(ctx, ctx.int_param("issue_number"))
        key = ctx.params["name"].lower()
        if key not in issue.labels:
            raise ApiError(404, "Label does not exist")
        issue.labels.remove(key)
        issue.updated_at = utcnow()
        return Reply(200, self.v.issue_labels(ctx, ctx.r, issue))

    def list_comments(self, ctx: _Ctx) -> Reply:
        issue = self._issue(ctx, ctx.int_param("issue_number"))
        chunk, headers = self._paginate(ctx, issue.comments)
        return Reply(200, [self.v.comment(ctx, ctx.r, c) for c in chunk], headers)

    def create_comment(self, ctx: _Ctx) -> Reply:
        body = ctx.obj()
        issue = self._issue(ctx, ctx.int_param("issue_number"))
        if not isinstance(body.get("body"), str) or not body["body"]:
            raise _validation_failed(
                {"resource": "IssueComment", "field": "body", "code": "missing_field"}
            )
        now = utcnow()
        comment = Comment(
            self.fake._next_id(), issue.number, body["body"], self._actor(ctx), now, now
        )
        issue.comments.append(comment)
        issue.updated_at = now
        data = self.v.comment(ctx, ctx.r, comment)
        return Reply(201, data, {"Location": data["url"]})

    def _find_comment(self, ctx: _Ctx) -> tuple[Issue, Comment]:
        wanted = ctx.int_param("comment_id")
        for issue in ctx.r.issues.values():
            for comment in issue.comments:
                if comment.id == wanted:
                    return issue, comment
        raise _not_found()

    def update_comment(self, ctx: _Ctx) -> Reply:
        _, comment = self._find_comment(ctx)
        body = ctx.obj()
        if not isinstance(body.get("body"), str):
            raise _validation_failed(
                {"resource": "IssueComment", "field": "body", "code": "missing_field"}
            )
        comment.body, comment.updated_at = body["body"], utcnow()
        return Reply(200, self.v.comment(ctx, ctx.r, comment))

    def delete_comment(self, ctx: _Ctx) -> Reply:
        issue, comment = self._find_comment(ctx)
        issue.comments.remove(comment)
        return Reply(204)

    # -- labels ------------------------------------------------------------------------------

    def list_labels(self, ctx: _Ctx) -> Reply:
        labels = sorted(ctx.r.labels.values(), key=lambda lb: lb.name.lower())
        chunk, headers = self._paginate(ctx, labels)
        return Reply(200, [self.v.label(ctx, ctx.r, lb) for lb in chunk], headers)

    def create_label(self, ctx: _Ctx) -> Reply:
        body = ctx.obj()
        name = body.get("name")
        if not isinstance(name, str) or not name:
            raise _validation_failed(
                {"resource": "Label", "field": "name", "code": "missing_field"}
            )
        if ctx.r.label(name) is not None:
            raise _validation_failed(
                {"resource": "Label", "code": "already_exists", "field": "name"}
            )
        label = ctx.r.label(name, create=True)
        assert label is not None
        label.color = str(body.get("color") or "ededed").lstrip("#")
        label.description = body.get("description")
        data = self.v.label(ctx, ctx.r, label)
        return Reply(201, data, {"Location": data["url"]})

    def get_label(self, ctx: _Ctx) -> Reply:
        label = ctx.r.label(ctx.params["name"])
        if label is None:
            raise _not_found()
        return Reply(200, self.v.label(ctx, ctx.r, label))

    def update_label(self, ctx: _Ctx) -> Reply:
        label = ctx.r.label(ctx.params["name"])
        if label is None:
            raise _not_found()
        body = ctx.obj()
        if "new_name" in body:
            old_key = label.name.lower()
            label.name = str(body["new_name"])
            ctx.r.labels[label.name.lower()] = ctx.r.labels.pop(old_key)
            for issue in ctx.r.issues.values():
                issue.labels = [label.name.lower() if k == old_key else k for k in issue.labels]
        if "color" in body:
            label.color = str(body["color"]).lstrip("#")
        if "description" in body:
            label.description = body["description"]
        return Reply(200, self.v.label(ctx, ctx.r, label))

    def delete_label(self, ctx: _Ctx) -> Reply:
        label = ctx.r.label(ctx.params["name"])
        if label is None:
            raise _not_found()
        key = label.name.lower()
        del ctx.r.labels[key]
        for issue in ctx.r.issues.values():
            if key in issue.labels:
                issue.labels.remove(key)
        return Reply(204)

    # -- search ------------------------------------------------------------------------------

    def search_issues(self, ctx: _Ctx) -> Reply:
        q = ctx.query.get("q", "").strip()
        if not q:
            raise _validation_failed({"resource": "Search", "field": "q", "code": "missing"})
        matches = self.fake._search(q)
        order = ctx.query.get("order", "desc")
        sort = ctx.query.get("sort")
        if sort in ("created", "updated", "comments"):
            items = [i for _, i in matches]
            sorted_items = _sort_issues(items, sort, order)
            by_id = {id(i): r for r, i in matches}
            matches = [(by_id[id(i)], i) for i in sorted_items]
        per_page = min(max(_int(ctx.query.get("per_page"), 30), 1), 100)
        page = max(_int(ctx.query.get("page"), 1), 1)
        if (page - 1) * per_page >= 1000 and matches:
            raise ApiError(422, "Only the first 1000 search results are available")
        chunk, headers = self._paginate(ctx, matches, cap=1000)
        found = [{**self.v.issue(ctx, repo, issue), "score": 1.0} for repo, issue in chunk]
        for item in found:  # issue-search-result-item.body is a non-nullable string
            item["body"] = item["body"] or ""
        return Reply(
            200,
            {
                "total_count": len(matches),
                "incomplete_results": False,
                "items": found,
                "search_type": "lexical",
            },
            headers,
        )


@dataclass
class _SearchQuery:
    """The subset of GitHub's issue search syntax the fake understands."""

    repos: list[str]
    terms: list[tuple[bool, str, str]]  # (negated, qualifier or "" for free text, value)

    @classmethod
    def parse(cls, q: str) -> _SearchQuery:
        repos, terms = [], []
        for token in re.findall(r'-?[\w.-]+:"[^"]*"|"[^"]*"|\S+', q):
            negated = token.startswith("-") and ":" in token
            key, sep, value = token.removeprefix("-" if negated else "").partition(":")
            if not sep:
                key, value = "", token
            value = value.strip('"')
            if key == "repo":
                repos.append(value.lower())
            else:
                terms.append((negated, key, value))
        return cls(repos, terms)

    def wants_repo(self, repo: FakeRepo) -> bool:
        return not self.repos or repo.full_name.lower() in self.repos

    def matches(self, issue: Issue) -> bool:
        return all(self._test(key, value, issue) != negated for negated, key, value in self.terms)

    @staticmethod
    def _test(key: str, value: str, issue: Issue) -> bool:
        pull = issue.pull
        match key, value.lower():
            case "", text:
                return text in issue.title.lower() or text in (issue.body or "").lower()
            case (("is" | "type"), "pr"):
                return pull is not None
            case (("is" | "type"), "issue"):
                return pull is None
            case (("is" | "state"), ("open" | "closed") as state):
                return issue.state == state
            case "is", "merged":
                return bool(pull and pull.merged)
            case "is", "unmerged":
                return bool(pull and not pull.merged)
            case "label", names:
                return bool(set(names.split(",")) & set(issue.labels))
            case "no", "label":
                return not issue.labels
            case "head", _:
                return bool(pull and pull.head_ref == value)
            case "base", _:
                return bool(pull and pull.base_ref == value)
            case "author", login:
                return issue.user.login.lower() == login
        return True  # unknown qualifiers (in:title, sort:..., archived:...) are ignored


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def _sort_issues(items: list[Issue], sort: str, direction: str | None) -> list[Issue]:
    keys: dict[str, Callable[[Issue], Any]] = {
        "created": lambda i: (i.created_at, i.number),
        "updated": lambda i: (i.updated_at, i.number),
        "comments": lambda i: (len(i.comments), i.number),
        "popularity": lambda i: (len(i.comments), i.number),
        "long-running": lambda i: (i.created_at, i.number),
    }
    key = keys.get(sort, keys["created"])
    return sorted(items, key=key, reverse=(direction or "desc") != "asc")


# --------------------------------------------------------------------------------------------
# GraphQL (the handful of operations error-fix needs)
# --------------------------------------------------------------------------------------------


class _GraphQLError(Exception):
    def __init__(self, message: str, kind: str = "UNPROCESSABLE") -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind


_MUTATION_RE = re.compile(
    r"\b(enablePullRequestAutoMerge|disablePullRequestAutoMerge|enqueuePullRequest)"
    r"\s*\(\s*input\s*:\s*"
    r"(\$\w+|\{.*?\})\s*\)",
    re.S,
)
_ARG_RE = re.compile(r'(\w+)\s*:\s*("(?:[^"\\]|\\.)*"|\$\w+|-?\d+|[A-Za-z_]\w*)')


class _GraphQLApi:
    def __init__(self, fake: FakeGitHub) -> None:
        self.fake = fake

    def handle(self, ctx: _Ctx) -> Reply:
        body = ctx.body if isinstance(ctx.body, dict) else {}
        query = body.get("query")
        variables = body.get("variables") or {}
        if not isinstance(query, str) or not isinstance(variables, dict):
            return Reply(
                200,
                {
                    "errors": [
                        {"message": "A query attribute must be specified and must be a string."}
                    ]
                },
            )
        mutation = _MUTATION_RE.search(query)
        try:
            if mutation:
                name = mutation[1]
                if _PERMISSION_RANK[ctx.token.permission] < 2:
                    raise _GraphQLError(NOT_ACCESSIBLE, "FORBIDDEN")
                data = self._mutation(ctx, name, self._input(mutation[2], variables))
                return Reply(200, {"data": {name: data}})
            return Reply(200, {"data": self._query(ctx, query, variables)})
        except _GraphQLError as exc:
            path = [mutation[1]] if mutation else ["node" if "node(" in query else "repository"]
            error = {
                "type": exc.kind,
                "path": path,
                "locations": [{"line": 1, "column": 1}],
                "message": exc.message,
            }
            return Reply(200, {"data": {path[0]: None}, "errors": [error]})

    @staticmethod
    def _value(raw: str, variables: Mapping[str, Any]) -> Any:
        if raw.startswith("$"):
            return variables.get(raw[1:])
        if raw.startswith('"'):
            return json.loads(raw)
        if re.fullmatch(r"-?\d+", raw):
            return int(raw)
        return {"true": True, "false": False, "null": None}.get(raw, raw)

    def _input(self, raw: str, variables: Mapping[str, Any]) -> dict[str, Any]:
        if raw.startswith("$"):
            value = variables.get(raw[1:])
            return value if isinstance(value, dict) else {}
        return {k: self._value(v, variables) for k, v in _ARG_RE.findall(raw)}

    # -- lookups ---------------------------------------------------------------------------

    def _pull_by_node(self, node_id: Any) -> tuple[FakeRepo, Issue]:
        found = self.fake._nodes.get(str(node_id))
        if found is None:
            raise _GraphQLError(
                f"Could not resolve to a node with the global id of '{node_id}'.", "NOT_FOUND"
            )
        repo, issue = found
        assert issue.pull is not None
        if issue.pull.node_lag > 0:
            issue.pull.node_lag -= 1
            raise _GraphQLError(
                f"Could not resolve to a node with the global id of '{node_id}'.", "NOT_FOUND"
            )
        return repo, issue

    def _pull_view(self, ctx: _Ctx, repo: FakeRepo, issue: Issue) -> dict[str, Any]:
        pull = issue.pull
        assert pull is not None
        mergeable, state = repo.reported_merge_state(issue)
        armed = pull.auto_merge
        entry = pull.queue_entry
        return {
            "__typename": "PullRequest",
            "id": pull.node_id,
            "databaseId": pull.id,
            "number": issue.number,
            "title": issue.title,
            "url": f"{ctx.base}/{repo.full_name}/pull/{issue.number}",
            "state": "MERGED" if pull.merged else issue.state.upper(),
            "merged": pull.merged,
            "isDraft": pull.draft,
            "headRefName": pull.head_ref,
            "headRefOid": repo.head_sha(issue),
            "baseRefName": pull.base_ref,
            "mergeable": "UNKNOWN"
            if mergeable is None
            else "MERGEABLE"
            if mergeable
            else "CONFLICTING",
            "mergeStateStatus": state.upper(),
            "createdAt": iso(issue.created_at),
            "autoMergeRequest": None
            if armed is None
            else {
                "enabledAt": iso(armed.enabled_at),
                "mergeMethod": armed.method.upper(),
                "enabledBy": {"login": armed.enabled_by.login},
                "commitHeadline": armed.commit_title,
                "commitBody": armed.commit_message,
            },
            "labels": {
                "nodes": [{"name": repo.labels[k].name} for k in issue.labels if k in repo.labels]
            },
            "isMergeQueueEnabled": pull.base_ref in repo.merge_queue,
            "isInMergeQueue": entry is not None,
            "mergeQueueEntry": None if entry is None else self._entry_view(repo, issue),
        }

    @staticmethod
    def _entry_view(repo: FakeRepo, issue: Issue) -> dict[str, Any]:
        pull = issue.pull
        assert pull is not None and pull.queue_entry is not None
        entry = pull.queue_entry
        queue = repo.queued(pull.base_ref)
        return {
            "id": entry.node_id,
            "position": 1 + next(n for n, i in enumerate(queue) if i is issue),
            "state": repo.queue_state(issue),
            "enqueuedAt": iso(entry.enqueued_at),
            "headCommit": {"oid": entry.head_sha},
            "enqueuer": {"login": entry.enqueued_by.login},
        }

    def _query(self, ctx: _Ctx, query: str, variables: Mapping[str, Any]) -> dict[str, Any]:
        node = re.search(r"\bnode\s*\(\s*id\s*:\s*(\$\w+|\"[^\"]*\")\s*\)", query)
        if node:
            repo, issue = self._pull_by_node(self._value(node[1], variables))
            return {"node": self._pull_view(ctx, repo, issue)}
        repo_call = re.search(r"\brepository\s*\(([^)]*)\)", query)
        if not repo_call:
            raise _GraphQLError(
                "The fake GitHub only answers node(id:) and "
                "repository(owner:, name:) { pullRequest(number:) } queries."
            )
        args = {k: self._value(v, variables) for k, v in _ARG_RE.findall(repo_call[1])}
        full_name = f"{args.get('owner')}/{args.get('name')}"
        found = self.fake._repos.get(full_name.lower())
        if found is None:
            raise _GraphQLError(
                f"Could not resolve to a Repository with the name '{full_name}'.", "NOT_FOUND"
            )
        repo = found
        data: dict[str, Any] = {
            "id": repo.node_id,
            "name": repo.name,
            "nameWithOwner": repo.full_name,
            "autoMergeAllowed": repo.allow_auto_merge,
        }
        pr_call = re.search(r"\bpullRequest\s*\(\s*number\s*:\s*(\$\w+|\d+)\s*\)", query)
        if pr_call:
            number = self._value(pr_call[1], variables)
            pr = repo.issues.get(int(number)) if str(number).isdigit() else None
            if pr is None or pr.pull is None:
                raise _GraphQLError(
                    f"Could not resolve to a PullRequest with the number of {number}.", "NOT_FOUND"
                )
            data["pullRequest"] = self._pull_view(ctx, repo, pr)
        return {"repository": data}

    # -- mutations -------------------------------------------------------------------------

    def _mutation(self, ctx: _Ctx, name: str, payload: Mapping[str, Any]) -> dict[str, Any]:
        repo, issue = self._pull_by_node(payload.get("pullRequestId"))
        pull = issue.pull
        assert pull is not None
        actor = self.fake._user(ctx.token.login)
        if name == "disablePullRequestAutoMerge":
            pull.auto_merge = None
        elif name == "enqueuePullRequest":
            self._enqueue(repo, issue, payload, actor)
            return {
                "clientMutationId": payload.get("clientMutationId"),
                "mergeQueueEntry": self._entry_view(repo, issue),
            }
        else:
            self._enable(repo, issue, payload, actor)
        return {
            "actor": {
                "avatarUrl": f"{ctx.base}/avatars/u/{actor.id}",
                "login": actor.login,
                "resourcePath": f"/{actor.login}",
                "url": f"{ctx.base}/{actor.login}",
            },
            "clientMutationId": payload.get("clientMutationId"),
            "pullRequest": self._pull_view(ctx, repo, issue),
        }

    @staticmethod
    def _enqueue(repo: FakeRepo, issue: Issue, payload: Mapping[str, Any], actor: User) -> None:
        pull = issue.pull
        assert pull is not None
        if issue.state != "open":
            raise _GraphQLError("Pull request Pull request is closed")
        if "mergeMethod" in payload:  # the queue's ruleset decides the method
            raise _GraphQLError(
                "InputObject 'EnqueuePullRequestInput' doesn't accept argument 'mergeMethod'",
                "argumentNotAccepted",
            )
        expected = payload.get("expectedHeadOid")
        if expected is not None and expected != repo.head_sha(issue):
            raise _GraphQLError(HEAD_MODIFIED)
        if pull.queue_entry is not None:
            raise _GraphQLError(ALREADY_QUEUED)
        if pull.base_ref not in repo.merge_queue:
            raise _GraphQLError(f"Pull request Merge queue is not enabled for {pull.base_ref}")
        if pull.draft:
            raise _GraphQLError("Pull request Pull request is still a draft")
        _, state = repo.merge_state(issue)
        if state == "dirty":
            raise _GraphQLError("Pull request Pull request is not mergeable")
        repo.enqueue(issue, actor)

    @staticmethod
    def _enable(repo: FakeRepo, issue: Issue, payload: Mapping[str, Any], actor: User) -> None:
        pull = issue.pull
        assert pull is not None
        if issue.state != "open":
            raise _GraphQLError("Pull request Pull request is closed")
        method = str(payload.get("mergeMethod") or "MERGE").lower()
        if method not in _MERGE_METHODS:
            raise _GraphQLError(
                f"Argument 'mergeMethod' on InputObject "
                f"'EnablePullRequestAutoMergeInput' has an invalid value "
                f"({payload.get('mergeMethod')}).",
                "INVALID",
            )
        expected = payload.get("expectedHeadOid")
        if expected is not None and expected != repo.head_sha(issue):
            raise _GraphQLError(HEAD_MODIFIED)
        if not repo.allow_auto_merge:
            raise _GraphQLError("Auto merge is not allowed for this repository")
        queue = pull.base_ref in repo.merge_queue
        if not queue and not repo.required_checks.get(pull.base_ref):
            raise _GraphQLError(
                "Pull request Protected branch rules not configured for this branch"
            )
        _, state = repo.merge_state(issue)
        if queue and state in ("clean", "unstable"):  # ready: "merge when ready" queues it now
            repo.enqueue(issue, actor)
            return
        if state in ("clean", "unstable"):
            raise _GraphQLError(f"Pull request Pull request is in {state} status")
        pull.auto_merge = AutoMerge(
            method,
            actor,
            utcnow(),
            str(payload.get("commitHeadline") or ""),
            str(payload.get("commitBody") or ""),
        )


# --------------------------------------------------------------------------------------------
# the fake
# --------------------------------------------------------------------------------------------


class FakeGitHub:
    """Loopback GitHub Enterprise Server; see the module docstring."""

    DEFAULT_LOGIN = "github-actions[bot]"

    def __init__(
        self,
        tmp_path: Path | str,
        *,
        write_token: str = "ghs_fake_write_token",
        read_token: str = "ghs_fake_read_token",
        admin_token: str = "ghp_fake_admin_token",
    ) -> None:
        self.root = Path(tmp_path)
        self._scratch = self.root / "scratch"
        self._lock = threading.RLock()
        self._log_lock = threading.Lock()
        self._ids = itertools.count(1001)
        self._tokens: dict[str, TokenInfo] = {}
        self._users: dict[str, User] = {}
        self._repos: dict[str, FakeRepo] = {}
        self._nodes: dict[str, tuple[FakeRepo, Issue]] = {}
        self._verified: set[str] = set()
        self._faults: list[Fault] = []
        self._log: list[RequestRecord] = []
        self._node_lag_default = 0
        self._mergeability_lag_default = 0
        self._rate_remaining = 5000
        self.crashes: list[str] = []  # tracebacks of handler bugs (answered with HTTP 500)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._views = _Views(self)
        self._rest = _RestApi(self)
        self._graphql = _GraphQLApi(self)
        self.write_token = self.add_token(write_token, "write")
        self.read_token = self.add_token(read_token, "read")
        self.admin_token = self.add_token(admin_token, "admin", login="octo-admin", actions=False)

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> Self:
        if self._server is not None:
            return self
        self._scratch.mkdir(parents=True, exist_ok=True)
        self._server = _Server(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-github",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        with server.sockets_lock:
            open_sockets = list(server.open_sockets)
        for sock in open_sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FakeGitHub is not running")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return self.base_url + API_PREFIX

    @property
    def graphql_url(self) -> str:
        return self.base_url + GRAPHQL_PATH

    # -- setup -------------------------------------------------------------------------------

    def add_token(
        self,
        token: str,
        permission: str = "write",
        *,
        login: str = DEFAULT_LOGIN,
        actions: bool = True,
    ) -> str:
        """Register a token; ``actions=True`` marks a workflow GITHUB_TOKEN."""
        if permission not in _PERMISSION_RANK:
            raise ValueError(f"permission must be one of {sorted(_PERMISSION_RANK)}")
        with self._lock:
            self._tokens[token] = TokenInfo(token, permission, login, actions)
        return token

    def create_repo(
        self,
        full_name: str,
        *,
        default_branch: str = "main",
        files: Mapping[str, str | bytes] | None = None,
    ) -> FakeRepo:
        """Create a bare repository with one initial commit holding ``files``."""
        owner, _, name = full_name.partition("/")
        if not owner or not name:
            raise ValueError("full_name must look like owner/name")
        with self._lock:
            if full_name.lower() in self._repos:
                raise ValueError(f"{full_name} already exists")
            self._scratch.mkdir(parents=True, exist_ok=True)
            git = GitRepo(self.root / "git" / owner / f"{name}.git", self._scratch)
            git.init(default_branch)
            repo = FakeRepo(self, owner, name, self._next_id(), default_branch, git)
            self._repos[full_name.lower()] = repo
            tree = self._tree_with(git, None, files or {"README.md": f"# {name}\n"})
            initial = GitPerson("Initial Author", "initial@example.com", "2024-01-01T00:00:00Z")
            sha = git.commit_tree(
                tree,
                [],
                "Initial commit\n",
                initial,
                GitPerson("Initial Author", "initial@example.com", "2024-01-01T00:00:00Z"),
            )
            git.update_ref(f"refs/heads/{default_branch}", sha, ZERO_SHA)
            return repo

    def repo(self, full_name: str) -> FakeRepo:
        return self._repos[full_name.lower()]

    def _one_repo(self, repo: str | FakeRepo | None) -> FakeRepo:
        if isinstance(repo, FakeRepo):
            return repo
        if repo is not None:
            return self.repo(repo)
        if len(self._repos) != 1:
            raise ValueError("several repositories exist; pass repo=")
        return next(iter(self._repos.values()))

    @staticmethod
    def _tree_with(
        git: GitRepo, base_tree: str | None, files: Mapping[str, str | bytes | None]
    ) -> str:
        edits = []
        for path, content in files.items():
            if content is None:
                edits.append(TreeEdit(path, None))
            else:
                data = content.encode() if isinstance(content, str) else content
                edits.append(TreeEdit(path, git.hash_blob(data)))
        return git.build_tree(base_tree, edits)

    def create_branch(self, repo: str | FakeRepo, branch: str, from_ref: str | None = None) -> str:
        """Create ``branch`` at ``from_ref`` (default: the default branch); returns its sha."""
        with self._lock:
            r = self._one_repo(repo)
            sha = r.gitrepo.resolve(from_ref or f"refs/heads/{r.default_branch}")
            if sha is None or not r.gitrepo.update_ref(f"refs/heads/{branch}", sha, ZERO_SHA):
                raise ValueError(f"cannot create {branch} from {from_ref}")
            return sha

    def push_commit(
        self,
        repo: str | FakeRepo,
        branch: str,
        files: Mapping[str, str | bytes | None],
        message: str = "Change by someone else",
        *,
        author: tuple[str, str] = ("Someone Else", "someone@example.com"),
    ) -> str:
        """Commit ``files`` (None deletes) on top of ``branch`` as another user; returns sha.

        A missing branch is created from the default branch.
        """
        with self._lock:
            r = self._one_repo(repo)
            git = r.gitrepo
            ref = f"refs/heads/{branch}"
            old = git.ref_sha(ref)
            parent = old or git.ref_sha(f"refs/heads/{r.default_branch}")
            assert parent is not None
            tree = self._tree_with(git, git.resolve(parent, "tree"), files)
            person = GitPerson(*author)
            sha = git.commit_tree(tree, [parent], message, person, person)
            if not git.update_ref(ref, sha, old or ZERO_SHA):
                raise RuntimeError(f"{branch} moved while pushing")
            return sha

    def seed_pull(
        self,
        repo: str | FakeRepo,
        head: str,
        *,
        base: str | None = None,
        title: str | None = None,
        body: str | None = None,
        labels: Sequence[str] = (),
        created_at: datetime | None = None,
        state: str = "open",
        user: str = DEFAULT_LOGIN,
        head_sha: str | None = None,
    ) -> int:
        """Create a PR in memory only (no git work; shares one head commit). Returns its number."""
        with self._lock:
            r = self._one_repo(repo)
            when = created_at or utcnow()
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
            sha = head_sha or r.seed_sha()
            issue = self._new_pull(
                r,
                title=title or f"Seeded PR for {head}",
                body=body,
                user=self._user(user),
                head_ref=head,
                base_ref=base or r.default_branch,
                head_sha=sha,
                base_sha=r.seed_sha(),
                created_at=when,
                labels=labels,
                lagging=False,
            )
            if state == "closed":
                issue.state, issue.closed_at = "closed", when
            return issue.number

    def seed_issue(
        self,
        repo: str | FakeRepo,
        title: str,
        *,
        labels: Sequence[str] = (),
        created_at: datetime | None = None,
        state: str = "open",
        user: str = DEFAULT_LOGIN,
        body: str | None = None,
    ) -> int:
        with self._lock:
            r = self._one_repo(repo)
            issue = self._new_issue(
                r,
                title=title,
                body=body,
                user=self._user(user),
                labels=labels,
                created_at=created_at,
            )
            if state == "closed":
                issue.state, issue.closed_at, issue.state_reason = (
                    "closed",
                    issue.created_at,
                    "completed",
                )
            return issue.number

    # -- CI and auto-merge ------------------------------------------------------------------

    def set_check(
        self,
        sha_or_branch: str,
        name: str,
        status: str = "completed",
        conclusion: str | None = "success",
        *,
        repo: str | FakeRepo | None = None,
    ) -> CheckRun:
        """Record a check run on a commit; armed auto-merge fires once requirements are met."""
        with self._lock:
            r = self._one_repo(repo)
            sha = r.gitrepo.resolve(sha_or_branch) or sha_or_branch
            run = self._record_check(
                r, sha, name, status, conclusion if status == "completed" else None
            )
            for issue in r.pulls("open"):
                if r.head_sha(issue) == sha:
                    r.maybe_auto_merge(issue)
            return run

    def complete_checks(
        self, target: int | str, *, repo: str | FakeRepo | None = None, conclusion: str = "success"
    ) -> str | None:
        """Mark the required checks of a PR (number) or commit (sha/branch) as completed.

        Returns the merge commit sha when armed auto-merge fired, else None.
        """
        with self._lock:
            r = self._one_repo(repo)
            if isinstance(target, int):
                pulls = [r.pull(target)]
                sha = r.head_sha(pulls[0])
            else:
                sha = r.gitrepo.resolve(target) or target
                pulls = [i for i in r.pulls("open") if r.head_sha(i) == sha]
            bases = {p.pull.base_ref for p in pulls if p.pull} or {r.default_branch}
            names = sorted({n for b in bases for n in r.required_checks.get(b, [])})
            for name in names:
                self._record_check(r, sha, name, "completed", conclusion)
            merged = None
            for issue in pulls:
                merged = r.maybe_auto_merge(issue) or merged
            return merged

    def run_merge_queue(
        self, *, repo: str | FakeRepo | None = None, base: str | None = None
    ) -> list[str]:
        """The merge queue's turn: merge, in queue order, every queued PR whose required checks
        are green (its merge group passed); a PR whose head moved leaves the queue. Returns the
        merge commits."""
        with self._lock:
            r = self._one_repo(repo)
            merged: list[str] = []
            for issue in r.queued(base):
                pull = issue.pull
                assert pull is not None and pull.queue_entry is not None
                entry = pull.queue_entry
                if r.head_sha(issue) != entry.head_sha:
                    pull.queue_entry = None
                    continue
                if r.queue_state(issue) != "QUEUED":
                    continue
                with contextlib.suppress(ApiError):  # a conflict: it stays for a human
                    merged.append(
                        r.merge_pull(
                            issue,
                            method=r.merge_queue_method,
                            merger=entry.enqueued_by,
                            through_queue=True,
                        )
                    )
            return merged

    def node_lag(
        self, n: int, *, repo: str | FakeRepo | None = None, number: int | None = None
    ) -> None:
        """Make the next ``n`` GraphQL lookups of each freshly created PR fail with
        "Could not resolve to a node"; with ``number``, apply to that existing PR instead."""
        with self._lock:
            if number is not None:
                pull = self._one_repo(repo).pull(number).pull
                assert pull is not None
                pull.node_lag = n
            else:
                self._node_lag_default = n

    def mergeability_lag(
        self, n: int, *, repo: str | FakeRepo | None = None, number: int | None = None
    ) -> None:
        """Make the next ``n`` reads (GET pulls/{n}, GraphQL) of each freshly created PR report
        ``mergeable: null`` / ``"unknown"``; with ``number``, apply to that existing PR."""
        with self._lock:
            if number is not None:
                pull = self._one_repo(repo).pull(number).pull
                assert pull is not None
                pull.unknown_reads = n
            else:
                self._mergeability_lag_default = n

    # -- faults ------------------------------------------------------------------------------

    def inject(
        self,
        method: str | None,
        path_regex: str,
        status: int = 502,
        times: int | None = 1,
        headers: Mapping[str, str] | None = None,
        body: Any = None,
    ) -> Fault:
        """Answer matching requests with ``status`` (``times=None``: forever).

        ``headers=None`` picks defaults (403/429 get ``Retry-After: 1``); pass ``{}`` for none.
        The default body of a 403/429 is GitHub's secondary-rate-limit message.
        """
        if headers is None:
            headers = {"Retry-After": "1"} if status in (403, 429) else {}
        fault = Fault(
            method.upper() if method else None,
            re.compile(path_regex),
            status,
            times,
            dict(headers),
            body if body is not None else _default_fault_body(status),
            reset=False,
        )
        with self._lock:
            self._faults.append(fault)
        return fault

    def inject_reset(self, method: str | None, path_regex: str, times: int | None = 1) -> Fault:
        """Drop matching connections after reading the request, without any response."""
        fault = Fault(
            method.upper() if method else None,
            re.compile(path_regex),
            0,
            times,
            {},
            None,
            reset=True,
        )
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    # -- bookkeeping -------------------------------------------------------------------------

    def requests(
        self, method: str | None = None, path_regex: str | None = None
    ) -> list[RequestRecord]:
        pattern = re.compile(path_regex) if path_regex else None
        with self._log_lock:
            return [
                r
                for r in self._log
                if (method is None or r.method == method.upper())
                and (pattern is None or pattern.search(r.path))
            ]

    def request_count(self, method: str | None = None, path_regex: str | None = None) -> int:
        return len(self.requests(method, path_regex))

    def reset_counts(self) -> None:
        with self._log_lock:
            self._log.clear()

    def unmatched_requests(self) -> list[RequestRecord]:
        """Requests no route knew (answered 404): routes the code under test needs."""
        with self._log_lock:
            return [r for r in self._log if r.template is None and not r.injected]

    # -- internals ---------------------------------------------------------------------------

    def _next_id(self) -> int:
        return next(self._ids)

    def _user(self, login: str) -> User:
        key = login.lower()
        if key not in self._users:
            self._users[key] = User(login, self._next_id())
        return self._users[key]

    def _record_check(
        self, repo: FakeRepo, sha: str, name: str, status: str, conclusion: str | None
    ) -> CheckRun:
        now = utcnow()
        run = CheckRun(
            self._next_id(),
            name,
            sha,
            status,
            conclusion,
            now,
            now if status == "completed" else None,
        )
        repo.checks.setdefault(sha, {})[name] = run
        repo.check_history.append(run)
        return run

    def _new_issue(
        self,
        repo: FakeRepo,
        *,
        title: str,
        body: str | None,
        user: User,
        labels: Iterable[str] = (),
        created_at: datetime | None = None,
    ) -> Issue:
        when = created_at or utcnow()
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        issue = Issue(repo.next_number(), self._next_id(), title, body, user, when, when)
        for name in labels:
            label = repo.label(name, create=True)
            assert label is not None
            if label.name.lower() not in issue.labels:
                issue.labels.append(label.name.lower())
        repo.issues[issue.number] = issue
        return issue

    def _new_pull(
        self,
        repo: FakeRepo,
        *,
        title: str,
        body: str | None,
        user: User,
        head_ref: str,
        base_ref: str,
        head_sha: str,
        base_sha: str,
        draft: bool = False,
        maintainer_can_modify: bool = False,
        created_at: datetime | None = None,
        labels: Iterable[str] = (),
        lagging: bool = True,
    ) -> Issue:
        """A new PR; ``lagging`` PRs get the node_lag() / mergeability_lag() settings."""
        issue = self._new_issue(
            repo, title=title, body=body, user=user, labels=labels, created_at=created_at
        )
        issue.pull = PullState(
            self._next_id(),
            head_ref,
            repo.owner,
            base_ref,
            head_sha,
            base_sha,
            draft,
            maintainer_can_modify,
            node_lag=self._node_lag_default if lagging else 0,
            unknown_reads=self._mergeability_lag_default if lagging else 0,
        )
        self._nodes[issue.pull.node_id] = (repo, issue)
        return issue

    def _search(self, q: str) -> list[tuple[FakeRepo, Issue]]:
        query = _SearchQuery.parse(q)
        results = [
            (r, i)
            for r in self._repos.values()
            if query.wants_repo(r)
            for i in r.issues.values()
            if query.matches(i)
        ]
        results.sort(key=lambda ri: (ri[1].created_at, ri[1].number), reverse=True)
        return results

    # -- HTTP entry point -------------------------------------------------------------------

    def _handle(self, h: _Handler) -> None:
        method = h.command
        raw_path, _, raw_query = h.path.partition("?")
        body_bytes = h.read_body()
        record = RequestRecord(
            method,
            raw_path,
            raw_query,
            None,
            None,
            None,
            None,
            False,
            time.time(),
            int(h.client_address[1]),
        )
        with contextlib.suppress(ValueError):
            record.request_json = json.loads(body_bytes) if body_bytes else None
        with self._lock:
            fault = next((f for f in self._faults if f.matches(method, raw_path)), None)
            if fault is not None:
                fault.consume()
        if fault is not None:
            record.injected = True
            if fault.reset:
                self._log_record(record)
                h.abort()
                return
            reply = Reply(fault.status, fault.body, dict(fault.headers))
            if "X-RateLimit-Remaining" not in reply.headers and fault.status == 403:
                reply.headers["X-RateLimit-Remaining"] = str(self._rate_remaining)
        else:
            reply = self._dispatch(h, method, raw_path, raw_query, body_bytes, record)
        record.status = reply.status
        record.response_json = reply.body
        self._log_record(record)
        h.respond(reply, rate_remaining=self._rate_remaining)

    def _log_record(self, record: RequestRecord) -> None:
        with self._log_lock:
            self._log.append(record)

    def _dispatch(
        self,
        h: _Handler,
        method: str,
        raw_path: str,
        raw_query: str,
        body_bytes: bytes,
        record: RequestRecord,
    ) -> Reply:
        host = h.headers.get("Host") or f"127.0.0.1:{self.port}"
        query = {
            k: v[-1] for k, v in urllib.parse.parse_qs(raw_query, keep_blank_values=True).items()
        }
        is_graphql = raw_path == GRAPHQL_PATH
        try:
            token = self._authenticate(h.headers.get("Authorization"), is_graphql)
            try:
                body = json.loads(body_bytes) if body_bytes else None
            except ValueError as exc:
                raise ApiError(400, "Problems parsing JSON") from exc
            if is_graphql:
                record.template = "graphql"
                if method != "POST":
                    raise _not_found()
                ctx = _Ctx(method, raw_path, query, body, f"http://{host}", token)
                with self._lock:
                    return self._graphql.handle(ctx)
            if not raw_path.startswith(API_PREFIX + "/"):
                raise _not_found()
            path = raw_path[len(API_PREFIX) :]
            found = self._rest.match(method, path)
            if found is None:
                raise _not_found()
            route, params = found
            record.template = route.template
            if _PERMISSION_RANK[token.permission] < _PERMISSION_RANK[route.access]:
                raise ApiError(403, NOT_ACCESSIBLE)
            ctx = _Ctx(method, path, query, body, f"http://{host}", token, params)
            with self._lock:
                if "owner" in params:
                    ctx.repo = self._repos.get(f"{params['owner']}/{params['repo']}".lower())
                    if ctx.repo is None:
                        raise _not_found()
                reply = route.handler(ctx)
                self._rate_remaining = max(self._rate_remaining - 1, 0)
                return reply
        except ApiError as exc:
            return Reply(exc.status, exc.body, exc.headers)
        except Exception as exc:  # a bug in the fake: answer 500, keep serving, remember it
            self.crashes.append(traceback.format_exc())
            return Reply(
                500, {"message": f"fake GitHub crashed: {exc!r}", "documentation_url": DOCS_URL}
            )

    def _authenticate(self, header: str | None, graphql: bool) -> TokenInfo:
        scheme, _, token = (header or "").partition(" ")
        info = self._tokens.get(token.strip()) if scheme.lower() in ("token", "bearer") else None
        if info is None:
            raise ApiError(401, "Bad credentials", docs=GRAPHQL_DOCS_URL if graphql else DOCS_URL)
        return info

    def __repr__(self) -> str:
        state = f"port {self._server.server_address[1]}" if self._server else "stopped"
        return f"<FakeGitHub {state}, {len(self._repos)} repos>"
