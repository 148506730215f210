"""Security scorer (bandit + pip-audit) → ``security_scan_passed``.

bandit runs on the project's packages in both trees — on the files of them the patch touches, as
its findings are per file (the whole packages when the patch changes bandit's configuration);
findings are compared as a multiset (bandit's own ``-b`` baseline compares as a set and would hide
a second copy of an existing issue). An introduced MEDIUM or HIGH issue fires the ``security``
gate; LOW ones lower the score.

pip-audit runs only when the patch changes dependency files: the requirements it adds are audited,
and the base's requirements of the same projects too, so only vulnerabilities the patch brings in
count. A vulnerability introduced fires the ``vulnerable_dependency`` gate. A dependency pip-audit
could not audit (skipped, service unreachable) makes the whole scorer ``unknown`` — never clean.

Score: ``0.6 ** introduced findings``.
"""

from __future__ import annotations

import json
import secrets
import tomllib
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..layout import source_targets
from ..proc import ProcResult
from .dependencies import Dependency, UnreadableDependencies, is_dependency_file, read_dependencies
from .findings import FindingsDiff, decay, diff_findings
from .interface import (
    Finding,
    Gate,
    Scorer,
    ScorerResult,
    ScorerStatus,
    ScorerUnknown,
    ScoringContext,
)
from .tools import PerFileScope, added_lines, on_both_trees, per_file_scope, relative, run_tool

PER_FINDING = 0.6
GATING_SEVERITIES = ("MEDIUM", "HIGH")
CONFIGS = ("pyproject.toml", ".bandit")


def _bandit_config(tree: Path) -> list[str]:
    pyproject = tree / "pyproject.toml"
    try:
        if "bandit" in tomllib.loads(pyproject.read_text(encoding="utf-8")).get("tool", {}):
            return ["-c", "pyproject.toml"]
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        pass
    return []


def _bandit_scope(ctx: ScoringContext, targets: list[str]) -> PerFileScope:
    """The Python files under ``targets`` the patch touches (what ``-r targets`` would find of
    them), or the whole targets when the patch changes bandit's configuration."""
    scope = per_file_scope(ctx, (".py",), CONFIGS, "bandit")
    if scope.files is None or targets == ["."]:
        return scope
    inside = [f for f in scope.files if any(f == t or f.startswith(f"{t}/") for t in targets)]
    return PerFileScope(tuple(inside))


def _bandit(
    ctx: ScoringContext, tree: Path, targets: list[str], scope: PerFileScope
) -> list[Finding]:
    """bandit on one tree, in the tree, with the project's configuration."""
    if scope.files is None:
        present = [t for t in targets if (tree / t).exists()]
    else:
        present = scope.present(tree)
    if not present:
        return []
    args = ["-r", *present, "-f", "json", "-q", *_bandit_config(ctx.base)]
    result = run_tool(ctx, "bandit", args, tree, ok_codes=(0, 1))
    return [
        _finding(item, relative(item["filename"], tree))
        for item in _bandit_results(result, tree.name)
    ]


def _bandit_on_both(
    ctx: ScoringContext, scope: PerFileScope
) -> tuple[list[Finding], list[Finding]]:
    """The touched files of both trees in one bandit process: on a few files bandit's start-up
    is most of its time. Only for bandit's defaults (a project's ``exclude_dirs`` matches
    paths by substring and glob, so the path bandit sees must be the tree's own): the trees are
    reached through links named with random digits, which no default exclusion matches."""
    where = ctx.scratch / f"bandit-{secrets.token_hex(4)}"
    where.mkdir()
    digits = "".join(secrets.choice("0123456789") for _ in range(12))
    trees = {f"{digits}{n}": t for n, t in enumerate((ctx.base, ctx.patched))}
    paths = []
    for name, tree in trees.items():
        (where / name).symlink_to(tree, target_is_directory=True)
        paths += [f"{name}/{f}" for f in scope.present(tree)]
    if not paths:
        return [], []
    result = run_tool(ctx, "bandit", [*paths, "-f", "json", "-q"], where, label="trees")
    found: dict[str, list[Finding]] = {name: [] for name in trees}
    for item in _bandit_results(result, "base and patched"):
        name, _, path = str(item.get("filename", "")).removeprefix("./").partition("/")
        if name in found:
            found[name].append(_finding(item, path))
    base, patched = found.values()
    return base, patched


def _bandit_results(result: ProcResult, trees: str) -> list[dict[str, Any]]:
    try:
        report = json.loads(result.stdout)
    except ValueError:
        raise ScorerUnknown(
            f"bandit printed no JSON on the {trees} tree: {result.tail(2)}"
        ) from None
    results = report.get("results", []) if isinstance(report, dict) else []
    return [item for item in results if isinstance(item, dict)]


def _finding(item: dict[str, Any], path: str) -> Finding:
    return Finding(
        path=path,
        line=item.get("line_number"),
        rule=item.get("test_id", "bandit"),
        message=f"[{item.get('issue_severity', '?')}] {item.get('issue_text', '')}",
        severity="error" if item.get("issue_severity") in GATING_SEVERITIES else "warning",
    )


@dataclass(frozen=True)
class Audit:
    """pip-audit's answer for a set of requirements."""

    ids: dict[str, set[str]]
    """Project name → vulnerability ids and their aliases."""
    vulns: dict[str, list[dict[str, Any]]]
    """Project name → pip-audit's vulnerability records (with the audited version)."""


