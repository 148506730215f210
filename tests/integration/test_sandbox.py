"""The patch's code runs sandboxed: it cannot write outside its tree, reach the network on a
well-known port, or rewrite another tree's results; and ``sandbox = "required"`` without Landlock
is `unknown`, never a silent unconfined run.

This machine's kernel has Landlock (the tests need it; the CI runners do too). "A machine without
Landlock" is this one with the three Landlock system calls answering ENOSYS (a seccomp filter set
up before exec), which is exactly what error-fix sees on a kernel built without it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from error_fix.decision import PatchDecision, Verdict
from error_fix.sandbox import landlock_abi
from tests.sample import CALC, DIVIDE_FIX, SampleRepo, decide_by_tests

pytestmark = pytest.mark.skipif(landlock_abi()[0] < 4, reason="needs Landlock ABI 4 (TCP rules)")

ESCAPE = """
    import os
    import socket
    from pathlib import Path


    def test_escape(tmp_path: Path) -> None:
        (tmp_path / "scratch").write_text("pytest's own temporary directory works")
        try:
            (Path(os.environ["HOME"]) / "pwned").write_text("x")
            wrote = "written"
        except OSError as exc:
            wrote = type(exc).__name__
        server = socket.create_server(("127.0.0.1", 0))
        with server, socket.create_connection(server.getsockname(), timeout=2):
            loopback = "connected"
        # Landlock refuses by port, whatever the address: only once port 443 is refused on
        # loopback is it safe to try an outside address (the attempt never leaves the machine).
        try:
            socket.create_connection(("127.0.0.1", 443), timeout=2).close()
            guard = "connected"
        except OSError as exc:
            guard = type(exc).__name__
        outside = "not tried"
        if guard == "PermissionError":
            try:
                socket.create_connection(("203.0.113.7", 443), timeout=2).close()
                outside = "connected"
            except OSError as exc:
                outside = type(exc).__name__
        assert False, f"write={wrote} ephemeral={loopback} 443={guard} outside={outside}"
"""
"""A test that reports, in its failure message, what it could do."""


def escape_report(verdict: Verdict) -> str:
    [finding] = [f for f in verdict.scorers["tests"]["findings"] if f["rule"] == "FAILING_TEST"]
    return str(finding["message"])


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    return home


def test_a_patch_test_cannot_write_home_or_connect_out(tmp_path: Path, home: Path) -> None:
    repo = SampleRepo(tmp_path / "calc", CALC)
    verdict = decide_by_tests(repo, {"tests/test_escape.py": ESCAPE}, tmp_path / "a")
    report = escape_report(verdict)
    assert "write=PermissionError" in report
    assert "ephemeral=connected" in report  # a server the test starts itself is reachable
    assert "443=PermissionError outside=PermissionError" in report
    assert not (home / "pwned").exists()
    assert verdict.sandbox["on"] is True
    assert verdict.sandbox["landlock_abi"] >= 4
    assert any("TCP connect only to ports" in limit for limit in verdict.sandbox["limits"])
    assert verdict.scorers["tests"]["details"]["sandbox"]["on"] is True


def test_control_without_the_sandbox_the_same_test_writes_home(tmp_path: Path, home: Path) -> None:
    repo = SampleRepo(tmp_path / "calc", CALC)
    verdict = decide_by_tests(repo, {"tests/test_escape.py": ESCAPE}, tmp_path / "a", sandbox="off")
    report = escape_report(verdict)
    assert "write=written" in report and "outside=not tried" in report
    assert (home / "pwned").exists()
    assert verdict.sandbox == {
        "mode": "off",
        "on": False,
        "landlock_abi": 0,
        "limits": [],
        "not_limited": [],
        "reason": "sandbox = off",
    }


TAMPER = """
    from pathlib import Path


    def test_nothing_to_see() -> None:
        # From the patched (or before) tree, reach the base tree beside it and make its test_add
        # fail there, so that the broken add() looks like a failure the base already had.
        base_test = Path(__file__).resolve().parents[2] / "base" / "tests" / "test_ops.py"
        try:
            base_test.write_text(base_test.read_text().replace("== 5", "== 6"))
        except OSError:
            pass
