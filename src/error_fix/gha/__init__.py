"""GitHub Actions runtime (inputs, outputs, summary, masking) via github-action-utils.

``entrypoint.py`` calls :func:`main`; action.yml runs it with error-fix's private virtualenv.
Inputs arrive as ``INPUT_<NAME>`` variables, hyphens kept (the composite action maps each one
explicitly; :mod:`.inputs`); outputs go to ``GITHUB_OUTPUT`` in the random-delimiter form, with
the log groups and annotations (:mod:`.outputs`); the job summary gets the confidence table, the
gates, the proof of fix and the introduced findings, from templates/summary.md (:mod:`.summary`).

Modes (:mod:`.modes`):

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
from types import FrameType

import github_action_utils as gha

from ..forge.interface import Outcome
from ..report import introduced_findings
from .inputs import (
    INPUT_NAMES,
    MODES,
    SECRET_INPUTS,
    ActionInputs,
    InputError,
    mask_secrets,
    read_inputs,
)
from .modes import ActionRun, find_verdict
from .outputs import (
    ANNOTATIONS_PER_TYPE,
    EXIT_FAILURE,
    EXIT_OK,
    EXIT_REJECTED,
    EXIT_USAGE,
    OUTPUT_NAMES,
    Annotation,
    StepReport,
    pick_annotations,
    print_scorer_group,
    untrusted,
)
from .summary import (
    SUMMARY_LIMIT,
    findings_table,
    fit_summary,
    summary_markdown,
    write_summary,
)

__all__ = [
    "ANNOTATIONS_PER_TYPE",
    "EXIT_FAILURE",
    "EXIT_OK",
    "EXIT_REJECTED",
    "EXIT_USAGE",
    "INPUT_NAMES",
    "MODES",
    "OUTPUT_NAMES",
    "SECRET_INPUTS",
    "SUMMARY_LIMIT",
    "ActionInputs",
    "ActionRun",
    "Annotation",
    "InputError",
    "StepReport",
    "find_verdict",
    "findings_table",
    "fit_summary",
    "introduced_findings",
    "main",
    "mask_secrets",
    "pick_annotations",
    "print_scorer_group",
    "read_inputs",
    "summary_markdown",
    "untrusted",
    "write_summary",
]


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
