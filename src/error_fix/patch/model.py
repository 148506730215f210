"""The one normalised model every patch form is read into, and its canonical git rendering.

Whatever wrote the patch (git with any prefix, ``diff -u``, svn, format-patch), intake reads it
into :class:`FileDiff` sections and renders them back as one canonical git diff: ``a/`` and
``b/`` prefixes, C-quoted names where git would quote them, hunks with the line endings they
carried. That rendering is what ``git apply`` applies (with its default ``-p1``), so every form
is applied the same way.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass, field

DEV_NULL = "/dev/null"
DEFAULT_MODE = "100644"
MAX_REASON = 500
"""Characters of a reason (it may quote a name or a line of the patch)."""

# git's C-quoting (quote.c): these escapes, octal for every other control or non-ASCII byte.
_ESCAPES = {
    ord("\a"): "a",
    ord("\b"): "b",
    ord("\t"): "t",
    ord("\n"): "n",
    ord("\v"): "v",
    ord("\f"): "f",
    ord("\r"): "r",
    ord('"'): '"',
    ord("\\"): "\\",
}
_UNESCAPES = {letter: code for code, letter in _ESCAPES.items()}


class PatchRejected(Exception):
    """The patch cannot be used; the message says why in one line."""

    def __init__(self, message: str) -> None:
        # A reason is one line whatever it quotes (file names, git's output).
        one_line = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in message.strip())
        if len(one_line) > MAX_REASON:
            one_line = one_line[: MAX_REASON - 1] + "…"
        super().__init__(one_line)


@dataclass(frozen=True)
class HunkLine:
    """One line of a hunk body."""

    tag: str
    """' ' context, '-' removed, '+' added."""
    text: bytes
    """The line's content without its line ending."""
    eol: bytes
    """Its own line ending: b"\\n", b"\\r\\n", or b"" (no newline at end of file)."""


@dataclass(frozen=True)
class Hunk:
    """One ``@@`` hunk, its counts checked against its body."""

    old_start: int
    """First line in the old file (for an empty old range: the line it follows)."""
    old_len: int
    """Lines of the old file the hunk covers (context + removed)."""
    new_start: int
    """First line in the new file (for an empty new range: the line it follows)."""
    new_len: int
    """Lines of the new file the hunk covers (context + added)."""
    lines: tuple[HunkLine, ...]
    """The body, in order."""
    at_line: int = field(default=0, compare=False)
    """Line of the patch holding its ``@@`` header (for reasons)."""

    @property
    def has_context(self) -> bool:
        return any(line.tag == " " for line in self.lines)

    def kept_lines(self, old: int, new: int) -> dict[int, int]:
        """Old → new line number of each context line, the hunk starting at ``old``/``new``."""
        kept: dict[int, int] = {}
        for line in self.lines:
            if line.tag == " ":
                kept[old] = new
            old += line.tag != "+"
            new += line.tag != "-"
        return kept

    def added_line_numbers(self) -> list[int]:
        """Line numbers, in the new file, of the lines this hunk adds."""
        numbers: list[int] = []
        current = self.new_start if self.new_len else self.new_start + 1
        for line in self.lines:
            if line.tag == "+":
                numbers.append(current)
            if line.tag != "-":
                current += 1
        return numbers


@dataclass(frozen=True)
class FileDiff:
    """What a patch does to one file, in one section of the patch."""

    old_path: str | None
    """Repository path before (decoded UTF-8, no prefix); None when the file is created."""
    new_path: str | None
    """Repository path after; None when the file is deleted."""
    copied: bool = False
    """A copy: the old path stays (only with both paths)."""
    old_mode: str | None = None
    """Mode before, when the patch says (``old mode``, ``deleted file mode``, ``index``)."""
    new_mode: str | None = None
    """Mode after, when the patch says (``new mode``, ``new file mode``, ``index``)."""
    old_blob: str | None = None
    """Blob id before, from ``index a..b`` (possibly abbreviated)."""
    new_blob: str | None = None
    """Blob id the patched file must have, from ``index a..b`` (possibly abbreviated)."""
    hunks: tuple[Hunk, ...] = ()
    """Text hunks, in file order."""
    binary: bytes | None = None
    """A binary change as git wrote it (``GIT binary patch`` data, or the 'differ' line)."""
    maybe_existing: bool = False
    """Read from a plain diff whose only hunk starts at ``-0,0`` with nothing saying the file is
    new: it creates the file, or fills an empty one; the base decides which."""
    at_line: int = field(default=0, compare=False)
    """Line of the patch where this section starts (for reasons)."""

    @property
    def path(self) -> str:
        """The path this section leaves behind (the old one for a deletion)."""
        path = self.new_path if self.new_path is not None else self.old_path
        assert path is not None
        return path

    @property
    def status(self) -> str:
        """added, deleted, renamed, copied or modified."""
        if self.old_path is None:
            return "added"
        if self.new_path is None:
            return "deleted"
        if self.old_path != self.new_path:
            return "copied" if self.copied else "renamed"
        return "modified"

    def added_line_numbers(self) -> tuple[int, ...]:
        return tuple(n for hunk in self.hunks for n in hunk.added_line_numbers())

    def map_lines(self, lines: list[int]) -> list[int]:
        """Where the old file's ``lines`` (sorted) are in the new one, sorted; the lines the hunks
        remove are dropped. Lines outside hunks shift in bulk: linear in ``lines``."""
        mapped: list[int] = []
        offset = done = 0
        for hunk in self.hunks:
            start = hunk.old_start if hunk.old_len else hunk.old_start + 1
            before = bisect.bisect_left(lines, start, done)
            mapped.extend(map(offset.__add__, lines[done:before]))
            done = bisect.bisect_left(lines, start + hunk.old_len, before)
            if done > before:
                kept = hunk.kept_lines(start, start + offset)
                mapped.extend(kept[line] for line in lines[before:done] if line in kept)
            offset += hunk.new_len - hunk.old_len
        mapped.extend(map(offset.__add__, lines[done:]))
        return mapped


