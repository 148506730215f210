"""A patch cannot silence the static checks that judge it: real ruff, mypy, bandit and coverage
runs on a generated project. A fix that hides its own findings behind suppression comments or a
configuration change goes to manual review with a gate per silenced check; the control, the same
fix written plainly, is still merged."""

from __future__ import annotations

from pathlib import Path

import pytest

from error_fix.decision import PatchDecision
from error_fix.pipeline import PatchApplier
from tests.sample import CALC, DIVIDE_FIX, SampleRepo, dedent, settings

SILENCED = dedent(DIVIDE_FIX["src/calc/ops.py"]).replace(
    '"""Arithmetic."""\n',
    '"""Arithmetic."""\n\nimport os  # noqa\nimport subprocess\n',
) + dedent("""

    def shell(cmd: str) -> int:
        return subprocess.call(cmd, shell=True)  # nosec


    def name() -> int:
        return os.name  # type: ignore[return-value]


    def never() -> None:  # pragma: no cover
        raise SystemExit(1)
""")
"""The divide fix plus an unused import, a shell call, a type error and an untested function,
each with the comment that hides it."""


@pytest.fixture
def calc(tmp_path: Path) -> SampleRepo:
    return SampleRepo(tmp_path / "calc", CALC)


def decide(repo: SampleRepo, files: dict[str, str | None], where: Path) -> dict[str, str]:
    applier = PatchApplier(settings(coverage_baseline="off"))
    verdict = applier.score(repo.path, repo.patch_file(files, where)).verdict
    assert verdict.decision is not PatchDecision.REJECTED, verdict.reason
    return {"decision": str(verdict.decision)} | {g.name: g.reason for g in verdict.gates}


def test_suppression_comments_are_a_gate_per_check(calc: SampleRepo, tmp_path: Path) -> None:
    files = {**DIVIDE_FIX, "src/calc/ops.py": SILENCED}
    gates = decide(calc, files, tmp_path / "a")
    assert gates.pop("decision") == "manual_review"
    assert gates == {
        "silenced:lint": "the patch silences ruff: src/calc/ops.py:3 adds `# noqa`",
        "silenced:types": (
            "the patch silences mypy: src/calc/ops.py:20 adds `# type: ignore[return-value]`"
        ),
        "silenced:security": "the patch silences bandit: src/calc/ops.py:16 adds `# nosec`",
        "silenced:coverage": (
            "the patch silences coverage: src/calc/ops.py:23 adds `# pragma: no cover`"
        ),
    }


def test_a_configuration_that_ignores_the_finding_is_a_gate(
    calc: SampleRepo, tmp_path: Path
) -> None:
    pyproject = CALC["pyproject.toml"] + '\n[tool.ruff.lint]\nignore = ["F401"]\n'
    source = "import os\n" + dedent(DIVIDE_FIX["src/calc/ops.py"])
    files = {**DIVIDE_FIX, "src/calc/ops.py": source, "pyproject.toml": pyproject}
    gates = decide(calc, files, tmp_path / "a")
    assert gates == {
        "decision": "manual_review",
        "silenced:lint": "the patch silences ruff: pyproject.toml changes [tool.ruff]",
    }


def test_control_the_plain_fix_is_merged(calc: SampleRepo, tmp_path: Path) -> None:
    assert decide(calc, DIVIDE_FIX, tmp_path / "a") == {"decision": "auto_merge"}
