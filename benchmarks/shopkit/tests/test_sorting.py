import random

import pytest

from shopkit import sorting

N = 15000


@pytest.mark.parametrize(
    "items", [[], [1], [2, 1], [3, 1, 2], [5, 4, 3, 2, 1], [1, 1, 1], list(range(40, 0, -1))]
)
def test_merge_sort_small(items):
    assert sorting.merge_sort(items) == sorted(items)


@pytest.mark.parametrize("items", [[], [1], [2, 1], [3, 3, 1], [9, 7, 8]])
def test_insertion_sort(items):
    assert sorting.insertion_sort(items) == sorted(items)


def test_merge_sort_is_stable():
    pairs = [(1, "a"), (0, "b"), (1, "c"), (0, "d")] * 10
    assert sorting.merge_sort(pairs, key=lambda p: p[0]) == sorted(pairs, key=lambda p: p[0])


@pytest.mark.parametrize(("items", "expected"), [([], True), ([1, 2, 2], True), ([2, 1], False)])
def test_is_sorted(items, expected):
    assert sorting.is_sorted(items) is expected


def test_top_k():
    assert sorting.top_k([5, 1, 9, 3], 2) == [9, 5]


@pytest.mark.parametrize("seed", range(6))
def test_merge_sort_large_matches_sorted(seed):
    rng = random.Random(seed)
    data = [rng.randint(-(10**6), 10**6) for _ in range(N)]
    result = sorting.merge_sort(data)
    assert result == sorted(data)
    assert sorting.is_sorted(result)
