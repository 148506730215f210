"""Settings: ``[tool.error-fix]`` in the target's pyproject.toml, then a config file, then flags.

Every key is validated on load; a bad value is a :class:`ConfigError` naming the key (exit 2).
"""

from __future__ import annotations

import dataclasses
import os
import posixpath
import shlex
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

COMPONENTS = ("tests", "lint", "types", "security", "coverage")
"""Scorer names, in report order; each feeds one ConfidenceScore field."""

DEFAULT_WEIGHTS = {"tests": 0.40, "lint": 0.20, "types": 0.15, "security": 0.15, "coverage": 0.10}
DEFAULT_PROTECTED = (".github/workflows/**", ".github/actions/**", "action.yml", "action.yaml")
DEFAULT_LABELS = ("automated-fix", "error-recovery")
MERGE_METHODS = ("merge", "squash", "rebase")
SANDBOX_MODES = ("auto", "required", "off")
REVIEW_CONCLUSIONS = ("neutral", "failure")
MUTATION_MODES = ("auto", "off")


QUEUE_FILE = "review_queue.json"
"""The local forge's review queue, in the state directory."""
ALERT_LOG_FILE = "alerts.jsonl"
"""The alert log, in the state directory."""


class ConfigError(Exception):
    """A setting is missing or has a bad value; the message names it."""


