"""Isolated trees to score in: git worktrees of the base revision, never the user's checkout.

``base``     the base revision as committed
``patched``  base + the whole patch
``tests``    base + only the test part of the patch (SWE-bench's "before" tree), when the patch
             has both a source and a test part
``regression`` the patch's source changes with the base's tests and test harness (see harness.py):
             where regressions are judged; the patched tree when the patch changes neither tests
             nor harness, the base tree when it changes nothing else

Without a patch there is only the base tree (warming caches before any patch code runs).

The worktrees live in a temporary directory and are removed (with ``git worktree prune``) on exit,
whatever ended the run. Git hooks are disabled for every git call (see proc.git). Each tree gets
the checkout's generated files (generated.py) before the setup command runs in it.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from types import TracebackType

from . import proc
from .generated import GeneratedFiles, find_generated
from .harness import HarnessChange, harness_changes
from .patch import Patch
from .patch.apply import apply_patch
from .sandbox import Sandbox


class WorkspaceError(Exception):
    """The repository or base revision cannot be used."""


def resolve_repo(path: Path) -> Path:
    """The top level of the git work tree containing ``path``."""
    if not path.is_dir():
        raise WorkspaceError(f"repository not found: {path}")
    result = proc.git(path, "rev-parse", "--show-toplevel", check=False)
    if not result.ok:
        raise WorkspaceError(f"not a git repository: {path}")
    return Path(result.stdout.strip())


def resolve_base(repo: Path, base: str) -> str:
    """The commit sha of ``base``."""
    result = proc.git(repo, "rev-parse", "--verify", "--quiet", f"{base}^{{commit}}", check=False)
    if not result.ok:
        raise WorkspaceError(f"base revision not found: {base!r}")
    return result.stdout.strip()


class Workspace:
    """Context manager creating the trees for one patch against one base commit."""

    def __init__(
        self,
        repo: Path,
        base_sha: str,
        patch: Patch | None,
        *,
        allow_binary: bool = False,
        setup_command: tuple[str, ...] = (),
        setup_timeout: float = 600.0,
        env: dict[str, str] | None = None,
        carry_max_bytes: int | None = None,
        sandbox: str = "auto",
    ) -> None:
        self.repo = repo
        self.base_sha = base_sha
        self.patch = patch
        self._allow_binary = allow_binary
        self._setup_command = setup_command
        self._setup_timeout = setup_timeout
        self._env = env
        self._carry_max_bytes = carry_max_bytes
        self._generated: GeneratedFiles | None = None
        self._kept: set[str] = set()
        self._root: Path | None = None
        self._trees: list[Path] = []
        self.base: Path = Path()
        self.patched: Path = Path()
        self.tests: Path | None = None
        self.regression: Path = Path()
        self.harness: tuple[HarnessChange, ...] = ()
        self.sandbox = Sandbox(sandbox)

    @property
    def scratch(self) -> Path:
        """A directory for tool outputs (JUnit XML, caches), removed with the workspace."""
        assert self._root is not None, "workspace not entered"
        return self._root / "scratch"

    def __enter__(self) -> Workspace:
        self._root = Path(tempfile.mkdtemp(prefix="error-fix-"))
        try:
            self.scratch.mkdir()
            if self.patch is not None:
                self.patched = self._add_tree("patched")
                self._apply(self.patched, self.patch.diff, what="patch")
            self.base = self._add_tree("base")
            if self.patch is None:
                self.patched = self.base
            elif self.patch.test_diff and self.patch.source_diff:
                self.tests = self._add_tree("tests")
                self._apply(self.tests, self.patch.test_diff, what="test part of the patch")
            if self.patch is not None:
                self.harness = tuple(harness_changes(self.patch, self.base, self.patched))
                self.regression = self._add_regression_tree(self.patch)
            else:
                self.regression = self.base
            for tree in self._trees:
                self._setup(tree)
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is not None:
            # A signal or crash mid-run: tools still running in a tree die before the tree goes.
            proc.cancel()
        self.close()

    def _add_tree(self, name: str) -> Path:
        assert self._root is not None
        path = self._root / name
        proc.git(self.repo, "worktree", "add", "--detach", "--quiet", str(path), self.base_sha)
        self._trees.append(path)
        return path

    def _apply(self, tree: Path, diff: bytes, *, what: str) -> None:
        assert self.patch is not None
        # --index: the worktree's own index holds the patched tree, so its tree id is exact.
        apply_patch(
            tree,
            self.base_sha,
            self.patch,
            diff,
            cached=False,
            allow_binary=self._allow_binary,
            what=what,
        )

    @property
    def notes(self) -> tuple[str, ...]:
        """What the report should say about the trees: the generated files carried into them."""
        note = self._generated.note(self._kept) if self._generated is not None else None
        return (note,) if note else ()

    def _carry_generated(self, tree: Path) -> None:
        """Copy the checkout's generated files into ``tree`` (after the patch is applied there,
        so whatever the patch wrote stays the patch's)."""
        if self._carry_max_bytes is None:
            return
        if self._generated is None:
            self._generated = find_generated(self.repo, self.base_sha, self._carry_max_bytes)
        self._kept.update(self._generated.carry_into(tree))

    def _add_regression_tree(self, patch: Patch) -> Path:
        """The patch's source part on the base, with the base's version of every harness file."""
        harness = {change.path for change in self.harness}
        source = [f for f in patch.files if not f.is_test and f.path not in harness]
        if not patch.test_diff and not harness:
            return self.patched
        if not source:
            return self.base
        tree = self._add_tree("regression")
        self._apply(tree, patch.source_diff, what="source part of the patch")
        for path in sorted(harness):
            if proc.git(tree, "cat-file", "-e", f"{self.base_sha}:{path}", check=False).ok:
                proc.git(tree, "checkout", self.base_sha, "--", path)
            else:
                proc.git(tree, "rm", "--quiet", "--force", "--ignore-unmatch", "--", path)
        return tree

    def _setup(self, tree: Path) -> None:
        self._carry_generated(tree)
        if not self._setup_command or self.sandbox.status.refused:
            return  # required but impossible: no project code runs (the tests scorer says so)
        assert self._root is not None
        confined = self.sandbox.confine([tree], self._root / "tmp" / tree.name)
        result = proc.run(
            self._setup_command,
            cwd=tree,
            timeout=self._setup_timeout,
            env=self._env,
            sandbox=confined,
        )
        if not result.ok:
            raise WorkspaceError(
                f"setup command failed in the {tree.name} tree "
                f"(exit {result.returncode}): {result.tail(3)}"
            )

    def tree_id(self, tree: Path) -> str:
        """The git tree id of ``tree``'s tracked content (what a merge would produce)."""
        return proc.git(tree, "write-tree").stdout.strip()

    def close(self) -> None:
        """Remove every worktree and the temporary directory; safe to call twice."""
        for tree in self._trees:
            proc.git(self.repo, "worktree", "remove", "--force", "--force", str(tree), check=False)
        self._trees.clear()
        self.sandbox.close()
        if self._root is not None:
            shutil.rmtree(self._root, ignore_errors=True)
            self._root = None
        proc.git(self.repo, "worktree", "prune", check=False)
