"""The `error-fix` command with `--forge github` against the loopback fake GitHub: `publish` (the
privileged half), `apply` (scoring with the real tests scorer, then publishing), the review queue
and status — environment as on GitHub Actions (GITHUB_API_URL, GITHUB_REPOSITORY, GITHUB_TOKEN)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from error_fix.cli import main
from error_fix.decision import PatchDecision
from error_fix.patch import read_patch
from tests.fakes.github_server import FakeGitHub, FakeRepo
from tests.integration.github_helpers import (
    ONE_FILE_FIX,
    diff_for,
    make_verdict,
)
from tests.sample import DIVIDE_FIX, dedent

FIXED_OPS = dedent(DIVIDE_FIX["src/calc/ops.py"])
ERROR = {"id": "div-zero", "title": "ZeroDivisionError in divide", "source": "sentry"}


pytestmark = pytest.mark.usefixtures("github_env")


def artifact(
    checkout: Path, where: Path, files: dict[str, str | None], error_id: str = "div-zero"
) -> Path:
    """A patch artifact folder: fix.patch and error.json."""
    where.mkdir(parents=True)
    (where / "fix.patch").write_bytes(diff_for(checkout, files))
    (where / "error.json").write_text(json.dumps({**ERROR, "id": error_id}))
    return where


def verdict_file(checkout: Path, patch_dir: Path, decision: PatchDecision) -> Path:
    patch = read_patch(patch_dir, max_bytes=1 << 20, allow_binary=False, protected=())
    path = patch_dir.parent / f"verdict-{decision}.json"
    path.write_text(make_verdict(checkout, patch, decision).to_json())
    return path


def publish(checkout: Path, verdict: Path, patch: Path, *extra: str) -> int:
    args = ["publish", "--verdict", str(verdict), "--patch", str(patch), "--repo", str(checkout)]
    return main([*args, "--forge", "github", *extra])


def test_publish_opens_an_armed_pr_and_a_re_run_changes_nothing(
    gh: FakeGitHub,
    remote: FakeRepo,
    checkout: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    remote.required_checks["main"] = ["ci"]
    remote.allow_auto_merge = True
    patch = artifact(checkout, tmp_path / "artifact", ONE_FILE_FIX)
    verdict = verdict_file(checkout, patch, PatchDecision.AUTO_MERGE_PR)
    assert publish(checkout, verdict, patch) == 0
    assert "auto_merge_armed: PR #1" in capsys.readouterr().out
    assert remote.read_file("error-fix/div-zero", "src/calc/ops.py") == FIXED_OPS
    for _ in range(2):
        assert publish(checkout, verdict, patch, "--json") == 0
        assert json.loads(capsys.readouterr().out)["outcome"] == "unchanged"
    assert len(remote.pulls()) == 1
    gh.complete_checks(1, repo=remote)
    assert remote.read_file("main", "src/calc/ops.py") == FIXED_OPS


def test_publish_refuses_a_patch_that_is_not_the_verdicts(
    gh: FakeGitHub,
    remote: FakeRepo,
    checkout: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    patch = artifact(checkout, tmp_path / "artifact", ONE_FILE_FIX)
    verdict = verdict_file(checkout, patch, PatchDecision.AUTO_MERGE)
    swapped = artifact(checkout, tmp_path / "swapped", {"src/calc/ops.py": "import os\n"})
    assert publish(checkout, verdict, swapped) == 1
    assert "not the one the verdict was made for" in capsys.readouterr().err
    unsafe = tmp_path / "unsafe"
    unsafe.mkdir()
    (unsafe / "fix.patch").write_bytes(
        b"diff --git a/.github/workflows/x.yml b/.github/workflows/x.yml\nnew file mode 100644\n"
        b"--- /dev/null\n+++ b/.github/workflows/x.yml\n@@ -0,0 +1 @@\n+on: push\n"
    )
    assert publish(checkout, verdict, unsafe) == 1
    assert "protected path" in capsys.readouterr().err
    assert gh.request_count() == 0  # refused before anything was sent
    assert remote.branches() == ["main"]


@pytest.mark.parametrize("trust", [False, True])
def test_publish_never_merges_blind_on_a_verdict_made_elsewhere(
    remote: FakeRepo,
    checkout: Path,
    tmp_path: Path,
    trust: bool,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """No required checks on main: an auto_merge verdict (which the scoring job could have
    forged) goes to review unless the verdict is explicitly trusted."""
    remote.allow_auto_merge = True
    patch = artifact(checkout, tmp_path / "artifact", ONE_FILE_FIX)
    verdict = verdict_file(checkout, patch, PatchDecision.AUTO_MERGE)
    assert publish(checkout, verdict, patch, *(["--trust-verdict"] if trust else [])) == 0
    out = capsys.readouterr().out
    if trust:
        assert out.startswith("merged: PR #1")
        assert remote.read_file("main", "src/calc/ops.py") == FIXED_OPS
    else:
        assert out.startswith(
            "needs_review: PR #1 labelled for review: main has no branch protection"
        )
        assert remote.read_file("main", "src/calc/ops.py") != FIXED_OPS
        assert "error-fix:needs-review" in remote.pull(1).labels


def test_publish_of_a_rejected_verdict_does_nothing(
    gh: FakeGitHub,
    remote: FakeRepo,
    checkout: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    patch = artifact(checkout, tmp_path / "artifact", ONE_FILE_FIX)
    verdict = verdict_file(checkout, patch, PatchDecision.REJECTED)
    assert publish(checkout, verdict, patch) == 1
    assert "nothing to publish" in capsys.readouterr().out
    assert gh.request_count() == 0 and remote.branches() == ["main"]


def test_publish_failures_exit_3_with_one_clear_line(
    gh: FakeGitHub,
    remote: FakeRepo,
    checkout: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    patch = artifact(checkout, tmp_path / "artifact", ONE_FILE_FIX)
    verdict = verdict_file(checkout, patch, PatchDecision.MANUAL_REVIEW)
    gh.inject("POST", r"/pulls$", 502, times=None)
    assert publish(checkout, verdict, patch) == 3
    out = capsys.readouterr().out
    assert out.startswith("failed: could not open a PR for error-fix/div-zero")
    assert "error-fix/div-zero was deleted" in out
    assert remote.branches() == ["main"]
    gh.clear_faults()
    monkeypatch.delenv("GITHUB_TOKEN")
    assert publish(checkout, verdict, patch) == 3
    err = capsys.readouterr().err
    assert err.startswith("error-fix: no GitHub token") and len(err.splitlines()) == 1


def test_apply_scores_then_merges_through_github(
    gh: FakeGitHub,
    remote: FakeRepo,
    checkout: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    patch = artifact(checkout, tmp_path / "artifact", DIVIDE_FIX)
    code = main(
        [
            "apply",
            "--repo",
            str(checkout),
            "--patch",
            str(patch),
            "--python",
            sys.executable,
            "--disable",
            "lint,types,security,coverage",
            "--forge",
            "auto",  # GITHUB_REPOSITORY is set: GitHub
            "--json",
        ]
    )
    document = json.loads(capsys.readouterr().out)
    assert code == 0, document
    assert document["decision"] == "auto_merge"
    assert document["forge"]["outcome"] == "merged"
    assert remote.read_file("main", "src/calc/ops.py") == FIXED_OPS
    assert "test_divide_by_zero" in (remote.pull(1).body or "")


def test_queue_approve_reject_and_status_through_the_command_line(
    gh: FakeGitHub,
    remote: FakeRepo,
    checkout: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for n, files in enumerate([ONE_FILE_FIX, {"src/calc/ops.py": FIXED_OPS + "# v2\n"}]):
        patch = artifact(checkout, tmp_path / f"artifact{n}", files, f"err-{n}")
        verdict = verdict_file(checkout, patch, PatchDecision.MANUAL_REVIEW)
        assert publish(checkout, verdict, patch) == 0
    capsys.readouterr()
    repo = ["--repo", str(checkout), "--forge", "github"]
    assert main(["queue", "list", *repo, "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(e["id"], e["branch"], e["status"]) for e in listed] == [
        ("1", "error-fix/err-0", "needs-review"),
        ("2", "error-fix/err-1", "needs-review"),
    ]
    assert listed[0]["url"].endswith("/acme/app/pull/1")
    assert main(["status", *repo, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["queue"]["total_pending"] == 2
    monkeypatch.setenv("GITHUB_ACTOR", "alice")
    assert main(["queue", "approve", "1", *repo]) == 0
    assert capsys.readouterr().out.startswith("merged: approved by alice")
    assert remote.read_file("main", "src/calc/ops.py") == FIXED_OPS
    assert main(["queue", "reject", "2", "--reason", "not needed", *repo]) == 0
    assert "error-fix/err-1" not in remote.branches()
    assert main(["queue", "approve", "2", *repo]) == 3
    assert "PR #2 is not pending (it is closed)" in capsys.readouterr().err
    assert main(["queue", "list", *repo]) == 0
    assert "The review queue is empty." in capsys.readouterr().out


def test_help_does_not_import_pygithub() -> None:
    probe = (
        "import sys\nfrom error_fix.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "assert not any(m == 'github' or m.startswith('github.') for m in sys.modules)\n"
        "main(['publish', '--help'])\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert "--verdict" in result.stdout and "--forge {local,github,auto}" in result.stdout
    assert "AssertionError" not in result.stderr