@dataclass(frozen=True)
class Settings:
    """Everything a run can be told. Field names are the ``[tool.error-fix]`` keys (with ``-``)."""

    test_command: tuple[str, ...] = ("python", "-m", "pytest")
    """The project's test command; it must run pytest (JUnit XML and coverage ride on it)."""
    python: str = "python"
    """The project's interpreter (found on PATH): runs the tests, resolves mypy's imports."""
    test_timeout: float = 600.0
    """Seconds one test run may take; a timed-out run is retried once, then `unknown`."""
    tool_timeout: float = 300.0
    """Seconds a static tool (ruff, mypy, bandit, pip-audit) may take per tree."""
    reruns: int = 2
    """Extra runs of tests whose status changed, to tell flaky from real."""
    setup_command: tuple[str, ...] = ()
    """Run in each worktree before scoring (builds generated files git does not track)."""
    carry_generated: bool = True
    """Copy the git-ignored files under the project's packages (version files, extensions built
    in place, compiled catalogues) from the checkout into each worktree."""
    carry_max_bytes: int = 100 * 1024 * 1024
    """Largest total size of generated files carried; over it none is, and the report says so."""
    auto_merge_threshold: float = 0.95
    """Overall confidence at or above which the fix is merged."""
    pr_threshold: float = 0.80
    """Overall confidence at or above which an auto-merge PR is opened."""
    weights: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    """Weight of each scorer in the overall confidence."""
    disabled: frozenset[str] = frozenset()
    """Scorers switched off: reported `skipped` and left out of the weighting (`tests` off skips
    `coverage` too: it reads the suite's run)."""
    protected_paths: tuple[str, ...] = DEFAULT_PROTECTED
    """Globs a patch may not touch (``**`` spans directories); the state directory always is."""
    allow_binary: bool = False
    """Accept binary hunks."""
    max_patch_bytes: int = 1024 * 1024
    """Largest patch accepted."""
    scrub_env: tuple[str, ...] = ()
    """More environment variable names (fnmatch globs) kept from every tool."""
    state_dir: str = ".state"
    """Where the decision log and the local review queue live, relative to the repository (a
    directory of its own: patches may not touch it)."""
    decision_log: str = "patch_decisions.jsonl"
    """Decision log file name inside ``state_dir`` (or an absolute path)."""
    jobs: int = field(default_factory=lambda: os.cpu_count() or 2)
    """How many tools may run at once."""
    labels: tuple[str, ...] = DEFAULT_LABELS
    """Labels every published fix carries."""
    review_label: str = "error-fix:needs-review"
    """Label that puts a fix in the review queue."""
    merge_method: str = "squash"
    """How fixes are merged: merge, squash or rebase."""
    queue_alert_count: int = 10
    """Review-queue size at which the queue counts as backlogged."""
    queue_alert_hours: float = 72.0
    """Age in hours of the oldest queued fix at which the queue counts as backlogged."""
    vulnerability_service: str = "pypi"
    """pip-audit's vulnerability service: pypi or osv."""
    osv_url: str | None = None
    """OSV endpoint for ``vulnerability_service = "osv"`` (a mirror, or a stand-in in tests)."""
    ruff_select: tuple[str, ...] = ("E4", "E7", "E9", "F", "B", "UP", "SIM")
    """Ruff rules used when the project has no ruff configuration of its own."""
    tool_python: str | None = None
    """Interpreter running ruff, mypy, bandit and pip-audit (default: error-fix's own)."""
    coverage_baseline: str = "off"
    """Total coverage: off (measure only the changed files), auto (all files, compared with a
    cached total of the base), measure (all files, and a full base run for the base total)."""
    minutes_per_fix: float = 30.0
    """Human minutes a fix takes by hand (for the hours-saved estimate)."""
    sandbox: str = "auto"
    """Confine project code (tests, setup command) with Landlock: auto (where the platform
    allows), required (else the tests scorer is unknown), off."""
    review_conclusion: str = "neutral"
    """Conclusion of the `error-fix` check run for a manual_review fix: neutral (GitHub counts it
    as passing a required check) or failure (a required `error-fix` check then blocks the merge)."""
    mutation: str = "auto"
    """Mutate the changed lines of a fix that would merge and run the tests that reach them: auto
    (a surviving mutant caps the decision at auto_merge_pr) or off."""
    mutation_max: int = 25
    """Most mutants run per patch; every changed line gets one before any line gets a second."""
    mutation_budget: float = 0.25
    """Wall time the mutants may take, as a share of the patched test suite's time (at least 5
    seconds); mutants left over are reported out of budget."""

    def __post_init__(self) -> None:
        _check_unit("auto-merge-threshold", self.auto_merge_threshold)
        _check_unit("pr-threshold", self.pr_threshold)
        if self.pr_threshold > self.auto_merge_threshold:
            raise ConfigError(
                f"pr-threshold ({self.pr_threshold}) is above "
                f"auto-merge-threshold ({self.auto_merge_threshold})"
            )
        unknown = set(self.weights) - set(COMPONENTS)
        if unknown:
            raise ConfigError(
                f"weights: unknown scorer {sorted(unknown)[0]!r}; known: {COMPONENTS}"
            )
        for name, weight in self.weights.items():
            if not isinstance(weight, int | float) or weight < 0:
                raise ConfigError(f"weights.{name} must be a number ≥ 0, got {weight!r}")
        if sum(self.weights.get(c, 0.0) for c in COMPONENTS if c not in self.disabled) <= 0:
            raise ConfigError("weights: the enabled scorers have a total weight of 0")
        bad = self.disabled - set(COMPONENTS)
        if bad:
            raise ConfigError(f"disable: unknown scorer {sorted(bad)[0]!r}; known: {COMPONENTS}")
        if not self.test_command:
            raise ConfigError("test-command is empty")
        for key in ("test_timeout", "tool_timeout"):
            if getattr(self, key) <= 0:
                raise ConfigError(f"{key.replace('_', '-')} must be > 0")
        if self.reruns < 0 or self.jobs < 1 or self.max_patch_bytes < 1:
            raise ConfigError("reruns must be ≥ 0, jobs ≥ 1 and max-patch-bytes ≥ 1")
        if self.carry_max_bytes < 0:
            raise ConfigError(f"carry-max-bytes must be ≥ 0, got {self.carry_max_bytes}")
        if self.merge_method not in MERGE_METHODS:
            raise ConfigError(
                f"merge-method must be one of {MERGE_METHODS}, got {self.merge_method!r}"
            )
        if self.vulnerability_service not in ("pypi", "osv"):
            raise ConfigError("vulnerability-service must be 'pypi' or 'osv'")
        if self.coverage_baseline not in ("auto", "measure", "off"):
            raise ConfigError("coverage-baseline must be 'auto', 'measure' or 'off'")
        if self.sandbox not in SANDBOX_MODES:
            raise ConfigError(f"sandbox must be 'auto', 'required' or 'off', got {self.sandbox!r}")
        if self.queue_alert_count < 1 or self.queue_alert_hours <= 0:
            raise ConfigError("queue-alert-count must be ≥ 1 and queue-alert-hours > 0")
        if posixpath.normpath(self.state_dir.replace("\\", "/")) in (".", ""):
            raise ConfigError(
                "state-dir must be a directory of its own, not the repository itself "
                f"({self.state_dir!r}): a patch could otherwise write the decision log"
            )
        if self.review_conclusion not in REVIEW_CONCLUSIONS:
            raise ConfigError(
                f"review-conclusion must be one of {REVIEW_CONCLUSIONS}, "
                f"got {self.review_conclusion!r}"
            )

        if self.mutation not in MUTATION_MODES:
            raise ConfigError(f"mutation must be 'auto' or 'off', got {self.mutation!r}")
        if self.mutation_max < 1:
            raise ConfigError(f"mutation-max must be ≥ 1, got {self.mutation_max}")
        if self.mutation_budget <= 0:
            raise ConfigError(f"mutation-budget must be > 0, got {self.mutation_budget}")

    def weight(self, component: str) -> float:
        return 0.0 if component in self.disabled else float(self.weights.get(component, 0.0))

    def protected_globs(self, repo: Path | None = None) -> tuple[str, ...]:
        """What a patch may not touch: ``protected_paths`` and, always, the state directory when
        it lies inside the repository (a patch must not forge the decision log or the queue).
        An absolute ``state_dir`` is placed against ``repo`` when given."""
        place = PurePosixPath(self.state_dir.replace("\\", "/"))
        if place.is_absolute():
            if repo is None:
                return self.protected_paths
            try:
                place = PurePosixPath(Path(self.state_dir).resolve().relative_to(repo.resolve()))
            except ValueError:
                return self.protected_paths
        inside = posixpath.normpath(str(place))
        if inside == ".":
            # An absolute state directory that is the repository itself: its files, by name.
            return (*self.protected_paths, self.decision_log, QUEUE_FILE, ALERT_LOG_FILE)
        if inside.startswith("../") or inside == "..":
            return self.protected_paths
        return (*self.protected_paths, inside, f"{inside}/**")

    def state_path(self, repo: Path) -> Path:
        return (repo / self.state_dir).resolve()

    def decision_log_path(self, repo: Path) -> Path:
        return self.state_path(repo) / self.decision_log

    def queue_path(self, repo: Path) -> Path:
        """The local forge's review queue."""
        return self.state_path(repo) / QUEUE_FILE

    def alert_log_path(self, repo: Path) -> Path:
        """The alert log (one JSON object per line)."""
        return self.state_path(repo) / ALERT_LOG_FILE

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)


