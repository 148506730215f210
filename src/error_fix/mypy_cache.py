"""mypy's cache between runs: where it is, the key it is kept under, and checking a base into it.

The types scorer's mypy runs share one cache in the state directory. On a fresh machine (a CI
runner) that cache is empty and the base's check is mypy's slowest run. ``error-fix mypy-cache``
checks the base alone, exactly as the scorer will (same arguments, same cache), before any of the
patch's code runs, so the cache can be saved then and restored by later runs. The key names what
the cache depends on: platform, mypy's version, the project's Python and the base's git tree (a
cache of another base is still a good start: mypy re-checks what changed).
"""

from __future__ import annotations

import platform
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from . import proc
from .config import Settings
from .scorers.tools import run_module
from .scorers.typecheck import Mypy, mypy_cache
from .state import locked
from .testrun import resolve_python
from .timings import Timings
from .workspace import Workspace


@dataclass(frozen=True)
class CacheSpot:
    """Where mypy's cache for one base lives and what it is kept under."""

    path: Path
    """The cache directory (inside the state directory)."""
    key: str
    """The exact key: platform, mypy version, the project's Python, the base's tree id."""
    prefix: str
    """The key without the tree id: a cache of any other base (restore-keys)."""

    def lines(self) -> str:
        """``name=value`` lines, as ``$GITHUB_OUTPUT`` reads them."""
        return f"path={self.path}\nkey={self.key}\nrestore-prefix={self.prefix}\n"


@dataclass(frozen=True)
class Warmed:
    """What checking the base into the cache did."""

    spot: CacheSpot
    """The cache checked into."""
    errors: int
    """mypy errors on the base (its debt; not a failure)."""
    seconds: float
    """How long mypy took."""


def _version_of_mypy(settings: Settings, env: dict[str, str], cwd: Path) -> str:
    result = run_module(settings, env, Timings(), "mypy", ["--version"], cwd, ok_codes=(0,))
    words = result.stdout.split()  # "mypy 1.18.2 (compiled: yes)"
    return words[1] if len(words) > 1 else "unknown"


def _version_of_python(settings: Settings, env: dict[str, str], cwd: Path) -> str:
    python = resolve_python(settings.python, env)
    if python is None:
        return "none"
    result = proc.run(
        [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
        cwd=cwd,
        timeout=60,
        env=env,
    )
    return result.stdout.strip() if result.ok else "none"


def locate(settings: Settings, repo: Path, base_sha: str, env: dict[str, str]) -> CacheSpot:
    """The cache directory for ``repo`` and the key of its content after checking ``base_sha``."""
    tree = proc.git(repo, "rev-parse", f"{base_sha}^{{tree}}").stdout.strip()
    prefix = (
        f"error-fix-mypy-{sys.platform}-{platform.machine()}"
        f"-mypy{_version_of_mypy(settings, env, repo)}"
        f"-py{_version_of_python(settings, env, repo)}-"
    )
    return CacheSpot(mypy_cache(settings.state_path(repo)), prefix + tree, prefix)


def warm(settings: Settings, repo: Path, base_sha: str, env: dict[str, str]) -> Warmed:
    """Check the base alone into the cache: a worktree of it (with the checkout's generated
    files; no setup command, no patch). ScorerUnknown when mypy cannot check it."""
    spot = locate(settings, repo, base_sha, env)
    carry = settings.carry_max_bytes if settings.carry_generated else None
    with Workspace(repo, base_sha, None, env=env, carry_max_bytes=carry) as ws:
        mypy = Mypy(settings, env, spot.path)
        targets = mypy.targets(ws.base)
        start = time.monotonic()
        with locked(mypy.cache):
            errors = mypy.check(ws.base, targets)
    return Warmed(spot, len(errors), time.monotonic() - start)
