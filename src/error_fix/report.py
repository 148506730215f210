"""Render a verdict: the terminal report, the Markdown confidence table (one renderer for the PR
body, the job summary and the check run's summary), the introduced findings, and the annotations
that put the evidence on the lines of the fix commit."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .config import COMPONENTS
from .decision import Verdict

LABELS = {
    "tests": "Tests",
    "lint": "Linting",
    "types": "Type Checking",
    "security": "Security Scan",
    "coverage": "Coverage",
    "mutation": "Mutation",
}
SEVERITY_RANK = {"error": 0, "warning": 1, "notice": 2}
"""A finding's severity, most severe first."""
_SECTION_RANK = {"security": 0, "tests": 1, "types": 2, "lint": 3, "coverage": 4, "mutation": 5}
SHOWN_FINDINGS = 5
SHOWN_TESTS = 10
PR_TITLE_PREFIX = "[Auto] Error fix: "
MARKER_PREFIX = "<!-- error-fix: "
_MARKER = re.compile(r"<!-- error-fix: (\{[^\n]*?\}) -->")


def icon(result: Mapping[str, Any]) -> str:
    """✅ passed, ⚠️ partly, ❌ failed or could not score, ➖ skipped."""
    status = result.get("status")
    if status == "skipped":
        return "➖"
    if status != "ok":
        return "❌"
    score = float(result.get("score", 0.0))
    return "✅" if score >= 0.95 else "⚠️" if score >= 0.5 else "❌"


def _note(result: Mapping[str, Any]) -> str:
    findings = result.get("findings") or []
    pre = result.get("preexisting") or 0
    if result.get("status") != "ok":
        return str(result.get("reason") or result.get("status"))
    parts = []
    if findings:
        parts.append(f"{len(findings)} introduced")
    if pre:
        parts.append(f"{pre} pre-existing (not counted)")
    if not parts and result.get("reason"):
        parts.append(str(result["reason"]))
    return "; ".join(parts) or "nothing introduced"


def sandbox_line(sandbox: Mapping[str, Any]) -> str:
    """Whether the project's code ran confined, and how (or why not)."""
    if sandbox.get("on"):
        limits = "; ".join(str(limit) for limit in sandbox.get("limits") or ())
        line = f"on (Landlock ABI {sandbox.get('landlock_abi')}): {limits}"
        open_ = ", ".join(str(item) for item in sandbox.get("not_limited") or ())
        return f"{line}; not limited: {open_}" if open_ else line
    return f"off ({sandbox.get('reason') or 'not configured'})"


def _where(finding: Mapping[str, Any]) -> str:
    line = finding.get("line")
    return f"{finding['path']}:{line}" if line else str(finding["path"])


def terminal(verdict: Verdict, decision_log: str | None = None) -> str:
    """The human report printed by ``score`` and ``apply``."""
    lines = [f"Decision: {verdict.decision}  (overall {verdict.overall:.2f})"]
    if verdict.reason:
        lines.append(f"Reason: {verdict.reason}")
    if verdict.scorers:
        lines.append("")
        lines.append(f"  {'scorer':<10} {'status':<8} {'score':>5} {'time':>7}  notes")
        for name in verdict_sections(verdict):
            result = verdict.scorers[name]
            note = _note(result) if name in COMPONENTS else str(result.get("reason") or "")
            lines.append(
                f"  {name:<10} {result['status']:<8} {result['score']:>5.2f} "
                f"{result['duration_s']:>6.1f}s  {note}"
            )
            for finding in (result.get("findings") or [])[:SHOWN_FINDINGS]:
                lines.append(
                    f"  {'':<10} {_where(finding)}: {finding['rule']} {finding['message']}"
                )
            extra = len(result.get("findings") or []) - SHOWN_FINDINGS
            if extra > 0:
                lines.append(f"  {'':<10} … and {extra} more")
    if verdict.gates:
        lines.append("")
        lines.append("Gates (cap the decision at manual_review):")
        lines.extend(f"  - {g.name}: {g.reason}" for g in verdict.gates)
    tests = verdict.tests or {}
    if tests.get("fail_to_pass"):
        lines.append("")
        lines.append("Fixed (fail on base, pass patched): " + ", ".join(tests["fail_to_pass"][:5]))
    if tests.get("flaky"):
        lines.append("Flaky (excluded): " + ", ".join(tests["flaky"][:5]))
    if tests.get("proof"):
        lines.append(f"Proof of fix: {tests['proof']}")
    if verdict.sandbox:
        lines.append(f"Sandbox: {sandbox_line(verdict.sandbox)}")
    for note in verdict.notes:
        lines.append(f"Note: {note}")
    if decision_log:
        lines.append("")
        lines.append(f"Decision log: {decision_log}")
    return "\n".join(lines)


