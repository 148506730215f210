"""Sample projects for tests: real git repositories with real code and real pytest suites."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import site
import sqlite3
import subprocess
import sys
import textwrap
import venv
from pathlib import Path
from typing import Any

from error_fix.config import Settings
from error_fix.decision import PatchDecision, Verdict
from error_fix.patch import ErrorInfo, Patch, parse_patch
from error_fix.scorers.interface import Gate

IDENTITY = {
    "GIT_AUTHOR_NAME": "Test Maintainer",
    "GIT_AUTHOR_EMAIL": "maintainer@example.invalid",
    "GIT_COMMITTER_NAME": "Test Maintainer",
    "GIT_COMMITTER_EMAIL": "maintainer@example.invalid",
}

CALC = {
    "pyproject.toml": """
        [project]
        name = "calc"
        version = "0.1.0"

        [tool.pytest.ini_options]
        testpaths = ["tests"]
    """,
    "src/calc/__init__.py": '"""A tiny calculator."""\n',
    "src/calc/ops.py": '''
        """Arithmetic."""


        def add(a: int, b: int) -> int:
            return a + b


        def divide(a: float, b: float) -> float:
            return a / b
    ''',
    "tests/test_ops.py": """
        from calc.ops import add, divide


        def test_add() -> None:
            assert add(2, 3) == 5


        def test_divide() -> None:
            assert divide(6, 3) == 2
    """,
}
"""A src-layout project whose divide() raises ZeroDivisionError for b == 0."""

DIVIDE_FIX = {
    "src/calc/ops.py": '''
        """Arithmetic."""


        def add(a: int, b: int) -> int:
            return a + b


        def divide(a: float, b: float) -> float:
            if b == 0:
                return 0.0
            return a / b
    ''',
    "tests/test_ops.py": """
        from calc.ops import add, divide


        def test_add() -> None:
            assert add(2, 3) == 5


        def test_divide() -> None:
            assert divide(6, 3) == 2


        def test_divide_by_zero() -> None:
            assert divide(1, 0) == 0.0
    """,
}
"""A correct fix for CALC with a regression test."""


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def git(repo: Path, *args: str, input: bytes | None = None) -> str:
    env = {**os.environ, **IDENTITY}
    result = subprocess.run(
        ["git", "-C", str(repo), *args], env=env, input=input, capture_output=True, check=True
    )
    return result.stdout.decode()


class SampleRepo:
    """A git repository with one commit on ``main`` holding ``files``."""

    def __init__(self, path: Path, files: dict[str, str]) -> None:
        self.path = path
        path.mkdir(parents=True)
        git(path, "init", "--quiet", "--initial-branch=main")
        self.write(files)
        git(path, "add", "--all")
        git(path, "commit", "--quiet", "-m", "initial")

    def write(self, files: dict[str, str | None]) -> None:
        write_files(self.path, files)

    def commit(self, files: dict[str, str | None], message: str = "change") -> str:
        self.write(files)
        git(self.path, "add", "--all")
        git(self.path, "commit", "--quiet", "-m", message)
        return git(self.path, "rev-parse", "HEAD").strip()

    def diff(self, files: dict[str, str | None], *, force: bool = False) -> bytes:
        """The ``git diff`` that turns HEAD into HEAD + ``files``; the checkout is restored.
        ``force``: ``files`` that .gitignore names are in the diff too (the checkout's own
        copies of them are kept)."""
        kept = {n: (self.path / n).read_bytes() for n in files if (self.path / n).is_file()}
        self.write(files)
        git(self.path, "add", "--all")
        if force:
            git(self.path, "add", "--force", "--", *files)
        diff = subprocess.run(
            ["git", "-C", str(self.path), "diff", "--cached", "--binary", "HEAD"],
            capture_output=True,
            check=True,
        ).stdout
        git(self.path, "reset", "--quiet", "--hard", "HEAD")
        for name, content in kept.items():
            if not (self.path / name).exists():
                (self.path / name).write_bytes(content)
        return diff

    def patch_file(
        self,
        files: dict[str, str | None],
        where: Path,
        *,
        error: dict[str, Any] | None = None,
    ) -> Path:
        """Write the diff as ``where/fix.patch`` (+ error.json); return the artifact folder."""
        where.mkdir(parents=True, exist_ok=True)
        (where / "fix.patch").write_bytes(self.diff(files))
        if error is not None:
            (where / "error.json").write_text(json.dumps(error))
        return where

    def snapshot(self) -> dict[str, str]:
        """Everything a run must leave as it was: status, refs, stash, HEAD, worktrees."""
        return {
            "status": git(self.path, "status", "--porcelain", "--untracked-files=all"),
            "refs": git(self.path, "for-each-ref", "--format=%(refname) %(objectname)"),
            "stash": git(self.path, "stash", "list"),
            "head": git(self.path, "rev-parse", "HEAD"),
            "worktrees": git(self.path, "worktree", "list", "--porcelain"),
        }

    def branches(self) -> list[str]:
        return git(self.path, "branch", "--format=%(refname:short)").split()

    def show(self, ref: str, path: str) -> str:
        return git(self.path, "show", f"{ref}:{path}")


def venv_seeing_our_packages(env_dir: Path) -> Path:
    """A fresh virtualenv (no pip of its own) whose python also sees this environment's packages
    — pytest, pip, setuptools — through a .pth file, so nothing has to be downloaded. Returns its
    python."""
    venv.EnvBuilder(with_pip=False).create(env_dir)
    site_dir = next((env_dir / "lib").glob("python3*/site-packages"))
    (site_dir / "outer.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    return env_dir / "bin" / "python"


def process_alive(pid: int) -> bool:
    """The process exists and has not exited (a zombie has: only its table entry is left)."""
    status = Path(f"/proc/{pid}/status")
    try:
        return "State:\tZ" not in status.read_text()
    except FileNotFoundError:
        return False


def hanging_test(pid_file: Path) -> str:
    """A test module that starts a child process, appends the child's pid to ``pid_file`` and
    hangs: what a stuck suite looks like to error-fix."""
    return f"""
        import subprocess, sys, time

        def test_hangs() -> None:
            child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
            with open({str(pid_file)!r}, "a") as fh:
                fh.write(f"{{child.pid}}\\n")
            time.sleep(300)
    """


def settings(**changes: Any) -> Settings:
    """Settings for tests: this interpreter runs the sample suites, short timeouts; no re-runs of
    tests that changed status and no mutation stage unless a test is about them (the defaults
    users get; here they would multiply every decision's pytest sessions)."""
    base: dict[str, Any] = {
        "python": sys.executable,
        "test_timeout": 60.0,
        "jobs": 2,
        "reruns": 0,
        "mutation": "off",
    }
    base.update(changes)
    return Settings(**base)


def decide_by_tests(
    repo: SampleRepo, files: dict[str, str | None], where: Path, **changes: Any
) -> Verdict:
    """The verdict on the patch ``files`` when only the tests scorer weighs (the static scorers
    are switched off): its score alone decides, 1.0 → auto_merge."""
    from error_fix.pipeline import PatchApplier
    from error_fix.scorers.tests import TestsScorer

    static = frozenset({"lint", "types", "security", "coverage"})
    applier = PatchApplier(settings(disabled=static, **changes), scorers=[TestsScorer()])
    verdict = applier.score(repo.path, repo.patch_file(files, where)).verdict
    assert verdict.decision is not PatchDecision.REJECTED, verdict.reason
    return verdict


def make_patch(
    repo: SampleRepo, files: dict[str, str | None], error_id: str | None = None
) -> Patch:
    """A parsed patch turning the repository's HEAD into HEAD + ``files``."""
    return parse_patch(
        repo.diff(files),
        max_bytes=1 << 20,
        allow_binary=False,
        protected=(),
        error=ErrorInfo(id=error_id, title="ZeroDivisionError in divide") if error_id else None,
    )


def make_verdict(
    repo: SampleRepo,
    patch: Patch,
    decision: PatchDecision,
    base_ref: str | None = "main",
    created_at: str | None = None,
) -> Verdict:
    """A verdict as the pipeline would make it, without running scorers (for forge tests)."""
    gates = (
        (Gate("regression", "broke test_add"),) if decision is PatchDecision.MANUAL_REVIEW else ()
    )
    return Verdict(
        decision=decision,
        patch={"sha256": patch.sha256, "identity": patch.identity, "title": patch.title},
        base={"sha": git(repo.path, "rev-parse", "HEAD").strip(), "ref": base_ref},
        confidence={"overall": 0.97 if decision is PatchDecision.AUTO_MERGE else 0.5},
        gates=gates,
        reason="refused" if decision is PatchDecision.REJECTED else None,
        **({"created_at": created_at} if created_at else {}),
    )


def patch_and_trees(
    where: Path, base: dict[str, str], changes: dict[str, str | None]
) -> tuple[Patch, Path, Path]:
    """A repository of ``base`` files, the patch of ``changes`` to it, and a plain copy of the
    patched tree (no worktree, no git): what the pre-run checks of a patch read."""
    repo = SampleRepo(where / "base", base)
    patch = make_patch(repo, changes)
    patched = where / "patched"
    shutil.copytree(repo.path, patched, ignore=shutil.ignore_patterns(".git"))
    write_files(patched, changes)
    return patch, repo.path, patched


def write_files(root: Path, files: dict[str, str | None]) -> None:
    """Write each file (dedented) under ``root``; None deletes it."""
    for name, content in files.items():
        target = root / name
        if content is None:
            target.unlink()
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(dedent(content))


def mypy_cache_rows(cache: Path, module: str) -> dict[str, tuple[float, bytes]]:
    """mypy's cache entries for one module (``calc/ops``): name → (mtime, content), from the
    files older mypy writes or the SQLite shards newer mypy keeps them in."""
    found = {
        p.name: (p.stat().st_mtime, p.read_bytes())
        for p in sorted(cache.glob(f"*/{module}.*"))
        if p.is_file()
    }
    for shard in sorted(cache.glob("*/cache*.db")):
        with contextlib.closing(sqlite3.connect(shard)) as db:
            tables = db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
            for (table,) in tables:
                rows = db.execute(
                    f"SELECT path, mtime, data FROM {table} WHERE path LIKE ?", (f"{module}.%",)
                )
                found.update({str(path): (float(mtime), bytes(data)) for path, mtime, data in rows})
    return found
