"""Read every form of patch a user's tools write into the model of diff_model.py, and check it.

Forms: git diffs with any prefix (``a/ b/``, ``i/ w/``, ``--no-prefix``, ``--src-prefix``),
``diff -u`` / ``diff -ruN`` with or without timestamps, svn's ``Index:`` diffs, ``git
format-patch`` mails and series (patch_mail.py), Markdown fences or other text around the diff,
in any encoding and line endings patch_text.py reads.

Checked: hunk bodies match their headers' counts exactly (a miscounted hunk would be applied
shorter than written), numbers are sane, hunks are in order, the text is UTF-8 without NUL bytes,
names decode as UTF-8 after git's quoting is undone as bytes. Anything else is a PatchRejected
naming the line.
"""

from __future__ import annotations

import collections
import datetime
import re
from dataclasses import dataclass, replace

from .mail import is_mail, read_mails
from .model import DEV_NULL, CommitMessage, FileDiff, Hunk, HunkLine, PatchRejected
from .model import unquote_name as _unquote
from .paths import check_raw_name
from .text import decode_patch, split_lines, undo_crlf_transport

MAX_LINE_NUMBER = 10_000_000
"""Larger line numbers in a hunk header are absurd, not a real file."""
MAX_SECTIONS_PER_FILE = 64
"""A series touching one file more often is not one fix (and composing it costs quadratic time)."""

_HUNK_HEADER = re.compile(r"@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@(?: .*)?")
_INDEX = re.compile(r"index ([0-9a-f]{4,64})\.\.([0-9a-f]{4,64})(?: ([0-7]{6}))?")
_MODE_LINE = re.compile(r"(old mode|new mode|deleted file mode|new file mode) ([0-7]{5,6})")
_MOVE_LINE = re.compile(r"(rename|copy) (from|to|old|new) (.+)")
_SCORE_LINE = re.compile(r"(?:dis)?similarity index \d{1,3}%")
_STAMP_SPACED = re.compile(
    r"(.*?)[ \t]+(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?(?: [+-]\d{4})?"
    r"|\((?:revision \d+|working copy|nonexistent)\))"
)
_MOVED_FROM, _MOVED_TO = "a/", "b/"  # the prefixes ---/+++ lines of a moved file must then use
_ISO_STAMP = re.compile(
    r"(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.\d+)?(?: ([+-])(\d\d)(\d\d))?"
)


@dataclass(frozen=True)
class ReadPatch:
    """A patch read into the model and checked."""

    sections: tuple[FileDiff, ...]
    """Every file section, in patch order (a series: commit by commit)."""
    commits: tuple[CommitMessage, ...]
    """The commit messages of a format-patch mail or series; empty for a plain diff."""
    crlf_transport: bool
    """Every line ended in CRLF: one CR per line was added on the way and has been removed, so
    the hunks' own line endings are unknown (each file keeps those of its base)."""
    unidiff_zero: bool
    """The hunks carry no context (``diff -U0``): placed by their line numbers, as
    ``git apply --unidiff-zero`` places them."""
    notes: tuple[str, ...]
    """How the patch was read, when that is worth telling."""


def read_diff(raw: bytes) -> ReadPatch:
    """Read and check ``raw``; raise PatchRejected with a one-line reason."""
    notes: list[str] = []
    data, crlf = undo_crlf_transport(decode_patch(raw, notes))
    if crlf:
        notes.append("the patch's CRLF line endings were removed; files keep their own")
    sections: list[FileDiff] = []
    commits: list[CommitMessage] = []
    if is_mail(data):
        for mail in read_mails(data):
            found = _DiffReader(mail.diff, mail.diff_line, in_mail=True).read()
            if found:
                sections.extend(found)
                commits.append(mail.message)
            elif mail.cover_letter:
                notes.append(f"mail {mail.number} is a cover letter; its text is not kept")
            else:
                subject = mail.message.subject
                raise PatchRejected(f"mail {mail.number} ({subject!r}) holds no diff")
        if len(commits) > 1:
            notes.append(f"a series of {len(commits)} commits, applied in order as one change")
    else:
        sections = _DiffReader(data, 1, in_mail=False).read()
    if not sections:
        raise PatchRejected("malformed patch: no file changes found")
    touched = collections.Counter(s.path for s in sections)
    path, times = touched.most_common(1)[0]
    if times > MAX_SECTIONS_PER_FILE:
        raise PatchRejected(
            f"{path}: changed by {times} sections of the patch (at most {MAX_SECTIONS_PER_FILE})"
        )
    unidiff_zero = _zero_context(sections)
    if unidiff_zero:
        notes.append("hunks without context (-U0) are placed by their line numbers")
    return ReadPatch(tuple(sections), tuple(commits), crlf, unidiff_zero, tuple(notes))


