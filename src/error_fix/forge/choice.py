"""Which forge acts: the local git repository, GitHub, or ``auto`` (GitHub inside a workflow or
when GITHUB_REPOSITORY names a repository, else local). The command line's ``--forge`` and the
Python API's ``forge=`` mean the same."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Self

from ..config import Settings
from .interface import Forge, ForgeError

FORGE_CHOICES = ("local", "github", "auto")


def resolve_choice(choice: str, env: Mapping[str, str] | None = None) -> str:
    """``local`` or ``github``; ``auto`` decided by the environment."""
    if choice not in FORGE_CHOICES:
        raise ValueError(f"forge must be one of {', '.join(FORGE_CHOICES)}, got {choice!r}")
    if choice != "auto":
        return choice
    environment = os.environ if env is None else env
    on_github = environment.get("GITHUB_ACTIONS") == "true" or environment.get("GITHUB_REPOSITORY")
    return "github" if on_github else "local"


def open_forge(
    choice: str,
    repo: Path | None,
    settings: Settings,
    *,
    token: str | None = None,
    need_write: bool = True,
) -> Forge:
    """The forge ``choice`` names; a GitHub one connects (and fails fast) right here."""
    if resolve_choice(choice) == "github":
        from .github import GitHubForge

        return GitHubForge.from_environment(repo, settings, token=token, need_write=need_write)
    from .local import LocalForge

    if repo is None:
        raise ForgeError("the local forge needs a git repository")
    return LocalForge(repo, settings)


class HoldsForge:
    """A Python API face holding an open forge: ``close()`` (or a ``with`` block) releases it."""

    _forge: Forge

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Release the forge's connections (GitHub's client; nothing for the local forge)."""
        self._forge.close()
