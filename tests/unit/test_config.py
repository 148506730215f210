from __future__ import annotations

from pathlib import Path

import pytest

from error_fix.config import ConfigError, Settings, load_settings


def write_pyproject(repo: Path, table: str) -> None:
    (repo / "pyproject.toml").write_text(f"[project]\nname = 'x'\n\n[tool.error-fix]\n{table}\n")


def test_defaults_are_the_seed_values() -> None:
    s = Settings()
    assert (s.auto_merge_threshold, s.pr_threshold) == (0.95, 0.80)
    assert dict(s.weights) == {
        "tests": 0.4,
        "lint": 0.2,
        "types": 0.15,
        "security": 0.15,
        "coverage": 0.1,
    }
    assert s.test_command == ("python", "-m", "pytest")
    assert s.test_timeout == 600 and s.reruns == 2
    assert s.max_patch_bytes == 1024 * 1024


def test_pyproject_then_config_file_then_flags(tmp_path: Path) -> None:
    write_pyproject(
        tmp_path,
        'auto-merge-threshold = 0.9\ntest-command = "pytest -x"\n'
        "weights = {lint = 0.1}\ndisable = ['coverage']",
    )
    config = tmp_path / "extra.toml"
    config.write_text("[tool.error-fix]\npr-threshold = 0.7\nauto-merge-threshold = 0.85\n")
    s = load_settings(tmp_path, config, {"pr_threshold": 0.6, "python": None})
    assert s.auto_merge_threshold == 0.85
    assert s.pr_threshold == 0.6
    assert s.test_command == ("pytest", "-x")
    assert s.weights["lint"] == 0.1 and s.weights["tests"] == 0.4
    assert s.disabled == frozenset({"coverage"})
    assert s.python == "python"


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("auto-merge-threshold = 1.5", "auto-merge-threshold must be between 0 and 1"),
        ("pr-threshold = 0.99", "pr-threshold \\(0.99\\) is above"),
        ("no-such-key = 1", "unknown key 'no-such-key'"),
        ("weights = {style = 1.0}", "unknown scorer 'style'"),
        ("test-timeout = 'soon'", "test-timeout: bad value 'soon'"),
        ("merge-method = 'octopus'", "merge-method must be one of"),
        ("disable = ['tests', 'lint', 'types', 'security', 'coverage']", "total weight of 0"),
        ("allow-binary = 'maybe'", "allow-binary: bad value"),
        ("carry-max-bytes = -1", "carry-max-bytes must be ≥ 0, got -1"),
        ("state-dir = '.'", "state-dir must be a directory of its own"),
        ("state-dir = './'", "state-dir must be a directory of its own"),
        ("carry-generated = 'sometimes'", "carry-generated: bad value"),
    ],
)
def test_bad_settings_name_the_key(tmp_path: Path, table: str, message: str) -> None:
    write_pyproject(tmp_path, table)
    with pytest.raises(ConfigError, match=message):
        load_settings(tmp_path)


def test_unreadable_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.error-fix\n")
    with pytest.raises(ConfigError, match="pyproject.toml: cannot read"):
        load_settings(tmp_path)


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_settings(tmp_path, tmp_path / "nope.toml")


def test_string_lists_from_flags() -> None:
    s = load_settings(None, None, {"protected_paths": "a/**, b.txt", "allow_binary": "true"})
    assert s.protected_paths == ("a/**", "b.txt")
    assert s.allow_binary is True
