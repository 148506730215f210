"""PatchApplier: intake → workspace → scorers (concurrently) → confidence → decision → verdict.

``score`` is the untrusted half: it runs the project's code. It writes nothing into the user's
checkout but the decision log in the self-ignoring state directory. ``apply_with_validation`` (the
Python API's one call) scores and then acts through the forge in the same process, like the
command line's ``apply``: for trusted patch sources.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import proc
from .alerting import AlertManager
from .applied import Applied
from .confidence import ConfidenceScore
from .config import ALERT_LOG_FILE, COMPONENTS, Settings, load_settings
from .decision import PatchDecision, Verdict, capped_by_mutation, decide, gates_for
from .events import EventBus, EventSeverity
from .forge.choice import open_forge
from .forge.interface import ForgeError, Outcome, PublishResult
from .forge.observed import ObservedForge
from .mutation.stage import run_mutation, stop_second_pass
from .patch import Patch, PatchRejected, read_patch
from .scorers import all_scorers
from .scorers.interface import Progress, Scorer, ScorerResult, ScoringContext
from .state import append_jsonl
from .testrun import resolve_python
from .timings import Timings
from .workspace import Workspace, WorkspaceError, resolve_base, resolve_repo

ScorerDone = Callable[[ScorerResult], None]


@dataclass(frozen=True)
class Scored:
    """A verdict with what it was made from."""

    verdict: Verdict
    """The decision and its evidence."""
    patch: Patch | None
    """The parsed patch; None when intake refused it before parsing."""
    repo: Path
    """Top level of the repository scored against."""


def base_ref(repo: Path, base: str) -> str | None:
    """The branch name ``base`` designates (``HEAD`` → the checked-out branch), or None."""
    if base == "HEAD":
        result = proc.git(repo, "symbolic-ref", "--quiet", "--short", "HEAD", check=False)
        return result.stdout.strip() or None if result.ok else None
    name = base.removeprefix("refs/heads/")
    result = proc.git(repo, "show-ref", "--verify", "--quiet", f"refs/heads/{name}", check=False)
    return name if result.ok else None


class PatchApplier:
    """Scores patches against a repository with the configured scorers, and acts on the decision.

    Two ways to make one: ``PatchApplier(settings, ...)`` (then ``score(repo, patch)``), or with
    keywords only, ``PatchApplier(repo_path=..., auto_merge_threshold=0.95, pr_threshold=0.80,
    test_command=None, ...)`` — settings from the repository's ``[tool.error-fix]``, overridden
    by the keywords (any setting's name works) — then ``apply_with_validation(patch)``.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        progress: Progress | None = None,
        on_scorer_done: ScorerDone | None = None,
        scorers: list[Scorer] | None = None,
        events: EventBus | None = None,
        repo_path: str | os.PathLike[str] | None = None,
        auto_merge_threshold: float | None = None,
        pr_threshold: float | None = None,
        test_command: str | Sequence[str] | None = None,
        base: str = "HEAD",
        forge: str = "local",
        token: str | None = None,
        **setting_overrides: Any,
    ) -> None:
        self.repo_path = Path(repo_path) if repo_path is not None else Path.cwd()
        """The repository ``apply_with_validation`` works on (default: the current directory)."""
        if test_command is not None and not isinstance(test_command, str):
            test_command = list(test_command)
        overrides = {
            "auto_merge_threshold": auto_merge_threshold,
            "pr_threshold": pr_threshold,
            "test_command": test_command,
            **setting_overrides,
        }
        given = {key: value for key, value in overrides.items() if value is not None}
        if settings is None:
            settings = load_settings(_top_level(self.repo_path), None, given)
        elif given:
            raise TypeError(
                f"PatchApplier: give settings or setting keywords ({', '.join(given)}), not both"
            )
        self.settings = settings
        self.events = events
        self.base = base
        """The revision patches are scored against and the forge merges into (its branch)."""
        self.forge = forge
        """Where ``apply_with_validation`` acts: local (default), github or auto."""
        self._token = token
        self._alert_manager: AlertManager | None = None
        self._progress: Progress = progress or (lambda name, message: None)
        self._on_scorer_done = on_scorer_done
        self._scorers = scorers

    @property
    def event_bus(self) -> EventBus | None:
        """Where events go (an orchestrator may set its own bus); the same as ``events``."""
        return self.events

    @event_bus.setter
    def event_bus(self, bus: EventBus | None) -> None:
        self.events = bus

    @property
    def alert_manager(self) -> AlertManager:
        """Alerts of ``apply_with_validation``: a merged auto-merge, a rejected patch. By default
        the repository's ``alerts.jsonl`` in the state directory, and Slack when configured."""
        if self._alert_manager is None:
            state = self.settings.state_path(_top_level(self.repo_path))
            self._alert_manager = AlertManager(alert_log=state / ALERT_LOG_FILE)
        return self._alert_manager

    @alert_manager.setter
    def alert_manager(self, manager: AlertManager) -> None:
        self._alert_manager = manager

    def apply_with_validation(self, patch_path: str | os.PathLike[str]) -> dict[str, Any]:
        """Score the patch, act on the decision through the forge, and say what happened:
        ``{"decision", "confidence", "action_taken": {"status", ...}}``, or for a patch that
        cannot be used ``{"decision": "rejected", "confidence": {...0...}, "error"}`` (see
        ``applied.py``). Never raises for a bad patch; a broken set-up (no repository, a GitHub
        forge that cannot connect) raises WorkspaceError or ForgeError."""
        return self.apply(patch_path).to_dict()

    def apply(self, patch_path: str | os.PathLike[str]) -> Applied:
        """``apply_with_validation`` as an :class:`Applied` (the verdict and the forge's answer).

        The forge connects before scoring: a GitHub forge that cannot must not cost a test run.
        """
        path = Path(patch_path)
        repo = resolve_repo(self.repo_path)
        forge = open_forge(self.forge, repo, self.settings, token=self._token)
        try:
            scored = self.score(repo, path, self.base)
            published: PublishResult | None = None
            if scored.patch is not None and scored.verdict.decision is not PatchDecision.REJECTED:
                acting = forge if self.events is None else ObservedForge(forge, self.events)
                try:
                    published = acting.publish(scored.verdict, scored.patch)
                except (ForgeError, proc.GitError) as exc:
                    published = PublishResult(Outcome.FAILED, f"the forge could not act: {exc}")
        finally:
            forge.close()
        applied = Applied(scored.verdict, published, path, self.settings.decision_log_path(repo))
        verdict = scored.verdict
        if verdict.decision is PatchDecision.REJECTED:
            self.alert_manager.alert_patch_failed(
                str(path), applied.error or "rejected", dict(verdict.confidence)
            )
        elif published is not None and published.outcome is Outcome.MERGED:
            self.alert_manager.alert_auto_merge_success(str(path), dict(verdict.confidence))
        return applied

    def score(self, repo: Path, patch_path: Path, base: str = "HEAD") -> Scored:
        """Decide about the patch at ``patch_path``; append the decision to the decision log.

        Raises WorkspaceError for an unusable repository or base (a usage error, not a verdict).
        """
        start = time.monotonic()
        repo = resolve_repo(repo)
        base_sha = resolve_base(repo, base)
        base_info = {"sha": base_sha, "ref": base_ref(repo, base), "rev": base}
        settings = self.settings
        self._emit(
            "patch_validation_started",
            {"patch": str(patch_path), "patch_path": str(patch_path), "base": base_sha},
        )
        patch: Patch | None = None
        timings = Timings()
        try:
            with timings.measure("intake"):
                patch = read_patch(
                    patch_path,
                    max_bytes=settings.max_patch_bytes,
                    allow_binary=settings.allow_binary,
                    protected=settings.protected_globs(repo),
                )
            verdict = self._score_patch(repo, patch, base_info, start, timings)
        except PatchRejected as exc:
            verdict = _rejected(str(exc), patch, patch_path, base_info, time.monotonic() - start)
        append_jsonl(settings.decision_log_path(repo), verdict.log_record())
        rejected = verdict.decision is PatchDecision.REJECTED
        self._emit(
            "patch_validation_completed",
            {
                "patch": str(patch_path),
                "patch_path": str(patch_path),
                "identity": verdict.identity,
                "decision": str(verdict.decision),
                "confidence": verdict.overall,
                "overall": verdict.overall,
                "gates": [g.name for g in verdict.gates],
                "reason": verdict.reason,
            },
            EventSeverity.WARNING if rejected else EventSeverity.INFO,
        )
        return Scored(verdict, patch, repo)

    def _emit(
        self,
        event_type: str,
        data: dict[str, object],
        severity: EventSeverity = EventSeverity.INFO,
    ) -> None:
        if self.events is not None:
            self.events.emit(event_type, data, severity)

    def _score_patch(
        self,
        repo: Path,
        patch: Patch,
        base_info: dict[str, str | None],
        start: float,
        timings: Timings,
    ) -> Verdict:
        settings = self.settings
        env = scoring_env(settings)
        proc.reset_cancel()
        proc.set_parallelism(settings.jobs)
        scorers = self._scorers if self._scorers is not None else all_scorers()
        sha = str(base_info["sha"])
        stage_start = time.monotonic()
        with Workspace(
            repo,
            sha,
            patch,
            allow_binary=settings.allow_binary,
            setup_command=_with_python(settings.setup_command, settings.python, env),
            setup_timeout=settings.test_timeout,
            env=env,
            carry_max_bytes=settings.carry_max_bytes if settings.carry_generated else None,
            sandbox=settings.sandbox,
        ) as ws:
            timings.add("worktrees", time.monotonic() - stage_start)
            ctx = ScoringContext(
                settings=settings,
                patch=patch,
                base=ws.base,
                patched=ws.patched,
                tests_tree=ws.tests,
                scratch=ws.scratch,
                env=env,
                state_dir=settings.state_path(repo),
                tree_ids=(ws.tree_id(ws.base), ws.tree_id(ws.patched)),
                timings=timings,
                progress=self._progress,
                regression=ws.regression,
                harness=ws.harness,
                sandbox=ws.sandbox,
            )
            if any(s.name == "tests" and s.name not in settings.disabled for s in scorers):
                ctx.tools_may_start.clear()  # the tests scorer sets it as its suite starts
            else:  # nothing will run the suite: the coverage scorer must not wait for it
                ctx.patched_test_run.set_exception(RuntimeError("the tests scorer does not run"))
            try:
                with timings.measure("scorers"):
                    results = self._run_scorers(scorers, ctx)
                stage_start = time.monotonic()
                ordered = {name: results[name] for name in COMPONENTS if name in results}
                confidence = ConfidenceScore.from_results(ordered, settings)
                gates = gates_for(ordered)
                decision = decide(confidence, gates, settings)
                timings.add("decision", time.monotonic() - stage_start)
                mutation = self._mutation(ctx, ordered, decision)
            except BaseException:
                proc.cancel()  # a signal or crash: mutant processes stop now, not after a mutant
                raise
            finally:
                stop_second_pass(ctx)  # no mutant process outlives the workspace
            sandbox = ws.sandbox.status.to_dict()
            stage_start = time.monotonic()
        timings.add("cleanup", time.monotonic() - stage_start)
        sections = {name: result.to_dict() for name, result in ordered.items()}
        if mutation is not None:
            sections[mutation.name] = mutation.to_dict()
            decision = capped_by_mutation(decision, mutation)
        tests = ordered.get("tests")
        test_details = dict(tests.details) if tests is not None else {}
        return Verdict(
            decision=decision,
            patch=_patch_info(patch),
            base=base_info,
            confidence=confidence.to_dict(),
            gates=tuple(gates),
            scorers=sections,
            tests={
                key: test_details.get(key)
                for key in (
                    "fail_to_pass",
                    "pass_to_fail",
                    "pass_to_fail_causes",
                    "fail_to_fail",
                    "flaky",
                    "pass_to_pass_count",
                    "proof",
                )
            },
            error=patch.error.to_dict() if patch.error else None,
            notes=(*patch.notes, *ws.notes),
            duration_s=time.monotonic() - start,
            timings=timings.to_dict(),
            sandbox=sandbox,
        )

    def _mutation(
        self, ctx: ScoringContext, results: dict[str, ScorerResult], decision: PatchDecision
    ) -> ScorerResult | None:
        """The mutation stage, for a fix that would merge; None (no section) when a gate or the
        score already keeps it for review — nothing to learn — or there is no tests scorer."""
        tests = results.get("tests")
        if tests is None or decision not in (PatchDecision.AUTO_MERGE, PatchDecision.AUTO_MERGE_PR):
            return None
        result = run_mutation(ctx, tests)
        if self._on_scorer_done is not None:
            self._on_scorer_done(result)
        return result

    def _run_scorers(self, scorers: list[Scorer], ctx: ScoringContext) -> dict[str, ScorerResult]:
        results: dict[str, ScorerResult] = {}
        pool = ThreadPoolExecutor(max_workers=max(1, len(scorers)), thread_name_prefix="scorer")
        try:
            futures = {pool.submit(scorer.run, ctx): scorer.name for scorer in scorers}
            for future, name in futures.items():
                result = future.result()
                results[name] = result
                self._emit(
                    "scorer_completed",
                    {
                        "scorer": name,
                        "status": str(result.status),
                        "score": result.score,
                        "duration_s": round(result.duration_s, 3),
                    },
                )
                if self._on_scorer_done is not None:
                    self._on_scorer_done(result)
        except BaseException:
            # A signal or crash: stop every tool now so the workspace can be removed.
            proc.cancel()
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown(wait=True)
        return results


