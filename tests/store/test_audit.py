"""The audit trail of writes: a Redis stream trimmed by age (and its in-memory stand-in)."""

from __future__ import annotations

import json

import redis.asyncio as aioredis

from bot.store import RedisStore
from bot.store.audit import MemoryAuditLog, StoreAuditLog
from tests.store.conftest import REDIS_URL


async def test_entries_are_kept_in_a_stream_and_old_ones_are_trimmed(
    raw_redis: aioredis.Redis, redis_prefix: str
) -> None:
    log = StoreAuditLog(RedisStore(REDIS_URL, prefix=redis_prefix), max_age_days=90, owned=True)
    try:
        await raw_redis.xadd(f"{redis_prefix}:audit", {"op": "ancient"}, id="1-0")  # from 1970
        entry_id = await log.record(
            {"op": "add_note", "args": {"job_id": 1009, "text": "gate"}, "outcome": "done"}
        )
        entries = await log.entries()
        assert [e for e, _ in entries] == [entry_id]  # the ancient one was trimmed as this one arrived
        fields = entries[0][1]
        assert fields["op"] == "add_note" and json.loads(fields["args"]) == {"job_id": 1009, "text": "gate"}
    finally:
        await log.aclose()


async def test_a_redis_that_does_not_answer_costs_a_warning_not_the_write() -> None:
    log = StoreAuditLog(RedisStore("redis://127.0.0.1:1/0", prefix="nowhere"), owned=True)
    try:
        assert await log.record({"op": "add_note"}) is None
    finally:
        await log.aclose()


async def test_the_memory_log_drops_entries_older_than_its_age() -> None:
    now = [1_000_000.0]
    log = MemoryAuditLog(max_age_days=1, clock=lambda: now[0])
    await log.record({"op": "a"})
    now[0] += 2 * 86_400
    await log.record({"op": "b"})
    assert [f["op"] for _, f in await log.entries()] == ["b"]
