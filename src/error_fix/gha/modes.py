"""One step of the action: run its mode (score, publish, all, install), then report."""

from __future__ import annotations

import os
import sys
import time
import traceback
from collections.abc import Callable, Mapping
from pathlib import Path

import github_action_utils as gha

from .. import __version__
from ..alerting import AlertManager
from ..config import ALERT_LOG_FILE, ConfigError, Settings, load_settings
from ..decision import PatchDecision, Verdict, verified_patch
from ..events import EventBus, JsonlEventLog, task
from ..forge.interface import Forge, ForgeError, PublishResult
from ..patch import PatchRejected
from ..report import terminal
from ..workspace import WorkspaceError, resolve_repo
from .inputs import ActionInputs, InputError
from .outputs import (
    EXIT_FAILURE,
    EXIT_OK,
    EXIT_USAGE,
    StepReport,
    print_scorer_group,
    untrusted,
)


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
        self.report = StepReport(environ)
        self.bus = EventBus()
        self._closers: list[Callable[[], None]] = []

    @property
    def outputs(self) -> dict[str, str]:
        return self.report.outputs

    def run(self) -> int:
        try:
            if self.inputs.mode == "install":
                return self._install()
            return self._run()
        except InputError as exc:
            return self.report.fail(str(exc), EXIT_USAGE)
        except (ConfigError, WorkspaceError) as exc:
            return self.report.fail(str(exc), EXIT_USAGE)
        except ForgeError as exc:
            return self.report.fail(str(exc), EXIT_FAILURE)
        except Exception as exc:
            if self.environ.get("RUNNER_DEBUG") == "1":
                traceback.print_exc()
            return self.report.fail(f"error-fix failed: {type(exc).__name__}: {exc}", EXIT_FAILURE)
        finally:
            for closer in self._closers:
                closer()
            self.report.write()

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
        Not the Actions-log sink: this package prints the annotations itself, within GitHub's
        per-step budget, and one error line per failure."""
        bus = EventBus()
        state = settings.state_path(repo)
        bus.subscribe(JsonlEventLog(state / "events.jsonl"))
        alerts = AlertManager(self.inputs.slack_webhook_url, state / ALERT_LOG_FILE)
        alerts.subscribe(bus, settings.queue_alert_count, settings.queue_alert_hours)
        self.bus = bus
        return bus

    def _connect(self, repo: Path, settings: Settings) -> Forge:
        from ..forge.github import GitHubForge
        from ..forge.observed import ObservedForge

        forge = GitHubForge.from_environment(
            repo, settings, token=self.inputs.token, checks_token=self.inputs.checks_token
        )
        self._closers.append(forge.close)
        return ObservedForge(forge, self.bus)

    def _score(self, repo: Path, settings: Settings, bus: EventBus) -> int:
        from ..pipeline import PatchApplier

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
        return self._decided(verdict, result, repo, annotate=True)

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
        return self._decided(verdict, result, repo, annotate=False, capped_from=capped_from)

    def _refuse(self, verdict: Verdict, reason: str) -> int:
        """Publish nothing: outputs say rejected, one error line says why."""
        refused = Verdict(
            decision=PatchDecision.REJECTED,
            patch=verdict.patch,
            base=verdict.base,
            confidence=verdict.confidence,
            reason=reason,
        )
        return self._decided(refused, None, self.inputs.repo, annotate=False)

    def _record_verdict(self, verdict: Verdict) -> None:
        out = self.inputs.output_dir
        out.mkdir(parents=True, exist_ok=True)
        path = out / "verdict.json"
        path.write_text(verdict.to_json() + "\n", encoding="utf-8")
        self.outputs["verdict-path"] = str(path)

    # -- report ------------------------------------------------------------------------------------

    def _decided(
        self,
        verdict: Verdict,
        result: PublishResult | None,
        repo: Path,
        *,
        annotate: bool,
        capped_from: str | None = None,
    ) -> int:
        try:
            prefix: str | None = repo.resolve().relative_to(self.inputs.workspace).as_posix()
        except ValueError:
            prefix = None
        return self.report.decided(
            verdict,
            result,
            mode=self.inputs.mode,
            dry_run=self.inputs.dry_run,
            path_prefix=prefix,
            annotate=annotate,
            capped_from=capped_from,
        )
