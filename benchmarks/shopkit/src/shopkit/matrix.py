"""Dense matrices as lists of rows (used by the demand forecast)."""

from __future__ import annotations

Matrix = list[list[float]]


def identity(n: int) -> Matrix:
    return [[1.0 if i == j else 0.0 for j in range(n)] for i in range(n)]


def transpose(m: Matrix) -> Matrix:
    return [list(row) for row in zip(*m, strict=True)]


def matmul(a: Matrix, b: Matrix) -> Matrix:
    if a and len(a[0]) != len(b):
        raise ValueError("shapes do not match")
    columns = transpose(b)
    return [[sum(x * y for x, y in zip(row, col, strict=True)) for col in columns] for row in a]


def mat_pow(m: Matrix, k: int) -> Matrix:
    result = identity(len(m))
    base = m
    while k:
        if k & 1:
            result = matmul(result, base)
        base = matmul(base, base)
        k >>= 1
    return result


def trace(m: Matrix) -> float:
    return sum(m[i][i] for i in range(len(m)))
