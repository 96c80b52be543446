"""ServiceTitan's request limit per tenant, kept by every process of the bot together.

ServiceTitan allows 60 requests a second per app key and tenant (shared/servicetitan/README.md, rate
limits) and answers 429 beyond it. Every process of the bot counts its requests in one moving window in
Redis (the `limits` library's moving-window strategy on its Redis storage, through redis-py), and a
request over the limit waits for the window to make room instead of being sent: users see a short wait,
not 429s. Without Redis (no REDIS_URL, or Redis not answering) each process keeps the window in memory.

`RateLimitedTransport` applies it to every API request of a `ServiceTitanClient` (an httpx transport
around the real one), keyed by the tenant in the request's path; the token endpoint is not counted.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable

import httpx
from limits import RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError

log = logging.getLogger("bot.servicetitan.ratelimit")

SERVICETITAN_PER_SECOND = 60
# What the bot allows itself: a little under ServiceTitan's limit, as the bot's clock and ServiceTitan's
# count a request at slightly different moments.
DEFAULT_PER_SECOND = 55
MAX_WAIT = 0.25  # a waiting request looks again at least this often
REDIS_TIMEOUT = 0.5
_TENANT = re.compile(r"/tenant/(?P<tenant>[^/]+)/")


class TenantRateLimiter:
    """At most `per_second` requests in any rolling second per tenant, across every process sharing
    `redis_url` (in this process only, without it)."""

    def __init__(
        self,
        redis_url: str | None,
        *,
        per_second: int = DEFAULT_PER_SECOND,
        key_prefix: str = "stbot:st-rate",
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.item = RateLimitItemPerSecond(per_second)
        self.local = MovingWindowRateLimiter(MemoryStorage())
        self.shared: MovingWindowRateLimiter | None = None
        self._storage: Storage | None = None
        if redis_url:
            self._storage = RedisStorage(
                f"async+{redis_url}",
                implementation="redispy",
                key_prefix=key_prefix,
                wrap_exceptions=True,
                socket_timeout=REDIS_TIMEOUT,
                socket_connect_timeout=REDIS_TIMEOUT,
            )
            self.shared = MovingWindowRateLimiter(self._storage)
        self._sleep = sleep
        self.waits = 0  # requests that had to wait (for tests and the log)

    async def acquire(self, tenant: str) -> None:
        """Return when a request to `tenant` may be sent now (counting it)."""
        waited = False
        while True:
            limiter = self.shared or self.local
            try:
                if await limiter.hit(self.item, "tenant", tenant):
                    break
                reset = (await limiter.get_window_stats(self.item, "tenant", tenant)).reset_time
            except StorageError as exc:
                log.warning("rate limit without Redis (%s): counting in this process", exc)
                if await self.local.hit(self.item, "tenant", tenant):
                    break
                reset = (await self.local.get_window_stats(self.item, "tenant", tenant)).reset_time
            waited = True
            await self._sleep(min(MAX_WAIT, max(0.005, reset - time.time())))
        if waited:
            self.waits += 1


class RateLimitedTransport(httpx.AsyncBaseTransport):
    """An httpx transport that waits for the tenant's rate limit before each API request."""

    def __init__(self, inner: httpx.AsyncBaseTransport, limiter: TenantRateLimiter) -> None:
        self.inner = inner
        self.limiter = limiter

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        match = _TENANT.search(request.url.path)
        if match is not None:
            await self.limiter.acquire(match["tenant"])
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()