def markdown_table(verdict: Verdict) -> str:
    """The confidence table: Tests, Linting, Type Checking, Security Scan, Coverage, Overall."""
    rows = ["| Check | Score | Status | Notes |", "|---|---:|:---:|---|"]
    for name in COMPONENTS:
        result = verdict.scorers.get(name) or {
            "status": "unknown",
            "score": 0.0,
            "reason": "not run",
        }
        note = _inline(_note(result)).replace("|", "\\|")  # tool output is untrusted
        rows.append(f"| {LABELS[name]} | {float(result['score']):.2f} | {icon(result)} | {note} |")
    rows.append(f"| **Overall** | **{verdict.overall:.2f}** | | **{verdict.decision}** |")
    return "\n".join(rows)


def pr_title(verdict: Verdict) -> str:
    """``[Auto] Error fix: <title>``, cut to GitHub's 256-character limit."""
    name = " ".join(str(verdict.patch.get("title") or verdict.identity).split())
    return (PR_TITLE_PREFIX + name)[:256]


def _inline(text: object, limit: int = 300) -> str:
    """Untrusted text (test ids, tool output) as one inert Markdown line: no HTML, no fences."""
    flat = " ".join(str(text).split())
    flat = flat.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("`", "'")
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _test_list(title: str, tests: list[Any]) -> list[str]:
    lines = [f"**{title}**"]
    lines.extend(f"- `{_inline(t, 200)}`" for t in tests[:SHOWN_TESTS])
    if len(tests) > SHOWN_TESTS:
        lines.append(f"- … and {len(tests) - SHOWN_TESTS} more")
    return lines


def markdown_report(verdict: Verdict, decision_log: str | None = None) -> str:
    """The confidence table with gates, proof of fix and a decision-log pointer (PR body,
    job summary). Every piece of untrusted text in it is made inert."""
    lines = [markdown_table(verdict), ""]
    if verdict.gates:
        lines.append("**Gates** (each caps the decision at `manual_review`)")
        lines.extend(f"- `{_inline(g.name, 80)}`: {_inline(g.reason)}" for g in verdict.gates)
    else:
        lines.append("**Gates:** none fired.")
    tests = verdict.tests or {}
    lines.append("")
    lines.append(f"**Proof of fix:** {_inline(tests.get('proof') or 'no test proves the fix')}")
    for key, title in (
        ("fail_to_pass", "Fail on the base, pass patched (FAIL_TO_PASS)"),
        ("pass_to_fail", "Regressions: pass on the base, fail patched (PASS_TO_FAIL)"),
        ("flaky", "Flaky, excluded"),
    ):
        if tests.get(key):
            lines.append("")
            lines.extend(_test_list(title, list(tests[key])))
    if tests.get("pass_to_pass_count"):
        lines.append("")
        lines.append(f"{tests['pass_to_pass_count']} other test(s) pass on both trees.")
    if verdict.sandbox:
        lines.append("")
        lines.append(f"**Sandbox:** {_inline(sandbox_line(verdict.sandbox), 600)}")
    lines.extend(mutation_lines(verdict))
    error = verdict.error or {}
    reported = [
        f"{k} {_inline(error[k], 200)}" for k in ("source", "url", "failing_test") if error.get(k)
    ]
    if reported:
        lines.append("")
        lines.append("**Error:** " + " · ".join(reported))
    lines.append("")
    footer = f"Patch sha256 `{verdict.sha256[:12]}` on base `{str(verdict.base.get('sha'))[:12]}`"
    if decision_log:
        footer += f" · decision log: {decision_log}"
    lines.append(footer)
    return "\n".join(lines)


