"""Which tests run each line a patch changed: the reach plugin's request and what it recorded.

The tests scorer loads the plugin (reach_plugin.py) into its runs of the patched source; the
mutation stage reads what it wrote.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..testrun import Plugin, TestRun

if TYPE_CHECKING:
    from ..scorers.interface import ScoringContext

REACH_MODULE = "error_fix_reach"


def reach_plugins(ctx: ScoringContext, tree: Path) -> list[Plugin]:
    """The reach recorder for a run of the patch's source in ``tree`` (none when the mutation
    stage will not need it)."""
    settings = ctx.settings
    if settings.mutation == "off":
        return []
    entries = [
        {"file": str(tree / path), "path": path, "lines": sorted(lines)}
        for path, lines in changed_lines(ctx).items()
    ]
    if not entries:
        return []
    return [
        Plugin(
            REACH_MODULE,
            Path(__file__).with_name("reach_plugin.py"),
            {"ERROR_FIX_REACH": json.dumps(entries)},
            output="ERROR_FIX_REACH_OUT",
        )
    ]


def recorded_reach(*runs: TestRun | None) -> list[Path]:
    """The files the reach recorder wrote in ``runs`` (what :func:`read_reach` reads)."""
    return [out for run in runs if run is not None for out in run.plugin_outputs.values()]


def changed_lines(ctx: ScoringContext) -> dict[str, set[int]]:
    """Changed source file → the lines the patch adds to it."""
    from ..scorers.patch_coverage import changed_sources  # the scorers import this module

    wanted = set(changed_sources(ctx))
    return {f.path: set(f.added_lines) for f in ctx.patch.files if f.path in wanted}


@dataclass(frozen=True)
class Reach:
    """What the patched runs recorded: which tests ran each changed line, and how long."""

    tests: Mapping[tuple[str, int], frozenset[str]]
    """(file, line) → ids of the tests that ran it."""
    durations: Mapping[str, float]
    """Test id → seconds, in the patched run."""
    engine: str | None
    """How it was recorded (sys.monitoring, markers); None: it could not be."""
    reason: str | None
    """Why it could not be."""


def read_reach(outputs: Sequence[Path]) -> Reach:
    """Merge every part the patched runs wrote (one per process)."""
    tests: dict[tuple[str, int], set[str]] = {}
    durations: dict[str, float] = {}
    engines: list[str] = []
    reasons: list[str] = []
    parts = [p for out in outputs for p in sorted({out, *out.parent.glob(out.name + ".*")})]
    for part in parts:
        try:
            data = json.loads(part.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if data.get("engine"):
            engines.append(str(data["engine"]))
        elif data.get("reason"):
            reasons.append(str(data["reason"]))
        for path, lines in (data.get("reach") or {}).items():
            for line, ids in lines.items():
                tests.setdefault((path, int(line)), set()).update(map(str, ids))
        for nodeid, seconds in (data.get("durations") or {}).items():
            durations[nodeid] = max(durations.get(nodeid, 0.0), float(seconds))
    engine = engines[0] if engines else None
    reason = None
    if engine is None:
        reason = reasons[0] if reasons else "the patched test run recorded no per-test reach"
    return Reach({k: frozenset(v) for k, v in tests.items()}, durations, engine, reason)
