"""``git format-patch`` mails and series: each mail's commit message and the diff it carries.

A series (``--stdout``, or the files concatenated) is split at git's own mail separators; each
mail's body is split where git mailinfo splits it: the message, then from the first ``---``,
``diff -`` or ``Index:`` line on, the patch (diffstat and signature are text around the diff).
"""

from __future__ import annotations

import email.errors
import email.parser
import email.policy
import itertools
import re
from dataclasses import dataclass

from .model import CommitMessage, PatchRejected
from .text import check_text, split_lines

_GIT_MAIL_START = re.compile(rb"^From [0-9a-f]{40,64} Mon Sep 17 00:00:00 2001$", re.M)
_MAIL_HEADER = re.compile(rb"(?:From|Subject|Date): ")
_SUBJECT_PREFIX = re.compile(r"^\s*(\[[^\]]*\]\s*)+")
_COVER_LETTER = re.compile(r"^\s*\[[^\]]*\b0+/\d+\]")


@dataclass(frozen=True)
class Mail:
    """One mail of a format-patch series."""

    number: int
    """Its place in the series, from 1."""
    message: CommitMessage
    """The commit message it carries."""
    cover_letter: bool
    """A ``[PATCH 0/n]`` cover letter: text only."""
    diff: bytes
    """The body from where the patch starts."""
    diff_line: int
    """Line of the whole patch where ``diff`` starts (for reasons)."""


def is_mail(data: bytes) -> bool:
    """The patch is a mail or an mbox of them, not a bare diff."""
    first, _, rest = data.partition(b"\n")
    if _GIT_MAIL_START.match(first) or _MAIL_HEADER.match(first):
        return True
    # Any other mbox: a "From " line followed by mail headers.
    return first.startswith(b"From ") and re.match(rb"[A-Za-z-]+: ", rest) is not None


def read_mails(data: bytes) -> list[Mail]:
    """Every mail of the series, in order."""
    starts = [m.start() for m in _GIT_MAIL_START.finditer(data)]
    if not starts or starts[0] != 0:
        starts.insert(0, 0)
    bounds = [*starts, len(data)]
    return [
        _read_mail(data[a:b], number, data.count(b"\n", 0, a) + 1)
        for number, (a, b) in enumerate(itertools.pairwise(bounds), 1)
    ]


def _read_mail(mail: bytes, number: int, first_line: int) -> Mail:
    try:
        message = email.parser.BytesParser(policy=email.policy.default).parsebytes(mail)
        if message.is_multipart():
            raise PatchRejected(f"mail {number} has attachments; give the patch file itself")
        subject = " ".join(str(message.get("Subject", "") or "").split())
        payload = message.get_payload(decode=True)
    except (email.errors.MessageError, ValueError, LookupError, TypeError) as exc:
        raise PatchRejected(f"mail {number} cannot be read: {exc}") from None
    body = payload if isinstance(payload, bytes) else b""
    check_text(body, f"mail {number}")
    headers_end = re.search(rb"\n\r?\n", mail)
    body_line = mail.count(b"\n", 0, headers_end.end()) if headers_end else 0
    lines = split_lines(body)
    start = next((i for i, line in enumerate(lines) if _starts_patch(line)), len(lines))
    text = b"".join(lines[:start]).decode("utf-8").strip()
    return Mail(
        number=number,
        message=CommitMessage(_SUBJECT_PREFIX.sub("", subject).strip(), text),
        cover_letter=_COVER_LETTER.match(subject) is not None,
        diff=b"".join(lines[start:]),
        diff_line=first_line + body_line + start,
    )


def _starts_patch(line: bytes) -> bool:
    """Where a commit message ends, as git mailinfo sees it."""
    head = line.rstrip(b"\r\n")
    return head == b"---" or head.startswith((b"--- ", b"diff -", b"Index: "))
