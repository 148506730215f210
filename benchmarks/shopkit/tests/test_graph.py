import random

import pytest

from shopkit import graph

N = 10000


def test_topo_sort():
    deps = {"app": ["lib", "util"], "lib": ["util"], "util": []}
    assert graph.topo_sort(deps) == ["util", "lib", "app"]


def test_topo_sort_ties_by_name():
    assert graph.topo_sort({"b": [], "a": [], "c": ["a"]}) == ["a", "b", "c"]


def test_topo_sort_cycle():
    with pytest.raises(ValueError, match="cycle"):
        graph.topo_sort({"a": ["b"], "b": ["a"]})


def test_reachable():
    assert graph.reachable({"a": ["b"], "b": ["c"], "d": ["a"]}, "a") == {"a", "b", "c"}


@pytest.mark.parametrize(
    ("start", "goal", "path"),
    [("a", "d", ["a", "b", "d"]), ("a", "a", ["a"]), ("d", "a", None), ("c", "d", ["c", "d"])],
)
def test_shortest_path(start, goal, path):
    edges = {"a": ["b", "c"], "b": ["d"], "c": ["d"]}
    assert graph.shortest_path(edges, start, goal) == path


@pytest.mark.parametrize("seed", range(3))
def test_topo_sort_of_a_large_graph(seed):
    rng = random.Random(seed)
    deps = {f"n{i}": [f"n{rng.randrange(i)}" for _ in range(min(i, 3))] for i in range(N)}
    order = graph.topo_sort(deps)
    position = {node: index for index, node in enumerate(order)}
    assert all(position[d] < position[n] for n, targets in deps.items() for d in targets)
    assert len(graph.reachable(deps, f"n{N - 1}")) > 1