def _code(text: object, limit: int = 80) -> str:
    """Untrusted code as an inline code span (nothing inside a code span is HTML)."""
    flat = " ".join(str(text).split()).replace("`", "'")
    return f"`{flat if len(flat) <= limit else flat[: limit - 1] + '…'}`"


def mutation_lines(verdict: Verdict) -> list[str]:
    """Do the tests pin the fix down? The mutation section: counts, then every surviving mutant
    on its line (the PR body and the job summary; empty when the stage did not run)."""
    result = verdict.scorers.get("mutation")
    if not result or result.get("status") == "skipped":
        return []
    lines = ["", f"**Do the tests pin the fix down?** {_inline(result.get('reason') or '')}"]
    details = result.get("details") or {}
    survivors = [s for s in details.get("survivors") or [] if isinstance(s, Mapping)]
    for survivor in survivors[:SHOWN_TESTS]:
        before, after = [*list(survivor.get("shown") or []), "", ""][:2]
        note = f"; {_inline(survivor['note'], 120)}" if survivor.get("note") else ""
        line = int(survivor.get("line") or 0)
        lines.append(
            f"- `{_inline(survivor.get('path'), 200)}:{line}`: no test fails when "
            f"{_code(before)} becomes {_code(after)} (line {line}){note}"
        )
    if len(survivors) > SHOWN_TESTS:
        lines.append(f"- … and {len(survivors) - SHOWN_TESTS} more in the verdict")
    if survivors:
        lines.append("")
        lines.append(
            "A change no test notices could be a different fix: `auto_merge` is capped at "
            "`auto_merge_pr`."
        )
    elif result.get("status") == "unknown":
        lines.append("")
        lines.append("The mutants could not be run: `auto_merge` is capped at `auto_merge_pr`.")
    return lines


def marker(verdict: Verdict, **extra: Any) -> str:
    """The hidden line by which error-fix recognises its own PRs and what they hold."""
    fields: dict[str, Any] = {
        "patch_sha256": verdict.sha256,
        "schema": verdict.schema,
        "identity": verdict.identity,
        "decision": str(verdict.decision),
        "overall": round(verdict.overall, 4),
        "base_sha": verdict.base.get("sha"),
        **extra,
    }
    return MARKER_PREFIX + json.dumps(fields, separators=(",", ":")) + " -->"


def pr_body(verdict: Verdict, decision_log: str | None = None, **marker_fields: Any) -> str:
    """PR description: the Markdown report, then the marker as the very last line."""
    return markdown_report(verdict, decision_log) + "\n\n" + marker(verdict, **marker_fields)


def read_marker(body: str | None) -> dict[str, Any] | None:
    """The marker's fields, from the last marker line of ``body`` (the one error-fix wrote: any
    earlier one could come from untrusted text quoted in the report); None when there is none."""
    found = _MARKER.findall(body or "")
    if not found:
        return None
    try:
        fields = json.loads(found[-1])
    except ValueError:
        return None
    return fields if isinstance(fields, dict) else None


def fit_markdown(markdown: str, limit: int, note: str) -> str:
    """``markdown`` cut at a line boundary so that it and ``note`` fit in ``limit`` bytes (so in
    ``limit`` characters too); unchanged when it fits."""
    data = markdown.encode("utf-8")
    if len(data) <= limit:
        return markdown
    room = max(0, limit - len(note.encode("utf-8")))
    head = data[:room].decode("utf-8", errors="ignore")
    cut = head.rfind("\n")
    return (head[:cut] if cut > 0 else head) + note


# ---------------------------------------------------------------------------------------------
# Introduced findings


