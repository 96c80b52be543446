"""A separate OS process racing compare_and_set against another one (used by test_concurrency.py).

Usage: python cas_worker.py REDIS_URL PREFIX NAMESPACE KEY EXPECTED_REV WORKER_NAME ATTEMPTS
Prints "ready" once connected, waits for a line on stdin, fires ATTEMPTS concurrent compare_and_sets and
prints a JSON list of the values of the attempts that won.
"""

from __future__ import annotations

import asyncio
import json
import sys

from bot.store import RedisStore


async def race(url: str, prefix: str, namespace: str, key: str, rev: int, worker: str, attempts: int) -> None:
    async with RedisStore(url, prefix=prefix) as store:
        # open the connections before the start signal, so the race is about the scripts, not connecting
        await asyncio.gather(*(store.load(namespace=namespace, key=key) for _ in range(attempts)))
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.readline)
        values = [f"{worker}-{i}" for i in range(attempts)]
        results = await asyncio.gather(
            *(
                store.compare_and_set(
                    namespace=namespace, key=key, expected_rev=rev, value={"winner": value}, ttl=60
                )
                for value in values
            )
        )
        print(json.dumps([value for value, won in zip(values, results, strict=True) if won]), flush=True)


if __name__ == "__main__":
    url, prefix, namespace, key, rev, worker, attempts = sys.argv[1:8]
    asyncio.run(race(url, prefix, namespace, key, int(rev), worker, int(attempts)))
