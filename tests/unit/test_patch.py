from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import pytest

from error_fix.config import DEFAULT_PROTECTED, Settings
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


SECOND_MAIL = b"""\
From 5c3c9b770690d71c8874183067705e8ac7e01da9 Mon Sep 17 00:00:00 2001
From: Fix Bot <bot@example.invalid>
Date: Thu, 26 Nov 2026 00:49:26 +0000
Subject: [PATCH 2/2] Say why

A comment, for readers.
---
 src/calc/ops.py | 1 +
 1 file changed, 1 insertion(+)

diff --git a/src/calc/ops.py b/src/calc/ops.py
index 2222222..4444444 100644
--- a/src/calc/ops.py
+++ b/src/calc/ops.py
@@ -2,3 +2,4 @@
     if b == 0:
         return 0.0
+    # otherwise divide
     return a / b
--\x20
2.39.5

"""


def test_a_format_patch_series_is_one_change_with_every_message() -> None:
    patch = parse(MBOX.replace(b"[PATCH]", b"[PATCH 1/2]") + SECOND_MAIL)
    assert [c.subject for c in patch.commits] == ["Guard divide against zero", "Say why"]
    assert [(f.path, f.status, f.added_lines) for f in patch.files] == [
        ("src/calc/ops.py", "modified", (2, 3, 4))
    ]
    assert len(patch.sections) == 2
    assert patch.title == "Guard divide against zero"
    message = patch.commit_message
    assert "1/2 Guard divide against zero\n\n    The divisor can be zero" in message
    assert "2/2 Say why\n\n    A comment, for readers." in message
    assert "a series of 2 commits, applied in order as one change" in patch.notes
    assert patch.diff.count(b"diff --git a/src/calc/ops.py") == 2
    assert b"2.39.5" not in patch.diff


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
        ("test.py", True),
        ("app/tests.py", True),
        ("pkg/views_tests.py", True),
        ("src/pkg/testing.py", False),
        ("src/pkg/latest.py", False),
        ("src/pkg/tests_data.py", False),
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


# -- every form, one model --------------------------------------------------------------------

HUNK = "@@ -1,2 +1,3 @@\n def divide(a, b):\n+    assert b\n     return a / b\n"


def _shape(raw: bytes) -> list[tuple[object, ...]]:
    patch = parse(raw)
    return [(s.old_path, s.new_path, s.status, s.hunks) for s in patch.sections]


@pytest.mark.parametrize(
    "header",
    [
        "diff --git i/src/o.py w/src/o.py\n--- i/src/o.py\n+++ w/src/o.py\n",
        "diff --git src/o.py src/o.py\n--- src/o.py\n+++ src/o.py\n",
        "diff --git left/src/o.py right/src/o.py\n--- left/src/o.py\n+++ right/src/o.py\n",
        '"diff --git "a/src/o.py" "b/src/o.py"\n--- "a/src/o.py"\n+++ "b/src/o.py"\n'[1:],
        "--- a/src/o.py\t2026-11-26 00:48:26.000000000 +0100\n+++ b/src/o.py\t2026-11-26 01:00:00\n",
        "diff -ruN old/src/o.py new/src/o.py\n--- old/src/o.py\n+++ new/src/o.py\n",
        "--- src/o.py\n+++ src/o.py\n",
        "Index: src/o.py\n"
        + "=" * 67
        + "\n--- src/o.py\t(revision 7)\n+++ src/o.py\t(working copy)\n",
    ],
)
def test_every_header_form_reads_as_the_same_change(header: str) -> None:
    plain = "diff --git a/src/o.py b/src/o.py\n--- a/src/o.py\n+++ b/src/o.py\n" + HUNK
    assert _shape((header + HUNK).encode()) == _shape(plain.encode())


def test_new_files_in_plain_diffs() -> None:
    body = "@@ -0,0 +1 @@\n+x = 1\n"
    epoch = "--- a/n.py\t1970-01-01 01:00:00.000000000 +0100\n+++ b/n.py\t2026-01-01 00:00:00\n"
    svn = "Index: n.py\n" + "=" * 67 + "\n--- n.py\t(nonexistent)\n+++ n.py\t(working copy)\n"
    for header in (epoch, svn, "--- /dev/null\n+++ b/n.py\n", "--- /dev/null\n+++ n.py\n"):
        [section] = parse((header + body).encode()).sections
        assert (section.old_path, section.new_path, section.maybe_existing) == (None, "n.py", False)
    [unsure] = parse(("--- a/n.py\n+++ b/n.py\n" + body).encode()).sections
    assert unsure.maybe_existing  # creates n.py, or fills an empty one: the base decides


