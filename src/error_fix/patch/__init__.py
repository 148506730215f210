"""Patch intake: read the artifact, read the diff in whatever form, refuse what is unsafe, split
source from tests.

A patch is untrusted input. Everything here only reads it; nothing is applied (see
patch_apply.py). Every form is read into one model (diff_reader.py, diff_model.py) and kept as
one canonical git diff: that is what is applied, checked and published. The patch's identity
stays the sha256 of the bytes received. Each refusal is a :class:`PatchRejected` whose message
is one line naming the file or the line.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from .model import CommitMessage, FileDiff, PatchRejected, render
from .paths import check_section, glob_matches
from .reader import read_diff

__all__ = [
    "Artifact",
    "ErrorInfo",
    "FileChange",
    "Patch",
    "PatchRejected",
    "glob_matches",
    "is_test_path",
    "load_artifact",
    "parse_patch",
    "read_patch",
]

PATCH_SUFFIXES = (".patch", ".diff")
ERROR_FILE = "error.json"
_ID_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


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
    """One file the patch touches (a file touched by several commits of a series: once)."""

    path: str
    """Path after the patch (the old path for a deletion)."""
    old_path: str | None
    """Path before the patch; None for an added file."""
    status: str
    """added, modified, deleted, renamed or copied."""
    is_test: bool
    """Belongs to the test part (see :func:`is_test_path`)."""
    added_lines: tuple[int, ...]
    """Line numbers, in the patched file, of the lines the patch adds."""


@dataclass(frozen=True)
class Patch:
    """A read, checked patch."""

    raw: bytes
    """The patch file exactly as received; its sha256 is the patch identity."""
    diff: bytes
    """The canonical git diff of the whole patch, what git applies."""
    sha256: str
    """Hex digest of ``raw``."""
    files: tuple[FileChange, ...]
    """Files touched, in patch order."""
    source_diff: bytes
    """The canonical diff restricted to non-test files."""
    test_diff: bytes
    """The canonical diff restricted to test files."""
    subject: str | None = None
    """Commit subject from a format-patch mail (the first of a series), if any."""
    body: str | None = None
    """The rest of the commit message (a series: every commit's message, in order)."""
    error: ErrorInfo | None = None
    """The error it claims to fix, from error.json."""
    notes: tuple[str, ...] = field(default=())
    """Things intake noticed but did not refuse (e.g. ignored files in the artifact)."""
    sections: tuple[FileDiff, ...] = ()
    """The patch read into the model, section by section (a series: commit by commit)."""
    commits: tuple[CommitMessage, ...] = ()
    """The commits of a format-patch mail or series, in order."""
    crlf_transport: bool = False
    """CRLF endings added on the way were removed: each file keeps the endings of its base."""
    unidiff_zero: bool = False
    """Hunks without context (-U0): applied by line number, like ``git apply --unidiff-zero``."""

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
        if self.subject and self.subject != self.title and len(self.commits) == 1:
            message += "\n\n" + self.subject
        if self.body:
            message += "\n\n" + self.body.strip()
        return message + f"\n\nError-Fix-Patch: {self.sha256}\n"

    @property
    def test_files(self) -> tuple[str, ...]:
        return tuple(f.path for f in self.files if f.is_test and f.status != "deleted")

    def sections_of(self, diff: bytes) -> tuple[FileDiff, ...]:
        """The sections one of this patch's diffs (whole, source or test part) was made of."""
        for part, sections in (
            (self.diff, self.sections),
            (self.source_diff, self._part(is_test=False)),
            (self.test_diff, self._part(is_test=True)),
        ):
            if diff == part:
                return sections
        return read_diff(diff).sections

    def _part(self, *, is_test: bool) -> tuple[FileDiff, ...]:
        return tuple(s for s in self.sections if is_test_path(s.path) is is_test)


TEST_MODULE_NAMES = frozenset({"test.py", "tests.py", "conftest.py"})
"""Test modules by whole name: a project's single ``test.py``, Django's ``tests.py``, fixtures."""


def is_test_path(path: str) -> bool:
    """True for files of the test part: under tests/ or test/, test_*.py, *_test.py, *_tests.py,
    test.py, tests.py, conftest.py.

    Erring towards "test" is the safe side: a test file taken for source would run, as the patch
    wrote it, in the tree that judges regressions."""
    parts = PurePosixPath(path).parts
    name = parts[-1] if parts else ""
    return (
        any(p in ("tests", "test") for p in parts[:-1])
        or (name.startswith("test_") and name.endswith(".py"))
        or name.endswith(("_test.py", "_tests.py"))
        or name in TEST_MODULE_NAMES
    )


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
    try:
        if not path.exists():
            raise PatchRejected(f"patch not found: {path}")
        if path.is_file():
            return Artifact(path, None, ())
        if not path.is_dir():
            raise PatchRejected(f"not a file or folder: {path}")
        entries = sorted(p for p in path.iterdir())
        patches = [p for p in entries if p.is_file() and p.suffix in PATCH_SUFFIXES]
    except OSError as exc:
        raise PatchRejected(f"cannot read {path}: {exc.strerror or exc}") from None
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
    try:
        size = artifact.patch_file.stat().st_size
        if size > max_bytes:
            raise PatchRejected(
                f"{artifact.patch_file.name}: {size} bytes is over the size limit of "
                f"{max_bytes} bytes"
            )
        raw = artifact.patch_file.read_bytes()
    except OSError as exc:
        raise PatchRejected(f"cannot read {artifact.patch_file}: {exc.strerror or exc}") from None
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
# Reading and checks


def parse_patch(
    raw: bytes,
    *,
    max_bytes: int,
    allow_binary: bool,
    protected: tuple[str, ...],
    error: ErrorInfo | None = None,
    notes: tuple[str, ...] = (),
) -> Patch:
    """Read ``raw`` (any diff form, a format-patch mail or series) and apply every intake rule."""
    if len(raw) > max_bytes:
        raise PatchRejected(f"patch is {len(raw)} bytes, over the size limit of {max_bytes} bytes")
    if not raw.strip():
        raise PatchRejected("patch is empty")
    read = read_diff(raw)
    for section in read.sections:
        check_section(section, protected, allow_binary)
    sections = read.sections
    source = tuple(s for s in sections if not is_test_path(s.path))
    tests = tuple(s for s in sections if is_test_path(s.path))
    subject, body = _message(read.commits)
    return Patch(
        raw=raw,
        diff=render(sections),
        sha256=hashlib.sha256(raw).hexdigest(),
        files=_file_changes(sections),
        source_diff=render(source),
        test_diff=render(tests),
        subject=subject,
        body=body,
        error=error,
        notes=(*notes, *read.notes),
        sections=sections,
        commits=read.commits,
        crlf_transport=read.crlf_transport,
        unidiff_zero=read.unidiff_zero,
    )


def _message(commits: tuple[CommitMessage, ...]) -> tuple[str | None, str | None]:
    """(subject, body) for the fix commit: one commit's own, or a series' every message."""
    if not commits:
        return None, None
    if len(commits) == 1:
        return commits[0].subject or None, commits[0].body or None
    parts = [f"A series of {len(commits)} commits, applied in order as one change:"]
    for number, commit in enumerate(commits, 1):
        parts.append(f"{number}/{len(commits)} {commit.subject}")
        if commit.body:
            parts.append("\n".join(f"    {line}".rstrip() for line in commit.body.splitlines()))
    return commits[0].subject or None, "\n\n".join(parts)


@dataclass
class _Net:
    """One file's net change over the sections that touch it, in order."""

    old_path: str | None
    status: str
    added: list[int]
    """Sorted line numbers, in the file as the sections so far leave it."""


def _file_changes(sections: tuple[FileDiff, ...]) -> tuple[FileChange, ...]:
    """One FileChange per path: sections touching a path again (a series) are composed, the
    lines added earlier followed through the later hunks."""
    net: dict[str, _Net] = {}
    for section in sections:
        before = None
        if section.old_path is not None and section.old_path in net:
            before = net[section.old_path] if section.copied else net.pop(section.old_path)
        elif section.old_path is None and section.path in net:
            before = net.pop(section.path)  # re-created after a deletion
        added = list(section.added_line_numbers())
        if before is not None and before.added and section.old_path is not None:
            added = sorted(section.map_lines(before.added) + added)  # two sorted runs: linear
        status = _composed(before, section)
        if status is None:
            continue
        origin = before.old_path if before is not None else section.old_path
        if status == "deleted":
            net[origin or section.path] = _Net(origin, status, [])
        else:
            net[section.path] = _Net(origin if status != "added" else None, status, added)
    return tuple(
        FileChange(
            path=path,
            old_path=change.old_path,
            status=change.status,
            is_test=is_test_path(path),
            added_lines=tuple(change.added),
        )
        for path, change in net.items()
    )


def _composed(before: _Net | None, section: FileDiff) -> str | None:
    """The net status of ``before`` followed by ``section``; None when nothing is left."""
    now = section.status
    if before is None:
        return now
    if before.status == "deleted":
        return "modified" if now == "added" else now
    if now == "deleted":
        return None if before.status in ("added", "copied") and not section.copied else now
    if before.status in ("added", "copied") and not section.copied:
        return before.status
    if now == "copied":
        return "copied"
    if before.status == "renamed" or now == "renamed":
        return "modified" if before.old_path == section.path else "renamed"
    return "modified"
