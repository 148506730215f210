"""Run the project's test command in one tree and read per-test results from JUnit XML.

The tree's package roots (``src/``, the root, and those its packaging configuration names) go on
PYTHONPATH so ``import pkg`` finds the worktree's code, not an editable install of the user's
checkout; the probe plugin (pytest_probe.py) reports which file
each project module really came from, which tests were selected, and any report another hook
rewrote, and measures coverage when asked. Each run is project code: it starts through the
workspace's sandbox, allowed to write only its tree and its own output directory.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import os
import shlex
import shutil
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path

from . import proc
from .layout import package_roots, project_modules
from .sandbox import Sandbox
from .timings import Timings

PROBE_MODULE = "error_fix_probe"
COVERAGE_PACKAGES = ("coverage", "slipcover")
"""error-fix's own packages the probe may measure coverage with in the project's interpreter."""
COLLECT_ONLY = ("--collect-only", "-q", "-rN")
"""Collect only; the output ends on the last collection error's message (no summary after it)."""


STANDBY_POLL_S = 0.005
"""How often a wait on a standby session looks for its collection."""
STANDBY_DISMISS_S = 10.0
"""How long a dismissed standby session may take to end before it is killed."""

_run_numbers = itertools.count()
"""Numbers every run's folder: runners of one decision share its scratch folder."""


