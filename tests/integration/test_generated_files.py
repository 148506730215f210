"""Projects as users have them: git-ignored generated files (a setuptools-scm version file, an
extension built in place) that the checkout has and a fresh worktree does not, and code in a
directory only the packaging configuration names."""

from __future__ import annotations

import shutil
import subprocess
import sysconfig
from pathlib import Path
from typing import Any

import pytest

from error_fix.decision import PatchDecision, Verdict
from error_fix.pipeline import PatchApplier
from error_fix.scorers.interface import Scorer
from error_fix.scorers.tests import TestsScorer
from tests.sample import CALC, DIVIDE_FIX, SampleRepo, decide_by_tests, settings

VERSION_FILE = '__version__ = "1.0.0"\n'
"""What setuptools-scm / hatch-vcs writes into the checkout at install."""

VERSIONED = {
    **CALC,
    "pyproject.toml": """
        [project]
        name = "calc"
        dynamic = ["version"]

        [tool.pytest.ini_options]
        testpaths = ["tests"]
        addopts = "--color=yes"
    """,
    ".gitignore": "__pycache__/\nsrc/calc/_version.py\n",
    "src/calc/__init__.py": '"""A tiny calculator."""\n\nfrom ._version import __version__\n\n'
    '__all__ = ["__version__"]\n',
}
"""CALC importing a git-ignored _version.py, with colour on as many projects have it."""

CARRIED_VERSION = (
    "carried 1 git-ignored file (22 bytes) from the checkout into each tree: src/calc/_version.py"
)


def versioned(tmp_path: Path) -> SampleRepo:
    """VERSIONED as installed: the checkout has the version file, git does not track it."""
    repo = SampleRepo(tmp_path / "calc", VERSIONED)
    (repo.path / "src/calc/_version.py").write_text(VERSION_FILE)
    return repo


def score(
    repo: SampleRepo,
    artifact: Path,
    scorers: list[Scorer] | None = None,
    **changes: Any,
) -> Verdict:
    applier = PatchApplier(settings(**changes), scorers=scorers)
    verdict = applier.score(repo.path, artifact).verdict
    assert verdict.decision is not PatchDecision.REJECTED, verdict.reason
    return verdict


def test_a_good_fix_on_a_project_with_a_generated_version_file_is_auto_merged(
    tmp_path: Path,
) -> None:
    repo = versioned(tmp_path)
    before = repo.snapshot()
    verdict = score(repo, repo.patch_file(DIVIDE_FIX, tmp_path / "a"))
    assert verdict.gates == ()
    assert verdict.decision is PatchDecision.AUTO_MERGE
    assert verdict.tests["fail_to_pass"] == ["tests/test_ops.py::test_divide_by_zero"]
    assert verdict.notes == (CARRIED_VERSION,)
    assert repo.snapshot() == before
    assert (repo.path / "src/calc/_version.py").read_text() == VERSION_FILE


@pytest.mark.parametrize(
    ("changes", "notes"),
    [
        ({"carry_generated": False}, ()),
        (
            {"carry_max_bytes": 10},
            (
                "carried none of the 1 git-ignored file under the project's packages: together "
                "22 bytes, over carry-max-bytes (10 bytes); raise it, or build them with "
                "setup-command",
            ),
        ),
    ],
    ids=["carrying-off", "over-the-cap"],
)
def test_without_the_generated_file_the_suite_cannot_judge_and_says_why(
    tmp_path: Path, changes: dict[str, Any], notes: tuple[str, ...]
) -> None:
    repo = versioned(tmp_path)
    verdict = score(repo, repo.patch_file(DIVIDE_FIX, tmp_path / "a"), [TestsScorer()], **changes)
    tests = verdict.scorers["tests"]
    assert tests["status"] == "unknown"
    assert tests["reason"] == (
        "tests/test_ops.py cannot be imported on the base tree either: "
        "ModuleNotFoundError: No module named 'calc._version'"
    )
    # Read from the base's collection, not a session of its own: the suite, the proof run, the
    # patch's test on the before tree, the base's collection.
    assert tests["details"]["pytest_sessions"] == 4
    # Not the patch's fault: no regression, no "own tests fail", no "no proof of fix".
    assert [g.name for g in verdict.gates] == ["unknown:tests"]
    assert verdict.decision is PatchDecision.MANUAL_REVIEW
    assert verdict.notes == notes


