"""The top-level package as the Python API's users import it, and the seed's value types."""

from __future__ import annotations

import subprocess
import sys

import pytest

import error_fix
from error_fix import ConfidenceScore, PatchDecision


def test_every_public_name_imports_from_the_package_and_from_its_module() -> None:
    for name in error_fix.__all__:
        value = getattr(error_fix, name)
        if name != "__version__":
            owner = sys.modules[value.__module__]
            assert getattr(owner, name) is value
    assert {
        "PatchApplier",
        "PRCreator",
        "ReviewQueueProcessor",
        "AlertManager",
        "Event",
        "EventBus",
        "EventSeverity",
        "ErrorAutomationAdapter",
        "ToolConfig",
        "ConfidenceScore",
        "PatchDecision",
    } <= set(error_fix.__all__)
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        _ = error_fix.Nope  # type: ignore[attr-defined]


def test_importing_the_package_or_the_cli_stays_light() -> None:
    heavy = ("github", "slack_sdk", "error_fix.pipeline", "error_fix.scorers")
    probe = (
        f"import sys, error_fix, error_fix.cli; print([m for m in {heavy!r} if m in sys.modules])"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_the_seed_confidence_and_decisions() -> None:
    score = ConfidenceScore(
        tests_passed=1.0,
        lint_passed=0.5,
        type_check_passed=1.0,
        security_scan_passed=1.0,
        coverage_maintained=0.8,
    )
    assert score.overall == pytest.approx(0.88)
    assert score.to_dict() == {
        "tests_passed": 1.0,
        "lint_passed": 0.5,
        "type_check_passed": 1.0,
        "security_scan_passed": 1.0,
        "coverage_maintained": 0.8,
        "overall": 0.88,
    }
    assert [d.value for d in PatchDecision] == [
        "auto_merge",
        "auto_merge_pr",
        "manual_review",
        "rejected",
    ]
    assert PatchDecision.AUTO_MERGE_PR == "auto_merge_pr"
