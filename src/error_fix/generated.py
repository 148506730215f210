"""Generated files: what git ignores in the user's checkout but the project's code needs.

A project installed from its checkout has files there that git does not track because the
install or a build wrote them: the ``_version.py`` of setuptools-scm or hatch-vcs, C or Cython
extensions built in place, compiled ``.mo`` catalogues, parser tables. A fresh worktree lacks
them, and every test importing the package would fail on both trees alike. So they are copied
into each worktree, by these rules:

- only files git *ignores* — never an untracked file git would show, never a modified tracked
  file: the checkout's uncommitted work must not reach a verdict — and only under the project's
  package directories (plus extension modules at the top of its package roots);
- never caches, bytecode, virtual environments, ``.git`` or ``.state``;
- copied, never linked: the project's code may write to them and must not write into the
  checkout;
- never over anything the tree already has (a file the patch adds keeps the patch's version),
  never a path the base commit tracks (a file the patch deletes stays deleted), never through a
  symlink;
- all or nothing under a size cap.
"""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from . import proc
from .layout import package_dirs, package_roots

NEVER = frozenset(
    {
        "__pycache__",
        ".pytest_cache",
        ".mypy_cache",
        ".ruff_cache",
        ".hypothesis",
        ".git",
        ".state",
        ".tox",
        ".nox",
        ".venv",
        "venv",
        "node_modules",
    }
)
"""Names of files and directories never carried, nor anything under them."""
NEVER_SUFFIXES = (".pyc", ".pyo")
"""Stale bytecode would keep a module the patch deletes importable."""
EXTENSION_SUFFIXES = (".so", ".pyd")
"""Extension modules: carried from the top of a package root too (``build_ext --inplace``)."""
SHOWN = 5
"""Names listed in the report; the rest are counted."""


@dataclass(frozen=True)
class GeneratedFiles:
    """The checkout's generated files, to be carried into each worktree."""

    checkout: Path
    """The user's checkout they are copied from."""
    paths: tuple[str, ...]
    """Repository-relative paths, sorted."""
    total_bytes: int
    """Their combined size."""
    refused: str | None = None
    """Why none is carried (over the size cap); None when they are."""

    def carry_into(self, tree: Path) -> list[str]:
        """Copy every file into ``tree``; return the paths the tree already had, left as they
        are (the patch's version of a file it adds)."""
        if self.refused is not None:
            return []
        return [path for path in self.paths if not _copy(self.checkout / path, tree, path)]

    def note(self, kept: Collection[str] = ()) -> str | None:
        """The report line: what was carried (count, size, the first few names), or why not."""
        if self.refused is not None:
            return self.refused
        if not self.paths:
            return None
        text = (
            f"carried {_files(len(self.paths))} ({_size(self.total_bytes)}) from the checkout "
            f"into each tree: {_first(self.paths)}"
        )
        if kept:
            text += f"; the patch's own version kept for {_first(sorted(kept))}"
        return text


def find_generated(checkout: Path, base_sha: str, max_bytes: int) -> GeneratedFiles:
    """The git-ignored files under the project's packages in ``checkout`` that may be carried
    into worktrees of ``base_sha``; none, with the reason, when they total over ``max_bytes``."""
    dirs = [_relative(checkout, path) for path in package_dirs(checkout)]
    modules = [
        _relative(checkout, path)
        for root in package_roots(checkout)
        for path in sorted(root.iterdir())
        if path.name.endswith(EXTENSION_SUFFIXES) and path.is_file()
    ]
    if not dirs and not modules:
        return GeneratedFiles(checkout, (), 0)
    # Literal pathspecs: git then walks only these directories, not a whole .venv beside them.
    specs = [f":(literal){path}" for path in (*dirs, *modules)]
    ignored = proc.git(
        checkout,
        "ls-files",
        "-z",
        "--others",
        "--ignored",
        "--exclude-standard",
        "--",
        *specs,
        raw_stdout=True,
    ).stdout_bytes
    listing = ("ls-tree", "-r", "-z", "--name-only", base_sha, "--", *dirs, *modules)
    tracked = proc.git(checkout, *listing, raw_stdout=True).stdout_bytes
    in_base = set(tracked.split(b"\0"))
    venvs: dict[Path, bool] = {}
    paths: list[str] = []
    total = 0
    for raw in sorted(set(ignored.split(b"\0")) - in_base - {b""}):
        try:
            path = raw.decode()
        except UnicodeDecodeError:
            continue  # not a name a report or a verdict can carry
        parts = PurePosixPath(path).parts
        if NEVER.intersection(parts) or path.endswith(NEVER_SUFFIXES):
            continue
        if _in_virtualenv(checkout, parts, venvs):
            continue
        try:
            info = os.lstat(checkout / path)
        except FileNotFoundError:
            continue  # removed since git listed it (a rebuild under way)
        if not stat.S_ISREG(info.st_mode):
            continue
        paths.append(path)
        total += info.st_size
    if total > max_bytes:
        refused = (
            f"carried none of the {_files(len(paths))} under the project's packages: "
            f"together {_size(total)}, over carry-max-bytes ({_size(max_bytes)}); raise it, or "
            "build them with setup-command"
        )
        return GeneratedFiles(checkout, tuple(paths), total, refused)
    return GeneratedFiles(checkout, tuple(paths), total)


def _relative(checkout: Path, path: Path) -> str:
    return path.relative_to(checkout).as_posix()


def _in_virtualenv(checkout: Path, parts: tuple[str, ...], seen: dict[Path, bool]) -> bool:
    """Whether a directory on the way to the file is a virtual environment (has pyvenv.cfg)."""
    directory = checkout
    for part in parts[:-1]:
        directory = directory / part
        if directory not in seen:
            seen[directory] = (directory / "pyvenv.cfg").is_file()
        if seen[directory]:
            return True
    return False


def _copy(source: Path, tree: Path, path: str) -> bool:
    """Copy ``source`` to ``tree/path``; False when the tree already has that path, or a
    directory on the way is a symlink or not a directory (nothing is written then)."""
    parent = tree
    for part in PurePosixPath(path).parts[:-1]:
        parent = parent / part
        if parent.is_symlink() or (parent.exists() and not parent.is_dir()):
            return False
    try:
        with source.open("rb") as src:
            mode = stat.S_IMODE(os.fstat(src.fileno()).st_mode)
            parent.mkdir(parents=True, exist_ok=True)
            # O_EXCL: never over an existing file, nor through a symlink planted at the path.
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
            fd = os.open(tree / path, flags, mode)
            with os.fdopen(fd, "wb") as dst:
                shutil.copyfileobj(src, dst)
    except FileExistsError:
        return False
    except FileNotFoundError:
        return True  # gone from the checkout since it was listed: nothing to carry
    return True


def _files(count: int) -> str:
    return f"{count} git-ignored file{'s' if count != 1 else ''}"


def _first(paths: Collection[str]) -> str:
    names = list(paths)
    shown = ", ".join(names[:SHOWN])
    return shown + (f" and {len(names) - SHOWN} more" if len(names) > SHOWN else "")


def _size(count: int) -> str:
    if count < 1024:
        return f"{count} bytes"
    if count < 1024 * 1024:
        return f"{count / 1024:.1f} KiB"
    return f"{count / (1024 * 1024):.1f} MiB"
