"""Dependency graphs (bundles made of other products)."""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Iterable, Mapping


def topo_sort(deps: Mapping[str, Iterable[str]]) -> list[str]:
    """Every node after its dependencies; ties broken by name."""
    nodes = set(deps)
    for targets in deps.values():
        nodes.update(targets)
    remaining = {node: set(deps.get(node, ())) for node in nodes}
    dependents: dict[str, set[str]] = {node: set() for node in nodes}
    for node, targets in remaining.items():
        for target in targets:
            dependents[target].add(node)
    ready = [node for node, targets in remaining.items() if not targets]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        node = heapq.heappop(ready)
        order.append(node)
        for dependent in dependents[node]:
            remaining[dependent].discard(node)
            if not remaining[dependent]:
                heapq.heappush(ready, dependent)
    if len(order) != len(nodes):
        raise ValueError("dependency cycle")
    return order


def reachable(deps: Mapping[str, Iterable[str]], start: str) -> set[str]:
    seen = {start}
    stack = [start]
    while stack:
        for target in deps.get(stack.pop(), ()):
            if target not in seen:
                seen.add(target)
                stack.append(target)
    return seen


def shortest_path(edges: Mapping[str, Iterable[str]], start: str, goal: str) -> list[str] | None:
    previous: dict[str, str | None] = {start: None}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        if node == goal:
            path = []
            current: str | None = node
            while current is not None:
                path.append(current)
                current = previous[current]
            return path[::-1]
        for target in edges.get(node, ()):
            if target not in previous:
                previous[target] = node
                queue.append(target)
    return None
