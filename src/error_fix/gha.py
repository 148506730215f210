"""GitHub Actions runtime (inputs, outputs, summary, masking) via github-action-utils.

``entrypoint.py`` calls :func:`main`; action.yml runs it with error-fix's private virtualenv.
Inputs arrive as ``INPUT_<NAME>`` variables, hyphens kept (the composite action maps each one
explicitly); outputs go to ``GITHUB_OUTPUT`` in the random-delimiter form; the job summary gets
the confidence table, the gates, the proof of fix and the introduced findings.

Modes:

- ``score`` — the untrusted half: runs the patch's code, so the step holds no secret (action.yml
  does not even map the token into it). Writes the verdict for a ``publish`` job.
- ``publish`` — the privileged half, with ``error-fix publish`` semantics: the patch must be the
  one the verdict names (sha256, identity) and pass intake again; ``auto_merge`` is capped at
  ``auto_merge_pr`` unless ``trust-verdict``. Runs no project code.
- ``all`` — both in one step, for trusted patch sources only (the patch's code runs in the step
  that holds the token). The verdict is made here, so it is not capped.
- ``install`` — nothing but error-fix on PATH, for workflows that run the CLI.

Exit codes are the CLI's: 0 decided, 1 rejected, 2 unusable inputs or configuration, 3 failure;
every failure is one ``::error::`` line. Everything the patch controls (tool output, test ids,
file names, titles) is printed inside ``::stop-commands::`` or escaped by the workflow-command
helpers, and made inert in the summary.
"""

from __future__ import annotations

import os
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import github_action_utils as gha

from . import __version__
from .alerting import AlertManager
from .config import COMPONENTS, ConfigError, Settings, load_settings
from .decision import PatchDecision, Verdict, verified_patch
from .events import EventBus, JsonlEventLog, task
from .forge.interface import Forge, ForgeError, Outcome, PublishResult
from .patch import PatchRejected
from .report import LABELS, markdown_report, terminal
from .report import _inline as inline_text
from .scorers.interface import ScorerResult
from .workspace import WorkspaceError, resolve_repo

MODES = ("score", "publish", "all", "install")
EXIT_OK, EXIT_REJECTED, EXIT_USAGE, EXIT_FAILURE = 0, 1, 2, 3
OUTPUT_NAMES = (
    "decision",
    "confidence",
    "outcome",
    "reason",
    "pr-number",
    "pr-url",
    "branch",
    "verdict-path",
    "executable",
)
SECRET_INPUTS = ("github-token", "slack-webhook-url")
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
)
"""Every input this module reads (action.yml maps each to INPUT_<NAME>; the others — cache,
action-python — only steer the install)."""
SUMMARY_LIMIT = 1024 * 1024
"""GitHub refuses a step summary over 1 MiB."""
ANNOTATIONS_PER_TYPE = 10
"""GitHub shows at most 10 annotations of each type (error, warning, notice) per step."""
RESERVED_ANNOTATIONS = 1
"""Kept free of findings for the step's own closing line (its ::error:: or ::notice::)."""
SUMMARY_FINDINGS = 200
"""Introduced findings listed in the summary (the verdict keeps all of them)."""
GROUP_FINDINGS = 50
"""Findings printed in a scorer's log group."""
_SEVERITY_RANK = {"error": 0, "warning": 1, "notice": 2}
_SCORER_RANK = {"security": 0, "tests": 1, "types": 2, "lint": 3, "coverage": 4}
_OVERRIDES = {
    "test-command": "test_command",
    "python": "python",
    "auto-merge-threshold": "auto_merge_threshold",
    "pr-threshold": "pr_threshold",
    "merge-method": "merge_method",
    "labels": "labels",
    "protected-paths": "protected_paths",
    "sandbox": "sandbox",
}


class InputError(Exception):
    """An input is missing or has a bad value (exit 2); the message names it."""


# ---------------------------------------------------------------------------------------------
# Inputs


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
    for name in SECRET_INPUTS:
        key = f"INPUT_{name.upper()}"
        value = environ.pop(key, "").strip()
        if value:
            for line in value.splitlines():
                if line.strip():
                    gha.add_mask(line.strip())
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
    )


# ---------------------------------------------------------------------------------------------
# Log: groups, untrusted text, annotations


@contextmanager
def untrusted() -> Iterator[None]:
    """Print what the patch controls with workflow commands switched off (a fresh random token
    ends the pause, so the text cannot end it early)."""
    sys.stdout.flush()
    with gha.stop_commands():
        yield
        sys.stdout.flush()


