"""Patch intake: read the artifact, parse the diff, refuse what is unsafe, split source from tests.

A patch is untrusted input. Everything here only reads it; nothing is applied (see workspace.py).
Each refusal is a :class:`PatchRejected` whose message is one line naming the file.
"""

from __future__ import annotations

import email.parser
import email.policy
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from unidiff.errors import UnidiffParseError
from unidiff.patch import PatchSet

PATCH_SUFFIXES = (".patch", ".diff")
ERROR_FILE = "error.json"
_MBOX_FROM = re.compile(rb"^From [0-9a-f]{7,40} ", re.MULTILINE)
_SUBJECT_PREFIX = re.compile(r"^\s*(\[[^\]]*\]\s*)+")
_MODE_LINE = re.compile(r"^(?:new file|deleted file|old|new) mode (\d+)|^index \S+ (\d{6})$")
_PATH_LINES = re.compile(r"^(rename|copy) (from|to) (.+)$")
_ID_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class PatchRejected(Exception):
    """The patch cannot be used; the message says why in one line."""


@dataclass(frozen=True)
class ErrorInfo:
    """The error a patch claims to fix (``error.json`` in the patch artifact)."""

    id: str | None = None
    """Stable fingerprint: names the branch and keys idempotency."""
    title: str | None = None
    """One-line description, e.g. "ZeroDivisionError in mean_price"."""
    traceback: str | None = None
    """The traceback as reported."""
    failing_test: str | None = None
    """A pytest node id that must fail on the base and pass patched."""
    source: str | None = None
    """Who reported the error (sentry, ci, an agent's name)."""
    url: str | None = None
    """Where the error is described."""

    def to_dict(self) -> dict[str, str]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass(frozen=True)
class FileChange:
    """One file the patch touches."""

    path: str
    """Path after the patch (the old path for a deletion)."""
    old_path: str | None
    """Path before the patch; None for an added file."""
    status: str
    """added, modified, deleted or renamed."""
    is_test: bool
    """Belongs to the test part (tests/, test_*.py, *_test.py, conftest.py)."""
    added_lines: tuple[int, ...]
    """Line numbers, in the patched file, of the lines the patch adds."""


@dataclass(frozen=True)
class Patch:
    """A parsed, checked patch."""

    raw: bytes
    """The patch file exactly as received; its sha256 is the patch identity."""
    diff: bytes
    """The diff part (for an mbox: without headers and signature), what git applies."""
    sha256: str
    """Hex digest of ``raw``."""
    files: tuple[FileChange, ...]
    """Files touched, in patch order."""
    source_diff: bytes
    """The diff restricted to non-test files."""
    test_diff: bytes
    """The diff restricted to test files."""
    subject: str | None = None
    """Commit subject from an mbox, if any."""
    body: str | None = None
    """Commit body from an mbox, if any."""
    error: ErrorInfo | None = None
    """The error it claims to fix, from error.json."""
    notes: tuple[str, ...] = field(default=())
    """Things intake noticed but did not refuse (e.g. ignored files in the artifact)."""

    @property
    def identity(self) -> str:
        """Branch suffix: the error id when given, else the first 12 hex digits of the sha256."""
        if self.error is not None and self.error.id:
            safe = _ID_UNSAFE.sub("-", self.error.id).strip(".-")[:60]
            if safe:
                return safe
        return self.sha256[:12]

    @property
    def title(self) -> str:
        if self.error is not None and self.error.title:
            return self.error.title
        if self.subject:
            return self.subject
        return f"patch {self.sha256[:12]}"

    @property
    def commit_message(self) -> str:
        message = self.title
        if self.body:
            message += "\n\n" + self.body.strip()
        return message + f"\n\nError-Fix-Patch: {self.sha256}\n"

    @property
    def test_files(self) -> tuple[str, ...]:
        return tuple(f.path for f in self.files if f.is_test and f.status != "deleted")


def is_test_path(path: str) -> bool:
    """True for files of the test part: under tests/ or test/, test_*.py, *_test.py, conftest.py."""
    parts = PurePosixPath(path).parts
    name = parts[-1] if parts else ""
    return (
        any(p in ("tests", "test") for p in parts[:-1])
        or (name.startswith("test_") and name.endswith(".py"))
        or name.endswith("_test.py")
        or name == "conftest.py"
    )


def glob_matches(pattern: str, path: str) -> bool:
    """Match a repository path against a glob where ``**`` spans directories and ``*`` does not."""
    regex = ""
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            regex += "(?:.*/)?"
            i += 3
        elif pattern.startswith("**", i):
            regex += ".*"
            i += 2
        elif pattern[i] == "*":
            regex += "[^/]*"
            i += 1
        elif pattern[i] == "?":
            regex += "[^/]"
            i += 1
        else:
            regex += re.escape(pattern[i])
            i += 1
    return re.fullmatch(regex, path) is not None


