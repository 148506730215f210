"""Where a project's code lives in a tree: import roots, packages, modules, what to check."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path, PurePosixPath
from typing import Any

_NON_PROJECT = {"tests", "test", "conftest", "setup", "docs", "doc", "noxfile", "build", "dist"}


def _is_module(path: Path) -> bool:
    if path.name.startswith((".", "_")) or path.stem in _NON_PROJECT:
        return False
    if path.is_dir():
        return (path / "__init__.py").is_file()
    return path.suffix == ".py" and not path.name.startswith("test_")


def import_roots(tree: Path) -> list[Path]:
    """Where the project's modules live in ``tree``: ``src/`` (if it holds code), then the root."""
    src = tree / "src"
    if src.is_dir() and any(_is_module(p) for p in src.iterdir()):
        return [src, tree]
    return [tree]


def source_targets(tree: Path) -> list[str]:
    """Tree-relative paths of the project's top-level packages and modules (tests excluded)."""
    targets = {
        p.relative_to(tree).as_posix()
        for root in package_roots(tree)
        for p in root.iterdir()
        if _is_module(p)
    }
    return sorted(targets)


def project_modules(tree: Path) -> list[str]:
    """Top-level module names the project defines (what must be imported from the worktree)."""
    return sorted({Path(target).stem for target in source_targets(tree)})


def package_roots(tree: Path) -> list[Path]:
    """Where the project's top-level packages and modules live: the import roots, then the roots
    its packaging configuration names (setuptools ``package-dir`` ``""`` and
    ``packages.find.where``, hatch ``sources``)."""
    roots = list(import_roots(tree))
    for root in _packaging(tree).roots:
        if root not in roots:
            roots.append(root)
    return roots


def package_dirs(tree: Path) -> list[Path]:
    """The directories of the project's top-level packages: each package in the package roots,
    and each one the packaging configuration names (setuptools ``package-dir`` and ``packages``,
    ``packages.find.include``; hatch ``packages`` and ``only-include``)."""
    packaging = _packaging(tree)
    found = [
        path
        for root in package_roots(tree)
        for path in sorted(root.iterdir())
        if path.is_dir()
        and not path.is_symlink()
        and (_is_module(path) or _included(path, packaging.include))
    ]
    for path in packaging.packages:
        if path not in found:
            found.append(path)
    return found


def _included(path: Path, patterns: list[str]) -> bool:
    """A namespace package (no ``__init__.py``) that setuptools' ``find`` is told to include."""
    if path.name.startswith((".", "_")) or path.name in _NON_PROJECT:
        return False
    return any(fnmatch(path.name, pattern) for pattern in patterns)


@dataclass(frozen=True)
class _Packaging:
    """What pyproject.toml's build configuration says about where the code lives."""

    roots: list[Path]
    """Directories holding top-level packages."""
    packages: list[Path]
    """Package directories named one by one."""
    include: list[str]
    """Top-level package name globs (setuptools ``packages.find.include``)."""


def _packaging(tree: Path) -> _Packaging:
    try:
        data = tomllib.loads((tree / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return _Packaging([], [], [])
    tool = _table(data.get("tool"))
    setuptools = _table(tool.get("setuptools"))
    hatch_build = _table(_table(tool.get("hatch")).get("build"))
    wheel = _table(_table(hatch_build.get("targets")).get("wheel"))
    roots: list[str] = []
    packages: list[str] = []
    package_dir = {str(k): str(v) for k, v in _table(setuptools.get("package-dir")).items()}
    base = package_dir.get("", "")
    roots.append(base)
    packages += [v for k, v in package_dir.items() if k and "." not in k]
    listed = setuptools.get("packages")
    if isinstance(listed, list):
        packages += [f"{base}/{name}" for name in _strings(listed) if "." not in name]
    find = _table(_table(listed).get("find"))
    roots += _strings(find.get("where"))
    for build in (hatch_build, wheel):
        packages += _strings(build.get("packages")) + _strings(build.get("only-include"))
        sources = build.get("sources")
        if isinstance(sources, dict):
            roots += [str(k) for k, v in sources.items() if v == ""]
            packages += [str(k) for k, v in sources.items() if v != ""]
        else:
            roots += _strings(sources)
    return _Packaging(
        roots=_dirs_inside(tree, roots),
        packages=_dirs_inside(tree, packages),
        include=[p.split(".")[0] for p in _strings(find.get("include"))],
    )


def _table(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _strings(value: object) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _dirs_inside(tree: Path, paths: list[str]) -> list[Path]:
    """The configured paths that are directories inside ``tree`` (nothing absolute, no ``..``,
    no symlink leading out)."""
    top = tree.resolve()
    found: list[Path] = []
    for name in paths:
        relative = PurePosixPath(name.strip("/"))
        if not name.strip("/") or ".." in relative.parts or relative.is_absolute():
            continue
        path = tree / relative
        if path.is_dir() and path.resolve().is_relative_to(top) and path not in found:
            found.append(path)
    return found
