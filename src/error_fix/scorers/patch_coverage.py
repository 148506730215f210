"""Coverage scorer → ``coverage_maintained``: are the lines the patch adds executed by the tests?

Measured on the tests scorer's one patched run (no second run of the suite): the probe plugin
starts coverage inside the project's pytest — the project's own coverage package when it has one,
else error-fix's copy put at the end of its ``sys.path``, so a project that only installed pytest
works too.

Score = patch coverage (executed added statements / added statements; 1.0 when the patch adds no
statement). The total (non-test code) must not drop against the base: the base total comes from
a cached earlier run of the same tree (``coverage-baseline = "auto"``: every run records its
patched tree's total in the state directory, so a merged fix becomes the next base's baseline),
or from a full base run (``"measure"``), or is not compared (``"off"``). A drop of more than 0.1
percentage point caps the score at 0.5.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..patch import is_test_path
from ..state import locked, write_json_atomic
from ..testrun import TestRun, TestRunner, resolve_python
from .interface import Finding, Scorer, ScorerResult, ScorerStatus, ScorerUnknown, ScoringContext

BASELINES = "coverage_totals.json"
KEEP_BASELINES = 200
ALLOWED_DROP = 0.1  # percentage points


def _load(run: TestRun, scratch: Path, name: str) -> Any:
    """A coverage.Coverage holding the run's data, combined over its processes."""
    from coverage import Coverage, CoverageData

    if run.coverage_data is None:
        raise ScorerUnknown("the test run did not measure coverage")
    parts = sorted(run.coverage_data.parent.glob(run.coverage_data.name + ".*"))
    if not parts:
        raise ScorerUnknown(
            "the test run recorded no coverage data (coverage could not start in the project's "
            "interpreter)"
        )
    combined_path = scratch / f"coverage-{name}"
    combined = CoverageData(basename=str(combined_path))
    for part in parts:
        data = CoverageData(basename=str(part))
        data.read()
        combined.update(data)
    combined.write()
    cov = Coverage(data_file=str(combined_path), config_file=False)
    cov.load()
    return cov


def _total(cov: Any, tree: Path) -> float | None:
    """Percent of non-test statements executed, over the files the run imported."""
    root = os.path.realpath(tree)
    statements = executed = 0
    for measured in cov.get_data().measured_files():
        real = os.path.realpath(measured)
        if not real.startswith(root + os.sep):
            continue
        rel = Path(real).relative_to(root).as_posix()
        if is_test_path(rel) or not rel.endswith(".py"):
            continue
        _, stmts, _, missing, _ = cov.analysis2(real)
        statements += len(stmts)
        executed += len(stmts) - len(missing)
    return 100.0 * executed / statements if statements else None


def _ranges(lines: list[int]) -> list[tuple[int, int]]:
    ranges: list[tuple[int, int]] = []
    for line in lines:
        if ranges and line == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], line)
        else:
            ranges.append((line, line))
    return ranges


_DEF_TEST = re.compile(r"^([+-])\s*(?:async\s+)?def\s+(test\w*)\s*\(", re.MULTILINE)


def changed_sources(ctx: ScoringContext) -> list[str]:
    """Non-test Python files the patched tree has that the patch adds lines to."""
    return [
        f.path
        for f in ctx.patch.files
        if not f.is_test and f.status != "deleted" and f.path.endswith(".py") and f.added_lines
    ]


def coverage_request(ctx: ScoringContext) -> bool | list[str]:
    """What the one patched test run measures: only the files the patch changes (tracing the
    rest would cost up to the suite's own time again), or everything when totals are compared;
    nothing when the coverage scorer is switched off (the run then goes at full speed)."""
    if "coverage" in ctx.settings.disabled:
        return False
    if ctx.settings.coverage_baseline != "off":
        return True
    return changed_sources(ctx) or False


