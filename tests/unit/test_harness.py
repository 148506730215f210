"""What counts as a harness change, and which existing tests a patch edits."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from error_fix.harness import HarnessChange, defined_name, harness_changes, patched_tests
from error_fix.patch import Patch
from tests.sample import SampleRepo, dedent, make_patch, patch_and_trees

PYPROJECT = """
    [project]
    name = "calc"
    version = "0.1.0"

    [tool.pytest.ini_options]
    testpaths = ["tests"]
"""

BASE = {
    "pyproject.toml": PYPROJECT,
    "setup.cfg": "[metadata]\nname = calc\n\n[tool:pytest]\naddopts = -q\n",
    "tox.ini": "[tox]\nenvlist = py311\n\n[pytest]\nminversion = 7\n",
    "setup.py": "from setuptools import setup\n\nsetup()\n",
    "src/calc/__init__.py": "",
    "tests/test_ops.py": """
        import pytest


        def test_add():
            assert 1 + 1 == 2


        def test_sub():
            assert 2 - 1 == 1


        class TestMore:
            def test_mul(self):
                assert 2 * 2 == 4

            def test_div(self):
                assert 4 / 2 == 2
    """,
}


SHADOWS = "shadows the module `{}` tests run with"


def trees(tmp_path: Path, changes: dict[str, str | None]) -> tuple[Patch, Path, Path]:
    return patch_and_trees(tmp_path, BASE, changes)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"pyproject.toml": PYPROJECT.replace('["tests"]', '["tests/unit"]')},
            [HarnessChange("pyproject.toml", "[tool.pytest] configuration")],
        ),
        ({"pyproject.toml": PYPROJECT.replace("0.1.0", "0.2.0")}, []),
        (
            {
                "pyproject.toml": PYPROJECT
                + '\n    [project.entry-points.pytest11]\n    x = "calc.plugin"\n'
            },
            [HarnessChange("pyproject.toml", "pytest plugin entry point")],
        ),
        (
            {"pyproject.toml": "[project\n"},
            [HarnessChange("pyproject.toml", "pyproject.toml that does not parse")],
        ),
        (
            {
                "setup.cfg": "[metadata]\nname = calc\n\n[tool:pytest]\naddopts = -q -p calc.plugin\n"
            },
            [HarnessChange("setup.cfg", "[tool:pytest] configuration")],
        ),
        ({"setup.cfg": "[metadata]\nname = calc2\n\n[tool:pytest]\naddopts = -q\n"}, []),
        (
            {
                "setup.cfg": BASE["setup.cfg"]
                + "\n[options.entry_points]\npytest11 =\n    x = calc.plugin\n"
            },
            [HarnessChange("setup.cfg", "pytest plugin entry point")],
        ),
        (
            {"tox.ini": "[tox]\nenvlist = py311\n\n[pytest]\nminversion = 8\n"},
            [HarnessChange("tox.ini", "[pytest] configuration")],
        ),
        ({"tox.ini": "[tox]\nenvlist = py312\n\n[pytest]\nminversion = 7\n"}, []),
        (
            {
                "setup.py": "from setuptools import setup\n\nsetup(entry_points={'pytest11': ['x = calc.plugin']})\n"
            },
            [HarnessChange("setup.py", "pytest plugin entry point")],
        ),
        ({"setup.py": "from setuptools import setup\n\nsetup(name='calc')\n"}, []),
        (
            {"tests/conftest.py": "import pytest\n"},
            [HarnessChange("tests/conftest.py", "conftest.py")],
        ),
        ({"pytest.ini": "[pytest]\n"}, [HarnessChange("pytest.ini", "pytest configuration")]),
        (
            {"src/sitecustomize.py": "import calc\n"},
            [
                HarnessChange(
                    "src/sitecustomize.py", "sitecustomize.py: Python imports it at start-up"
                )
            ],
        ),
        (
            {"src/calc.pth": "import calc\n"},
            [
                HarnessChange(
                    "src/calc.pth", ".pth file: Python runs it at start-up from a site directory"
                )
            ],
        ),
        ({"src/calc/ops.py": "X = 1\n", "tests/test_new.py": "def test_x():\n    pass\n"}, []),
        ({"fnmatch.py": "X = 1\n"}, [HarnessChange("fnmatch.py", SHADOWS.format("fnmatch"))]),
        (
            {"src/pluggy/__init__.py": ""},
            [HarnessChange("src/pluggy/__init__.py", SHADOWS.format("pluggy"))],
        ),
        (
            {"pytest_cheat.py": ""},
            [HarnessChange("pytest_cheat.py", SHADOWS.format("pytest_cheat"))],
        ),
        (
            {
                "src/calc/fnmatch.py": "",
                "test/test_x.py": "",
                "scripts/json.py": "",
                "calc2.py": "",
            },
            [],
        ),
        (
            {
                "pyproject.toml": PYPROJECT + '\n[tool.setuptools]\npackage-dir = {"" = "lib"}\n',
                "lib/json.py": "",
            },
            [HarnessChange("lib/json.py", SHADOWS.format("json"))],
        ),
    ],
    ids=[
        "pyproject-pytest",
        "pyproject-version",
        "pyproject-entry-point",
        "pyproject-unreadable",
        "setup.cfg-pytest",
        "setup.cfg-metadata",
        "setup.cfg-entry-point",
        "tox-pytest",
        "tox-envlist",
        "setup.py-entry-point",
        "setup.py-other",
        "conftest",
        "pytest.ini",
        "sitecustomize",
        "pth",
        "source-and-tests",
        "shadows-stdlib",
        "shadows-pytest-machinery",
        "shadows-a-plugin",
        "not-top-level-or-not-a-judge",
        "shadows-from-a-configured-package-dir",
    ],
)
def test_harness_changes(
    tmp_path: Path, changes: dict[str, str | None], expected: list[HarnessChange]
) -> None:
    patch, base, patched = trees(tmp_path, changes)
    assert harness_changes(patch, base, patched) == expected


def test_a_removed_conftest_is_a_harness_change(tmp_path: Path) -> None:
    repo_files = {**BASE, "tests/conftest.py": "import pytest\n"}
    repo = SampleRepo(tmp_path / "base", repo_files)
    patch = make_patch(repo, {"tests/conftest.py": None})
    patched = tmp_path / "patched"
    shutil.copytree(repo.path, patched)
    (patched / "tests/conftest.py").unlink()
    assert harness_changes(patch, repo.path, patched) == [
        HarnessChange("tests/conftest.py", "conftest.py")
    ]


TEST_FILE = dedent(BASE["tests/test_ops.py"])


@pytest.mark.parametrize(
    ("new_text", "expected"),
    [
        (TEST_FILE.replace("1 + 1 == 2", "1 + 1 == 3"), {"test_add"}),
        (TEST_FILE.replace("def test_add", "@pytest.mark.skip\ndef test_add"), {"test_add"}),
        (TEST_FILE.replace("def test_sub():\n    assert 2 - 1 == 1\n", ""), {"test_sub"}),
        (
            TEST_FILE.replace("class TestMore:", "@pytest.mark.xfail\nclass TestMore:"),
            {"TestMore::test_mul", "TestMore::test_div"},
        ),
        (
            TEST_FILE.replace(
                "import pytest\n", "import pytest\n\npytestmark = pytest.mark.skip\n"
            ),
            {"test_add", "test_sub", "TestMore::test_mul", "TestMore::test_div"},
        ),
        (
            TEST_FILE.replace("1 + 1 == 2", "1 + 1 == 2  # still two")
            + "\n\ndef test_new():\n    pass\n",
            set(),
        ),
        (
            TEST_FILE + "\ndef broken(:\n",
            {"test_add", "test_sub", "TestMore::test_mul", "TestMore::test_div"},
        ),
        (None, {"test_add", "test_sub", "TestMore::test_mul", "TestMore::test_div"}),
    ],
    ids=[
        "body",
        "skip-mark",
        "deleted",
        "class-mark",
        "module-mark",
        "comment-and-new",
        "syntax-error",
        "file-deleted",
    ],
)
def test_edited_tests(tmp_path: Path, new_text: str | None, expected: set[str]) -> None:
    patch, base, patched = trees(tmp_path, {"tests/test_ops.py": new_text})
    edited = patched_tests(patch, base, patched).edited
    assert edited == {("tests/test_ops.py", name) for name in expected}


def test_test_name_drops_parameters() -> None:
    assert defined_name("tests/test_x.py::TestA::test_b[1-2]") == (
        "tests/test_x.py",
        "TestA::test_b",
    )
    assert defined_name("tests/test_x.py::test_c") == ("tests/test_x.py", "test_c")


@pytest.mark.parametrize(
    ("changes", "own"),
    [
        (
            {
                "tests/test_ops.py": TEST_FILE.replace("1 + 1 == 2", "1 + 1 == 3")
                + "\n\ndef test_new():\n    pass\n"
            },
            ("tests/test_ops.py::test_add", "tests/test_ops.py::test_new"),
        ),
        ({"tests/test_new.py": "def test_x():\n    pass\n"}, ("tests/test_new.py",)),
        ({"tests/test_ops.py": TEST_FILE + "\ndef broken(:\n"}, ("tests/test_ops.py",)),
        ({"tests/test_ops.py": None}, ()),
        ({"tests/test_ops.py": TEST_FILE.replace("import pytest\n", "import pytest\nX = 1\n")}, ()),
    ],
    ids=["edited-and-new", "new-file", "unparseable", "deleted", "helper-only"],
)
def test_the_patch_s_own_tests_are_what_it_adds_or_changes(
    tmp_path: Path, changes: dict[str, str | None], own: tuple[str, ...]
) -> None:
    patch, base, patched = trees(tmp_path, changes)
    assert patched_tests(patch, base, patched).own == own


def test_a_test_inherited_from_an_edited_mixin_counts_as_edited() -> None:
    from error_fix.scorers.test_classes import covers as _covers

    edited = ["tests/test_m.py::Mixin::test_attr"]
    assert _covers(edited, "tests/test_m.py::RealTest::test_attr")
    assert _covers(edited, "tests/test_m.py::Mixin::test_attr[1]")
    assert not _covers(edited, "tests/test_m.py::RealTest::test_other")
    assert not _covers(edited, "tests/test_other.py::RealTest::test_attr")
    assert _covers(["tests/test_m.py"], "tests/test_m.py::anything")
