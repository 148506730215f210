"""What a patch changes of the judge: the test harness, and the existing tests themselves.

The harness is everything that decides how pytest runs and what it reports: ``conftest.py``
files, pytest's configuration (``pytest.ini``, ``pytest.toml``, ``tox.ini [pytest]``,
``setup.cfg [tool:pytest]``, ``pyproject.toml [tool.pytest...]``), pytest plugin entry points
(``pytest11``), what Python runs at start-up (``sitecustomize.py``, ``usercustomize.py``,
``*.pth``), and a new top-level module that would shadow what runs the tests: the tree's package
roots come first on the path, so a ``pytest.py`` or a ``traceback.py`` there would be imported
instead of pytest or the standard library. A patch may change it, but regressions are judged with
the base's harness and a human agrees to the change (the ``test_harness_changed`` gate).

An existing test the patch edits (its body, decorators or class), deletes, or deletes the file of,
is *edited*: if that test then fails against the patched source, the patch changed a tested
contract (the ``changes_tested_behaviour`` gate). The tests it adds or edits are its own: they
prove the fix, and only they run on the patched and before trees.
"""

from __future__ import annotations

import ast
import configparser
import sys
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from .layout import package_roots
from .patch import Patch

STARTUP_FILES = ("sitecustomize.py", "usercustomize.py")
JUDGE_MODULES = frozenset({"pytest", "_pytest", "pluggy", "py", "iniconfig", "coverage", "xdist"})
"""What runs the tests besides the standard library (and ``pytest_*``, ``error_fix*``)."""
MODULE_SUFFIXES = (".py", ".pyc", ".so", ".pyd")
"""Files Python imports a module from (a directory shadows only through its ``__init__``)."""
PYTEST_FILES = ("pytest.ini", ".pytest.ini", "pytest.toml", ".pytest.toml")
PLUGIN_GROUP = "pytest11"


@dataclass(frozen=True)
class HarnessChange:
    """One file of the patch that changes how the tests run or report."""

    path: str
    """The file, relative to the tree root."""
    what: str
    """What it is, e.g. "conftest.py", "[tool.pytest] in pyproject.toml"."""

    def describe(self) -> str:
        return (
            self.path
            if self.what == PurePosixPath(self.path).name
            else f"{self.path} ({self.what})"
        )

    def to_dict(self) -> dict[str, str]:
        return {"path": self.path, "what": self.what}


