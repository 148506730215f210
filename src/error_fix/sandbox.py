"""Confine project code with Landlock (Linux ≥ 5.13; no root, no namespaces).

What a confined run (and every process it starts) may do, by the kernel's Landlock ABI:

- ABI ≥ 1: create, change or delete files only in its own tree and output directory (its
  private TMPDIR is inside; a session that waits for its orders also has its own orders
  folder), in ``/dev/shm`` and the null-like devices — not in the other trees of the
  workspace, nor other runs' output or orders, whose results it could otherwise bend;
- ABI ≥ 4: open TCP connections only to ports of the local ephemeral range
  (``/proc/sys/net/ipv4/ip_local_port_range``, where servers a test starts on port 0 listen).
  Landlock filters by port, not by address: every well-known service port (HTTP, HTTPS, SSH,
  databases...) is refused on every host, loopback included, and a connection to an
  ephemeral-range port elsewhere goes through;
- ABI ≥ 6: no signals to, and no abstract Unix sockets of, processes outside the run.

Reads, UDP (so DNS) and pathname Unix sockets are not limited.

Two layered rulesets: the network one is built once per workspace (tens of thousands of port
rules take a tenth of a second), the filesystem one per run (a handful of rules). A confined
command starts as ``python -I -S sandbox_exec.py FD... -- COMMAND...``: that launcher, a fresh
single-threaded process, enforces the inherited rulesets on itself and execs the command, so
nothing unsafe happens between fork and exec in error-fix's threaded process.
"""

from __future__ import annotations

import ctypes
import os
import sys
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

from .config import SANDBOX_MODES
from .sandbox_exec import ADD_RULE, CREATE_RULESET, check, libc

_CREATE_RULESET_VERSION = 1
_RULE_PATH_BENEATH, _RULE_NET_PORT = 1, 2

# Filesystem rights that change something (reads and execution are left alone).
_WRITE_FILE = 1 << 1
_REMOVE = (1 << 4) | (1 << 5)  # directories, files
_MAKE = sum(1 << bit for bit in range(6, 13))  # char, dir, regular, socket, fifo, block, symlink
_REFER = 1 << 13  # ABI 2: move or link between directories
_TRUNCATE = 1 << 14  # ABI 3
_CONNECT_TCP = 1 << 1
_SCOPES = (1 << 0) | (1 << 1)  # abstract Unix sockets, signals
NET_ABI, SCOPE_ABI = 4, 6

DEVICES = ("/dev/null", "/dev/zero", "/dev/full")
"""Device files anything may write (they keep nothing)."""
SHARED_WRITABLE = ("/dev/shm",)  # noqa: S108 - allowed on purpose, see the docstring
"""Directories outside the workspace left writable: multiprocessing's semaphores live there."""


class _RulesetAttr(ctypes.Structure):
    _fields_ = [
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),
        ("scoped", ctypes.c_uint64),
    ]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


class _NetPortAttr(ctypes.Structure):
    _fields_ = [("allowed_access", ctypes.c_uint64), ("port", ctypes.c_uint64)]


def landlock_abi() -> tuple[int, str]:
    """(Landlock ABI version, "") on a kernel that has it enabled; (0, why not) elsewhere."""
    if not sys.platform.startswith("linux"):
        return 0, f"Landlock is Linux-only (this is {sys.platform})"
    lib = libc()
    abi = int(lib.syscall(CREATE_RULESET, None, ctypes.c_size_t(0), _CREATE_RULESET_VERSION))
    if abi > 0:
        return abi, ""
    err = ctypes.get_errno()
    why = {
        38: "the kernel has no Landlock (Linux ≥ 5.13 built with it is needed)",
        95: "Landlock is disabled at boot (not in the kernel's lsm= list)",
    }.get(err, f"Landlock is unavailable: {os.strerror(err)}")
    return 0, why


def ephemeral_ports() -> tuple[int, int]:
    """The local port range the kernel picks from for a socket bound to port 0."""
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[:2]
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999  # the kernel's default