def test_a_new_test_module_the_patch_breaks_is_the_patchs_not_unknown(tmp_path: Path) -> None:
    repo = versioned(tmp_path)
    broken = {
        **DIVIDE_FIX,
        "tests/test_more.py": "from calc.ops import multiply\n\n\n"
        "def test_multiply() -> None:\n    assert multiply(2, 3) == 6\n",
    }
    verdict = score(repo, repo.patch_file(broken, tmp_path / "a"), [TestsScorer()])
    tests = verdict.scorers["tests"]
    assert tests["status"] == "ok"
    assert [g["name"] for g in tests["gates"]] == ["own_tests_fail"]
    assert "tests/test_more.py" in tests["details"]["fail_to_fail"]


def test_a_patch_that_writes_a_carried_path_keeps_its_own_version(tmp_path: Path) -> None:
    repo = versioned(tmp_path)
    patch = tmp_path / "fix.patch"
    writes_version = {
        "src/calc/_version.py": '__version__ = "2.0.0"\n',
        "tests/test_version.py": "import calc\n\n\n"
        'def test_version() -> None:\n    assert calc.__version__ == "2.0.0"\n',
    }
    patch.write_bytes(repo.diff(dict(writes_version), force=True))
    verdict = score(repo, patch, [TestsScorer()])
    tests = verdict.scorers["tests"]
    # Before (base + the test part) has the checkout's 1.0.0; patched has the patch's 2.0.0.
    assert tests["details"]["fail_to_pass"] == ["tests/test_version.py::test_version"]
    assert tests["gates"] == [] and tests["score"] == 1.0
    assert verdict.notes == (
        CARRIED_VERSION + "; the patch's own version kept for src/calc/_version.py",
    )
    assert (repo.path / "src/calc/_version.py").read_text() == VERSION_FILE


def test_a_patch_cannot_prove_itself_by_adding_the_generated_file(tmp_path: Path) -> None:
    """The base tree has the checkout's version file even where the patch writes one: a test
    that merely imports the package passes there too, so it proves nothing."""
    repo = versioned(tmp_path)
    patch = tmp_path / "fix.patch"
    imports_only = {
        "src/calc/_version.py": VERSION_FILE,
        "tests/test_version.py": "import calc\n\n\n"
        "def test_version() -> None:\n    assert isinstance(calc.__version__, str)\n",
    }
    patch.write_bytes(repo.diff(dict(imports_only), force=True))
    tests = score(repo, patch, [TestsScorer()]).scorers["tests"]
    assert tests["details"]["fail_to_pass"] == []
    assert tests["details"]["proof"] == "no proof of fix: the patch's tests pass on the base too"


def test_the_checkouts_uncommitted_work_never_reaches_the_trees(tmp_path: Path) -> None:
    """Only git-ignored files are carried: a fix sitting uncommitted in the checkout, or a
    module it has that git would show as untracked, must not make the patch's tests pass."""
    repo = versioned(tmp_path)
    tests_only = {
        "tests/test_ops.py": DIVIDE_FIX["tests/test_ops.py"],
        "tests/test_helper.py": "from calc.helper import helper\n\n\n"
        "def test_helper() -> None:\n    assert helper() == 1\n",
    }
    artifact = repo.patch_file(dict(tests_only), tmp_path / "a")
    repo.write({"src/calc/ops.py": DIVIDE_FIX["src/calc/ops.py"]})  # modified, not committed
    (repo.path / "src/calc/helper.py").write_text("def helper() -> int:\n    return 1\n")
    verdict = score(repo, artifact, [TestsScorer()])
    tests = verdict.scorers["tests"]
    assert tests["details"]["fail_to_pass"] == []
    assert [g["name"] for g in tests["gates"]] == ["own_tests_fail"]
    assert {"tests/test_helper.py", "tests/test_ops.py::test_divide_by_zero"} <= set(
        tests["details"]["fail_to_fail"]
    )
    assert verdict.notes == (CARRIED_VERSION,)


