"""Running the action as the GitHub runner does: action.yml parsed, its `${{ }}` expressions
evaluated (the small subset the action uses), the step environment built from them, and the
files the runner hands a step (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, ...) read back."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
ACTION_YML = ROOT / "action.yml"
ENTRYPOINT = ROOT / "entrypoint.py"
WORKFLOWS = ROOT / ".github" / "workflows"
PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40} # v\d+\.\d+\.\d+$")
"""A third-party action pinned by full commit sha, with the version tag as a comment."""


def load_action() -> dict[str, Any]:
    data = yaml.safe_load(ACTION_YML.read_text())
    assert isinstance(data, dict)
    return data


def uses_lines(text: str) -> list[str]:
    """The value of every ``uses:`` line, comment included (YAML parsing drops comments)."""
    return [m.group(1).strip() for m in re.finditer(r"^\s*-?\s*uses:\s*(.+)$", text, re.M)]


# ---------------------------------------------------------------------------------------------
# Expressions: literals, context paths, ==, !=, !, &&, ||, parentheses (GitHub's semantics:
# case-insensitive string equality, && and || return an operand, '' and false are falsy).

_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<op>==|!=|&&|\|\||!|\(|\))|(?P<word>[\w.-]+))"
)


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens, pos = [], 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise ValueError(f"cannot parse expression at {text[pos:]!r}")
        kind = match.lastgroup
        assert kind is not None
        tokens.append((kind, match.group(kind)))
        pos = match.end()
    return tokens


def _truthy(value: Any) -> bool:
    return value not in ("", None, False, 0)


class _Parser:
    def __init__(self, text: str, context: dict[str, Any]) -> None:
        self.tokens = _tokens(text)
        self.i = 0
        self.context = context

    def peek(self) -> str | None:
        return self.tokens[self.i][1] if self.i < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def parse(self) -> Any:
        value = self.or_()
        if self.i != len(self.tokens):
            raise ValueError(f"unexpected {self.peek()!r}")
        return value

    def or_(self) -> Any:
        value = self.and_()
        while self.peek() == "||":
            self.take()
            right = self.and_()
            value = value if _truthy(value) else right
        return value

    def and_(self) -> Any:
        value = self.compare()
        while self.peek() == "&&":
            self.take()
            right = self.compare()
            value = right if _truthy(value) else value
        return value

    def compare(self) -> Any:
        value = self.unary()
        if self.peek() in ("==", "!="):
            op = self.take()[1]
            right = self.unary()
            same = str(value).lower() == str(right).lower()
            return same if op == "==" else not same
        return value

    def unary(self) -> Any:
        if self.peek() == "!":
            self.take()
            return not _truthy(self.unary())
        if self.peek() == "(":
            self.take()
            value = self.or_()
            assert self.take()[1] == ")"
            return value
        kind, text = self.take()
        if kind == "str":
            return text[1:-1].replace("''", "'")
        if text in ("true", "false"):
            return text == "true"
        value: Any = self.context
        for part in text.split("."):
            value = value.get(part, "") if isinstance(value, dict) else ""
        return value


def evaluate(expression: str, context: dict[str, Any]) -> Any:
    """The value of one expression (the inside of ``${{ }}``, or an ``if:``)."""
    return _Parser(expression, context).parse()


def interpolate(text: str, context: dict[str, Any]) -> str:
    """``text`` with every ``${{ expr }}`` replaced by its value."""

    def value(match: re.Match[str]) -> str:
        result = evaluate(match.group(1), context)
        if isinstance(result, bool):
            return "true" if result else "false"
        return str(result)

    return re.sub(r"\$\{\{(.*?)\}\}", value, str(text))


def input_values(given: dict[str, str], github: dict[str, str]) -> dict[str, str]:
    """The action's inputs as the runner gives them: ``with:`` values, else the defaults."""
    values: dict[str, str] = {}
    for name, spec in load_action()["inputs"].items():
        default = interpolate(str(spec.get("default", "")), {"github": github})
        values[name] = given.get(name, default)
    unknown = set(given) - set(values)
    assert not unknown, f"not inputs of action.yml: {unknown}"
    return values


def step_env(step_id: str, context: dict[str, Any]) -> dict[str, str]:
    """The ``env:`` a step of action.yml declares, evaluated."""
    step = next(s for s in load_action()["runs"]["steps"] if s.get("id") == step_id)
    return {name: interpolate(str(value), context) for name, value in step["env"].items()}


# ---------------------------------------------------------------------------------------------
# The runner's files and log


