"""The patch as text, before any diff is read from it: its encoding, its line endings, its lines.

A patch is read as UTF-8. A byte-order mark says otherwise (UTF-16/32, e.g. PowerShell's ``>``)
and is honoured; NUL bytes and bytes that are not UTF-8 (a Latin-1 patch) are refused, naming the
line. A patch whose every line ends in CRLF got those on the way; one CR per line is removed.
"""

from __future__ import annotations

import codecs

from .model import PatchRejected

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8-sig", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"),
)


def decode_patch(raw: bytes, notes: list[str]) -> bytes:
    """The patch as UTF-8 bytes: a byte-order mark read and dropped, NUL and non-UTF-8 refused."""
    data = raw
    for bom, codec, name in _BOMS:
        if raw.startswith(bom):
            if name != "UTF-8":
                try:
                    data = raw.decode(codec).encode("utf-8")
                except UnicodeError:
                    raise PatchRejected(
                        f"the patch starts with a {name} byte-order mark but is not valid {name}"
                    ) from None
                notes.append(f"the patch was {name} text; read as UTF-8")
            else:
                data = raw[len(bom) :]
            break
    check_text(data, "the patch")
    return data


def check_text(data: bytes, what: str) -> None:
    """Refuse NUL bytes and anything that is not UTF-8, naming the line."""
    nul = data.find(b"\0")
    if nul != -1:
        line = data.count(b"\n", 0, nul) + 1
        hint = " (UTF-16 without a byte-order mark?)" if data.count(b"\0") * 4 > len(data) else ""
        raise PatchRejected(f"{what} has a NUL byte on line {line}{hint}")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise PatchRejected(
            f"{what} is not UTF-8 text: byte 0x{data[exc.start]:02X} on line {line}"
        ) from None


def undo_crlf_transport(data: bytes) -> tuple[bytes, bool]:
    """(data, True) with one CR per line removed when every line ends in CRLF; else unchanged.

    Such a patch cannot say what its own lines' endings were: the caller lets each file keep
    the endings it has (see patch_apply.py). A CRLF line of a patch whose headers end in LF is
    the file's own ending and stays."""
    lines = split_lines(data)
    ended = [line for line in lines if line.endswith(b"\n")]
    if not ended or not all(line.endswith(b"\r\n") for line in ended):
        return data, False
    return data.replace(b"\r\n", b"\n"), True


def split_lines(data: bytes) -> list[bytes]:
    """Lines with their endings; split on LF only (a lone CR is part of a line's content)."""
    lines = [line + b"\n" for line in data.split(b"\n")]
    lines[-1] = lines[-1][:-1]
    if not lines[-1]:
        lines.pop()
    return lines
