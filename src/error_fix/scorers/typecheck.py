"""Types scorer (mypy) → ``type_check_passed``.

mypy checks the whole package on both trees — a patch can break an unchanged caller, which a
changed-lines filter would miss — with the project's own mypy configuration (mypy finds it in the
tree), the project's interpreter for ``--python-executable`` so its dependencies resolve, and one
cache shared by the base and patched runs. Score: ``0.6 ** introduced errors``.

The cache lives in the state directory, so later decisions start warm; ``error-fix mypy-cache``
checks a base alone into it (the Action does that, and keeps the cache between runs, before any of
the patch's code runs). Two mypy processes on one cache at once can crash mypy (an INTERNAL
ERROR), so the runs take turns under a lock; the other scorers keep running meanwhile.
"""

from __future__ import annotations

import configparser
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from ..config import Settings
from ..layout import source_targets
from ..state import locked
from ..testrun import resolve_python
from ..timings import Timings
from .findings import diff_findings
from .interface import Finding, Scorer, ScorerResult, ScorerUnknown, ScoringContext
from .tools import added_lines, relative, run_module

PER_FINDING = 0.6


def config_lists_files(tree: Path) -> bool:
    """True when the project's mypy configuration says which files to check."""
    pyproject = tree / "pyproject.toml"
    if pyproject.is_file():
        try:
            table = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("tool", {})
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            table = {}
        if table.get("mypy", {}).get("files"):
            return True
    for name in ("mypy.ini", ".mypy.ini", "setup.cfg"):
        parser = configparser.ConfigParser()
        try:
            parser.read(tree / name, encoding="utf-8")
        except (configparser.Error, UnicodeDecodeError):
            continue
        if parser.has_option("mypy", "files"):
            return True
    return False


def mypy_cache(state_dir: Path) -> Path:
    """Where mypy's cache lives under a state (or scratch) directory."""
    return state_dir / "cache" / "mypy"


@dataclass
class Mypy:
    """mypy as the types scorer runs it: one set of arguments and one cache, so a check of the
    base alone leaves exactly the cache entries a decision on that base then finds."""

    settings: Settings
    """Effective settings (the project's interpreter, tool-python, tool-timeout)."""
    env: dict[str, str]
    """Scrubbed environment for the tools."""
    cache: Path
    """mypy's cache directory."""
    timings: Timings = field(default_factory=Timings)
    """Seconds per run, as ``mypy:<tree name>``."""

    def targets(self, base: Path) -> list[str]:
        """What to check, decided on the base: the packages, or nothing when the project's
        configuration names the files; ScorerUnknown when there is neither."""
        if config_lists_files(base):
            return []
        targets = source_targets(base)
        if not targets:
            raise ScorerUnknown("no Python package found to type-check")
        return targets

    def arguments(self) -> list[str]:
        args = ["-O", "json", "--no-error-summary", "--cache-dir", str(self.cache)]
        python = resolve_python(self.settings.python, self.env)
        if python is not None:
            args += ["--python-executable", python]
        return args

    def check(self, tree: Path, targets: list[str]) -> list[Finding]:
        """mypy's errors in ``tree``. The caller holds ``locked(self.cache)``."""
        # Targets present in the base may be gone patched (a deleted module); check what exists.
        present = [t for t in targets if (tree / t).exists()]
        # Exit 2 with errors listed is a blocking error (a syntax error): still findings.
        result = run_module(
            self.settings,
            self.env,
            self.timings,
            "mypy",
            [*self.arguments(), *present],
            tree,
            ok_codes=(0, 1, 2),
        )
        found: list[Finding] = []
        for line in result.stdout.splitlines():
            try:
                item = json.loads(line)
            except ValueError:
                continue
            if not isinstance(item, dict) or item.get("severity") != "error":
                continue
            found.append(
                Finding(
                    path=relative(str(item.get("file", "")), tree),
                    line=item.get("line"),
                    rule=item.get("code") or "error",
                    message=str(item.get("message", "")),
                    severity="error",
                )
            )
        if result.returncode != 0 and not found:
            raise ScorerUnknown(
                f"mypy failed (exit {result.returncode}) on the {tree.name} tree: {result.tail(2)}"
            )
        return found


class TypesScorer(Scorer):
    name = "types"

    def score(self, ctx: ScoringContext) -> ScorerResult:
        mypy = Mypy(ctx.settings, ctx.env, mypy_cache(ctx.state_dir or ctx.scratch), ctx.timings)
        targets = mypy.targets(ctx.base)
        ctx.progress(self.name, "mypy on both trees")
        ctx.tools_may_start.wait()  # after the suite's start (see run_tool)
        with locked(mypy.cache):
            base = mypy.check(ctx.base, targets)
            patched = mypy.check(ctx.patched, targets)
        diff = diff_findings(base, patched, added_lines(ctx))
        checked = ", ".join(targets) if targets else "files from the project's mypy configuration"
        return diff.result(self.name, PER_FINDING, f"mypy over {checked}", checked=checked)
