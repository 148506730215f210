"""The GitHub Actions runtime's pieces: inputs, masking, annotations within GitHub's budget, the
summary within its size limit, untrusted text kept inert."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from error_fix import gha
from error_fix.decision import PatchDecision, Verdict
from error_fix.scorers.interface import Finding, Gate, ScorerResult, ScorerStatus
from tests.integration.action_helpers import workflow_commands


def verdict(
    findings: dict[str, list[dict[str, Any]]] | None = None,
    decision: PatchDecision = PatchDecision.AUTO_MERGE_PR,
    title: str = "ZeroDivisionError in divide",
) -> Verdict:
    ok = {"status": "ok", "score": 1.0, "findings": [], "preexisting": 0, "duration_s": 0.1}
    return Verdict(
        decision=decision,
        patch={"sha256": "ab" * 32, "identity": "div-zero", "title": title},
        base={"sha": "cd" * 20, "ref": "main"},
        confidence={"overall": 0.86},
        scorers={
            name: {**ok, "findings": (findings or {}).get(name, [])}
            for name in ("tests", "lint", "types", "security", "coverage")
        },
        tests={"proof": "1 test(s) fail on the base and pass patched"},
    )


def finding(path: str, line: int | None, severity: str, rule: str = "R1") -> dict[str, Any]:
    return {"path": path, "line": line, "rule": rule, "message": "m", "severity": severity}


@pytest.fixture
def inputs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    for name in ("MODE", "PATCH", "VERDICT", "DRY-RUN", "TRUST-VERDICT", "OUTPUT-DIR"):
        monkeypatch.delenv(f"INPUT_{name}", raising=False)
    monkeypatch.setenv("GITHUB_WORKSPACE", str(tmp_path))
    monkeypatch.setenv("RUNNER_TEMP", str(tmp_path / "temp"))
    return monkeypatch


def test_inputs_keep_hyphens_and_resolve_against_the_workspace(
    inputs: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    inputs.setenv("INPUT_MODE", "publish")
    inputs.setenv("INPUT_PATCH", "artifact")
    inputs.setenv("INPUT_VERDICT", "/abs/verdict")
    inputs.setenv("INPUT_TRUST-VERDICT", "true")
    inputs.setenv("INPUT_AUTO-MERGE-THRESHOLD", "0.99")
    inputs.setenv("INPUT_LABELS", "")
    read = gha.read_inputs({"github-token": "t0ken"})
    assert read.mode == "publish" and read.trust_verdict and not read.dry_run
    assert read.patch == tmp_path / "artifact"
    assert read.verdict == Path("/abs/verdict")
    assert read.overrides == {"auto_merge_threshold": "0.99"}  # empty inputs leave the config
    assert read.output_dir == tmp_path / "temp" / "error-fix"
    assert read.token == "t0ken" and "t0ken" not in repr(read)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"INPUT_MODE": "merge"}, "input mode must be one of score, publish, all, install"),
        ({"INPUT_MODE": "score"}, "input patch is required in mode score"),
        ({"INPUT_MODE": "publish", "INPUT_PATCH": "p"}, "input verdict is required"),
        ({"INPUT_PATCH": "p", "INPUT_DRY-RUN": "yes"}, "input dry-run must be true or false"),
    ],
)
def test_bad_inputs_are_named(
    inputs: pytest.MonkeyPatch, env: dict[str, str], message: str
) -> None:
    for key, value in env.items():
        inputs.setenv(key, value)
    with pytest.raises(gha.InputError, match=message):
        gha.read_inputs({})


def test_secrets_are_masked_first_and_leave_the_environment(
    capsys: pytest.CaptureFixture[str],
) -> None:
    environ = {"INPUT_GITHUB-TOKEN": " ghs_secret \n", "INPUT_SLACK-WEBHOOK-URL": "", "X": "1"}
    secrets = gha.mask_secrets(environ)
    assert secrets == {"github-token": "ghs_secret"}
    assert environ == {"X": "1"}
    assert capsys.readouterr().out == "::add-mask ::ghs_secret\n"


def test_annotations_take_the_most_severe_within_githubs_budget() -> None:
    findings = {
        "lint": [finding("src/a.py", n, "warning") for n in range(1, 15)],
        "types": [finding("src/b.py", n, "error") for n in range(1, 4)],
        "security": [finding("src/c.py", 7, "error", "B307")],
        "tests": [finding("tests/test_a.py", None, "error", "PASS_TO_FAIL")],
        "coverage": [finding("src/a.py", 3, "notice", "uncovered")],
    }
    picked, left_out = gha.pick_annotations(verdict(findings), "sub")
    kinds = [a.kind for a in picked]
    assert kinds == ["error"] * 5 + ["warning"] * 9 + ["notice"]
    assert left_out == 5  # 14 warnings, 9 shown (one kept for the step's own line)
    assert picked[0].file == "sub/src/c.py" and picked[0].line == 7  # security first
    assert picked[1].file == "sub/tests/test_a.py" and picked[1].line is None
    assert picked[0].title == "error-fix security: introduced by this patch"
    outside, _ = gha.pick_annotations(verdict({"lint": [finding("src/a.py", 3, "warning")]}), None)
    assert outside[0].file is None and outside[0].message == "src/a.py:3: R1: m"


def test_annotation_lines_are_escaped(capsys: pytest.CaptureFixture[str]) -> None:
    gha.Annotation("error", "bad\n::set-output name=x::y", "t", "src/a,b.py", 3).emit()
    [command] = workflow_commands(capsys.readouterr().out)
    assert command.name == "error"
    assert command.properties == {"title": "t", "file": "src/a,b.py", "line": "3"}
    assert command.message == "bad\n::set-output name=x::y"


def test_a_scorer_group_prints_untrusted_text_with_commands_stopped(
    capsys: pytest.CaptureFixture[str],
) -> None:
    result = ScorerResult(
        "tests",
        ScorerStatus.OK,
        0.5,
        findings=(Finding("tests/t.py", None, "PASS_TO_FAIL", "::add-mask::x", "error"),),
        reason="::set-output name=decision::auto_merge",
        duration_s=1.25,
        gates=(Gate("regression", "::warning::boo"),),
        details={"fail_to_pass": ["tests/t.py::test_x"]},
    )
    gha.print_scorer_group(result)
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == "::group ::Tests: ok, score 0.50 (1.2 s)"
    assert lines[1].startswith("::stop-commands ::")
    token = lines[1].split("::")[-1]
    assert lines[-2] == f"::{token}::" and lines[-1] == "::endgroup::"
    assert "::set-output name=decision::auto_merge" in out
    assert [c.name for c in workflow_commands(out)] == ["group", "endgroup"]


def test_the_summary_carries_the_table_and_the_findings_inertly() -> None:
    hostile = "x | <img src=x onerror=alert(1)> `code`"
    v = verdict(
        {"lint": [{**finding("src/a.py", 2, "warning", "F401"), "message": hostile}]},
        title="<script>alert(1)</script>",
    )
    text = gha.summary_markdown(v, mode="score")
    assert text.startswith("## error-fix: `auto_merge_pr` · &lt;script&gt;")
    assert "| **Overall** | **0.86** | | **auto_merge_pr** |" in text
    assert (
        "| Linting | `src/a.py:2` | `F401` | x \\| &lt;img src=x onerror=alert(1)&gt; 'code' |"
        in text
    )
    assert "<img" not in text and "<script>" not in text


def test_a_rejected_summary_says_why_and_that_nothing_was_published() -> None:
    rejected = Verdict(
        decision=PatchDecision.REJECTED,
        patch={"sha256": None},
        base={"sha": "cd" * 20},
        reason="a.patch: protected path .github/workflows/x.yml",
    )
    text = gha.summary_markdown(rejected, mode="all")
    assert text.splitlines()[0] == "## error-fix: `rejected`"
    assert "**Rejected:** a.patch: protected path .github/workflows/x.yml" in text
    assert text.endswith("Nothing was published.")


def test_a_summary_over_the_limit_is_cut_with_a_note() -> None:
    text = "# head\n" + "| row | é |\n" * 20_000
    fitted = gha.fit_summary(text, limit=10_000)
    assert len(fitted.encode()) <= 10_000
    assert fitted.startswith("# head\n| row | é |")
    assert fitted.endswith("The full evidence is in the verdict (the `verdict-path` output).")
    assert "**Summary truncated**" in fitted
    body = fitted.split("\n\n> ")[0]
    assert all(line == "| row | é |" for line in body.splitlines()[1:])  # whole lines only
    assert gha.fit_summary("short", limit=10) == "short"


def test_the_summary_file_stays_under_githubs_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("x" * 1000)
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    gha.write_summary("y\n" * (gha.SUMMARY_LIMIT // 2), {"GITHUB_STEP_SUMMARY": str(summary)})
    assert summary.stat().st_size <= gha.SUMMARY_LIMIT
    assert "Summary truncated" in summary.read_text()


def test_the_findings_table_is_capped() -> None:
    v = verdict({"lint": [finding("a.py", n, "warning") for n in range(1, 6)]})
    table = gha.findings_table(v, limit=3)
    assert len(table.splitlines()) == 2 + 3 + 1
    assert table.splitlines()[-1] == "| | | | … and 2 more in the verdict |"
    assert gha.findings_table(verdict()) == ""


def test_the_verdict_is_found_in_a_downloaded_artifact_folder(tmp_path: Path) -> None:
    (tmp_path / "verdict.json").write_text(json.dumps({}))
    assert gha.find_verdict(tmp_path) == tmp_path / "verdict.json"
    other = tmp_path / "other"
    other.mkdir()
    (other / "decision.json").write_text("{}")
    assert gha.find_verdict(other) == other / "decision.json"
    assert gha.find_verdict(tmp_path / "missing.json") == tmp_path / "missing.json"


def test_install_mode_puts_only_error_fix_on_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "error-fix").write_text("#!/bin/sh\n")
    github_path, output = tmp_path / "path", tmp_path / "output"
    github_path.write_text("")
    output.write_text("")
    monkeypatch.setattr("sys.executable", str(venv / "bin" / "python"))
    monkeypatch.setattr("sys.prefix", str(venv))
    environ = {"GITHUB_PATH": str(github_path), "GITHUB_OUTPUT": str(output)}
    monkeypatch.setenv("GITHUB_PATH", str(github_path))
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    inputs = gha.ActionInputs(
        mode="install",
        workspace=tmp_path,
        repo=tmp_path,
        patch=None,
        verdict=None,
        base="HEAD",
        config=None,
        overrides={},
        output_dir=tmp_path / "out",
        dry_run=False,
        trust_verdict=False,
    )
    assert gha.ActionRun(inputs, environ).run() == gha.EXIT_OK
    assert github_path.read_text().strip() == str(venv / "error-fix-bin")
    assert [p.name for p in (venv / "error-fix-bin").iterdir()] == ["error-fix"]
    assert "executable<<" in output.read_text()
    assert str(venv / "bin" / "error-fix") in output.read_text()
