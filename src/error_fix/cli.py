"""The ``error-fix`` command.

Exit codes: 0 decided (auto_merge, auto_merge_pr, manual_review) or command done; 1 rejected;
2 usage or configuration error; 3 any other failure (one line; a traceback with --debug).
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType
from typing import Any

from . import __version__

EXIT_OK, EXIT_REJECTED, EXIT_USAGE, EXIT_FAILURE = 0, 1, 2, 3
FORGES = ("local", "github", "auto")


class UsageError(Exception):
    """Bad command-line input (exit 2)."""


def _settings_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("scoring settings (override [tool.error-fix])")
    group.add_argument("--config", type=Path, help="TOML file with [tool.error-fix] settings")
    group.add_argument("--python", help="the project's interpreter (default: python on PATH)")
    group.add_argument(
        "--test-command", help="the project's pytest command (default: python -m pytest)"
    )
    group.add_argument("--test-timeout", type=float, help="seconds per test run (default 600)")
    group.add_argument("--reruns", type=int, help="extra runs of status-changed tests (default 2)")
    group.add_argument("--jobs", type=int, help="tools run at once (default: CPU count)")
    group.add_argument(
        "--auto-merge-threshold", type=float, help="merge at or above (default 0.95)"
    )
    group.add_argument(
        "--pr-threshold", type=float, help="auto-merge PR at or above (default 0.80)"
    )
    group.add_argument("--protected-paths", help="comma-separated globs a patch may not touch")
    group.add_argument(
        "--allow-binary", action="store_const", const=True, help="accept binary hunks"
    )
    group.add_argument("--disable", help="comma-separated scorers to leave out (skipped)")
    group.add_argument(
        "--sandbox",
        help="auto, required or off: confine the project's code with Landlock (default auto)",
    )


def _forge_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--forge",
        choices=FORGES,
        default="local",
        help="where to act: local git (default), github, or auto (github when GITHUB_ACTIONS "
        "or GITHUB_REPOSITORY is set)",
    )
    parser.add_argument(
        "--token", help="GitHub token (default: GITHUB_TOKEN, then GH_TOKEN; prefer those)"
    )


_OVERRIDES = {
    "python": "python",
    "test_command": "test_command",
    "test_timeout": "test_timeout",
    "reruns": "reruns",
    "jobs": "jobs",
    "auto_merge_threshold": "auto_merge_threshold",
    "pr_threshold": "pr_threshold",
    "protected_paths": "protected_paths",
    "allow_binary": "allow_binary",
    "disable": "disabled",
    "sandbox": "sandbox",
    "threshold_count": "queue_alert_count",
    "threshold_hours": "queue_alert_hours",
}


def _given_path(value: str) -> Path:
    """A path argument that names something: '' would quietly mean the current folder."""
    if not value.strip():
        raise argparse.ArgumentTypeError("an empty path names nothing")
    return Path(value)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="error-fix",
        description="Score a proposed fix against the base tree with the project's own tools, "
        "then merge it, open an auto-merge PR, or queue it for review.",
    )
    parser.add_argument("--version", action="version", version=f"error-fix {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on failure")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    for name, help_text in (
        ("score", "decide about a patch; act on nothing"),
        ("apply", "decide about a patch and act on it through the forge"),
    ):
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument("--repo", type=Path, default=Path(), help="git repository (default .)")
        p.add_argument(
            "--patch", type=_given_path, required=True, help="patch file or artifact folder"
        )
        p.add_argument("--base", default="HEAD", help="base revision (default HEAD)")
        p.add_argument("--json", action="store_true", help="print only the verdict JSON")
        p.add_argument("--verdict-out", type=Path, help="also write the verdict JSON here")
        _settings_flags(p)
        if name == "apply":
            _forge_flags(p)

    pub_help = "act on a verdict made elsewhere (the privileged half: runs no project code)"
    pub = sub.add_parser("publish", help=pub_help, description=pub_help)
    pub.add_argument("--verdict", type=Path, required=True, help="verdict JSON from `score`")
    pub.add_argument(
        "--patch", type=_given_path, required=True, help="the patch file or artifact folder"
    )
    pub.add_argument("--repo", type=Path, default=Path(), help="checkout of the base (default .)")
    pub.add_argument("--config", type=Path, help="TOML file with [tool.error-fix] settings")
    pub.add_argument("--json", action="store_true", help="machine-readable output")
    pub.add_argument(
        "--trust-verdict",
        action="store_true",
        help="act on auto_merge as such; by default it is capped at auto_merge_pr, because the "
        "job that made the verdict ran the patch's code",
    )
    _forge_flags(pub)

    q = sub.add_parser("queue", help="the review queue: list, approve, reject")
    qsub = q.add_subparsers(dest="queue_command", required=True, metavar="ACTION")
    for qname, qhelp in (
        ("list", "pending fixes, oldest first"),
        ("approve", "merge a queued fix"),
        ("reject", "drop a queued fix, keeping the reason"),
    ):
        qp = qsub.add_parser(qname, help=qhelp, description=qhelp)
        qp.add_argument("--repo", type=Path, default=Path(), help="git repository (default .)")
        qp.add_argument("--config", type=Path, help="TOML file with [tool.error-fix] settings")
        qp.add_argument("--json", action="store_true", help="machine-readable output")
        if qname != "list":
            qp.add_argument("id", help="the fix id shown by `queue list`")
        if qname == "reject":
            qp.add_argument("--reason", required=True, help="why (kept with the fix)")
        _forge_flags(qp)

    s = sub.add_parser("status", help="decisions so far and review-queue health")
    s.add_argument("--repo", type=Path, default=Path(), help="git repository (default .)")
    s.add_argument("--config", type=Path, help="TOML file with [tool.error-fix] settings")
    s.add_argument("--json", action="store_true", help="machine-readable output")
    _forge_flags(s)

    m_help = "check the review queue: alert when it is backlogged, keep a tracking issue"
    m = sub.add_parser("monitor", help=m_help, description=m_help)
    m.add_argument("--repo", type=Path, default=Path(), help="git repository (default .)")
    m.add_argument("--config", type=Path, help="TOML file with [tool.error-fix] settings")
    m.add_argument("--threshold-count", type=int, help="pending fixes that count as a backlog (10)")
    m.add_argument("--threshold-hours", type=float, help="age of the oldest that does (72)")
    m.add_argument("--json", action="store_true", help="machine-readable output")
    _forge_flags(m)

    mc_help = (
        "check the base alone into mypy's cache (before scoring patches on it), or with "
        "--locate only print the cache's path and key"
    )
    mc = sub.add_parser("mypy-cache", help=mc_help, description=mc_help)
    mc.add_argument("--repo", type=Path, default=Path(), help="git repository (default .)")
    mc.add_argument("--base", default="HEAD", help="base revision (default HEAD)")
    mc.add_argument("--config", type=Path, help="TOML file with [tool.error-fix] settings")
    mc.add_argument("--python", help="the project's interpreter (default: python on PATH)")
    mc.add_argument(
        "--locate",
        action="store_true",
        help="print path=, key= and restore-prefix= lines (for $GITHUB_OUTPUT); check nothing",
    )

    d = sub.add_parser("demo", help="run a good and a bad fix through `apply` on a throwaway repo")
    d.add_argument(
        "--dir", type=Path, help="where to build the demo repository (default: a temp dir)"
    )
    d.add_argument(
        "--python", help="interpreter with pytest for the demo project (default: this one)"
    )
    return parser


def _load_settings(args: argparse.Namespace, repo: Path | None) -> Any:
    from .config import load_settings

    overrides = {
        field: getattr(args, flag) for flag, field in _OVERRIDES.items() if hasattr(args, flag)
    }
    return load_settings(repo, getattr(args, "config", None), overrides)


def _repo(args: argparse.Namespace) -> Path:
    from .workspace import resolve_repo

    return resolve_repo(args.repo.resolve())


def _events(repo: Path | None, settings: Any) -> Any:
    """The command's event bus: the JSONL event log (and the Actions log on GitHub Actions),
    with alerts subscribed — to Slack when a webhook is in the environment."""
    from .alerting import AlertManager
    from .config import ALERT_LOG_FILE
    from .events import default_bus

    state = settings.state_path(repo if repo is not None else Path.cwd())
    bus = default_bus(state)
    alerts = AlertManager(alert_log=state / ALERT_LOG_FILE)  # Slack from the environment
    alerts.subscribe(bus, settings.queue_alert_count, settings.queue_alert_hours)
    return bus


def _observed(forge: Any, bus: Any) -> Any:
    from .forge.observed import ObservedForge

    return ObservedForge(forge, bus)


def _forge(args: argparse.Namespace, repo: Path | None, settings: Any, write: bool = True) -> Any:
    """The forge ``--forge`` names; a GitHub one connects (and fails fast) right here."""
    from .forge.choice import open_forge, resolve_choice

    if repo is None and resolve_choice(args.forge) == "local":
        raise UsageError("the local forge needs a git repository (--repo)")
    return open_forge(args.forge, repo, settings, token=args.token, need_write=write)


def _repo_if_any(args: argparse.Namespace) -> Path | None:
    """The repository, or None when there is none and the GitHub forge can do without it."""
    from .workspace import WorkspaceError

    try:
        return _repo(args)
    except WorkspaceError:
        if args.forge == "local":
            raise
        return None


def _print_result(args: argparse.Namespace, result: Any) -> int:
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
    else:
        print(f"{result.outcome}: {result.message}")
        if result.pr_url:
            print(f"  {result.pr_url}")
    return EXIT_FAILURE if result.outcome == "failed" else EXIT_OK


def cmd_score(args: argparse.Namespace) -> int:
    from .console import ProgressLine
    from .events import task
    from .pipeline import PatchApplier
    from .report import terminal

    repo = _repo(args)
    settings = _load_settings(args, repo)
    bus = _events(repo, settings)
    with task(bus, args.command, patch=str(args.patch)) as summary:
        # Connect before scoring: a missing token must not cost a whole test run.
        forge = _observed(_forge(args, repo, settings), bus) if args.command == "apply" else None
        with ProgressLine(enabled=None if not args.json else False) as progress:
            applier = PatchApplier(
                settings, progress=progress.update, on_scorer_done=progress.done, events=bus
            )
            scored = applier.score(repo, args.patch.resolve(), args.base)
        verdict = scored.verdict
        summary.update(decision=str(verdict.decision), overall=verdict.overall)
        if args.verdict_out:
            args.verdict_out.write_text(verdict.to_json() + "\n", encoding="utf-8")
        publish_result = None
        if forge is not None and scored.patch is not None:
            publish_result = forge.publish(verdict, scored.patch)
            summary["outcome"] = str(publish_result.outcome)
    if args.json:
        document = verdict.to_dict()
        if publish_result is not None:
            document["forge"] = publish_result.to_dict()
        print(json.dumps(document, indent=2, ensure_ascii=False))
    else:
        print(terminal(verdict, str(settings.decision_log_path(scored.repo))))
        if publish_result is not None:
            print(f"Forge: {publish_result.outcome} — {publish_result.message}")
    if publish_result is not None and publish_result.outcome == "failed":
        return EXIT_FAILURE
    return EXIT_REJECTED if verdict.decision == "rejected" else EXIT_OK


def cmd_publish(args: argparse.Namespace) -> int:
    from .decision import Verdict, verified_patch
    from .patch import PatchRejected

    repo = _repo(args)
    settings = _load_settings(args, repo)
    try:
        verdict = Verdict.load(args.verdict)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if verdict.decision == "rejected":
        print(f"rejected: {verdict.reason}; nothing to publish")
        return EXIT_REJECTED
    # The verdict was made by the untrusted half: re-check the patch it speaks for.
    try:
        patch = verified_patch(verdict, args.patch.resolve(), settings, repo)
    except PatchRejected as exc:
        print(f"error-fix: refusing to publish: {exc}", file=sys.stderr)
        return EXIT_REJECTED
    if not args.trust_verdict:
        verdict = verdict.capped_for_publishing()
    from .events import task

    bus = _events(repo, settings)
    with task(bus, "publish", patch=verdict.identity) as summary:
        result = _observed(_forge(args, repo, settings), bus).publish(verdict, patch)
        summary["outcome"] = str(result.outcome)
    return _print_result(args, result)


def cmd_queue(args: argparse.Namespace) -> int:
    from .review_queue import default_actor

    repo = _repo_if_any(args)
    settings = _load_settings(args, repo)
    forge = _forge(args, repo, settings, write=args.queue_command != "list")
    who = default_actor()
    if args.queue_command == "list":
        entries = forge.queue()
        if args.json:
            print(json.dumps([_entry_dict(e) for e in entries], indent=2))
        elif not entries:
            print("The review queue is empty.")
        else:
            print(f"{'id':<14} {'status':<13} {'overall':>7} {'age':>7}  title")
            for e in entries:
                print(
                    f"{e.id:<14} {e.status:<13} {e.overall:>7.2f} {e.age_hours():>6.1f}h  {e.title}"
                )
        return EXIT_OK
    from .events import task

    bus = _events(repo, settings)
    with task(bus, f"queue {args.queue_command}", id=args.id) as summary:
        observed = _observed(forge, bus)
        if args.queue_command == "approve":
            result = observed.approve(args.id, who)
        else:
            result = observed.reject(args.id, args.reason, who)
        summary["outcome"] = str(result.outcome)
    return _print_result(args, result)


def _entry_dict(entry: Any) -> dict[str, Any]:
    return {
        "id": entry.id,
        "branch": entry.branch,
        "title": entry.title,
        "status": entry.status,
        "decision": entry.decision,
        "overall": entry.overall,
        "created_at": entry.created_at.isoformat(),
        "age_hours": round(entry.age_hours(), 2),
        "url": entry.url,
    }


def cmd_status(args: argparse.Namespace) -> int:
    from .alerting import read_alerts
    from .metrics import compute_status
    from .state import read_jsonl

    repo = _repo_if_any(args)
    settings = _load_settings(args, repo)
    decisions = read_jsonl(settings.decision_log_path(repo)) if repo is not None else []
    alerts = read_alerts(settings.alert_log_path(repo)) if repo is not None else []
    forge = _forge(args, repo, settings, write=False)
    fixes = forge.fix_history()
    reverted = forge.reverted_commits({c for fix in fixes for c in fix.commits})
    metrics = forge.metrics(settings.queue_alert_count, settings.queue_alert_hours)
    status = compute_status(decisions, fixes, reverted, metrics, settings.minutes_per_fix, alerts)
    print(json.dumps(status.to_dict(), indent=2) if args.json else status.table())
    return EXIT_OK


def cmd_monitor(args: argparse.Namespace) -> int:
    from .events import task
    from .monitor import run_monitor

    repo = _repo_if_any(args)
    settings = _load_settings(args, repo)
    bus = _events(repo, settings)
    with task(bus, "monitor") as summary:
        forge = _forge(args, repo, settings, write=True)
        report = run_monitor(forge, settings.queue_alert_count, settings.queue_alert_hours, bus)
        summary.update(report.metrics.to_dict())
    if args.json:
        print(
            json.dumps(
                {
                    **report.metrics.to_dict(),
                    "tracking_issue": report.tracking_issue,
                    "alerted": report.backlog_reported,
                },
                indent=2,
            )
        )
        return EXIT_OK
    metrics = report.metrics
    print(
        f"Review queue: {metrics.total_pending} pending, oldest {metrics.oldest_age_hours:.1f}h "
        f"(thresholds {settings.queue_alert_count} / {settings.queue_alert_hours:.0f}h)"
    )
    if report.tracking_issue:
        print(f"Tracking issue: {report.tracking_issue}")
    print(f"Queue health: {metrics.health}")
    return EXIT_OK


def cmd_mypy_cache(args: argparse.Namespace) -> int:
    from . import mypy_cache
    from .pipeline import scoring_env
    from .scorers.interface import ScorerUnknown
    from .workspace import resolve_base

    repo = _repo(args)
    settings = _load_settings(args, repo)
    base_sha = resolve_base(repo, args.base)
    env = scoring_env(settings)  # as for scoring: the same environment, the same cache entries
    try:
        if args.locate:
            print(mypy_cache.locate(settings, repo, base_sha, env).lines(), end="")
            return EXIT_OK
        warmed = mypy_cache.warm(settings, repo, base_sha, env)
    except ScorerUnknown as exc:
        print(f"error-fix: mypy could not check the base: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    print(
        f"mypy checked the base {base_sha[:12]} in {warmed.seconds:.1f}s "
        f"({warmed.errors} error(s) there); cache {warmed.spot.path}, key {warmed.spot.key}"
    )
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    return run_demo(args.dir, args.python or sys.executable)


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "score": cmd_score,
    "apply": cmd_score,
    "publish": cmd_publish,
    "queue": cmd_queue,
    "status": cmd_status,
    "monitor": cmd_monitor,
    "mypy-cache": cmd_mypy_cache,
    "demo": cmd_demo,
}


def _terminate(signum: int, frame: FrameType | None) -> None:
    # Turn SIGTERM into an exception so every `finally` (worktree removal) runs.
    raise SystemExit(128 + signum)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0) if exc.code in (0, None) else EXIT_USAGE
    from .config import ConfigError
    from .forge.interface import ForgeError
    from .workspace import WorkspaceError

    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminate) if in_main_thread else None
    try:
        return COMMANDS[args.command](args)
    except (ConfigError, UsageError, WorkspaceError) as exc:
        print(f"error-fix: error: {exc}", file=sys.stderr)
        if args.debug:
            traceback.print_exc()
        return EXIT_USAGE
    except ForgeError as exc:
        print(f"error-fix: {exc}", file=sys.stderr)
        if args.debug:
            traceback.print_exc()
        return EXIT_FAILURE
    except KeyboardInterrupt:
        print("error-fix: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        print(f"error-fix: failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        if args.debug:
            traceback.print_exc()
        return EXIT_FAILURE
    finally:
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous)
