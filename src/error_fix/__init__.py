"""error-fix: decide what to do with a proposed fix for an error.

The Python API is importable from here (``from error_fix import PatchApplier``) and from the
module that owns each name. Names are imported on first use, so ``error-fix --help`` does not
pay for PyGithub or the scorers.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "AlertManager": "alerting",
    "Applied": "applied",
    "ConfidenceScore": "confidence",
    "ErrorAutomationAdapter": "adapter",
    "Event": "events",
    "EventBus": "events",
    "EventSeverity": "events",
    "PatchApplier": "pipeline",
    "PatchDecision": "decision",
    "PRCreator": "pr_creator",
    "ReviewQueueProcessor": "review_queue",
    "Settings": "config",
    "ToolAdapter": "adapter",
    "ToolConfig": "adapter",
    "Verdict": "decision",
}
"""Public name → the module that owns it."""

__all__ = [
    "AlertManager",
    "Applied",
    "ConfidenceScore",
    "ErrorAutomationAdapter",
    "Event",
    "EventBus",
    "EventSeverity",
    "PRCreator",
    "PatchApplier",
    "PatchDecision",
    "ReviewQueueProcessor",
    "Settings",
    "ToolAdapter",
    "ToolConfig",
    "Verdict",
    "__version__",
]

if TYPE_CHECKING:
    from .adapter import ErrorAutomationAdapter, ToolAdapter, ToolConfig
    from .alerting import AlertManager
    from .applied import Applied
    from .confidence import ConfidenceScore
    from .config import Settings
    from .decision import PatchDecision, Verdict
    from .events import Event, EventBus, EventSeverity
    from .pipeline import PatchApplier
    from .pr_creator import PRCreator
    from .review_queue import ReviewQueueProcessor


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
