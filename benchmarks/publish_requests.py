"""GitHub requests the forge makes to publish one fresh fix: the clean-fix verdict published to
the loopback FakeGitHub (tests/fakes), once per repository set-up, the check run on the fix
commit included.

    python benchmarks/publish_requests.py   # on its own: prints each scenario's requests

decision_overhead.py calls :func:`measure_publish` with the verdict it scored; run on its own,
this publishes a verdict made for the clean-fix patch without scoring it (publishing reads the
decision, not how it was reached).
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from processes import git

REPO_ROOT = Path(__file__).resolve().parents[1]


PUBLISH_SCENARIOS = {
    "unprotected": "main has no required checks",
    "protected": "main requires check `ci`, repository allows auto-merge",
    "merge-queue": "main requires check `ci` and a merge queue, repository allows auto-merge",
}


def measure_publish(
    repo: Path, patch: Path, verdict: Mapping[str, Any], scratch: Path
) -> dict[str, Any]:
    """Publish the clean-fix verdict to the loopback FakeGitHub and count the requests, once
    per scenario (a fresh repository each: the fresh-fix path).

    Each fake repository is created with the project's files at the base; its first commit has
    another sha than ours (other author and date) but the same tree, which is checked, so the
    verdict's base sha is pointed at the fake's commit in a clone of it.
    """
    try:
        github = importlib.import_module("error_fix.forge.github")
        forge_class = github.GitHubForge
        decision = importlib.import_module("error_fix.decision")
        patch_mod = importlib.import_module("error_fix.patch")
        config = importlib.import_module("error_fix.config")
        if str(REPO_ROOT) not in sys.path:
            sys.path.insert(0, str(REPO_ROOT))
        fakes = importlib.import_module("tests.fakes.github_server")
    except (ImportError, AttributeError) as exc:
        return {"measured": False, "why": f"GitHub forge unavailable: {type(exc).__name__}: {exc}"}
    scenarios: dict[str, Any] = {}
    try:
        names = git(repo, "ls-files", "-z").split("\0")
        files = {n: (repo / n).read_text(encoding="utf-8") for n in names if n}
        root = scratch / "github"
        root.mkdir()
        with fakes.FakeGitHub(root) as gh:
            for scenario, description in PUBLISH_SCENARIOS.items():
                full_name = f"bench/shopkit-{scenario}"
                remote = gh.create_repo(full_name, files=files)
                if scenario in ("protected", "merge-queue"):
                    remote.required_checks["main"] = ["ci"]
                    remote.allow_auto_merge = True
                if scenario == "merge-queue":
                    remote.merge_queue.add("main")
                checkout = root / scenario
                clone = subprocess.run(
                    ["git", "clone", "-q", str(remote.git_dir), str(checkout)],
                    capture_output=True,
                    text=True,
                    check=False,
                )
                if clone.returncode != 0:
                    raise RuntimeError(f"git clone failed: {clone.stderr.strip()}")
                if git(repo, "rev-parse", "HEAD^{tree}") != git(
                    checkout, "rev-parse", "HEAD^{tree}"
                ):
                    raise RuntimeError("the fake repository's tree differs from the project's")
                document = json.loads(json.dumps(verdict))
                document["base"] = {
                    **document.get("base", {}),
                    "sha": git(checkout, "rev-parse", "HEAD").strip(),
                    "ref": "main",
                }
                settings = config.load_settings(checkout, None, {})
                parsed = patch_mod.read_patch(
                    patch,
                    max_bytes=settings.max_patch_bytes,
                    allow_binary=settings.allow_binary,
                    protected=settings.protected_paths,
                )
                gh.reset_counts()
                forge = forge_class(
                    checkout,
                    settings,
                    token=gh.write_token,
                    full_name=full_name,
                    api_url=gh.api_url,
                    backoff=0.0,
                    seconds_between_requests=0.0,
                    seconds_between_writes=0.0,
                )
                start = time.perf_counter()
                outcome = forge.publish(decision.Verdict.from_dict(document), parsed)
                seconds = time.perf_counter() - start
                requests = [f"{r.method} {r.path} -> {r.status}" for r in gh.requests()]
                if hasattr(forge, "close"):
                    forge.close()
                scenarios[scenario] = {
                    "setup": description,
                    "outcome": str(outcome.outcome),
                    "message": outcome.message,
                    "request_count": len(requests),
                    "requests": requests,
                    "publish_s": round(seconds, 3),
                }
            crashes = list(gh.crashes)
    except Exception as exc:  # the forge is being written concurrently: report, do not crash
        return {
            "measured": False,
            "why": f"GitHub forge not usable: {type(exc).__name__}: {exc}",
            "scenarios": scenarios,
        }
    return {
        "measured": True,
        "decision": verdict.get("decision"),
        "target": "<= 10 with the check run, in every set-up",
        "scenarios": scenarios,
        "fake_crashes": crashes,
    }


def main() -> int:
    """Publish a clean-fix verdict in each scenario and print the requests."""
    import tempfile

    sys.path.insert(0, str(REPO_ROOT / "src"))
    from decision_overhead import make_project

    from error_fix.patch import read_patch

    patch_file = Path(__file__).with_name("patches") / "clean-fix.patch"
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        repo = scratch / "shopkit"
        make_project(repo)
        patch = read_patch(patch_file, max_bytes=1 << 20, allow_binary=False, protected=())
        ok = {"status": "ok", "score": 1.0, "findings": [], "preexisting": 0, "duration_s": 0.0}
        verdict = {
            "schema": 1,
            "decision": "auto_merge",
            "confidence": {"overall": 1.0},
            "scorers": dict.fromkeys(("tests", "lint", "types", "security", "coverage"), ok),
            "patch": {"sha256": patch.sha256, "identity": patch.identity, "title": patch.title},
            "base": {"sha": git(repo, "rev-parse", "HEAD").strip(), "ref": "main"},
        }
        measured = measure_publish(repo, patch_file, verdict, scratch)
    if not measured.get("measured"):
        print(f"not measured: {measured.get('why')}")
        return 1
    print(f"publishing a fresh one-file {measured['decision']} fix; target {measured['target']}")
    for scenario, info in measured["scenarios"].items():
        print(
            f"\n{scenario} ({info['setup']}): {info['request_count']} requests -> "
            f"{info['outcome']}: {info['message']}"
        )
        for number, line in enumerate(info["requests"], 1):
            print(f"  {number:>2}. {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
