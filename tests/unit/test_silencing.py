"""What counts as silencing a static check: suppression comments on the patch's own lines, and
changes to the checks' configuration."""

from __future__ import annotations

from pathlib import Path

import pytest

from error_fix.scorers.silencing import CHECKS, Silencing, silencing, silencing_reason
from tests.sample import patch_and_trees

PYPROJECT = """
    [project]
    name = "calc"
    version = "0.1.0"

    [tool.ruff]
    line-length = 100

    [tool.mypy]
    strict = true
"""

OPS = """
    import subprocess


    def run(cmd: str) -> int:
        return subprocess.call(cmd, shell=True)  # nosec B602 - reviewed in 2024


    def add(a: int, b: int) -> int:
        return a + b
"""

BASE = {
    "pyproject.toml": PYPROJECT,
    "setup.cfg": "[metadata]\nname = calc\n",
    "src/calc/__init__.py": "",
    "src/calc/ops.py": OPS,
}


def found(tmp_path: Path, scorer: str, changes: dict[str, str | None]) -> list[Silencing]:
    patch, base, patched = patch_and_trees(tmp_path, BASE, changes)
    return silencing(CHECKS[scorer], patch, base, patched)


def with_add(line: str) -> dict[str, str | None]:
    return {"src/calc/ops.py": OPS.replace("return a + b", line)}


@pytest.mark.parametrize(
    ("scorer", "line", "comment"),
    [
        ("lint", "import os  # noqa", "# noqa"),
        ("lint", "import os  # NOQA: F401", "# NOQA: F401"),
        ("lint", "x = 1  # ruff: noqa: F841", "# ruff: noqa: F841"),
        ("types", 'return "a"  # type: ignore[return-value]', "# type: ignore[return-value]"),
        ("types", "# mypy: ignore-errors", "# mypy: ignore-errors"),
        ("security", "return eval(str(a))  # nosec", "# nosec"),
        ("coverage", "return a + b  # pragma: no cover", "# pragma: no cover"),
        ("coverage", "return a + b  # pragma: no branch", "# pragma: no branch"),
    ],
)
def test_a_suppression_comment_on_an_added_line(
    tmp_path: Path, scorer: str, line: str, comment: str
) -> None:
    assert found(tmp_path, scorer, with_add(line)) == [Silencing("src/calc/ops.py", 9, comment)]


def test_suppressions_of_other_tools_and_words_in_strings_are_not_this_tools(
    tmp_path: Path,
) -> None:
    changes = with_add('return a + b  # nosec\n    text = "# noqa"  # type: ignore')
    assert found(tmp_path, "lint", changes) == []


def test_a_comment_in_a_test_silences_only_the_tools_that_read_tests(tmp_path: Path) -> None:
    test = {"tests/test_ops.py": "import os  # noqa\n\n\ndef test_x():  # type: ignore\n    pass\n"}
    assert found(tmp_path / "lint", "lint", test) == [Silencing("tests/test_ops.py", 1, "# noqa")]
    assert found(tmp_path / "types", "types", test) == []


def test_a_rewritten_line_keeps_the_bases_own_comment(tmp_path: Path) -> None:
    """The patch changes the nosec line but keeps its comment: nothing new is silenced."""
    rewritten = OPS.replace("shell=True)  #", "shell=True, cwd=None)  #")
    assert found(tmp_path, "security", {"src/calc/ops.py": rewritten}) == []


def test_a_second_copy_of_an_existing_comment_is_new(tmp_path: Path) -> None:
    changes = with_add("return eval(str(a))  # nosec B602 - reviewed in 2024")
    assert found(tmp_path, "security", changes) == [
        Silencing("src/calc/ops.py", 9, "# nosec B602 - reviewed in 2024")
    ]


def test_a_file_that_does_not_tokenize_is_read_line_by_line(tmp_path: Path) -> None:
    changes = with_add('return a + b  # noqa\n    s = """never closed')
    assert found(tmp_path, "lint", changes) == [Silencing("src/calc/ops.py", 9, "# noqa")]


@pytest.mark.parametrize(
    ("scorer", "changes", "what"),
    [
        (
            "lint",
            {"pyproject.toml": PYPROJECT + '\n[tool.ruff.lint]\nignore = ["ALL"]\n'},
            "changes [tool.ruff]",
        ),
        (
            "lint",
            {"src/calc/ruff.toml": 'extend-ignore = ["F401"]\n'},
            "changes its configuration file",
        ),
        (
            "types",
            {"pyproject.toml": PYPROJECT.replace("strict = true", "")},
            "changes [tool.mypy]",
        ),
        ("types", {"mypy.ini": "[mypy]\nignore_errors = True\n"}, "changes its configuration file"),
        (
            "types",
            {"setup.cfg": "[metadata]\nname = calc\n\n[mypy-calc.*]\nignore_errors = True\n"},
            "changes its [mypy…] sections",
        ),
        (
            "security",
            {"pyproject.toml": PYPROJECT + '\n[tool.bandit]\nskips = ["B602"]\n'},
            "changes [tool.bandit]",
        ),
        ("lint", {"pyproject.toml": "[tool.ruff\n"}, "changes [tool.ruff]"),
    ],
)
def test_a_change_to_the_checks_configuration(
    tmp_path: Path, scorer: str, changes: dict[str, str | None], what: str
) -> None:
    path = next(iter(changes))
    assert found(tmp_path, scorer, changes) == [Silencing(path, None, what)]


def test_other_configuration_changes_silence_nothing(tmp_path: Path) -> None:
    changes: dict[str, str | None] = {
        "pyproject.toml": PYPROJECT.replace("0.1.0", "0.2.0"),
        "setup.cfg": "[metadata]\nname = calc2\n",
    }
    for scorer in CHECKS:
        assert found(tmp_path / scorer, scorer, changes) == [], scorer


def test_the_reason_names_the_tool_and_at_most_three_places(tmp_path: Path) -> None:
    lines = "\n".join(f"    v{n} = {n}  # noqa" for n in range(5))
    changes: dict[str, str | None] = {
        "src/calc/ops.py": OPS.replace("    return a + b", lines + "\n    return a + b")
    }
    patch, base, patched = patch_and_trees(tmp_path, BASE, changes)
    reason = silencing_reason("lint", patch, base, patched)
    assert reason == (
        "the patch silences ruff: src/calc/ops.py:9 adds `# noqa`; src/calc/ops.py:10 adds "
        "`# noqa`; src/calc/ops.py:11 adds `# noqa` (and 2 more)"
    )
    assert silencing_reason("tests", patch, base, patched) is None