# ---------------------------------------------------------------------------------------------
# Artifact


@dataclass(frozen=True)
class Artifact:
    """What was found at the ``--patch`` path."""

    patch_file: Path
    """The one patch file."""
    error: ErrorInfo | None
    """Parsed error.json, when present."""
    ignored: tuple[str, ...]
    """Other files in the folder, ignored."""


def load_artifact(path: Path) -> Artifact:
    """Find the patch (a file, or a folder holding exactly one ``*.patch``/``*.diff``)."""
    if not path.exists():
        raise PatchRejected(f"patch not found: {path}")
    if path.is_file():
        return Artifact(path, None, ())
    if not path.is_dir():
        raise PatchRejected(f"not a file or folder: {path}")
    entries = sorted(p for p in path.iterdir())
    patches = [p for p in entries if p.is_file() and p.suffix in PATCH_SUFFIXES]
    if not patches:
        raise PatchRejected(f"no *.patch or *.diff file in {path}")
    if len(patches) > 1:
        names = ", ".join(p.name for p in patches)
        raise PatchRejected(f"{path} holds {len(patches)} patches ({names}); exactly one expected")
    error_path = path / ERROR_FILE
    error = _read_error_info(error_path) if error_path.is_file() else None
    ignored = tuple(p.name for p in entries if p not in (patches[0], error_path))
    return Artifact(patches[0], error, ignored)


