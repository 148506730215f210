"""What a step reports: its outputs, its exit code and closing line, the log groups and the
annotations (within GitHub's per-step budget), and the job summary.

Everything the patch controls is printed between ``::stop-commands::`` markers or escaped by the
workflow-command helpers, so it cannot set outputs, add masks or forge annotations.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

import github_action_utils as gha

from ..decision import PatchDecision, Verdict
from ..forge.interface import Outcome, PublishResult
from ..report import LABELS, verdict_annotations
from ..scorers.interface import ScorerResult
from .summary import summary_markdown, write_summary

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
ANNOTATIONS_PER_TYPE = 10
"""GitHub shows at most 10 annotations of each type (error, warning, notice) per step."""
_COMMAND_KINDS = {"failure": "error", "warning": "warning", "notice": "notice"}
"""Checks API annotation level → workflow command."""
RESERVED_ANNOTATIONS = 1
"""Kept free of findings for the step's own closing line (its ::error:: or ::notice::)."""
GROUP_FINDINGS = 50
"""Findings printed in a scorer's log group."""


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


def pick_annotations(
    verdict: Verdict,
    path_prefix: str | None,
    per_type: int = ANNOTATIONS_PER_TYPE - RESERVED_ANNOTATIONS,
) -> tuple[list[Annotation], int]:
    """The verdict's annotations (report.verdict_annotations, most severe first) as workflow
    commands, at most ``per_type`` of each kind (GitHub drops the rest); also how many were left
    out."""
    picked: list[Annotation] = []
    counts: dict[str, int] = {}
    left_out = 0
    for found in verdict_annotations(verdict):
        kind = _COMMAND_KINDS.get(found.level, "warning")
        if counts.get(kind, 0) >= per_type:
            left_out += 1
            continue
        counts[kind] = counts.get(kind, 0) + 1
        line = found.start_line
        file = None
        if path_prefix is not None:
            file = found.path if path_prefix in ("", ".") else f"{path_prefix}/{found.path}"
        message = found.message
        if file is None:
            message = f"{found.path}{f':{line}' if line else ''}: {message}"
        picked.append(
            Annotation(
                kind=kind,
                message=message,
                title=found.title,
                file=file,
                line=line if file else None,
            )
        )
    return picked, left_out


# ---------------------------------------------------------------------------------------------
# The step's outputs and result


class StepReport:
    """The step's outputs (written once, at the end, whatever happened) and its closing line."""

    def __init__(self, environ: Mapping[str, str] = os.environ) -> None:
        self.environ = environ
        self.outputs: dict[str, str] = dict.fromkeys(OUTPUT_NAMES, "")

    def fail(self, message: str, code: int) -> int:
        """One ``::error::`` line; the outcome says failed unless something more exact was set."""
        if not self.outputs["outcome"]:
            self.outputs["outcome"] = str(Outcome.FAILED)
        self.outputs["reason"] = " ".join(message.split())[:1000]
        gha.error(message, title="error-fix")
        return code

    def write(self) -> None:
        """To GITHUB_OUTPUT in the random-delimiter form; printed when run outside Actions."""
        if not self.environ.get("GITHUB_OUTPUT"):
            for name, value in self.outputs.items():
                print(f"output {name}={value}")
            return
        for name, value in self.outputs.items():
            gha.set_output(name, value)

    def _record(
        self, verdict: Verdict, result: PublishResult | None, *, mode: str, dry_run: bool
    ) -> None:
        self.outputs.update(
            {
                "decision": str(verdict.decision),
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
        elif verdict.decision is PatchDecision.REJECTED:
            self.outputs["outcome"] = str(Outcome.NOTHING)
        elif dry_run and mode != "score":
            self.outputs["outcome"] = "dry_run"
        else:
            self.outputs["outcome"] = "scored"

    def decided(
        self,
        verdict: Verdict,
        result: PublishResult | None,
        *,
        mode: str,
        dry_run: bool,
        path_prefix: str | None,
        annotate: bool,
        capped_from: str | None = None,
    ) -> int:
        """Outputs, annotations (``annotate``), the job summary and the closing line for a
        verdict (and what publishing it did); returns the step's exit code."""
        self._record(verdict, result, mode=mode, dry_run=dry_run)
        on_commit = result.check_run_url if result is not None else None
        if annotate and on_commit:
            # The check run carries them on the fix commit, where the PR shows them; this step's
            # own annotations would sit on the commit the workflow ran on.
            print(f"The findings are annotated on the fix commit: {on_commit}")
        elif annotate:
            annotations, left_out = pick_annotations(verdict, path_prefix)
            for annotation in annotations:
                annotation.emit()
            if left_out:
                print(
                    f"{left_out} more introduced finding(s) are in the job summary (GitHub shows "
                    f"at most {ANNOTATIONS_PER_TYPE} annotations of a type per step)"
                )
        write_summary(
            summary_markdown(
                verdict, mode=mode, result=result, dry_run=dry_run, capped_from=capped_from
            ),
            self.environ,
        )
        if verdict.decision is PatchDecision.REJECTED:
            gha.error(f"rejected: {verdict.reason}", title="error-fix")
            return EXIT_REJECTED
        if result is not None and result.outcome is Outcome.FAILED:
            gha.error(result.message, title="error-fix: publishing failed")
            return EXIT_FAILURE
        done = f"{verdict.decision} (confidence {verdict.overall:.2f})"
        if result is not None:
            pr = f", PR #{result.pr_number}" if result.pr_number else ""
            done += f": {result.outcome}{pr}"
        gha.notice(done, title="error-fix")
        return EXIT_OK
