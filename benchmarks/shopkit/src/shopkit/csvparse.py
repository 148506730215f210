"""A small CSV reader/writer (quoted fields, doubled quotes)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def parse_line(line: str, sep: str = ",") -> list[str]:
    fields: list[str] = []
    buf: list[str] = []
    quoted = False
    i = 0
    while i < len(line):
        ch = line[i]
        if quoted:
            if ch == '"':
                if i + 1 < len(line) and line[i + 1] == '"':
                    buf.append('"')
                    i += 1
                else:
                    quoted = False
            else:
                buf.append(ch)
        elif ch == '"':
            quoted = True
        elif ch == sep:
            fields.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
        i += 1
    if quoted:
        raise ValueError("unterminated quote")
    fields.append("".join(buf))
    return fields


def parse(text: str, sep: str = ",") -> list[dict[str, str]]:
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return []
    header = parse_line(lines[0], sep)
    rows = []
    for number, line in enumerate(lines[1:], start=2):
        values = parse_line(line, sep)
        if len(values) != len(header):
            raise ValueError(f"line {number}: {len(values)} fields, expected {len(header)}")
        rows.append(dict(zip(header, values, strict=True)))
    return rows


def quote(value: str, sep: str = ",") -> str:
    if any(ch in value for ch in (sep, '"', "\n")):
        return '"' + value.replace('"', '""') + '"'
    return value


def dump(rows: Sequence[Mapping[str, str]], header: Sequence[str], sep: str = ",") -> str:
    out = [sep.join(quote(h, sep) for h in header)]
    for row in rows:
        out.append(sep.join(quote(row[h], sep) for h in header))
    return "\n".join(out) + "\n"
