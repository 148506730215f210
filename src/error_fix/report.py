"""Render a verdict: the terminal report and the Markdown confidence table (PR body, summary)."""

from __future__ import annotations

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
        note = _note(result).replace("|", "\\|").replace("\n", " ")
        rows.append(f"| {LABELS[name]} | {float(result['score']):.2f} | {icon(result)} | {note} |")
    rows.append(f"| **Overall** | **{verdict.overall:.2f}** | | **{verdict.decision}** |")
    return "\n".join(rows)