def _read_error_info(path: Path) -> ErrorInfo:
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PatchRejected(f"{ERROR_FILE}: not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise PatchRejected(f"{ERROR_FILE}: expected a JSON object")
    known = {"id", "title", "traceback", "failing_test", "source", "url"}
    values: dict[str, str] = {}
    for key in known & data.keys():
        value = data[key]
        if value is None:
            continue
        if not isinstance(value, str | int):
            raise PatchRejected(f"{ERROR_FILE}: {key} must be a string")
        values[key] = str(value)
    return ErrorInfo(**values)


def read_patch(
    path: Path,
    *,
    max_bytes: int,
    allow_binary: bool,
    protected: tuple[str, ...],
) -> Patch:
    """Load and check the patch at ``path`` (file or artifact folder)."""
    artifact = load_artifact(path)
    size = artifact.patch_file.stat().st_size
    if size > max_bytes:
        raise PatchRejected(
            f"{artifact.patch_file.name}: {size} bytes is over the size limit of {max_bytes} bytes"
        )
    raw = artifact.patch_file.read_bytes()
    notes = tuple(f"ignored {name} in the patch artifact" for name in artifact.ignored)
    return parse_patch(
        raw,
        max_bytes=max_bytes,
        allow_binary=allow_binary,
        protected=protected,
        error=artifact.error,
        notes=notes,
    )


# ---------------------------------------------------------------------------------------------
# Parsing and checks


def parse_patch(
    raw: bytes,
    *,
    max_bytes: int,
    allow_binary: bool,
    protected: tuple[str, ...],
    error: ErrorInfo | None = None,
    notes: tuple[str, ...] = (),
) -> Patch:
    """Parse ``raw`` (a git diff or a format-patch mbox) and apply every intake rule."""
    if len(raw) > max_bytes:
        raise PatchRejected(f"patch is {len(raw)} bytes, over the size limit of {max_bytes} bytes")
    if not raw.strip():
        raise PatchRejected("patch is empty")
    subject, body, diff = _split_mbox(raw)
    text = diff.decode("utf-8", errors="surrogateescape")
    try:
        patch_set = PatchSet(text)
    except UnidiffParseError as exc:
        raise PatchRejected(f"malformed patch: {exc}") from None
    if len(patch_set) == 0:
        raise PatchRejected("malformed patch: no file changes found")
    segments = _file_segments(text, patch_set)
    files: list[FileChange] = []
    source_parts: list[str] = []
    test_parts: list[str] = []
    for patched, segment in zip(patch_set, segments, strict=True):
        change = _check_file(patched, allow_binary, protected)
        files.append(change)
        (test_parts if change.is_test else source_parts).append(segment)
    return Patch(
        raw=raw,
        diff=diff,
        sha256=hashlib.sha256(raw).hexdigest(),
        files=tuple(files),
        source_diff="".join(source_parts).encode("utf-8", errors="surrogateescape"),
        test_diff="".join(test_parts).encode("utf-8", errors="surrogateescape"),
        subject=subject,
        body=body,
        error=error,
        notes=notes,
    )


def _split_mbox(raw: bytes) -> tuple[str | None, str | None, bytes]:
    """(subject, body, diff) for a format-patch mbox; (None, None, raw) for a plain diff."""
    if not (raw.startswith(b"From ") or raw.startswith(b"From:") or raw.startswith(b"Subject:")):
        return None, None, raw
    count = len(_MBOX_FROM.findall(raw))
    if count > 1:
        raise PatchRejected(f"mbox holds {count} patches; exactly one expected")
    head, sep, rest = raw.partition(b"\ndiff --git ")
    if not sep:
        raise PatchRejected("mbox has no diff in it")
    diff = b"diff --git " + rest
    # format-patch ends with a "-- \n<git version>" signature that is not part of the diff.
    signature = diff.rfind(b"\n-- \n")
    if signature != -1:
        diff = diff[: signature + 1]
    message = email.parser.BytesParser(policy=email.policy.default).parsebytes(head + b"\n")
    subject = _SUBJECT_PREFIX.sub("", str(message.get("Subject", "")).replace("\n", " ")).strip()
    payload = message.get_payload(decode=True)
    text = payload.decode("utf-8", errors="replace") if isinstance(payload, bytes) else ""
    body = text.split("\n---\n", 1)[0].strip() if "\n---\n" in text else text.strip()
    if body.startswith("---"):
        body = ""
    return subject or None, body or None, diff


def _file_segments(text: str, patch_set: PatchSet) -> list[str]:
    """The diff text of each file, byte-faithful for git diffs (binary data and modes survive)."""
    if text.startswith("diff --git "):
        pieces = re.split(r"(?m)^(?=diff --git )", text)
        segments = [p for p in pieces if p]
        if len(segments) == len(patch_set):
            return segments
    return [str(patched) for patched in patch_set]


def _strip_prefix(path: str) -> str:
    if path.startswith('"') and path.endswith('"'):
        path = path[1:-1].encode("latin-1", "backslashreplace").decode("unicode_escape")
    if path.startswith(("a/", "b/")):
        return path[2:]
    return path


def _header_paths(patched: Any) -> list[str]:
    """Every path the file's header mentions: git reads them, so every one is checked."""
    paths: list[str] = []
    for line in patched.patch_info:
        line = line.rstrip("\n")
        if line.startswith("diff --git "):
            rest = line[len("diff --git ") :]
            match = re.fullmatch(r'("?a/.*"?) ("?b/.*"?)', rest)
            if match:
                paths.extend(_strip_prefix(m) for m in match.groups())
            else:
                paths.append(rest)
        elif moved := _PATH_LINES.match(line):
            paths.append(moved.group(3))
    for name in (patched.source_file, patched.target_file):
        if name and name != "/dev/null":
            paths.append(_strip_prefix(name))
    return paths


def _check_path(path: str, protected: tuple[str, ...]) -> None:
    if not path:
        raise PatchRejected("a file in the patch has an empty path")
    if path.startswith("/") or re.match(r"^[A-Za-z]:[\\/]", path):
        raise PatchRejected(f"{path}: absolute path")
    parts = re.split(r"[\\/]", path)
    if ".." in parts:
        raise PatchRejected(f"{path}: path leaves the repository ('..')")
    if any(part.lower() == ".git" for part in parts):
        raise PatchRejected(f"{path}: changes under .git/ are not allowed")
    if path == ".gitmodules":
        raise PatchRejected(f"{path}: submodule changes are not allowed")
    for pattern in protected:
        if glob_matches(pattern, path):
            raise PatchRejected(f"{path}: protected path (matches {pattern!r})")


def _check_file(patched: Any, allow_binary: bool, protected: tuple[str, ...]) -> FileChange:
    paths = _header_paths(patched)
    for path in paths:
        _check_path(path, protected)
    path = _strip_prefix(patched.path)
    for line in patched.patch_info:
        mode = _MODE_LINE.match(line.rstrip("\n"))
        if mode:
            value = mode.group(1) or mode.group(2)
            if value == "120000":
                raise PatchRejected(f"{path}: symlinks are not allowed")
            if value == "160000":
                raise PatchRejected(f"{path}: submodule changes are not allowed")
    if patched.is_binary_file and not allow_binary:
        raise PatchRejected(f"{path}: binary changes are not allowed")
    if patched.is_added_file:
        status, old_path = "added", None
    elif patched.is_removed_file:
        status, old_path = "deleted", path
    elif patched.is_rename:
        status, old_path = "renamed", _strip_prefix(patched.source_file)
    else:
        status, old_path = "modified", path
    added = tuple(
        line.target_line_no
        for hunk in patched
        for line in hunk
        if line.is_added and line.target_line_no is not None
    )
    return FileChange(
        path=path,
        old_path=old_path,
        status=status,
        is_test=is_test_path(path),
        added_lines=added,
    )
