"""Fixtures for the store tests: one `backend` fixture parametrized over MemoryStore and RedisStore.

The Redis store runs against the real server at REDIS_URL (default redis://127.0.0.1:6379/0); a test fails,
not skips, when it is unreachable. Each test gets its own key prefix and deletes its keys afterwards, so
tests never flush or disturb the shared database.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field

import pytest
import redis.asyncio as aioredis

from bot.store import MemoryStore, RedisStore, Store

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")


async def wait_until(
    condition: Callable[[], Awaitable[bool]], *, within: float = 5.0, what: str = ""
) -> None:
    """Poll `condition` until it holds; fail the test when it still does not after `within` seconds."""
    deadline = time.monotonic() + within
    while not await condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {within} s waiting for {what or condition}")
        await asyncio.sleep(0.01)


class FakeClock:
    """A monotonic clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Backend:
    """A store under test plus the backend-specific ways to look at time and TTLs."""

    name: str
    store: Store
    clock: FakeClock | None = None
    raw: aioredis.Redis | None = None
    prefix: str = ""
    extra_stores: list[Store] = field(default_factory=list)

    async def expire(self, namespace: str, key: str, ttl: float) -> None:
        """Check that the record is due to expire after about `ttl` seconds, then let that time pass."""
        if self.clock is not None:
            self.clock.advance(ttl - 0.01)
            assert await self.store.load(namespace=namespace, key=key) is not None, "expired too early"
            self.clock.advance(0.02)
            return
        assert self.raw is not None
        redis_key = f"{self.prefix}:{namespace}:{key}"
        remaining_ms = await self.raw.pttl(redis_key)
        assert ttl * 1000 - 5000 < remaining_ms <= ttl * 1000, f"PTTL {remaining_ms} ms for ttl {ttl} s"
        await self.raw.pexpire(redis_key, 20)
        await wait_until(lambda: _gone(self.raw, redis_key), what=f"{redis_key} to expire")

    async def assert_never_expires(self, namespace: str, key: str) -> None:
        if self.clock is not None:
            self.clock.advance(10 * 365 * 24 * 3600)
            assert await self.store.load(namespace=namespace, key=key) is not None
            return
        assert self.raw is not None
        assert await self.raw.ttl(f"{self.prefix}:{namespace}:{key}") == -1  # exists, no expiry

    def another_client(self) -> Store:
        """A second store object on the same data (Redis: its own connection pool)."""
        if isinstance(self.store, RedisStore):
            other = RedisStore(REDIS_URL, prefix=self.prefix)
            self.extra_stores.append(other)
            return other
        return self.store


async def _gone(raw: aioredis.Redis | None, redis_key: str) -> bool:
    assert raw is not None
    return await raw.exists(redis_key) == 0


@pytest.fixture
def redis_prefix() -> str:
    return f"stbot-test-{uuid.uuid4().hex}"


@asynccontextmanager
async def cleaned_redis(prefix: str) -> AsyncIterator[aioredis.Redis]:
    """A plain redis-py client; deletes every key under `prefix` afterwards."""
    client = aioredis.Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=5)
    try:
        await client.ping()
    except Exception as exc:  # the CI guarantees a server: an unreachable one is a failure, not a skip
        await client.aclose()
        pytest.fail(f"Redis at {REDIS_URL} is unreachable: {exc!r}")
    try:
        yield client
    finally:
        keys = [k async for k in client.scan_iter(match=f"{prefix}:*", count=500)]
        if keys:
            await client.delete(*keys)
        await client.aclose()


@pytest.fixture
async def raw_redis(redis_prefix: str) -> AsyncIterator[aioredis.Redis]:
    async with cleaned_redis(redis_prefix) as client:
        yield client


@pytest.fixture(params=["memory", "redis"])
async def backend(request: pytest.FixtureRequest, redis_prefix: str) -> AsyncIterator[Backend]:
    """The store under test: a MemoryStore on a fake clock, or a RedisStore on a fresh prefix."""
    async with AsyncExitStack() as stack:
        if request.param == "memory":
            clock = FakeClock()
            harness = Backend(name="memory", store=MemoryStore(clock=clock), clock=clock)
        else:
            raw = await stack.enter_async_context(cleaned_redis(redis_prefix))
            store = RedisStore(REDIS_URL, prefix=redis_prefix)
            harness = Backend(name="redis", store=store, raw=raw, prefix=redis_prefix)
        try:
            yield harness
        finally:
            for store in [harness.store, *harness.extra_stores]:
                await store.aclose()


def closed_port() -> int:
    """A local port with nothing listening on it (connections are refused at once)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