def _head(line: bytes) -> str:
    """A header line as text, without its line ending (the text is known to be UTF-8)."""
    return line.rstrip(b"\n").rstrip(b"\r").decode("utf-8")


# ---------------------------------------------------------------------------------------------
# Diff sections


class _DiffReader:
    """One pass over the lines of a diff; text outside file sections is skipped, as git does."""

    def __init__(self, data: bytes, first_line: int, *, in_mail: bool) -> None:
        self.lines = split_lines(data)
        self.first_line = first_line
        self.in_mail = in_mail
        self.i = 0
        self.sections: list[FileDiff] = []

    def where(self, index: int | None = None) -> str:
        return f"line {self.first_line + (self.i if index is None else index)}"

    def _malformed(self, index: int | None, message: str) -> PatchRejected:
        return PatchRejected(f"malformed patch: {self.where(index)}: {message}")

    def head(self, index: int) -> str:
        return _head(self.lines[index]) if index < len(self.lines) else ""

    def read(self) -> list[FileDiff]:
        while self.i < len(self.lines):
            head = self.head(self.i)
            if head.startswith("diff --git "):
                self.sections.append(self._git_section())
            elif head.startswith(("diff --cc ", "diff --combined ", "@@@ ")):
                raise PatchRejected(f"{self.where()}: combined (merge) diffs are not supported")
            elif head.startswith("Index: ") and self.head(self.i + 1).startswith("===="):
                self.sections.append(self._svn_section(head[len("Index: ") :]))
            elif head.startswith("Property changes on: "):
                raise PatchRejected(f"{self.where()}: svn property changes are not supported")
            elif head.startswith("--- ") and self.head(self.i + 1).startswith("+++ "):
                self.sections.append(self._plain_section(None))
            elif head.startswith("*** ") and self.head(self.i + 1).startswith("--- "):
                raise PatchRejected(f"{self.where()}: context diffs are not supported (diff -u)")
            elif head.startswith("@@ "):
                raise self._malformed(None, "a hunk without a file header")
            elif head.startswith("Binary files ") and head.endswith(" differ"):
                raise PatchRejected(
                    f"{self.where()}: a binary change without its data "
                    "(git diff --binary writes one that can be applied)"
                )
            else:
                self.i += 1
        return self.sections

    # -- svn and plain diffs -------------------------------------------------------------------

    def _svn_section(self, index_name: str) -> FileDiff:
        start = self.i
        self.i += 2
        head = self.head(self.i)
        if head.startswith("diff --git "):
            return self._git_section()
        if head.startswith("--- ") and self.head(self.i + 1).startswith("+++ "):
            return self._plain_section(self._name(index_name, start))
        raise PatchRejected(
            f"{self.where(start)}: the svn entry for {index_name!r} holds no unified diff "
            "(a binary or property change is not supported)"
        )

    def _plain_section(self, index_name: str | None) -> FileDiff:
        start = self.i
        old_name, old_stamp = self._header_name(self.head(start)[4:], start)
        new_name, new_stamp = self._header_name(self.head(start + 1)[4:], start + 1)
        self.i += 2
        hunks = self._hunks()
        if not hunks:
            raise self._malformed(start, "a file header without hunks")
        old_gone = old_name == DEV_NULL or _says_missing(old_stamp)
        new_gone = new_name == DEV_NULL or _says_missing(new_stamp)
        if old_gone and new_gone:
            raise self._malformed(start, "neither side of the diff names a file")
        path = self._plain_path(old_name, new_name, old_gone, new_gone, index_name, start)
        if old_gone:
            return self._checked(FileDiff(None, path, hunks=hunks, at_line=start))
        if new_gone:
            return self._checked(FileDiff(path, None, hunks=hunks, at_line=start))
        only = hunks[0]
        if len(hunks) == 1 and only.old_start == 0 and only.old_len == 0:
            section = FileDiff(None, path, hunks=hunks, maybe_existing=True, at_line=start)
            return self._checked(section)
        return self._checked(FileDiff(path, path, hunks=hunks, at_line=start))

    def _plain_path(
        self,
        old: str,
        new: str,
        old_gone: bool,
        new_gone: bool,
        index_name: str | None,
        start: int,
    ) -> str:
        """The repository path a traditional diff names: svn's ``Index:`` name; the one name both
        sides share; or both names less a first component that differs (``a/`` ``b/``)."""
        named = [name for name, gone in ((old, old_gone), (new, new_gone)) if not gone]
        for name in named:
            check_raw_name(name)
        if index_name is not None:
            check_raw_name(index_name)
            if any(name not in (index_name, _strip_one(name)) for name in named):
                raise self._malformed(
                    start, f"'Index: {index_name}' and the diff name different files"
                )
            return index_name
        if len(named) == 1:
            # Against /dev/null only the conventional a/ and b/ are taken for prefixes.
            name = named[0]
            stripped = _strip_one(name)
            return stripped if stripped and name.split("/")[0] in ("a", "b") else name
        if old == new:
            return old
        if _strip_one(old) and _strip_one(old) == _strip_one(new):
            return _strip_one(old)
        raise self._malformed(
            start, f"the two sides name different files ({old!r}, {new!r}); which is patched?"
        )

    def _header_name(self, rest: str, index: int) -> tuple[str, str]:
        """(name, timestamp or svn revision note) from the rest of a ---/+++ line."""
        if rest.startswith('"'):
            name_bytes, used = self._unquote(rest, index)
            return self._decoded(name_bytes, index), rest[used:].strip()
        if "\t" in rest:
            name, stamp = rest.split("\t", 1)
            return self._name(name, index), stamp.strip()
        spaced = _STAMP_SPACED.fullmatch(rest)
        if spaced:
            return self._name(spaced.group(1), index), spaced.group(2)
        return self._name(rest.rstrip(), index), ""

    def _name(self, name: str, index: int) -> str:
        if not name:
            raise self._malformed(index, "a file name is empty")
        return name

    def _unquote(self, text: str, index: int) -> tuple[bytes, int]:
        try:
            return _unquote(text)
        except ValueError as exc:
            raise self._malformed(index, f"{exc}") from None

    def _decoded(self, name: bytes, index: int) -> str:
        try:
            return self._name(name.decode("utf-8"), index)
        except UnicodeDecodeError:
            raise self._malformed(index, "a file name is not UTF-8") from None

    # -- git diffs -----------------------------------------------------------------------------

    def _git_section(self) -> FileDiff:
        start = self.i
        header = self.head(start)[len("diff --git ") :]
        self.i += 1
        modes: dict[str, str] = {}
        moves: dict[str, str] = {}
        blobs: tuple[str, str] | None = None
        index_mode: str | None = None
        while self.i < len(self.lines):
            head = self.head(self.i)
            if mode := _MODE_LINE.fullmatch(head):
                modes[mode.group(1)] = mode.group(2)
            elif move := _MOVE_LINE.fullmatch(head):
                kind = "copy" if move.group(1) == "copy" else "rename"
                side = "from" if move.group(2) in ("from", "old") else "to"
                moves[f"{kind} {side}"] = self._git_name(move.group(3), self.i)
            elif index := _INDEX.fullmatch(head):
                blobs = (index.group(1), index.group(2))
                index_mode = index.group(3)
            elif not _SCORE_LINE.fullmatch(head):
                break
            self.i += 1
        minus = plus = None
        hunks: tuple[Hunk, ...] = ()
        binary: bytes | None = None
        head = self.head(self.i)
        if head.startswith("--- ") and self.head(self.i + 1).startswith("+++ "):
            minus = self._header_name(head[4:], self.i)[0]
            plus = self._header_name(self.head(self.i + 1)[4:], self.i + 1)[0]
            self.i += 2
            hunks = self._hunks()
            if not hunks:
                raise self._malformed(start, "a file header without hunks")
        elif head == "GIT binary patch":
            binary = self._binary()
        elif head.startswith("Binary files ") and head.endswith(" differ"):
            binary = head.encode("utf-8") + b"\n"
            self.i += 1
        old, new = self._git_paths(header, moves, minus, plus, start)
        added, deleted = "new file mode" in modes, "deleted file mode" in modes
        if added and deleted:
            raise self._malformed(start, "a file both created and deleted")
        if (added or deleted) and moves:
            raise self._malformed(start, "a created or deleted file cannot move")
        old_mode = modes.get("deleted file mode") or modes.get("old mode") or index_mode
        new_mode = modes.get("new file mode") or modes.get("new mode") or index_mode
        section = FileDiff(
            old_path=None if added else old,
            new_path=None if deleted else new,
            copied="copy from" in moves,
            old_mode=None if added else old_mode,
            new_mode=None if deleted else new_mode,
            old_blob=blobs[0] if blobs else None,
            new_blob=blobs[1] if blobs else None,
            hunks=hunks,
            binary=binary,
            at_line=start,
        )
        changes_mode = bool(old_mode and new_mode and old_mode != new_mode)
        if not (hunks or binary is not None or added or deleted or moves or changes_mode):
            raise self._malformed(start, f"{old!r} is named but nothing changes")
        return self._checked(section)

    def _git_name(self, text: str, index: int) -> str:
        if text.startswith('"'):
            name, used = self._unquote(text, index)
            if text[used:].strip():
                raise self._malformed(index, "text after a quoted file name")
            return self._decoded(name, index)
        return self._name(text, index)

    def _git_paths(
        self,
        header: str,
        moves: dict[str, str],
        minus: str | None,
        plus: str | None,
        start: int,
    ) -> tuple[str, str]:
        """(old, new) repository paths of a git section, prefixes removed, every name the section
        shows agreeing with them (git's own rule: inconsistent names are an error)."""
        shown = [n for n in (minus, plus) if n is not None and n != DEV_NULL]
        for name in (*shown, *moves.values()):
            _check_prefixed(name)
        kind = "copy" if "copy from" in moves or "copy to" in moves else "rename"
        if moves and (f"{kind} from" not in moves or f"{kind} to" not in moves):
            raise self._malformed(start, f"{kind} without both names")
        moved = (moves[f"{kind} from"], moves[f"{kind} to"]) if moves else None
        pairs = self._header_pairs(header, start, moved)
        if moved is not None:
            # As for git, the rename or copy lines name the files; the header only must agree.
            old, new = moved
            fitting = [
                (left, right)
                for left, right in pairs
                if _prefix_of(left, old) is not None and _prefix_of(right, new) is not None
            ]
            left, right = fitting[0] if fitting else (_MOVED_FROM + old, _MOVED_TO + new)
        else:
            named = [(left, right) for left, right in pairs if _same_file(left, right)]
            if minus is not None and plus is not None:
                named = [p for p in named if minus in (p[0], DEV_NULL) and plus in (p[1], DEV_NULL)]
            if len({_unprefixed(left, right) for left, right in named}) != 1:
                for token in header.split(" "):
                    _check_prefixed(token)  # the better reason, when there is one
                raise self._malformed(start, f"cannot tell the file from {header!r}")
            left, right = named[0]
            old = new = _unprefixed(left, right)
        _check_prefixed(left)
        _check_prefixed(right)
        for side, full in ((minus, left), (plus, right)):
            if side is not None and side not in (full, DEV_NULL):
                raise self._malformed(start, f"inconsistent file names ({side!r}, {full!r})")
        return old, new

    def _header_pairs(
        self, header: str, start: int, moved: tuple[str, str] | None
    ) -> list[tuple[str, str]]:
        """The readings of ``diff --git <old> <new>`` as two names that fit: one, unless unquoted
        names hold spaces."""
        if header.startswith('"'):
            first, used = self._unquote(header, start)
            rest = header[used:]
            if not rest.startswith(" ") or not rest[1:]:
                raise self._malformed(start, "malformed 'diff --git' line")
            return [(self._decoded(first, start), self._git_name(rest[1:], start))]
        if ' "' in header:
            left, right = header.split(' "', 1)
            return [(self._name(left, start), self._git_name('"' + right, start))]
        return [(header[:k], header[k + 1 :]) for k in sorted(_splits(header, moved))]

    def _binary(self) -> bytes:
        start = self.i
        self.i += 1
        for block in range(2):
            if not re.fullmatch(r"(?:literal|delta) \d+", self.head(self.i)):
                if block == 0:
                    raise self._malformed(start, "malformed binary patch")
                break
            self.i += 1
            while self.i < len(self.lines) and self.head(self.i):
                self.i += 1
            self.i += 1
        return b"".join(_head(line).encode() + b"\n" for line in self.lines[start : self.i])

    # -- hunks ---------------------------------------------------------------------------------

    def _hunks(self) -> tuple[Hunk, ...]:
        hunks: list[Hunk] = []
        while self.head(self.i).startswith("@@ "):
            hunks.append(self._hunk())
        if self.i < len(self.lines) and hunks:
            line = self.lines[self.i]
            head = self.head(self.i)
            signature = self.in_mail and head in ("-- ", "--")
            header = head.startswith("--- ") and self.head(self.i + 1).startswith("+++ ")
            if line[:1] in (b"+", b"-", b" ") and not (signature or header):
                raise self._malformed(None, "the hunk above has more lines than its header says")
        return tuple(hunks)

    def _hunk(self) -> Hunk:
        start = self.i
        match = _HUNK_HEADER.fullmatch(self.head(start))
        if not match:
            raise self._malformed(None, "malformed hunk header")
        numbers = []
        for group, default in zip(match.groups(), ("", "1", "", "1"), strict=True):
            digits = group if group is not None else default
            if len(digits) > 9 or int(digits) > MAX_LINE_NUMBER:
                raise self._malformed(None, f"absurd line number {digits[:30]} in a hunk")
            numbers.append(int(digits))
        old_start, old_len, new_start, new_len = numbers
        if old_len == 0 and new_len == 0:
            raise self._malformed(None, "an empty hunk")
        if (old_len and not old_start) or (new_len and not new_start):
            raise self._malformed(None, "a hunk starting at line 0")
        self.i += 1
        old_left, new_left = old_len, new_len
        body: list[HunkLine] = []
        while old_left > 0 or new_left > 0:
            if self.i >= len(self.lines):
                raise self._malformed(
                    start, f"the hunk is cut short ({old_left} old, {new_left} new lines missing)"
                )
            line = self.lines[self.i]
            eol = b"\r\n" if line.endswith(b"\r\n") else b"\n" if line.endswith(b"\n") else b""
            if line in (b"\n", b"\r\n"):
                tag, text = " ", b""  # an empty context line whose space an editor dropped
            elif line[:1] in (b" ", b"-", b"+"):
                tag, text = chr(line[0]), line[1 : len(line) - len(eol)]
            elif line[:1] == b"\\" and body:
                body[-1] = _without_newline(body[-1])
                self.i += 1
                continue
            else:
                raise self._malformed(
                    start,
                    f"the hunk ends early at {self.where()} "
                    f"({old_left} old, {new_left} new lines missing)",
                )
            old_left -= tag != "+"
            new_left -= tag != "-"
            if old_left < 0 or new_left < 0:
                raise self._malformed(start, "the hunk has more lines than its header says")
            if not eol:  # the patch file lost its final newline, not the patched file
                eol = body[-1].eol if body and body[-1].eol else b"\n"
            body.append(HunkLine(tag, text, eol))
            self.i += 1
        if self.i < len(self.lines) and self.lines[self.i][:1] == b"\\":
            body[-1] = _without_newline(body[-1])
            self.i += 1
        return Hunk(old_start, old_len, new_start, new_len, tuple(body), self.first_line + start)

    # -- checks --------------------------------------------------------------------------------

    def _checked(self, section: FileDiff) -> FileDiff:
        hunks = section.hunks
        if section.status in ("added", "deleted") and not section.maybe_existing and hunks:
            side = "old" if section.status == "added" else "new"
            empty = [h for h in hunks if (h.old_len if side == "old" else h.new_len) == 0]
            if len(hunks) != 1 or len(empty) != 1:
                raise self._malformed(
                    section.at_line, f"{section.path!r} is {section.status}, its hunks are not"
                )
        end = 0
        for hunk in hunks:
            first = hunk.old_start if hunk.old_len else hunk.old_start + 1
            if first < end:
                raise PatchRejected(
                    f"malformed patch: line {hunk.at_line}: hunks out of order or overlapping"
                )
            end = first + hunk.old_len
        return replace(section, at_line=self.first_line + section.at_line)