def test_quoted_names_are_bytes_decoded_as_utf8() -> None:
    raw = (
        b'diff --git "a/docs/caf\\303\\251.txt" "b/docs/caf\\303\\251.txt"\n'
        b'--- "a/docs/caf\\303\\251.txt"\n+++ "b/docs/caf\\303\\251.txt"\n'
        b"@@ -1 +1 @@\n-a\n+b\n"
    )
    assert parse(raw).files[0].path == "docs/café.txt"
    with pytest.raises(PatchRejected, match="docs/café.txt: protected path"):
        parse(raw, protected=("docs/café.txt",))
    decomposed = raw.replace(b"\\303\\251", b"e\\314\\201")  # NFD: e + combining acute
    with pytest.raises(PatchRejected, match="protected path"):
        parse(decomposed, protected=("docs/café.txt",))
    unquoted = raw.replace(b'"', b"").replace(b"\\303\\251", "é".encode())
    with pytest.raises(PatchRejected, match="protected path"):
        parse(unquoted, protected=("docs/*.txt",))
    latin1_name = raw.replace(b"\\303\\251", b"\\351")
    with pytest.raises(PatchRejected, match="not UTF-8"):
        parse(latin1_name)


def test_names_with_spaces_split_one_way() -> None:
    raw = (
        b"diff --git a/docs/a b.txt b/docs/a b.txt\nold mode 100644\nnew mode 100755\n"
        b"diff --git docs/c d.txt docs/c d.txt\n--- docs/c d.txt\t\n+++ docs/c d.txt\t\n"
        b"@@ -1 +1 @@\n-a\n+b\n"
    )
    assert [(f.path, f.status) for f in parse(raw).files] == [
        ("docs/a b.txt", "modified"),
        ("docs/c d.txt", "modified"),
    ]
    assert b'diff --git "a/docs/a b.txt" "b/docs/a b.txt"' in parse(raw).diff


def test_a_copy_is_a_copy_and_a_rename_a_rename() -> None:
    raw = (
        b"diff --git a/src/a.py b/src/b.py\nsimilarity index 100%\ncopy from src/a.py\n"
        b"copy to src/b.py\n"
        b"diff --git a/src/c.py b/src/d.py\nsimilarity index 90%\nrename from src/c.py\n"
        b"rename to src/d.py\n--- a/src/c.py\n+++ b/src/d.py\n@@ -1 +1 @@\n-a\n+b\n"
    )
    patch = parse(raw)
    assert [(f.path, f.old_path, f.status) for f in patch.files] == [
        ("src/b.py", "src/a.py", "copied"),
        ("src/d.py", "src/c.py", "renamed"),
    ]
    assert b"copy from src/a.py\ncopy to src/b.py\n" in patch.diff


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"--- a/x.py\n+++ /etc/cron.d/x\n@@ -1 +1 @@\n-a\n+b\n", "/etc/cron.d/x: absolute path"),
        (b"--- /dev/null\n+++ /etc/cron.d/x\n@@ -0,0 +1 @@\n+b\n", "/etc/cron.d/x: absolute path"),
        (b"--- a/x.py\n+++ b/../x.py\n@@ -1 +1 @@\n-a\n+b\n", "leaves the repository"),
        (b"--- C:\\x.py\n+++ C:\\x.py\n@@ -1 +1 @@\n-a\n+b\n", "absolute path"),
        (
            b"--- a/x.py\n+++ b/x.py\n@@ -99999999999999999999999999,6 +1,6 @@\n-a\n+b\n",
            "absurd line number",
        ),
        (b"--- a/x.py\n+++ b/x.py\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n+EXTRA\n", "more lines than"),
        (b"--- a/x.py\n+++ b/x.py\n@@ -1,3 +1,3 @@\n a\n-b\n+c\n@@ -9 +9 @@\n", "ends early"),
        (b"--- a/x.py\n+++ b/x.py\n@@ -1,3 +1,3 @@\n a\n-b\n", "cut short"),
        (b"--- a/x.py\n+++ b/x.py\n@@ -1,0 +1,0 @@\n", "an empty hunk"),
        (b"--- a/x.py\n+++ b/x.py\n@@ -5 +5 @@\n-a\n+b\n@@ -2 +2 @@\n-c\n+d\n", "out of order"),
        (b"--- a/x.py\n+++ b/x.py\n", "without hunks"),
        (b"--- a/x.py\n+++ b/y.py\n@@ -1 +1 @@\n-a\n+b\n", "name different files"),
        (b"@@ -1 +1 @@\n-a\n+b\n", "a hunk without a file header"),
        (b"*** a/x.py\n--- b/x.py\n***************\n", "context diffs are not supported"),
        (b"diff --cc x.py\nindex 1,2..3\n", "combined (merge) diffs"),
        (b"Binary files a/x.bin and b/x.bin differ\n", "binary change without its data"),
        (
            b"Index: x\n" + b"=" * 67 + b"\nCannot display: file marked as a binary type.\n",
            "holds no unified diff",
        ),
        (
            b"--- a/x.py\n+++ b/x.py\n@@ -1,4 +1,4 @@\n a\n-b\n+c\n d\n e\n@@ -9 +9 @@\n-f\n+g\n",
            "a hunk without context among hunks with context",
        ),
        (b"--- a/x.py\n+++ b/x.py\n@@ -1 +1 @@\n-a\x00\n+b\n", "NUL byte on line 4"),
        (
            b"--- a/x.py\n+++ b/x.py\n@@ -1 +1 @@\n-caf\xe9\n+b\n",
            "not UTF-8 text: byte 0xE9 on line 4",
        ),
        ("--- a/x\n+++ b/x\n".encode("utf-16-le"), "UTF-16 without a byte-order mark"),
        (b"\xff\xfe\x00\xd8", "not valid UTF-16"),
        (b"diff --git a/x b/x\nnew file mode 100644\ndeleted file mode 100644\n", "both created"),
        (b"diff --git a/x b/x\nindex 1111111..2222222 100644\n", "nothing changes"),
        (b"diff --git a/x b/x\nnew file mode 100600\n", "unknown file mode 100600"),
        (b'diff --git "a/x\\ny" "b/x\\ny"\nnew file mode 100644\n', "control character"),
    ],
)
def test_malformed_and_hostile_shapes_get_a_one_line_reason(raw: bytes, reason: str) -> None:
    with pytest.raises(PatchRejected) as refused:
        parse(raw)
    assert reason in str(refused.value)
    assert "\n" not in str(refused.value)