def verdict_sections(verdict: Verdict) -> list[str]:
    """The verdict's scorer sections in report order: the five components, then any other
    section a later stage adds (e.g. surviving mutants as ``mutation``)."""
    extra = [name for name in verdict.scorers if name not in COMPONENTS]
    return [name for name in (*COMPONENTS, *extra) if name in verdict.scorers]


def introduced_findings(verdict: Verdict) -> list[tuple[str, Mapping[str, Any]]]:
    """(section, finding) for everything the patch introduces, most severe first."""
    found = [
        (name, finding)
        for name in verdict_sections(verdict)
        for finding in (verdict.scorers.get(name) or {}).get("findings") or []
        if isinstance(finding, Mapping)
    ]
    return sorted(
        found,
        key=lambda item: (
            SEVERITY_RANK.get(str(item[1].get("severity")), 1),
            _SECTION_RANK.get(item[0], 9),
            str(item[1].get("path")),
            _line(item[1]) or 0,
        ),
    )


def findings_table(verdict: Verdict, limit: int) -> str:
    """The introduced findings as a GFM table, most severe first; '' when there are none."""
    found = introduced_findings(verdict)
    if not found:
        return ""
    rows = ["| Scorer | Where | Rule | Message |", "|---|---|---|---|"]
    for section, finding in found[:limit]:
        line = finding.get("line")
        where = f"{finding.get('path')}:{line}" if line else str(finding.get("path"))
        rows.append(
            f"| {LABELS.get(section, section)} | `{_cell(where, 200)}` | "
            f"`{_cell(finding.get('rule'), 80)}` | {_cell(finding.get('message'))} |"
        )
    if len(found) > limit:
        rows.append(f"| | | | … and {len(found) - limit} more in the verdict |")
    return "\n".join(rows)


def _cell(text: object, limit: int = 300) -> str:
    return _inline(text, limit).replace("|", "\\|")


def _line(finding: Mapping[str, Any]) -> int | None:
    line = finding.get("line")
    return line if isinstance(line, int) and not isinstance(line, bool) and line > 0 else None


# ---------------------------------------------------------------------------------------------
# Annotations: the evidence on the lines of the fix commit

ANNOTATION_LEVELS = {"error": "failure", "warning": "warning", "notice": "notice"}
"""A finding's severity → the Checks API's ``annotation_level``."""
_LEVEL_RANK = {"failure": 0, "warning": 1, "notice": 2}
_TITLES = {"mutation": "no test notices this change of the patch's line"}
ANNOTATION_MESSAGE_LIMIT = 4000
"""Characters of a finding's message an annotation carries (GitHub takes up to 64 KB; the
verdict keeps all of it)."""


@dataclass(frozen=True)
class Annotation:
    """One piece of evidence placed on lines of the patched tree (the fix commit)."""

    path: str
    """File, relative to the repository root."""
    start_line: int | None
    """First line (1-based); None when the tool named the file but no line."""
    end_line: int | None
    """Last line, at or after ``start_line``."""
    level: str
    """failure, warning or notice (the Checks API's annotation levels)."""
    title: str
    """Short heading: which stage found it."""
    message: str
    """Rule and message."""
    section: str
    """The verdict section it comes from: a scorer, or a later stage (``mutation``)."""

    def to_check(self) -> dict[str, Any]:
        """The Checks API's annotation object."""
        start = self.start_line or 1  # GitHub needs a line: the file's first
        return {
            "path": self.path,
            "start_line": start,
            "end_line": max(start, self.end_line or start),
            "annotation_level": self.level,
            "title": self.title[:255],
            "message": self.message,
        }


AnnotationSource = Callable[[Verdict], Iterable[Annotation]]
"""Turns one kind of verdict evidence into annotations."""


def _uncovered_ends(verdict: Verdict) -> dict[tuple[str, int], int]:
    """(path, first line) → last line of each range of added lines no test executed (the
    coverage scorer's evidence)."""
    details = (verdict.scorers.get("coverage") or {}).get("details") or {}
    ends: dict[tuple[str, int], int] = {}
    for item in details.get("uncovered") or []:
        if isinstance(item, Mapping):
            start, end = item.get("start_line"), item.get("end_line")
            if isinstance(start, int) and isinstance(end, int) and end >= start:
                ends[(str(item.get("path")), start)] = end
    return ends


