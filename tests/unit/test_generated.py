"""Which of the checkout's git-ignored files are carried into a worktree, and how."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from error_fix.generated import find_generated
from tests.sample import CALC, SampleRepo, git

IGNORE_ALL = "\n".join(
    [
        "__pycache__/",
        ".pytest_cache/",
        ".mypy_cache/",
        ".ruff_cache/",
        ".venv/",
        ".state/",
        "*.pyc",
        "*.so",
        "*.mo",
        "_version.py",
        "env/",
        "build/",
        "local_settings.py",
        "tests/generated.py",
        "src/calc/link",
        "src/calc/tables/",
    ]
)

CARRIED = [
    "src/_native.cpython-311-x86_64-linux-gnu.so",
    "src/calc/_version.py",
    "src/calc/locale/fr/LC_MESSAGES/calc.mo",
    "src/calc/tables/parser.out",
]


def write(root: Path, files: dict[str, str]) -> None:
    for name, content in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(content)


@pytest.fixture
def checkout(tmp_path: Path) -> SampleRepo:
    """CALC as a developer's checkout: generated files, caches, a venv, stray files."""
    repo = SampleRepo(tmp_path / "calc", {**CALC, ".gitignore": IGNORE_ALL})
    write(
        repo.path,
        {
            **dict.fromkeys(CARRIED, "generated\n"),
            # never: caches, bytecode, virtual environments, state
            "src/calc/__pycache__/ops.cpython-311.pyc": "x",
            "src/calc/legacy.pyc": "x",
            "src/calc/.pytest_cache/v/cache": "x",
            "src/calc/.mypy_cache/3.11/ops.json": "x",
            "src/calc/.ruff_cache/content": "x",
            "src/calc/.venv/lib/site.py": "x",
            "src/calc/env/pyvenv.cfg": "home = /usr\n",
            "src/calc/env/lib/python3.11/site-packages/_version.py": "x",
            "src/calc/.state/patch_decisions.jsonl": "x",
            # never: outside the project's packages
            "build/lib/calc/_version.py": "x",
            "local_settings.py": "x",
            "tests/generated.py": "x",
            # never: untracked but not ignored (the user's uncommitted work)
            "src/calc/helper.py": "x",
        },
    )
    (repo.path / "src/calc/link").symlink_to(repo.path / "src/calc/ops.py")
    repo.write({"src/calc/ops.py": "# an uncommitted edit\n"})
    return repo


def head(repo: SampleRepo) -> str:
    return git(repo.path, "rev-parse", "HEAD").strip()


def test_only_git_ignored_files_under_the_packages_are_carried(checkout: SampleRepo) -> None:
    found = find_generated(checkout.path, head(checkout), 1 << 20)
    assert list(found.paths) == CARRIED
    assert found.total_bytes == len("generated\n") * len(CARRIED)
    assert found.refused is None


def test_they_are_copies_made_beside_what_the_tree_has(
    checkout: SampleRepo, tmp_path: Path
) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    write(tree, {"src/calc/_version.py": "the patch's own\n"})
    found = find_generated(checkout.path, head(checkout), 1 << 20)
    kept = found.carry_into(tree)
    assert kept == ["src/calc/_version.py"]
    assert (tree / "src/calc/_version.py").read_text() == "the patch's own\n"
    mo = tree / "src/calc/locale/fr/LC_MESSAGES/calc.mo"
    assert mo.read_text() == "generated\n"
    source = checkout.path / "src/calc/locale/fr/LC_MESSAGES/calc.mo"
    assert not mo.is_symlink() and mo.stat().st_ino != source.stat().st_ino
    mo.write_text("written by a test in the worktree\n")
    assert source.read_text() == "generated\n"  # the checkout is not written through the copy
    assert found.note(kept) == (
        "carried 4 git-ignored files (40 bytes) from the checkout into each tree: "
        f"{', '.join(CARRIED)}; the patch's own version kept for src/calc/_version.py"
    )


def test_nothing_is_written_through_a_symlink_in_the_tree(
    checkout: SampleRepo, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    tree = tmp_path / "tree"
    (tree / "src/calc").mkdir(parents=True)
    (tree / "src/calc/tables").symlink_to(outside)  # a directory on the way
    (tree / "src/calc/_version.py").symlink_to(outside / "planted.py")  # the file itself
    found = find_generated(checkout.path, head(checkout), 1 << 20)
    kept = found.carry_into(tree)
    assert kept == ["src/calc/_version.py", "src/calc/tables/parser.out"]
    assert list(outside.iterdir()) == []


def test_a_path_the_base_tracks_is_never_carried(tmp_path: Path) -> None:
    """A file the base commit has (the patch may delete it) is not brought back from the
    checkout, where a later commit stopped tracking it."""
    repo = SampleRepo(tmp_path / "calc", {**CALC, "src/calc/legacy.py": "OLD = 1\n"})
    base = head(repo)
    git(repo.path, "rm", "--quiet", "--cached", "src/calc/legacy.py")
    repo.commit({".gitignore": "src/calc/legacy.py\n"}, "stop tracking legacy.py")
    assert (repo.path / "src/calc/legacy.py").is_file()
    assert find_generated(repo.path, base, 1 << 20).paths == ()
    assert find_generated(repo.path, head(repo), 1 << 20).paths == ("src/calc/legacy.py",)


def test_over_the_size_cap_nothing_is_carried_and_the_note_says_why(
    checkout: SampleRepo, tmp_path: Path
) -> None:
    found = find_generated(checkout.path, head(checkout), 39)
    tree = tmp_path / "tree"
    tree.mkdir()
    assert found.carry_into(tree) == []
    assert list(tree.iterdir()) == []
    assert found.note() == (
        "carried none of the 4 git-ignored files under the project's packages: together "
        "40 bytes, over carry-max-bytes (39 bytes); raise it, or build them with setup-command"
    )


def test_a_project_without_packages_carries_nothing(tmp_path: Path) -> None:
    repo = SampleRepo(tmp_path / "scripts", {"run.py": "print(1)\n", ".gitignore": "*.log\n"})
    (repo.path / "run.log").write_text("x")
    found = find_generated(repo.path, head(repo), 1 << 20)
    assert found.paths == () and found.note() is None


def test_many_files_are_counted_not_listed(tmp_path: Path) -> None:
    repo = SampleRepo(tmp_path / "calc", {**CALC, ".gitignore": "*.mo\n"})
    write(repo.path, {f"src/calc/locale/{n}.mo": "x" * 2048 for n in "abcdefg"})
    note = find_generated(repo.path, head(repo), 1 << 20).note()
    assert note == (
        "carried 7 git-ignored files (14.0 KiB) from the checkout into each tree: "
        "src/calc/locale/a.mo, src/calc/locale/b.mo, src/calc/locale/c.mo, "
        "src/calc/locale/d.mo, src/calc/locale/e.mo and 2 more"
    )


def test_a_name_that_is_not_utf8_is_left_out_and_sizes_read_in_mib(tmp_path: Path) -> None:
    repo = SampleRepo(tmp_path / "calc", {**CALC, ".gitignore": "*.so\n*.mo\n"})
    (repo.path / "src/calc/_speedups.so").write_bytes(b"\0" * (3 << 19))
    (repo.path / "src/calc").joinpath(os.fsdecode(b"\xff.mo")).write_text("x")
    found = find_generated(repo.path, head(repo), 1 << 30)
    assert found.paths == ("src/calc/_speedups.so",)
    assert found.note() == (
        "carried 1 git-ignored file (1.5 MiB) from the checkout into each tree: "
        "src/calc/_speedups.so"
    )
