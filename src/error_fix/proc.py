"""Run external tools: timeout, own process group killed whole, scrubbed environment.

Every tool error-fix runs (the project's tests, ruff, mypy, git, ...) goes through :func:`run`.
Output goes to temporary files, not pipes, so a grandchild that outlives a killed group cannot keep
us waiting on a pipe that never closes.
"""

from __future__ import annotations

import contextlib
import fnmatch
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .sandbox import Confinement

# Names never passed to a tool: credentials of the runner, the action's inputs (which may hold
# secrets), and the alerting webhook. Patterns use fnmatch syntax.
DEFAULT_SCRUBBED = (
    "GITHUB_TOKEN",
    "GH_TOKEN",
    "INPUT_*",
    "ACTIONS_RUNTIME_TOKEN",
    "ACTIONS_ID_TOKEN_REQUEST_*",
    "ACTIONS_CACHE_URL",
    "ACTIONS_RESULTS_URL",
    "SLACK_WEBHOOK_URL",
    "ERROR_FIX_TOKEN",
    "ERROR_FIX_SLACK_WEBHOOK_URL",
)

OUTPUT_LIMIT = 2 * 1024 * 1024
"""Bytes of stdout/stderr kept per stream; the tail is kept because errors are printed last."""


@dataclass(frozen=True)
class ProcResult:
    """What one tool run produced."""

    args: tuple[str, ...]
    """The command as run."""
    returncode: int
    """Exit status; negative for a signal, as subprocess reports it."""
    stdout: str
    """Captured standard output (tail, at most OUTPUT_LIMIT bytes)."""
    stderr: str
    """Captured standard error (tail, at most OUTPUT_LIMIT bytes)."""
    duration_s: float
    """Wall-clock seconds."""
    timed_out: bool = False
    """True when the run was killed at its timeout."""
    stdout_bytes: bytes = b""
    """The whole standard output, undecoded and untruncated (only with ``raw_stdout``)."""

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out

    def tail(self, lines: int = 20) -> str:
        """The last lines of stderr (or stdout when stderr is empty), for error messages."""
        text = self.stderr.strip() or self.stdout.strip()
        return "\n".join(text.splitlines()[-lines:])


class ToolNotFound(Exception):
    """The executable does not exist on PATH."""


