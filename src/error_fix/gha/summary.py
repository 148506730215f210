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
from typing import Any

import github_action_utils as gha

from ..config import COMPONENTS
from ..decision import PatchDecision, Verdict
from ..forge.interface import PublishResult
from ..report import LABELS, markdown_report
from ..report import _inline as inline_text

SUMMARY_LIMIT = 1024 * 1024
"""GitHub refuses a step summary over 1 MiB."""
SUMMARY_FINDINGS = 200
"""Introduced findings listed in the summary (the verdict keeps all of them)."""
SEVERITY_RANK = {"error": 0, "warning": 1, "notice": 2}
_SCORER_RANK = {"security": 0, "tests": 1, "types": 2, "lint": 3, "coverage": 4}
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
            SEVERITY_RANK.get(str(item[1].get("severity")), 1),
            _SCORER_RANK.get(item[0], 9),
            str(item[1].get("path")),
            int(item[1].get("line") or 0),
        ),
    )


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
        message = _cell(result.message, 1000)
        done += _fill("published", outcome=result.outcome, pr=pr, message=message) + "\n"
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
