"""Atomicity across clients: two connection pools in one process, and two OS processes, on the real Redis."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import redis.asyncio as aioredis

from bot.store import RedisStore
from tests.store.conftest import REDIS_URL

NS, KEY = "dialog", "T1:C1:1700000000.000100:U1"
WORKER = Path(__file__).with_name("cas_worker.py")
REPO_ROOT = Path(__file__).resolve().parents[2]


async def warm(*clients: RedisStore) -> None:
    """Open ten connections in each client's pool first: otherwise connecting serialises the calls, and
    even a non-atomic load-compare-save passes (checked: with warm pools that one lets all 20 win)."""
    await asyncio.gather(*(client.load(namespace=NS, key="warm-up") for client in clients * 10))


async def test_twenty_compare_and_sets_from_two_clients_one_winner(
    redis_prefix: str, raw_redis: aioredis.Redis
) -> None:
    async with (
        RedisStore(REDIS_URL, prefix=redis_prefix) as one,
        RedisStore(REDIS_URL, prefix=redis_prefix) as two,
    ):
        rev = await one.save(namespace=NS, key=KEY, value={"state": "confirming"}, ttl=60)
        await warm(one, two)
        clients = [one, two] * 10
        results = await asyncio.gather(
            *(
                client.compare_and_set(namespace=NS, key=KEY, expected_rev=rev, value={"winner": i}, ttl=60)
                for i, client in enumerate(clients)
            )
        )
        assert results.count(True) == 1
        record = await two.load(namespace=NS, key=KEY)
        assert record is not None and record.value == {"winner": results.index(True)}


async def test_twenty_add_onces_from_two_clients_one_first(
    redis_prefix: str, raw_redis: aioredis.Redis
) -> None:
    async with (
        RedisStore(REDIS_URL, prefix=redis_prefix) as one,
        RedisStore(REDIS_URL, prefix=redis_prefix) as two,
    ):
        await warm(one, two)
        results = await asyncio.gather(
            *(client.add_once(namespace="events", key="Ev42", ttl=60) for client in [one, two] * 10)
        )
        assert results.count(True) == 1


async def test_compare_and_sets_from_two_processes_one_winner(
    redis_prefix: str, raw_redis: aioredis.Redis
) -> None:
    async with RedisStore(REDIS_URL, prefix=redis_prefix) as store:
        rev = await store.save(namespace=NS, key=KEY, value={"state": "confirming"}, ttl=60)
        env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
        workers = [
            await asyncio.create_subprocess_exec(
                sys.executable,
                str(WORKER),
                REDIS_URL,
                redis_prefix,
                NS,
                KEY,
                str(rev),
                name,
                "10",
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                env=env,
            )
            for name in ("a", "b")
        ]
        try:
            async with asyncio.timeout(30):
                for worker in workers:
                    assert worker.stdout is not None
                    assert (await worker.stdout.readline()).strip() == b"ready"
                for worker in workers:  # both are connected and waiting: start them together
                    assert worker.stdin is not None
                    worker.stdin.write(b"go\n")
                    await worker.stdin.drain()
                outputs = [await worker.communicate() for worker in workers]
        finally:
            for worker in workers:
                if worker.returncode is None:
                    worker.kill()
                    await worker.wait()
        assert [worker.returncode for worker in workers] == [0, 0]
        winners = [value for stdout, _ in outputs for value in json.loads(stdout)]
        assert len(winners) == 1
        record = await store.load(namespace=NS, key=KEY)
        assert record is not None and record.value == {"winner": winners[0]}
