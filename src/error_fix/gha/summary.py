"""The job summary: rendered from templates/summary.md, kept within GitHub's size limit.

Everything the patch controls (titles, test ids, tool messages, reasons) is made inert before it
reaches the template: no HTML, no code fences, ``|`` escaped.
"""

from __future__ import annotations

import os
import re
import string
from collections.abc import Mapping
from functools import cache
from importlib import resources
from pathlib import Path

import github_action_utils as gha

from ..decision import PatchDecision, Verdict
from ..forge.interface import PublishResult
from ..report import _inline as inline_text
from ..report import findings_table as report_findings_table
from ..report import fit_markdown, markdown_report

SUMMARY_LIMIT = 1024 * 1024
"""GitHub refuses a step summary over 1 MiB."""
SUMMARY_FINDINGS = 200
"""Introduced findings listed in the summary (the verdict keeps all of them)."""
_PIECE = re.compile(r"^<!-- ([a-z-]+) -->$", re.MULTILINE)


@cache
def _pieces() -> dict[str, string.Template]:
    """The named pieces of templates/summary.md (a piece runs from its ``<!-- name -->`` line to
    the next one; the text before the first is a comment for its editors)."""
    text = (resources.files("error_fix") / "templates" / "summary.md").read_text(encoding="utf-8")
    parts = _PIECE.split(text)[1:]
    names, bodies = parts[::2], parts[1::2]
    pieces = zip(names, bodies, strict=True)
    return {name: string.Template(body.strip("\n")) for name, body in pieces}


def _fill(piece: str, **values: object) -> str:
    return _pieces()[piece].substitute(values)


def _cell(text: object, limit: int = 300) -> str:
    return inline_text(text, limit).replace("|", "\\|")


def findings_table(verdict: Verdict, limit: int = SUMMARY_FINDINGS) -> str:
    """The introduced findings as a GFM table, most severe first; '' when there are none."""
    return report_findings_table(verdict, limit)


def fit_summary(markdown: str, limit: int = SUMMARY_LIMIT) -> str:
    """``markdown`` cut at a line boundary so that it fits in ``limit`` bytes, with a note
    saying it was truncated and where the rest is."""
    size = len(markdown.encode("utf-8"))
    note = (
        f"\n\n> ⚠️ **Summary truncated**: it was {size} bytes and GitHub keeps at most "
        f"{limit} bytes per step. The full evidence is in the verdict (the `verdict-path` "
        "output)."
    )
    return fit_markdown(markdown, limit, note)


def _what_was_done(
    verdict: Verdict,
    mode: str,
    result: PublishResult | None,
    dry_run: bool,
    capped_from: str | None,
) -> str:
    """The lines between the heading and the report (each followed by its blank line)."""
    done = ""
    if capped_from:
        done += _fill("capped", capped_from=capped_from, decision=verdict.decision) + "\n\n"
    if result is not None:
        pr = _fill("pr", number=result.pr_number, url=result.pr_url) if result.pr_url else ""
        url = result.check_run_url
        check = _fill("check", url=url) if url else ""
        message = _cell(result.message, 1000)
        done += _fill("published", outcome=result.outcome, pr=pr, check=check, message=message)
        done += "\n"
    elif dry_run:
        done += _fill("dry-run") + "\n"
    elif mode == "score":
        done += _fill("scored") + "\n"
    return done


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
    values: dict[str, object] = {
        "decision": verdict.decision,
        "title": f" · {title}" if title else "",
        "report": "",
        "sections": "",
    }
    if verdict.decision is PatchDecision.REJECTED:
        reason = _cell(verdict.reason or "no reason given", 1000)
        values["done"] = _fill("rejected", reason=reason) + "\n"
        return _fill("summary", **values).rstrip("\n")
    values["done"] = _what_was_done(verdict, mode, result, dry_run, capped_from)
    values["report"] = markdown_report(verdict)
    sections = []
    table = findings_table(verdict)
    if table:
        sections.append(_fill("findings", table=table))
    if verdict.notes:
        notes = "\n".join(f"- {_cell(note, 500)}" for note in verdict.notes)
        sections.append(_fill("notes", notes=notes))
    values["sections"] = "".join(f"\n\n{section}" for section in sections)
    return _fill("summary", **values).rstrip("\n")


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
