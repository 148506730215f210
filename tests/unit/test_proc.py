from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from error_fix import proc
from tests.sample import process_alive


def test_scrubbed_env_drops_credentials_and_configured_names() -> None:
    base = {
        "PATH": "/bin",
        "GITHUB_TOKEN": "t",
        "GH_TOKEN": "t",
        "INPUT_GITHUB-TOKEN": "t",
        "ACTIONS_RUNTIME_TOKEN": "t",
        "ACTIONS_ID_TOKEN_REQUEST_URL": "u",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "t",
        "SLACK_WEBHOOK_URL": "u",
        "MY_SECRET": "s",
        "HOME": "/root",
    }
    env = proc.scrubbed_env(["MY_*"], base=base)
    assert env == {"PATH": "/bin", "HOME": "/root"}


def test_timeout_kills_the_whole_process_group(tmp_path: Path) -> None:
    pidfile = tmp_path / "child.pid"
    script = (
        "import subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        f"open({str(pidfile)!r}, 'w').write(str(child.pid))\n"
        "time.sleep(60)\n"
    )
    start = time.monotonic()
    result = proc.run([sys.executable, "-c", script], timeout=1.5)
    assert result.timed_out and not result.ok
    assert time.monotonic() - start < 10
    child = int(pidfile.read_text())
    deadline = time.monotonic() + 5
    while process_alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not process_alive(child), "the grandchild outlived the timeout"


def test_output_is_captured_and_tail_prefers_stderr() -> None:
    result = proc.run([sys.executable, "-c", "import sys; print('out'); sys.exit('boom')"])
    assert result.returncode == 1
    assert result.stdout == "out\n"
    assert result.tail() == "boom"


def test_missing_tool_is_its_own_error() -> None:
    with pytest.raises(proc.ToolNotFound, match="no-such-tool-here: command not found"):
        proc.run(["no-such-tool-here"])


def test_git_errors_carry_the_message(tmp_path: Path) -> None:
    with pytest.raises(
        proc.GitError, match="git rev-parse HEAD failed: fatal: not a git repository"
    ):
        proc.git(tmp_path, "rev-parse", "HEAD")


def test_cancel_stops_new_heavy_runs() -> None:
    proc.cancel()
    try:
        with pytest.raises(proc.Cancelled):
            proc.run([sys.executable, "-c", "pass"], limited=True)
        assert proc.run([sys.executable, "-c", "pass"]).ok  # git and light calls still work
    finally:
        proc.reset_cancel()
