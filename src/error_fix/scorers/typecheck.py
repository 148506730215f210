"""Types scorer (mypy) → ``type_check_passed``.

mypy checks the whole package on both trees — a patch can break an unchanged caller, which a
changed-lines filter would miss — with the project's own mypy configuration (mypy finds it in the
tree), the project's interpreter for ``--python-executable`` so its dependencies resolve, and one
cache shared by the base and patched runs. Score: ``0.6 ** introduced errors``.

The cache lives in the state directory, so later decisions start warm. Two mypy processes on one
cache at once can crash mypy (an INTERNAL ERROR), so the base and patched runs take turns under
a lock; the other scorers keep running meanwhile.
"""

from __future__ import annotations

import configparser
import json
import tomllib
from pathlib import Path

from ..layout import source_targets
from ..state import locked
from ..testrun import resolve_python
from .findings import diff_findings
from .interface import Finding, Scorer, ScorerResult, ScorerUnknown, ScoringContext
from .tools import added_lines, relative, run_tool

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


class TypesScorer(Scorer):
    name = "types"

    def score(self, ctx: ScoringContext) -> ScorerResult:
        targets = [] if config_lists_files(ctx.base) else source_targets(ctx.base)
        if not targets and not config_lists_files(ctx.base):
            raise ScorerUnknown("no Python package found to type-check")
        cache = (ctx.state_dir or ctx.scratch) / "cache" / "mypy"
        args = ["-O", "json", "--no-error-summary", "--cache-dir", str(cache)]
        python = resolve_python(ctx.settings.python, ctx.env)
        if python is not None:
            args += ["--python-executable", python]
        ctx.progress(self.name, "mypy on both trees")

        def findings(tree: Path) -> list[Finding]:
            # Targets present in the base may be gone patched (a deleted module); check what exists.
            present = [t for t in targets if (tree / t).exists()]
            # Exit 2 with errors listed is a blocking error (a syntax error): still findings.
            result = run_tool(ctx, "mypy", [*args, *present], tree, ok_codes=(0, 1, 2))
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
                    f"mypy failed (exit {result.returncode}) on the {tree.name} tree: "
                    f"{result.tail(2)}"
                )
            return found

        with locked(cache):
            base = findings(ctx.base)
            patched = findings(ctx.patched)
        diff = diff_findings(base, patched, added_lines(ctx))
        checked = ", ".join(targets) if targets else "files from the project's mypy configuration"
        return diff.result(self.name, PER_FINDING, f"mypy over {checked}", checked=checked)