def print_scorer_group(result: ScorerResult) -> None:
    """One ``::group::`` per scorer, titled with its status, score and duration."""
    title = (
        f"{LABELS.get(result.name, result.name)}: {result.status}, score {result.score:.2f} "
        f"({result.duration_s:.1f} s)"
    )
    with gha.group(title), untrusted():
        print(result.reason or "")
        for finding in result.findings[:GROUP_FINDINGS]:
            where = f"{finding.path}:{finding.line}" if finding.line else finding.path
            print(f"  introduced: {where}: {finding.rule} {finding.message}")
        if len(result.findings) > GROUP_FINDINGS:
            print(f"  … and {len(result.findings) - GROUP_FINDINGS} more (see the verdict)")
        for gate in result.gates:
            print(f"  gate {gate.name}: {gate.reason}")
        for key in ("fail_to_pass", "pass_to_fail", "flaky"):
            tests = result.details.get(key) or []
            if tests:
                print(f"  {key}: {', '.join(str(t) for t in tests[:20])}")


@dataclass(frozen=True)
class Annotation:
    """One ``::error``/``::warning``/``::notice`` line at a file and line."""

    kind: str
    """error, warning or notice."""
    message: str
    """What was found (the workflow-command helper escapes it)."""
    title: str
    """Short heading."""
    file: str | None
    """Path relative to the workspace; None when the repository is outside it."""
    line: int | None
    """1-based line, when known."""

    def emit(self) -> None:
        emitter = {"error": gha.error, "warning": gha.warning, "notice": gha.notice}[self.kind]
        emitter(self.message, title=self.title, file=self.file, line=self.line)


def introduced_findings(verdict: Verdict) -> list[tuple[str, Mapping[str, Any]]]:
    """(scorer, finding) for everything the patch introduces, most severe first."""
    found = [
        (name, finding)
        for name in COMPONENTS
        for finding in (verdict.scorers.get(name) or {}).get("findings") or []
        if isinstance(finding, Mapping)
    ]
    return sorted(
        found,
        key=lambda item: (
            _SEVERITY_RANK.get(str(item[1].get("severity")), 1),
            _SCORER_RANK.get(item[0], 9),
            str(item[1].get("path")),
            int(item[1].get("line") or 0),
        ),
    )


def pick_annotations(
    verdict: Verdict,
    path_prefix: str | None,
    per_type: int = ANNOTATIONS_PER_TYPE - RESERVED_ANNOTATIONS,
) -> tuple[list[Annotation], int]:
    """The most severe introduced findings as annotations, at most ``per_type`` of each kind
    (GitHub drops the rest); also how many findings were left out."""
    picked: list[Annotation] = []
    counts: dict[str, int] = {}
    left_out = 0
    for scorer, finding in introduced_findings(verdict):
        kind = str(finding.get("severity"))
        kind = kind if kind in _SEVERITY_RANK else "warning"
        if counts.get(kind, 0) >= per_type:
            left_out += 1
            continue
        counts[kind] = counts.get(kind, 0) + 1
        path = str(finding.get("path") or "")
        line = finding.get("line")
        file = None
        if path and path_prefix is not None:
            file = path if path_prefix in ("", ".") else f"{path_prefix}/{path}"
        message = f"{finding.get('rule')}: {finding.get('message')}"
        if file is None and path:
            message = f"{path}{f':{line}' if line else ''}: {message}"
        picked.append(
            Annotation(
                kind=kind,
                message=message,
                title=f"error-fix {scorer}: introduced by this patch",
                file=file,
                line=int(line) if isinstance(line, int) and file else None,
            )
        )
    return picked, left_out


# ---------------------------------------------------------------------------------------------
# Job summary


def _cell(text: object, limit: int = 300) -> str:
    return inline_text(text, limit).replace("|", "\\|")


def findings_table(verdict: Verdict, limit: int = SUMMARY_FINDINGS) -> str:
    """The introduced findings as a GFM table, most severe first; '' when there are none."""
    found = introduced_findings(verdict)
    if not found:
        return ""
    rows = ["| Scorer | Where | Rule | Message |", "|---|---|---|---|"]
    for scorer, finding in found[:limit]:
        line = finding.get("line")
        where = f"{finding.get('path')}:{line}" if line else str(finding.get("path"))
        rows.append(
            f"| {LABELS.get(scorer, scorer)} | `{_cell(where, 200)}` | "
            f"`{_cell(finding.get('rule'), 80)}` | {_cell(finding.get('message'))} |"
        )
    if len(found) > limit:
        rows.append(f"| | | | … and {len(found) - limit} more in the verdict |")
    return "\n".join(rows)


