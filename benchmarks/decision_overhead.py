#!/usr/bin/env python3
"""Decision overhead: `error-fix score` next to the project's own plain test suite.

DESIGN.md "Performance budget" (target: the whole decision within 1.2x the project's plain
test-suite time).

    python benchmarks/decision_overhead.py [--runs 5] [--out FILE] [--keep DIR]
    python benchmarks/decision_overhead.py --project REPO --base REV --fix REV --python PY
        [--test-args "tests -x"] [--runs 5] [--out FILE] [--keep DIR]

Run it with the interpreter that has error-fix installed: the sample project's tests run with
that same interpreter (``--python sys.executable``; ``--python PY`` picks another one that has
pytest, e.g. a Python 3.12 venv, where coverage can use sys.monitoring). It only measures and
prints; nothing here asserts on time. Steps:

1. copy the sample project (benchmarks/shopkit: src layout, 46 modules, ~1,600 pytest tests of
   mixed cost, some lint and type debt) into a git repository with one commit;
2. take the three patches in benchmarks/patches (clean-fix, regression, security) and
   sanity-check them;
3. one warm-up of each (not counted), then per round and per patch: the plain suite, then
   `error-fix score ... --json` (alternating); medians over --runs and the median of the paired
   score/plain ratios. clean-fix's warm-up is the first decision on the repository (mypy's cache
   under <repo>/.state/cache is empty): it is reported as "cold";
4. per-stage medians of the verdicts' ``timings`` (overhead_figures.py);
5. startup: ``error-fix --help`` and ``python -X importtime -c "import error_fix.cli"``;
6. requests the GitHub forge makes to publish the clean-fix verdict (publish_requests.py);
7. everything to --out as JSON, and a summary on stdout.

Real-project mode (``--project``): your own repository instead of the sample. It is cloned into
the work directory and checked out at ``--base``; the patch is ``git diff --base --fix`` (an
upstream bug fix, say); ``--python`` is an interpreter of the environment where the project's
suite passes (its venv), ``--test-args`` what its suite needs after ``python -m pytest`` (the
same arguments go to error-fix's ``--test-command``). Steps 3, 4 and 7 run as above, with that
one patch (``fix``); the expected outcome is a decision with no scorer ``unknown``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shlex
import shutil
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from overhead_figures import (
    PatchResult,
    ScoreRun,
    load_average,
    machine_info,
    median,
    print_summary,
    summarize_patch,
)
from processes import Timed, git, run, worktree
from publish_requests import measure_publish

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent
SHOPKIT = HERE / "shopkit"
"""The sample project: a small shop's orders, pricing and reports, with planted debt."""
PATCHES = HERE / "patches"
"""The three patches against it, as `git diff` made them."""
DEFAULT_OUT = HERE / "results" / "decision_overhead.json"
PATCH_NAMES = ("clean-fix", "regression", "security")
PLAIN_ARGS = ("-m", "pytest", "-q", "-p", "no:cacheprovider")
CACHES = ("__pycache__", "*.egg-info", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".state")

WORK = {
    "seeds": 6,
    "sort_n": 15_000,
    "csv_rows": 3_000,
    "matrix_n": 70,
    "graph_n": 10_000,
    "stats_n": 300_000,
    "orders_n": 8_000,
    "digest_mb": 48,
    "pack_mb": 24,
    "catalogue_n": 200_000,
}
"""Sizes of the few heavier tests, as shopkit's tests hold them (reported with the results): half
in C-level work (hashing, compression, sorted, json), half in the project's pure-Python code
(parsing, merge sort, graphs, matrices)."""

CLEAN_FIX_TEST = "tests/test_reports.py::test_average_order_value_of_no_orders_is_zero"
SECURITY_TEST = "tests/test_exporter.py::test_post_export_hook_reports_the_exit_status"
EXPECTED = {
    "clean-fix": "auto_merge or auto_merge_pr, no gate",
    "regression": "manual_review with a regression gate",
    "security": "manual_review with a security gate",
    "fix": "a decision (not rejected), no scorer unknown",
}


# =============================================================================================
# 1-2. The project and the patches


