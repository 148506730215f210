"""What a patch does to silence the static checks that judge it: suppression comments on its own
lines, and changes to the checks' configuration.

ruff, mypy and bandit run on the patched tree as the patch left it, so a ``# noqa``, a
``# type: ignore``, a ``# nosec`` or an ``ignore = ["ALL"]`` in ``[tool.ruff]`` would hide the very
finding the comparison with the base exists to catch; ``# pragma: no cover`` takes a line out of the
patch coverage. Silencing a check may be right, but a human agrees to it: each scorer whose tool the
patch silences fires the ``silenced:<scorer>`` gate (``silenced:lint``, ``silenced:types``,
``silenced:security``, ``silenced:coverage``), naming the file and line or the configuration.

A suppression comment counts when the patched file holds more of that exact comment than the base
file did, and it sits on a line the patch adds (a line the patch only touches keeps its old
comment without firing).
"""

from __future__ import annotations

import configparser
import io
import re
import tokenize
import tomllib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from ..harness import read_tree_file
from ..patch import Patch

GATE_PREFIX = "silenced:"
"""The gate a scorer fires when the patch silences its tool: this and the scorer's name."""


@dataclass(frozen=True)
class CheckSettings:
    """Where one tool takes its suppressions from."""

    tool: str
    """The tool's name, for the gate's reason."""
    comments: tuple[re.Pattern[str], ...]
    """Comment texts that silence it on a line or in a file."""
    config_files: tuple[str, ...] = ()
    """Files (by name, in any directory) that are its configuration as a whole."""
    pyproject_table: str | None = None
    """Its table under ``[tool]`` in a pyproject.toml (in any directory)."""
    ini_sections: tuple[str, ...] = ()
    """Section name prefixes in setup.cfg / tox.ini that configure it."""
    reads_tests: bool = False
    """It checks test files too (else a comment in a test silences nothing it reports)."""


def _comment(*patterns: str) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p, re.IGNORECASE) for p in patterns)


CHECKS = {
    "lint": CheckSettings(
        "ruff",
        _comment(r"\bnoqa\b"),
        config_files=("ruff.toml", ".ruff.toml"),
        pyproject_table="ruff",
        reads_tests=True,
    ),
    "types": CheckSettings(
        "mypy",
        _comment(r"\btype:\s*ignore\b", r"^#\s*mypy:"),
        config_files=("mypy.ini", ".mypy.ini"),
        pyproject_table="mypy",
        ini_sections=("mypy",),
    ),
    "security": CheckSettings(
        "bandit",
        _comment(r"\bnosec\b"),
        config_files=(".bandit",),
        pyproject_table="bandit",
    ),
    "coverage": CheckSettings("coverage", _comment(r"\bpragma:?\s*no\s*(cover|branch)\b")),
}
"""Scorer name → what silences its tool."""


@dataclass(frozen=True)
class Silencing:
    """One way the patch silences a check."""

    path: str
    """The file, relative to the tree root."""
    line: int | None
    """The added line holding the comment; None for a configuration change."""
    what: str
    """The comment, or the configuration that changed."""

    def describe(self) -> str:
        if self.line is None:
            return f"{self.path} {self.what}"
        return f"{self.path}:{self.line} adds `{self.what}`"


def silencing(check: CheckSettings, patch: Patch, base: Path, patched: Path) -> list[Silencing]:
    """Every way ``patch`` silences ``check`` (``base``/``patched``: the trees before and after)."""
    found: list[Silencing] = []
    for change in patch.files:
        before = read_tree_file(base, change.old_path)
        after = None if change.status == "deleted" else read_tree_file(patched, change.path)
        found.extend(_config_changes(check, change.path, before, after))
        checked = check.reads_tests or not change.is_test
        if checked and change.path.endswith((".py", ".pyi")) and after and change.added_lines:
            found.extend(_new_comments(check, change.path, before, after, change.added_lines))
    return found


def silencing_reason(scorer: str, patch: Patch, base: Path, patched: Path) -> str | None:
    """The ``silenced:<scorer>`` gate's reason; None when the patch leaves its tool
    alone (or the scorer has no tool to silence)."""
    check = CHECKS.get(scorer)
    if check is None:
        return None
    found = silencing(check, patch, base, patched)
    if not found:
        return None
    shown = "; ".join(s.describe() for s in found[:3])
    more = f" (and {len(found) - 3} more)" if len(found) > 3 else ""
    return f"the patch silences {check.tool}: {shown}{more}"


# -- configuration ----------------------------------------------------------------------------


def _config_changes(
    check: CheckSettings, path: str, before: str | None, after: str | None
) -> list[Silencing]:
    name = PurePosixPath(path).name
    if before == after:
        return []
    if name in check.config_files:
        return [Silencing(path, None, "changes its configuration file")]
    table, sections = check.pyproject_table, check.ini_sections
    if name == "pyproject.toml" and table is not None:
        if _tool_table(before, table) != _tool_table(after, table):
            return [Silencing(path, None, f"changes [tool.{table}]")]
        return []
    ini = name in ("setup.cfg", "tox.ini") and sections
    if ini and _ini_sections(before, sections) != _ini_sections(after, sections):
        return [Silencing(path, None, f"changes its [{sections[0]}…] sections")]
    return []


def _tool_table(text: str | None, table: str) -> Any:
    """``[tool.<table>]`` of a pyproject.toml; a marker when it does not parse (always a change)."""
    if text is None:
        return None
    try:
        tool = tomllib.loads(text).get("tool", {})
    except tomllib.TOMLDecodeError:
        return object()
    return tool.get(table) if isinstance(tool, dict) else None


def _ini_sections(text: str | None, prefixes: tuple[str, ...]) -> Any:
    parser = configparser.RawConfigParser()
    try:
        parser.read_string(text or "")
    except configparser.Error:
        return object()
    return {
        section: dict(parser.items(section))
        for section in parser.sections()
        if section.startswith(prefixes)
    }


# -- comments ---------------------------------------------------------------------------------


def _comments(source: str) -> list[tuple[int, str]]:
    """``(line, comment text)`` of every comment; a file that does not tokenize is read line by
    line from its first ``#`` (erring towards finding a suppression)."""
    try:
        return [
            (token.start[0], token.string)
            for token in tokenize.generate_tokens(io.StringIO(source).readline)
            if token.type == tokenize.COMMENT
        ]
    except (tokenize.TokenError, SyntaxError):
        return [
            (number, line[line.index("#") :])
            for number, line in enumerate(source.splitlines(), start=1)
            if "#" in line
        ]


def _silencers(check: CheckSettings, source: str | None) -> list[tuple[int, str]]:
    return [
        (line, text.strip())
        for line, text in _comments(source or "")
        if any(pattern.search(text) for pattern in check.comments)
    ]


def _new_comments(
    check: CheckSettings, path: str, before: str | None, after: str, added: tuple[int, ...]
) -> list[Silencing]:
    # The base's copies of each comment: first those still on lines the patch left alone, then
    # those on lines it rewrote; what is left over on added lines is new.
    spare = Counter(text for _, text in _silencers(check, before))
    added_set = set(added)
    now = _silencers(check, after)
    spare.subtract(text for line, text in now if line not in added_set)
    found: list[Silencing] = []
    for line, text in now:
        if line not in added_set:
            continue
        if spare[text] > 0:
            spare[text] -= 1
            continue
        found.append(Silencing(path, line, text))
    return found