@dataclass(frozen=True)
class SandboxStatus:
    """Whether project code is confined, and how: what the verdict and the report show."""

    mode: str
    """The ``sandbox`` setting: auto, required or off."""
    on: bool
    """True when project code runs confined."""
    abi: int = 0
    """The kernel's Landlock ABI version (0: none)."""
    limits: tuple[str, ...] = ()
    """What the sandbox enforces, one line each."""
    not_limited: tuple[str, ...] = ()
    """What it leaves open (said plainly, so nobody reads more into "on")."""
    reason: str | None = None
    """Why it is off."""

    @property
    def refused(self) -> bool:
        """``required`` but the platform cannot sandbox: project code must not run."""
        return self.mode == "required" and not self.on

    def to_dict(self) -> dict[str, object]:
        return {
            "mode": self.mode,
            "on": self.on,
            "landlock_abi": self.abi,
            "limits": list(self.limits),
            "not_limited": list(self.not_limited),
            "reason": self.reason,
        }


class SandboxRefused(Exception):
    """``sandbox = "required"`` and project code cannot be confined here."""


@dataclass(frozen=True)
class Launch:
    """How to start one command: through the launcher (confined) or as it is."""

    argv: list[str]
    """The command line to start."""
    env: dict[str, str]
    """Its environment (TMPDIR set to the run's private directory)."""
    fds: tuple[int, ...] = ()
    """Ruleset descriptors the launcher inherits."""


class Sandbox:
    """How project code starts in one workspace: confined when the platform allows it and the
    mode asks for it. Build one per workspace; :meth:`launch` once per command."""

    def __init__(self, mode: str) -> None:
        if mode not in SANDBOX_MODES:
            raise ValueError(f"sandbox must be one of {SANDBOX_MODES}, got {mode!r}")
        self._lock = threading.Lock()
        self._net_fd: int | None = None
        abi, why = landlock_abi() if mode != "off" else (0, "sandbox = off")
        self._ports = ephemeral_ports()
        if not abi:
            self.status = SandboxStatus(mode, False, reason=why)
            return
        low, high = self._ports
        limits = [
            "each run writes only in its own tree and output directory (private TMPDIR "
            "inside), " + ", ".join((*SHARED_WRITABLE, *DEVICES))
        ]
        not_limited = ["reads", "UDP (so DNS)", "pathname Unix sockets"]
        if abi >= NET_ABI:
            limits.append(
                f"TCP connect only to ports {low}-{high} (the local ephemeral range, where "
                "servers a test starts on port 0 listen), whatever the address"
            )
            not_limited.append(f"TCP to a port in {low}-{high} on any host")
        else:
            not_limited.append(f"TCP (needs Landlock ABI {NET_ABI}; this kernel has {abi})")
        if abi >= SCOPE_ABI:
            limits.append("no signals to, nor abstract Unix sockets of, processes outside the run")
        self.status = SandboxStatus(mode, True, abi, tuple(limits), tuple(not_limited))

    @contextmanager
    def launch(
        self,
        argv: Sequence[str],
        env: Mapping[str, str],
        writable: Sequence[Path],
        tmp: Path,
    ) -> Iterator[Launch]:
        """How to start ``argv`` so that it writes only under ``writable`` and ``tmp`` (its
        TMPDIR, created here). The descriptors are valid inside the ``with`` block only.

        Raises SandboxRefused when the mode is ``required`` and nothing can be confined here.
        """
        if self.status.refused:
            raise SandboxRefused(f"sandbox = required, but {self.status.reason}")
        tmp.mkdir(parents=True, exist_ok=True)
        environment = {**env, "TMPDIR": str(tmp)}
        if not self.status.on:
            yield Launch(list(argv), environment)
            return
        abi = self.status.abi
        fs_fd = _filesystem_ruleset(abi, [*writable, tmp])
        try:
            fds = (fs_fd,) if abi < NET_ABI else (self._network_ruleset(), fs_fd)
            launcher = [
                sys.executable,
                "-I",
                "-S",
                str(Path(__file__).with_name("sandbox_exec.py")),
            ]
            yield Launch([*launcher, *map(str, fds), "--", *argv], environment, fds)
        finally:
            os.close(fs_fd)

    def confine(self, writable: Sequence[Path], tmp: Path) -> Confinement:
        """One run's confinement: it may write under ``writable`` and its TMPDIR ``tmp``."""
        return Confinement(self, tuple(writable), tmp)

    def _network_ruleset(self) -> int:
        """One for the workspace: its tens of thousands of port rules take a while to add."""
        with self._lock:
            if self._net_fd is None:
                self._net_fd = _network_ruleset(self._ports)
            return self._net_fd

    def close(self) -> None:
        """Release the shared ruleset; safe to call twice."""
        with self._lock:
            if self._net_fd is not None:
                os.close(self._net_fd)
                self._net_fd = None


