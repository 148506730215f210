"""Every Python example in docs/python-api.md (and the README's "Python API" section) runs as
written, in the scene the page describes: a checkout of acme/app (on the loopback fake GitHub)
holding fix.patch, GITHUB_TOKEN set, one fix waiting in the review queue. What each one prints is
checked, so the pages cannot rot."""

from __future__ import annotations

import dataclasses
import os
import re
import sys
from pathlib import Path

import pytest

from error_fix.config import Settings
from error_fix.decision import PatchDecision
from error_fix.forge.local import LocalForge
from error_fix.state import read_jsonl
from tests.fakes.github_server import FakeGitHub, FakeRepo
from tests.integration.github_helpers import diff_for, make_patch, make_verdict
from tests.sample import DIVIDE_FIX

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "python-api.md"
README = ROOT / "README.md"
_BLOCK = re.compile(r"^## ([^\n]+)$|^```python\n(.*?)^```$", re.M | re.S)


def examples(page: Path) -> list[tuple[str, str]]:
    """(section heading, code) of every ```python block, in page order."""
    found: list[tuple[str, str]] = []
    heading = ""
    for match in _BLOCK.finditer(page.read_text()):
        if match[1]:
            heading = match[1].strip()
        else:
            found.append((heading, match[2]))
    return found


RUN = [*examples(PAGE), *[(h, c) for h, c in examples(README) if h == "Python API"]]
"""The page's examples, then the README's."""


EXPECTED = {
    "ConfidenceScore, PatchDecision": ["0.88", "'auto_merge', 'auto_merge_pr'"],
    "PatchApplier": ["auto_merge 1.0", "merged error-fix/"],
    "PRCreator": ["/pull/1 auto-merge armed: True"],
    "ReviewQueueProcessor": ["low-confidence manual_review 0.3", "rejected", "Queue health: good"],
    "AlertManager": ["Slack: False"],
    "Events": ["deploy_finished {'environment': 'staging'}", "good"],
    "Python API": ["auto_merge merged None"],
    "ErrorAutomationAdapter": [
        "task_started t-1",
        "task_completed t-1",
        "0 auto_merge",
        "{'status': 'success', 'pending': [",
    ],
}
"""What each section's example prints (a part of each line that matters)."""


def test_every_section_with_a_class_has_its_example() -> None:
    assert [heading for heading, _ in RUN] == [h for h in EXPECTED if h != "Python API"] + [
        "Python API"
    ]


@pytest.fixture
def scene(
    github_env: FakeGitHub,
    remote: FakeRepo,
    checkout: Path,
    monkeypatch: pytest.MonkeyPatch,
    no_slack: None,
) -> Path:
    remote.required_checks["main"] = ["ci"]
    remote.allow_auto_merge = True
    waiting = make_patch(checkout, {"src/calc/extra.py": "X = 1\n"}, "low-confidence")
    verdict = make_verdict(checkout, waiting, PatchDecision.MANUAL_REVIEW)
    verdict = dataclasses.replace(verdict, confidence={"overall": 0.3})
    LocalForge(checkout, Settings()).publish(verdict, waiting)
    (checkout / "fix.patch").write_bytes(diff_for(checkout, DIVIDE_FIX))  # untracked, like yours
    # `python` on PATH is the one with pytest, as in a project's own virtualenv.
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.chdir(checkout)
    return checkout


@pytest.mark.parametrize(("heading", "code"), RUN, ids=[h for h, _ in RUN])
def test_the_example_runs_as_written(
    scene: Path, heading: str, code: str, capsys: pytest.CaptureFixture[str]
) -> None:
    exec(compile(code, heading, "exec"), {"__name__": "__example__"})
    out = capsys.readouterr().out
    for expected in EXPECTED[heading]:
        assert expected in out, f"{heading}: {expected!r} not in\n{out}"
    if heading == "AlertManager":
        types = [r["type"] for r in read_jsonl(scene / ".state" / "alerts.jsonl")]
        assert types == ["patch_failed", "queue_backlog"]
