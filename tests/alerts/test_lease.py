"""The watcher lease on both stores: one holder, renewed by it only, free again once it stops renewing."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest

from bot.alerts.lease import Lease
from bot.store import MemoryStore, RedisStore, Store
from tests.alerts.conftest import REDIS_URL, drop_prefix


@pytest.fixture(params=["memory", "redis"])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[Store]:
    if request.param == "memory":
        yield MemoryStore()
        return
    prefix = f"alease{uuid.uuid4().hex[:12]}"
    async with RedisStore(REDIS_URL, prefix=prefix) as redis_store:
        yield redis_store
    await drop_prefix(prefix)


async def test_one_holder_at_a_time_and_only_it_renews(store: Store) -> None:
    a, b = Lease(store, name="w", ttl=30, owner="a"), Lease(store, name="w", ttl=30, owner="b")
    results = await asyncio.gather(a.acquire(), b.acquire())
    assert sorted(results) == [False, True]
    winner, loser = (a, b) if results[0] else (b, a)
    assert await winner.acquire() and not await loser.acquire()
    assert await loser.holder() == winner.owner
    await loser.release()  # not its lease: nothing happens
    assert await winner.holder() == winner.owner
    await winner.release()
    assert await loser.acquire()


async def test_a_lease_nobody_renews_runs_out_and_another_takes_it(store: Store) -> None:
    a, b = Lease(store, name="w", ttl=0.2, owner="a"), Lease(store, name="w", ttl=0.2, owner="b")
    assert await a.acquire()
    assert not await b.acquire()
    for _ in range(200):  # a stops renewing; b gets it as soon as the TTL ran out
        if await b.acquire():
            break
        await asyncio.sleep(0.01)
    assert await b.holder() == "b" and not await a.acquire()
