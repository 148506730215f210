"""Which files a patch may touch: inside the repository, outside .git/, not protected, plain files;
and how it may write Python sources: in UTF-8.

Names are compared as decoded UTF-8 text (git's C-quoting is undone as bytes first, see
diff_model.unquote_name), so a protected ``docs/café.txt`` matches however the patch spelled it.
"""

from __future__ import annotations

import codecs
import re
import unicodedata

from .model import FileDiff, PatchRejected

SYMLINK_MODE = "120000"
SUBMODULE_MODE = "160000"
FILE_MODES = ("100644", "100755", "100664")
_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")
_CODING = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")
"""PEP 263's source encoding declaration, as Python's tokenizer finds it on line 1 or 2."""
SOURCE_ENCODINGS = ("utf-8", "utf-8-sig", "ascii")
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
"""Unicode's bidirectional embeddings, overrides and isolates ("Trojan Source", CVE-2021-42574)."""


def glob_matches(pattern: str, path: str) -> bool:
    """Match a repository path against a glob where ``**`` spans directories and ``*`` does not."""
    regex = ""
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            regex += "(?:.*/)?"
            i += 3
        elif pattern.startswith("**", i):
            regex += ".*"
            i += 2
        elif pattern[i] == "*":
            regex += "[^/]*"
            i += 1
        elif pattern[i] == "?":
            regex += "[^/]"
            i += 1
        else:
            regex += re.escape(pattern[i])
            i += 1
    return re.fullmatch(regex, path, re.DOTALL) is not None


def check_raw_name(name: str) -> None:
    """Refuse a name as the patch wrote it (prefix and all) that points outside the repository:
    stripping a prefix must never turn ``/etc/x`` or ``a/../x`` into something harmless."""
    if name.startswith("/") or _DRIVE.match(name):
        raise PatchRejected(f"{name}: absolute path")
    if ".." in re.split(r"[\\/]", name):
        raise PatchRejected(f"{name}: path leaves the repository ('..')")


def check_path(path: str, protected: tuple[str, ...]) -> None:
    """Refuse a repository path the patch may not touch."""
    if not path:
        raise PatchRejected("a file in the patch has an empty path")
    check_raw_name(path)
    if any(not char.isprintable() for char in path):
        raise PatchRejected(f"{path}: control character in a file name")
    parts = re.split(r"[\\/]", path)
    if any(part.lower() == ".git" for part in parts):
        raise PatchRejected(f"{path}: changes under .git/ are not allowed")
    if path == ".gitmodules":
        raise PatchRejected(f"{path}: submodule changes are not allowed")
    # One name, two spellings: NFC and NFD of the same text are one file on some systems.
    composed = unicodedata.normalize("NFC", path)
    for pattern in protected:
        if glob_matches(pattern, path) or glob_matches(
            unicodedata.normalize("NFC", pattern), composed
        ):
            raise PatchRejected(f"{path}: protected path (matches {pattern!r})")


def check_section(section: FileDiff, protected: tuple[str, ...], allow_binary: bool) -> None:
    """Every rule for one file section: its paths, its modes, binary content."""
    for path in (section.old_path, section.new_path):
        if path is not None:
            check_path(path, protected)
    path = section.path
    for mode in (section.old_mode, section.new_mode):
        if mode == SYMLINK_MODE:
            raise PatchRejected(f"{path}: symlinks are not allowed")
        if mode == SUBMODULE_MODE:
            raise PatchRejected(f"{path}: submodule changes are not allowed")
        if mode is not None and mode not in FILE_MODES:
            raise PatchRejected(f"{path}: unknown file mode {mode}")
    if section.binary is not None and not allow_binary:
        raise PatchRejected(f"{path}: binary changes are not allowed")
    if path.endswith((".py", ".pyi", ".pyw")):
        _check_python_source(section)


def _check_python_source(section: FileDiff) -> None:
    """The lines a patch adds to a Python source read the same to a reviewer as to Python: the
    file stays UTF-8 (in a declared ``utf-7``, what every reviewer and linter sees as a comment is
    code), and no bidirectional control character reorders what is shown."""
    for hunk in section.hunks:
        added = (line for line in hunk.lines if line.tag == "+")
        for number, line in zip(hunk.added_line_numbers(), added, strict=True):
            if _BIDI_CONTROLS.search(line.text.decode("utf-8", errors="replace")):
                raise PatchRejected(
                    f"{section.path}: line {number} holds a bidirectional control character, "
                    "which shows the code in another order than Python reads it"
                )
            match = _CODING.match(line.text) if number <= 2 else None
            if match is None:
                continue
            name = match.group(1).decode("ascii", errors="replace")
            try:
                known = codecs.lookup(name).name
            except LookupError:
                known = name
            if known not in SOURCE_ENCODINGS:
                raise PatchRejected(
                    f"{section.path}: line {number} declares the source encoding {name!r}; "
                    "a patch may write Python sources only in UTF-8"
                )
