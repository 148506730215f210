import random

import pytest

from shopkit.search import Index, tokenize


@pytest.mark.parametrize(
    ("text", "tokens"),
    [("Red Mug", ["red", "mug"]), ("Hello, world!", ["hello", "world"]), ("", []),
     ("  spaced   out ", ["spaced", "out"])],
)
def test_tokenize(text, tokens):
    assert tokenize(text) == tokens


@pytest.fixture
def index() -> Index:
    idx = Index()
    idx.add("1", "Red ceramic mug")
    idx.add("2", "Blue ceramic plate")
    idx.add("3", "Red cotton shirt, large")
    return idx


@pytest.mark.parametrize(
    ("query", "hits"),
    [("red", ["1", "3"]), ("ceramic", ["1", "2"]), ("red ceramic", ["1"]), ("green", []),
     ("", [])],
)
def test_search(index, query, hits):
    assert index.search(query) == hits


def test_snippet(index):
    assert index.snippet("3", 12) == "Red cotto..."


def test_len(index):
    assert len(index) == 3


def test_search_a_large_catalogue():
    rng = random.Random(7)
    words = [f"w{n}" for n in range(300)]
    idx = Index()
    for doc in range(5000):
        idx.add(str(doc), " ".join(rng.choice(words) for _ in range(12)))
    assert len(idx) == 5000
    assert set(idx.search("w1 w2")) <= set(idx.search("w1"))
