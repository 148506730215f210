"""Figures of the decision-overhead benchmark: from timed runs and verdicts to medians,
per-stage breakdowns and the printed summary (decision_overhead.py drives the runs)."""

from __future__ import annotations

import os
import platform
import re
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

STAGE_ORDER = (
    "intake",
    "worktrees",
    "scorers",
    "pytest:after",
    "pytest:after-coverage",
    "pytest:proof",
    "pytest:before",
    "pytest:before-failing",
    "pytest:base-collect",
    "pytest:base-check",
    "pytest:after-rerun",
    "pytest:before-rerun",
    "pytest:base-rerun",
    "pytest:regression-rerun",
    "pytest:patched-rerun",
    "pytest:tests-rerun",
    "ruff:base",
    "ruff:patched",
    "mypy:base",
    "mypy:patched",
    "bandit:trees",
    "bandit:base",
    "bandit:patched",
    "pip_audit:scratch",
    "cleanup",
    "decision",
    "mutation",
)


@dataclass
class ScoreRun:
    wall_s: float
    verdict: dict[str, Any]


@dataclass
class PatchResult:
    plain_s: list[float] = field(default_factory=list)
    score: list[ScoreRun] = field(default_factory=list)
    ratios: list[float] = field(default_factory=list)
    warmup: ScoreRun | None = None
    coverage_ref_s: list[float] = field(default_factory=list)


def median(values: Sequence[float]) -> float | None:
    return round(statistics.median(values), 3) if values else None


def stage_medians(runs: Sequence[ScoreRun]) -> dict[str, float]:
    """Median per ``timings`` key over the runs (a stage a run did not have counts 0 s)."""
    keys = {k for r in runs for k in r.verdict.get("timings", {})}
    ordered = [k for k in STAGE_ORDER if k in keys] + sorted(keys - set(STAGE_ORDER))
    return {
        k: round(
            statistics.median(float(r.verdict.get("timings", {}).get(k, 0.0)) for r in runs), 3
        )
        for k in ordered
    }


def gate_names(verdict: Mapping[str, Any]) -> list[str]:
    return [str(g.get("name")) for g in verdict.get("gates") or [] if isinstance(g, dict)]


def as_expected(name: str, verdict: Mapping[str, Any]) -> bool:
    decision, gates = verdict.get("decision"), gate_names(verdict)
    if name == "fix":  # a real project's fix: any decision, every scorer able to score
        return decision not in (None, "rejected") and not unknown_scorers(verdict)
    if name == "clean-fix":
        return decision in ("auto_merge", "auto_merge_pr") and not gates
    wanted = "regression" if name == "regression" else "security"
    return decision == "manual_review" and wanted in gates


def unknown_scorers(verdict: Mapping[str, Any]) -> list[str]:
    scorers = verdict.get("scorers") or {}
    return [
        f"{name}: {info.get('reason')}"
        for name, info in scorers.items()
        if isinstance(info, dict) and info.get("status") == "unknown"
    ]


def _tests_detail(verdict: Mapping[str, Any], key: str) -> Any:
    return (((verdict.get("scorers") or {}).get("tests") or {}).get("details") or {}).get(key)


def _coverage_detail(verdict: Mapping[str, Any], key: str) -> Any:
    return (((verdict.get("scorers") or {}).get("coverage") or {}).get("details") or {}).get(key)


