"""The patched tree every forge publishes: the patch applied to a base commit in a throwaway index.

Neither the user's work tree nor their index is involved, and no hook runs (``proc.git`` turns
hooks off). The local forge commits the tree with ``commit-tree``; the GitHub forge sends the
entries that differ from the base through the Git Data API, so no token ever reaches git.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from .. import proc
from ..patch import Patch, PatchRejected
from ..patch.apply import apply_patch
from .interface import ForgeError

DELETED_MODE = "000000"


@dataclass(frozen=True)
class TreeChange:
    """One path whose entry differs between the base tree and the patched tree."""

    path: str
    """Repository path (renames show up as a deletion and an addition)."""
    mode: str
    """Git file mode in the patched tree (100644, 100755); the old mode for a deletion."""
    blob: str | None
    """Blob sha in the patched tree; None when the patch deletes the path."""


@dataclass(frozen=True)
class PatchedTree:
    """A patch applied to a base commit, as git objects in the local repository."""

    base_sha: str
    """The commit the patch was applied to."""
    base_tree: str
    """That commit's tree."""
    tree: str
    """The tree with the patch applied."""
    changes: tuple[TreeChange, ...]
    """Entries that differ from the base tree, in path order."""


def require_commit(repo: Path, sha: str) -> str:
    """The tree of commit ``sha``; ForgeError saying to fetch it when the checkout lacks it."""
    found = proc.git(repo, "rev-parse", "--verify", "--quiet", f"{sha}^{{tree}}", check=False)
    if not found.ok or not found.stdout.strip():
        raise ForgeError(
            f"the base commit {sha[:12]} is not in {repo}; fetch it first "
            f"(`git fetch origin {sha}`, or actions/checkout with fetch-depth: 0)"
        )
    return found.stdout.strip()


def write_patched_tree(repo: Path, base_sha: str, patch: Patch, *, allow_binary: bool) -> str:
    """The sha of the tree ``patch`` makes of ``base_sha``, written to the object database."""
    with tempfile.TemporaryDirectory(prefix="error-fix-index-") as tmp:
        env = {"GIT_INDEX_FILE": str(Path(tmp, "index"))}
        proc.git(repo, "read-tree", base_sha, env=env)
        try:
            apply_patch(
                repo, base_sha, patch, patch.diff, cached=True, allow_binary=allow_binary, env=env
            )
        except PatchRejected as exc:
            raise ForgeError(str(exc)) from None
        return proc.git(repo, "write-tree", env=env).stdout.strip()


def changed_entries(repo: Path, base: str, tree: str) -> tuple[TreeChange, ...]:
    """What differs between two trees (or commits), one entry per changed path."""
    out = proc.git(repo, "diff-tree", "-r", "--no-renames", "-z", base, tree).stdout
    fields = out.split("\0")
    changes: list[TreeChange] = []
    # -z output: ":<old mode> <new mode> <old sha> <new sha> <status>" NUL "<path>" NUL ...
    for meta, path in zip(fields[0::2], fields[1::2], strict=False):
        if not meta.startswith(":"):
            continue
        old_mode, new_mode, _old_sha, new_sha, status = meta[1:].split()
        if status == "D":
            changes.append(TreeChange(path, old_mode, None))
        else:
            changes.append(TreeChange(path, new_mode, new_sha))
    return tuple(changes)


def patched_tree(repo: Path, base_sha: str, patch: Patch, *, allow_binary: bool) -> PatchedTree:
    """Apply ``patch`` to ``base_sha`` and list what it changes."""
    base_tree = require_commit(repo, base_sha)
    tree = write_patched_tree(repo, base_sha, patch, allow_binary=allow_binary)
    return PatchedTree(base_sha, base_tree, tree, changed_entries(repo, base_tree, tree))


def read_blobs(repo: Path, shas: list[str]) -> dict[str, bytes]:
    """The exact contents of the given blobs, read in one ``cat-file --batch``."""
    wanted = list(dict.fromkeys(shas))
    if not wanted:
        return {}
    stdin = "".join(f"{sha}\n" for sha in wanted).encode()
    out = proc.git(repo, "cat-file", "--batch", stdin=stdin, raw_stdout=True).stdout_bytes
    blobs: dict[str, bytes] = {}
    pos = 0
    for sha in wanted:
        end = out.index(b"\n", pos)
        header = out[pos:end].decode().split()
        if len(header) != 3 or header[1] != "blob":
            raise ForgeError(f"cannot read blob {sha} from the local repository")
        size = int(header[2])
        blobs[sha] = out[end + 1 : end + 1 + size]
        pos = end + 1 + size + 1  # the content is followed by a newline
    return blobs
