"""The watcher lease on both stores: one holder, renewed by it only, free again once it stops renewing."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import pytest
import redis.asyncio as aioredis

from bot.alerts.lease import NAMESPACE, Lease
from bot.store import MemoryStore, RedisStore, Store
from tests.alerts.conftest import REDIS_URL, drop_prefix

TTL = 30.0  # seconds: far longer than any step of a test, even on a loaded machine


class Clock:
    """The memory store's clock (monotonic seconds), moved by the test."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Rig:
    store: Store
    expire: Callable[[str], Awaitable[None]]  # make the lease record run out, as its TTL would
    ttl_left: Callable[[str], Awaitable[float]]  # seconds the lease record has left


@pytest.fixture(params=["memory", "redis"])
async def rig(request: pytest.FixtureRequest) -> AsyncIterator[Rig]:
    if request.param == "memory":
        clock = Clock()
        memory = MemoryStore(clock=clock)

        async def advance(_: str) -> None:
            clock.now += TTL + 0.001

        async def left_in_memory(name: str) -> float:
            """When the record is gone, to the millisecond (the clock is put back afterwards)."""
            start, low, high = clock.now, 0.0, TTL + 1
            try:
                while high - low > 0.001:
                    clock.now = start + (low + high) / 2
                    if await memory.load(namespace=NAMESPACE, key=name) is None:
                        high = (low + high) / 2
                    else:
                        low = (low + high) / 2
            finally:
                clock.now = start
            return low

        yield Rig(memory, advance, left_in_memory)
        return
    prefix = f"alease{uuid.uuid4().hex[:12]}"
    raw = aioredis.from_url(REDIS_URL)
    try:
        async with RedisStore(REDIS_URL, prefix=prefix) as redis_store:

            async def delete(name: str) -> None:
                assert await raw.delete(f"{prefix}:{NAMESPACE}:{name}") == 1

            async def left_in_redis(name: str) -> float:
                return float(await raw.pttl(f"{prefix}:{NAMESPACE}:{name}")) / 1000

            yield Rig(redis_store, delete, left_in_redis)
    finally:
        await raw.aclose()
        await drop_prefix(prefix)


async def test_one_holder_at_a_time_and_only_it_renews(rig: Rig) -> None:
    store = rig.store
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


async def test_a_lease_nobody_renews_runs_out_and_another_takes_it(rig: Rig) -> None:
    """The record is written with the lease's TTL (renewals too); once it has run out, another owner takes
    it. Running out is made to happen (a moved clock, or the key removed as Redis does at expiry) rather than
    waited for, so a slow machine cannot make the lease lapse between two steps."""
    a, b = Lease(rig.store, name="w", ttl=TTL, owner="a"), Lease(rig.store, name="w", ttl=TTL, owner="b")
    assert await a.acquire()
    assert not await b.acquire()
    assert TTL - 5 < await rig.ttl_left("w") <= TTL
    assert await a.acquire()  # renewed: the TTL again
    assert TTL - 5 < await rig.ttl_left("w") <= TTL
    await rig.expire("w")  # a stops renewing and the TTL runs out
    assert await b.acquire()
    assert await b.holder() == "b" and not await a.acquire()
