"""Where a project's code lives in a tree: import roots, top-level modules, what to check."""

from __future__ import annotations

from pathlib import Path

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
        for root in import_roots(tree)
        for p in root.iterdir()
        if _is_module(p)
    }
    return sorted(targets)


def project_modules(tree: Path) -> list[str]:
    """Top-level module names the project defines (what must be imported from the worktree)."""
    return sorted({Path(target).stem for target in source_targets(tree)})
