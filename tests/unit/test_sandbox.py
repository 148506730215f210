"""The sandbox on its own: its modes, its launcher, and what one confined run may write."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from error_fix import proc, sandbox_exec
from error_fix.config import ConfigError, Settings
from error_fix.sandbox import Sandbox, SandboxRefused, SandboxStatus, landlock_abi

LAUNCHER = Path(sandbox_exec.__file__)
needs_landlock = pytest.mark.skipif(not landlock_abi()[0], reason="needs Landlock")


def test_the_setting_names_its_values() -> None:
    with pytest.raises(ConfigError, match="sandbox must be 'auto', 'required' or 'off', got 'on'"):
        Settings(sandbox="on")
    with pytest.raises(ValueError, match="sandbox must be one of"):
        Sandbox("on")


def test_only_required_refuses() -> None:
    assert SandboxStatus("required", False, reason="no Landlock").refused
    assert not SandboxStatus("auto", False, reason="no Landlock").refused
    assert not SandboxStatus("required", True, abi=7).refused


def test_required_but_impossible_runs_nothing(tmp_path: Path) -> None:
    box = Sandbox("off")
    box.status = SandboxStatus("required", False, reason="no Landlock here")
    marker = tmp_path / "ran"
    with pytest.raises(SandboxRefused, match="sandbox = required, but no Landlock here"):
        proc.run(["touch", str(marker)], sandbox=box.confine([tmp_path], tmp_path / "tmp"))
    assert not marker.exists()


def test_off_still_gives_the_run_its_own_temporary_directory(tmp_path: Path) -> None:
    box = Sandbox("off")
    result = proc.run(
        [sys.executable, "-c", "import tempfile; print(tempfile.gettempdir())"],
        sandbox=box.confine([tmp_path], tmp_path / "tmp"),
    )
    assert result.stdout.strip() == str(tmp_path / "tmp")
    assert box.status.to_dict()["reason"] == "sandbox = off"


def test_a_missing_program_is_not_found_before_the_launcher_starts(tmp_path: Path) -> None:
    with pytest.raises(proc.ToolNotFound, match="no-such-tool-here: command not found"):
        proc.run(["no-such-tool-here"], sandbox=Sandbox("auto").confine([tmp_path], tmp_path / "t"))


def test_the_launcher_never_runs_a_command_it_could_not_confine(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    usage = subprocess.run(
        [sys.executable, "-I", "-S", str(LAUNCHER), "touch", str(marker)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert usage.returncode == 2 and "usage:" in usage.stderr
    not_a_ruleset = subprocess.run(
        [sys.executable, "-I", "-S", str(LAUNCHER), "0", "--", "touch", str(marker)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert not_a_ruleset.returncode == sandbox_exec.LAUNCHER_FAILED
    assert "error-fix sandbox: could not confine touch" in not_a_ruleset.stderr
    assert not marker.exists()


@needs_landlock
def test_a_confined_run_writes_its_own_tree_and_nothing_else(tmp_path: Path) -> None:
    own, sibling = tmp_path / "patched", tmp_path / "base"
    own.mkdir()
    sibling.mkdir()
    box = Sandbox("auto")
    try:
        script = (
            "import pathlib, sys\n"
            "for target in sys.argv[1:]:\n"
            "    try:\n"
            "        pathlib.Path(target).write_text('x'); print(target, 'written')\n"
            "    except OSError as exc:\n"
            "        print(target, type(exc).__name__)\n"
        )
        targets = [own / "f", sibling / "f", tmp_path / "f", "/dev/null"]
        result = proc.run(
            [sys.executable, "-c", script, *map(str, targets)],
            cwd=own,
            sandbox=box.confine([own], tmp_path / "tmp"),
        )
    finally:
        box.close()
    assert result.stdout.splitlines() == [
        f"{own / 'f'} written",
        f"{sibling / 'f'} PermissionError",
        f"{tmp_path / 'f'} PermissionError",
        "/dev/null written",
    ]
    assert box.status.on and box.status.abi == landlock_abi()[0]