def fit_summary(markdown: str, limit: int = SUMMARY_LIMIT) -> str:
    """``markdown`` cut at a line boundary so that it fits in ``limit`` bytes, with a note
    saying it was truncated and where the rest is."""
    data = markdown.encode("utf-8")
    if len(data) <= limit:
        return markdown
    note = (
        f"\n\n> ⚠️ **Summary truncated**: it was {len(data)} bytes and GitHub keeps at most "
        f"{limit} bytes per step. The full evidence is in the verdict (the `verdict-path` "
        "output)."
    )
    room = max(0, limit - len(note.encode("utf-8")))
    head = data[:room].decode("utf-8", errors="ignore")
    cut = head.rfind("\n")
    return (head[:cut] if cut > 0 else head) + note


def summary_markdown(
    verdict: Verdict,
    *,
    mode: str,
    result: PublishResult | None = None,
    dry_run: bool = False,
    capped_from: str | None = None,
) -> str:
    """The job summary: heading, what was done, then the report the PR body carries."""
    title = _cell(verdict.patch.get("title") or verdict.identity, 200)
    lines = [f"## error-fix: `{verdict.decision}`" + (f" · {title}" if title else ""), ""]
    if verdict.decision is PatchDecision.REJECTED:
        lines.append(f"**Rejected:** {_cell(verdict.reason or 'no reason given', 1000)}")
        lines.append("")
        lines.append("Nothing was published.")
        return "\n".join(lines)
    if capped_from:
        lines.append(
            f"The score job decided `{capped_from}`; a verdict made where the patch's code ran "
            f"is acted on as `{verdict.decision}` (the `trust-verdict` input lifts this)."
        )
        lines.append("")
    if result is not None:
        pr = f" · [PR #{result.pr_number}]({result.pr_url})" if result.pr_url else ""
        lines.append(f"**Published:** `{result.outcome}`{pr} — {_cell(result.message, 1000)}")
    elif dry_run:
        lines.append("**Dry run:** nothing was published.")
    elif mode == "score":
        lines.append("**Scored only:** a `publish` job acts on this verdict.")
    lines.append("")
    lines.append(markdown_report(verdict))
    table = findings_table(verdict)
    if table:
        lines += ["", "### Introduced findings", "", table]
    if verdict.notes:
        lines += ["", "### Notes", ""]
        lines += [f"- {_cell(note, 500)}" for note in verdict.notes]
    return "\n".join(lines)


def write_summary(markdown: str, environ: Mapping[str, str] = os.environ) -> None:
    """Append ``markdown`` to the step summary, within GitHub's limit for the whole file."""
    path = environ.get("GITHUB_STEP_SUMMARY")
    if not path:
        return
    try:
        used = Path(path).stat().st_size
    except OSError:
        used = 0
    gha.append_job_summary(fit_summary(markdown, max(0, SUMMARY_LIMIT - used - 1)))


# ---------------------------------------------------------------------------------------------
# The run


def find_verdict(path: Path) -> Path:
    """The verdict file: ``path`` itself, or the verdict.json in a downloaded artifact folder."""
    if path.is_dir():
        candidates = [path / "verdict.json", *sorted(path.glob("*.json"))]
        for candidate in candidates:
            if candidate.is_file():
                return candidate
    return path


