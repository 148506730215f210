"""The verdict where reviewers look: the `error-fix` check run on the fix commit.

Its conclusion is the decision (success for auto_merge and auto_merge_pr; neutral, or failure
by the ``review-conclusion`` setting, for manual_review), its title the decision and the overall
confidence, its summary the confidence table the PR body and the job summary carry (one
renderer, report.py), its text the introduced findings, and its annotations the evidence on the
lines of the fix commit (report.verdict_annotations, most severe first). GitHub takes at most 50
annotations per request: the first 50 ride on the create request, the rest on updates, which
GitHub appends.

One check run per patch and commit: a re-run finds it by name on the head commit and by
``external_id`` (the patch's sha256) and updates it; it sends only the annotations the run does
not hold yet, and nothing at all when the run already says what the verdict says. A fresh fix
commit cannot carry a run yet, so publishing it costs one request (more only past 50
annotations).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from github.CheckRun import CheckRun
from github.Commit import Commit

from ..config import Settings
from ..decision import PatchDecision, Verdict
from ..report import (
    Annotation,
    annotations_digest,
    check_summary,
    check_text,
    check_title,
    read_marker,
    verdict_annotations,
)
from .github_api import API_ERRORS, GitHubClient, error_text, status_of

CHECK_NAME = "error-fix"
"""The check run's name: what a branch protection rule or ruleset requires."""
ANNOTATIONS_PER_REQUEST = 50
"""GitHub's limit of annotations in one create or update request."""
CHECKS_WRITE_HINT = (
    " (the publishing token needs the checks: write permission; in a workflow "
    "`permissions: checks: write`, for a GitHub App its Checks permission)"
)


@dataclass(frozen=True)
class CheckReport:
    """What became of the check run."""

    url: str | None
    """The check run's page on GitHub; None when it could not be written."""
    problem: str = ""
    """What could not be written, whole or in part; '' when all of it is there."""
    requests: int = 0
    """Write requests it took (0: the run already said what the verdict says)."""


def conclusion(verdict: Verdict, settings: Settings) -> str:
    """success for a fix that merges (or waits for the base's checks); else the setting."""
    if verdict.decision in (PatchDecision.AUTO_MERGE, PatchDecision.AUTO_MERGE_PR):
        return "success"
    return settings.review_conclusion


def _batches(found: list[Annotation]) -> list[list[dict[str, Any]]]:
    objects = [a.to_check() for a in found]
    return [
        objects[i : i + ANNOTATIONS_PER_REQUEST]
        for i in range(0, len(objects), ANNOTATIONS_PER_REQUEST)
    ]


def _key(annotation: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(
        annotation.get(k) for k in ("path", "start_line", "end_line", "annotation_level", "message")
    )


class CheckRuns:
    """Writes the `error-fix` check run of one repository's fix commits."""

    def __init__(self, api: GitHubClient, settings: Settings) -> None:
        self.api = api
        self.settings = settings

    def report(
        self,
        verdict: Verdict,
        commit: str,
        *,
        look_up: bool,
        details_url: str | None = None,
        decision_log: str | None = None,
    ) -> CheckReport:
        """Create or update the check run of ``verdict`` on ``commit``. ``look_up``: the commit
        may already carry one (it existed before this publish). Never raises for GitHub's
        answers: what failed is in the report's ``problem``."""
        found = verdict_annotations(verdict)
        summary = check_summary(
            verdict, decision_log, commit=commit, annotations=annotations_digest(found)
        )
        fields: dict[str, Any] = {
            "status": "completed",
            "conclusion": conclusion(verdict, self.settings),
            "external_id": verdict.sha256,
        }
        if details_url:
            fields["details_url"] = details_url
        output = {"title": check_title(verdict), "summary": summary, "text": check_text(verdict)}
        try:
            existing = self._existing(verdict, commit) if look_up else None
            if existing is None:
                return self._create(commit, fields, output, _batches(found))
            return self._update(existing, fields, output, found)
        except API_ERRORS as exc:
            hint = CHECKS_WRITE_HINT if status_of(exc) in (403, 404) else ""
            return CheckReport(
                None, f"the {CHECK_NAME} check run could not be written: {error_text(exc)}{hint}"
            )

    def _existing(self, verdict: Verdict, commit: str) -> CheckRun | None:
        """This patch's run on ``commit`` (newest first), found by name and external_id."""
        head = self.api.checks_client.create_from_raw_data(
            Commit, {"sha": commit, "url": f"{self.api.repository.url}/commits/{commit}"}
        )
        runs = head.get_check_runs(check_name=CHECK_NAME, filter="all")
        for run in itertools.islice(runs, 100):
            if run.external_id == verdict.sha256:
                return run
        return None

    def _create(
        self,
        commit: str,
        fields: dict[str, Any],
        output: dict[str, Any],
        batches: list[list[dict[str, Any]]],
    ) -> CheckReport:
        first = batches[0] if batches else []
        run = self.api.checks_repository.create_check_run(
            CHECK_NAME, commit, **fields, output={**output, "annotations": first}
        )
        return self._append(run, output, batches[1:], 1)

    def _append(
        self,
        run: CheckRun,
        output: dict[str, Any],
        batches: list[list[dict[str, Any]]],
        requests: int,
    ) -> CheckReport:
        """Send the remaining annotation batches; a batch GitHub refuses is reported, with the
        run itself left as written."""
        for number, batch in enumerate(batches, start=2):
            try:
                run.edit(output={**output, "annotations": batch})
            except API_ERRORS as exc:
                return CheckReport(
                    run.html_url,
                    f"the {CHECK_NAME} check run is written, but annotation batch {number} and "
                    f"later could not be added: {error_text(exc)}",
                    requests,
                )
            requests += 1
        return CheckReport(run.html_url, "", requests)

    def _update(
        self, run: CheckRun, fields: dict[str, Any], output: dict[str, Any], found: list[Annotation]
    ) -> CheckReport:
        """Bring the run in line with the verdict, without repeating an annotation it holds
        (GitHub appends what an update sends and removes nothing)."""
        old = read_marker(run.output.summary)
        new = read_marker(output["summary"])
        if old == new and run.conclusion == fields["conclusion"]:
            return CheckReport(run.html_url)
        missing: list[Annotation] = []
        if old is None or old.get("annotations") != (new or {}).get("annotations"):
            held = {_key(a.raw_data) for a in run.get_annotations()}
            missing = [a for a in found if _key(a.to_check()) not in held]
        batches = _batches(missing)
        run.edit(**fields, output={**output, "annotations": batches[0] if batches else []})
        return self._append(run, output, batches[1:], 1)
