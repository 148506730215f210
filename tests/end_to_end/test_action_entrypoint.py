"""entrypoint.py run exactly as the runner runs the action's last step: a process with the
runner's environment (GITHUB_WORKSPACE, GITHUB_REPOSITORY, GITHUB_API_URL pointing at the
loopback fake GitHub, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, GITHUB_EVENT_PATH, ...) and the INPUT_
variables as action.yml's `env:` maps them (evaluated from action.yml itself). Only the forge's
pacing waits are dropped, as in every forge test; the scorers are the real ones."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from error_fix.decision import PatchDecision
from error_fix.patch import read_patch
from tests.fakes.github_server import FakeGitHub, FakeRepo
from tests.integration.action_helpers import (
    ENTRYPOINT,
    Command,
    RunnerFiles,
    input_values,
    runner_env,
    step_env,
    workflow_commands,
)
from tests.integration.github_helpers import (
    FAST,
    REPO,
    diff_for,
    make_verdict,
)
from tests.sample import DIVIDE_FIX, dedent

FIXED_OPS = dedent(DIVIDE_FIX["src/calc/ops.py"])
ERROR = {"id": "div-zero", "title": "ZeroDivisionError in divide", "source": "sentry"}
SCORERS = ("Tests", "Linting", "Type Checking", "Security Scan", "Coverage")
BOOT = (
    "import json, runpy, sys\n"
    "from error_fix.forge.github import GitHubForge\n"
    "GitHubForge.__init__.__kwdefaults__.update(json.loads(sys.argv[1]))\n"
    "sys.argv = [sys.argv[2]]\n"
    "runpy.run_path(sys.argv[0], run_name='__main__')\n"
)


@dataclass
class Step:
    """What one run of the step left behind."""

    code: int
    stdout: str
    stderr: str
    files: RunnerFiles

    @property
    def outputs(self) -> dict[str, str]:
        return self.files.outputs()

    @property
    def summary(self) -> str:
        return self.files.summary.read_text(encoding="utf-8")

    @property
    def commands(self) -> list[Command]:
        return workflow_commands(self.stdout)

    def named(self, name: str) -> list[Command]:
        return [c for c in self.commands if c.name == name]


def artifact(checkout: Path, where: Path, files: dict[str, str | None]) -> Path:
    where.mkdir(parents=True)
    (where / "fix.patch").write_bytes(diff_for(checkout, files))
    (where / "error.json").write_text(json.dumps(ERROR))
    return where


def verdict_file(checkout: Path, patch_dir: Path, decision: PatchDecision) -> Path:
    """A verdict for the patch, as a score job would have uploaded it."""
    patch = read_patch(patch_dir, max_bytes=1 << 20, allow_binary=False, protected=())
    path = patch_dir.parent / "verdict" / "verdict.json"
    path.parent.mkdir()
    path.write_text(make_verdict(checkout, patch, decision).to_json())
    return path


def run_step(gh: FakeGitHub, checkout: Path, root: Path, **given: str) -> Step:
    """The action's `run` step: INPUT_ variables from action.yml's env for these inputs."""
    files = RunnerFiles(root)
    github = {"token": gh.write_token, "action_path": str(ENTRYPOINT.parent)}
    context = {
        "inputs": input_values(given, github),
        "github": github,
        "steps": {"prepare": {"outputs": {"venv": str(Path(sys.executable).parents[1])}}},
    }
    env = runner_env(files, checkout, api_url=gh.api_url, repository=REPO)
    env.update(step_env("run", context))
    result = subprocess.run(
        [sys.executable, "-c", BOOT, json.dumps(FAST), str(ENTRYPOINT)],
        env=env,
        cwd=checkout,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return Step(result.returncode, result.stdout, result.stderr, files)


def assert_confidence_table(summary: str, decision: str) -> None:
    rows = [line for line in summary.splitlines() if line.startswith("| ")]
    assert rows[0] == "| Check | Score | Status | Notes |"
    labels = [row.split("|")[1].strip() for row in rows[1:7]]
    assert labels == [*SCORERS, "**Overall**"]
    assert rows[6].endswith(f"| **{decision}** |")


def test_score_then_publish_in_two_steps(
    gh: FakeGitHub, remote: FakeRepo, checkout: Path, tmp_path: Path
) -> None:
    remote.required_checks["main"] = ["ci"]
    remote.allow_auto_merge = True
    patch = artifact(checkout, tmp_path / "artifact", DIVIDE_FIX)

    score = run_step(gh, checkout, tmp_path / "score", mode="score", patch=str(patch))
    assert score.code == 0, score.stdout + score.stderr
    out = score.outputs
    assert out["decision"] == "auto_merge" and out["outcome"] == "scored"
    assert float(out["confidence"]) == 1.0
    assert out["pr-number"] == out["pr-url"] == out["branch"] == ""
    verdict = Path(out["verdict-path"])
    assert verdict.parent == score.files.temp / "error-fix"
    assert json.loads(verdict.read_text())["decision"] == "auto_merge"
    assert_confidence_table(score.summary, "auto_merge")
    assert "**Scored only:**" in score.summary
    assert "`tests/test_ops.py::test_divide_by_zero`" in score.summary  # the F2P evidence
    groups = [c.message for c in score.named("group")]
    # One group per scorer, and one for the mutation stage a fix that would merge goes through.
    assert [g.split(":")[0] for g in sorted(groups)] == sorted([*SCORERS, "Mutation"])
    assert all(g.endswith(" s)") for g in groups)  # each with its duration
    # A score step is never given the token, and never talks to GitHub.
    assert gh.write_token not in score.stdout + score.summary
    assert not score.named("add-mask")
    assert gh.request_count() == 0

    publish = run_step(
        gh,
        checkout,
        tmp_path / "publish",
        mode="publish",
        patch=str(patch),
        verdict=str(verdict.parent),  # the folder the artifact was downloaded to
    )
    assert publish.code == 0, publish.stdout + publish.stderr
    assert publish.stdout.splitlines()[0] == f"::add-mask ::{gh.write_token}"
    out = publish.outputs
    # Made where the patch's code ran: capped at auto_merge_pr, armed, merged by the checks.
    assert out["decision"] == "auto_merge_pr"
    assert out["outcome"] == "auto_merge_armed"
    assert out["pr-number"] == "1" and out["pr-url"].endswith("/acme/app/pull/1")
    assert out["branch"] == "error-fix/div-zero"
    assert out["verdict-path"] == str(verdict)
    assert remote.pull(1).state == "open"
    assert remote.read_file("error-fix/div-zero", "src/calc/ops.py") == FIXED_OPS
    assert_confidence_table(publish.summary, "auto_merge_pr")
    assert "The score job decided `auto_merge`" in publish.summary
    assert "**Published:** `auto_merge_armed` · [PR #1]" in publish.summary
    everything = publish.stdout + publish.stderr + publish.summary + json.dumps(out)
    assert everything.count(gh.write_token) == 1  # only in the add-mask line
    notice = publish.named("notice")[-1]
    assert notice.message == "auto_merge_pr (confidence 1.00): auto_merge_armed, PR #1"
    gh.complete_checks(1, repo=remote)
    assert remote.read_file("main", "src/calc/ops.py") == FIXED_OPS


def test_all_mode_decides_and_merges_in_one_step(
    gh: FakeGitHub, remote: FakeRepo, checkout: Path, tmp_path: Path
) -> None:
    patch = artifact(checkout, tmp_path / "artifact", DIVIDE_FIX)
    step = run_step(gh, checkout, tmp_path / "all", patch=str(patch))  # mode defaults to all
    assert step.code == 0, step.stdout + step.stderr
    out = step.outputs
    assert (out["decision"], out["outcome"], out["pr-number"]) == ("auto_merge", "merged", "1")
    assert remote.read_file("main", "src/calc/ops.py") == FIXED_OPS
    assert_confidence_table(step.summary, "auto_merge")
    assert "**Published:** `merged`" in step.summary
    assert "test_divide_by_zero" in (remote.pull(1).body or "")
    assert step.stdout.splitlines()[0] == f"::add-mask ::{gh.write_token}"


def test_introduced_findings_become_annotations_at_file_and_line(
    gh: FakeGitHub, checkout: Path, tmp_path: Path
) -> None:
    careless = (
        dedent(DIVIDE_FIX["src/calc/ops.py"]).replace(
            '"""Arithmetic."""\n', '"""Arithmetic."""\nimport os\n'
        )
        + "\n\ndef half(x: int) -> int:\n    return x / 2\n"
    )
    patch = artifact(checkout, tmp_path / "artifact", {**DIVIDE_FIX, "src/calc/ops.py": careless})
    step = run_step(gh, checkout, tmp_path / "score", mode="score", patch=str(patch))
    assert step.code == 0, step.stdout + step.stderr
    errors, warnings = step.named("error"), step.named("warning")
    type_error = next(c for c in errors if "half" in c.message or "return" in c.message)
    assert type_error.properties["file"] == "src/calc/ops.py"
    assert type_error.properties["line"] == str(careless.splitlines().index("    return x / 2") + 1)
    assert type_error.properties["title"] == "error-fix types: introduced by this patch"
    unused = next(c for c in warnings if c.message.startswith("F401"))
    assert (unused.properties["file"], unused.properties["line"]) == ("src/calc/ops.py", "2")
    # Errors (most severe) come before warnings.
    names = [c.name for c in step.commands if c.name in ("error", "warning")]
    assert names == sorted(names, key=lambda n: n != "error")
    assert "### Introduced findings" in step.summary
    assert "| Type Checking | `src/calc/ops.py:" in step.summary
    assert step.outputs["decision"] in ("auto_merge_pr", "manual_review")


def test_all_mode_puts_the_verdict_on_the_fix_commit_as_a_check_run(
    gh: FakeGitHub, remote: FakeRepo, checkout: Path, tmp_path: Path
) -> None:
    """A fix that also adds an unused import: scored for real, published, and the lint finding
    sits on the patch's added line in the `error-fix` check run of the fix commit, where the
    PR shows it (not as an annotation of this step, on the commit the workflow ran on)."""
    remote.required_checks["main"] = ["ci"]
    remote.allow_auto_merge = True
    careless = FIXED_OPS.replace('"""Arithmetic."""\n', '"""Arithmetic."""\nimport os\n')
    patch = artifact(checkout, tmp_path / "artifact", {**DIVIDE_FIX, "src/calc/ops.py": careless})
    step = run_step(gh, checkout, tmp_path / "all", patch=str(patch))
    assert step.code == 0, step.stdout + step.stderr
    assert step.outputs["decision"] == "auto_merge_pr"  # the lint finding costs the merge
    assert step.outputs["outcome"] == "auto_merge_armed"
    [run] = remote.check_runs("error-fix/div-zero", "error-fix")
    assert run.head_sha == remote.ref_sha("error-fix/div-zero")
    assert run.conclusion == "success"
    assert (run.title or "").startswith("auto_merge_pr · confidence ")
    [unused] = [a for a in run.annotations if a["message"].startswith("F401")]
    added = careless.splitlines().index("import os") + 1
    assert (unused["path"], unused["start_line"], unused["end_line"]) == (
        "src/calc/ops.py",
        added,
        added,
    )
    assert not [c for c in step.named("warning") if c.message.startswith("F401")]
    assert f"annotated on the fix commit: {gh.base_url}/acme/app/runs/{run.id}" in step.stdout
    assert f"[check run `error-fix`]({gh.base_url}/acme/app/runs/{run.id})" in step.summary


def _unusable(kind: str, root: Path) -> Path:
    where = root / "artifact"
    if kind == "missing":
        return where
    where.mkdir()
    if kind == "two-patches":
        for name in ("a.patch", "b.diff"):
            (where / name).write_text("diff --git a/x b/x\n")
    elif kind == "not-a-patch":
        (where / "fix.patch").write_text("Thanks for the report! We fixed it.\n")
    return where  # "empty": an empty folder


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("missing", "patch not found"),
        ("empty", "no *.patch or *.diff file"),
        ("two-patches", "holds 2 patches (a.patch, b.diff); exactly one expected"),
        ("not-a-patch", "malformed patch"),
    ],
)
def test_an_unusable_artifact_fails_the_step_and_publishes_nothing(
    gh: FakeGitHub, remote: FakeRepo, checkout: Path, tmp_path: Path, kind: str, reason: str
) -> None:
    patch = _unusable(kind, tmp_path)
    step = run_step(gh, checkout, tmp_path / "step", mode="all", patch=str(patch))
    assert step.code == 1
    errors = step.named("error")
    assert len(errors) == 1
    assert errors[0].message.startswith("rejected: ") and reason in errors[0].message
    assert "\n" not in errors[0].message
    out = step.outputs
    assert (out["decision"], out["outcome"]) == ("rejected", "nothing")
    assert reason in out["reason"]
    assert "## error-fix: `rejected`" in step.summary and "Nothing was published." in step.summary
    assert remote.branches() == ["main"] and remote.pulls() == []
    assert gh.request_count("POST") == 0


def test_publish_refuses_a_patch_that_is_not_the_verdicts(
    gh: FakeGitHub, remote: FakeRepo, checkout: Path, tmp_path: Path
) -> None:
    patch = artifact(checkout, tmp_path / "artifact", DIVIDE_FIX)
    verdict = verdict_file(checkout, patch, PatchDecision.AUTO_MERGE)
    swapped = artifact(checkout, tmp_path / "swapped", {"src/calc/ops.py": "import os\n"})
    step = run_step(
        gh,
        checkout,
        tmp_path / "publish",
        mode="publish",
        patch=str(swapped),
        verdict=str(verdict),
    )
    assert step.code == 1
    [error] = step.named("error")
    assert "not the one the verdict was made for" in error.message
    assert (step.outputs["decision"], step.outputs["outcome"]) == ("rejected", "nothing")
    assert gh.request_count() == 0 and remote.branches() == ["main"]


def test_a_forge_failure_fails_the_step_with_the_forges_message(
    gh: FakeGitHub, remote: FakeRepo, checkout: Path, tmp_path: Path
) -> None:
    patch = artifact(checkout, tmp_path / "artifact", DIVIDE_FIX)
    verdict = verdict_file(checkout, patch, PatchDecision.MANUAL_REVIEW)
    gh.inject("POST", r"/pulls$", 502, times=None)
    step = run_step(
        gh, checkout, tmp_path / "publish", mode="publish", patch=str(patch), verdict=str(verdict)
    )
    assert step.code == 3
    [error] = step.named("error")
    assert error.message.startswith("could not open a PR for error-fix/div-zero")
    assert step.outputs["outcome"] == "failed"
    assert remote.branches() == ["main"]  # the branch made before the failure was deleted
    gh.clear_faults()


def test_bad_inputs_fail_with_one_line(gh: FakeGitHub, checkout: Path, tmp_path: Path) -> None:
    step = run_step(gh, checkout, tmp_path / "a", mode="deploy", patch="x.patch")
    assert step.code == 2
    [error] = step.named("error")
    assert error.message == "input mode must be one of score, publish, all, install, got 'deploy'"
    assert step.outputs["outcome"] == "failed"
    step = run_step(gh, checkout, tmp_path / "b", mode="publish", patch="x.patch")
    assert step.code == 2
    assert step.named("error")[0].message.startswith("input verdict is required in mode publish")
    step = run_step(gh, checkout, tmp_path / "c", mode="score", patch="x", **{"dry-run": "maybe"})
    assert step.code == 2
    assert "input dry-run must be true or false" in step.named("error")[0].message
    assert gh.request_count() == 0


def test_publish_dry_run_checks_the_patch_and_contacts_nobody(
    gh: FakeGitHub, checkout: Path, tmp_path: Path
) -> None:
    patch = artifact(checkout, tmp_path / "artifact", DIVIDE_FIX)
    verdict = verdict_file(checkout, patch, PatchDecision.AUTO_MERGE)
    step = run_step(
        gh,
        checkout,
        tmp_path / "publish",
        mode="publish",
        patch=str(patch),
        verdict=str(verdict),
        **{"dry-run": "true"},
    )
    assert step.code == 0, step.stdout + step.stderr
    out = step.outputs
    assert (out["decision"], out["outcome"]) == ("auto_merge_pr", "dry_run")
    assert "**Dry run:** nothing was published." in step.summary
    assert gh.request_count() == 0


def test_publish_with_trust_verdict_acts_on_auto_merge_as_such(
    gh: FakeGitHub, remote: FakeRepo, checkout: Path, tmp_path: Path
) -> None:
    patch = artifact(checkout, tmp_path / "artifact", DIVIDE_FIX)
    verdict = verdict_file(checkout, patch, PatchDecision.AUTO_MERGE)
    step = run_step(
        gh,
        checkout,
        tmp_path / "publish",
        mode="publish",
        patch=str(patch),
        verdict=str(verdict),
        **{"trust-verdict": "true"},
    )
    assert step.code == 0, step.stdout + step.stderr
    assert (step.outputs["decision"], step.outputs["outcome"]) == ("auto_merge", "merged")
    assert remote.read_file("main", "src/calc/ops.py") == FIXED_OPS


def test_unusable_verdict_config_or_token_fail_with_one_line(
    gh: FakeGitHub, remote: FakeRepo, checkout: Path, tmp_path: Path
) -> None:
    patch = artifact(checkout, tmp_path / "artifact", DIVIDE_FIX)
    verdict = verdict_file(checkout, patch, PatchDecision.AUTO_MERGE_PR)
    cases = [
        ({"verdict": str(tmp_path / "nowhere.json")}, 2, "cannot read verdict"),
        ({"verdict": str(verdict), "config": "missing.toml"}, 2, "config file not found"),
        ({"verdict": str(verdict), "github-token": ""}, 3, "no GitHub token"),
        ({"verdict": str(verdict), "github-token": "ghs_wrong"}, 3, "rejected the token"),
    ]
    for n, (given, code, message) in enumerate(cases):
        step = run_step(
            gh, checkout, tmp_path / f"step{n}", mode="publish", patch=str(patch), **given
        )
        assert step.code == code, (given, step.stdout, step.stderr)
        [error] = step.named("error")
        assert message in error.message
        assert step.outputs["outcome"] == "failed" and message in step.outputs["reason"]
    assert remote.branches() == ["main"]