@dataclass(frozen=True)
class Confinement:
    """Where one run of project code may write (what :func:`proc.run` takes)."""

    sandbox: Sandbox
    """The workspace's sandbox."""
    writable: tuple[Path, ...]
    """Directories the run may change: its tree, its output directory."""
    tmp: Path
    """Its private temporary directory (TMPDIR)."""

    def launch(self, argv: Sequence[str], env: Mapping[str, str]) -> AbstractContextManager[Launch]:
        return self.sandbox.launch(argv, env, self.writable, self.tmp)


def _add_rule(lib: ctypes.CDLL, fd: int, kind: int, rule: ctypes.Structure, what: str) -> None:
    check(lib.syscall(ADD_RULE, fd, kind, ctypes.byref(rule), 0), what)


def _create(lib: ctypes.CDLL, fs: int, net: int, scoped: int) -> int:
    attr = _RulesetAttr(fs, net, scoped)
    # The kernel takes the prefix of the struct it knows (fields after it must be zero).
    size = ctypes.sizeof(attr) if scoped else 16 if net else 8
    return check(lib.syscall(CREATE_RULESET, ctypes.byref(attr), size, 0), "create a ruleset")


def _filesystem_ruleset(abi: int, writable: Sequence[Path]) -> int:
    """A ruleset limiting writes to ``writable`` (and the shared places), with the scopes."""
    lib = libc()
    dir_rights = _WRITE_FILE | _REMOVE | _MAKE
    dir_rights |= (_REFER if abi >= 2 else 0) | (_TRUNCATE if abi >= 3 else 0)
    file_rights = _WRITE_FILE | (_TRUNCATE if abi >= 3 else 0)
    fd = _create(lib, dir_rights, 0, _SCOPES if abi >= SCOPE_ABI else 0)
    try:
        targets = [(Path(p), dir_rights) for p in writable]
        targets += [(Path(d), dir_rights) for d in SHARED_WRITABLE]
        targets += [(Path(d), file_rights) for d in DEVICES]
        for path, rights in targets:
            try:
                parent = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except FileNotFoundError:
                continue  # e.g. no /dev/shm in a container: nothing to allow there
            try:
                rule = _PathBeneathAttr(rights, parent)
                _add_rule(lib, fd, _RULE_PATH_BENEATH, rule, f"allow writes under {path}")
            finally:
                os.close(parent)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _network_ruleset(ports: tuple[int, int]) -> int:
    """A ruleset allowing TCP connect to ``ports`` (inclusive range) only."""
    lib = libc()
    fd = _create(lib, 0, _CONNECT_TCP, 0)
    try:
        rule = _NetPortAttr(_CONNECT_TCP, 0)
        ref = ctypes.byref(rule)
        add = lib.syscall
        for port in range(ports[0], ports[1] + 1):  # the hot loop: no helper calls in it
            rule.port = port
            if add(ADD_RULE, fd, _RULE_NET_PORT, ref, 0) < 0:
                check(-1, f"allow TCP connect to port {port}")
    except BaseException:
        os.close(fd)
        raise
    return fd
