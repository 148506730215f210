"""The demo, the review queue and status through the CLI, in one throwaway repository."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from error_fix.cli import main
from tests.sample import git


@pytest.fixture(scope="module")
def demo_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("demo")
    assert main(["demo", "--dir", str(root), "--python", sys.executable]) == 0
    return root / "pricing"


def test_demo_builds_a_repo_and_refuses_to_overwrite_it(
    demo_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (demo_repo / ".state" / "patch_decisions.jsonl").is_file()
    assert main(["demo", "--dir", str(demo_repo.parent)]) == 2
    assert "already exists" in capsys.readouterr().out


def test_queue_list_shows_the_careless_fix(
    demo_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["queue", "list", "--repo", str(demo_repo), "--json"]) == 0
    entries = {e["id"]: e for e in json.loads(capsys.readouterr().out)}
    bad = entries["pricing-mean-price-zero-division-v2"]
    assert (bad["status"], bad["decision"]) == ("needs-review", "manual_review")
    assert main(["queue", "list", "--repo", str(demo_repo)]) == 0
    assert "pricing-mean-price-zero-division-v2" in capsys.readouterr().out


def test_approving_a_fix_that_conflicts_with_main_fails_and_leaves_the_checkout_clean(
    demo_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        ["queue", "approve", "pricing-mean-price-zero-division-v2", "--repo", str(demo_repo)]
    )
    assert code == 3
    assert "conflicts with main; left for review" in capsys.readouterr().out
    assert git(demo_repo, "status", "--porcelain") == ""
    main(["queue", "list", "--repo", str(demo_repo), "--json"])
    assert "pricing-mean-price-zero-division-v2" in capsys.readouterr().out  # still queued


def test_apply_then_approve_round_trip(
    demo_repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    patch = tmp_path / "feature.patch"
    patch.write_text(
        "diff --git a/src/pricing/extra.py b/src/pricing/extra.py\nnew file mode 100644\n"
        "--- /dev/null\n+++ b/src/pricing/extra.py\n@@ -0,0 +1,5 @@\n"
        '+"""Extras."""\n+\n+\n+def priciest(prices: list[float]) -> float:\n+    return max(prices)\n'
    )
    code = main(
        [
            "apply",
            "--repo",
            str(demo_repo),
            "--patch",
            str(patch),
            "--python",
            sys.executable,
            "--json",
        ]
    )
    assert code == 0
    applied = json.loads(capsys.readouterr().out)
    assert applied["decision"] in ("auto_merge_pr", "manual_review")  # nothing proves it
    assert applied["forge"]["outcome"] in ("queued", "needs_review")
    fix_id = applied["patch"]["identity"]
    events = [
        json.loads(line) for line in (demo_repo / ".state/events.jsonl").read_text().splitlines()
    ]
    assert [e["event_type"] for e in events][-10:] == [
        "task_started",
        "patch_validation_started",
        *["scorer_completed"] * 5,
        "patch_validation_completed",
        "patch_published",
        "task_completed",
    ]
    assert main(["queue", "approve", fix_id, "--repo", str(demo_repo), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["outcome"] == "merged"
    assert "def priciest" in git(demo_repo, "show", "main:src/pricing/extra.py")
    assert (demo_repo / "src/pricing/extra.py").is_file()  # the checked-out main followed


def test_reject_then_status(demo_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "queue",
            "reject",
            "pricing-mean-price-zero-division-v2",
            "--repo",
            str(demo_repo),
            "--reason",
            "breaks mean_price",
        ]
    )
    assert code == 0
    assert "rejected by" in capsys.readouterr().out
    branches = git(demo_repo, "branch", "--format=%(refname:short)").split()
    assert "error-fix/pricing-mean-price-zero-division-v2" not in branches
    assert main(["status", "--repo", str(demo_repo), "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["decisions"]["auto_merge"] == 1
    assert status["decisions"]["manual_review"] >= 1
    assert status["queue"]["total_pending"] == 0
    assert main(["status", "--repo", str(demo_repo)]) == 0
    assert "Queue health: good" in capsys.readouterr().out


def test_unknown_queue_id_is_a_clear_failure(
    demo_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["queue", "approve", "nope", "--repo", str(demo_repo)]) == 3
    assert "no queued fix with id 'nope'" in capsys.readouterr().err
