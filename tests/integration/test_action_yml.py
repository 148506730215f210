"""action.yml and the shipped workflows: their shape (inputs, outputs, pins, permissions, no
`${{ }}` in a `run:`), and the composite action's own steps run as the runner runs them, in a
temporary action folder — the private virtualenv installed offline from a local wheelhouse with
hash checking, then the entrypoint scoring a real project with it.

The wheelhouse (.ci/wheelhouse) is made by `bash .ci/run`, which may reach the package index;
the tests only use loopback. Without it the install test fails and says how to make it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from error_fix import gha
from tests.integration.action_helpers import (
    ACTION_YML,
    PINNED,
    ROOT,
    WORKFLOWS,
    RunnerFiles,
    evaluate,
    input_values,
    interpolate,
    load_action,
    read_file_commands,
    run_bash,
    runner_env,
    step_env,
    uses_lines,
    workflow_commands,
)
from tests.sample import CALC, DIVIDE_FIX, SampleRepo

WHEELHOUSE = ROOT / ".ci" / "wheelhouse"
MAKE_WHEELHOUSE = (
    "the action's offline wheelhouse is missing or stale: run `bash .ci/run` once (it needs "
    "the package index), or `python -m pip download --require-hashes --only-binary=:all: "
    "-r requirements/action.txt -d .ci/wheelhouse` with this interpreter"
)
STEP_IDS = ["prepare", None, "install", None, "run"]
CACHE_ACTIONS = re.compile(r"^actions/cache/(restore|save)@[0-9a-f]{40}$")


def workflows() -> dict[str, dict[str, Any]]:
    return {p.name: yaml.safe_load(p.read_text()) for p in sorted(WORKFLOWS.glob("*.yml"))}


def run_scripts(data: Any) -> list[str]:
    """Every `run:` script in a workflow or action."""
    found: list[str] = []
    if isinstance(data, dict):
        for key, value in data.items():
            if key == "run" and isinstance(value, str):
                found.append(value)
            else:
                found.extend(run_scripts(value))
    elif isinstance(data, list):
        for item in data:
            found.extend(run_scripts(item))
    return found


# ---------------------------------------------------------------------------------------------
# Shape


def test_the_action_is_composite_with_documented_defaulted_inputs() -> None:
    action = load_action()
    assert action["runs"]["using"] == "composite"
    assert set(action["branding"]) == {"icon", "color"}
    for name, spec in action["inputs"].items():
        assert spec.get("description"), name
        assert "default" in spec, name
        assert spec.get("required") is False, name
    assert action["inputs"]["mode"]["default"] == "all"
    assert action["inputs"]["trust-verdict"]["default"] == "false"
    assert action["inputs"]["github-token"]["default"] == "${{ github.token }}"
    assert "ONLY for trusted patch sources" in action["inputs"]["mode"]["description"]
    assert [s.get("id") for s in action["runs"]["steps"]] == STEP_IDS
    for name, spec in action["outputs"].items():
        assert spec["description"], name
        assert spec["value"] == f"${{{{ steps.run.outputs.{name} }}}}"
    assert tuple(action["outputs"]) == gha.OUTPUT_NAMES


def test_every_input_reaches_the_entrypoint_through_env() -> None:
    action = load_action()
    run = next(s for s in action["runs"]["steps"] if s.get("id") == "run")
    mapped = {k for k in run["env"] if k.startswith("INPUT_")}
    assert mapped == {f"INPUT_{name.upper()}" for name in gha.INPUT_NAMES}
    install_only = set(action["inputs"]) - set(gha.INPUT_NAMES)
    assert install_only == {"cache", "action-python"}
    text = ACTION_YML.read_text()
    for name in action["inputs"]:
        assert f"inputs.{name} " in text or f"inputs.{name}}}" in text, name


def test_secrets_are_never_mapped_into_a_score_step() -> None:
    github = {"token": "ghs_workflow_token"}
    given = {"github-token": "ghs_app_token", "slack-webhook-url": "https://hooks.example/x"}
    for mode, visible in (("score", False), ("publish", True), ("all", True)):
        context = {"inputs": input_values({**given, "mode": mode}, github), "github": github}
        env = step_env("run", context)
        assert (env["INPUT_GITHUB-TOKEN"] == "ghs_app_token") is visible
        assert (env["INPUT_SLACK-WEBHOOK-URL"] == "https://hooks.example/x") is visible
        if not visible:
            assert env["INPUT_GITHUB-TOKEN"] == env["INPUT_SLACK-WEBHOOK-URL"] == ""
    defaults = input_values({"mode": "publish"}, github)
    assert defaults["github-token"] == "ghs_workflow_token"


def test_no_expression_inside_a_run_script() -> None:
    documents = {"action.yml": load_action(), **workflows()}
    for name, data in documents.items():
        for script in run_scripts(data):
            assert "${{" not in script, f"{name}: {script[:80]}"


def test_every_action_used_is_pinned_by_commit_with_its_version() -> None:
    for path in [ACTION_YML, *sorted(WORKFLOWS.glob("*.yml"))]:
        for uses in uses_lines(path.read_text()):
            if uses.split(" #")[0] == "./":  # this repository at the workflow's own commit
                continue
            assert PINNED.match(uses), f"{path.name}: {uses}"


def test_workflows_grant_least_permissions() -> None:
    for name, data in workflows().items():
        assert data["permissions"] == {}, name  # nothing by default; each job says what it needs
        for job_name, job in data["jobs"].items():
            assert "permissions" in job, f"{name}: {job_name}"
            assert job.get("timeout-minutes"), f"{name}: {job_name}"
            for step in job["steps"]:
                if str(step.get("uses", "")).startswith("actions/checkout@"):
                    assert step["with"]["persist-credentials"] is False, f"{name}: {job_name}"


def test_the_example_workflow_splits_scoring_from_publishing() -> None:
    flow = workflows()["error-fix.yml"]
    triggers = flow[True]  # YAML 1.1 reads `on` as true
    assert set(triggers) == {"workflow_dispatch", "repository_dispatch"}
    assert "client_payload.patch_id" in flow["concurrency"]["group"]
    score, publish = flow["jobs"]["score"], flow["jobs"]["publish"]
    assert score["permissions"] == {"contents": "read", "actions": "read"}
    assert "secrets." not in yaml.safe_dump(score)
    action_steps = [s for s in score["steps"] if s.get("uses") == "./"]
    assert [s["with"]["mode"] for s in action_steps] == ["score"]
    assert publish["needs"] == "score"
    assert publish["permissions"] == {
        "contents": "write",
        "pull-requests": "write",
        "issues": "write",
        "checks": "write",  # the error-fix check run on the fix commit
        "actions": "read",
    }
    assert not [s for s in publish["steps"] if "run" in s]  # it runs no project code
    [act] = [s for s in publish["steps"] if s.get("uses") == "./"]
    assert act["with"]["mode"] == "publish"
    assert "trust-verdict" not in act["with"]
    assert act["with"]["github-token"].startswith("${{ steps.app-token.outputs.token ||")


def test_the_queue_workflows_run_the_cli_installed_by_the_action() -> None:
    queue = workflows()["review-queue.yml"]
    assert queue[True]["schedule"] == [{"cron": "17 * * * *"}]
    steps = queue["jobs"]["monitor"]["steps"]
    assert {"uses": "./", "with": {"mode": "install"}}.items() <= {**steps[1]}.items()
    assert "error-fix monitor --forge github" in steps[2]["run"]
    assert {"--threshold-count", "--threshold-hours"} <= set(steps[2]["run"].split())
    decision = workflows()["review-decision.yml"]
    assert set(decision[True]["workflow_dispatch"]["inputs"]) == {"pr", "action", "reason"}
    script = decision["jobs"]["decide"]["steps"][-1]["run"]
    assert 'error-fix queue approve "$PR" --forge github' in script
    assert 'error-fix queue reject "$PR" --forge github --reason="$REASON"' in script


# ---------------------------------------------------------------------------------------------
# The steps, run


def _action_folder(where: Path) -> Path:
    """What `uses: org/error-fix-action@sha` downloads: the repository's files."""
    where.mkdir()
    for name in ("action.yml", "entrypoint.py", "pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, where / name)
    shutil.copytree(ROOT / "requirements", where / "requirements")
    shutil.copytree(
        ROOT / "src" / "error_fix",
        where / "src" / "error_fix",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    return where


def _wheelhouse() -> Path:
    stamp = WHEELHOUSE / ".stamp"
    if not stamp.is_file():
        pytest.fail(MAKE_WHEELHOUSE)
    digest = subprocess.run(
        ["sha256sum", str(ROOT / "requirements" / "action.txt")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()[0]
    if stamp.read_text().split()[0] != digest:
        pytest.fail(MAKE_WHEELHOUSE)
    return WHEELHOUSE


class ActionRunner:
    """The composite action's steps, one after the other, as the runner runs them."""

    def __init__(self, action_path: Path, workspace: Path, root: Path, env: dict[str, str]):
        self.action_path = action_path
        self.workspace = workspace
        self.root = root
        self.base_env = env

    def run(self, **given: str) -> tuple[dict[str, dict[str, str]], dict[str, Any]]:
        github = {"token": "", "action_path": str(self.action_path)}
        context: dict[str, Any] = {
            "inputs": input_values(given, github),
            "github": github,
            "runner": {"os": "Linux", "arch": "X64"},
            "steps": {},
        }
        due: dict[str, dict[str, str]] = {}
        for n, step in enumerate(
            yaml.safe_load((self.action_path / "action.yml").read_text())["runs"]["steps"]
        ):
            if not evaluate(str(step.get("if", "true")), context):
                continue
            if "uses" in step:
                assert CACHE_ACTIONS.match(step["uses"]), step["uses"]
                due[step["uses"].split("@")[0]] = {
                    k: interpolate(str(v), context) for k, v in step["with"].items()
                }
                continue  # a cache miss: restore finds nothing, save is recorded above
            files = RunnerFiles(self.root / f"step{n}")
            env = runner_env(files, self.workspace)
            for name in ("COVERAGE_PROCESS_CONFIG", "COVERAGE_PROCESS_START"):
                env.pop(name, None)  # the private venv's copy of error-fix is not under test
            env.update(self.base_env)
            env["GITHUB_ACTION_PATH"] = str(self.action_path)
            env.update({k: interpolate(str(v), context) for k, v in step.get("env", {}).items()})
            result = run_bash(step["run"], env, cwd=self.workspace)
            outputs = read_file_commands(files.output)
            context["steps"][step.get("id", f"step{n}")] = {
                "outputs": outputs,
                "result": result,
                "files": files,
            }
            if step.get("id") != "run":
                assert result.returncode == 0, result.stdout + result.stderr
        return due, context["steps"]


@pytest.mark.slow
def test_the_action_installs_offline_with_hashes_and_scores_a_project(tmp_path: Path) -> None:
    wheelhouse = _wheelhouse()
    action_path = _action_folder(tmp_path / "action")
    repo = SampleRepo(tmp_path / "project", CALC)
    patch = repo.patch_file(DIVIDE_FIX, tmp_path / "artifact", error={"id": "div-zero"})
    offline = {
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": str(wheelhouse),
        "PIP_CONFIG_FILE": os.devnull,
    }
    runner = ActionRunner(action_path, repo.path, tmp_path / "runner", offline)

    due, steps = runner.run(mode="score", patch=str(patch))
    prepare = steps["prepare"]["outputs"]
    venv = action_path / ".error-fix-venv"
    assert prepare["venv"] == str(venv)
    assert prepare["cache"] == "true"  # score: the one mode that uses the cache
    key = prepare["key"]
    assert re.fullmatch(
        r"error-fix-venv-Linux-X64-py3\.\d+\.\d+-[0-9a-f]{8}-[0-9a-f]{16}-[0-9a-f]{16}", key
    )
    restore, save = due["actions/cache/restore"], due["actions/cache/save"]
    assert restore == save == {"path": str(venv), "key": key}
    assert steps["install"]["outputs"] == {"installed": "true"}
    assert (venv / ".error-fix-key").read_text().strip() == key
    run = steps["run"]
    assert run["result"].returncode == 0, run["result"].stdout + run["result"].stderr
    outputs = run["outputs"]
    assert (outputs["decision"], outputs["outcome"]) == ("auto_merge", "scored")
    groups = [c.message for c in workflow_commands(run["result"].stdout) if c.name == "group"]
    assert len(groups) == 6 and all(": ok, score 1.00" in g for g in groups)
    assert groups[-1].startswith("Mutation: ")  # its plug-ins are in the wheel

    # Again, as a later step of the same job: nothing reinstalled, nothing saved; mode install
    # puts error-fix (and only it) on PATH.
    due, steps = runner.run(mode="install")
    assert due == {}
    assert steps["prepare"]["outputs"]["key"] == key
    assert steps["install"]["outputs"] == {"installed": "false"}
    run = steps["run"]
    assert run["result"].returncode == 0, run["result"].stderr
    assert run["outputs"]["executable"] == str(venv / "bin" / "error-fix")
    bin_dir = run["files"].path.read_text().strip()
    assert os.listdir(bin_dir) == ["error-fix"]
    clean = {k: v for k, v in os.environ.items() if not k.startswith("COVERAGE_PROCESS_")}
    version = subprocess.run(
        [str(Path(bin_dir) / "error-fix"), "--version"],
        capture_output=True,
        text=True,
        check=True,
        env=clean,
    )
    assert version.stdout.startswith("error-fix ")


@pytest.mark.slow
def test_a_wheel_that_does_not_match_its_hash_stops_the_install(tmp_path: Path) -> None:
    wheelhouse = _wheelhouse()
    tampered = tmp_path / "wheelhouse"
    tampered.mkdir()
    for wheel in wheelhouse.glob("*.whl"):
        if wheel.name.startswith("tenacity-"):
            (tampered / wheel.name).write_bytes(wheel.read_bytes() + b"\0")
        else:
            (tampered / wheel.name).symlink_to(wheel)
    action_path = _action_folder(tmp_path / "action")
    repo = SampleRepo(tmp_path / "project", CALC)
    runner = ActionRunner(
        action_path,
        repo.path,
        tmp_path / "runner",
        {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(tampered), "PIP_CONFIG_FILE": os.devnull},
    )
    with pytest.raises(AssertionError, match="DO NOT MATCH THE HASHES"):
        runner.run(mode="install")
    assert not (action_path / ".error-fix-venv" / ".error-fix-key").exists()
