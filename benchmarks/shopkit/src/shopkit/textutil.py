"""Text helpers for product names and descriptions."""

from __future__ import annotations

import re
import string
import textwrap

_NON_WORD = re.compile(r"[^a-z0-9]+")
_WORD = re.compile(r"[a-z0-9']+")


def slugify(text: str) -> str:
    return _NON_WORD.sub("-", text.lower()).strip("-")


def normalize_whitespace(text: str) -> str:
    return " ".join(text.split())


def truncate(text: str, width: int, suffix: str = "...") -> str:
    if len(text) <= width:
        return text
    if width <= len(suffix):
        return suffix[:width]
    return text[: width - len(suffix)].rstrip() + suffix


def wrap(text: str, width: int = 40) -> list[str]:
    return textwrap.wrap(normalize_whitespace(text), width)


def count_words(text: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for word in _WORD.findall(text.lower()):
        counts[word] = counts.get(word, 0) + 1
    return counts


def title_case(text: str) -> str:
    return " ".join(word[:1].upper() + word[1:].lower() for word in text.split())