def _audit(ctx: ScoringContext, deps: Iterable[Dependency], label: str) -> Audit:
    """Audit ``deps``; ScorerUnknown if any of them could not be audited."""
    deps = sorted(deps)
    if not deps:
        return Audit({}, {})
    requirements = ctx.scratch / f"audit-{label}.txt"
    requirements.write_text("".join(f"{d.requirement}\n" for d in deps), encoding="utf-8")
    args = [
        "-r",
        str(requirements),
        "-f",
        "json",
        "--progress-spinner",
        "off",
        "--cache-dir",
        str(ctx.scratch / "pip-audit-cache"),
        "--timeout",
        "15",
        "-s",
        ctx.settings.vulnerability_service,
    ]
    if ctx.settings.osv_url:
        args += ["--osv-url", ctx.settings.osv_url]
    if all(d.pinned_version for d in deps):
        args += ["--no-deps", "--disable-pip"]  # pinned: no resolution, no install, no index
    result = run_tool(ctx, "pip_audit", args, ctx.scratch, ok_codes=(0, 1))
    try:
        report = json.loads(result.stdout)
    except ValueError:
        last = result.tail(1) or f"exit {result.returncode}"
        raise ScorerUnknown(f"pip-audit could not audit the dependencies: {last}") from None
    audit = Audit({}, {})
    for dep in report.get("dependencies", []):
        if dep.get("skip_reason"):
            name, why = dep.get("name"), dep["skip_reason"]
            raise ScorerUnknown(f"pip-audit could not audit {name}: {why}")
        name = str(dep.get("name", "")).lower()
        for vuln in dep.get("vulns", []):
            audit.ids.setdefault(name, set()).update({vuln["id"], *vuln.get("aliases", [])})
            audit.vulns.setdefault(name, []).append({**vuln, "version": dep.get("version")})
    return audit


class SecurityScorer(Scorer):
    name = "security"

    def score(self, ctx: ScoringContext) -> ScorerResult:
        targets = source_targets(ctx.base) or ["."]
        scope = _bandit_scope(ctx, targets)
        dep_files = [f.path for f in ctx.patch.files if is_dependency_file(f.path)]
        ctx.progress(self.name, "bandit on both trees" + (", pip-audit" if dep_files else ""))
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="security") as pool:
            if scope.files is None or _bandit_config(ctx.base):
                bandit = pool.submit(
                    on_both_trees, ctx, lambda tree: _bandit(ctx, tree, targets, scope)
                )
            else:
                bandit = pool.submit(_bandit_on_both, ctx, scope)
            audit = pool.submit(self._dependencies, ctx, dep_files)
            base, patched = bandit.result()
            vulnerable, audit_details = audit.result()
        diff: FindingsDiff = diff_findings(base, patched, added_lines(ctx))
        findings = [*diff.introduced, *vulnerable]
        gates: list[Gate] = []
        serious = [f for f in diff.introduced if f.severity == "error"]
        if serious:
            first = serious[0]
            gates.append(
                Gate(
                    "security",
                    f"{len(serious)} MEDIUM/HIGH bandit issue(s) introduced, "
                    f"e.g. {first.rule} at {first.path}:{first.line}",
                )
            )
        if vulnerable:
            gates.append(
                Gate(
                    "vulnerable_dependency",
                    "the patch adds a dependency with a known vulnerability: "
                    + "; ".join(f.message for f in vulnerable[:2]),
                )
            )
        return ScorerResult(
            self.name,
            ScorerStatus.OK,
            decay(len(findings), PER_FINDING),
            findings=tuple(findings),
            preexisting=diff.preexisting,
            reason=f"bandit: {len(diff.introduced)} introduced ({len(serious)} MEDIUM/HIGH); "
            + (
                f"pip-audit: {len(vulnerable)} vulnerable dependency change(s)"
                if dep_files
                else "no dependency changes"
            ),
            gates=tuple(gates),
            details={
                "bandit_checked": scope.describe("bandit"),
                "bandit_introduced": len(diff.introduced),
                "bandit_fixed": diff.fixed,
                "dependency_files": dep_files,
                "audit": audit_details,
            },
        )

    def _dependencies(
        self, ctx: ScoringContext, dep_files: list[str]
    ) -> tuple[list[Finding], dict[str, Any]]:
        if not dep_files:
            return [], {}
        try:
            before = read_dependencies(ctx.base, dep_files)
            after = read_dependencies(ctx.patched, dep_files)
        except UnreadableDependencies as exc:
            raise ScorerUnknown(str(exc)) from None
        known = {(d.name, d.spec) for d in before}
        added = {d for d in after if (d.name, d.spec) not in known}
        names = {d.name for d in added}
        counterpart = {d for d in before if d.name in names}
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="pip-audit") as pool:
            patched_future = pool.submit(_audit, ctx, added, "patched")
            base_future = pool.submit(_audit, ctx, counterpart, "base")
            patched, base = patched_future.result(), base_future.result()
        findings: list[Finding] = []
        for dep in sorted(added):
            new_ids = patched.ids.get(dep.name, set()) - base.ids.get(dep.name, set())
            for vuln in patched.vulns.get(dep.name, []):
                if vuln["id"] not in new_ids:
                    continue
                fixes = ", ".join(vuln.get("fix_versions") or []) or "no fixed version"
                aliases = ", ".join(vuln.get("aliases") or [])
                findings.append(
                    Finding(
                        path=dep.source,
                        line=None,
                        rule=vuln["id"],
                        message=f"{dep.name} {vuln.get('version') or dep.spec}: {vuln['id']}"
                        + (f" ({aliases})" if aliases else "")
                        + f"; fixed in {fixes}",
                        severity="error",
                    )
                )
        audited = {
            "added": [d.requirement for d in sorted(added)],
            "compared_with_base": [d.requirement for d in sorted(counterpart)],
        }
        return findings, audited