def read_tree_file(tree: Path, path: str | None) -> str | None:
    """A tree's file as UTF-8 text; None when absent, unreadable or not UTF-8."""
    if path is None:
        return None
    try:
        return (tree / path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _toml_parts(text: str | None) -> dict[str, Any] | None:
    """The harness parts of a pyproject.toml; None when it does not parse."""
    if text is None:
        return {}
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return None
    tool = data.get("tool", {})
    project = data.get("project", {})
    poetry = tool.get("poetry", {}) if isinstance(tool, dict) else {}
    return {
        "[tool.pytest] configuration": tool.get("pytest") if isinstance(tool, dict) else None,
        "pytest plugin entry point": [
            (project.get("entry-points", {}) if isinstance(project, dict) else {}).get(
                PLUGIN_GROUP
            ),
            (poetry.get("plugins", {}) if isinstance(poetry, dict) else {}).get(PLUGIN_GROUP),
        ],
    }


def _ini_parts(text: str | None, name: str) -> dict[str, Any] | None:
    """The harness parts of a tox.ini or setup.cfg; None when it does not parse."""
    parser = configparser.RawConfigParser()
    try:
        parser.read_string(text or "")
    except configparser.Error:
        return None
    section = "pytest" if name == "tox.ini" else "tool:pytest"
    parts: dict[str, Any] = {
        f"[{section}] configuration": dict(parser.items(section))
        if parser.has_section(section)
        else None
    }
    if name == "setup.cfg" and parser.has_option("options.entry_points", PLUGIN_GROUP):
        parts["pytest plugin entry point"] = parser.get("options.entry_points", PLUGIN_GROUP)
    return parts


def _changed_parts(name: str, before: str | None, after: str | None, diff: str) -> list[str]:
    """What of the harness changed in a file called ``name`` (empty: nothing)."""
    if name == "conftest.py" or name in PYTEST_FILES:
        return [name if name == "conftest.py" else "pytest configuration"]
    if name in STARTUP_FILES:
        return [f"{name}: Python imports it at start-up"]
    if name.endswith(".pth"):
        return [".pth file: Python runs it at start-up from a site directory"]
    if name == "setup.py":
        return ["pytest plugin entry point"] if PLUGIN_GROUP in diff else []
    if name == "pyproject.toml":
        old, new = _toml_parts(before), _toml_parts(after)
    elif name in ("tox.ini", "setup.cfg"):
        old, new = _ini_parts(before, name), _ini_parts(after, name)
    else:
        return []
    if old is None or new is None:
        return [f"{name} that does not parse"]
    return [part for part in sorted(set(old) | set(new)) if old.get(part) != new.get(part)]


def harness_changes(patch: Patch, base: Path, patched: Path) -> list[HarnessChange]:
    """The harness files the patch changes, with what each is (``base``/``patched``: the trees
    before and after the whole patch)."""
    text = patch.diff.decode("utf-8", errors="replace")
    changes: list[HarnessChange] = []
    for change in patch.files:
        for path in dict.fromkeys(p for p in (change.old_path, change.path) if p):
            name = PurePosixPath(path).name
            before = read_tree_file(base, change.old_path)
            after = None if change.status == "deleted" else read_tree_file(patched, change.path)
            section = _file_diff(text, path)
            changes.extend(
                HarnessChange(path, what) for what in _changed_parts(name, before, after, section)
            )
    changes.extend(_shadowing(patch, base, patched))
    return list(dict.fromkeys(changes))


def _shadowing(patch: Patch, base: Path, patched: Path) -> list[HarnessChange]:
    """Files the patch adds that make a new top-level module, in a package root of the patched
    tree (what goes on the tests' path), named like a module of the standard library or of the test
    machinery."""
    roots = [PurePosixPath(root.relative_to(patched)).parts for root in package_roots(patched)]
    found: list[HarnessChange] = []
    for change in patch.files:
        if change.status not in ("added", "renamed", "copied"):
            continue
        parts = PurePosixPath(change.path).parts
        for root in roots:
            if parts[: len(root)] != root:
                continue
            name = _module_name(parts[len(root) :])
            if name is None or not _judges(name) or _has_module(base.joinpath(*root), name):
                continue
            found.append(HarnessChange(change.path, f"shadows the module `{name}` tests run with"))
    return found


def _module_name(parts: tuple[str, ...]) -> str | None:
    """The top-level module a file directly in an import root makes (``x.py``,
    ``x.cpython-311-x86_64-linux-gnu.so``, ``x/__init__.py``); None for anything else."""
    if len(parts) == 1 and parts[0].endswith(MODULE_SUFFIXES):
        return parts[0].split(".", 1)[0]
    if len(parts) == 2 and parts[1].startswith("__init__.") and parts[1].endswith(MODULE_SUFFIXES):
        return parts[0]
    return None


def _judges(name: str) -> bool:
    return (
        name in sys.stdlib_module_names
        or name in JUDGE_MODULES
        or name.startswith(("pytest_", "error_fix"))
    )


def _has_module(root: Path, name: str) -> bool:
    """The base already has this top-level module (the project's own, not the patch's doing)."""
    return (root / f"{name}.py").is_file() or (root / name / "__init__.py").is_file()


def _file_diff(text: str, path: str) -> str:
    """The part of a git diff about ``path`` (enough to look for words in it)."""
    parts = text.split("\ndiff --git ")
    return "\n".join(p for p in parts if p.split("\n", 1)[0].endswith(f" b/{path}"))


# ---------------------------------------------------------------------------------------------
# Edited tests


def _definitions(source: str | None) -> dict[str, str] | None:
    """Test name (``test_x`` or ``TestC::test_x``) → its definition, decorators and enclosing
    class header included, without positions; None when the file does not parse."""
    if source is None:
        return {}
    try:
        module = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    found: dict[str, str] = {}

    def walk(body: Iterable[ast.stmt], prefix: str, context: str) -> None:
        for node in body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith(
                "test"
            ):
                found[prefix + node.name] = context + ast.dump(node)
            elif isinstance(node, ast.ClassDef):
                # A class's decorators, bases and attributes (say, a class-level skip mark)
                # belong to each of its tests.
                header = "".join(
                    ast.dump(part)
                    for part in (*node.decorator_list, *node.bases, *node.keywords, *node.body)
                    if not isinstance(part, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
                )
                walk(node.body, f"{prefix}{node.name}::", context + header)

    marks = [
        ast.dump(n)
        for n in module.body
        if isinstance(n, ast.Assign)
        and any(getattr(t, "id", "") == "pytestmark" for t in n.targets)
    ]
    walk(module.body, "", "".join(marks))
    return found


def defined_name(nodeid: str) -> tuple[str, str]:
    """``(file, Class::function)`` of a node id, without parameters."""
    path, _, rest = nodeid.partition("::")
    return path, rest.split("[", 1)[0]


@dataclass(frozen=True)
class PatchedTests:
    """What the patch does to the tests, by definition (see :func:`defined_name`)."""

    edited: frozenset[tuple[str, str]]
    """Existing tests whose definition it changes or removes."""
    own: tuple[str, ...]
    """pytest selectors of the tests it adds or changes: ``file::name`` (all its parameters),
    or a whole file when the file is new or does not parse."""


def patched_tests(patch: Patch, base: Path, patched: Path) -> PatchedTests:
    """The tests the patch edits, and the ones it brings (new or changed). A test file that no
    longer parses has every test edited, and counts as the patch's whole."""
    edited: set[tuple[str, str]] = set()
    own: list[str] = []
    for change in patch.files:
        if not change.is_test or not change.path.endswith(".py"):
            continue
        old = _definitions(read_tree_file(base, change.old_path)) if change.old_path else {}
        new_text = None if change.status == "deleted" else read_tree_file(patched, change.path)
        new = _definitions(new_text) if change.path == change.old_path or not old else {}
        if change.status != "deleted" and (new is None or change.path != change.old_path):
            own.append(change.path)
        elif new:
            own += [f"{change.path}::{n}" for n, d in new.items() if (old or {}).get(n) != d]
        for name, definition in (old or {}).items():
            if change.old_path and (new is None or new.get(name) != definition):
                edited.add((change.old_path, name))
    return PatchedTests(frozenset(edited), tuple(own))
