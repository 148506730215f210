"""Drive error-fix as a tool from an orchestrator.

``ErrorAutomationAdapter(ToolConfig("error-fix", params)).execute(request)`` returns
``{"exit_code": int, "output": str, "metadata": dict}``; exit_code is 0 when the task was done,
1 when the patch was rejected or anything went wrong (``output`` then says what, in one line).

Requests::

    {"task_type": "apply_patch", "patch_path": "fix.patch"}
    {"task_type": "process_queue", "action": "list"}
    {"task_type": "process_queue", "action": "approve", "patch_id": "..."}
    {"task_type": "process_queue", "action": "reject", "patch_id": "...", "reason": "..."}

``params``: ``repo`` (default "."), ``base`` (default "HEAD"), ``actor`` (who approves/rejects,
default the tool id), and any setting (``auto_merge_threshold``, ``pr_threshold``, ...).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config import ConfigError, Settings, load_settings
from .decision import PatchDecision
from .events import EventBus, task
from .forge.interface import Forge, ForgeError, Outcome
from .forge.local import LocalForge
from .forge.observed import ObservedForge
from .pipeline import PatchApplier
from .proc import GitError
from .report import terminal
from .workspace import WorkspaceError, resolve_repo

_NOT_SETTINGS = {"repo", "base", "actor"}


@dataclass(frozen=True)
class ToolConfig:
    """How an orchestrator configured the tool."""

    tool_id: str
    """The orchestrator's name for this tool."""
    params: Mapping[str, Any] = field(default_factory=dict)
    """Tool parameters (see the module docstring)."""


class ToolAdapter(ABC):
    """A tool an orchestrator can execute requests against."""

    def __init__(self, config: ToolConfig) -> None:
        self.config = config

    @abstractmethod
    def execute(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """Run one request; never raises."""

    @staticmethod
    def result(exit_code: int, output: str, **metadata: Any) -> dict[str, Any]:
        return {"exit_code": exit_code, "output": output, "metadata": metadata}


class RequestError(Exception):
    """The request is incomplete or unknown."""


def _required(request: Mapping[str, Any], key: str) -> str:
    value = request.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise RequestError(f"missing field: {key}")
    return str(value)


class ErrorAutomationAdapter(ToolAdapter):
    TASK_TYPES = ("apply_patch", "process_queue")

    def __init__(self, config: ToolConfig, event_bus: EventBus | None = None) -> None:
        super().__init__(config)
        self.events = event_bus

    def _repo(self) -> Path:
        return resolve_repo(Path(str(self.config.params.get("repo", "."))).resolve())

    def _settings(self, repo: Path) -> Settings:
        overrides = {
            key.replace("-", "_"): value
            for key, value in self.config.params.items()
            if key not in _NOT_SETTINGS
        }
        return load_settings(repo, None, overrides)

    def _forge(self, repo: Path, settings: Settings) -> Forge:
        forge: Forge = LocalForge(repo, settings)
        return ObservedForge(forge, self.events) if self.events is not None else forge

    def execute(self, request: Mapping[str, Any]) -> dict[str, Any]:
        task_type = request.get("task_type")
        try:
            if task_type is None:
                raise RequestError("missing field: task_type")
            if task_type not in self.TASK_TYPES:
                raise RequestError(
                    f"unknown task_type {task_type!r}; expected one of {', '.join(self.TASK_TYPES)}"
                )
            with task(self.events, str(task_type), tool_id=self.config.tool_id) as summary:
                if task_type == "apply_patch":
                    response = self._apply_patch(request)
                else:
                    response = self._process_queue(request)
                summary["exit_code"] = response["exit_code"]
            return response
        except (RequestError, ConfigError, WorkspaceError, ForgeError, GitError) as exc:
            return self.result(1, f"error: {exc}", task_type=task_type, error=str(exc))

    def _apply_patch(self, request: Mapping[str, Any]) -> dict[str, Any]:
        patch_path = Path(_required(request, "patch_path"))
        repo = self._repo()
        settings = self._settings(repo)
        base = str(self.config.params.get("base", "HEAD"))
        scored = PatchApplier(settings, events=self.events).score(repo, patch_path, base)
        verdict = scored.verdict
        output = terminal(verdict, str(settings.decision_log_path(repo)))
        metadata: dict[str, Any] = {
            "task_type": "apply_patch",
            "decision": str(verdict.decision),
            "overall": verdict.overall,
            "verdict": verdict.to_dict(),
        }
        if verdict.decision is PatchDecision.REJECTED or scored.patch is None:
            return self.result(1, output, **metadata)
        published = self._forge(repo, settings).publish(verdict, scored.patch)
        metadata["forge"] = published.to_dict()
        output += f"\nForge: {published.outcome} — {published.message}"
        return self.result(1 if published.outcome is Outcome.FAILED else 0, output, **metadata)

    def _process_queue(self, request: Mapping[str, Any]) -> dict[str, Any]:
        action = _required(request, "action")
        repo = self._repo()
        settings = self._settings(repo)
        forge = self._forge(repo, settings)
        actor = str(self.config.params.get("actor", self.config.tool_id))
        if action == "list":
            entries = forge.queue()
            listing = [
                {
                    "id": e.id,
                    "branch": e.branch,
                    "title": e.title,
                    "status": e.status,
                    "decision": e.decision,
                    "overall": e.overall,
                    "age_hours": round(e.age_hours(), 2),
                }
                for e in entries
            ]
            output = "\n".join(f"{e['id']}  {e['status']}  {e['title']}" for e in listing)
            return self.result(
                0,
                output or "The review queue is empty.",
                task_type="process_queue",
                action="list",
                entries=listing,
            )
        if action not in ("approve", "reject"):
            raise RequestError(f"unknown action {action!r}; expected list, approve or reject")
        patch_id = _required(request, "patch_id")
        if action == "approve":
            result = forge.approve(patch_id, actor)
        else:
            result = forge.reject(patch_id, _required(request, "reason"), actor)
        code = 1 if result.outcome is Outcome.FAILED else 0
        return self.result(
            code,
            f"{result.outcome}: {result.message}",
            task_type="process_queue",
            action=action,
            patch_id=patch_id,
            **result.to_dict(),
        )
