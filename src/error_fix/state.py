"""The on-disk state directory (decision log, local queue, event and alert logs).

It lives in the repository (``.state/`` by default) but ignores itself through its own
``.gitignore``, so ``git status`` of the user's checkout stays as it was.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def ensure_dir(path: Path) -> Path:
    """Create ``path`` if missing; the top-most directory created gets a ``.gitignore`` of ``*``."""
    if path.is_dir():
        return path
    top = path
    while not top.parent.exists():
        top = top.parent
    path.mkdir(parents=True, exist_ok=True)
    ignore = top / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# written by error-fix: this directory is local state\n*\n")
    return path


def append_jsonl(path: Path, record: dict[str, Any]) -> None:
    """Append one JSON line: a single write under an exclusive lock, so lines never interleave."""
    ensure_dir(path.parent)
    line = (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        written = 0
        while written < len(line):
            written += os.write(fd, line[written:])
    finally:
        os.close(fd)  # closing releases the lock


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Every complete JSON object line in ``path`` (a torn or foreign line is skipped)."""
    records: list[dict[str, Any]] = []
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return records
    for line in text.splitlines():
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict):
            records.append(value)
    return records


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock beside ``path`` (for read-modify-write of a JSON file)."""
    ensure_dir(path.parent)
    fd = os.open(f"{path}.lock", os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def write_json_atomic(path: Path, data: Any) -> None:
    """Replace ``path`` with ``data`` in one rename, so a reader never sees half a file."""
    ensure_dir(path.parent)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)
