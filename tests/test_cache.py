"""The decision cache: least recently used goes first, counters count, threads cannot overfill it."""

from __future__ import annotations

import threading

from headroom_edge.cache import LRUCache


def test_least_recently_used_entry_is_evicted() -> None:
    cache: LRUCache[str, int] = LRUCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # "a" is now the most recent
    cache.put("c", 3)
    assert cache.get("b") is None
    assert cache.get("a") == 1 and cache.get("c") == 3
    assert len(cache) == 2


def test_put_of_an_existing_key_refreshes_it() -> None:
    cache: LRUCache[str, int] = LRUCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    cache.put("a", 10)
    cache.put("c", 3)
    assert cache.get("a") == 10 and cache.get("b") is None


def test_hits_misses_and_clear() -> None:
    cache: LRUCache[str, int] = LRUCache(4)
    cache.put("a", 1)
    cache.get("a")
    cache.get("zzz")
    assert (cache.hits, cache.misses) == (1, 1)
    cache.clear()
    assert len(cache) == 0 and (cache.hits, cache.misses) == (0, 0)


def test_size_zero_stores_nothing_and_negative_means_zero() -> None:
    for size in (0, -5):
        cache: LRUCache[str, int] = LRUCache(size)
        cache.put("a", 1)
        assert cache.get("a") is None and len(cache) == 0 and cache.maxsize == 0


def test_concurrent_puts_never_exceed_the_size() -> None:
    cache: LRUCache[int, int] = LRUCache(50)

    def fill(offset: int) -> None:
        for i in range(2000):
            cache.put(offset + i, i)
            cache.get(offset + i - 1)

    threads = [threading.Thread(target=fill, args=(n * 10_000,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(cache) == 50