class TestStatus(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"
    XFAILED = "xfailed"


@dataclass(frozen=True)
class TestRun:
    """The result of one run of the test command in one tree."""

    tree: Path
    """Tree the run happened in."""
    outcomes: Mapping[str, TestStatus]
    """Status per pytest node id (a collection error is a failed entry for its file)."""
    messages: Mapping[str, str]
    """First line of the failure (or skip, or xfail) message per node id."""
    returncode: int
    """Exit status of the last attempt."""
    timed_out: bool
    """True when every attempt hit the timeout."""
    duration_s: float
    """Seconds over all attempts."""
    junit_found: bool
    """Whether the run wrote JUnit XML at all (it does not when the command is not pytest)."""
    output_tail: str = ""
    """Last lines of the run's output, for "unknown" reasons."""
    coverage_data: Path | None = None
    """Coverage data file prefix (one file per process: ``<prefix>.*``) when measured."""
    imported: Mapping[str, str] = field(default_factory=dict)
    """Project module → file it was imported from."""
    attempts: int = 1
    """Runs made (a timed-out run is retried once)."""
    selected: frozenset[str] | None = None
    """Every test pytest selected to run (None: not known, e.g. under pytest-xdist)."""
    deselected: frozenset[str] = frozenset()
    """Tests collected and then deselected (``-m``, ``-k``, a plugin)."""
    rewritten: Mapping[str, str] = field(default_factory=dict)
    """Tests whose report says other than what they raised → how (a hook rewrote it)."""
    skipped_by_marks: frozenset[str] = frozenset()
    """Of a collect-only run (or one run with ``only``): tests their own skip (or xfail without
    run) marks skip."""
    plugin_outputs: Mapping[str, Path] = field(default_factory=dict)
    """Extra plugin module → the file it was told to write (see :class:`Plugin`)."""
    coverage_engine: str = ""
    """What measured coverage, e.g. "slipcover 1.1.0", "coverage 7.6.1 (sysmon)" ("": nothing)."""

    @property
    def failed(self) -> list[str]:
        return [n for n, s in self.outcomes.items() if s is TestStatus.FAILED]


@dataclass(frozen=True)
class Plugin:
    """A pytest plugin of error-fix's loaded into a run the way the probe is: copied alone beside
    it (so it must not import error_fix), loaded with ``-p``."""

    module: str
    """The module name it is loaded as."""
    source: Path
    """Its source file."""
    env: Mapping[str, str] = field(default_factory=dict)
    """What it reads from the environment."""
    output: str | None = None
    """Environment variable naming the file it writes, in the run's own output directory."""


def resolve_python(python: str, env: Mapping[str, str]) -> str | None:
    """Absolute path of the project's interpreter, looked up on the tools' PATH."""
    if os.sep in python:
        # abspath, not resolve(): a venv's python is a symlink whose target drops the venv.
        path = Path(os.path.abspath(python))  # noqa: PTH100
        return str(path) if path.is_file() and os.access(path, os.X_OK) else None
    return shutil.which(python, path=env.get("PATH"))


class TestRunner:
    """Runs the test command in trees of one workspace."""

    def __init__(
        self,
        test_command: Sequence[str],
        python: str,
        env: Mapping[str, str],
        scratch: Path,
        timeout: float,
        timings: Timings | None = None,
        sandbox: Sandbox | None = None,
    ) -> None:
        command = list(test_command)
        if command and command[0] == "python":
            command[0] = python
        self.command = command
        self.env = dict(env)
        self.scratch = scratch
        self.timeout = timeout
        self.timings = timings or Timings()
        self.sandbox = sandbox
        self._lock = threading.Lock()
        self._started = 0
        self._probe_dir = self._install_probe()

    @property
    def sessions(self) -> int:
        """pytest sessions started so far (a timed-out run's retry counts too)."""
        return self._started

    def _install_probe(self) -> Path:
        probe_dir = self.scratch / "probe"
        probe_dir.mkdir(exist_ok=True)
        source = Path(__file__).with_name("pytest_probe.py")
        shutil.copyfile(source, probe_dir / f"{PROBE_MODULE}.py")
        return probe_dir

    def _install(self, plugin: Plugin) -> str:
        """Copy ``plugin`` beside the probe (once per runner); its module name."""
        target = self._probe_dir / f"{plugin.module}.py"
        with self._lock:
            if not target.exists():
                shutil.copyfile(plugin.source, target)
        return plugin.module

    def _coverage_fallback(self) -> Path | None:
        """A directory holding only error-fix's own coverage packages: coverage, for projects
        without one, and slipcover (the probe measures with it on Python 3.10 and 3.11)."""
        fallback = self.scratch / "coverage-fallback"
        with self._lock:
            if not fallback.exists():
                fallback.mkdir()
                for package in COVERAGE_PACKAGES:
                    spec = importlib.util.find_spec(package)
                    if spec is not None and spec.submodule_search_locations:
                        location = next(iter(spec.submodule_search_locations))
                        (fallback / package).symlink_to(location)
        return fallback if (fallback / "coverage").exists() else None

    def _measure(
        self,
        env: dict[str, str],
        tree: Path,
        out_dir: Path,
        coverage: bool | Sequence[str],
        unmeasured: Sequence[str],
    ) -> Path:
        """Ask the probe, through ``env``, to measure coverage (see :meth:`run`); the data
        file prefix."""
        coverage_data = out_dir / ".coverage"
        env["ERROR_FIX_COVERAGE_DATA"] = str(coverage_data)
        if isinstance(coverage, bool):
            env["ERROR_FIX_SOURCE_ROOTS"] = os.pathsep.join(map(str, package_roots(tree)))
        else:
            files = [str(tree / path) for path in coverage]
            env["ERROR_FIX_COVERAGE_INCLUDE"] = os.pathsep.join(files)
        fallback = self._coverage_fallback()
        if fallback is not None:
            env["ERROR_FIX_COVERAGE_FALLBACK"] = str(fallback)
        if unmeasured:
            env["ERROR_FIX_COVERAGE_PAUSE"] = "\n".join(unmeasured)
        return coverage_data

    def run(
        self,
        tree: Path,
        nodeids: Sequence[str] | None = None,
        *,
        coverage: bool | Sequence[str] = False,
        label: str = "run",
        collect_only: bool = False,
        unmeasured: Sequence[str] = (),
        plugins: Sequence[Plugin] = (),
        timeout: float | None = None,
        retry: bool = True,
        only: Sequence[str] = (),
        orders: Path | None = None,
        started: Callable[[int], None] | None = None,
        failures: Path | None = None,
    ) -> TestRun:
        """Run the whole suite (``nodeids`` None) or just ``nodeids`` in ``tree``.

        ``coverage``: True measures every file under the tree's import roots; a list of
        tree-relative paths measures only those (far cheaper: untraced code runs at full speed).
        ``collect_only``: only collect (the run's ``selected`` says what would run).
        ``unmeasured``: pytest selectors (``file::name``) of tests whose run coverage does not
        count (their other version runs measured elsewhere).
        ``only`` (with ``nodeids`` None): collect the whole suite, as the run's ``selected`` and
        ``skipped_by_marks`` say, but run only the tests these selectors name.
        Raises SandboxRefused when the sandbox is required and cannot be had.
        ``plugins`` are loaded after the probe. ``timeout`` replaces the runner's; ``retry``
        False does not run a timed-out run again. ``orders``: the session stands by after
        collecting (see :class:`Standby`); it holds no tool slot and records no timing itself.
        ``started(group)`` gets the process group once it runs. ``failures``: a file (in a
        folder of its own) the run appends each failing test's id to as it fails.
        """
        with self._lock:
            run_id = f"{label}-{next(_run_numbers)}"
        out_dir = self.scratch / run_id
        out_dir.mkdir()
        junit = out_dir / "junit.xml"
        probe_out = out_dir / "probe.json"
        roots = package_roots(tree)
        outputs = {p.module: out_dir / f"{p.module}.out" for p in plugins if p.output}
        addopts = shlex.join(
            [
                "-p",
                PROBE_MODULE,
                *(arg for p in plugins for arg in ("-p", self._install(p))),
                f"--junitxml={junit}",
                "-o",
                "junit_family=xunit2",
                "--continue-on-collection-errors",
            ]
        )
        env = dict(self.env)
        env["PYTEST_ADDOPTS"] = f"{env.get('PYTEST_ADDOPTS', '')} {addopts}".strip()
        # The probe's directory first: nothing in the tree may stand in for it.
        python_path = [str(self._probe_dir), *map(str, roots)]
        if env.get("PYTHONPATH"):
            python_path.append(env["PYTHONPATH"])
        env["PYTHONPATH"] = os.pathsep.join(python_path)
        env["ERROR_FIX_PROBE_OUT"] = str(probe_out)
        env["ERROR_FIX_PROJECT_MODULES"] = ",".join(project_modules(tree))
        for plugin in plugins:
            env.update(plugin.env)
            if plugin.output:
                env[plugin.output] = str(outputs[plugin.module])
        if only:
            env["ERROR_FIX_RUN_ONLY"] = "\n".join(only)
        writable = [tree, out_dir]
        if orders is not None:
            env["ERROR_FIX_ORDERS"] = str(orders)
            env["ERROR_FIX_ORDERS_DEADLINE"] = str(time.time() + (timeout or self.timeout))
            writable.append(orders.parent)
        if failures is not None:
            env["ERROR_FIX_FAILURES"] = str(failures)
            writable.append(failures.parent)
        coverage_data = (
            self._measure(env, tree, out_dir, coverage, unmeasured) if coverage else None
        )
        args = [
            *self.command,
            *(("--collect-only", "-q") if collect_only else ()),
            *(nodeids or ()),
        ]
        confined = self.sandbox.confine(writable, out_dir / "tmp") if self.sandbox else None
        total = 0.0
        attempts = 0
        while True:
            attempts += 1
            with self._lock:
                self._started += 1
            for stale in (junit, *out_dir.glob(probe_out.name + "*")):
                stale.unlink(missing_ok=True)
            result = proc.run(
                args,
                cwd=tree,
                timeout=timeout or self.timeout,
                env=env,
                limited=orders is None,
                sandbox=confined,
                started=started,
            )
            total += result.duration_s
            if orders is None:
                self.timings.add(f"pytest:{label}", result.duration_s)
            if not result.timed_out or attempts == 2 or not retry:
                break
        outcomes, messages = _read_junit(junit)
        probe = _read_probe(probe_out)
        if coverage_data is not None:
            _slipcover_to_coverage(coverage_data)
        for nodeid, error in probe.collect_errors.items():
            outcomes[nodeid] = TestStatus.FAILED
            messages.setdefault(nodeid, error)
        return TestRun(
            tree=tree,
            outcomes=outcomes,
            messages=messages,
            returncode=result.returncode,
            timed_out=result.timed_out,
            duration_s=total,
            junit_found=junit.is_file(),
            output_tail="\n".join((result.stdout + result.stderr).strip().splitlines()[-15:]),
            coverage_data=coverage_data,
            imported=probe.imported,
            attempts=attempts,
            selected=probe.selected,
            deselected=probe.deselected,
            rewritten=probe.rewritten,
            skipped_by_marks=probe.skipped_by_marks,
            plugin_outputs=outputs,
            coverage_engine=probe.coverage_engine,
        )

    def folder(self, kind: str, name: str) -> Path:
        """A new folder ``<scratch>/<kind>/<name>-<n>`` for one run's own files (a run may
        write only its own: other runs' code must not be able to write them)."""
        with self._lock:
            folder = self.scratch / kind / f"{name}-{next(_run_numbers)}"
        folder.mkdir(parents=True)
        return folder

    def standby(
        self, tree: Path, label: str, check_label: str, plugins: Sequence[Plugin] = ()
    ) -> Standby:
        """Start a session in ``tree`` that collects the whole suite now and runs what it is
        told later (see :class:`Standby`); ``label`` names its collection, ``check_label`` its
        run."""
        return Standby(self, tree, label, check_label, plugins)


class Standby:
    """A pytest session started before anyone knows what it must run: it collects the tree's
    suite at once, reports what it collected (:meth:`collected`), and waits, idle and holding
    no tool slot, for :meth:`run` or :meth:`dismiss`. Its interpreter start-up and collection
    are paid beside the suite instead of after it. Should it end before its orders (it crashed,
    or waited past twice the runner's timeout), :meth:`run` says so and a fresh run stands in."""

    def __init__(
        self,
        runner: TestRunner,
        tree: Path,
        label: str,
        check_label: str,
        plugins: Sequence[Plugin],
    ) -> None:
        # Its own folder, the one place besides its tree and output it may write: another
        # session (the patch's code) must not be able to write its orders.
        self.orders = runner.folder("standby", label) / "orders.json"
        self.tree = tree
        self._runner = runner
        self._labels = (label, check_label)
        self._collected = Path(f"{self.orders}.collected")
        self._group: int | None = None
        self._final: TestRun | None = None
        self._error: BaseException | None = None
        self._start = time.monotonic()
        self._thread = threading.Thread(
            target=self._session, args=(plugins,), name=f"standby-{label}", daemon=True
        )
        self._thread.start()

    def _session(self, plugins: Sequence[Plugin]) -> None:
        try:
            self._final = self._runner.run(
                self.tree,
                None,
                label=self._labels[0],
                plugins=plugins,
                timeout=2 * self._runner.timeout,  # it waits for the suite, then runs
                retry=False,
                orders=self.orders,
                started=self._started,
            )
        except BaseException as exc:  # re-raised where the session's result is asked for
            self._error = exc

    def _started(self, group: int) -> None:
        self._group = group

    @property
    def waiting(self) -> bool:
        """It has collected and waits for its orders."""
        return self._collected.exists() and self._thread.is_alive()

    def collected(self) -> TestRun:
        """What the session collected, once it has: the collection a collect-only run would
        report (collection errors as failed entries). When the session ended before collecting
        (pytest refused to start, say), that run itself."""
        while not self._collected.exists() and self._thread.is_alive():
            time.sleep(STANDBY_POLL_S)
        if not self._collected.exists():
            return self._ended()
        self._runner.timings.add(f"pytest:{self._labels[0]}", time.monotonic() - self._start)
        probe = _read_probe(self._collected)
        return TestRun(
            tree=self.tree,
            outcomes={n: TestStatus.FAILED for n in probe.collect_errors},
            messages=dict(probe.collect_errors),
            returncode=0 if probe.selected else 5,
            timed_out=False,
            duration_s=time.monotonic() - self._start,
            junit_found=True,
            imported=probe.imported,
            selected=probe.selected,
            deselected=probe.deselected,
            skipped_by_marks=probe.skipped_by_marks,
        )

    def run(self, nodeids: Sequence[str] | None, timeout: float | None = None) -> TestRun | None:
        """Run ``nodeids`` (None: every test collected) in the waiting session and return its
        run, killed after ``timeout`` seconds (then ``timed_out``); None when it is not waiting
        (then nothing ran: start a fresh run)."""
        if not self.waiting:
            self.dismiss()
            return None
        start = time.monotonic()
        self._order(None if nodeids is None else list(nodeids))
        self._thread.join(timeout)
        killed = self._thread.is_alive()
        if killed and self._group is not None:
            proc.kill_group(self._group)
        run = self._ended()
        self._runner.timings.add(f"pytest:{self._labels[1]}", time.monotonic() - start)
        return replace(run, timed_out=True) if killed else run

    def dismiss(self) -> None:
        """Tell a session nobody needs to end without running anything, and wait for it."""
        if self._thread.is_alive():
            self._order([])
            self._thread.join(STANDBY_DISMISS_S)
            if self._thread.is_alive() and self._group is not None:
                proc.kill_group(self._group)
        self._thread.join()

    def _order(self, nodeids: list[str] | None) -> None:
        part = self.orders.with_name(self.orders.name + ".part")
        part.write_text(json.dumps({"run": nodeids}), encoding="utf-8")
        part.replace(self.orders)

    def _ended(self) -> TestRun:
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._final is not None  # set unless the run raised
        return self._final


def _strings(value: object) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _string_map(value: object) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {str(k): v for k, v in value.items() if isinstance(v, str)}


@dataclass(frozen=True)
class _Probe:
    """What the probe wrote, merged over the processes that ran tests (pytest-xdist workers)."""

    collect_errors: dict[str, str]
    """Module that failed to collect → the exception that stopped it."""
    imported: dict[str, str]
    selected: frozenset[str] | None
    deselected: frozenset[str]
    rewritten: dict[str, str]
    skipped_by_marks: frozenset[str]
    coverage_engine: str


def _read_probe(path: Path) -> _Probe:
    parts: list[dict[str, object]] = []
    for part in sorted(path.parent.glob(path.name + "*")):
        try:
            data = json.loads(part.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict):
            parts.append(data)
    reported = [_strings(p["selected"]) for p in parts if isinstance(p.get("selected"), list)]
    return _Probe(
        collect_errors={
            k: v for p in parts for k, v in _string_map(p.get("collect_errors")).items()
        },
        imported={k: v for p in parts for k, v in _string_map(p.get("imported")).items()},
        selected=frozenset(n for ids in reported for n in ids) if reported else None,
        deselected=frozenset(n for p in parts for n in _strings(p.get("deselected"))),
        rewritten={k: v for p in parts for k, v in _string_map(p.get("rewritten")).items()},
        skipped_by_marks=frozenset(n for p in parts for n in _strings(p.get("skipped_by_marks"))),
        coverage_engine=", ".join(
            sorted({e for p in parts if isinstance(e := p.get("coverage_engine"), str) and e})
        ),
    )


def _slipcover_to_coverage(data: Path) -> None:
    """Turn the lines slipcover recorded (``<data>-slipcover.<pid>.json``, one per process)
    into coverage data files beside coverage's own (``<data>.slipcover.<pid>``), so every reader
    of a run's coverage reads one format."""
    from coverage import CoverageData

    for part in sorted(data.parent.glob(f"{data.name}-slipcover.*.json")):
        try:
            recorded = json.loads(part.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(recorded, dict):
            lines = {
                str(path): [n for n in seen if isinstance(n, int)]
                for path, seen in recorded.items()
                if isinstance(seen, list)
            }
            pid = part.name.removesuffix(".json").rsplit(".", 1)[-1]
            converted = CoverageData(basename=f"{data}.slipcover.{pid}")
            converted.add_lines(lines)
            converted.write()
        part.unlink()


def _read_junit(path: Path) -> tuple[dict[str, TestStatus], dict[str, str]]:
    outcomes: dict[str, TestStatus] = {}
    messages: dict[str, str] = {}
    try:
        root = ET.parse(path).getroot()  # noqa: S314 - written by the run we just made
    except (OSError, ET.ParseError):
        return outcomes, messages
    cases = list(root.iter("testcase"))
    # With the probe loaded every collected test carries its node id; an entry without one is a
    # collection error, which the probe reports under the file's id instead.
    stamped = any(_stamp(case) for case in cases)
    for case in cases:
        nodeid = _stamp(case) if stamped else _fallback_id(case)
        if not nodeid:
            continue
        failure = case.find("failure")
        if failure is None:
            failure = case.find("error")
        skipped = case.find("skipped")
        if failure is not None:
            status = TestStatus.FAILED
            text = failure.get("message") or (failure.text or "").strip() or "failed"
            messages.setdefault(nodeid, text.splitlines()[0][:300] if text else "failed")
        elif skipped is not None:
            xfail = skipped.get("type") == "pytest.xfail"
            status = TestStatus.XFAILED if xfail else TestStatus.SKIPPED
            reason = (skipped.get("message") or "").splitlines()[:1]
            messages.setdefault(nodeid, f"{status}: {reason[0][:300]}" if reason else str(status))
        else:
            status = TestStatus.PASSED
        # A test with a failing teardown appears twice; any failure wins.
        if outcomes.get(nodeid) is not TestStatus.FAILED:
            outcomes[nodeid] = status
    return outcomes, messages


def _stamp(case: ET.Element) -> str | None:
    for prop in case.iter("property"):
        if prop.get("name") == "nodeid" and prop.get("value"):
            return prop.get("value")
    return None


def _fallback_id(case: ET.Element) -> str:
    classname, name = case.get("classname", ""), case.get("name", "")
    return f"{classname}::{name}" if classname else name