def finding_annotations(verdict: Verdict) -> Iterable[Annotation]:
    """Every introduced finding of every verdict section that names a file: lint, types,
    security, test regressions, uncovered added lines (a range), and any later stage that
    reports its results as findings (surviving mutants)."""
    ends = _uncovered_ends(verdict)
    for section, finding in introduced_findings(verdict):
        path = str(finding.get("path") or "").strip()
        if not path or path == "." or path.endswith("/"):
            continue  # about the whole project (a coverage drop): the summary says it
        start = _line(finding)
        end = start
        if start is not None and finding.get("rule") == "uncovered":
            end = ends.get((path, start), start)
        message = f"{finding.get('rule')}: {finding.get('message')}"
        if len(message) > ANNOTATION_MESSAGE_LIMIT:
            message = message[: ANNOTATION_MESSAGE_LIMIT - 1] + "…"
        yield Annotation(
            path=path,
            start_line=start,
            end_line=end,
            level=ANNOTATION_LEVELS.get(str(finding.get("severity")), "warning"),
            title=f"error-fix {section}: " + _TITLES.get(section, "introduced by this patch"),
            message=message,
            section=section,
        )


ANNOTATION_SOURCES: tuple[AnnotationSource, ...] = (finding_annotations,)
"""Where annotations come from. Every section of ``verdict.scorers`` is read, so a stage that
reports its results there as findings (surviving mutants, as ``mutation``) is annotated with no
change here; evidence in a verdict section of another shape gets its own source in this tuple."""


def verdict_annotations(verdict: Verdict) -> list[Annotation]:
    """Every annotation for the verdict, once each, most severe first."""
    unique = dict.fromkeys(a for source in ANNOTATION_SOURCES for a in source(verdict))
    return sorted(
        unique,
        key=lambda a: (
            _LEVEL_RANK.get(a.level, 1),
            _SECTION_RANK.get(a.section, 9),
            a.path,
            a.start_line or 0,
        ),
    )


def annotations_digest(found: Iterable[Annotation]) -> str:
    """A short fingerprint of a set of annotations (a re-run that would send the same ones
    sends none)."""
    keys = sorted(json.dumps(a.to_check(), sort_keys=True) for a in found)
    return hashlib.sha256("\n".join(keys).encode()).hexdigest()[:16]


# ---------------------------------------------------------------------------------------------
# The check run on the fix commit

CHECK_TEXT_LIMIT = 65535
"""GitHub's limit for a check run's summary and for its text, in characters."""
CHECK_FINDINGS = 500
"""Introduced findings listed in the check run's text (cut further to fit the limit)."""


def check_title(verdict: Verdict) -> str:
    """``auto_merge_pr · confidence 0.94``."""
    return f"{verdict.decision} · confidence {verdict.overall:.2f}"


def check_summary(verdict: Verdict, decision_log: str | None = None, **marker_fields: Any) -> str:
    """The check run's summary: the Markdown report the PR body carries, then the marker."""
    tail = "\n\n" + marker(verdict, **marker_fields)
    note = "\n\n> ⚠️ Cut to fit GitHub's limit; the full evidence is in the verdict."
    room = CHECK_TEXT_LIMIT - len(tail.encode("utf-8"))
    return fit_markdown(markdown_report(verdict, decision_log), room, note) + tail


def check_text(verdict: Verdict) -> str:
    """The check run's details: the introduced findings, most severe first."""
    table = findings_table(verdict, CHECK_FINDINGS)
    if not table:
        return "No finding introduced by this patch."
    note = "\n\n> ⚠️ More findings than GitHub shows here; all of them are in the verdict."
    return fit_markdown("### Introduced findings\n\n" + table, CHECK_TEXT_LIMIT, note)