@dataclass(frozen=True)
class CommitMessage:
    """The message of one commit a format-patch mail carried."""

    subject: str
    """Subject line, without the ``[PATCH n/m]`` prefix."""
    body: str
    """The rest of the message (may be empty)."""


# ---------------------------------------------------------------------------------------------
# Names


def quote_name(name: bytes) -> bytes:
    """``name`` as git writes it in a header: C-quoted when it holds anything but plain ASCII
    without spaces, quotes or backslashes (spaces are quoted too, so a header splits one way)."""
    if all(0x20 < b < 0x7F and b not in (ord('"'), ord("\\")) for b in name):
        return name
    out = bytearray(b'"')
    for byte in name:
        if byte in _ESCAPES:
            out += b"\\" + _ESCAPES[byte].encode()
        elif byte < 0x20 or byte >= 0x7F:
            out += b"\\%03o" % byte
        else:
            out.append(byte)
    return bytes(out + b'"')


def unquote_name(quoted: str) -> tuple[bytes, int]:
    """Undo git's C-quoting of a name that starts with '"': (the name's bytes, characters used).

    The escapes give bytes, not characters: ``\\303\\251`` is the two UTF-8 bytes of 'é'.
    Raises ValueError when the quoting is not closed or an escape is unknown.
    """
    assert quoted.startswith('"')
    out = bytearray()
    i = 1
    while i < len(quoted):
        char = quoted[i]
        if char == '"':
            return bytes(out), i + 1
        if char != "\\":
            out += char.encode("utf-8")
            i += 1
            continue
        if i + 1 >= len(quoted):
            break
        escape = quoted[i + 1]
        if escape in _UNESCAPES:
            out.append(_UNESCAPES[escape])
            i += 2
        elif quoted[i + 1 : i + 4].isdigit() and len(quoted[i + 1 : i + 4]) == 3:
            value = int(quoted[i + 1 : i + 4], 8)
            if value > 0xFF:
                raise ValueError(f"bad octal escape in {quoted!r}")
            out.append(value)
            i += 4
        else:
            raise ValueError(f"unknown escape \\{escape} in a quoted name")
    raise ValueError("a quoted name is not closed")


# ---------------------------------------------------------------------------------------------
# Rendering


def _side(prefix: bytes, path: str | None) -> bytes:
    return DEV_NULL.encode() if path is None else quote_name(prefix + path.encode("utf-8"))


def render(sections: Iterable[FileDiff]) -> bytes:
    """The canonical git diff of ``sections``, in order (what ``git apply`` is given)."""
    out = bytearray()
    for section in sections:
        out += _render_section(section)
    return bytes(out)


def _render_section(section: FileDiff) -> bytes:
    old, new = section.old_path, section.new_path
    if section.maybe_existing:
        # No git header: git decides, from the base, whether this creates the file or fills an
        # empty one (as it does for any traditional diff).
        out = bytearray(b"--- " + _side(b"a/", new) + b"\n+++ " + _side(b"b/", new) + b"\n")
        return bytes(out + _render_hunks(section.hunks))
    first, second = old if old is not None else new, new if new is not None else old
    out = bytearray(b"diff --git " + _side(b"a/", first) + b" " + _side(b"b/", second) + b"\n")
    status = section.status
    if status == "added":
        out += f"new file mode {section.new_mode or DEFAULT_MODE}\n".encode()
    elif status == "deleted":
        out += f"deleted file mode {section.old_mode or DEFAULT_MODE}\n".encode()
    elif section.old_mode and section.new_mode and section.old_mode != section.new_mode:
        out += f"old mode {section.old_mode}\nnew mode {section.new_mode}\n".encode()
    if status in ("renamed", "copied"):
        verb = "copy" if status == "copied" else "rename"
        out += f"{verb} from ".encode() + _side(b"", old) + b"\n"
        out += f"{verb} to ".encode() + _side(b"", new) + b"\n"
    if section.old_blob and section.new_blob:
        out += f"index {section.old_blob}..{section.new_blob}".encode()
        same_mode = section.old_mode == section.new_mode and status not in ("added", "deleted")
        if same_mode and section.new_mode:
            out += f" {section.new_mode}".encode()
        out += b"\n"
    if section.binary is not None:
        return bytes(out + section.binary)
    if section.hunks:
        out += b"--- " + _side(b"a/", old) + b"\n+++ " + _side(b"b/", new) + b"\n"
        out += _render_hunks(section.hunks)
    return bytes(out)


def _render_hunks(hunks: Iterable[Hunk]) -> bytes:
    out = bytearray()
    for hunk in hunks:
        out += f"@@ -{hunk.old_start},{hunk.old_len} +{hunk.new_start},{hunk.new_len} @@\n".encode()
        for line in hunk.lines:
            out += line.tag.encode() + line.text
            out += line.eol if line.eol else b"\n\\ No newline at end of file\n"
    return bytes(out)
