"""The sandbox's launcher: ``python -I -S sandbox_exec.py FD... -- COMMAND...``.

A fresh, single-threaded process enforces the Landlock rulesets it inherited (descriptors
``FD...``, layered: each one limits further) on itself, then execs ``COMMAND``; everything the
command starts inherits the limits. It never runs the command unconfined: when enforcing fails it
exits with LAUNCHER_FAILED. It starts on every command, so it imports only what it needs (see
sandbox.py for the rulesets).
"""

from __future__ import annotations

import ctypes
import os
import sys

CREATE_RULESET, ADD_RULE, RESTRICT_SELF = 444, 445, 446  # the same on every architecture
PR_SET_NO_NEW_PRIVS = 38
LAUNCHER_FAILED = 125
"""Exit status when the command could not be confined (it did not run)."""


def libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def check(result: int, what: str) -> int:
    """``result`` of a libc call, or OSError naming ``what`` with errno's message."""
    if result < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")
    return result


def confine(fds: list[int]) -> None:
    """Enforce the rulesets ``fds`` on this process and everything it will start."""
    lib = libc()
    check(lib.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "set no_new_privs")
    for fd in fds:
        check(lib.syscall(RESTRICT_SELF, fd, 0), "enforce a ruleset")
        os.close(fd)


def main(args: list[str]) -> int:
    """Confine, then exec; returns only when it could not."""
    split = args.index("--") if "--" in args else -1
    fds, command = args[:split], args[split + 1 :]
    if split < 1 or not command or not all(fd.isdigit() for fd in fds):
        sys.stderr.write("usage: sandbox_exec.py RULESET_FD... -- COMMAND [ARG...]\n")
        return 2
    try:
        confine([int(fd) for fd in fds])
    except OSError as exc:
        sys.stderr.write(f"error-fix sandbox: could not confine {command[0]}: {exc}\n")
        return LAUNCHER_FAILED
    try:
        os.execvp(command[0], command)  # noqa: S606 - the command as configured
    except OSError as exc:
        sys.stderr.write(f"error-fix sandbox: cannot run {command[0]}: {exc}\n")
    return 127


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
