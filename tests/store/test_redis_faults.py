"""The Redis store when Redis is paused, stopped, restarted empty, or short of connections."""

from __future__ import annotations

import asyncio

import pytest

from bot.store import RedisStore, StoreUnavailable
from tests.store.own_redis import own_redis


async def test_many_callers_wait_for_a_free_connection_instead_of_failing() -> None:
    with own_redis() as server:
        store = RedisStore(server.url, prefix="faults", max_connections=2)
        try:
            await asyncio.gather(
                *(store.save(namespace="n", key=str(i), value={"i": i}, ttl=60) for i in range(200))
            )
            loaded = await asyncio.gather(*(store.load(namespace="n", key=str(i)) for i in range(200)))
            assert [r.value["i"] for r in loaded if r is not None] == list(range(200))
        finally:
            await store.aclose()


@pytest.mark.parametrize("fault", ["pause", "stop"])
async def test_a_paused_or_stopped_redis_is_reported_unavailable_within_seconds(fault: str) -> None:
    with own_redis() as server:
        store = RedisStore(server.url, prefix="faults")
        try:
            await store.save(namespace="n", key="k", value={}, ttl=60)
            server.pause() if fault == "pause" else server.stop()
            with pytest.raises(StoreUnavailable):
                # within Slack's 3 s for an ack (a TimeoutError here fails the test); the store's limit is ~1 s
                await asyncio.wait_for(store.load(namespace="n", key="k"), 3)
        finally:
            if server.paused:
                server.resume()
            await store.aclose()


async def test_after_a_restart_the_store_works_again_and_is_empty() -> None:
    with own_redis() as server:
        store = RedisStore(server.url, prefix="faults")
        try:
            await store.save(namespace="n", key="k", value={"a": 1}, ttl=60)
            server.stop()
            server.start()
            assert await store.load(namespace="n", key="k") is None
            await store.save(namespace="n", key="k", value={"a": 2}, ttl=60)
            record = await store.load(namespace="n", key="k")
            assert record is not None and record.value == {"a": 2}
        finally:
            await store.aclose()
