from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from error_fix.config import DEFAULT_PROTECTED
from error_fix.patch import (
    PatchRejected,
    glob_matches,
    is_test_path,
    load_artifact,
    parse_patch,
    read_patch,
)

SOURCE_AND_TEST = b"""\
diff --git a/src/calc/ops.py b/src/calc/ops.py
index 1111111..2222222 100644
--- a/src/calc/ops.py
+++ b/src/calc/ops.py
@@ -1,2 +1,4 @@
 def divide(a, b):
+    if b == 0:
+        return 0.0
     return a / b
diff --git a/tests/test_ops.py b/tests/test_ops.py
new file mode 100644
index 0000000..3333333
--- /dev/null
+++ b/tests/test_ops.py
@@ -0,0 +1,2 @@
+def test_zero():
+    assert True
"""

MBOX = (
    b"""\
From 4b2b9b770690d71c8874183067705e8ac7e01da9 Mon Sep 17 00:00:00 2001
From: Fix Bot <bot@example.invalid>
Date: Thu, 26 Nov 2026 00:48:26 +0000
Subject: [PATCH] Guard divide against zero

The divisor can be zero when the cart is empty.
---
 src/calc/ops.py | 2 ++
 1 file changed, 2 insertions(+)

"""
    + SOURCE_AND_TEST.split(b"diff --git a/tests")[0]
    + b"-- \n2.39.5\n\n"
)


def parse(raw: bytes, **kw: object) -> object:
    options: dict[str, object] = {
        "max_bytes": 1 << 20,
        "allow_binary": False,
        "protected": DEFAULT_PROTECTED,
    }
    options.update(kw)
    return parse_patch(raw, **options)  # type: ignore[arg-type]


def test_parses_a_git_diff_and_splits_source_from_tests() -> None:
    patch = parse(SOURCE_AND_TEST)
    assert patch.sha256 == hashlib.sha256(SOURCE_AND_TEST).hexdigest()
    assert [(f.path, f.status, f.is_test) for f in patch.files] == [
        ("src/calc/ops.py", "modified", False),
        ("tests/test_ops.py", "added", True),
    ]
    assert patch.files[0].added_lines == (2, 3)
    assert patch.source_diff.startswith(b"diff --git a/src/calc/ops.py")
    assert b"tests/test_ops.py" not in patch.source_diff
    assert patch.test_diff.startswith(b"diff --git a/tests/test_ops.py")
    assert patch.source_diff + patch.test_diff == SOURCE_AND_TEST
    assert patch.identity == patch.sha256[:12]


def test_reads_subject_and_body_of_a_format_patch_mbox() -> None:
    patch = parse(MBOX)
    assert patch.subject == "Guard divide against zero"
    assert patch.body == "The divisor can be zero when the cart is empty."
    assert patch.diff.startswith(b"diff --git a/src/calc/ops.py")
    assert b"2.39.5" not in patch.diff
    assert patch.commit_message.startswith("Guard divide against zero\n\nThe divisor")
    assert f"Error-Fix-Patch: {patch.sha256}" in patch.commit_message


def test_an_mbox_with_two_patches_is_refused() -> None:
    with pytest.raises(PatchRejected, match="2 patches"):
        parse(MBOX + MBOX)


def _file(header: str, body: str = "@@ -0,0 +1 @@\n+x\n", path: str = "x") -> bytes:
    return f"diff --git a/{path} b/{path}\n{header}--- /dev/null\n+++ b/{path}\n{body}".encode()


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", "patch is empty"),
        (b"   \n", "patch is empty"),
        (b"this is not a diff\n", "no file changes"),
        (b"--- a/x\n+++ b/x\n@@ -1,5 +1,5 @@\n-a\n", "malformed patch"),
        (
            _file("new file mode 100644\n", path="/etc/passwd").replace(b"b//etc", b"b/etc"),
            "/etc/passwd: absolute path",
        ),
        (_file("new file mode 100644\n", path="../outside.py"), "leaves the repository"),
        (_file("new file mode 100644\n", path=".git/hooks/pre-commit"), "under .git/"),
        (_file("new file mode 100644\n", path="sub/.GIT/config"), "under .git/"),
        (_file("new file mode 120000\n", path="link"), "link: symlinks are not allowed"),
        (
            b"diff --git a/vendor b/vendor\nindex 1111111..2222222 160000\n--- a/vendor\n+++ b/vendor\n"
            b"@@ -1 +1 @@\n-Subproject commit 1111111111111111111111111111111111111111\n"
            b"+Subproject commit 2222222222222222222222222222222222222222\n",
            "vendor: submodule changes",
        ),
        (_file("new file mode 100644\n", path=".gitmodules"), "submodule changes"),
        (
            b"diff --git a/img.png b/img.png\nnew file mode 100644\nindex 0000000..1111111\n"
            b"Binary files /dev/null and b/img.png differ\n",
            "img.png: binary changes",
        ),
        (
            _file("new file mode 100644\n", path=".github/workflows/ci.yml"),
            ".github/workflows/ci.yml: protected path",
        ),
        (_file("new file mode 100644\n", path="action.yml"), "action.yml: protected path"),
        (
            b"diff --git a/ok.py b/ok.py\nsimilarity index 100%\nrename from ok.py\n"
            b"rename to .github/actions/x.yml\n",
            ".github/actions/x.yml: protected path",
        ),
    ],
)
def test_intake_refuses_with_a_reason_naming_the_file(raw: bytes, reason: str) -> None:
    with pytest.raises(PatchRejected, match=reason.replace(".", r"\.").replace("/", "/")):
        parse(raw)


