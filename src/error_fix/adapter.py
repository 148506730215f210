"""Drive error-fix as a tool from an orchestrator.

``ErrorAutomationAdapter(ToolConfig("error_automation", params), event_bus=None).execute(request)``
returns ``{"exit_code": int, "output": dict, "metadata": {"task_id", "confidence", ...}}``;
exit_code is 0 when the task was done, 1 when the patch was rejected or anything went wrong
(``output`` then has ``error``, one line).

Requests (``task_id`` is optional, default "unknown")::

    {"task_type": "apply_patch", "patch_path": "fix.patch"}
    {"task_type": "process_queue", "action": "list"}
    {"task_type": "process_queue", "action": "approve", "patch_id": "..."}
    {"task_type": "process_queue", "action": "reject", "patch_id": "...", "reason": "..."}

``output`` is PatchApplier.apply_with_validation's dict for apply_patch, ``{"status":
"success", "pending": [...]}`` (ReviewQueueProcessor.list_pending) for list, the approve or
reject dict otherwise, ``{"error": ...}`` when the request could not be carried out.

``params``: ``repo`` (default "."), ``base`` (default "HEAD"), ``actor`` (who approves/rejects,
default the tool id), ``forge`` (local, github or auto; default local), ``token`` (GitHub), and
any setting (``auto_merge_threshold``, ``pr_threshold``, ...).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config import ConfigError, Settings, load_settings
from .events import EventBus, task
from .forge.interface import ForgeError
from .pipeline import PatchApplier
from .proc import GitError
from .review_queue import ReviewQueueProcessor
from .workspace import WorkspaceError, resolve_repo

_NOT_SETTINGS = {"repo", "base", "actor", "forge", "token"}


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
    def result(exit_code: int, output: Mapping[str, Any], **metadata: Any) -> dict[str, Any]:
        return {"exit_code": exit_code, "output": dict(output), "metadata": metadata}


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
        self.event_bus = event_bus
        """Where task and patch events go: the orchestrator's bus."""

    def _repo(self) -> Path:
        return resolve_repo(Path(str(self.config.params.get("repo", "."))).resolve())

    def _settings(self, repo: Path) -> Settings:
        overrides = {
            key.replace("-", "_"): value
            for key, value in self.config.params.items()
            if key not in _NOT_SETTINGS
        }
        return load_settings(repo, None, overrides)

    def _forge_params(self) -> dict[str, Any]:
        params = self.config.params
        return {"forge": str(params.get("forge", "local")), "token": params.get("token")}

    def execute(self, request: Mapping[str, Any]) -> dict[str, Any]:
        task_type = request.get("task_type")
        task_id = str(request.get("task_id") or "unknown")
        metadata: dict[str, Any] = {"task_id": task_id, "task_type": task_type, "confidence": {}}
        try:
            if task_type is None:
                raise RequestError("missing field: task_type")
            if task_type not in self.TASK_TYPES:
                raise RequestError(
                    f"unknown task_type {task_type!r}; expected one of {', '.join(self.TASK_TYPES)}"
                )
            about = {"patch_path": str(request["patch_path"])} if request.get("patch_path") else {}
            with task(
                self.event_bus,
                str(task_type),
                task_id=task_id,
                tool_id=self.config.tool_id,
                **about,
            ) as summary:
                if task_type == "apply_patch":
                    code, output, details = self._apply_patch(request)
                else:
                    code, output, details = self._process_queue(request)
                summary.update(exit_code=code, result=output)
        except (RequestError, ConfigError, WorkspaceError, ForgeError, GitError, ValueError) as exc:
            return self.result(1, {"error": str(exc)}, **metadata, error=str(exc))
        return self.result(code, output, **{**metadata, **details})

    def _apply_patch(
        self, request: Mapping[str, Any]
    ) -> tuple[int, dict[str, Any], dict[str, Any]]:
        patch_path = Path(_required(request, "patch_path"))
        repo = self._repo()
        applier = PatchApplier(
            self._settings(repo),
            events=self.event_bus,
            repo_path=repo,
            base=str(self.config.params.get("base", "HEAD")),
            **self._forge_params(),
        )
        applied = applier.apply(patch_path)
        verdict = applied.verdict
        details = {
            "confidence": dict(verdict.confidence),
            "decision": str(verdict.decision),
            "overall": verdict.overall,
            "verdict": verdict.to_dict(),
            "forge": applied.published.to_dict() if applied.published is not None else None,
        }
        return (1 if applied.error else 0), applied.to_dict(), details

    def _process_queue(
        self, request: Mapping[str, Any]
    ) -> tuple[int, dict[str, Any], dict[str, Any]]:
        action = _required(request, "action")
        if action not in ("list", "approve", "reject"):
            raise RequestError(f"unknown action {action!r}; expected list, approve or reject")
        repo = self._repo()
        with ReviewQueueProcessor(
            repo,
            settings=self._settings(repo),
            actor=str(self.config.params.get("actor", self.config.tool_id)),
            event_bus=self.event_bus,
            **self._forge_params(),
        ) as queue:
            if action == "list":
                return 0, {"status": "success", "pending": queue.list_pending()}, {"action": action}
            patch_id = _required(request, "patch_id")
            if action == "approve":
                answer = queue.approve(patch_id)
            else:
                answer = queue.reject(patch_id, _required(request, "reason"))
        code = 1 if answer["status"] == "failed" else 0
        return code, answer, {"action": action, "patch_id": patch_id}