def _without_newline(line: HunkLine) -> HunkLine:
    """``\\ No newline at end of file``: the line's ending belonged to the diff, except a CR."""
    return HunkLine(line.tag, line.text + line.eol[:-1], b"")


def _splits(header: str, moved: tuple[str, str] | None) -> set[int]:
    """Where an unquoted ``<old> <new>`` header can split: names of a moved file, each after a
    prefix of at most one component; else one name twice, bare or each after its own prefix.

    One pass, no trial of every space: a line of spaces must not cost quadratic time."""
    size = len(header)
    first = header.find("/")
    splits: set[int] = set()
    if moved is not None:
        for prefix in {0, first + 1}:
            split = prefix + len(moved[0])
            if split < size and header[split] == " ":
                splits.add(split)
        return splits
    middle = size // 2
    if size % 2 and header[middle] == " " and header[:middle] == header[middle + 1 :]:
        splits.add(middle)
    if first == -1:
        return splits
    # left = header[: first + 1] + tail and right = component + "/" + tail, for one split.
    slash_after = -1
    for split in range(size - 1, first, -1):
        char = header[split]
        if char == " " and slash_after != -1:
            tail = split - first - 1
            same_length = tail > 0 and tail == size - slash_after - 1
            if same_length and header[first + 1 : split] == header[slash_after + 1 :]:
                splits.add(split)
        elif char == "/":
            slash_after = split
    return splits