def test_a_reason_is_one_line_whatever_it_quotes() -> None:
    assert str(PatchRejected("git said:\nerror: x\n")) == "git said:\\x0aerror: x"


def test_minus_u0_hunks_are_marked_for_line_number_placement() -> None:
    raw = b"--- a/x.py\n+++ b/x.py\n@@ -3,0 +4 @@\n+if not values:\n@@ -9 +10 @@\n-a\n+b\n"
    patch = parse(raw)
    assert patch.unidiff_zero
    assert patch.files[0].added_lines == (4, 10)
    assert not parse(b"--- a/x.py\n+++ b/x.py\n" + HUNK.encode()).unidiff_zero


def test_line_endings_and_missing_newlines_are_the_patch_own() -> None:
    raw = (
        b"--- a/t.csv\n+++ b/t.csv\n@@ -1,2 +1,2 @@\n a,1\r\n-b,2\r\n\\ No newline at end of file\n"
        b"+b,3\r\n\\ No newline at end of file\n"
        b"--- a/e.py\n+++ b/e.py\n@@ -1,3 +1,3 @@\n x\n\n-y\n+z"
    )
    patch = parse(raw)
    assert not patch.crlf_transport
    [csv, py] = patch.sections
    assert [(line.text, line.eol) for line in csv.hunks[0].lines] == [
        (b"a,1", b"\r\n"),
        (b"b,2\r", b""),
        (b"b,3\r", b""),
    ]
    # The space of an empty context line was dropped by an editor; the patch lost its last "\n".
    assert [(line.tag, line.text, line.eol) for line in py.hunks[0].lines] == [
        (" ", b"x", b"\n"),
        (" ", b"", b"\n"),
        ("-", b"y", b"\n"),
        ("+", b"z", b"\n"),
    ]
    assert b" a,1\r\n-b,2\r\n\\ No newline at end of file\n" in patch.diff


def test_text_around_the_diff_is_skipped_but_a_miscounted_hunk_is_not() -> None:
    fenced = b"Here is the fix:\n\n```diff\n--- a/o.py\n+++ b/o.py\n" + HUNK.encode()
    assert len(parse(fenced + b"```\n\n- it asserts b\n").sections) == 1
    with pytest.raises(PatchRejected, match="more lines than its header"):
        parse(fenced + b"+    extra\n```\n")


def test_mails_without_a_diff() -> None:
    cover = MBOX.split(b"---\n")[0].replace(b"[PATCH]", b"[PATCH 0/1]") + b"---\n"
    patch = parse(cover + MBOX)
    assert len(patch.commits) == 1
    assert "mail 1 is a cover letter; its text is not kept" in patch.notes
    with pytest.raises(PatchRejected, match="mail 1 \\('Just words'\\) holds no diff"):
        parse(b"From: a@example.invalid\nSubject: Just words\n\nNo diff here.\n")