SPEEDUPS_C = """
    #define PY_SSIZE_T_CLEAN
    #include <Python.h>

    static PyObject *fast_add(PyObject *self, PyObject *args) {
        long a, b;
        if (!PyArg_ParseTuple(args, "ll", &a, &b)) return NULL;
        return PyLong_FromLong(a + b);
    }

    static PyMethodDef methods[] = {
        {"fast_add", fast_add, METH_VARARGS, NULL},
        {NULL, NULL, 0, NULL},
    };

    static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_speedups", NULL, -1, methods};

    PyMODINIT_FUNC PyInit__speedups(void) { return PyModule_Create(&module); }
"""

OPS_WITH_SPEEDUPS = '''
    """Arithmetic, with the C helper."""

    from calc._speedups import fast_add


    def add(a: int, b: int) -> int:
        return fast_add(a, b)


    def divide(a: float, b: float) -> float:
        return a / b
'''

EXTENDED = {
    "pyproject.toml": """
        [project]
        name = "calc"
        version = "0.1.0"

        [tool.setuptools]
        packages = ["calc"]

        [tool.pytest.ini_options]
        testpaths = ["tests"]
    """,
    ".gitignore": "__pycache__/\n*.so\n",
    "calc/__init__.py": '"""A tiny calculator."""\n',
    "calc/_speedups.c": SPEEDUPS_C,
    "calc/ops.py": OPS_WITH_SPEEDUPS,
    "tests/test_ops.py": CALC["tests/test_ops.py"],
}
"""A flat-layout project with a C extension built in place (``build_ext --inplace``)."""


@pytest.fixture
def extended(tmp_path: Path) -> SampleRepo:
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        pytest.skip("needs a C compiler to build the extension in place")
    repo = SampleRepo(tmp_path / "calc", EXTENDED)
    suffix = sysconfig.get_config_var("EXT_SUFFIX")
    subprocess.run(
        [
            compiler,
            "-shared",
            "-fPIC",
            f"-I{sysconfig.get_paths()['include']}",
            "-o",
            str(repo.path / f"calc/_speedups{suffix}"),
            str(repo.path / "calc/_speedups.c"),
        ],
        check=True,
        capture_output=True,
    )
    return repo


@pytest.mark.parametrize("breaks_add", [False, True], ids=["good-fix", "broken-fix"])
def test_a_project_with_an_extension_built_in_place_is_scored(
    extended: SampleRepo, tmp_path: Path, breaks_add: bool
) -> None:
    fixed = OPS_WITH_SPEEDUPS.replace(
        "        return a / b", "        if b == 0:\n            return 0.0\n        return a / b"
    )
    if breaks_add:
        fixed = fixed.replace("fast_add(a, b)", "fast_add(a, -b)")
    fix = {"calc/ops.py": fixed, "tests/test_ops.py": DIVIDE_FIX["tests/test_ops.py"]}
    verdict = score(extended, extended.patch_file(fix, tmp_path / "a"), [TestsScorer()])
    tests = verdict.scorers["tests"]
    suffix = sysconfig.get_config_var("EXT_SUFFIX")
    assert verdict.notes[0].endswith(f"into each tree: calc/_speedups{suffix}")
    assert tests["details"]["fail_to_pass"] == ["tests/test_ops.py::test_divide_by_zero"]
    assert "/regression/calc/" in tests["details"]["imported"]["calc"]  # the base's tests ran there
    if breaks_add:
        assert tests["details"]["pass_to_fail"] == ["tests/test_ops.py::test_add"]
        assert [g["name"] for g in tests["gates"]] == ["regression"]
    else:
        assert tests["gates"] == [] and tests["score"] == 1.0


def test_code_in_a_package_dir_the_configuration_names_is_tested_from_the_tree(
    tmp_path: Path,
) -> None:
    """``package-dir = {"" = "lib"}``: nothing installed, the tests import ``calc`` from lib/."""
    moved = {name.replace("src/", "lib/"): text for name, text in CALC.items()}
    moved["pyproject.toml"] += '\n[tool.setuptools]\npackage-dir = {"" = "lib"}\n'
    repo = SampleRepo(tmp_path / "calc", moved)
    fix = {name.replace("src/", "lib/"): text for name, text in DIVIDE_FIX.items()}
    verdict = decide_by_tests(repo, fix, tmp_path / "a")
    assert verdict.decision is PatchDecision.AUTO_MERGE, verdict.scorers["tests"]["reason"]
    assert verdict.tests["fail_to_pass"] == ["tests/test_ops.py::test_divide_by_zero"]
