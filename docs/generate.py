"""The reference tables in README.md and docs/*.md, generated from their sources of truth.

    python docs/generate.py           # rewrite every generated table in place
    python docs/generate.py --check   # rewrite nothing; exit 1 naming each stale table

A table lives between ``<!-- begin generated: NAME -->`` and ``<!-- end generated: NAME -->``;
everything else in a page is written by hand. The sources:

- ``action-inputs``, ``action-outputs``: action.yml (name, default, description);
  ``action-inputs-brief`` the same inputs with each description's first sentence (README);
- ``settings``: the ``Settings`` dataclass in error_fix/config.py (key, type, default, and the
  docstring under each field);
- ``cli``: the argument parser of error_fix/cli.py (every command, option and help text).

New inputs, outputs, settings and flags appear on the next run without any change here.
Needs PyYAML (a test dependency: ``pip install -e '.[test]'``).
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import inspect
import re
import sys
import textwrap
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "src") not in sys.path:  # run from a checkout without an install
    sys.path.insert(0, str(ROOT / "src"))

from error_fix import cli, config  # noqa: E402

REGENERATE = "python docs/generate.py"
"""The command that rewrites the tables (test failures quote it)."""
SETTING_KEYS = {"disabled": "disable"}
"""Settings whose [tool.error-fix] key is not the field name with hyphens."""
_BLOCK = re.compile(
    r"(<!-- begin generated: (?P<name>[a-z-]+) -->\n)(?P<body>.*?)"
    r"(<!-- end generated: (?P=name) -->)",
    re.DOTALL,
)


def cell(text: object) -> str:
    """One table cell: one line, ``|`` escaped (also inside code), no raw HTML."""
    flat = " ".join(str(text).split())
    return flat.replace("|", "\\|").replace("<", "&lt;")


def code(text: object) -> str:
    return f"`{cell(text)}`" if str(text) else ""


# ---------------------------------------------------------------------------------------------
# action.yml


def _action(root: Path) -> dict[str, Any]:
    loaded = yaml.safe_load((root / "action.yml").read_text(encoding="utf-8"))
    if not isinstance(loaded, dict):
        raise ValueError("action.yml is not a mapping")
    return loaded


def action_inputs(root: Path, *, brief: bool = False) -> str:
    """The inputs table; ``brief`` keeps each description's first sentence (the README's)."""
    rows = ["| input | default | description |", "|---|---|---|"]
    for name, spec in (_action(root).get("inputs") or {}).items():
        required = "**Required.** " if spec.get("required") in (True, "true") else ""
        default = spec.get("default")
        default_text = code(default) if default not in (None, "") else ""
        description = cell(spec.get("description", ""))
        if brief:
            description = first_sentence(description)
        rows.append(f"| `{name}` | {default_text} | {required}{description} |")
    return "\n".join(rows)


def first_sentence(text: str) -> str:
    """Up to the first full stop that ends a sentence (not one inside ``code`` or "e.g.")."""
    match = re.match(r"((?:`[^`]*`|e\.g\.|i\.e\.|[^`])*?\.)(?:\s|$)", text)
    return match[1] if match else text


def action_outputs(root: Path) -> str:
    rows = ["| output | description |", "|---|---|"]
    for name, spec in (_action(root).get("outputs") or {}).items():
        rows.append(f"| `{name}` | {cell(spec.get('description', ''))} |")
    return "\n".join(rows)


# ---------------------------------------------------------------------------------------------
# Settings


def field_docs(cls: type) -> dict[str, tuple[str, ast.expr | None, Mapping[str, Any]]]:
    """For each annotated field of ``cls`` and its bases: the docstring under it, its default
    expression, and the namespace of the module that defines it."""
    found: dict[str, tuple[str, ast.expr | None, Mapping[str, Any]]] = {}
    for klass in reversed(cls.__mro__):
        if not dataclasses.is_dataclass(klass):
            continue
        namespace = vars(sys.modules[klass.__module__])
        tree = ast.parse(textwrap.dedent(inspect.getsource(klass)))
        body = next(node for node in tree.body if isinstance(node, ast.ClassDef)).body
        for node, following in zip(body, [*body[1:], None], strict=True):
            if not (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)):
                continue
            doc = ""
            if (
                isinstance(following, ast.Expr)
                and isinstance(following.value, ast.Constant)
                and isinstance(following.value.value, str)
            ):
                doc = inspect.cleandoc(following.value.value)
            found[node.target.id] = (doc, node.value, namespace)
    return found


def toml_value(value: Any) -> str:
    """``value`` as it would be written in [tool.error-fix]."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, frozenset | set):
        value = sorted(value)
    if isinstance(value, tuple | list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return repr(value)


_PLAIN_CALLS = {"dict": dict, "list": list, "tuple": tuple, "frozenset": frozenset}


def factory_default(expression: ast.expr | None, namespace: Mapping[str, Any]) -> str:
    """A ``field(default_factory=...)`` default: its value when the factory only copies
    constants of the module, else the expression itself (e.g. a machine-dependent one)."""
    factory = None
    if isinstance(expression, ast.Call):
        factory = next((k.value for k in expression.keywords if k.arg == "default_factory"), None)
    if not isinstance(factory, ast.Lambda):
        return "(computed)"
    names = {n.id for n in ast.walk(factory.body) if isinstance(n, ast.Name)}
    constants = {
        name: namespace[name]
        for name in names
        if name in namespace and not callable(namespace[name]) and name.isupper()
    }
    allowed = {**_PLAIN_CALLS, **constants}
    if names <= set(allowed):
        value = eval(  # noqa: S307 - only module constants and plain containers are in scope
            compile(ast.Expression(factory.body), "<default>", "eval"),
            {"__builtins__": {}},
            allowed,
        )
        return code(toml_value(value))
    return f"{code(ast.unparse(factory.body))} (computed)"


def settings_table(cls: type = config.Settings) -> str:
    docs = field_docs(cls)
    rows = ["| key | type | default | description |", "|---|---|---|---|"]
    for item in dataclasses.fields(cls):
        doc, expression, namespace = docs.get(item.name, ("", None, {}))
        if item.default is None:
            default = "not set"
        elif item.default is not dataclasses.MISSING:
            default = code(toml_value(item.default))
        else:
            default = factory_default(expression, namespace)
        key = SETTING_KEYS.get(item.name, item.name.replace("_", "-"))
        rows.append(f"| `{key}` | {code(item.type)} | {default} | {cell(doc)} |")
    return "\n".join(rows)


# ---------------------------------------------------------------------------------------------
# Command line


def _subcommands(
    parser: argparse.ArgumentParser,
) -> Iterator[tuple[str, str, argparse.ArgumentParser]]:
    """(name, what it does, its parser) for each subcommand of ``parser``."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help or "" for choice in action._choices_actions}
            for name, sub in action.choices.items():
                yield name, sub.description or helps.get(name, ""), sub


def _options(parser: argparse.ArgumentParser) -> list[str]:
    rows: list[str] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction | argparse._HelpAction):
            continue
        name = action.metavar if isinstance(action.metavar, str) else None
        if action.option_strings:
            metavar = ""
            if action.nargs != 0:
                if action.choices:
                    metavar = " {" + ",".join(map(str, action.choices)) + "}"
                else:
                    metavar = f" {name or action.dest.upper()}"
            usage = ", ".join(action.option_strings) + metavar
        else:
            usage = name or action.dest
        required = "**Required.** " if action.required and action.option_strings else ""
        rows.append(f"| {code(usage)} | {required}{cell(action.help or '')} |")
    return rows


def cli_reference(parser: argparse.ArgumentParser | None = None) -> str:
    parser = parser or cli.build_parser()
    out = ["Options of every command:", "", "| option | meaning |", "|---|---|"]
    out += _options(parser)
    commands: list[tuple[str, str, argparse.ArgumentParser]] = []
    for name, what, sub in _subcommands(parser):
        nested = [(f"{name} {action}", does, p) for action, does, p in _subcommands(sub)]
        commands += nested or [(name, what, sub)]
    for full, what, command in commands:
        out += ["", f"### `error-fix {full}`", ""]
        if what:
            out += [cell(what[:1].upper() + what[1:]) + ".", ""]
        out += ["| option | meaning |", "|---|---|", *_options(command)]
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------
# Pages


GENERATORS: dict[str, Callable[[Path], str]] = {
    "action-inputs": action_inputs,
    "action-inputs-brief": lambda root: action_inputs(root, brief=True),
    "action-outputs": action_outputs,
    "settings": lambda root: settings_table(),
    "cli": lambda root: cli_reference(),
}


def pages(root: Path) -> list[Path]:
    return [root / "README.md", *sorted((root / "docs").glob("*.md"))]


def render(text: str, root: Path, where: str = "") -> str:
    """``text`` with every generated block rewritten; an unknown block name is an error."""

    def fill(match: re.Match[str]) -> str:
        name = match["name"]
        if name not in GENERATORS:
            raise ValueError(f"{where}: unknown generated block {name!r}")
        return f"{match[1]}{GENERATORS[name](root)}\n{match[4]}"

    return _BLOCK.sub(fill, text)


def stale(root: Path = ROOT) -> list[str]:
    """What is out of date: 'page: block' for each block whose text differs from a fresh
    generation, and each known block that no page carries."""
    found: list[str] = []
    seen: set[str] = set()
    for page in pages(root):
        text = page.read_text(encoding="utf-8")
        name = page.relative_to(root).as_posix()
        for match in _BLOCK.finditer(text):
            seen.add(match["name"])
            if render(match[0], root, name) != match[0]:
                found.append(f"{name}: {match['name']}")
    found += [f"(no page): {name}" for name in GENERATORS if name not in seen]
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="only report stale tables")
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout (default: this one)")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    if args.check:
        out_of_date = stale(root)
        for item in out_of_date:
            print(f"stale: {item}")
        if out_of_date:
            print(f"regenerate with: {REGENERATE}")
        return 1 if out_of_date else 0
    for page in pages(root):
        text = page.read_text(encoding="utf-8")
        fresh = render(text, root, page.relative_to(root).as_posix())
        if fresh != text:
            page.write_text(fresh, encoding="utf-8")
            print(f"updated {page.relative_to(root)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