def test_the_state_directory_is_always_protected(tmp_path: Path) -> None:
    forged = _file("new file mode 100644\n", path=".state/review_queue.json")
    protected = Settings(protected_paths=("deploy/**",)).protected_globs()
    with pytest.raises(PatchRejected, match=".state/review_queue.json: protected path"):
        parse(forged, protected=protected)
    log = b"diff --git a/.state/patch_decisions.jsonl b/.state/patch_decisions.jsonl\n"
    with pytest.raises(PatchRejected, match="protected path"):
        parse(
            log + b"--- a/.state/patch_decisions.jsonl\n+++ b/.state/patch_decisions.jsonl\n"
            b"@@ -1 +1,2 @@\n {}\n+{}\n",
            protected=protected,
        )
    assert "var/error-fix/**" in Settings(state_dir="var/error-fix/").protected_globs()
    inside = Settings(state_dir=str(tmp_path / "repo" / "st")).protected_globs(tmp_path / "repo")
    assert "st/**" in inside
    assert Settings(state_dir="../elsewhere").protected_globs() == DEFAULT_PROTECTED
    assert Settings(state_dir="/var/state").protected_globs(tmp_path) == DEFAULT_PROTECTED
    # An absolute state directory that is the repository itself: its files are protected by name.
    at_root = Settings(state_dir=str(tmp_path)).protected_globs(tmp_path)
    with pytest.raises(PatchRejected, match="review_queue.json: protected path"):
        parse(_file("new file mode 100644\n", path="review_queue.json"), protected=at_root)
    assert {"patch_decisions.jsonl", "alerts.jsonl"} <= set(at_root)


def test_lines_added_earlier_in_a_series_are_followed_through_later_hunks() -> None:
    first = "--- a/m.py\n+++ b/m.py\n@@ -1,2 +1,4 @@\n a\n+b\n+c\n d\n"
    # Then: a line on top, and the added "c" taken out again.
    second = "--- a/m.py\n+++ b/m.py\n@@ -0,0 +1 @@\n+top\n@@ -2,3 +3,2 @@\n b\n-c\n d\n"
    patch = parse((first + second).encode())
    assert [(f.path, f.added_lines) for f in patch.files] == [("m.py", (1, 3))]
    [_, later] = patch.sections
    assert later.map_lines([1, 2, 3, 4, 9]) == [2, 3, 4, 9]


def test_one_file_changed_by_too_many_sections_is_refused() -> None:
    one = b"--- a/m.py\n+++ b/m.py\n@@ -1 +1 @@\n-a\n+a\n"
    assert len(parse(one * 64).sections) == 64
    with pytest.raises(PatchRejected, match="m.py: changed by 65 sections of the patch"):
        parse(one * 65)


def test_a_header_line_of_spaces_costs_linear_time() -> None:
    start = time.monotonic()
    with pytest.raises(PatchRejected, match="cannot tell the file"):
        parse(b"diff --git " + b"a/x " * 100_000 + b"\nold mode 100644\nnew mode 100755\n")
    assert time.monotonic() - start < 20  # trying every split took minutes and gigabytes


def _source(lines: str) -> bytes:
    count = lines.count("\n")
    body = f"@@ -0,0 +1,{count} @@\n" + "".join(f"+{line}\n" for line in lines.splitlines())
    return _file("new file mode 100644\n", body, path="src/calc/hidden.py")


@pytest.mark.parametrize(
    "declaration",
    ["# -*- coding: utf-7 -*-", "#!/usr/bin/env python\n# vim: set fileencoding=latin-1 :"],
)
def test_a_python_source_declared_in_another_encoding_is_refused(declaration: str) -> None:
    """In UTF-7, ``+AAo-`` is a newline: what reviewers and linters read as a comment runs."""
    hidden = _source(f"{declaration}\ndef add(a, b):\n    # see +AAo-    return a - b\n")
    name = "utf-7" if "utf-7" in declaration else "latin-1"
    line = declaration.count("\n") + 1
    with pytest.raises(
        PatchRejected,
        match=f"src/calc/hidden.py: line {line} declares the source encoding '{name}'; "
        "a patch may write Python sources only in UTF-8",
    ):
        parse(hidden)


@pytest.mark.parametrize(
    "lines",
    [
        "# -*- coding: utf-8 -*-\nx = 1\n",
        "# coding=UTF8\nx = 1\n",
        "'''Docs.'''\n\n# coding: utf-7 is not a declaration on line 3\n",
    ],
)
def test_utf8_declarations_and_later_lines_are_taken(lines: str) -> None:
    assert [f.path for f in parse(_source(lines)).files] == ["src/calc/hidden.py"]


def test_a_bidirectional_control_character_in_python_is_refused() -> None:
    """Trojan Source: the override shows `if is_admin` where Python reads a comment."""
    trojan = _source(
        'access = "user\u202e \u2066# admin only\u2069 \u2066"\nname = "café ünïcode"\n'
    )
    with pytest.raises(PatchRejected, match="line 1 holds a bidirectional control character"):
        parse(trojan)
    assert parse(_source('name = "café ünïcode — ‘quoted’"\n')).files