def make_project(repo: Path) -> dict[str, Any]:
    """Copy the sample project into ``repo`` and commit it; returns what was made."""
    shutil.copytree(SHOPKIT, repo, dirs_exist_ok=True, ignore=shutil.ignore_patterns(*CACHES))
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "--all")
    git(repo, "commit", "-q", "-m", "shopkit 1.4.0")
    files = [name for name in git(repo, "ls-files", "-z").split("\0") if name]
    sources = [p for p in files if p.startswith("src/") and p.endswith(".py")]
    modules = [p for p in sources if not p.endswith("__init__.py")]
    return {
        "modules": len(modules),
        "files": len(files),
        "lines": sum((repo / p).read_text(encoding="utf-8").count("\n") for p in files),
        "test_files": sum(1 for p in files if Path(p).name.startswith("test_")),
        "work_sizes": dict(WORK),
        "debt": "planted: unused imports in 4 region modules and textutil (ruff F401), wrong "
        "return annotations in dates.weekday_name and cache.LRUCache.get (mypy); the counts "
        "error-fix found on the base are the scorers' `preexisting` (patches.*.base_debt)",
    }


def make_real_project(source: Path, base: str, fix: str, repo: Path, patch: Path) -> dict[str, Any]:
    """Clone ``source`` into ``repo`` at ``base``; write ``git diff base fix`` to ``patch``."""
    base_sha = git(source, "rev-parse", "--verify", f"{base}^{{commit}}").strip()
    fix_sha = git(source, "rev-parse", "--verify", f"{fix}^{{commit}}").strip()
    git(repo.parent, "clone", "--quiet", "--no-checkout", str(source), str(repo))
    git(repo, "checkout", "--quiet", "--detach", base_sha)
    patch.write_text(git(source, "diff", "--binary", base_sha, fix_sha), encoding="utf-8")
    files = [name for name in git(repo, "ls-files", "-z").split("\0") if name]
    sources = [p for p in files if p.endswith(".py") and not _is_test_file(p)]
    changed = [line for line in git(source, "diff", "--name-only", base_sha, fix_sha).split()]
    return {
        "name": source.resolve().name.removesuffix(".git"),
        "source": str(source),
        "base": base_sha,
        "fix": fix_sha,
        "fix_subject": git(source, "log", "-1", "--format=%s", fix_sha).strip(),
        "fix_files": changed,
        "modules": len(sources),
        "files": len(files),
    }


def _is_test_file(path: str) -> bool:
    parts = Path(path).parts
    name = parts[-1]
    return (
        any(p in ("tests", "test", "testing") for p in parts[:-1])
        or name.startswith("test_")
        or name.endswith("_test.py")
        or name == "conftest.py"
    )


def pytest_counts(output: str) -> dict[str, int]:
    """``{"passed": n, "failed": m, ...}`` from pytest's last summary line."""
    lines = [line for line in output.strip().splitlines() if line.strip()]
    last = lines[-1] if lines else ""
    return {kind: int(n) for n, kind in re.findall(r"(\d+) (passed|failed|errors?|skipped)", last)}


def sanity_check(
    repo: Path, patches: Mapping[str, Path], scratch: Path, env: Mapping[str, str], python: str
) -> dict[str, dict[str, Any]]:
    """Each patch applies to the base and does what it is meant to."""
    py = [python, *PLAIN_ARGS]
    out: dict[str, dict[str, Any]] = {}
    for patch in patches.values():
        git(repo, "apply", "--check", str(patch))
    with worktree(repo, scratch / "sanity-clean") as tree:
        git(tree, "apply", "--include=tests/*", str(patches["clean-fix"]))
        before = run([*py, CLEAN_FIX_TEST], tree, env)
        git(tree, "apply", "--exclude=tests/*", str(patches["clean-fix"]))
        after = run([*py, CLEAN_FIX_TEST], tree, env)
        ok = before.returncode == 1 and after.returncode == 0
        out["clean-fix"] = {
            "ok": ok,
            "check": f"{CLEAN_FIX_TEST} fails on the base (exit {before.returncode}) and passes "
            f"patched (exit {after.returncode})",
        }
    with worktree(repo, scratch / "sanity-regression") as tree:
        git(tree, "apply", str(patches["regression"]))
        full = run(py, tree, env)
        failed = pytest_counts(full.stdout).get("failed", 0)
        out["regression"] = {
            "ok": 1 <= failed <= 3,
            "check": f"the whole suite patched: {failed} existing test(s) fail (want 1-3)",
        }
    with worktree(repo, scratch / "sanity-security") as tree:
        git(tree, "apply", str(patches["security"]))
        test = run([*py, SECURITY_TEST], tree, env)
        out["security"] = {
            "ok": test.returncode == 0,
            "check": f"{SECURITY_TEST} passes patched (exit {test.returncode})",
        }
    return out


# =============================================================================================
# 3. Plain suite vs `error-fix score`


def error_fix_command() -> list[str]:
    script = Path(sys.executable).parent / "error-fix"
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    return [sys.executable, "-m", "error_fix"]


