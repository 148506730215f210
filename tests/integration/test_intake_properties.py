"""No input makes intake crash: generated and mutated patches (truncations, swapped and dropped
lines, random bytes, absurd numbers, long lines, quoted and hostile names, other encodings and
line endings) either pass intake and apply, or are refused with a one-line reason.

Refused is exit 1 and decided is exit 0; anything else intake raised would be exit 3. The bulk
runs in-process through the same functions the command calls (read, check, apply to a base);
a handful go through the real ``error-fix`` command.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from error_fix.config import Settings
from error_fix.patch import parse_patch
from error_fix.patch.apply import apply_patch
from error_fix.patch.model import PatchRejected
from tests.sample import CALC, DIVIDE_FIX, SampleRepo, dedent, git

EXAMPLES = 500
CLI_RUNS = 4
NAMES = [
    "src/calc/ops.py",
    "../outside.py",
    "/etc/cron.d/job",
    ".git/hooks/post-checkout",
    ".state/review_queue.json",
    ".github/workflows/ci.yml",
    "docs/café.txt",
    "a b/c d.py",
    'we"ird\\name',
    "tab\there",
    "new\nline",
    "",
]


def _seeds(repo: SampleRepo, scratch: Path) -> list[bytes]:
    """Real patches of many forms against ``repo``: the material the mutations start from."""
    fixed = {**DIVIDE_FIX, "src/calc/extra.py": "X = 1\n"}
    plain = repo.diff(fixed)
    seeds = [plain, repo.diff({"src/calc/__init__.py": None})]
    work = scratch / "work"
    git(repo.path, "worktree", "add", "--quiet", "--detach", str(work))
    for name, content in fixed.items():
        (work / name).write_text(dedent(content))
    git(work, "add", "--intent-to-add", "src/calc/extra.py")
    for options in (["-U0"], ["--no-prefix"], ["-M", "--src-prefix=i/", "--dst-prefix=w/"]):
        seeds.append(
            subprocess.run(
                ["git", "-C", str(work), "diff", *options], capture_output=True, check=True
            ).stdout
        )
    git(work, "mv", "src/calc/__init__.py", "src/calc/init.py")
    git(work, "add", "--all")
    git(work, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qm", "Fix")
    seeds.append(
        subprocess.run(
            ["git", "-C", str(work), "format-patch", "-M", "--stdout", "-1"],
            capture_output=True,
            check=True,
        ).stdout
    )
    git(repo.path, "worktree", "remove", "--force", str(work))
    seeds.append(re.sub(rb"(?m)^(diff --git|index) .*\n", b"", plain))  # diff -u style
    seeds.append(plain.replace(b"\n", b"\r\n"))
    seeds.append(b"\xff\xfe" + plain.decode().encode("utf-16-le"))
    return seeds


Mutation = Callable[[st.DataObject, bytes], bytes]


def _lines(data: bytes) -> list[bytes]:
    return data.splitlines(keepends=True) or [b""]


def truncate(draw: st.DataObject, raw: bytes) -> bytes:
    return raw[: draw.draw(st.integers(0, len(raw)))]


def drop_line(draw: st.DataObject, raw: bytes) -> bytes:
    lines = _lines(raw)
    del lines[draw.draw(st.integers(0, len(lines) - 1))]
    return b"".join(lines)


def repeat_line(draw: st.DataObject, raw: bytes) -> bytes:
    lines = _lines(raw)
    at = draw.draw(st.integers(0, len(lines) - 1))
    return b"".join(lines[: at + 1] + lines[at:])


def swap_lines(draw: st.DataObject, raw: bytes) -> bytes:
    lines = _lines(raw)
    i, j = (draw.draw(st.integers(0, len(lines) - 1)) for _ in range(2))
    lines[i], lines[j] = lines[j], lines[i]
    return b"".join(lines)


def insert_bytes(draw: st.DataObject, raw: bytes) -> bytes:
    at = draw.draw(st.integers(0, len(raw)))
    return raw[:at] + draw.draw(st.binary(min_size=1, max_size=24)) + raw[at:]


def insert_text_line(draw: st.DataObject, raw: bytes) -> bytes:
    lines = _lines(raw)
    at = draw.draw(st.integers(0, len(lines)))
    prefix = draw.draw(st.sampled_from(["", " ", "+", "-", "\\ ", "@@ ", "--- ", "+++ ", "diff "]))
    text = prefix + draw.draw(st.text(max_size=40)) + "\n"
    return b"".join([*lines[:at], text.encode("utf-8", "surrogatepass"), *lines[at:]])


def change_number(draw: st.DataObject, raw: bytes) -> bytes:
    numbers = list(re.finditer(rb"\d+", raw))
    if not numbers:
        return raw
    match = draw.draw(st.sampled_from(numbers))
    value = draw.draw(st.one_of(st.integers(0, 12), st.integers(0, 10**30)))
    return raw[: match.start()] + str(value).encode() + raw[match.end() :]


def long_line(draw: st.DataObject, raw: bytes) -> bytes:
    lines = _lines(raw)
    at = draw.draw(st.integers(0, len(lines)))
    tag = draw.draw(st.sampled_from([b"+", b" ", b"-", b""]))
    return b"".join(
        [*lines[:at], tag + b"x" * draw.draw(st.integers(1000, 60000)) + b"\n", *lines[at:]]
    )


def rename_path(draw: st.DataObject, raw: bytes) -> bytes:
    name = draw.draw(st.one_of(st.sampled_from(NAMES), st.text(min_size=1, max_size=20)))
    quoted = draw.draw(st.booleans())
    encoded = name.encode("utf-8", "surrogatepass")
    if quoted:
        escaped = "".join(c if c.isalnum() or c in "/._-" else f"\\{ord(c):03o}" for c in name)
        return re.sub(
            rb'"?\b([abiw])/src/calc/ops\.py"?',
            lambda m: b'"' + m.group(1) + b"/" + escaped.encode("utf-8", "surrogatepass") + b'"',
            raw,
        )
    return raw.replace(b"src/calc/ops.py", encoded)


def swap_header_words(draw: st.DataObject, raw: bytes) -> bytes:
    a, b = draw.draw(
        st.sampled_from(
            [(b"--- ", b"+++ "), (b"new file", b"deleted file"), (b"a/", b"b/"), (b"@@ -", b"@@ +")]
        )
    )
    return raw.replace(a, b"\0TMP\0").replace(b, a).replace(b"\0TMP\0", b)


def line_endings(draw: st.DataObject, raw: bytes) -> bytes:
    choice = draw.draw(st.integers(0, 3))
    if choice == 0:
        return raw.replace(b"\n", b"\r\n")
    if choice == 1:
        return raw.rstrip(b"\n")
    if choice == 2:
        lines = _lines(raw)
        at = draw.draw(st.integers(0, len(lines) - 1))
        lines[at] = lines[at].rstrip(b"\n") + b"\r\n"
        return b"".join(lines)
    return raw.replace(b"\n", b"\r")


def encoding(draw: st.DataObject, raw: bytes) -> bytes:
    text = raw.decode("utf-8", "replace")
    codec = draw.draw(st.sampled_from(["utf-16", "utf-32", "utf-8-sig", "utf-16-le", "latin-1"]))
    return text.encode(codec, "replace")


MUTATIONS: list[Mutation] = [
    truncate,
    drop_line,
    repeat_line,
    swap_lines,
    insert_bytes,
    insert_text_line,
    change_number,
    long_line,
    rename_path,
    swap_header_words,
    line_endings,
    encoding,
]


def patches(data: st.DataObject, seeds: list[bytes]) -> bytes:
    if data.draw(st.integers(0, 19)) == 0:
        return data.draw(st.binary(max_size=300))
    raw = data.draw(st.sampled_from(seeds))
    for _ in range(data.draw(st.integers(0, 3))):
        raw = data.draw(st.sampled_from(MUTATIONS))(data, raw)
    return raw


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> SampleRepo:
    return SampleRepo(tmp_path_factory.mktemp("properties") / "calc", CALC)


@pytest.fixture(scope="module")
def seeds(repo: SampleRepo, tmp_path_factory: pytest.TempPathFactory) -> list[bytes]:
    return _seeds(repo, tmp_path_factory.mktemp("seeds"))


def _apply(repo: SampleRepo, diff_of: Callable[[], bytes], patch: object) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        env = {"GIT_INDEX_FILE": str(Path(tmp, "index"))}
        subprocess.run(
            ["git", "-C", str(repo.path), "read-tree", "HEAD"],
            env={**os.environ, **env},
            check=True,
        )
        apply_patch(repo.path, "HEAD", patch, diff_of(), cached=True, allow_binary=True, env=env)  # type: ignore[arg-type]


def test_intake_only_accepts_or_refuses_with_one_line(repo: SampleRepo, seeds: list[bytes]) -> None:
    outcomes = {"refused": 0, "applied": 0, "refused when applied": 0}
    protected = Settings().protected_globs()

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(st.data())
    def check(data: st.DataObject) -> None:
        raw = patches(data, seeds)
        allow_binary = data.draw(st.booleans())
        try:
            patch = parse_patch(
                raw, max_bytes=1 << 20, allow_binary=allow_binary, protected=protected
            )
        except PatchRejected as refused:
            assert str(refused) and "\n" not in str(refused)
            outcomes["refused"] += 1
            return
        assert patch.files and patch.diff
        try:
            _apply(repo, lambda: patch.diff, patch)
            if patch.source_diff and patch.test_diff:
                _apply(repo, lambda: patch.test_diff, patch)
        except PatchRejected as refused:
            assert str(refused) and "\n" not in str(refused)
            outcomes["refused when applied"] += 1
            return
        outcomes["applied"] += 1

    check()
    assert sum(outcomes.values()) >= EXAMPLES
    # The generator is worth something only if it reaches every outcome.
    assert all(outcomes.values()), outcomes


def test_the_command_exits_0_1_or_2_on_generated_patches(
    repo: SampleRepo, seeds: list[bytes], tmp_path_factory: pytest.TempPathFactory
) -> None:
    command = Path(sys.executable).with_name("error-fix")
    runs = []

    @settings(max_examples=CLI_RUNS, deadline=None, database=None)
    @given(st.data())
    def check(data: st.DataObject) -> None:
        patch_file = tmp_path_factory.mktemp("cli") / "fix.patch"
        patch_file.write_bytes(patches(data, seeds))
        result = subprocess.run(
            [
                str(command),
                "score",
                "--json",
                "--repo",
                str(repo.path),
                "--patch",
                str(patch_file),
                "--python",
                sys.executable,
                "--disable",
                "types,security,lint,coverage",
                "--reruns",
                "0",
            ],
            capture_output=True,
            text=True,
            timeout=240,
        )
        runs.append(result.returncode)
        assert result.returncode in (0, 1, 2), result.stderr
        assert "Traceback" not in result.stderr
        if result.returncode == 1:
            reason = json.loads(result.stdout)["reason"]
            assert reason and "\n" not in reason

    check()
    assert len(runs) >= CLI_RUNS
