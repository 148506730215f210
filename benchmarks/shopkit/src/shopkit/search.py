"""A tiny inverted index over product descriptions."""

from __future__ import annotations

from collections import defaultdict

from shopkit.textutil import normalize_whitespace, truncate

_PUNCTUATION = str.maketrans("", "", ".,;:!?\"'()")


def tokenize(text: str) -> list[str]:
    return text.lower().translate(_PUNCTUATION).split()


class Index:
    def __init__(self) -> None:
        self._postings: defaultdict[str, set[str]] = defaultdict(set)
        self._docs: dict[str, str] = {}

    def add(self, doc_id: str, text: str) -> None:
        self._docs[doc_id] = text
        for token in tokenize(text):
            self._postings[token].add(doc_id)

    def search(self, query: str) -> list[str]:
        tokens = tokenize(query)
        if not tokens:
            return []
        found = set(self._postings.get(tokens[0], set()))
        for token in tokens[1:]:
            found &= self._postings.get(token, set())
        return sorted(found)

    def snippet(self, doc_id: str, width: int = 30) -> str:
        return truncate(normalize_whitespace(self._docs[doc_id]), width)

    def __len__(self) -> int:
        return len(self._docs)
