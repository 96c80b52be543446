"""Benchmark: how soon a change in ServiceTitan becomes an alert, and what an idle poll costs.

Runs the real watcher (`AlertService.run`, its lease, delivery records and cards) on the in-process
simulator with the in-process store (or Redis with --redis URL). Slack is a stand-in that records each
post's time. Each of N changes (holds and cancels, made directly on the simulator, one at a time) is timed
from the write to the post of its alert in the channel; the latency includes the wait for the next poll,
so it is bounded by the poll interval plus the cycle's work. Idle polls are counted in ServiceTitan
requests per cycle. Usage: ``python -m benchmarks alerts [--changes 50] [--poll 0.5] [--redis URL]``.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
import uuid
from typing import Any

import httpx

from bot.alerts.service import AlertService
from bot.alerts.slackout import SlackOut
from bot.servicetitan.embedded import simulator_client
from bot.simulator import Simulator
from bot.store import MemoryStore, RedisStore, Store

CHANNEL = "C0BENCH"


class CountingTransport(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.requests = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        return await self.inner.handle_async_request(request)


class RecordingSlack(SlackOut):
    """Slack as far as alerts go: posts are recorded with their time, nobody is linked or subscribed."""

    def __init__(self, store: Store) -> None:
        super().__init__(None, store, default_tz="America/Chicago")  # type: ignore[arg-type]
        self.posts: list[tuple[float, str]] = []

    async def post(self, channel: str, text: str, blocks: list[dict[str, Any]], **_: Any) -> bool:
        self.posts.append((time.perf_counter(), text))
        return True

    async def tz_of(self, user: str) -> str:
        return self.default_tz

    async def user_by_email(self, email: str) -> dict[str, Any] | None:
        return None


def _p(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


async def run(changes: int, poll: float, redis_url: str | None) -> dict[str, float]:
    sim = Simulator(rate_limit_per_second=10**9)
    counting = CountingTransport(httpx.ASGITransport(app=sim.app))
    prefix = f"bench{uuid.uuid4().hex[:10]}"
    store: Store = RedisStore(redis_url, prefix=prefix) if redis_url else MemoryStore()
    client = simulator_client(transport=counting)
    slack = RecordingSlack(store)
    service = AlertService(
        client=client, store=store, slack=None, tz="America/Chicago", channel=CHANNEL,  # type: ignore[arg-type]
        poll_seconds=poll, day_plan_at=None, out=slack,
    )  # fmt: skip
    stop = asyncio.Event()
    try:
        async with client:
            await service.watcher.poll_once()  # the first start (baseline) before timing
            # idle cycles: ServiceTitan requests per poll when nothing changed
            await service.watcher.poll_once()  # tokens warmed up
            before = counting.requests
            idle_polls = 10
            for _ in range(idle_polls):
                await service.watcher.poll_once()
            idle = (counting.requests - before) / idle_polls
            task = asyncio.create_task(service.run(stop))
            jobs = [
                j
                for j, row in sorted(sim.state.jobs.items())
                if row["jobStatus"] in ("Scheduled", "Dispatched")
            ]
            latencies = []
            pause = random.Random(12)
            for i in range(min(changes, len(jobs))):
                job_id = jobs[i]
                # changes come at any moment of the poll cycle, not just after a post
                await asyncio.sleep(pause.uniform(0, poll))
                posted = len(slack.posts)
                started = time.perf_counter()
                if i % 2:
                    sim.state.cancel_job(job_id, {"reasonId": 82, "memo": f"bench {i}"})
                else:
                    sim.state.hold_job(job_id, {"reasonId": 71, "memo": f"bench {i}"})
                await _until(lambda n=posted: len(slack.posts) > n, 30)  # type: ignore[misc]
                latencies.append((slack.posts[posted][0] - started) * 1000)
            stop.set()
            await task
    finally:
        if isinstance(store, RedisStore):
            raw = store._redis
            keys = [k async for k in raw.scan_iter(match=f"{prefix}:*")]
            if keys:
                await raw.delete(*keys)
        await store.aclose()
    return {
        "p50": _p(latencies, 0.5),
        "max": max(latencies),
        "idle": idle,
        "feeds": len(service.watcher.feeds),
    }


async def _until(condition: Any, within: float) -> None:
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError("no alert was posted in time")
        await asyncio.sleep(0.005)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks alerts", description=__doc__)
    parser.add_argument("--changes", type=int, default=50)
    parser.add_argument("--poll", type=float, default=0.5, help="ALERT_POLL_SECONDS for the run")
    parser.add_argument("--redis", default=None, help="a Redis URL (default: the in-process store)")
    args = parser.parse_args(argv)
    result = asyncio.run(run(args.changes, args.poll, args.redis))
    store = "Redis" if args.redis else "in-process store"
    print(
        f"Alerts: change at the simulator -> alert posted, {args.changes} changes, poll {args.poll} s, {store}"
    )
    header = f"{'change -> post p50 (ms)':>24} {'max (ms)':>9} {'ST calls per idle poll':>23} {'target':>7}"
    print(header)
    print("-" * len(header))
    print(f"{result['p50']:>24.0f} {result['max']:>9.0f} {result['idle']:>23.1f} {result['feeds']:>7.0f}")
    return 0