"""


@pytest.mark.parametrize("sandbox", ["auto", "off"])
def test_a_patch_test_cannot_rewrite_the_base_tree(tmp_path: Path, sandbox: str) -> None:
    repo = SampleRepo(tmp_path / "calc", CALC)
    broken = {
        **DIVIDE_FIX,
        "src/calc/ops.py": DIVIDE_FIX["src/calc/ops.py"].replace("return a + b", "return a - b"),
        "tests/test_tamper.py": TAMPER,
    }
    verdict = decide_by_tests(repo, broken, tmp_path / "a", sandbox=sandbox)
    if sandbox == "auto":
        assert verdict.decision is PatchDecision.MANUAL_REVIEW
        assert verdict.tests["pass_to_fail"] == ["tests/test_ops.py::test_add"]
    else:
        # Unconfined, the patch's test did rewrite the base's test_add: the broken add() would
        # pass for a failure the base already had. Seen, it makes the scorer unknown.
        assert verdict.decision is PatchDecision.MANUAL_REVIEW
        tests = verdict.scorers["tests"]
        assert tests["status"] == "unknown"
        assert tests["reason"].startswith("the base tree changed while the patch's code ran")
        assert "tests/test_ops.py" in tests["reason"]


WITHOUT_LANDLOCK = """
import ctypes, os, struct, sys

def op(code, jt, jf, k):
    return struct.pack("HBBI", code, jt, jf, k)

program = b"".join([
    op(0x20, 0, 0, 0),                   # A = system call number
    op(0x35, 0, 2, 444),                 # A >= 444 (landlock_create_ruleset)? else allow
    op(0x25, 1, 0, 446),                 # A > 446 (landlock_restrict_self)? allow
    op(0x06, 0, 0, 0x00050000 | 38),     # the three Landlock calls: ENOSYS
    op(0x06, 0, 0, 0x7FFF0000),          # everything else: allow
])
class Program(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]
code = ctypes.create_string_buffer(program)
libc = ctypes.CDLL(None, use_errno=True)
assert libc.prctl(38, 1, 0, 0, 0) == 0  # no_new_privs
filter = Program(len(program) // 8, ctypes.cast(code, ctypes.c_void_p))
assert libc.prctl(22, 2, ctypes.byref(filter), 0, 0) == 0, ctypes.get_errno()  # seccomp
os.execv(sys.argv[1], sys.argv[1:])
"""


@pytest.mark.parametrize("mode", ["required", "auto"])
def test_on_a_kernel_without_landlock(tmp_path: Path, mode: str) -> None:
    repo = SampleRepo(tmp_path / "calc", CALC)
    artifact = repo.patch_file(DIVIDE_FIX, tmp_path / "a")
    command = [sys.executable, "-c", WITHOUT_LANDLOCK, sys.executable, "-m", "error_fix"]
    run = subprocess.run(
        [
            *command,
            "score",
            "--repo",
            str(repo.path),
            "--patch",
            str(artifact),
            "--python",
            sys.executable,
            "--sandbox",
            mode,
            "--disable",
            "lint,types,security,coverage",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    verdict = json.loads(run.stdout)
    why = "the kernel has no Landlock (Linux ≥ 5.13 built with it is needed)"
    assert verdict["sandbox"]["on"] is False and verdict["sandbox"]["reason"] == why
    tests = verdict["scorers"]["tests"]
    if mode == "required":
        assert tests["status"] == "unknown"
        assert tests["reason"] == f"sandbox = required, but {why}: no project code ran"
        assert verdict["decision"] == "manual_review"
    else:
        assert tests["status"] == "ok" and tests["score"] == 1.0
        assert verdict["decision"] == "auto_merge"
