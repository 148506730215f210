"""Dependency files a patch changes, and the requirements it adds to them.

Recognised: ``requirements*.txt`` (anywhere, and any ``.txt`` under a ``requirements/`` folder),
``pyproject.toml`` (``[project] dependencies``, ``optional-dependencies``, ``[dependency-groups]``)
and ``pylock.toml`` / ``pylock.*.toml`` (PEP 751 lock files).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name


@dataclass(frozen=True, order=True)
class Dependency:
    """One requirement, reduced to what an audit needs."""

    name: str
    """Canonical project name."""
    spec: str
    """Version specifier (``==2.25.0``; empty when unconstrained)."""
    source: str
    """The dependency file it comes from (tree-relative)."""

    @property
    def pinned_version(self) -> str | None:
        match = re.fullmatch(r"===?([^,*\s]+)", self.spec)
        return match.group(1) if match else None

    @property
    def requirement(self) -> str:
        """A requirements.txt line for pip-audit (environment markers dropped: audit them all)."""
        return f"{self.name}{self.spec}"


class UnreadableDependencies(Exception):
    """A dependency file could not be parsed; the message names it."""


def is_dependency_file(path: str) -> bool:
    p = PurePosixPath(path)
    name = p.name
    return (
        (name.startswith("requirements") and name.endswith(".txt"))
        or ("requirements" in p.parts[:-1] and name.endswith(".txt"))
        or path == "pyproject.toml"
        or re.fullmatch(r"pylock(\.[^.]+)?\.toml", name) is not None
    )


def _parse(line: str, source: str) -> Dependency:
    try:
        req = Requirement(line)
    except InvalidRequirement as exc:
        raise UnreadableDependencies(f"{source}: cannot read requirement {line!r}: {exc}") from None
    return Dependency(canonicalize_name(req.name), str(req.specifier), source)


def _requirements_txt(text: str, source: str) -> set[Dependency]:
    deps: set[Dependency] = set()
    joined = re.sub(r"\\\n", " ", text)
    for raw in joined.splitlines():
        line = re.split(r"(^|\s)#", raw, maxsplit=1)[0].strip()
        if not line or line.startswith("-"):
            continue  # options: -r, -c, -e, --hash, --index-url ...
        line = re.split(r"\s--hash", line, maxsplit=1)[0].strip()
        if "://" in line or line.startswith((".", "/")):
            raise UnreadableDependencies(
                f"{source}: cannot audit a URL or path requirement {line!r}"
            )
        deps.add(_parse(line, source))
    return deps


def _pyproject(text: str, source: str) -> set[Dependency]:
    data = tomllib.loads(text)
    project: dict[str, Any] = data.get("project", {})
    lines: list[str] = list(project.get("dependencies", []))
    for extra in project.get("optional-dependencies", {}).values():
        lines.extend(extra)
    for group in data.get("dependency-groups", {}).values():
        lines.extend(item for item in group if isinstance(item, str))
    return {_parse(line, source) for line in lines}


def _pylock(text: str, source: str) -> set[Dependency]:
    packages = tomllib.loads(text).get("packages", [])
    return {
        Dependency(
            canonicalize_name(p["name"]), f"=={p['version']}" if p.get("version") else "", source
        )
        for p in packages
        if isinstance(p, dict) and "name" in p
    }


def read_dependencies(tree: Path, paths: Iterable[str]) -> set[Dependency]:
    """Requirements declared by ``paths`` in ``tree`` (a missing file declares none)."""
    deps: set[Dependency] = set()
    for path in paths:
        file = tree / path
        if not file.is_file():
            continue
        try:
            text = file.read_text(encoding="utf-8")
            if path.endswith("pyproject.toml"):
                deps |= _pyproject(text, path)
            elif path.endswith(".toml"):
                deps |= _pylock(text, path)
            else:
                deps |= _requirements_txt(text, path)
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, KeyError) as exc:
            raise UnreadableDependencies(f"{path}: cannot read: {exc}") from None
    return deps
