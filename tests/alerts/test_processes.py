"""One active watcher across processes: two real OS processes on one Redis, a simulator server, the fake Slack."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from bot.alerts.lease import Lease
from bot.alerts.watcher import LEASE_NAME, Watcher
from bot.simulator import Simulator
from bot.store import MemoryStore, RedisStore
from tests.alerts.conftest import CHANNEL, REDIS_URL, AlertFakeSlack, drop_prefix
from tests.slack.fake_slack import serve_all

WORKER = Path(__file__).with_name("watcher_worker.py")
POLL = 3.0  # the lease TTL is 1.2 x this: long enough that a busy machine does not starve a holder past it
HOLD = {"reasonId": 71, "memo": "compressor on backorder"}
CANCEL = {"reasonId": 82, "memo": "sold the house"}


@pytest.fixture
async def prefix() -> AsyncIterator[str]:
    name = f"aproc{uuid.uuid4().hex[:12]}"
    yield name
    await drop_prefix(name)


@pytest.fixture
def workers() -> Iterator[dict[str, subprocess.Popen[str]]]:
    started: dict[str, subprocess.Popen[str]] = {}
    yield started
    for process in started.values():
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


async def wait_for(condition, *, within: float, what: str):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + within
    while True:
        value = await condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {within} s waiting for {what}")
        await asyncio.sleep(0.05)


async def start_worker(
    workers: dict[str, subprocess.Popen[str]],
    owner: str,
    *,
    prefix: str,
    sim_url: str,
    slack_url: str,
    mode: str = "",
) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
    args = [REDIS_URL, prefix, sim_url, slack_url + "/api/", CHANNEL, owner, str(POLL), mode]
    # Popen from a thread: the test's event loop serves the simulator and Slack meanwhile.
    process = await asyncio.to_thread(
        subprocess.Popen, [sys.executable, str(WORKER), *args], stdout=subprocess.PIPE, text=True, env=env
    )
    workers[owner] = process
    assert await read_line(process) == "ready"
    return process


async def read_line(process: subprocess.Popen[str], *, within: float = 60.0) -> str:
    """The worker's next line of output (a killed or stuck worker fails the test, not hangs it)."""
    assert process.stdout is not None
    return (await asyncio.wait_for(asyncio.to_thread(process.stdout.readline), within)).strip()


async def test_a_watcher_killed_after_posting_before_saving_its_token_posts_nothing_twice_when_restarted(
    prefix: str, workers: dict[str, subprocess.Popen[str]]
) -> None:
    sim = Simulator()
    slack = AlertFakeSlack()
    async with (
        serve_all(sim.app, slack.app()) as (sim_url, slack_url),
        RedisStore(REDIS_URL, prefix=prefix) as store,
    ):
        urls = {"prefix": prefix, "sim_url": sim_url, "slack_url": slack_url}
        first = await start_worker(workers, "first", mode="pause-after-post", **urls)

        async def origin_recorded() -> bool:
            return await store.load(namespace="alert-feed", key="origin") is not None

        await wait_for(origin_recorded, within=20, what="the first start")
        sim.state.hold_job(1011, HOLD)
        assert await read_line(first) == "posted"  # Slack answered the post; the worker now waits
        assert len(slack.posts_to(CHANNEL)) == 1
        assert await delivery_records(prefix) == []  # no delivery record, so no token saved after it
        first.send_signal(signal.SIGKILL)
        await asyncio.to_thread(first.wait, 10)

        await start_worker(workers, "second", **urls)
        # The restarted watcher reads the hold's rows again (the token was not saved), finds its own
        # earlier post in the channel's history and records it instead of posting again.
        await wait_for(lambda: delivery_records(prefix), within=30, what="the restart's delivery record")
        assert slack.of("conversations.history")
        sim.state.hold_job(1013, HOLD)
        await wait_for(lambda: posted_at_least(slack, 2), within=30, what="the next alert")
        texts = [p["text"] for p in slack.posts_to(CHANNEL)]
        assert len(texts) == 2 and "1011" in texts[0] and "1013" in texts[1], texts


async def delivery_records(prefix: str) -> list[bytes]:
    raw = aioredis.from_url(REDIS_URL)
    try:
        return [k async for k in raw.scan_iter(match=f"{prefix}:alert-sent:{CHANNEL}:*")]
    finally:
        await raw.aclose()


async def posted_at_least(slack: AlertFakeSlack, count: int) -> bool:
    return len(slack.posts_to(CHANNEL)) >= count