def clean_env() -> dict[str, str]:
    env = dict(os.environ)
    for name in ("PYTEST_ADDOPTS", "PYTHONPATH", "COVERAGE_PROCESS_START", "VIRTUAL_ENV"):
        env.pop(name, None)
    return env


class Bench:
    """Runs the plain suite and `error-fix score`, keeping what went wrong."""

    def __init__(
        self,
        repo: Path,
        env: Mapping[str, str],
        retry_wait: float,
        python: str,
        test_args: Sequence[str] = (),
    ) -> None:
        self.repo = repo
        self.python = python
        self.env = dict(env)
        self.retry_wait = retry_wait
        self.test_args = list(test_args)
        self.error_fix = error_fix_command()
        self.problems: list[str] = []

    def plain(self) -> Timed:
        result = run([self.python, *PLAIN_ARGS, *self.test_args], self.repo, self.env)
        if result.returncode != 0:
            self.note(f"plain suite exited {result.returncode}: {_tail(result.stdout, 3)}")
        return result

    def coverage_reference(self, data_file: Path) -> Timed:
        """The plain suite under `coverage run` with the probe's sources (src and the tree root)
        and coverage's default core, without error-fix: what coverage alone costs."""
        cmd = [
            self.python,
            "-m",
            "coverage",
            "run",
            "--source=src,.",
            f"--data-file={data_file}",
        ]
        result = run([*cmd, *PLAIN_ARGS], self.repo, self.env)
        if result.returncode != 0:
            self.note(f"coverage reference exited {result.returncode}: {_tail(result.stdout, 3)}")
        return result

    def score(self, patch: Path) -> ScoreRun | None:
        """One `error-fix score --json`; a crash is reported and retried once after a pause
        (error-fix may be mid-edit in a development checkout)."""
        cmd = [
            *self.error_fix,
            *("score", "--repo", str(self.repo), "--patch", str(patch)),
            *("--python", self.python, "--json"),
        ]
        if self.test_args:
            cmd += ["--test-command", shlex.join(["python", "-m", "pytest", *self.test_args])]
        for attempt in (1, 2):
            result = run(cmd, self.repo, self.env)
            try:
                verdict = json.loads(result.stdout)
            except ValueError:
                verdict = None
            if result.returncode == 0 and isinstance(verdict, dict):
                return ScoreRun(result.seconds, verdict)
            self.note(
                f"error-fix score {patch.stem} (attempt {attempt}) exited {result.returncode}: "
                f"{_tail(result.stderr or result.stdout, 5)}"
            )
            if attempt == 1:
                time.sleep(self.retry_wait)
        return None

    def note(self, text: str) -> None:
        self.problems.append(text)
        print(f"WARNING: {text}", flush=True)


def _tail(text: str, lines: int) -> str:
    return " | ".join(text.strip().splitlines()[-lines:]) or "(no output)"


def measure(
    bench: Bench, patches: Mapping[str, Path], runs: int, scratch: Path
) -> tuple[dict[str, PatchResult], float]:
    """One warm-up of each (not counted), then rounds of plain/score alternating per patch.

    After clean-fix's score, each round also runs the coverage reference (a diagnostic).
    """
    results = {name: PatchResult() for name in patches}
    print("warm-up (not counted): plain suite, then one score per patch ...", flush=True)
    warm_plain = bench.plain().seconds
    for name, patch in patches.items():
        results[name].warmup = bench.score(patch)
    for round_no in range(1, runs + 1):
        line = [f"run {round_no}/{runs}:"]
        for name, patch in patches.items():
            plain = bench.plain().seconds
            scored = bench.score(patch)
            result = results[name]
            result.plain_s.append(plain)
            if scored is not None:
                result.score.append(scored)
                result.ratios.append(scored.wall_s / plain)
                line.append(f"{name} plain {plain:.2f}s score {scored.wall_s:.2f}s")
            else:
                line.append(f"{name} plain {plain:.2f}s score FAILED")
            if name == "clean-fix":
                ref = bench.coverage_reference(scratch / ".coverage-reference")
                result.coverage_ref_s.append(ref.seconds)
                line.append(f"(coverage ref {ref.seconds:.2f}s)")
        print("  ".join(line), flush=True)
    return results, warm_plain


# =============================================================================================
# 5. Startup


