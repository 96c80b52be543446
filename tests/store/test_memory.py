"""MemoryStore specifics and open_store."""

from __future__ import annotations

from bot.store import MemoryStore, RedisStore, open_store
from tests.store.conftest import REDIS_URL, FakeClock


async def test_open_store_without_a_url_is_in_memory() -> None:
    assert isinstance(open_store(None), MemoryStore)
    assert isinstance(open_store(""), MemoryStore)


async def test_open_store_with_a_url_is_redis() -> None:
    store = open_store(REDIS_URL, prefix="stbot-test-open")
    try:
        assert isinstance(store, RedisStore) and store.prefix == "stbot-test-open"
    finally:
        await store.aclose()


async def test_expired_records_are_swept_without_being_read() -> None:
    clock = FakeClock()
    store = MemoryStore(clock=clock)
    for i in range(900):
        await store.add_once(namespace="events", key=f"Ev{i}", ttl=60)
    await store.save(namespace="alerts", key="cursor", value={"token": "a"}, ttl=None)
    clock.advance(61)
    for i in range(200):  # enough writes to trigger a sweep
        await store.add_once(namespace="events", key=f"New{i}", ttl=60)
    assert len(store._records) < 300
    assert await store.load(namespace="alerts", key="cursor") is not None


async def test_each_memory_store_has_its_own_records() -> None:
    first, second = MemoryStore(), MemoryStore()
    await first.save(namespace="dialog", key="k", value={"a": 1}, ttl=60)
    assert await second.load(namespace="dialog", key="k") is None