class ActionRun:
    """One step of the action: decide and/or act, then report."""

    def __init__(self, inputs: ActionInputs, environ: Mapping[str, str] = os.environ) -> None:
        self.inputs = inputs
        self.environ = environ
        self.outputs: dict[str, str] = dict.fromkeys(OUTPUT_NAMES, "")
        self.bus = EventBus()
        self._closers: list[Any] = []

    # -- entry -----------------------------------------------------------------------------------

    def run(self) -> int:
        try:
            if self.inputs.mode == "install":
                return self._install()
            return self._run()
        except InputError as exc:
            return self._fail(str(exc), EXIT_USAGE)
        except (ConfigError, WorkspaceError) as exc:
            return self._fail(str(exc), EXIT_USAGE)
        except ForgeError as exc:
            return self._fail(str(exc), EXIT_FAILURE)
        except Exception as exc:
            if self.environ.get("RUNNER_DEBUG") == "1":
                traceback.print_exc()
            return self._fail(f"error-fix failed: {type(exc).__name__}: {exc}", EXIT_FAILURE)
        finally:
            for closer in self._closers:
                closer()
            self._write_outputs()

    def _fail(self, message: str, code: int) -> int:
        if not self.outputs["outcome"]:
            self.outputs["outcome"] = str(Outcome.FAILED)
        self.outputs["reason"] = " ".join(message.split())[:1000]
        gha.error(message, title="error-fix")
        return code

    def _write_outputs(self) -> None:
        if not self.environ.get("GITHUB_OUTPUT"):
            for name, value in self.outputs.items():
                print(f"output {name}={value}")
            return
        for name, value in self.outputs.items():
            gha.set_output(name, value)

    # -- modes -----------------------------------------------------------------------------------

    def _install(self) -> int:
        """error-fix on PATH for the job's later steps (a folder holding only that command, so
        the private venv's python never shadows the project's)."""
        executable = Path(sys.executable).with_name("error-fix")
        if not executable.exists():
            raise InputError(f"error-fix is not installed next to {sys.executable}")
        bin_dir = Path(sys.prefix) / "error-fix-bin"
        bin_dir.mkdir(exist_ok=True)
        link = bin_dir / "error-fix"
        if not link.exists():
            link.symlink_to(executable)
        if self.environ.get("GITHUB_PATH"):
            gha.add_system_path(str(bin_dir), strict=True)
        self.outputs["executable"] = str(executable)
        print(f"error-fix {__version__} installed: {executable}")
        return EXIT_OK

    def _run(self) -> int:
        inputs = self.inputs
        repo = resolve_repo(inputs.repo)
        settings = load_settings(repo, inputs.config, dict(inputs.overrides))
        print(
            f"error-fix {__version__}: mode {inputs.mode}"
            f"{' (dry run)' if inputs.dry_run else ''}, repository {repo}"
        )
        bus = self._bus(settings, repo)
        with task(bus, f"action:{inputs.mode}", patch=str(inputs.patch)) as done:
            if inputs.mode == "publish":
                code = self._publish(repo, settings)
            else:
                code = self._score(repo, settings, bus)
            done.update({k: v for k, v in self.outputs.items() if v and k != "reason"})
        return code

    def _bus(self, settings: Settings, repo: Path) -> EventBus:
        """Events to the state directory's log, alerts to its JSONL (and Slack when given).
        Not the Actions-log sink: this module prints the annotations itself, within GitHub's
        per-step budget, and one error line per failure."""
        bus = EventBus()
        state = settings.state_path(repo)
        bus.subscribe(JsonlEventLog(state / "events.jsonl"))
        alerts = AlertManager(self.inputs.slack_webhook_url, state / "alerts.jsonl")
        alerts.subscribe(bus, settings.queue_alert_count, settings.queue_alert_hours)
        self.bus = bus
        return bus

    def _connect(self, repo: Path, settings: Settings) -> Forge:
        from .forge.github import GitHubForge
        from .forge.observed import ObservedForge

        forge = GitHubForge.from_environment(repo, settings, token=self.inputs.token)
        self._closers.append(forge.close)
        return ObservedForge(forge, self.bus)

    def _score(self, repo: Path, settings: Settings, bus: EventBus) -> int:
        from .pipeline import PatchApplier

        inputs = self.inputs
        assert inputs.patch is not None
        # Connect before scoring: a bad token must not cost a whole test run.
        forge = self._connect(repo, settings) if inputs.publishes else None
        start = time.monotonic()
        applier = PatchApplier(settings, on_scorer_done=print_scorer_group, events=bus)
        scored = applier.score(repo, inputs.patch, inputs.base)
        verdict = scored.verdict
        self._record_verdict(verdict)
        print(f"Decided {verdict.decision} in {time.monotonic() - start:.1f} s")
        result: PublishResult | None = None
        publishable = scored.patch is not None and verdict.decision is not PatchDecision.REJECTED
        if forge is not None and scored.patch is not None and publishable:
            with gha.group("Publishing"):
                result = forge.publish(verdict, scored.patch)
                with untrusted():
                    print(f"{result.outcome}: {result.message}")
        return self._report(verdict, result, repo, annotate=True)

    def _publish(self, repo: Path, settings: Settings) -> int:
        inputs = self.inputs
        assert inputs.verdict is not None and inputs.patch is not None
        verdict_path = find_verdict(inputs.verdict)
        try:
            verdict = Verdict.load(verdict_path)
        except ValueError as exc:
            raise InputError(str(exc)) from None
        self.outputs["verdict-path"] = str(verdict_path)
        with gha.group("The verdict from the score job"), untrusted():
            print(terminal(verdict))
        if verdict.decision is not PatchDecision.REJECTED:
            try:
                patch = verified_patch(verdict, inputs.patch, settings)
            except PatchRejected as exc:
                return self._refuse(verdict, f"refusing to publish: {exc}")
        else:
            return self._refuse(verdict, f"the verdict is rejected: {verdict.reason}")
        capped_from = None
        if not inputs.trust_verdict:
            capped = verdict.capped_for_publishing()
            if capped.decision is not verdict.decision:
                capped_from = str(verdict.decision)
            verdict = capped
        result = None
        if not inputs.dry_run:
            forge = self._connect(repo, settings)
            with gha.group("Publishing"):
                result = forge.publish(verdict, patch)
                with untrusted():
                    print(f"{result.outcome}: {result.message}")
        return self._report(verdict, result, repo, annotate=False, capped_from=capped_from)

    def _refuse(self, verdict: Verdict, reason: str) -> int:
        """Publish nothing: outputs say rejected, one error line says why."""
        refused = Verdict(
            decision=PatchDecision.REJECTED,
            patch=verdict.patch,
            base=verdict.base,
            confidence=verdict.confidence,
            reason=reason,
        )
        return self._report(refused, None, self.inputs.repo, annotate=False)

    def _record_verdict(self, verdict: Verdict) -> None:
        out = self.inputs.output_dir
        out.mkdir(parents=True, exist_ok=True)
        path = out / "verdict.json"
        path.write_text(verdict.to_json() + "\n", encoding="utf-8")
        self.outputs["verdict-path"] = str(path)

    # -- report ------------------------------------------------------------------------------------

    def _path_prefix(self, repo: Path) -> str | None:
        try:
            return repo.resolve().relative_to(self.inputs.workspace).as_posix()
        except ValueError:
            return None

    def _report(
        self,
        verdict: Verdict,
        result: PublishResult | None,
        repo: Path,
        *,
        annotate: bool,
        capped_from: str | None = None,
    ) -> int:
        decision = verdict.decision
        self.outputs.update(
            {
                "decision": str(decision),
                "confidence": str(round(verdict.overall, 4)),
                "reason": " ".join((verdict.reason or "").split())[:1000],
            }
        )
        if result is not None:
            self.outputs.update(
                {
                    "outcome": str(result.outcome),
                    "pr-number": str(result.pr_number or ""),
                    "pr-url": result.pr_url or "",
                    "branch": result.branch or "",
                }
            )
        elif decision is PatchDecision.REJECTED:
            self.outputs["outcome"] = str(Outcome.NOTHING)
        elif self.inputs.dry_run and self.inputs.mode != "score":
            self.outputs["outcome"] = "dry_run"
        else:
            self.outputs["outcome"] = "scored"
        if annotate:
            annotations, left_out = pick_annotations(verdict, self._path_prefix(repo))
            for annotation in annotations:
                annotation.emit()
            if left_out:
                print(
                    f"{left_out} more introduced finding(s) are in the job summary (GitHub shows "
                    f"at most {ANNOTATIONS_PER_TYPE} annotations of a type per step)"
                )
        write_summary(
            summary_markdown(
                verdict,
                mode=self.inputs.mode,
                result=result,
                dry_run=self.inputs.dry_run,
                capped_from=capped_from,
            ),
            self.environ,
        )
        if decision is PatchDecision.REJECTED:
            gha.error(f"rejected: {verdict.reason}", title="error-fix")
            return EXIT_REJECTED
        if result is not None and result.outcome is Outcome.FAILED:
            gha.error(result.message, title="error-fix: publishing failed")
            return EXIT_FAILURE
        done = f"{decision} (confidence {verdict.overall:.2f})"
        if result is not None:
            pr = f", PR #{result.pr_number}" if result.pr_number else ""
            done += f": {result.outcome}{pr}"
        gha.notice(done, title="error-fix")
        return EXIT_OK


def _terminate(signum: int, frame: FrameType | None) -> None:
    # A cancelled run gets SIGTERM: make it an exception so every `finally` (worktree removal,
    # the outputs) runs.
    raise SystemExit(128 + signum)


def main() -> int:
    """Run the action step; the return value is the step's exit code."""
    signal.signal(signal.SIGTERM, _terminate)
    secrets = mask_secrets()
    try:
        inputs = read_inputs(secrets)
    except InputError as exc:
        outputs = dict.fromkeys(OUTPUT_NAMES, "")
        outputs.update(outcome=str(Outcome.FAILED), reason=str(exc))
        gha.error(str(exc), title="error-fix")
        if os.environ.get("GITHUB_OUTPUT"):
            for name, value in outputs.items():
                gha.set_output(name, value)
        return EXIT_USAGE
    return ActionRun(inputs).run()
