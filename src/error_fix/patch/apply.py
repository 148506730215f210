"""Apply a checked patch to a base commit with ``git apply``, then check that the result is what
the patch says it is.

Both places that apply a patch use this: the scoring worktrees (workspace.py, ``--index``) and
the tree every forge publishes (forge/gittree.py, ``--cached`` on a throwaway index). So what is
scored is what is published.

Before applying, the few things a patch cannot say by itself are read from the base: whether a
file that a plain diff fills from ``-0,0`` exists, and, for a patch whose CRLF endings came from
the way it travelled, which files use CRLF. After applying, each file whose ``index a..b`` line
names a blob must have that blob (an abbreviated id compares by prefix): a patch applied
somewhere else than written (fuzz, offset, a -U0 hunk placed wrongly) is refused.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path

from .. import proc
from . import Patch
from .model import FileDiff, Hunk, HunkLine, PatchRejected, render


def apply_patch(
    cwd: Path,
    base_sha: str,
    patch: Patch,
    diff: bytes,
    *,
    cached: bool,
    allow_binary: bool,
    env: Mapping[str, str] | None = None,
    what: str = "patch",
) -> None:
    """Apply ``diff`` (``patch.diff`` or one of its parts) to the index at ``cwd`` (and its work
    tree unless ``cached``), which holds ``base_sha``. Raises PatchRejected with the reason."""
    git_env = dict(env or {})
    sections = _fit_to_base(cwd, base_sha, patch.sections_of(diff), patch.crlf_transport, git_env)
    text = render(sections)
    options = ["--cached" if cached else "--index", "--whitespace=nowarn", "--no-ignore-whitespace"]
    if patch.unidiff_zero:
        options.append("--unidiff-zero")
    if allow_binary:
        options.append("--binary")
    result = proc.git(cwd, "apply", *options, "-", stdin=text, env=git_env, check=False)
    if not result.ok:
        # A re-run after the fix was merged: say so, rather than "does not apply".
        options += ["--reverse", "--check"]
        reverse = proc.git(cwd, "apply", *options, "-", stdin=text, env=git_env, check=False)
        if reverse.ok:
            raise PatchRejected(
                f"{what} is already in base {base_sha[:12]} (merged before?): nothing to do"
            )
        first = next(iter(result.tail(3).splitlines()), "git apply failed")
        raise PatchRejected(f"{what} does not apply to base {base_sha[:12]}: {first}")
    _check_blobs(cwd, base_sha, sections, git_env, what)


def _fit_to_base(
    cwd: Path,
    base_sha: str,
    sections: tuple[FileDiff, ...],
    crlf_transport: bool,
    env: Mapping[str, str],
) -> tuple[FileDiff, ...]:
    maybe = {s.path for s in sections if s.maybe_existing}
    endings = {s.old_path for s in sections if crlf_transport and s.old_path and s.hunks}
    wanted = sorted(maybe | {p for p in endings if p is not None})
    if not wanted:
        return sections
    blobs = _base_blobs(cwd, base_sha, wanted, env)
    crlf = {path for path in endings if path in blobs and _mostly_crlf(cwd, blobs[path], env)}
    fitted: list[FileDiff] = []
    for section in sections:
        if section.maybe_existing:
            exists = section.path in blobs
            section = replace(
                section, old_path=section.path if exists else None, maybe_existing=False
            )
        if section.old_path in crlf:
            section = replace(section, hunks=tuple(_with_crlf(h) for h in section.hunks))
        fitted.append(section)
    return tuple(fitted)


def _base_blobs(
    cwd: Path, base_sha: str, paths: Iterable[str], env: Mapping[str, str]
) -> dict[str, str]:
    """path → blob id in the base, for those of ``paths`` that are files there (asked on stdin:
    any number of paths, no argument-length limit; intake refused names with a newline)."""
    names = list(paths)
    query = "".join(f"{base_sha}:{name}\n" for name in names).encode("utf-8")
    listing = proc.git(
        cwd,
        "cat-file",
        "--batch-check=%(objectname) %(objecttype)",
        env=env,
        stdin=query,
        raw_stdout=True,
    )
    answers = listing.stdout_bytes.decode("utf-8", "replace").splitlines()
    blobs: dict[str, str] = {}
    for name, answer in zip(names, answers, strict=False):
        fields = answer.split()
        if len(fields) == 2 and fields[1] == "blob":
            blobs[name] = fields[0]
    return blobs


def _mostly_crlf(cwd: Path, blob: str, env: Mapping[str, str]) -> bool:
    content = proc.git(cwd, "cat-file", "blob", blob, env=env, raw_stdout=True).stdout_bytes
    return content.count(b"\r\n") * 2 > content.count(b"\n")


def _with_crlf(hunk: Hunk) -> Hunk:
    lines = tuple(
        HunkLine(line.tag, line.text, b"\r\n" if line.eol == b"\n" else line.eol)
        for line in hunk.lines
    )
    return replace(hunk, lines=lines)


def _check_blobs(
    cwd: Path, base_sha: str, sections: tuple[FileDiff, ...], env: Mapping[str, str], what: str
) -> None:
    """Each path's last section that names a resulting blob: the index must hold that blob."""
    expected: dict[str, str | None] = {}
    written_against: dict[str, tuple[str, str]] = {}
    for section in sections:
        if section.old_path is not None and not section.copied:
            expected.pop(section.old_path, None)
        if section.new_path is not None:
            blob = section.new_blob
            expected[section.new_path] = blob if blob and blob.strip("0") else None
            if section.old_path and section.old_blob and section.new_path not in written_against:
                written_against[section.new_path] = (section.old_path, section.old_blob)
    wanted = {path: blob for path, blob in expected.items() if blob}
    if not wanted:
        return
    # The whole index, not a pathspec per file: any number of paths, no argument-length limit.
    listing = proc.git(cwd, "ls-files", "--stage", "-z", env=env, raw_stdout=True)
    actual: dict[str, str] = {}
    for entry in listing.stdout_bytes.split(b"\0"):
        meta, _, name = entry.partition(b"\t")
        fields = meta.split()
        path = name.decode("utf-8", "replace")
        if len(fields) == 3 and path in wanted:
            actual[path] = fields[1].decode()
    for path, blob in wanted.items():
        got = actual.get(path)
        if got is None or not got.startswith(blob):
            origins = _written_against(cwd, base_sha, written_against, env)
            raise PatchRejected(
                f"{what} applied differently than written: {path} comes out as blob "
                f"{(got or 'missing')[:12]}, the patch says {blob}{origins.get(path, '')}"
            )


def _written_against(
    cwd: Path, base_sha: str, origins: dict[str, tuple[str, str]], env: Mapping[str, str]
) -> dict[str, str]:
    """For the reason: path → ' (written against blob a, the base has w)' where they differ."""
    base = _base_blobs(cwd, base_sha, [old for old, _ in origins.values()], env)
    notes: dict[str, str] = {}
    for path, (old, blob) in origins.items():
        found = base.get(old)
        if found is not None and not found.startswith(blob):
            notes[path] = f" (it was written against blob {blob}, the base has {found[:12]})"
    return notes
