"""`pip install .` into a fresh virtualenv, offline, then `error-fix demo` — the README quick start."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.sample import venv_seeing_our_packages

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_fresh_install_runs_the_demo_offline(tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    # Dependencies come from this environment (no index is reachable in the test); error-fix
    # itself is built and installed from the source tree like a user would.
    python = venv_seeing_our_packages(env_dir)
    offline = {
        **os.environ,
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": "",
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "HTTP_PROXY": "http://127.0.0.1:9",
        "NO_PROXY": "127.0.0.1,localhost",
    }
    build = tmp_path / "src"
    shutil.copytree(
        ROOT,
        build,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", "build", "*.egg-info", "__pycache__", ".state", "*cache*"
        ),
    )
    subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            str(build),
        ],
        check=True,
        env=offline,
        cwd=tmp_path,
    )
    where = subprocess.run(
        [str(python), "-c", "import error_fix; print(error_fix.__file__)"],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    ).stdout
    assert where.startswith(str(env_dir))
    demo = subprocess.run(
        [str(env_dir / "bin" / "error-fix"), "demo", "--dir", str(tmp_path / "d")],
        capture_output=True,
        text=True,
        env=offline,
        cwd=tmp_path,
        timeout=600,
    )
    assert demo.returncode == 0, demo.stderr
    out = demo.stdout
    bad, good = out.split("=== good fix")
    assert "regression: 1 test(s) pass on the base and fail patched" in bad
    assert "Decision: manual_review" in bad
    assert (
        "Fixed (fail on base, pass patched): "
        "tests/test_stats.py::test_mean_price_of_no_prices_is_zero" in good
    )
    assert "Decision: auto_merge  (overall 1.00)" in good
    assert "Forge: merged" in good
    log = (tmp_path / "d" / "pricing" / ".state" / "patch_decisions.jsonl").read_text()
    assert [json.loads(line)["decision"] for line in log.splitlines()] == [
        "manual_review",
        "auto_merge",
    ]