def _check_prefixed(name: str) -> None:
    """check_raw_name for a name that may carry a prefix: ``a//etc/x`` is absolute too."""
    check_raw_name(name)
    if _strip_one(name).startswith("/"):
        check_raw_name(_strip_one(name))


def _strip_one(name: str) -> str:
    """``name`` without its first component ('' when it has only one)."""
    return name.split("/", 1)[1] if "/" in name else ""


def _prefix_of(full: str, path: str) -> str | None:
    """The prefix ('' or one component and '/') that makes ``full`` of ``path``, if any."""
    if full == path:
        return ""
    if full.endswith("/" + path) and "/" not in full[: -len(path) - 1]:
        return full[: -len(path)]
    return None


def _same_file(left: str, right: str) -> bool:
    """Both names of an unmoved file: equal (no prefix), or equal past differing prefixes."""
    if left == right:
        return True
    tail = _strip_one(left)
    return bool(tail) and tail == _strip_one(right) and left.split("/")[0] != right.split("/")[0]


def _unprefixed(left: str, right: str) -> str:
    return left if left == right else _strip_one(left)


def _says_missing(stamp: str) -> bool:
    """The timestamp or svn note says that side does not exist (``diff -N``'s epoch)."""
    if stamp in ("(nonexistent)", "(revision 0)"):
        return True
    match = _ISO_STAMP.fullmatch(stamp)
    if not match:
        return False
    year, month, day, hour, minute, second, sign, tz_h, tz_m = match.groups()
    offset = datetime.timedelta(hours=int(tz_h or 0), minutes=int(tz_m or 0))
    try:
        moment = datetime.datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second),
            tzinfo=datetime.timezone(-offset if sign == "-" else offset),
        )
    except ValueError:
        return False
    return moment.timestamp() == 0


def _zero_context(sections: list[FileDiff]) -> bool:
    """True for a -U0 patch (no modified file's hunk has context). A context-less hunk inside a
    file among hunks with context is refused: git would anchor it at the end of the file."""
    hunks = [h for s in sections if s.status not in ("added", "deleted") for h in s.hunks]
    bare = [h for h in hunks if not h.has_context]
    if not bare:
        return False
    if len(bare) == len(hunks):
        return True
    for hunk in bare:
        if hunk.old_start > 1 or (hunk.old_len == 0 and hunk.old_start == 1):
            raise PatchRejected(
                f"line {hunk.at_line}: a hunk without context among hunks with context; "
                "write the whole patch with -U0 or with context"
            )
    return False
