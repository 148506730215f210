"""The tests scorer on generated projects with real pytest runs (SWE-bench classification)."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from error_fix.decision import PatchDecision
from error_fix.pipeline import PatchApplier
from error_fix.scorers.tests import TestsScorer
from tests.sample import (
    CALC,
    DIVIDE_FIX,
    SampleRepo,
    hanging_test,
    process_alive,
    settings,
    venv_seeing_our_packages,
)


def score_tests(repo: SampleRepo, artifact: Path, **changes: Any) -> dict[str, Any]:
    applier = PatchApplier(settings(**changes), scorers=[TestsScorer()])
    verdict = applier.score(repo.path, artifact).verdict
    assert verdict.decision is not PatchDecision.REJECTED, verdict.reason
    result: dict[str, Any] = verdict.scorers["tests"]
    result["verdict"] = verdict
    return result


@pytest.fixture
def calc(tmp_path: Path) -> SampleRepo:
    return SampleRepo(tmp_path / "calc", CALC)


def test_a_correct_fix_with_a_regression_test_is_proven(calc: SampleRepo, tmp_path: Path) -> None:
    artifact = calc.patch_file(DIVIDE_FIX, tmp_path / "artifact")
    result = score_tests(calc, artifact)
    assert result["status"] == "ok"
    assert result["details"]["fail_to_pass"] == ["tests/test_ops.py::test_divide_by_zero"]
    assert result["details"]["pass_to_fail"] == []
    assert result["details"]["proven"] is True
    assert result["gates"] == []
    assert result["score"] == 1.0
    # The tests ran the worktree's code, and the report says where it came from.
    imported = result["details"]["imported"]["calc"]
    assert "/regression/src/calc/" in imported and not imported.startswith(str(calc.path))


def test_a_patch_that_breaks_another_test_fires_the_regression_gate(
    calc: SampleRepo, tmp_path: Path
) -> None:
    broken = {
        **DIVIDE_FIX,
        "src/calc/ops.py": DIVIDE_FIX["src/calc/ops.py"].replace("return a + b", "return a - b"),
    }
    result = score_tests(calc, calc.patch_file(broken, tmp_path / "artifact"))
    assert result["details"]["pass_to_fail"] == ["tests/test_ops.py::test_add"]
    assert [g["name"] for g in result["gates"]] == ["regression"]
    assert result["findings"][0]["rule"] == "PASS_TO_FAIL"
    assert result["score"] < 0.5
    assert result["verdict"].decision is PatchDecision.MANUAL_REVIEW


def test_a_regression_test_that_passes_on_the_base_proves_nothing(
    calc: SampleRepo, tmp_path: Path
) -> None:
    weak = {
        **DIVIDE_FIX,
        "tests/test_ops.py": DIVIDE_FIX["tests/test_ops.py"].replace(
            "assert divide(1, 0) == 0.0", "assert divide(4, 2) == 2"
        ),
    }
    result = score_tests(calc, calc.patch_file(weak, tmp_path / "artifact"))
    assert result["details"]["proven"] is False
    assert result["details"]["proof"] == "no proof of fix: the patch's tests pass on the base too"
    assert result["details"]["fail_to_pass"] == []
    assert result["score"] == 0.75


def test_a_patch_without_tests_is_not_proven(calc: SampleRepo, tmp_path: Path) -> None:
    source_only = {"src/calc/ops.py": DIVIDE_FIX["src/calc/ops.py"]}
    result = score_tests(calc, calc.patch_file(source_only, tmp_path / "artifact"))
    assert result["details"]["proof"] == "no proof of fix: the patch adds or changes no tests"
    assert result["score"] == 0.75


def test_a_flaky_test_is_reported_flaky_not_a_regression(tmp_path: Path) -> None:
    """Once the suite failed a test, the re-run sessions collect on the idle core beside it and
    wait: they still tell a flaky test from a regression."""
    counter = tmp_path / "runs"
    slow = "import time\n\ndef test_slow() -> None:\n    time.sleep(2)\n"
    flaky = {
        "tests/test_slow.py": slow,
        **CALC,
        "tests/test_flaky.py": f"""
            from pathlib import Path

            def test_sometimes() -> None:
                counter = Path({str(counter)!r})
                runs = int(counter.read_text()) + 1 if counter.exists() else 1
                counter.write_text(str(runs))
                assert runs > 1, "fails the first time it runs, whichever tree that is"
        """,
    }
    repo = SampleRepo(tmp_path / "calc", flaky)
    result = score_tests(
        repo,
        repo.patch_file({"src/calc/ops.py": DIVIDE_FIX["src/calc/ops.py"]}, tmp_path / "artifact"),
        sandbox="off",  # the counter lives outside the workspace, where a sandboxed run cannot write
        reruns=2,
    )
    assert result["details"]["flaky"] == ["tests/test_flaky.py::test_sometimes"]
    assert result["details"]["pass_to_fail"] == []
    assert result["gates"] == []
    assert result["score"] == pytest.approx(0.65)  # unproven 0.75, minus 0.1 for the flaky test
    assert int(counter.read_text()) >= 4  # it really was re-run
    timings = result["verdict"].timings
    # The suite, the base's collection (and check), a session per tree and re-run round.
    assert result["details"]["pytest_sessions"] == 6
    assert "pytest:rerun-collect" in timings


def test_a_hanging_suite_is_killed_with_its_children_and_unknown(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    hanging = {
        **CALC,
        "tests/test_hang.py": hanging_test(pids),
    }
    repo = SampleRepo(tmp_path / "calc", hanging)
    start = time.monotonic()
    result = score_tests(
        repo,
        repo.patch_file({"src/calc/ops.py": DIVIDE_FIX["src/calc/ops.py"]}, tmp_path / "artifact"),
        test_timeout=3.0,
        sandbox="off",  # the pid file lives outside the workspace
    )
    assert time.monotonic() - start < 30
    assert result["status"] == "unknown"
    assert "timed out" in result["reason"]
    assert result["verdict"].decision is PatchDecision.MANUAL_REVIEW
    assert any(g.name == "unknown:tests" for g in result["verdict"].gates)
    children = [int(p) for p in pids.read_text().split()]
    assert len(children) == 2  # one per attempt: the timeout is retried once
    time.sleep(0.2)
    assert not any(process_alive(pid) for pid in children)


def test_the_error_failing_test_must_be_fixed(calc: SampleRepo, tmp_path: Path) -> None:
    error = {"id": "div-zero", "failing_test": "tests/test_ops.py::test_divide_by_zero"}
    fix_without_source = {"tests/test_ops.py": DIVIDE_FIX["tests/test_ops.py"]}
    result = score_tests(calc, calc.patch_file(fix_without_source, tmp_path / "a", error=error))
    assert [g["name"] for g in result["gates"]] == ["own_tests_fail", "failing_test_not_fixed"]
    assert result["score"] <= 0.5
    assert result["details"]["proof"] == (
        "no proof of fix: the patch's tests fail on the base and patched"
    )


def test_the_error_failing_test_is_proven_in_the_session_that_collects_the_base(
    tmp_path: Path,
) -> None:
    # A source-only fix for an error whose failing test the base already has: the base's
    # collection and the failing test's first run there are one pytest session, which also
    # says which tests the base's own marks skip (so none needs a look on the base).
    failing = {
        **CALC,
        "tests/test_zero.py": """
            import pytest

            from calc.ops import divide


            def test_divide_by_zero() -> None:
                assert divide(1, 0) == 0.0


            @pytest.mark.skip(reason="not on this platform")
            def test_divide_in_place() -> None:
                assert False
        """,
    }
    repo = SampleRepo(tmp_path / "calc", failing)
    error = {"id": "div-zero", "failing_test": "tests/test_zero.py::test_divide_by_zero"}
    source_only = {"src/calc/ops.py": DIVIDE_FIX["src/calc/ops.py"]}
    result = score_tests(repo, repo.patch_file(source_only, tmp_path / "a", error=error), reruns=2)
    assert result["details"]["fail_to_pass"] == ["tests/test_zero.py::test_divide_by_zero"]
    assert result["details"]["proven"] is True
    assert result["gates"] == [] and result["score"] == 1.0
    assert result["details"]["base_collected"] is True
    timings = result["verdict"].timings
    assert "pytest:before-collect" in timings
    assert "pytest:base-collect" not in timings and "pytest:base-check" not in timings
    # The suite, the base's collection with the failing test, two re-runs on each tree.
    assert result["details"]["pytest_sessions"] == 6


def test_a_collection_error_introduced_by_the_patch_is_a_regression(
    calc: SampleRepo, tmp_path: Path
) -> None:
    syntax_error = {"src/calc/ops.py": "def add(a, b):\n    return a +\n"}
    result = score_tests(calc, calc.patch_file(syntax_error, tmp_path / "artifact"))
    assert result["details"]["pass_to_fail"] == ["tests/test_ops.py"]
    assert [g["name"] for g in result["gates"]] == ["regression"]


@pytest.mark.parametrize(
    ("files", "command", "reason"),
    [
        (
            {"conftest.py": "def pytest_sessionfinish(session):\n    session.exitstatus = 3\n"},
            None,
            "exited 3 with no failing test recorded",
        ),
        ({"tests/test_ops.py": None}, None, "no tests were collected"),
        ({}, "python -c 'raise SystemExit(0)'", "wrote no JUnit XML"),
    ],
)
def test_could_not_score_is_unknown_never_a_pass(
    tmp_path: Path, files: dict[str, str | None], command: str | None, reason: str
) -> None:
    project: dict[str, Any] = {**CALC, **files}
    repo = SampleRepo(tmp_path / "calc", {k: v for k, v in project.items() if v is not None})
    artifact = repo.patch_file({"src/calc/ops.py": DIVIDE_FIX["src/calc/ops.py"]}, tmp_path / "a")
    extra = {
        "test_command": tuple(command.split(" ", 2)) if command else ("python", "-m", "pytest")
    }
    if command:
        extra["test_command"] = ("python", "-c", "raise SystemExit(0)")
    result = score_tests(repo, artifact, **extra)
    assert result["status"] == "unknown"
    assert reason in result["reason"]
    assert result["score"] == 0.0


def test_an_installed_copy_that_shadows_the_worktree_makes_tests_unknown(tmp_path: Path) -> None:
    shadow = tmp_path / "site" / "calc"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("")
    (shadow / "ops.py").write_text(
        "def add(a, b):\n    return a + b\n\ndef divide(a, b):\n    return a / b\n"
    )
    project = {
        **CALC,
        "tests/conftest.py": f"import sys\nsys.path.insert(0, {str(shadow.parent)!r})\n",
    }
    repo = SampleRepo(tmp_path / "calc", project)
    result = score_tests(repo, repo.patch_file(DIVIDE_FIX, tmp_path / "artifact"))
    assert result["status"] == "unknown"
    assert f"imported calc from {shadow}" in result["reason"]


def test_missing_interpreter_is_unknown(calc: SampleRepo, tmp_path: Path) -> None:
    result = score_tests(
        calc, calc.patch_file(DIVIDE_FIX, tmp_path / "a"), python="/no/such/python"
    )
    assert result["status"] == "unknown"
    assert result["reason"] == "python interpreter not found: /no/such/python"


def test_a_relative_python_path_is_taken_from_where_error_fix_runs(
    calc: SampleRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(Path(sys.executable).parent.parent)
    relative = os.path.relpath(sys.executable)
    assert not os.path.isabs(relative)
    result = score_tests(calc, calc.patch_file(DIVIDE_FIX, tmp_path / "a"), python=relative)
    assert result["status"] == "ok", result["reason"]


def test_tool_subprocesses_see_no_credentials(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dump = tmp_path / "env.txt"
    project = {
        **CALC,
        "tests/test_env.py": f"""
            import os

            def test_dump_env() -> None:
                with open({str(dump)!r}, "a") as fh:
                    fh.write("\\n".join(sorted(os.environ)) + "\\n---\\n")
        """,
    }
    secrets = {
        "GITHUB_TOKEN": "ghs_x",
        "GH_TOKEN": "gho_x",
        "INPUT_GITHUB-TOKEN": "x",
        "INPUT_SLACK-WEBHOOK-URL": "x",
        "ACTIONS_RUNTIME_TOKEN": "x",
        "ACTIONS_ID_TOKEN_REQUEST_URL": "x",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "x",
        "SLACK_WEBHOOK_URL": "x",
        "DEPLOY_KEY": "x",
    }
    for name, value in secrets.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("HARMLESS_SETTING", "kept")
    repo = SampleRepo(tmp_path / "calc", project)
    score_tests(
        repo, repo.patch_file(DIVIDE_FIX, tmp_path / "a"), scrub_env=("DEPLOY_*",), sandbox="off"
    )
    seen = set(dump.read_text().split())
    assert "HARMLESS_SETTING" in seen and "PATH" in seen
    assert not seen & set(secrets), seen & set(secrets)
    assert os.environ["GITHUB_TOKEN"] == "ghs_x"  # our own environment is untouched


@pytest.mark.slow
def test_an_editable_install_of_the_checkout_does_not_hide_the_patch(
    calc: SampleRepo, tmp_path: Path
) -> None:
    """The DESIGN trap: with a src layout, `import calc` finds the editable install of the
    user's checkout; the worktree must win or a broken patch could pass."""
    import subprocess

    env_dir = tmp_path / "venv"
    python = venv_seeing_our_packages(env_dir)
    subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "-e",
            str(calc.path),
        ],
        check=True,
        capture_output=True,
    )
    plain = subprocess.run(
        [str(python), "-c", "import calc; print(calc.__file__)"],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    assert plain.stdout.startswith(str(calc.path))  # the install points at the checkout
    result = score_tests(calc, calc.patch_file(DIVIDE_FIX, tmp_path / "a"), python=str(python))
    assert result["details"]["fail_to_pass"] == ["tests/test_ops.py::test_divide_by_zero"]
    assert "/regression/src/calc/" in result["details"]["imported"]["calc"]
    assert sys.executable != str(python)


def test_the_setup_command_prepares_generated_files_in_each_tree(tmp_path: Path) -> None:
    project = {
        **CALC,
        ".gitignore": "src/calc/_generated.py\n",
        "tests/test_generated.py": "from calc._generated import VALUE\n\n\n"
        "def test_generated() -> None:\n    assert VALUE == 42\n",
    }
    repo = SampleRepo(tmp_path / "calc", project)
    artifact = repo.patch_file(DIVIDE_FIX, tmp_path / "a")
    setup = ("python", "-c", "open('src/calc/_generated.py', 'w').write('VALUE = 42\\n')")
    without = score_tests(repo, artifact)
    assert without["status"] == "unknown"  # broken on both sides: it can judge nothing
    assert without["reason"] == (
        "tests/test_generated.py cannot be imported on the base tree either: "
        "ModuleNotFoundError: No module named 'calc._generated'"
    )
    with_setup = score_tests(repo, artifact, setup_command=setup)
    assert with_setup["details"]["fail_to_fail"] == []
    assert with_setup["details"]["fail_to_pass"] == ["tests/test_ops.py::test_divide_by_zero"]


def test_a_failing_setup_command_is_a_clear_error(calc: SampleRepo, tmp_path: Path) -> None:
    from error_fix.workspace import WorkspaceError

    applier = PatchApplier(settings(setup_command=("python", "-c", "raise SystemExit('no make')")))
    with pytest.raises(
        WorkspaceError, match="setup command failed in the patched tree .exit 1.: no make"
    ):
        applier.score(calc.path, calc.patch_file(DIVIDE_FIX, tmp_path / "a"))