def scrubbed_env(
    extra_names: Iterable[str] = (),
    base: Mapping[str, str] | None = None,
    overrides: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """A copy of ``base`` (default: os.environ) without credential variables, plus ``overrides``."""
    patterns = [*DEFAULT_SCRUBBED, *extra_names]
    source = os.environ if base is None else base
    env = {
        name: value
        for name, value in source.items()
        if not any(fnmatch.fnmatchcase(name.upper(), p.upper()) for p in patterns)
    }
    if overrides:
        env.update(overrides)
    return env


class _ProcessGroups:
    """Process groups currently running, so a signal handler can kill them all."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pgids: set[int] = set()

    def add(self, pgid: int) -> None:
        with self._lock:
            self._pgids.add(pgid)

    def discard(self, pgid: int) -> None:
        with self._lock:
            self._pgids.discard(pgid)

    def kill_all(self) -> None:
        with self._lock:
            pgids = list(self._pgids)
        for pgid in pgids:
            kill_group(pgid)


RUNNING = _ProcessGroups()
_cancelled = threading.Event()


class Cancelled(Exception):
    """The run is being torn down (signal or error); no new tool may start."""


def cancel() -> None:
    """Stop everything: no new heavy tool starts, every running one is killed with its group."""
    _cancelled.set()
    RUNNING.kill_all()


def reset_cancel() -> None:
    """Allow tools to start again (at the beginning of a new scoring run)."""
    _cancelled.clear()


_slots_lock = threading.Lock()
_slots: threading.BoundedSemaphore | None = None


def set_parallelism(jobs: int) -> None:
    """Bound how many tools run at once (the ``jobs`` setting); call before scoring starts."""
    global _slots
    with _slots_lock:
        _slots = threading.BoundedSemaphore(max(1, jobs))


def kill_group(pgid: int) -> None:
    """Kill a process group (one :func:`run` reported through ``started``), if it still runs."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def _read_tail(path: Path) -> str:
    size = path.stat().st_size
    with path.open("rb") as fh:
        if size > OUTPUT_LIMIT:
            fh.seek(size - OUTPUT_LIMIT)
        return fh.read().decode("utf-8", errors="replace")


def run(
    args: Sequence[str | os.PathLike[str]],
    *,
    cwd: str | os.PathLike[str] | None = None,
    timeout: float | None = None,
    env: Mapping[str, str] | None = None,
    stdin: bytes | None = None,
    limited: bool = False,
    raw_stdout: bool = False,
    sandbox: Confinement | None = None,
    started: Callable[[int], None] | None = None,
) -> ProcResult:
    """Run ``args``; never raises for a failing tool (see ``returncode``/``timed_out``).

    ``env`` is the complete environment (build it with :func:`scrubbed_env`); ``None`` means a
    scrubbed copy of ours. ``limited`` runs count against the ``jobs`` bound of heavy tools.
    ``raw_stdout`` also keeps stdout as exact bytes (git blobs), without the size limit.
    ``sandbox``: project code — start it confined, with a private TMPDIR (raises SandboxRefused
    when the sandbox is required and cannot be had). ``started(group)`` is called with the
    process group once it runs (:func:`kill_group` stops it from another thread).
    Raises :class:`ToolNotFound` when the executable does not exist.
    """
    argv = tuple(os.fspath(a) for a in args)
    environment = dict(env) if env is not None else scrubbed_env()
    if sandbox is not None and not _runnable(argv[0], cwd, environment.get("PATH")):
        raise ToolNotFound(f"{argv[0]}: command not found")
    slots = _slots if limited else None
    if slots is not None:
        slots.acquire()
    try:
        if sandbox is None:
            return _run(argv, cwd, timeout, environment, stdin, limited, raw_stdout, (), started)
        with sandbox.launch(argv, environment) as launch:
            return _run(
                tuple(launch.argv),
                cwd,
                timeout,
                launch.env,
                stdin,
                limited,
                raw_stdout,
                launch.fds,
                started,
            )
    finally:
        if slots is not None:
            slots.release()


def _runnable(program: str, cwd: str | os.PathLike[str] | None, path: str | None) -> bool:
    """Whether ``program`` would start (checked before a launcher stands in front of it)."""
    if os.sep in program:
        return os.access(os.path.join(os.fspath(cwd or "."), program), os.X_OK)  # noqa: PTH118
    return shutil.which(program, path=path) is not None


def _run(
    argv: tuple[str, ...],
    cwd: str | os.PathLike[str] | None,
    timeout: float | None,
    env: dict[str, str],
    stdin: bytes | None,
    limited: bool,
    raw_stdout: bool = False,
    pass_fds: tuple[int, ...] = (),
    started: Callable[[int], None] | None = None,
) -> ProcResult:
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="error-fix-proc-") as tmp:
        out_path, err_path = Path(tmp, "stdout"), Path(tmp, "stderr")
        with out_path.open("wb") as out, err_path.open("wb") as err:
            try:
                proc = subprocess.Popen(
                    argv,
                    cwd=cwd,
                    env=env,
                    stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                    stdout=out,
                    stderr=err,
                    start_new_session=True,
                    pass_fds=pass_fds,
                )
            except FileNotFoundError as exc:
                raise ToolNotFound(f"{argv[0]}: command not found") from exc
            pgid = proc.pid  # start_new_session makes the child its own group leader
            RUNNING.add(pgid)
            timed_out = False
            try:
                if started is not None:
                    started(pgid)
                if _cancelled.is_set() and (limited or started is not None):
                    raise Cancelled(f"{argv[0]}: run cancelled")
                if stdin is not None and proc.stdin is not None:
                    with contextlib.suppress(BrokenPipeError):
                        proc.stdin.write(stdin)
                    proc.stdin.close()
                try:
                    returncode = proc.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    timed_out = True
                    kill_group(pgid)
                    returncode = proc.wait()
                # Children left behind by a tool that exited are killed too: nothing outlives a run.
                kill_group(pgid)
            except BaseException:
                kill_group(pgid)
                proc.wait()
                raise
            finally:
                RUNNING.discard(pgid)
        return ProcResult(
            args=argv,
            returncode=returncode,
            stdout=_read_tail(out_path),
            stderr=_read_tail(err_path),
            duration_s=time.monotonic() - start,
            timed_out=timed_out,
            stdout_bytes=out_path.read_bytes() if raw_stdout else b"",
        )


def git(
    repo: str | os.PathLike[str],
    *args: str,
    env: Mapping[str, str] | None = None,
    stdin: bytes | None = None,
    check: bool = True,
    raw_stdout: bool = False,
) -> ProcResult:
    """Run git in ``repo`` with hooks disabled and no prompts; raise GitError when ``check``."""
    environment = scrubbed_env(overrides={"GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"})
    if env:
        environment.update(env)
    result = run(
        ["git", "-c", "core.hooksPath=/dev/null", "-C", os.fspath(repo), *args],
        env=environment,
        stdin=stdin,
        timeout=600,
        raw_stdout=raw_stdout,
    )
    if check and not result.ok:
        raise GitError(f"git {' '.join(args[:2])} failed: {result.tail(5)}", result)
    return result


class GitError(Exception):
    """A git command failed."""

    def __init__(self, message: str, result: ProcResult) -> None:
        super().__init__(message)
        self.result = result