def read_file_commands(path: Path) -> dict[str, str]:
    """``name<<delimiter`` / ``name=value`` records (GITHUB_OUTPUT, GITHUB_ENV), later wins."""
    values: dict[str, str] = {}
    lines = path.read_text(encoding="utf-8").split("\n") if path.exists() else []
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line:
            continue
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            body: list[str] = []
            while lines[i] != delimiter:
                body.append(lines[i])
                i += 1
            i += 1
            values[name] = "\n".join(body)
        else:
            name, value = line.split("=", 1)
            values[name] = value
    return values


@dataclass(frozen=True)
class Command:
    """One workflow command line (``::name props::message``)."""

    name: str
    properties: dict[str, str]
    message: str


def _unescape(text: str) -> str:
    return (
        text.replace("%0D", "\r")
        .replace("%0A", "\n")
        .replace("%3A", ":")
        .replace("%2C", ",")
        .replace("%25", "%")
    )


def workflow_commands(stdout: str) -> list[Command]:
    """The commands the runner would act on: none between ``::stop-commands::T`` and ``::T::``."""
    commands: list[Command] = []
    paused: str | None = None
    for line in stdout.splitlines():
        match = re.match(r"^::([\w-]+)(?: ([^:]*))?::(.*)$", line)
        if paused is not None:
            if line == f"::{paused}::":
                paused = None
            continue
        if match is None:
            continue
        name, props, message = match.group(1), match.group(2) or "", match.group(3)
        if name == "stop-commands":
            paused = message
            continue
        properties = dict(
            (key, _unescape(value))
            for key, value in (p.split("=", 1) for p in props.split(",") if "=" in p)
        )
        commands.append(Command(name, properties, _unescape(message)))
    return commands


@dataclass
class RunnerFiles:
    """The files a runner gives one step."""

    root: Path
    output: Path = field(init=False)
    summary: Path = field(init=False)
    path: Path = field(init=False)
    env: Path = field(init=False)
    event: Path = field(init=False)
    temp: Path = field(init=False)

    def __post_init__(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.output = self.root / "output"
        self.summary = self.root / "step_summary"
        self.path = self.root / "path"
        self.env = self.root / "env"
        self.event = self.root / "event.json"
        self.temp = self.root / "runner-temp"
        self.temp.mkdir(exist_ok=True)
        for name in (self.output, self.summary, self.path, self.env):
            name.write_text("")
        self.event.write_text(
            json.dumps(
                {"inputs": {"artifact": "patch", "run-id": "4141"}, "sender": {"login": "octo"}}
            )
        )

    def outputs(self) -> dict[str, str]:
        return read_file_commands(self.output)


def runner_env(
    files: RunnerFiles,
    workspace: Path,
    *,
    api_url: str = "http://127.0.0.1:9/api/v3",
    repository: str = "acme/app",
) -> dict[str, str]:
    """The environment a runner gives a composite action's step (without INPUT_ variables): the
    job's own variables, less anything a test run inherited from a real runner. (The test run's
    coverage variables stay, so the step's error_fix is measured.)"""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("INPUT_", "GITHUB_", "RUNNER_", "ACTIONS_", "STATE_"))
        and k not in ("GH_TOKEN", "SLACK_WEBHOOK_URL")
    }
    server = api_url.removesuffix("/api/v3")
    env.update(
        {
            "CI": "true",
            "GITHUB_ACTIONS": "true",
            "GITHUB_WORKSPACE": str(workspace),
            "GITHUB_REPOSITORY": repository,
            "GITHUB_API_URL": api_url,
            "GITHUB_GRAPHQL_URL": f"{server}/api/graphql",
            "GITHUB_SERVER_URL": server,
            "GITHUB_OUTPUT": str(files.output),
            "GITHUB_STEP_SUMMARY": str(files.summary),
            "GITHUB_PATH": str(files.path),
            "GITHUB_ENV": str(files.env),
            "GITHUB_EVENT_PATH": str(files.event),
            "GITHUB_EVENT_NAME": "workflow_dispatch",
            "GITHUB_RUN_ID": "4242",
            "GITHUB_ACTOR": "octo",
            "RUNNER_TEMP": str(files.temp),
            "RUNNER_OS": "Linux",
            "RUNNER_ARCH": "X64",
            # The user's job: its python (with pytest) first on PATH, as after setup-python.
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        }
    )
    return env


def run_bash(
    script: str, env: dict[str, str], cwd: Path, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    """A ``shell: bash`` step as the runner runs it."""
    bash = shutil.which("bash")
    assert bash is not None
    return subprocess.run(
        [bash, "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
