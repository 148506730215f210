"""Lint scorer (ruff) → ``lint_passed``.

Runs ``ruff check`` on both trees with the project's own ruff configuration when the base tree has
one (pyproject ``[tool.ruff]``, ``ruff.toml`` or ``.ruff.toml``), else with the explicit rule
selection ``ruff-select`` in isolated mode (never ruff's implicit default, which changes between
versions). ruff's findings are per file, so only the files the patch touches are checked (with the
project's excludes still applied), or the whole tree when the patch changes ruff's configuration.
Score: ``0.7 ** introduced`` — one introduced finding keeps an otherwise perfect patch below the
auto-merge threshold, though it can still get an auto-merge PR.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

from .findings import diff_findings
from .interface import Finding, Scorer, ScorerResult, ScorerUnknown, ScoringContext
from .tools import added_lines, on_both_trees, per_file_scope, relative, run_tool

PER_FINDING = 0.7
SUFFIXES = (".py", ".pyi", ".ipynb")
"""What ruff reads by default. Named on the command line, it would read any file as Python."""
CONFIGS = ("pyproject.toml", "ruff.toml", ".ruff.toml")


def has_ruff_config(tree: Path) -> bool:
    if (tree / "ruff.toml").is_file() or (tree / ".ruff.toml").is_file():
        return True
    pyproject = tree / "pyproject.toml"
    if not pyproject.is_file():
        return False
    try:
        return "ruff" in tomllib.loads(pyproject.read_text(encoding="utf-8")).get("tool", {})
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False


class LintScorer(Scorer):
    name = "lint"

    def score(self, ctx: ScoringContext) -> ScorerResult:
        own_config = has_ruff_config(ctx.base)
        args = ["check", "--output-format", "json", "--exit-zero", "--no-cache"]
        if not own_config:
            args += ["--isolated", "--select", ",".join(ctx.settings.ruff_select)]
        # Files named on the command line are still subject to the project's `exclude`.
        args.append("--force-exclude")
        scope = per_file_scope(ctx, SUFFIXES, CONFIGS, "ruff")
        ctx.progress(self.name, "ruff on both trees")

        def findings(tree: Path) -> list[Finding]:
            files = ["."] if scope.files is None else scope.present(tree)
            if not files:
                return []
            result = run_tool(ctx, "ruff", [*args, "--", *files], tree, ok_codes=(0,))
            try:
                items = json.loads(result.stdout or "[]")
            except ValueError:
                raise ScorerUnknown(f"ruff printed no JSON: {result.tail(2)}") from None
            return [
                Finding(
                    path=relative(item["filename"], tree),
                    line=(item.get("location") or {}).get("row"),
                    rule=item.get("code") or "syntax-error",
                    message=item.get("message", ""),
                    severity="error" if item.get("code") in (None, "invalid-syntax") else "warning",
                )
                for item in items
            ]

        base, patched = on_both_trees(ctx, findings)
        diff = diff_findings(base, patched, added_lines(ctx))
        rules = ",".join(ctx.settings.ruff_select)
        config = "project configuration" if own_config else f"rules {rules}"
        checked = scope.describe("ruff")
        return diff.result(
            self.name,
            PER_FINDING,
            f"ruff with {config} on {checked}",
            config=config,
            checked=checked,
        )
