"""Stable sorting helpers."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")
Key = Callable[[Any], Any]


def _identity(value: Any) -> Any:
    return value


def insertion_sort(items: Sequence[T], key: Key | None = None) -> list[T]:
    k = key or _identity
    out = list(items)
    for i in range(1, len(out)):
        current = out[i]
        j = i - 1
        while j >= 0 and k(current) < k(out[j]):
            out[j + 1] = out[j]
            j -= 1
        out[j + 1] = current
    return out


def merge_sort(items: Sequence[T], key: Key | None = None) -> list[T]:
    data = list(items)
    if len(data) <= 16:
        return insertion_sort(data, key)
    k = key or _identity
    mid = len(data) // 2
    left = merge_sort(data[:mid], key)
    right = merge_sort(data[mid:], key)
    merged: list[T] = []
    i = j = 0
    while i < len(left) and j < len(right):
        if k(right[j]) < k(left[i]):
            merged.append(right[j])
            j += 1
        else:
            merged.append(left[i])
            i += 1
    merged.extend(left[i:])
    merged.extend(right[j:])
    return merged


def is_sorted(items: Sequence[T], key: Key | None = None) -> bool:
    k = key or _identity
    return all(not k(b) < k(a) for a, b in zip(items, items[1:]))


def top_k(items: Sequence[T], n: int, key: Key | None = None) -> list[T]:
    return heapq.nlargest(n, items, key=key)