def removed_tests(test_diff: bytes) -> list[str]:
    """Test functions the patch deletes (removed and not added back under the same name)."""
    text = test_diff.decode("utf-8", errors="replace")
    removed = {name for sign, name in _DEF_TEST.findall(text) if sign == "-"}
    added = {name for sign, name in _DEF_TEST.findall(text) if sign == "+"}
    return sorted(removed - added)


def _added_statements(
    ctx: ScoringContext, cov: Any, sources: list[str]
) -> tuple[int, int, list[tuple[Finding, int]]]:
    """Statements the patch adds to ``sources``, how many of them ran, and a finding for each
    range that did not (with the range's last line)."""
    patched_root = Path(os.path.realpath(ctx.patched))
    added = covered = 0
    findings: list[Finding] = []
    ends: list[int] = []
    for path in sources:
        change = next(f for f in ctx.patch.files if f.path == path)
        _, statements, _, missing, _ = cov.analysis2(str(patched_root / path))
        relevant = sorted(set(change.added_lines) & set(statements))
        unexecuted = [line for line in relevant if line in set(missing)]
        added += len(relevant)
        covered += len(relevant) - len(unexecuted)
        for start, end in _ranges(unexecuted):
            where = f"line {start}" if start == end else f"lines {start}-{end}"
            findings.append(
                Finding(
                    path, start, "uncovered", f"added {where} not executed by any test", "notice"
                )
            )
            ends.append(end)
    return added, covered, list(zip(findings, ends, strict=True))


def coverage_on_patched(ctx: ScoringContext, full: TestRun, proof: TestRun | None) -> TestRun:
    """The run the coverage scorer reads: the suite's run, joined by the proof run, with every
    measured file moved onto the patched tree (the patch's source files are the same in the
    regression tree and the patched one)."""
    runs = [run for run in (full, proof) if run is not None and run.coverage_data is not None]
    last = proof or full
    if not runs or (proof is None and full.tree == ctx.patched):
        return last
    from coverage import CoverageData

    merged = ctx.scratch / "coverage-moved" / ".coverage"
    merged.parent.mkdir(exist_ok=True)
    target = os.path.realpath(ctx.patched)
    parts = [
        (os.path.realpath(run.tree), part)
        for run in runs
        if run.coverage_data is not None
        for part in sorted(run.coverage_data.parent.glob(run.coverage_data.name + ".*"))
    ]
    for index, (root, part) in enumerate(parts):
        data = CoverageData(basename=str(part))
        data.read()
        lines: dict[str, list[int]] = {}
        for measured in data.measured_files():
            real = os.path.realpath(measured)
            path = target + real[len(root) :] if real.startswith(root + os.sep) else measured
            lines[path] = sorted(data.lines(measured) or ())
        moved = CoverageData(basename=f"{merged}.{index}")
        moved.add_lines(lines)
        moved.write()
    engines = sorted({e for run in runs for e in run.coverage_engine.split(", ") if e})
    return replace(last, tree=ctx.patched, coverage_data=merged, coverage_engine=", ".join(engines))