def _check_unit(name: str, value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ConfigError(f"{name} must be between 0 and 1, got {value}")


_FIELDS = {f.name: f for f in dataclasses.fields(Settings)}


def _coerce(key: str, value: Any) -> Any:
    """Turn a TOML/flag value into the field's type, or raise ConfigError naming the key."""
    name = key.replace("-", "_")
    default: Any = getattr(Settings(), name)
    try:
        if name in ("test_command", "setup_command"):
            if isinstance(value, str):
                return tuple(shlex.split(value))
            if isinstance(value, list) and all(isinstance(v, str) for v in value):
                return tuple(value)
            raise TypeError
        if name == "disabled":
            items = value.split(",") if isinstance(value, str) else value
            return frozenset(str(v).strip() for v in items if str(v).strip())
        if name == "weights":
            if not isinstance(value, Mapping):
                raise TypeError
            return {**DEFAULT_WEIGHTS, **{str(k): float(v) for k, v in value.items()}}
        if isinstance(default, tuple):
            items = value.split(",") if isinstance(value, str) else value
            if not isinstance(items, list | tuple):
                raise TypeError
            return tuple(str(v).strip() for v in items if str(v).strip())
        if isinstance(default, bool):
            if isinstance(value, str):
                if value.lower() not in ("true", "false", "1", "0", "yes", "no"):
                    raise ValueError
                return value.lower() in ("true", "1", "yes")
            if not isinstance(value, bool):
                raise TypeError
            return value
        if isinstance(default, int):
            return int(value)
        if isinstance(default, float):
            return float(value)
        return None if value is None else str(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{name.replace('_', '-')}: bad value {value!r}") from None


def _from_table(table: Mapping[str, Any], origin: str) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, value in table.items():
        name = key.replace("-", "_")
        if name == "disable":
            name = "disabled"
        if name not in _FIELDS:
            raise ConfigError(f"{origin}: unknown key {key!r}")
        values[name] = _coerce(name, value)
    return values


def load_settings(
    repo: Path | None,
    config_file: Path | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Settings for ``repo``: its pyproject.toml, then ``config_file``, then ``overrides``.

    ``overrides`` holds flag values by field name; ``None`` values mean "not given".
    """
    values: dict[str, Any] = {}
    if repo is not None:
        pyproject = repo / "pyproject.toml"
        if pyproject.is_file():
            values.update(
                _from_table(
                    _read_toml(pyproject).get("tool", {}).get("error-fix", {}),
                    "pyproject.toml [tool.error-fix]",
                )
            )
    if config_file is not None:
        if not config_file.is_file():
            raise ConfigError(f"config file not found: {config_file}")
        data = _read_toml(config_file)
        table = data.get("tool", {}).get("error-fix", data)
        values.update(_from_table(table, str(config_file)))
    given = {key: value for key, value in (overrides or {}).items() if value is not None}
    values.update(_from_table(given, "settings"))
    try:
        return Settings(**values)
    except TypeError as exc:  # pragma: no cover - keys are checked above
        raise ConfigError(str(exc)) from None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path.name}: cannot read: {exc}") from None
