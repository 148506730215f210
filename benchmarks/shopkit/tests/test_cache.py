import pytest

from shopkit.cache import LRUCache


def test_put_and_get():
    cache = LRUCache(2)
    cache.put("a", 1)
    assert cache.get("a") == 1
    assert cache.hits == 1


def test_miss():
    cache = LRUCache(2)
    assert cache.get("x") is None
    assert cache.misses == 1


def test_evicts_least_recently_used():
    cache = LRUCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    cache.get("a")
    cache.put("c", 3)
    assert "b" not in cache
    assert "a" in cache
    assert len(cache) == 2


def test_hit_rate():
    cache = LRUCache(1)
    assert cache.hit_rate() == 0.0
    cache.put("a", 1)
    cache.get("a")
    cache.get("b")
    assert cache.hit_rate() == 0.5


@pytest.mark.parametrize("capacity", [0, -1])
def test_capacity_must_be_positive(capacity):
    with pytest.raises(ValueError):
        LRUCache(capacity)