class CoverageScorer(Scorer):
    name = "coverage"

    def score(self, ctx: ScoringContext) -> ScorerResult:
        if "tests" in ctx.settings.disabled:
            return ScorerResult.skipped(self.name, "the tests scorer is disabled: no test run")
        try:
            run: TestRun = ctx.patched_test_run.result()
        except Exception as exc:
            raise ScorerUnknown(f"no patched test run to measure: {exc}") from None
        ctx.progress(self.name, "reading coverage of the patched run")
        sources = changed_sources(ctx)
        measured_all = coverage_request(ctx) is True
        cov = _load(run, ctx.scratch, "patched") if sources or measured_all else None
        added, covered, uncovered = (
            (0, 0, []) if cov is None else _added_statements(ctx, cov, sources)
        )
        findings = [finding for finding, _ in uncovered]
        patch_coverage = covered / added if added else 1.0
        score = patch_coverage
        gone = removed_tests(ctx.patch.test_diff)
        if gone:
            score = min(score, 0.5)
            findings.append(
                Finding(
                    ctx.patch.test_files[0] if ctx.patch.test_files else ".",
                    None,
                    "tests-removed",
                    f"the patch removes {len(gone)} existing test(s): {', '.join(gone[:5])}",
                    "warning",
                )
            )
        summary = (
            f"{covered}/{added} added statements executed" if added else "no executable lines added"
        )
        total = baseline = None
        source = "not compared (coverage-baseline = off: only the changed files are measured)"
        if measured_all and cov is not None:
            total = _total(cov, ctx.patched)
            baseline, source = self._baseline(ctx)
            self._remember(ctx, ctx.tree_ids[1], total)
            if total is not None and baseline is not None and total < baseline - ALLOWED_DROP:
                score = min(score, 0.5)
                findings.append(
                    Finding(
                        ".",
                        None,
                        "coverage-drop",
                        f"total coverage fell from {baseline:.1f}% to {total:.1f}%",
                        "warning",
                    )
                )
            if total is not None:
                summary += f"; total {total:.1f}%"
                summary += f" (base {baseline:.1f}%)" if baseline is not None else f" ({source})"
        return ScorerResult(
            self.name,
            ScorerStatus.OK,
            round(score, 4),
            findings=tuple(findings),
            reason=summary,
            details={
                "patch_coverage": round(patch_coverage, 4),
                "added_statements": added,
                "executed": covered,
                "measured": "all project files" if measured_all else sources,
                "engine": run.coverage_engine,
                "tests_removed": gone,
                "uncovered": [
                    {"path": f.path, "start_line": f.line, "end_line": end} for f, end in uncovered
                ],
                "total": None if total is None else round(total, 2),
                "baseline": None if baseline is None else round(baseline, 2),
                "baseline_source": source,
            },
        )

    def _baseline(self, ctx: ScoringContext) -> tuple[float | None, str]:
        mode = ctx.settings.coverage_baseline
        if mode == "off":
            return None, "base total not compared (coverage-baseline = off)"
        if mode == "auto":
            cached = self._cached(ctx).get(ctx.tree_ids[0])
            if cached is not None:
                return float(cached["total"]), "cached"
            return None, "no baseline for this base yet: total not compared"
        python = resolve_python(ctx.settings.python, ctx.env)
        if python is None:
            raise ScorerUnknown(f"python interpreter not found: {ctx.settings.python}")
        ctx.progress(self.name, "measuring the base total (coverage-baseline = measure)")
        runner = TestRunner(
            ctx.settings.test_command,
            python,
            ctx.env,
            ctx.scratch,
            ctx.settings.test_timeout,
            ctx.timings,
            sandbox=ctx.sandbox,
        )
        base_run = runner.run(ctx.base, None, coverage=True, label="base-coverage")
        if base_run.timed_out or not base_run.junit_found:
            raise ScorerUnknown("the base test run for the coverage baseline did not complete")
        total = _total(_load(base_run, ctx.scratch, "base"), ctx.base)
        self._remember(ctx, ctx.tree_ids[0], total)
        return total, "measured"

    @staticmethod
    def _cached(ctx: ScoringContext) -> dict[str, Any]:
        if ctx.state_dir is None:
            return {}
        try:
            data = json.loads((ctx.state_dir / BASELINES).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _remember(self, ctx: ScoringContext, tree_id: str, total: float | None) -> None:
        if ctx.state_dir is None or total is None or not tree_id:
            return
        path = ctx.state_dir / BASELINES
        with locked(path):
            data = self._cached(ctx)
            data[tree_id] = {
                "total": round(total, 3),
                "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            }
            newest = sorted(data.items(), key=lambda kv: str(kv[1].get("at")))[-KEEP_BASELINES:]
            write_json_atomic(path, dict(newest))
