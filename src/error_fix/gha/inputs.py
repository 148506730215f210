"""What the step was asked to do: the ``INPUT_<NAME>`` variables, checked, and the secrets among
them masked and taken out of the environment."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path

import github_action_utils as gha

MODES = ("score", "publish", "all", "install")
SECRET_INPUTS = ("github-token", "slack-webhook-url", "checks-token")
INPUT_NAMES = (
    "patch",
    "mode",
    "verdict",
    "trust-verdict",
    *SECRET_INPUTS,
    "base",
    "working-directory",
    "test-command",
    "python",
    "auto-merge-threshold",
    "pr-threshold",
    "merge-method",
    "labels",
    "protected-paths",
    "sandbox",
    "config",
    "dry-run",
    "output-dir",
    "review-conclusion",
)
"""Every input this package reads (action.yml maps each to INPUT_<NAME>; the others — cache,
action-python — only steer the install)."""
_OVERRIDES = {
    "test-command": "test_command",
    "python": "python",
    "auto-merge-threshold": "auto_merge_threshold",
    "pr-threshold": "pr_threshold",
    "merge-method": "merge_method",
    "labels": "labels",
    "protected-paths": "protected_paths",
    "sandbox": "sandbox",
    "review-conclusion": "review_conclusion",
}


class InputError(Exception):
    """An input is missing or has a bad value (exit 2); the message names it."""


def _input(name: str) -> str:
    """The input's value, trimmed; '' when the step does not set it."""
    assert name in INPUT_NAMES, name
    return (gha.get_user_input(name) or "").strip()


def _flag(name: str) -> bool:
    value = _input(name)
    if not value:
        return False
    try:
        return bool(gha.get_boolean_input(name))
    except ValueError:
        raise InputError(f"input {name} must be true or false, got {value!r}") from None


def mask_secrets(environ: MutableMapping[str, str] = os.environ) -> dict[str, str]:
    """Mask every secret input in the log at once, then take it out of the environment (no
    process error-fix starts inherits it). Returns the secrets by input name."""
    secrets: dict[str, str] = {}
    masked: set[str] = set()
    for name in SECRET_INPUTS:
        key = f"INPUT_{name.upper()}"
        value = environ.pop(key, "").strip()
        if value:
            for line in value.splitlines():
                if line.strip() and line.strip() not in masked:
                    gha.add_mask(line.strip())
                    masked.add(line.strip())
            secrets[name] = value
    return secrets


@dataclass(frozen=True)
class ActionInputs:
    """What the step was asked to do."""

    mode: str
    """score, publish, all or install."""
    workspace: Path
    """GITHUB_WORKSPACE: relative paths in inputs start here."""
    repo: Path
    """The checkout to score against or publish from (``working-directory``)."""
    patch: Path | None
    """Patch file or artifact folder."""
    verdict: Path | None
    """Verdict JSON (or a folder holding verdict.json) for publish."""
    base: str
    """Base revision to score against."""
    config: Path | None
    """TOML file with [tool.error-fix] settings."""
    overrides: Mapping[str, str]
    """Settings given as inputs (field name → text), the rest come from the configuration."""
    output_dir: Path
    """Where the verdict is written."""
    dry_run: bool
    """Decide, but publish nothing."""
    trust_verdict: bool
    """Act on an auto_merge verdict made elsewhere as such."""
    token: str | None = field(default=None, repr=False)
    """GitHub token (never printed)."""
    slack_webhook_url: str | None = field(default=None, repr=False)
    """Slack incoming-webhook URL (never printed)."""
    checks_token: str | None = field(default=None, repr=False)
    """The workflow's own token, for the check run (action.yml passes it; never printed)."""

    @property
    def publishes(self) -> bool:
        return self.mode in ("publish", "all") and not self.dry_run


def read_inputs(secrets: Mapping[str, str]) -> ActionInputs:
    """Read and check the INPUT_ variables; raise InputError naming a bad one."""
    env = os.environ
    mode = _input("mode") or "all"
    if mode not in MODES:
        raise InputError(f"input mode must be one of {', '.join(MODES)}, got {mode!r}")
    workspace = Path(env.get("GITHUB_WORKSPACE") or Path.cwd()).resolve()

    def path(name: str) -> Path | None:
        value = _input(name)
        return (workspace / value).resolve() if value else None

    patch = path("patch")
    if patch is None and mode != "install":
        raise InputError(f"input patch is required in mode {mode}: a patch file or artifact folder")
    verdict = path("verdict")
    if verdict is None and mode == "publish":
        raise InputError("input verdict is required in mode publish: the score job's verdict")
    default_out = Path(env.get("RUNNER_TEMP") or tempfile.gettempdir()) / "error-fix"
    return ActionInputs(
        mode=mode,
        workspace=workspace,
        repo=path("working-directory") or workspace,
        patch=patch,
        verdict=verdict,
        base=_input("base") or "HEAD",
        config=path("config"),
        overrides={field: _input(name) for name, field in _OVERRIDES.items() if _input(name)},
        output_dir=path("output-dir") or default_out,
        dry_run=_flag("dry-run"),
        trust_verdict=_flag("trust-verdict"),
        token=secrets.get("github-token"),
        slack_webhook_url=secrets.get("slack-webhook-url"),
        checks_token=secrets.get("checks-token"),
    )
