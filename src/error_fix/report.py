"""Render a verdict: the terminal report and the Markdown confidence table (PR body, summary)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from .config import COMPONENTS
from .decision import Verdict

LABELS = {
    "tests": "Tests",
    "lint": "Linting",
    "types": "Type Checking",
    "security": "Security Scan",
    "coverage": "Coverage",
}
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
        for name in COMPONENTS:
            result = verdict.scorers.get(name)
            if result is None:
                continue
            lines.append(
                f"  {name:<10} {result['status']:<8} {result['score']:>5.2f} "
                f"{result['duration_s']:>6.1f}s  {_note(result)}"
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