def measure_startup(env: Mapping[str, str], runs: int) -> dict[str, Any]:
    cmd = [*error_fix_command(), "--help"]
    run(cmd, REPO_ROOT, env)  # not counted: warm the page cache and .pyc files
    times = [run(cmd, REPO_ROOT, env).seconds for _ in range(runs)]
    imports = run([sys.executable, "-X", "importtime", "-c", "import error_fix.cli"], HERE, env)
    rows: list[tuple[int, int, str]] = []
    for line in imports.stderr.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)", line)
        if match:
            rows.append((int(match[2]), int(match[1]), match[4]))
    rows.sort(reverse=True)
    score_imports = run(
        [sys.executable, "-X", "importtime", "-c", "import error_fix.cli, error_fix.pipeline"],
        HERE,
        env,
    )
    total_us = sum(
        int(m[1])
        for m in re.finditer(r"import time:\s+(\d+) \|", score_imports.stderr, flags=re.MULTILINE)
    )
    return {
        "help_command": cmd,
        "help_s": [round(t, 3) for t in times],
        "help_median_s": median(times),
        "import_cli_top5_cumulative": [
            {"module": name, "cumulative_ms": round(cum / 1000, 1), "self_ms": round(own / 1000, 1)}
            for cum, own, name in rows[:5]
        ],
        "import_cli_total_ms": round(sum(own for _, own, _ in rows) / 1000, 1),
        "import_cli_and_pipeline_total_ms": round(total_us / 1000, 1),
    }


# =============================================================================================


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=5, help="measured runs per patch (min 3)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON results file")
    parser.add_argument(
        "--keep",
        type=Path,
        help="build in DIR (empty or absent: DIR/project, DIR/patches) and keep it",
    )
    parser.add_argument(
        "--python",
        default=sys.executable,
        help="interpreter for the generated project's tests (needs pytest; default: this one)",
    )
    real = parser.add_argument_group("real-project mode (instead of the sample project)")
    real.add_argument("--project", type=Path, help="a git repository (checkout or bare)")
    real.add_argument("--base", help="the base revision the fix applies to")
    real.add_argument("--fix", help="the fix: the patch is `git diff BASE FIX`")
    real.add_argument(
        "--test-args",
        default="",
        help="what the suite needs after `python -m pytest`, e.g. 'tests' (one string)",
    )
    parser.add_argument(
        "--retry-wait",
        type=float,
        default=60.0,
        help="seconds to wait before retrying a crashed error-fix run (default 60)",
    )
    args = parser.parse_args(argv)
    runs = max(3, args.runs)
    if args.project is not None and not (args.base and args.fix):
        parser.error("--project needs --base and --fix")
    if args.project is None and (args.base or args.fix or args.test_args):
        parser.error("--base, --fix and --test-args go with --project")
    if args.keep is not None:
        if args.keep.exists() and any(args.keep.iterdir()):
            parser.error(f"--keep {args.keep}: must be empty or absent")
        workdir = args.keep.resolve()
        workdir.mkdir(parents=True, exist_ok=True)
    else:
        workdir = Path(tempfile.mkdtemp(prefix="decision-overhead-"))
    python = os.path.abspath(args.python) if os.sep in args.python else args.python
    try:
        if args.project is not None:
            return _run_real(
                workdir,
                runs,
                args.out.resolve(),
                args.retry_wait,
                python,
                (args.project.resolve(), args.base, args.fix),
                shlex.split(args.test_args),
            )
        return _run(workdir, runs, args.out.resolve(), args.retry_wait, args.keep, python)
    finally:
        if args.keep is None:
            shutil.rmtree(workdir, ignore_errors=True)


def _run(
    workdir: Path, runs: int, out: Path, retry_wait: float, keep: Path | None, python: str
) -> int:
    env = clean_env()
    load_at_start = load_average()
    repo, patch_dir, scratch = workdir / "project", workdir / "patches", workdir / "scratch"
    for d in (repo, patch_dir, scratch):
        d.mkdir()
    print(f"copying the project to {repo} ...", flush=True)
    project = make_project(repo)
    patches = {name: patch_dir / f"{name}.patch" for name in PATCH_NAMES}
    for name, path in patches.items():
        shutil.copyfile(PATCHES / f"{name}.patch", path)
    print("sanity-checking the patches ...", flush=True)
    sanity = sanity_check(repo, patches, scratch, env, python)
    bench = Bench(repo, env, retry_wait, python)
    for name, check in sanity.items():
        print(f"  {name}: {'ok' if check['ok'] else 'NOT OK'} — {check['check']}")
        if not check["ok"]:
            bench.note(f"sanity check failed for {name}: {check['check']}")

    collected = run([python, *PLAIN_ARGS, "--collect-only"], repo, env)
    counted = re.search(r"(\d+) tests? collected", collected.stdout)
    project["tests"] = int(counted[1]) if counted else None
    results, warm_plain = measure(bench, patches, runs, scratch)
    summaries = {
        name: summarize_patch(name, results[name], EXPECTED[name], bench.note) for name in patches
    }
    _add_cold(summaries["clean-fix"], results["clean-fix"], warm_plain)

    print("measuring startup ...", flush=True)
    startup = measure_startup(env, runs)
    print("publishing the clean-fix verdict to the fake GitHub ...", flush=True)
    clean_runs = results["clean-fix"].score
    if clean_runs:
        publish = measure_publish(repo, patches["clean-fix"], clean_runs[-1].verdict, scratch)
    else:
        publish = {"measured": False, "why": "no clean-fix verdict"}

    report = _report(
        {**project, "name": "shopkit", "path": str(repo) if keep is not None else None},
        python,
        [],
        env,
        runs,
        load_at_start,
        warm_plain,
        sanity,
        summaries,
        out,
    )
    report.update(startup=startup, publish=publish, problems=bench.problems)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print_summary(report)
    return 0