async def test_two_watchers_one_posts_and_the_other_takes_over_when_it_dies(
    prefix: str, workers: dict[str, subprocess.Popen[str]]
) -> None:
    sim = Simulator()  # the real clock: the processes' clocks and the simulator's agree
    slack = AlertFakeSlack()
    async with (
        serve_all(sim.app, slack.app()) as (sim_url, slack_url),
        RedisStore(REDIS_URL, prefix=prefix) as store,
    ):
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
        for owner in ("first", "second"):
            args = [REDIS_URL, prefix, sim_url, slack_url + "/api/", CHANNEL, owner, str(POLL)]
            # Popen from a thread: the test's event loop serves the simulator and Slack meanwhile.
            workers[owner] = await asyncio.to_thread(
                subprocess.Popen,
                [sys.executable, str(WORKER), *args],
                stdout=subprocess.PIPE,
                text=True,
                env=env,
            )
        for process in workers.values():
            assert process.stdout is not None
            assert (await asyncio.to_thread(process.stdout.readline)).strip() == "ready"
        lease = Lease(store, name=LEASE_NAME, ttl=1)

        async def origin_recorded() -> bool:
            return await store.load(namespace="alert-feed", key="origin") is not None

        await wait_for(origin_recorded, within=20, what="the first start")
        holder = await wait_for(lease.holder, within=30, what="a lease holder")

        sim.state.hold_job(1011, HOLD)

        async def posted(count: int) -> bool:
            return len(slack.posts_to(CHANNEL)) >= count

        await wait_for(lambda: posted(1), within=30, what="the hold's alert")
        sim.state.cancel_job(1012, CANCEL)
        await wait_for(lambda: posted(2), within=30, what="the cancel's alert")
        texts = [p["text"] for p in slack.posts_to(CHANNEL)]
        assert len(texts) == 2 and "1011" in texts[0] and "1012" in texts[1], texts

        workers[holder].send_signal(signal.SIGKILL)
        other = "second" if holder == "first" else "first"

        async def taken_over() -> bool:
            return await lease.holder() == other

        # Generous: a loaded machine may starve the standby process for a while. How soon a takeover comes
        # once the lease ran out is the standby's logic, asserted without timing in
        # test_a_standby_takes_a_dead_holders_lease_within_a_quarter_ttl_of_its_expiry.
        await wait_for(taken_over, within=30, what="the other process to take the lease")
        sim.state.hold_job(1013, HOLD)
        await wait_for(lambda: posted(3), within=30, what="the alert from the process that took over")
        texts = [p["text"] for p in slack.posts_to(CHANNEL)]
        assert len(texts) == 3 and "1013" in texts[2], texts


async def test_a_standby_takes_a_dead_holders_lease_within_a_quarter_ttl_of_its_expiry(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The takeover bound, on a virtual clock: the lease's TTL is 1.2 poll intervals and a standby asks
    again every quarter of it, so a dead holder's lease is taken at most TTL/4 after it ran out (within
    two poll intervals of the holder's last renewal). Only the standby's waits move the clock."""
    now = [1000.0]
    store = MemoryStore(clock=lambda: now[0])
    standby = Watcher(client=None, store=store, sink=_no_sink, poll_seconds=POLL, owner="standby")  # type: ignore[arg-type]
    dead = Lease(store, name=LEASE_NAME, ttl=standby.lease.ttl, owner="dead")
    assert await dead.acquire()  # its last renewal, at 1000.0; then it dies
    expiry = now[0] + standby.lease.ttl
    stop = asyncio.Event()
    taken: list[float] = []
    waits: list[float] = []

    async def virtual_wait(event: asyncio.Event, seconds: float) -> None:
        task = asyncio.current_task()
        keeper = task is not None and "_keep_lease" in task.get_coro().__qualname__  # type: ignore[union-attr]
        if keeper and standby.active:
            taken.append(now[0])
            event.set()
        elif keeper:
            waits.append(seconds)
            now[0] += seconds
            assert now[0] < expiry + 10 * standby.lease.ttl, "the standby never took the lease"
        await asyncio.sleep(0)

    monkeypatch.setattr("bot.alerts.watcher._wait", virtual_wait)
    await asyncio.wait_for(standby.run(stop), timeout=60)
    assert standby.lease.ttl == pytest.approx(1.2 * POLL)
    assert waits and all(w == pytest.approx(standby.lease.ttl / 4) for w in waits)
    (taken_at,) = taken
    assert expiry <= taken_at <= expiry + standby.lease.ttl / 4
    assert taken_at - (expiry - standby.lease.ttl) < 2 * POLL  # within two intervals of the last renewal


async def _no_sink(events: list[object]) -> None:
    raise AssertionError("the standby was stopped before polling")