def scoring_env(settings: Settings) -> dict[str, str]:
    """The environment the project's tools get: scrubbed, and without the caller's own
    coverage, which must not measure the project."""
    env = proc.scrubbed_env(settings.scrub_env)
    for name in ("COVERAGE_PROCESS_START", "COVERAGE_PROCESS_CONFIG"):
        env.pop(name, None)
    return env


def _top_level(path: Path) -> Path:
    """The top of the git work tree holding ``path``; ``path`` itself when it is in none."""
    try:
        return resolve_repo(path)
    except WorkspaceError:
        return path


def _with_python(command: tuple[str, ...], python: str, env: dict[str, str]) -> tuple[str, ...]:
    """``python`` at the head of a project command means the project's interpreter."""
    if command and command[0] == "python":
        return (resolve_python(python, env) or python, *command[1:])
    return command


def _patch_info(patch: Patch) -> dict[str, object]:
    return {
        "sha256": patch.sha256,
        "identity": patch.identity,
        "title": patch.title,
        "subject": patch.subject,
        "files": [
            {
                "path": f.path,
                "status": f.status,
                "test": f.is_test,
                "added_lines": len(f.added_lines),
            }
            for f in patch.files
        ],
    }


def _rejected(
    reason: str,
    patch: Patch | None,
    patch_path: Path,
    base_info: dict[str, str | None],
    duration_s: float,
) -> Verdict:
    info: dict[str, object] = {"path": str(patch_path)}
    if patch is not None:
        info.update(_patch_info(patch))
    else:
        info.update(_sha_of(patch_path))
    return Verdict(
        decision=PatchDecision.REJECTED,
        patch=info,
        base=base_info,
        confidence=ConfidenceScore(weights=dict.fromkeys(COMPONENTS, 1.0)).to_dict(),
        reason=reason,
        duration_s=duration_s,
    )


def _sha_of(patch_path: Path) -> dict[str, object]:
    """sha256 of an unparseable patch file, when there is one file to hash (for the log)."""
    try:
        if patch_path.is_file():
            return {"sha256": hashlib.sha256(patch_path.read_bytes()).hexdigest()}
    except OSError:
        pass
    return {"sha256": None}
