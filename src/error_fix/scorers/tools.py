"""Running error-fix's own static tools (ruff, mypy, bandit, pip-audit) on the trees.

Tools run as ``<tool-python> -m <module>``; ``tool-python`` defaults to error-fix's interpreter,
where they are installed as dependencies. A tool that cannot run, crashes or times out raises
ScorerUnknown with the reason: could not score is never a pass.

Per-file tools (ruff, bandit) find nothing in a file that depends on another file, so they look
only at the files the patch touches (``PerFileScope``): the rest is the same in both trees. A
patch that changes the tool's configuration can move findings anywhere: then the whole tree.
"""

from __future__ import annotations

import sys
import tomllib
from collections.abc import Callable, Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TypeVar

from .. import proc
from ..config import Settings
from ..timings import Timings
from .interface import ScorerUnknown, ScoringContext

T = TypeVar("T")

MAX_PER_FILE = 200
"""A patch touching more files than this is checked whole tree (a bounded command line)."""


def run_tool(
    ctx: ScoringContext,
    module: str,
    args: Sequence[str],
    cwd: Path,
    ok_codes: Sequence[int] = (0, 1),
    label: str | None = None,
) -> proc.ProcResult:
    """Run ``python -m module args`` in ``cwd``; ScorerUnknown unless it exits with ``ok_codes``.
    Its time is ``<module>:<label>`` in the timings (default: the tree's name)."""
    ctx.tools_may_start.wait()
    return run_module(ctx.settings, ctx.env, ctx.timings, module, args, cwd, ok_codes, label)


def run_module(
    settings: Settings,
    env: dict[str, str],
    timings: Timings,
    module: str,
    args: Sequence[str],
    cwd: Path,
    ok_codes: Sequence[int] = (0, 1),
    label: str | None = None,
) -> proc.ProcResult:
    """``run_tool`` outside a scoring run (warming mypy's cache before one)."""
    python = settings.tool_python or sys.executable
    try:
        result = proc.run(
            [python, "-m", module, *args],
            cwd=cwd,
            timeout=settings.tool_timeout,
            env=env,
            limited=True,
        )
    except proc.ToolNotFound:
        raise ScorerUnknown(f"{module} cannot run: interpreter {python} not found") from None
    timings.add(f"{module}:{label or cwd.name}", result.duration_s)
    if result.timed_out:
        raise ScorerUnknown(f"{module} timed out after {settings.tool_timeout:.0f}s")
    if f"No module named {module}" in result.stderr:
        raise ScorerUnknown(f"{module} is not installed for {python}")
    if result.returncode not in ok_codes:
        raise ScorerUnknown(
            f"{module} failed (exit {result.returncode}) on the {cwd.name} tree: {result.tail(3)}"
        )
    return result


def on_both_trees(ctx: ScoringContext, fn: Callable[[Path], T]) -> tuple[T, T]:
    """``(fn(base), fn(patched))``, run concurrently."""
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="trees") as pool:
        base = pool.submit(fn, ctx.base)
        patched = pool.submit(fn, ctx.patched)
        return base.result(), patched.result()


def relative(path: str, tree: Path) -> str:
    """``path`` (absolute or relative to ``tree``) as a tree-relative POSIX path."""
    candidate = Path(path)
    if candidate.is_absolute():
        for root in (tree, tree.resolve()):
            try:
                return candidate.relative_to(root).as_posix()
            except ValueError:
                continue
        try:
            return candidate.resolve().relative_to(tree.resolve()).as_posix()
        except ValueError:
            return candidate.as_posix()
    return Path(path).as_posix().removeprefix("./")


def added_lines(ctx: ScoringContext) -> dict[str, tuple[int, ...]]:
    """Path → lines the patch adds (for blaming the right copy of a finding)."""
    return {f.path: f.added_lines for f in ctx.patch.files}


@dataclass(frozen=True)
class PerFileScope:
    """What a per-file tool looks at in each tree."""

    files: tuple[str, ...] | None
    """Tree-relative files the patch touches (both names of a rename); None: the whole tree."""
    why_whole: str = ""
    """Why the whole tree is checked, when it is."""

    def present(self, tree: Path) -> list[str]:
        """The scope's files that exist in ``tree`` (an added file is not in the base)."""
        return [f for f in self.files or () if (tree / f).is_file()]

    def describe(self, tool: str) -> str:
        if self.files is None:
            return f"the whole tree ({self.why_whole})"
        return f"the {len(self.files)} file(s) the patch touches that {tool} reads"


def per_file_scope(
    ctx: ScoringContext, suffixes: Collection[str], configs: Collection[str], tool: str
) -> PerFileScope:
    """The files with one of ``suffixes`` the patch touches, or the whole tree when it changes
    the tool's configuration — a file named one of ``configs`` in any folder (a pyproject.toml
    only if its ``[tool.<tool>]`` table or ``requires-python`` changes) — or touches too many
    files."""
    paths: list[str] = []
    for change in ctx.patch.files:
        for path in dict.fromkeys(p for p in (change.old_path, change.path) if p):
            name = PurePosixPath(path).name
            if name in configs and (
                name != "pyproject.toml" or _tool_table_changed(ctx, path, tool)
            ):
                return PerFileScope(None, f"the patch changes {tool}'s configuration in {path}")
            if PurePosixPath(path).suffix in suffixes:
                paths.append(path)
    if len(paths) > MAX_PER_FILE:
        return PerFileScope(None, f"the patch touches {len(paths)} files")
    return PerFileScope(tuple(dict.fromkeys(paths)))


def _tool_table_changed(ctx: ScoringContext, path: str, tool: str) -> bool:
    """Whether ``[tool.<tool>]`` or ``requires-python`` (ruff's default target version) differs
    between the base's and the patched ``path``; a file that cannot be read counts as changed."""

    def table(tree: Path) -> object:
        file = tree / path
        if not file.exists():
            return None
        try:
            data = tomllib.loads(file.read_text(encoding="utf-8"))
            return data.get("tool", {}).get(tool), data.get("project", {}).get("requires-python")
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, AttributeError):
            return _UNREADABLE

    before = table(ctx.base)
    return before is _UNREADABLE or before != table(ctx.patched)


_UNREADABLE = object()
