"""Running error-fix's own static tools (ruff, mypy, bandit, pip-audit) on the trees.

Tools run as ``<tool-python> -m <module>``; ``tool-python`` defaults to error-fix's interpreter,
where they are installed as dependencies. A tool that cannot run, crashes or times out raises
ScorerUnknown with the reason: could not score is never a pass.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from .. import proc
from .interface import ScorerUnknown, ScoringContext

T = TypeVar("T")


def run_tool(
    ctx: ScoringContext,
    module: str,
    args: Sequence[str],
    cwd: Path,
    ok_codes: Sequence[int] = (0, 1),
) -> proc.ProcResult:
    """Run ``python -m module args`` in ``cwd``; ScorerUnknown unless it exits with ``ok_codes``."""
    python = ctx.settings.tool_python or sys.executable
    try:
        result = proc.run(
            [python, "-m", module, *args],
            cwd=cwd,
            timeout=ctx.settings.tool_timeout,
            env=ctx.env,
            limited=True,
        )
    except proc.ToolNotFound:
        raise ScorerUnknown(f"{module} cannot run: interpreter {python} not found") from None
    ctx.timings.add(f"{module}:{cwd.name}", result.duration_s)
    if result.timed_out:
        raise ScorerUnknown(f"{module} timed out after {ctx.settings.tool_timeout:.0f}s")
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
