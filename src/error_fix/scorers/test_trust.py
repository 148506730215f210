"""When the test runs cannot judge the patch: the reasons the tests scorer is ``unknown``.

A run that timed out, wrote no JUnit XML, collected nothing, ran an installed copy of the project,
or whose report a hook rewrote cannot be trusted; nor can a suite whose modules fail to import on
the base too (a generated file or a dependency the environment lacks), nor a base tree the
patch's code changed while it ran.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from .. import proc
from ..testrun import TestRun, TestStatus


def tree_state(tree: Path) -> frozenset[str]:
    """What differs in ``tree`` from its commit (bytecode caches aside), one entry per file."""
    status = proc.git(tree, "status", "--porcelain", "--untracked-files=all", check=False)
    return frozenset(line for line in status.stdout.splitlines() if "__pycache__/" not in line)


def tampered_reason(base: Path, before: frozenset[str]) -> str | None:
    """Why the base's results cannot be trusted: files that changed in it since ``before``."""
    tampered = tree_state(base) - before
    if not tampered:
        return None
    return (
        "the base tree changed while the patch's code ran ("
        + ", ".join(sorted(tampered)[:3])
        + "): its results cannot be trusted (the sandbox prevents this)"
    )


def unknown_reason(
    run: TestRun, tree: Path, what: str, *, must_hold_tests: bool = False
) -> str | None:
    """Why ``run`` (of ``what``, in ``tree``) says nothing about the patch; None when it does."""
    if run.timed_out:
        each = run.duration_s / run.attempts
        return f"{what} timed out (killed after {each:.0f}s, twice)"
    if not run.junit_found:
        last = run.output_tail.splitlines()[-1] if run.output_tail else ""
        return (
            f"the test command wrote no JUnit XML (exit {run.returncode}); "
            f"it must run pytest: {last}"
        ).strip()
    if must_hold_tests and (run.returncode == 5 or not run.outcomes):
        return "no tests were collected: the suite checks nothing"
    if run.returncode not in (0, 5) and not run.failed:
        return f"the test command exited {run.returncode} with no failing test recorded"
    root = os.path.realpath(tree)
    strays = {m: f for m, f in run.imported.items() if not f.startswith(root + os.sep)}
    if strays:
        module, location = sorted(strays.items())[0]
        return (
            f"the tests imported {module} from {location}, not from the {tree.name} tree; "
            "an installed copy shadows the worktree"
        )
    return None


def rewritten_reason(runs: Iterable[TestRun | None]) -> str | None:
    """Why the runs cannot be trusted when a hook rewrote a test's report."""
    for run in runs:
        if run is not None and run.rewritten:
            nodeid, how = sorted(run.rewritten.items())[0]
            more = len(run.rewritten) - 1
            also = f" (and {more} more)" if more else ""
            return (
                f"a hook rewrote the report of {nodeid}{also}: {how}; "
                f"the {run.tree.name} tree's test results cannot be trusted"
            )
    return None


def uncollectable_on_base(base: Path, full: TestRun, on_base: TestRun) -> str | None:
    """Why the suite cannot judge the patch: test modules that fail to collect patched *and* on
    the base tree (``on_base``: the base's collection, or the suite itself when it ran there).
    Their tests check nothing on either tree, so this is ``unknown``, not the patch's doing.
    None when each such module collects on the base: then its collection error is the patch's
    (a regression)."""
    broken = sorted(n for n in full.failed if n and "::" not in n and (base / n).exists())
    both = [n for n in broken if on_base.outcomes.get(n) is TestStatus.FAILED]
    if not both:
        return None
    error = on_base.messages.get(both[0], "collection error")
    more = f" (and {len(both) - 1} more test module(s))" if len(both) > 1 else ""
    return f"{both[0]} cannot be imported on the base tree either: {error}{more}"
