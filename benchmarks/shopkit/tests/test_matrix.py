import random

import pytest

from shopkit import matrix

N = 70


def test_identity():
    assert matrix.identity(2) == [[1.0, 0.0], [0.0, 1.0]]


def test_transpose():
    assert matrix.transpose([[1, 2, 3], [4, 5, 6]]) == [[1, 4], [2, 5], [3, 6]]


def test_matmul():
    assert matrix.matmul([[1, 2], [3, 4]], [[5, 6], [7, 8]]) == [[19, 22], [43, 50]]


def test_matmul_shapes():
    with pytest.raises(ValueError):
        matrix.matmul([[1, 2]], [[1, 2]])


@pytest.mark.parametrize(("k", "fib"), [(1, 1), (2, 1), (10, 55), (20, 6765)])
def test_mat_pow_fibonacci(k, fib):
    assert matrix.mat_pow([[1, 1], [1, 0]], k)[0][1] == fib


def test_trace():
    assert matrix.trace([[1, 2], [3, 4]]) == 5


@pytest.mark.parametrize("seed", range(3))
def test_matmul_of_large_matrices(seed):
    rng = random.Random(seed)
    a = [[rng.random() for _ in range(N)] for _ in range(N)]
    assert matrix.matmul(a, matrix.identity(N)) == a
    assert abs(matrix.trace(matrix.matmul(matrix.identity(N), a)) - matrix.trace(a)) < 1e-9
