"""The documentation stays true: the reference tables match their sources (action.yml, the
settings class, the argument parser), commands shown use options that exist, links lead
somewhere, and the README stays short."""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import re
import shutil
from pathlib import Path
from types import ModuleType

import pytest

from error_fix import cli
from error_fix.config import Settings, load_settings

ROOT = Path(__file__).resolve().parents[2]
README_LIMIT = 12 * 1024


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("docs_generate", ROOT / "docs" / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


generate = _generator()


def _pages(root: Path = ROOT) -> list[Path]:
    return [root / "README.md", *sorted((root / "docs").glob("*.md"))]


def test_the_generated_tables_are_current() -> None:
    stale = generate.stale(ROOT)
    assert not stale, f"stale reference tables {stale}: run `{generate.REGENERATE}`"


def test_an_input_described_anew_in_action_yml_makes_the_tables_stale(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for page in _pages():
        target = tmp_path / page.relative_to(ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(page, target)
    action = (ROOT / "action.yml").read_text(encoding="utf-8")
    old = "Base revision to score against (default HEAD, the checked-out commit)."
    assert old in action
    (tmp_path / "action.yml").write_text(
        action.replace(old, "The revision | to <score> against."), encoding="utf-8"
    )
    assert generate.main(["--check", "--root", str(tmp_path)]) == 1
    printed = capsys.readouterr().out
    assert "stale: README.md: action-inputs-brief" in printed
    assert "stale: docs/action.md: action-inputs" in printed
    assert "regenerate with: python docs/generate.py" in printed

    assert generate.main(["--root", str(tmp_path)]) == 0
    assert generate.main(["--check", "--root", str(tmp_path)]) == 0
    readme = (tmp_path / "README.md").read_text(encoding="utf-8")
    assert "| `base` |  | The revision \\| to &lt;score> against. |" in readme


def test_a_table_no_page_carries_is_reported(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    shutil.copy2(ROOT / "action.yml", tmp_path / "action.yml")
    (tmp_path / "README.md").write_text(
        "# x\n\n<!-- begin generated: settings -->\n<!-- end generated: settings -->\n"
    )
    assert generate.main(["--root", str(tmp_path)]) == 0
    assert "`max-patch-bytes`" in (tmp_path / "README.md").read_text()
    assert sorted(generate.stale(tmp_path)) == [
        "(no page): action-inputs",
        "(no page): action-inputs-brief",
        "(no page): action-outputs",
        "(no page): cli",
    ]


@dataclasses.dataclass(frozen=True)
class _MoreSettings(Settings):
    isolation: str = "none"
    """How the tests are isolated: none or bubblewrap."""
    carried: tuple[str, ...] = dataclasses.field(default_factory=lambda: ("*.so",))
    """Generated files carried into the worktrees."""


def test_new_settings_and_flags_appear_without_touching_the_generator() -> None:
    table = generate.settings_table(_MoreSettings)
    assert (
        '| `isolation` | `str` | `"none"` | How the tests are isolated: none or bubblewrap. |'
        in table
    )
    assert '| `carried` | `tuple[str, ...]` | `["*.so"]` |' in table
    assert "| `jobs` | `int` | `os.cpu_count() or 2` (computed) |" in table

    parser = cli.build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    sub.choices["score"].add_argument("--isolation", help="how the tests are isolated")
    reference = generate.cli_reference(parser)
    score = reference.split("### `error-fix score`")[1].split("###")[0]
    assert "| `--isolation ISOLATION` | how the tests are isolated |" in score


def test_every_documented_setting_key_is_accepted() -> None:
    text = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    block = text.split("<!-- begin generated: settings -->")[1].split("<!-- end generated")[0]
    documented = re.findall(r"^\| `([a-z-]+)` \|", block, flags=re.M)
    assert len(documented) == len(dataclasses.fields(Settings))
    for key in documented:
        field = key.replace("-", "_")
        name = "disabled" if field == "disable" else field
        value = getattr(Settings(), name)
        if value is None:
            continue
        if isinstance(value, tuple | frozenset):
            value = list(value)
        settings = load_settings(None, None, {key: value})
        assert getattr(settings, name) == getattr(Settings(), name), key


_COMMAND = re.compile(r"error-fix ((?:score|apply|publish|queue|status|monitor|demo)\b[^`\n]*)")


def _options(parser: argparse.ArgumentParser) -> dict[str, set[str]]:
    """Option strings by command ('queue' holds those of all its actions)."""
    found: dict[str, set[str]] = {}
    for name, _what, sub in generate._subcommands(parser):
        options = {s for a in sub._actions for s in a.option_strings}
        for _action, _does, nested in generate._subcommands(sub):
            options |= {s for a in nested._actions for s in a.option_strings}
        found[name] = options
    return found


def test_the_commands_the_docs_show_use_options_that_exist() -> None:
    options = _options(cli.build_parser())
    seen = 0
    for page in _pages():
        for line in page.read_text(encoding="utf-8").splitlines():
            for match in _COMMAND.finditer(line):
                command, *rest = match[1].split(maxsplit=1)
                for flag in re.findall(r"(?<![\w-])--[a-z][a-z-]*", rest[0] if rest else ""):
                    seen += 1
                    assert flag in options[command] | {"--help", "--debug"}, (
                        f"{page.name}: `error-fix {command}` has no option {flag}: {line.strip()}"
                    )
    assert seen > 20


def _anchors(page: Path) -> set[str]:
    anchors: set[str] = set()
    fenced = False
    for line in page.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and line.startswith("#"):
            heading = line.lstrip("#").strip().lower()
            anchors.add(re.sub(r"[^\w\- ]", "", heading).replace(" ", "-"))
    return anchors


def test_links_between_the_pages_lead_somewhere() -> None:
    checked = 0
    for page in _pages():
        text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+:", target):
                continue
            path, _, anchor = target.partition("#")
            linked = (page.parent / path).resolve() if path else page
            assert linked.exists(), f"{page.name}: link to a missing file: {target}"
            if anchor:
                assert anchor in _anchors(linked), f"{page.name}: no heading for {target}"
            checked += 1
    assert checked > 30


def test_the_readme_is_short_and_opens_with_the_workflow() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.encode("utf-8")) <= README_LIMIT
    headings = [line for line in readme.splitlines() if line.startswith("## ")]
    assert headings[:3] == ["## Quick start", "## Use it in a workflow", "## Inputs"]
    quick_start = readme.split("## Quick start")[1].split("```sh\n")[1].split("```")[0]
    assert quick_start.splitlines() == [
        "python3 -m venv .venv && .venv/bin/pip install . && .venv/bin/error-fix demo",
        "bash .ci/run",
    ]
