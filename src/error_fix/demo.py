"""``error-fix demo``: a throwaway repository from the bundled example, a good and a bad fix."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from . import proc
from .config import load_settings
from .console import ProgressLine
from .forge.local import LocalForge
from .pipeline import PatchApplier
from .report import terminal

EXAMPLE = Path(__file__).with_name("examples") / "demo"
_IDENTITY = {
    "GIT_AUTHOR_NAME": "Demo Maintainer",
    "GIT_AUTHOR_EMAIL": "maintainer@example.invalid",
    "GIT_COMMITTER_NAME": "Demo Maintainer",
    "GIT_COMMITTER_EMAIL": "maintainer@example.invalid",
}
# The careless fix goes first: once the good one is merged, main has moved on.
CASES = (
    ("bad", "a careless fix that breaks another test"),
    ("good", "a correct fix with a regression test"),
)


def build_repo(root: Path) -> Path:
    """The example project as a fresh git repository with one commit on ``main``."""
    repo = root / "pricing"
    shutil.copytree(EXAMPLE / "project", repo)
    proc.git(repo, "init", "--quiet", "--initial-branch=main")
    proc.git(repo, "add", "--all")
    proc.git(repo, "commit", "--quiet", "-m", "Pricing statistics", env=_IDENTITY)
    return repo


def run_demo(target: Path | None, python: str) -> int:
    root = Path(tempfile.mkdtemp(prefix="error-fix-demo-")) if target is None else target
    root.mkdir(parents=True, exist_ok=True)
    if (root / "pricing").exists():
        print(f"error-fix demo: {root / 'pricing'} already exists; choose another --dir")
        return 2
    repo = build_repo(root)
    settings = load_settings(repo, overrides={"python": python})
    print(f"Demo repository: {repo}\n")
    for name, description in CASES:
        artifact = root / f"{name}-fix"
        shutil.copytree(EXAMPLE / name, artifact)
        print(f"=== {name} fix: {description} ({artifact})")
        with ProgressLine() as progress:
            applier = PatchApplier(settings, progress=progress.update, on_scorer_done=progress.done)
            scored = applier.score(repo, artifact)
        print(terminal(scored.verdict))
        if scored.patch is not None:
            result = LocalForge(repo, settings).publish(scored.verdict, scored.patch)
            print(f"Forge: {result.outcome} — {result.message}")
        print()
    branches = proc.git(repo, "branch", "--list", "error-fix/*", "--format=%(refname:short)")
    print("Where to look:")
    print(
        f"  branches:      git -C {repo} branch --list 'error-fix/*'  → "
        + (", ".join(branches.stdout.split()) or "none")
    )
    print(f"  decision log:  {settings.decision_log_path(repo)}")
    print(f"  review queue:  error-fix queue list --repo {repo}")
    print(f"  status:        error-fix status --repo {repo}")
    return 0
