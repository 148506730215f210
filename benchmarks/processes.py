"""Running things for the benchmarks: git with a fixed identity, timed commands, worktrees."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

GIT_IDENTITY = (
    "-c",
    "user.name=Bench Author",
    "-c",
    "user.email=bench@example.com",
    "-c",
    "commit.gpgsign=false",
)


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), *GIT_IDENTITY, *args], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout


@dataclass
class Timed:
    seconds: float
    returncode: int
    stdout: str
    stderr: str


def run(cmd: Sequence[str], cwd: Path, env: Mapping[str, str]) -> Timed:
    start = time.perf_counter()
    done = subprocess.run(
        list(cmd), cwd=cwd, env=dict(env), capture_output=True, text=True, check=False
    )
    return Timed(time.perf_counter() - start, done.returncode, done.stdout, done.stderr)


@contextmanager
def worktree(repo: Path, where: Path) -> Iterator[Path]:
    git(repo, "worktree", "add", "-q", "--detach", str(where), "HEAD")
    try:
        yield where
    finally:
        git(repo, "worktree", "remove", "--force", str(where))
