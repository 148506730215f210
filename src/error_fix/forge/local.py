"""The local forge: a plain git repository and a review queue on disk.

The fix commit is made with plumbing (a temporary index, ``apply --cached``, ``commit-tree``), so
the user's working tree and index are never involved and no hook runs. Branch moves are
compare-and-swap ``update-ref``s. Merging into a branch that is checked out goes through that
checkout with ``git merge``, and only when it has no uncommitted changes.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

from .. import proc
from ..config import Settings
from ..decision import PatchDecision, Verdict
from ..patch import Patch
from ..state import locked, write_json_atomic
from . import gittree
from .interface import FixRecord, Forge, ForgeError, Outcome, PublishResult, QueueEntry

BRANCH_PREFIX = "error-fix/"
_REVERTS = re.compile(r"This reverts commit ([0-9a-f]{40})")
PENDING = ("ready", "needs-review")
_ZERO = "0" * 40
_FALLBACK_IDENTITY = {
    "GIT_AUTHOR_NAME": "error-fix",
    "GIT_AUTHOR_EMAIL": "error-fix@localhost",
    "GIT_COMMITTER_NAME": "error-fix",
    "GIT_COMMITTER_EMAIL": "error-fix@localhost",
}


def find_reverts(repo: Path, commits: set[str]) -> set[str]:
    """Which of ``commits`` a commit anywhere in ``repo``'s history reverts ("This reverts
    commit <sha>", what `git revert` and GitHub's Revert button write)."""
    log = proc.git(repo, "log", "--all", "--grep=This reverts commit", "--format=%B").stdout
    return commits & set(_REVERTS.findall(log))


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _parse_time(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


class LocalForge(Forge):
    name = "local"

    def __init__(self, repo: Path, settings: Settings) -> None:
        self.repo = repo
        self.settings = settings
        self.queue_path = settings.queue_path(repo)

    # -- git helpers ---------------------------------------------------------------------------

    def _git(self, *args: str, **kw: Any) -> proc.ProcResult:
        return proc.git(self.repo, *args, **kw)

    def _rev(self, ref: str) -> str | None:
        result = self._git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False)
        return result.stdout.strip() if result.ok else None

    def _tree(self, commit: str) -> str:
        return self._git("rev-parse", f"{commit}^{{tree}}").stdout.strip()

    def _identity_env(self) -> dict[str, str]:
        configured = self._git("var", "GIT_COMMITTER_IDENT", check=False).ok
        return {} if configured else dict(_FALLBACK_IDENTITY)

    def _make_commit(self, patch: Patch, base_sha: str) -> tuple[str, str]:
        """(commit, tree) of the patch on ``base_sha``, built in a throwaway index."""
        tree = gittree.write_patched_tree(
            self.repo, base_sha, patch, allow_binary=self.settings.allow_binary
        )
        env = self._identity_env()
        commit = self._git(
            "commit-tree",
            tree,
            "-p",
            base_sha,
            "-F",
            "-",
            env=env,
            stdin=patch.commit_message.encode(),
        ).stdout.strip()
        return commit, tree

    def _is_ours(self, tip: str, base_sha: str) -> bool:
        """The branch holds exactly one error-fix commit on top of the base history."""
        message = self._git("log", "-1", "--format=%B", tip).stdout
        if "Error-Fix-Patch: " not in message:
            return False
        parent = self._rev(f"{tip}^")
        if parent is None:
            return False
        return self._git("merge-base", "--is-ancestor", parent, base_sha, check=False).ok

    def _checked_out_in(self, branch: str) -> Path | None:
        listing = self._git("worktree", "list", "--porcelain").stdout
        path: str | None = None
        for line in listing.splitlines():
            if line.startswith("worktree "):
                path = line[len("worktree ") :]
            elif line == f"branch refs/heads/{branch}" and path is not None:
                return Path(path)
        return None

    def _merge(self, branch: str, target: str) -> tuple[bool, str, str | None]:
        """Merge ``branch`` into ``target``; (done, message, the commit ``target`` now points at).

        The result is built with plumbing first (fast-forward, or merge-tree + commit-tree), so a
        conflict is found without touching any checkout. A checked-out target then moves by a
        fast-forward of that checkout, which only happens when it has no uncommitted changes.
        """
        commit = self._rev(f"refs/heads/{branch}")
        target_sha = self._rev(f"refs/heads/{target}")
        if commit is None or target_sha is None:
            gone = branch if commit is None else target
            return False, f"cannot merge: branch {gone} is gone", None
        if self._git("merge-base", "--is-ancestor", commit, target_sha, check=False).ok:
            return True, f"{branch} is already in {target}", target_sha
        if self._git("merge-base", "--is-ancestor", target_sha, commit, check=False).ok:
            new = commit
        else:
            merged = self._git("merge-tree", "--write-tree", target_sha, commit, check=False)
            if not merged.ok:
                return False, f"{branch} conflicts with {target}; left for review", None
            tree = merged.stdout.splitlines()[0].strip()
            new = self._git(
                "commit-tree",
                tree,
                "-p",
                target_sha,
                "-p",
                commit,
                "-m",
                f"Merge {branch}",
                env=self._identity_env(),
            ).stdout.strip()
        checkout = self._checked_out_in(target)
        if checkout is not None:
            dirty = proc.git(checkout, "status", "--porcelain", "--untracked-files=no").stdout
            if dirty.strip():
                return (
                    False,
                    (
                        f"refusing to merge into {target}: it is checked out in {checkout} with "
                        "uncommitted changes; commit or stash them, then run "
                        f"`error-fix queue approve {branch.removeprefix(BRANCH_PREFIX)}`"
                    ),
                    None,
                )
            result = proc.git(checkout, "merge", "--ff-only", "--quiet", new, check=False)
            if not result.ok:
                return False, f"could not update the checkout of {target}: {result.tail(2)}", None
            return True, f"merged {branch} into {target} (checked out in {checkout})", new
        moved = self._git("update-ref", f"refs/heads/{target}", new, target_sha, check=False)
        if not moved.ok:
            return False, f"{target} moved while merging; try again", None
        return True, f"merged {branch} into {target}", new

    # -- queue file -----------------------------------------------------------------------------

    def _load(self) -> dict[str, Any]:
        try:
            data = json.loads(self.queue_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {"entries": {}}
        except ValueError as exc:
            raise ForgeError(f"review queue {self.queue_path} is corrupt: {exc}") from None
        if not isinstance(data, dict) or not isinstance(data.get("entries"), dict):
            raise ForgeError(f"review queue {self.queue_path} is not in the expected format")
        return data

    def _save(self, data: dict[str, Any]) -> None:
        write_json_atomic(self.queue_path, data)

    # -- Forge ----------------------------------------------------------------------------------

    def publish(self, verdict: Verdict, patch: Patch) -> PublishResult:
        if verdict.decision is PatchDecision.REJECTED:
            return PublishResult(Outcome.NOTHING, f"rejected: {verdict.reason}; nothing created")
        if verdict.sha256 != patch.sha256:
            raise ForgeError("the patch does not match the verdict (sha256 differs)")
        base_sha = str(verdict.base["sha"])
        branch = BRANCH_PREFIX + verdict.identity
        ref = f"refs/heads/{branch}"
        with locked(self.queue_path):
            data = self._load()
            previous = data["entries"].get(verdict.identity, {})
            if (
                previous.get("status") == "rejected"
                and previous.get("patch_sha256") == patch.sha256
            ):
                return PublishResult(
                    Outcome.UNCHANGED,
                    f"this patch was rejected before ({previous.get('reason')}); not queued again",
                )
            commit, tree = self._make_commit(patch, base_sha)
            tip = self._rev(ref)
            if tip is None:
                self._git("update-ref", ref, commit, _ZERO)
                branch_state = "created"
            elif self._tree(tip) == tree and self._rev(f"{tip}^") == base_sha:
                commit, branch_state = tip, "unchanged"
            elif self._is_ours(tip, base_sha):
                self._git("update-ref", ref, commit, tip)
                branch_state = "updated"
            else:
                return PublishResult(
                    Outcome.NEEDS_REVIEW,
                    f"{branch} has commits error-fix did not make; left as is for a human",
                    branch=branch,
                    commit=tip,
                )
            entry = self._entry(verdict, branch, commit, previous)
            result = self._act(verdict, branch, commit, entry)
            data["entries"][verdict.identity] = entry
            self._save(data)
        if branch_state == "unchanged" and previous.get("status") == entry["status"]:
            return PublishResult(
                Outcome.UNCHANGED,
                f"{branch} already {entry['status']}",
                branch=branch,
                commit=commit,
            )
        if branch_state == "updated" and result.outcome is not Outcome.MERGED:
            return PublishResult(
                Outcome.UPDATED, f"{branch} updated; {result.message}", branch=branch, commit=commit
            )
        return result

    def _entry(
        self, verdict: Verdict, branch: str, commit: str, previous: dict[str, Any]
    ) -> dict[str, Any]:
        return {
            "id": verdict.identity,
            "branch": branch,
            "commit": commit,
            "base_ref": verdict.base.get("ref"),
            "base_sha": verdict.base.get("sha"),
            "patch_sha256": verdict.sha256,
            "title": verdict.patch.get("title") or verdict.identity,
            "decision": str(verdict.decision),
            "overall": verdict.overall,
            "gates": [g.name for g in verdict.gates],
            "created_at": previous.get("created_at") or _now(),
            "decided_at": verdict.created_at,
            "status": previous.get("status", "new"),
        }

    def _act(
        self, verdict: Verdict, branch: str, commit: str, entry: dict[str, Any]
    ) -> PublishResult:
        target = verdict.base.get("ref")
        if verdict.decision is PatchDecision.AUTO_MERGE:
            if entry["status"] == "merged":
                return PublishResult(Outcome.MERGED, f"{branch} was merged before", branch, commit)
            if target:
                done, message, merged = self._merge(branch, str(target))
                if done:
                    entry.update(status="merged", merged_at=_now(), merge_commit=merged)
                    return PublishResult(Outcome.MERGED, message, branch, commit)
            else:
                message = "the base is not a branch, so there is nothing to merge into"
            entry["status"] = "ready"
            return PublishResult(Outcome.QUEUED, f"queued as ready: {message}", branch, commit)
        if verdict.decision is PatchDecision.AUTO_MERGE_PR:
            entry["status"] = "ready"
            return PublishResult(
                Outcome.QUEUED,
                f"{branch} queued as ready; merge it with "
                f"`error-fix queue approve {verdict.identity}`",
                branch,
                commit,
            )
        entry["status"] = "needs-review"
        reasons = (
            "; ".join(g.reason for g in verdict.gates[:2]) or "confidence below the PR threshold"
        )
        return PublishResult(
            Outcome.NEEDS_REVIEW, f"{branch} needs review: {reasons}", branch, commit
        )

    def queue(self) -> list[QueueEntry]:
        entries = [
            QueueEntry(
                id=e["id"],
                branch=e["branch"],
                title=e.get("title") or e["id"],
                decision=e.get("decision", ""),
                overall=float(e.get("overall") or 0.0),
                created_at=_parse_time(e["created_at"]),
                status=e["status"],
            )
            for e in self._load()["entries"].values()
            if e.get("status") in PENDING
        ]
        return sorted(entries, key=lambda e: e.created_at)

    def fix_history(self) -> list[FixRecord]:
        entries: dict[str, dict[str, Any]] = self._load()["entries"]
        return [
            FixRecord(
                id=e["id"],
                decision=e.get("decision", ""),
                decided_at=_parse_time(e["decided_at"]) if e.get("decided_at") else None,
                merged_at=_parse_time(e["merged_at"]) if e.get("merged_at") else None,
                merged_by_human="approved_by" in e,
                commits=tuple(c for c in (e.get("commit"), e.get("merge_commit")) if c),
            )
            for e in entries.values()
        ]

    def reverted_commits(self, commits: set[str]) -> set[str]:
        return find_reverts(self.repo, commits)

    def _pending(self, data: dict[str, Any], entry_id: str) -> dict[str, Any]:
        entry: dict[str, Any] | None = data["entries"].get(entry_id)
        if entry is None:
            raise ForgeError(f"no queued fix with id {entry_id!r} (see `error-fix queue list`)")
        if entry.get("status") not in PENDING:
            raise ForgeError(f"fix {entry_id!r} is not pending (it is {entry.get('status')})")
        return entry

    def approve(self, entry_id: str, who: str) -> PublishResult:
        with locked(self.queue_path):
            data = self._load()
            entry = self._pending(data, entry_id)
            target = entry.get("base_ref")
            if not target:
                return PublishResult(
                    Outcome.FAILED,
                    "the fix has no base branch to merge into",
                    entry["branch"],
                    entry.get("commit"),
                )
            done, message, merged = self._merge(entry["branch"], str(target))
            if not done:
                return PublishResult(Outcome.FAILED, message, entry["branch"], entry.get("commit"))
            entry.update(status="merged", merged_at=_now(), approved_by=who, merge_commit=merged)
            self._save(data)
        return PublishResult(
            Outcome.MERGED, f"approved by {who}; {message}", entry["branch"], entry.get("commit")
        )

    def reject(self, entry_id: str, reason: str, who: str) -> PublishResult:
        if not reason.strip():
            raise ForgeError("a rejection needs a reason")
        with locked(self.queue_path):
            data = self._load()
            entry = self._pending(data, entry_id)
            ref = f"refs/heads/{entry['branch']}"
            tip = self._rev(ref)
            if tip is not None:
                self._git("update-ref", "-d", ref, tip)
            entry.update(status="rejected", rejected_at=_now(), rejected_by=who, reason=reason)
            self._save(data)
        return PublishResult(
            Outcome.REJECTED,
            f"rejected by {who}: {reason}; {entry['branch']} deleted",
            entry["branch"],
            entry.get("commit"),
        )