def test_absolute_path_in_the_header_is_caught_even_when_hunks_look_harmless() -> None:
    raw = (
        b"diff --git a//tmp/evil b//tmp/evil\nnew file mode 100644\n--- /dev/null\n"
        b"+++ b//tmp/evil\n@@ -0,0 +1 @@\n+x\n"
    )
    with pytest.raises(PatchRejected, match="absolute path"):
        parse(raw)


def test_binary_allowed_when_configured() -> None:
    raw = (
        b"diff --git a/img.png b/img.png\nnew file mode 100644\nindex 0000000..1111111\n"
        b"Binary files /dev/null and b/img.png differ\n"
    )
    assert parse(raw, allow_binary=True).files[0].path == "img.png"


def test_protected_paths_are_configurable() -> None:
    raw = _file("new file mode 100644\n", path="deploy/prod.cfg")
    assert parse(raw).files[0].path == "deploy/prod.cfg"
    with pytest.raises(PatchRejected, match="matches 'deploy/\\*\\*'"):
        parse(raw, protected=("deploy/**",))


def test_size_limit() -> None:
    with pytest.raises(PatchRejected, match="over the size limit of 100 bytes"):
        parse(SOURCE_AND_TEST, max_bytes=100)


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        (".github/workflows/**", ".github/workflows/ci.yml", True),
        (".github/workflows/**", ".github/workflows/sub/x.yml", True),
        (".github/workflows/**", ".github/workflows-not/x.yml", False),
        ("action.yml", "action.yml", True),
        ("action.yml", "sub/action.yml", False),
        ("**/secrets.py", "a/b/secrets.py", True),
        ("**/secrets.py", "secrets.py", True),
        ("*.cfg", "a/b.cfg", False),
    ],
)
def test_glob_matches(pattern: str, path: str, matches: bool) -> None:
    assert glob_matches(pattern, path) is matches


@pytest.mark.parametrize(
    ("path", "is_test"),
    [
        ("tests/test_x.py", True),
        ("tests/data/input.json", True),
        ("pkg/test/helpers.py", True),
        ("pkg/test_utils.py", True),
        ("pkg/utils_test.py", True),
        ("conftest.py", True),
        ("src/pkg/testing.py", False),
        ("src/pkg/contest.py", False),
    ],
)
def test_test_part_classification(path: str, is_test: bool) -> None:
    assert is_test_path(path) is is_test


def test_artifact_folder_with_error_json(tmp_path: Path) -> None:
    (tmp_path / "fix.patch").write_bytes(SOURCE_AND_TEST)
    (tmp_path / "error.json").write_text(
        json.dumps(
            {
                "id": "Sentry #42: divide/zero",
                "title": "ZeroDivisionError in divide",
                "failing_test": "tests/test_ops.py::test_zero",
                "extra": "ignored",
            }
        )
    )
    (tmp_path / "notes.txt").write_text("hello")
    patch = read_patch(tmp_path, max_bytes=1 << 20, allow_binary=False, protected=())
    assert patch.error is not None
    assert patch.error.failing_test == "tests/test_ops.py::test_zero"
    assert patch.identity == "Sentry-42-divide-zero"
    assert patch.title == "ZeroDivisionError in divide"
    assert patch.notes == ("ignored notes.txt in the patch artifact",)


@pytest.mark.parametrize(
    ("files", "reason"),
    [
        ({}, "no \\*.patch or \\*.diff file"),
        ({"a.patch": "x", "b.diff": "y"}, "holds 2 patches \\(a.patch, b.diff\\)"),
        ({"a.patch": "x", "error.json": "{nope"}, "error.json: not valid JSON"),
        ({"a.patch": "x", "error.json": "[1]"}, "error.json: expected a JSON object"),
    ],
)
def test_bad_artifact_folders(tmp_path: Path, files: dict[str, str], reason: str) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    with pytest.raises(PatchRejected, match=reason):
        load_artifact(tmp_path)


def test_missing_artifact(tmp_path: Path) -> None:
    with pytest.raises(PatchRejected, match="patch not found"):
        load_artifact(tmp_path / "nope")
