from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

from error_fix.state import append_jsonl, ensure_dir, read_jsonl


def _writer(path: str, worker: int) -> None:
    for i in range(200):
        append_jsonl(Path(path), {"worker": worker, "i": i, "pad": "x" * 5000})


def test_concurrent_appends_never_tear_a_line(tmp_path: Path) -> None:
    log = tmp_path / "state" / "log.jsonl"
    workers = [multiprocessing.Process(target=_writer, args=(str(log), w)) for w in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    lines = log.read_text().splitlines()
    assert len(lines) == 800
    records = [json.loads(line) for line in lines]
    assert sorted((r["worker"], r["i"]) for r in records) == [
        (w, i) for w in range(4) for i in range(200)
    ]


def test_state_dir_ignores_itself_even_when_created_from_a_subdirectory(tmp_path: Path) -> None:
    ensure_dir(tmp_path / ".state" / "cache" / "mypy")
    assert (tmp_path / ".state" / ".gitignore").read_text().splitlines()[-1] == "*"
    assert (tmp_path / ".state" / "cache" / "mypy").is_dir()


def test_read_skips_a_torn_line(tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    log.write_text('{"a": 1}\n{"b": \n')
    assert read_jsonl(log) == [{"a": 1}]
    assert read_jsonl(tmp_path / "missing.jsonl") == []