def _add_cold(summary: dict[str, Any], result: PatchResult, warm_plain: float) -> None:
    """The patch's warm-up was the first decision on the repository: report it as "cold"."""
    warm = result.warmup
    if warm is not None:
        summary["cold"] = {
            "score_s": round(warm.wall_s, 3),
            "plain_s": round(warm_plain, 3),
            "ratio": round(warm.wall_s / warm_plain, 3),
            "duration_s": warm.verdict.get("duration_s"),
            "timings": warm.verdict.get("timings"),
            "note": "the warm-up: first decision on the repository (empty .state/cache)",
        }


def _report(
    project: dict[str, Any],
    python: str,
    test_args: list[str],
    env: Mapping[str, str],
    runs: int,
    load_at_start: list[float] | None,
    warm_plain: float,
    sanity: dict[str, dict[str, Any]],
    summaries: dict[str, dict[str, Any]],
    out: Path,
) -> dict[str, Any]:
    """The JSON report: machine, error-fix, project, and the per-patch summaries."""
    version = run([*error_fix_command(), "--version"], REPO_ROOT, env).stdout.strip()
    command = [*error_fix_command(), "score", "--repo", "…", "--patch", "…", "--python", python]
    if test_args:
        command += ["--test-command", shlex.join(["python", "-m", "pytest", *test_args])]
    return {
        "benchmark": "decision_overhead",
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {**machine_info(), "load_average_at_start": load_at_start},
        "error_fix": {
            "version": version.removeprefix("error-fix ") or None,
            "command": [*command, "--json"],
        },
        "project": {
            **project,
            "python": python,
            "python_version": run(
                [python, "-c", "import platform; print(platform.python_version())"], HERE, env
            ).stdout.strip(),
            "plain_command": [python, *PLAIN_ARGS, *test_args],
            "plain_warmup_s": round(warm_plain, 3),
        },
        "runs": runs,
        "warmup": "one plain run and one score per patch before the measured runs, not counted",
        "sanity": sanity,
        "patches": summaries,
        "startup": None,
        "publish": None,
        "problems": [],
        "out": str(out),
    }


def _run_real(
    workdir: Path,
    runs: int,
    out: Path,
    retry_wait: float,
    python: str,
    source: tuple[Path, str, str],
    test_args: list[str],
) -> int:
    env = clean_env()
    load_at_start = load_average()
    repo, patch_dir = workdir / "project", workdir / "patches"
    patch_dir.mkdir(parents=True)
    patch = patch_dir / "fix.patch"
    print(f"cloning {source[0]} at {source[1]} ...", flush=True)
    project = make_real_project(*source, repo, patch)
    bench = Bench(repo, env, retry_wait, python, test_args)
    collected = run([python, *PLAIN_ARGS, *test_args, "--collect-only"], repo, env)
    counted = re.search(r"(\d+) tests? collected", collected.stdout)
    project["tests"] = int(counted[1]) if counted else None
    results, warm_plain = measure(bench, {"fix": patch}, runs, workdir)
    sanity = {
        "fix": {
            "ok": not any(p.startswith("plain suite exited") for p in bench.problems),
            "check": "the plain suite passes on the base in its own environment",
        }
    }
    summaries = {"fix": summarize_patch("fix", results["fix"], EXPECTED["fix"], bench.note)}
    _add_cold(summaries["fix"], results["fix"], warm_plain)
    report = _report(
        project, python, test_args, env, runs, load_at_start, warm_plain, sanity, summaries, out
    )
    report["problems"] = bench.problems
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print_summary(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
