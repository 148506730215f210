import random

import pytest

from shopkit import textutil


@pytest.mark.parametrize(
    ("text", "slug"),
    [("Hello World", "hello-world"), ("  Café  au lait ", "caf-au-lait"),
     ("already-slug", "already-slug"), ("A/B Testing!", "a-b-testing"), ("", ""),
     ("123 Go", "123-go")],
)
def test_slugify(text, slug):
    assert textutil.slugify(text) == slug


@pytest.mark.parametrize(
    ("text", "width", "expected"),
    [("hello", 10, "hello"), ("hello world", 8, "hello..."), ("abcdef", 2, ".."),
     ("hello world", 11, "hello world"), ("hello   world", 9, "hello...")],
)
def test_truncate(text, width, expected):
    assert textutil.truncate(text, width) == expected


def test_normalize_whitespace():
    assert textutil.normalize_whitespace(" a \t b\n c ") == "a b c"


def test_wrap():
    assert textutil.wrap("one two three four", 9) == ["one two", "three", "four"]


def test_count_words():
    assert textutil.count_words("The cat, the HAT.") == {"the": 2, "cat": 1, "hat": 1}


@pytest.mark.parametrize(
    ("text", "expected"), [("hello world", "Hello World"), ("mIxEd case", "Mixed Case")]
)
def test_title_case(text, expected):
    assert textutil.title_case(text) == expected


@pytest.mark.parametrize("seed", range(2))
def test_count_words_of_a_long_text(seed):
    rng = random.Random(seed)
    words = [f"w{rng.randrange(500)}" for _ in range(100_000)]
    counts = textutil.count_words(" ".join(words))
    assert sum(counts.values()) == len(words)
