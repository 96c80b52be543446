"""cached(): reference data loaded once, served from the store until its TTL, one shared load at a time."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import pytest
import redis.asyncio as aioredis

from bot.store import (
    JSON,
    Guard,
    GuardRefused,
    MemoryStore,
    RedisStore,
    Write,
    cache,
    cached,
    forget_cached,
    peek_cached,
    put_cached,
)
from tests.store.conftest import REDIS_URL, Backend, FakeClock, closed_port, wait_until

TECHNICIANS = [
    {"id": 41, "name": "Mike Carter", "active": True},
    {"id": 42, "name": "Sarah Lee", "active": True},
]


class CountingLoader:
    """A `load` callable that counts its calls and, when gated, waits until the test opens the gate."""

    def __init__(self, result: Callable[[int], JSON], *, gated: bool = False) -> None:
        self.calls = 0
        self._result = result
        self.gate = asyncio.Event()
        self.started = asyncio.Event()
        if not gated:
            self.gate.set()

    async def __call__(self) -> JSON:
        self.calls += 1
        call = self.calls
        self.started.set()
        await self.gate.wait()
        return self._result(call)


async def test_loads_once_then_serves_from_the_store(backend: Backend) -> None:
    load = CountingLoader(lambda _: TECHNICIANS)
    first = await cached(backend.store, namespace="ref", key="technicians", ttl=3600, load=load)
    second = await cached(backend.store, namespace="ref", key="technicians", ttl=3600, load=load)
    assert first == second == TECHNICIANS
    assert load.calls == 1


async def test_loads_again_after_the_ttl(backend: Backend) -> None:
    load = CountingLoader(lambda call: [{"version": call}])
    assert await cached(backend.store, namespace="ref", key="job-types", ttl=600, load=load) == [
        {"version": 1}
    ]
    await backend.expire("ref", "job-types", 600)
    assert await cached(backend.store, namespace="ref", key="job-types", ttl=600, load=load) == [
        {"version": 2}
    ]
    assert await cached(backend.store, namespace="ref", key="job-types", ttl=600, load=load) == [
        {"version": 2}
    ]
    assert load.calls == 2


async def test_concurrent_callers_share_one_load(backend: Backend) -> None:
    load = CountingLoader(lambda _: TECHNICIANS, gated=True)
    callers = [
        asyncio.create_task(cached(backend.store, namespace="ref", key="technicians", ttl=3600, load=load))
        for _ in range(10)
    ]
    await wait_until(lambda: _is(load.calls >= 1), what="the load to start")
    load.gate.set()
    assert await asyncio.gather(*callers) == [TECHNICIANS] * 10
    assert load.calls == 1


async def test_other_keys_load_separately(backend: Backend) -> None:
    reasons = CountingLoader(lambda _: ["Waiting for parts"])
    windows = CountingLoader(lambda _: [{"start": "08:00", "end": "12:00"}])
    got = await asyncio.gather(
        cached(backend.store, namespace="ref", key="hold-reasons", ttl=60, load=reasons),
        cached(backend.store, namespace="ref", key="arrival-windows", ttl=60, load=windows),
    )
    assert got == [["Waiting for parts"], [{"start": "08:00", "end": "12:00"}]]
    assert (reasons.calls, windows.calls) == (1, 1)


async def test_a_failed_load_reaches_every_caller_and_is_retried_next_time(backend: Backend) -> None:
    attempts = 0

    async def flaky() -> JSON:
        nonlocal attempts
        attempts += 1
        await asyncio.sleep(0)
        if attempts == 1:
            raise RuntimeError("ServiceTitan is down")
        return {"ok": True}

    results = await asyncio.gather(
        *(cached(backend.store, namespace="ref", key="bu", ttl=60, load=flaky) for _ in range(3)),
        return_exceptions=True,
    )
    assert [str(r) for r in results] == ["ServiceTitan is down"] * 3
    assert await backend.store.load(namespace="ref", key="bu") is None
    assert await cached(backend.store, namespace="ref", key="bu", ttl=60, load=flaky) == {"ok": True}
    assert attempts == 2


async def test_a_cancelled_caller_does_not_cancel_the_shared_load(backend: Backend) -> None:
    load = CountingLoader(lambda _: TECHNICIANS, gated=True)
    impatient = asyncio.create_task(cached(backend.store, namespace="ref", key="t", ttl=60, load=load))
    patient = asyncio.create_task(cached(backend.store, namespace="ref", key="t", ttl=60, load=load))
    await wait_until(lambda: _is(load.calls >= 1), what="the load to start")
    impatient.cancel()
    with pytest.raises(asyncio.CancelledError):
        await impatient
    load.gate.set()
    assert await patient == TECHNICIANS
    assert load.calls == 1


async def test_a_miss_returns_the_same_json_form_as_a_hit(backend: Backend) -> None:
    load = CountingLoader(lambda _: {"window": ("08:00", "12:00")})
    miss = await cached(backend.store, namespace="ref", key="w", ttl=60, load=load)
    hit = await cached(backend.store, namespace="ref", key="w", ttl=60, load=load)
    assert miss == hit == {"window": ["08:00", "12:00"]}


async def test_data_that_is_not_json_is_refused(backend: Backend) -> None:
    load = CountingLoader(lambda _: {"ids": {41, 42}})
    with pytest.raises(TypeError):
        await cached(backend.store, namespace="ref", key="bad", ttl=60, load=load)
    assert await backend.store.load(namespace="ref", key="bad") is None


async def test_without_a_store_the_data_is_loaded_directly(caplog: pytest.LogCaptureFixture) -> None:
    load = CountingLoader(lambda call: [{"call": call}])
    async with RedisStore(f"redis://127.0.0.1:{closed_port()}/0", prefix="stbot-test-down") as down:
        with caplog.at_level(logging.WARNING, logger="bot.store.cache"):
            assert await cached(down, namespace="ref", key="t", ttl=60, load=load) == [{"call": 1}]
            assert await cached(down, namespace="ref", key="t", ttl=60, load=load) == [{"call": 2}]
    assert "store unavailable, loading directly" in caplog.text


async def test_stores_do_not_share_loads() -> None:
    load = CountingLoader(lambda _: TECHNICIANS)
    first, second = MemoryStore(), MemoryStore()
    await asyncio.gather(
        cached(first, namespace="ref", key="t", ttl=60, load=load),
        cached(second, namespace="ref", key="t", ttl=60, load=load),
    )
    assert load.calls == 2


async def test_a_bad_ttl_fails_before_loading(backend: Backend) -> None:
    load = CountingLoader(lambda _: TECHNICIANS)
    with pytest.raises(ValueError, match="ttl"):
        await cached(backend.store, namespace="ref", key="t", ttl=0, load=load)
    assert load.calls == 0


async def _is(condition: bool) -> bool:
    return condition


# ---- the in-process layer in front of Redis --------------------------------------------------------------


async def test_in_front_of_redis_a_value_is_kept_in_process(
    raw_redis: aioredis.Redis, redis_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = FakeClock()
    monkeypatch.setattr(cache, "_clock", clock)
    load = CountingLoader(lambda call: [{"call": call}])
    async with RedisStore(REDIS_URL, prefix=redis_prefix, local_cache_seconds=30) as store:
        assert await cached(store, namespace="ref", key="t", ttl=600, load=load) == [{"call": 1}]
        # the record is in Redis for the other processes ...
        assert await raw_redis.exists(f"{redis_prefix}:ref:t") == 1
        await raw_redis.delete(f"{redis_prefix}:ref:t")
        # ... and this process serves it from memory without asking Redis
        assert await cached(store, namespace="ref", key="t", ttl=600, load=load) == [{"call": 1}]
        assert load.calls == 1
        clock.advance(30.01)  # kept no longer than local_cache_seconds: then Redis again (gone: a load)
        assert await cached(store, namespace="ref", key="t", ttl=600, load=load) == [{"call": 2}]
        assert load.calls == 2


async def test_kept_in_process_no_longer_than_the_ttl(
    redis_prefix: str, raw_redis: aioredis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = FakeClock()
    monkeypatch.setattr(cache, "_clock", clock)
    load = CountingLoader(lambda call: [{"call": call}])
    async with RedisStore(REDIS_URL, prefix=redis_prefix, local_cache_seconds=30) as store:
        await cached(store, namespace="ref", key="t", ttl=5, load=load)
        await raw_redis.delete(f"{redis_prefix}:ref:t")
        clock.advance(5.01)
        assert await cached(store, namespace="ref", key="t", ttl=5, load=load) == [{"call": 2}]


async def test_forget_cached_drops_the_value_here_and_in_redis(
    redis_prefix: str, raw_redis: aioredis.Redis
) -> None:
    load = CountingLoader(lambda call: [{"call": call}])
    async with RedisStore(REDIS_URL, prefix=redis_prefix, local_cache_seconds=30) as store:
        await cached(store, namespace="ref", key="t", ttl=600, load=load)
        await forget_cached(store, namespace="ref", key="t")
        assert await raw_redis.exists(f"{redis_prefix}:ref:t") == 0
        assert await cached(store, namespace="ref", key="t", ttl=600, load=load) == [{"call": 2}]


async def test_a_memory_store_keeps_nothing_in_front() -> None:
    store = MemoryStore()
    load = CountingLoader(lambda call: [{"call": call}])
    await cached(store, namespace="ref", key="t", ttl=600, load=load)
    await store.delete(namespace="ref", key="t")
    assert await cached(store, namespace="ref", key="t", ttl=600, load=load) == [{"call": 2}]


async def test_a_value_no_longer_usable_is_loaded_again_and_replaced(backend: Backend) -> None:
    load = CountingLoader(lambda call: {"call": call})
    await cached(backend.store, namespace="ref", key="k", ttl=3600, load=load)

    again = await cached(
        backend.store,
        namespace="ref",
        key="k",
        ttl=3600,
        load=load,
        keep_local=False,
        usable=lambda d: d["call"] > 1,
    )

    assert again == {"call": 2} and load.calls == 2
    stored = await backend.store.load(namespace="ref", key="k")
    assert stored is not None and stored.value == {"data": {"call": 2}}


async def _drop_while_loading(backend: Backend, **options: Any) -> None:
    """A load of "ref:k" through `cached(**options)`, a drop written while it is on its way: the load's
    answer reaches its caller, and the drop stays stored."""
    load = CountingLoader(lambda call: {"call": call}, gated=True)
    task = asyncio.ensure_future(
        cached(backend.store, namespace="ref", key="k", ttl=3600, load=load, **options)
    )
    await asyncio.wait_for(load.started.wait(), 5)

    await backend.store.save(namespace="ref", key="k", value={"dropped": 2}, ttl=3600)
    load.gate.set()

    assert await task == {"call": 1}
    stored = await backend.store.load(namespace="ref", key="k")
    assert stored is not None and stored.value == {"dropped": 2}


async def test_a_drop_written_while_loading_wins_over_the_loaded_value(backend: Backend) -> None:
    """A value replaced (a drop) while its new load was on its way stays replaced: the load read
    ServiceTitan before the change the drop stands for."""
    await backend.store.save(namespace="ref", key="k", value={"dropped": 1}, ttl=3600)
    await _drop_while_loading(backend)


async def test_a_drop_written_while_loading_an_absent_key_wins_too(backend: Backend) -> None:
    """Where values may be dropped (`usable`), a key found absent gets a stand-in before the load: a drop
    written meanwhile replaces it, and the loaded value (read before that change) is not cached."""
    await _drop_while_loading(backend, keep_local=False, usable=lambda _: True)
    again = CountingLoader(lambda call: {"call": 10 + call})
    assert await cached(
        backend.store, namespace="ref", key="k", ttl=3600, load=again, keep_local=False, usable=lambda _: True
    ) == {"call": 11}
    stored = await backend.store.load(namespace="ref", key="k")
    assert stored is not None and stored.value == {"data": {"call": 11}}


async def test_a_value_others_may_drop_is_never_kept_in_process(backend: Backend) -> None:
    with pytest.raises(ValueError, match="keep_local"):
        await cached(backend.store, namespace="ref", key="k", ttl=60, load=CountingLoader(dict), usable=bool)


async def test_peek_serves_what_cached_would_without_loading_and_put_caches_like_a_load(
    backend: Backend,
) -> None:
    store, load = backend.store, CountingLoader(lambda call: [{"call": call}])
    assert await peek_cached(store, namespace="ref", key="t", ttl=600) is None  # nothing cached: no load
    assert await put_cached(store, namespace="ref", key="t", ttl=600, data=({"put": 1},)) == [{"put": 1}]
    assert await peek_cached(store, namespace="ref", key="t", ttl=600) == [{"put": 1}]
    assert await cached(store, namespace="ref", key="t", ttl=600, load=load) == [{"put": 1}]
    assert load.calls == 0
    await backend.expire("ref", "t", 600)
    assert await peek_cached(store, namespace="ref", key="t", ttl=600) is None


async def test_peek_keeps_a_value_from_redis_in_process_and_put_keeps_it_too(
    raw_redis: aioredis.Redis, redis_prefix: str
) -> None:
    async with (
        RedisStore(REDIS_URL, prefix=redis_prefix, local_cache_seconds=30) as store,
        RedisStore(REDIS_URL, prefix=redis_prefix) as other,
    ):
        await put_cached(other, namespace="ref", key="a", ttl=600, data=[1])
        assert await peek_cached(store, namespace="ref", key="a", ttl=600) == [1]
        await put_cached(store, namespace="ref", key="b", ttl=600, data=[2])
        assert await raw_redis.exists(f"{redis_prefix}:ref:b") == 1  # in Redis for the other processes
        await raw_redis.delete(f"{redis_prefix}:ref:a", f"{redis_prefix}:ref:b")
        assert await peek_cached(store, namespace="ref", key="a", ttl=600) == [1]  # kept here
        assert await peek_cached(store, namespace="ref", key="b", ttl=600) == [2]
        assert await peek_cached(other, namespace="ref", key="a", ttl=600) is None  # keeps nothing in front


async def test_peek_and_put_without_a_store_answer_nothing_and_keep_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with RedisStore(f"redis://127.0.0.1:{closed_port()}/0", prefix="down") as down:
        assert await peek_cached(down, namespace="ref", key="a", ttl=60) is None
        assert await put_cached(down, namespace="ref", key="a", ttl=60, data=[1]) == [1]
    assert "store unavailable" in caplog.text


async def test_a_shared_load_carries_no_turns_guard_nor_its_queued_writes(backend: Backend) -> None:
    """A cached load runs for every caller that waits on it: inside a turn whose guard belongs to another
    worker (a repeated Slack delivery) it still caches its value and leaves the guard and the turn's
    queued writes to the turn."""
    store = backend.store
    await store.add_once(namespace="slack-event", key="T1:Ev1", ttl=600)  # another worker has the event
    guard = Guard(store, namespace="slack-event", key="T1:Ev1", ttl=600, wait=5.0)
    load = CountingLoader(lambda call: {"call": call})
    with store.guarded(guard):
        async with store.write_behind():
            await store.save(namespace="turn", key="queued", value={"v": 1}, ttl=60)
            value = await cached(
                store, namespace="ref", key="k", ttl=60, load=load, keep_local=False, usable=lambda _: True
            )
            assert value == {"call": 1} and guard.passed is None
            assert await store.load(namespace="turn", key="queued") is None  # still the turn's, queued
            with pytest.raises(GuardRefused):
                await store.write_now(Write.save(namespace="turn", key="conv", value={"v": 1}, ttl=60))
    stored = await store.load(namespace="ref", key="k")
    assert stored is not None and stored.value == {"data": {"call": 1}}