def summarize_patch(
    name: str, result: PatchResult, expected: str, note: Callable[[str], None]
) -> dict[str, Any]:
    verdicts = [r.verdict for r in result.score]
    for v in verdicts:
        if not as_expected(name, v):
            note(
                f"{name}: decision {v.get('decision')} gates {gate_names(v) or 'none'} "
                f"(expected {expected})"
            )
        for unknown in unknown_scorers(v):
            note(f"{name}: scorer unknown: {unknown}")
    walls = [r.wall_s for r in result.score]
    durations = [float(r.verdict.get("duration_s") or 0.0) for r in result.score]
    medians = stage_medians(result.score)
    plain_median = median(result.plain_s)
    after = medians.get("pytest:after")
    summary: dict[str, Any] = {
        "expected": expected,
        "plain_s": [round(s, 3) for s in result.plain_s],
        "score_s": [round(s, 3) for s in walls],
        "plain_median_s": plain_median,
        "score_median_s": median(walls),
        "ratio_median": median(result.ratios),
        "ratios": [round(r, 3) for r in result.ratios],
        "verdict_duration_median_s": median(durations),
        "cli_overhead_median_s": median([w - d for w, d in zip(walls, durations, strict=True)]),
        "after_run_over_plain": round(after / plain_median, 3) if after and plain_median else None,
        "scorers_beyond_after_run_s": round(medians["scorers"] - after, 3)
        if after and "scorers" in medians
        else None,
        "mutation_over_plain": round(medians["mutation"] / plain_median, 3)
        if medians.get("mutation") and plain_median
        else None,
        "mutation": _mutation_counts(verdicts[-1]) if verdicts else None,
        "stage_medians_s": medians,
        "pytest_sessions": [_tests_detail(v, "pytest_sessions") for v in verdicts],
        "coverage_engine": _one([_coverage_detail(v, "engine") for v in verdicts]),
        "decisions": [v.get("decision") for v in verdicts],
        "overall": [(v.get("confidence") or {}).get("overall") for v in verdicts],
        "gates": sorted({g for v in verdicts for g in gate_names(v)}),
        "as_expected": bool(verdicts) and all(as_expected(name, v) for v in verdicts),
        "tests": verdicts[-1].get("tests") if verdicts else None,
        "base_debt": {
            k: (s or {}).get("preexisting") for k, s in (verdicts[-1].get("scorers") or {}).items()
        }
        if verdicts
        else {},
        "scorer_status": {
            k: (s or {}).get("status") for k, s in (verdicts[-1].get("scorers") or {}).items()
        }
        if verdicts
        else {},
    }
    if result.coverage_ref_s:
        ref = statistics.median(result.coverage_ref_s)
        summary["coverage_reference"] = {
            "what": "plain suite under `coverage run --source=src,.` (all sources, coverage's "
            "default core; no error-fix), once per round after clean-fix's score",
            "runs_s": [round(t, 3) for t in result.coverage_ref_s],
            "median_s": round(ref, 3),
            "over_plain": round(ref / plain_median, 3) if plain_median else None,
            "after_run_minus_reference_s": round(after - ref, 3) if after else None,
        }
    if result.warmup is not None:
        summary["warmup"] = {
            "score_s": round(result.warmup.wall_s, 3),
            "duration_s": result.warmup.verdict.get("duration_s"),
            "decision": result.warmup.verdict.get("decision"),
            "timings": result.warmup.verdict.get("timings"),
        }
    return summary


def machine_info() -> dict[str, Any]:
    model = None
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        found = re.search(r"^model name\s*:\s*(.+)$", cpuinfo.read_text(), flags=re.MULTILINE)
        model = found[1].strip() if found else None
    return {
        "cpu_count": os.cpu_count(),
        "cpu_affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "cpu_model": model,
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "load_average": load_average(),
    }


