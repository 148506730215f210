import random

import pytest

from shopkit import stats

N = 300000


def test_mean():
    assert stats.mean([1, 2, 3]) == 2.0


def test_mean_of_nothing():
    with pytest.raises(ValueError):
        stats.mean([])


@pytest.mark.parametrize(
    ("values", "expected"), [([3, 1, 2], 2), ([4, 1, 3, 2], 2.5), ([7], 7), ([1, 1, 5, 5], 3.0)]
)
def test_median(values, expected):
    assert stats.median(values) == expected


def test_variance():
    assert stats.variance([2, 4, 4, 4, 5, 5, 7, 9]) == 4.0


@pytest.mark.parametrize(("q", "expected"), [(0, 1), (10, 1), (50, 5), (90, 9), (100, 10)])
def test_percentile(q, expected):
    assert stats.percentile(list(range(1, 11)), q) == expected


@pytest.mark.parametrize("q", [-1, 101])
def test_percentile_range(q):
    with pytest.raises(ValueError):
        stats.percentile([1, 2], q)


def test_moving_average():
    assert stats.moving_average([1, 2, 3, 4], 2) == [1.5, 2.5, 3.5]


def test_histogram():
    assert stats.histogram([0.1, 0.2, 0.6, 0.9, 1.5], 2, 0.0, 1.0) == [2, 2]


@pytest.mark.parametrize("seed", range(6))
def test_percentiles_of_a_large_sample(seed):
    rng = random.Random(seed)
    values = [rng.random() for _ in range(N)]
    assert abs(stats.median(values) - 0.5) < 0.01
    assert abs(stats.percentile(values, 90) - 0.9) < 0.01
    assert abs(stats.mean(values) - 0.5) < 0.01


@pytest.mark.parametrize("seed", range(3))
def test_histogram_of_a_large_sample(seed):
    rng = random.Random(seed)
    values = [rng.random() for _ in range(N)]
    counts = stats.histogram(values, 10, 0.0, 1.0)
    assert sum(counts) == N
    assert min(counts) > N // 12
    averages = stats.moving_average(values, 100)
    assert len(averages) == N - 99
