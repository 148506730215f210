"""Where a project's packages are: found in the import roots, or named by its packaging config."""

from __future__ import annotations

from pathlib import Path

import pytest

from error_fix.layout import package_dirs, package_roots


def make(root: Path, files: dict[str, str]) -> Path:
    for name, content in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(content)
    return root


def names(tree: Path, paths: list[Path]) -> list[str]:
    return [p.relative_to(tree).as_posix() or "." for p in paths]


def test_src_and_flat_layouts_are_found_without_configuration(tmp_path: Path) -> None:
    tree = make(
        tmp_path,
        {
            "src/calc/__init__.py": "",
            "tools/__init__.py": "",
            "tests/__init__.py": "",
            "docs/conf.py": "",
            "notes/readme.txt": "",
            ".venv/lib/__init__.py": "",
        },
    )
    assert names(tree, package_roots(tree)) == ["src", "."]
    assert names(tree, package_dirs(tree)) == ["src/calc", "tools"]


@pytest.mark.parametrize(
    ("config", "roots", "packages"),
    [
        ('[tool.setuptools]\npackage-dir = {"" = "lib"}\n', ["lib"], ["lib/calc"]),
        (
            '[tool.setuptools]\npackage-dir = {"" = "lib", "extra" = "vendor/extra"}\n'
            'packages = ["calc", "calc.sub", "extra"]\n',
            ["lib"],
            ["lib/calc", "vendor/extra"],
        ),
        (
            '[tool.setuptools.packages.find]\nwhere = ["lib"]\ninclude = ["space*"]\n',
            ["lib"],
            ["lib/calc", "lib/space"],
        ),
        (
            '[tool.hatch.build.targets.wheel]\npackages = ["vendor/extra"]\nsources = ["lib"]\n',
            ["lib"],
            ["lib/calc", "vendor/extra"],
        ),
        ('[tool.hatch.build]\nsources = {"lib" = ""}\n', ["lib"], ["lib/calc"]),
        ('[tool.hatch.build]\nsources = {"vendor/extra" = "extra"}\n', [], ["vendor/extra"]),
    ],
    ids=[
        "setuptools-package-dir",
        "setuptools-packages",
        "setuptools-find-namespace",
        "hatch-packages",
        "hatch-sources-map",
        "hatch-sources-rename",
    ],
)
def test_packaging_configuration_names_roots_and_packages(
    tmp_path: Path, config: str, roots: list[str], packages: list[str]
) -> None:
    tree = make(
        tmp_path,
        {
            "pyproject.toml": config,
            "lib/calc/__init__.py": "",
            "lib/space/mod.py": "",  # a namespace package: no __init__.py
            "vendor/extra/__init__.py": "",
        },
    )
    assert names(tree, package_roots(tree)) == [".", *roots]
    assert names(tree, package_dirs(tree)) == packages


def test_configured_paths_never_lead_out_of_the_tree(tmp_path: Path) -> None:
    outside = make(tmp_path / "outside", {"pkg/__init__.py": ""})
    tree = make(
        tmp_path / "tree",
        {
            "pyproject.toml": '[tool.setuptools]\npackage-dir = {"" = "../outside", "a" = "/etc"}\n'
            '[tool.hatch.build]\npackages = ["escape", "missing", ""]\n',
        },
    )
    (tree / "escape").symlink_to(outside / "pkg")
    assert names(tree, package_roots(tree)) == ["."]
    assert package_dirs(tree) == []


def test_an_unreadable_pyproject_is_no_configuration(tmp_path: Path) -> None:
    tree = make(tmp_path, {"pyproject.toml": "[tool.setuptools\n", "calc/__init__.py": ""})
    assert names(tree, package_dirs(tree)) == ["calc"]