def load_average() -> list[float] | None:
    """1/5/15-minute load averages: other work on the machine skews every wall time here."""
    return [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None


def _fmt(value: object, width: int = 15) -> str:
    if value is None:
        text = "-"
    elif isinstance(value, float):
        text = f"{value:.2f}"
    else:
        text = str(value)
    return text.rjust(width)


def _mutation_counts(verdict: Mapping[str, Any]) -> dict[str, Any] | None:
    """What the mutation stage did in one verdict: status, counts and the survivors."""
    section = (verdict.get("scorers") or {}).get("mutation")
    if not section:
        return None
    details = section.get("details") or {}
    keys = ("generated", "run", "killed", "timed_out", "survived", "out_of_budget", "processes")
    return {
        "status": section.get("status"),
        "reason": section.get("reason"),
        **{k: details.get(k) for k in keys},
        "survivors": [f.get("message") for f in section.get("findings") or []],
    }


def print_summary(report: Mapping[str, Any]) -> None:
    patches: Mapping[str, Any] = report["patches"]
    names = list(patches)
    project, machine = report["project"], report["machine"]
    print()
    print("=" * 78)
    print(
        f"decision overhead — {project['name']}: {project['modules']} modules, "
        f"{project['tests']} tests; project tests on Python {project['python_version']} "
        f"(error-fix on {machine['python']}), {machine['cpu_count']} CPUs"
    )
    if project.get("fix"):
        print(
            f"patch: git diff {project['base'][:12]} {project['fix'][:12]} "
            f"({project['fix_subject']}: {', '.join(project['fix_files'])})"
        )
    print(
        f"load average (1/5/15 min) at start {machine['load_average_at_start']}, "
        f"at end {machine['load_average']}"
    )
    print(f"error-fix {report['error_fix']['version']}: {' '.join(report['error_fix']['command'])}")
    print(
        f"runs: {report['runs']} per patch, alternating plain/score; one warm-up of each first "
        "(not counted)"
    )
    header = "".join(_fmt(n) for n in names)
    print(f"\n{'wall time (s), medians':<30}{header}")
    for label, key in (
        ("plain suite", "plain_median_s"),
        ("error-fix score (wall)", "score_median_s"),
        ("score/plain (median ratio)", "ratio_median"),
        ("verdict duration_s", "verdict_duration_median_s"),
        ("CLI overhead (wall-duration)", "cli_overhead_median_s"),
        ("pytest:after / plain", "after_run_over_plain"),
        ("scorers - pytest:after", "scorers_beyond_after_run_s"),
        ("mutation stage / plain", "mutation_over_plain"),
    ):
        print(f"{label:<30}" + "".join(_fmt(patches[n].get(key)) for n in names))
    first = names[0]
    cold = patches[first].get("cold")
    if cold:
        print(
            f"{first} cold (first decision, empty mypy cache): score {cold['score_s']:.2f}s, "
            f"plain warm-up {cold['plain_s']:.2f}s -> {cold['ratio']:.2f}; "
            f"warm median {patches[first]['score_median_s']:.2f}s"
        )
    reference = patches.get("clean-fix", {}).get("coverage_reference")
    if reference:
        print(
            f"coverage reference (plain suite under `coverage run`, all sources, default core; "
            f"no error-fix): median "
            f"{reference['median_s']:.2f}s = {reference['over_plain']:.2f}x plain; "
            f"clean-fix pytest:after is {reference['after_run_minus_reference_s']:+.2f}s off it"
        )
    seen = {k for n in names for k in patches[n]["stage_medians_s"]}
    stages = [k for k in STAGE_ORDER if k in seen] + sorted(seen - set(STAGE_ORDER))
    print(f"\n{'per-stage medians (s)':<30}{header}")
    for stage in stages:
        print(
            f"{stage:<30}" + "".join(_fmt(patches[n]["stage_medians_s"].get(stage)) for n in names)
        )
    print(
        f"{'pytest sessions':<30}"
        + "".join(_fmt(_one(patches[n]["pytest_sessions"])) for n in names)
    )
    print(f"{'coverage engine':<30}" + "".join(_fmt(patches[n]["coverage_engine"]) for n in names))
    print(f"{'verdict decision':<30}" + "".join(_fmt(_one(patches[n]["decisions"])) for n in names))
    print(f"{'verdict overall':<30}" + "".join(_fmt(_one(patches[n]["overall"])) for n in names))
    print(
        f"{'verdict gates':<30}"
        + "".join(_fmt(",".join(patches[n]["gates"]) or "-") for n in names)
    )
    for name in names:
        counts = patches[name].get("mutation")
        if counts:
            print(f"mutation ({name}): {counts['status']}: {counts['reason']}")
            for survivor in counts["survivors"][:5]:
                print(f"  survivor: {survivor}")
    print(
        f"{'base debt lint/types/security':<30}"
        + "".join(
            _fmt(
                "/".join(str(patches[n]["base_debt"].get(k)) for k in ("lint", "types", "security"))
            )
            for n in names
        )
    )
    print(f"{'as expected':<30}" + "".join(_fmt(patches[n]["as_expected"]) for n in names))
    for n in names:
        if not patches[n]["as_expected"]:
            print(f"WARNING: {n}: expected {patches[n]['expected']}")
    _print_startup_and_publish(report)
    problems = list(dict.fromkeys(report["problems"]))
    if problems:
        print(f"\nproblems seen during the run ({len(report['problems'])}, distinct below):")
    for problem in problems:
        print(f"WARNING: {problem}")
    print(f"\nwritten: {report['out']}")
    ratio = patches[first].get("ratio_median")
    shown = f"{ratio:.2f}" if isinstance(ratio, float) else "not measured"
    print(f"{first}: score/plain = {shown} (median of {len(patches[first].get('ratios', []))})")


def _print_startup_and_publish(report: Mapping[str, Any]) -> None:
    """The sample project's extras (real-project mode measures neither)."""
    startup = report["startup"]
    if startup is None:
        return
    print(
        f"\nstartup: error-fix --help median {startup['help_median_s']:.3f}s "
        f"(runs: {', '.join(f'{t:.3f}' for t in startup['help_s'])})"
    )
    print(
        f"import error_fix.cli: {startup['import_cli_total_ms']:.1f} ms "
        f"(with error_fix.pipeline: {startup['import_cli_and_pipeline_total_ms']:.1f} ms); "
        "top 5 cumulative:"
    )
    for row in startup["import_cli_top5_cumulative"]:
        print(f"  {row['cumulative_ms']:8.1f} ms  {row['module']}")
    publish = report["publish"]
    if publish.get("measured"):
        for scenario, info in publish["scenarios"].items():
            target = f" (target {publish['target']})" if scenario == "protected" else ""
            print(
                f"\npublish requests ({scenario}: {info['setup']}): {info['request_count']}"
                f"{target} for a fresh {publish['decision']} -> {info['outcome']}"
            )
            for request in info["requests"]:
                print(f"  {request}")
    else:
        print("\npublish requests: not measured (GitHub forge unavailable)")
        print(f"  ({publish.get('why')})")


def _one(values: Sequence[object]) -> object:
    distinct = list(dict.fromkeys(values))
    if not distinct:
        return None
    return distinct[0] if len(distinct) == 1 else "/".join(map(str, distinct))
