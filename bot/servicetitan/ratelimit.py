"""ServiceTitan's request limit per tenant, kept by every process of the bot together.

ServiceTitan allows 60 requests a second per app key and tenant (shared/servicetitan/README.md, rate
limits) and answers 429 beyond it. The bot allows itself `ST_RATE_LIMIT` (55 by default) and every process
takes its turns from one schedule in Redis: a request asks for the next free moment and is sent then, so
users see a short wait, not 429s.

The schedule is a moving window: the send times of the last `per_second` requests, in one Redis list per
tenant. One Lua script (redis-py's `Script`, atomic in Redis, on Redis's own clock) gives each request the
earliest moment that keeps every rolling second at `per_second` or fewer, notes it, and answers how long
to wait: one round trip per request, however long the wait, and no polling. Requests that ask together
(the reads of a card), or while the question before is on its way, share one round trip (one question per
tenant and process at a time). (The `limits` library's moving window only answers "now or
not": a request over the limit had to ask again and again, every waiting request of every process, which
cost up to 40 round trips per request under load.) A request never books more than `MAX_AHEAD` seconds
ahead: beyond that it waits without a place (so the requests of users who gave up do not take the budget of
later ones), then asks again.

Without Redis (no REDIS_URL) each process keeps the window in memory (`limits`' moving window). When Redis
stops answering, the processes fall back to that deliberately: said once in the log (each process then
counts only its own requests, so together they may exceed the tenant's budget), for `FALLBACK_SECONDS`
before Redis is asked again, and said again when Redis answers. A busy process does not fall back: its
requests wait for a connection of their own pool, and a slow answer gets `REDIS_TIMEOUT`.

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
import redis.asyncio as aioredis
from limits import RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter
from redis.exceptions import RedisError

log = logging.getLogger("bot.servicetitan.ratelimit")

SERVICETITAN_PER_SECOND = 60
# What the bot allows itself by default (ST_RATE_LIMIT): a little under ServiceTitan's limit, as the
# bot's clock and ServiceTitan's count a request at slightly different moments.
DEFAULT_PER_SECOND = 55
MAX_WAIT = 0.25  # in memory, a waiting request looks again at least this often
MAX_AHEAD = 5.0  # seconds: the furthest a request books its moment ahead
REDIS_TIMEOUT = 2.0  # for one answer of Redis (a loaded process reads it late; that is no outage)
CONNECT_TIMEOUT = 0.5
FALLBACK_SECONDS = 5.0  # after Redis failed, counted in memory this long before Redis is asked again
MAX_CONNECTIONS = 4  # to Redis, per process: one question per tenant at a time
_TENANT = re.compile(r"/tenant/(?P<tenant>[^/]+)/")

# KEYS[1]: the tenant's schedule (send times in ms on Redis's clock, newest first). ARGV: limit, period
# (ms), how far ahead a request may book (ms), how many requests ask. Books each request in turn at the
# earliest moment not before the previous booking, nor before the limit-th booking before it plus the
# period (so no rolling period holds more than `limit`), unless that is too far ahead. Returns {now, how
# many booked, their waits in ms..., and for a request not booked, how long until it may ask again}.
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit, period = tonumber(ARGV[1]), tonumber(ARGV[2])
local ahead, asking = tonumber(ARGV[3]), tonumber(ARGV[4])
local last = tonumber(redis.call('LINDEX', KEYS[1], 0) or '0')
local out = {now, 0}
for i = 1, asking do
  local at = math.max(now, last)
  local nth = redis.call('LINDEX', KEYS[1], limit - 1)
  if nth then at = math.max(at, tonumber(nth) + period) end
  if at - now > ahead then
    out[#out + 1] = at - now - ahead
    break
  end
  redis.call('LPUSH', KEYS[1], at)
  last = at
  out[2] = out[2] + 1
  out[#out + 1] = at - now
end
if out[2] > 0 then
  redis.call('LTRIM', KEYS[1], 0, limit - 1)
  redis.call('PEXPIRE', KEYS[1], last - now + period)
end
return out
"""


class Turn:
    """A request's answer from the schedule: wait `wait` seconds, then send (`booked`: at `at`, seconds
    since the epoch on the clock that counted it) or ask again."""

    __slots__ = ("at", "booked", "wait")

    def __init__(self, wait: float, booked: bool, at: float) -> None:
        self.wait = wait
        self.booked = booked
        self.at = at


class TenantRateLimiter:
    """At most `per_second` requests in any rolling second per tenant, across every process sharing
    `redis_url` (in this process only, without it or while Redis does not answer)."""

    def __init__(
        self,
        redis_url: str | None,
        *,
        per_second: int = DEFAULT_PER_SECOND,
        key_prefix: str = "stbot:st-rate",
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if per_second < 1:
            raise ValueError(f"per_second must be at least 1, got {per_second}")
        self.per_second = per_second
        self.key_prefix = key_prefix
        self.item = RateLimitItemPerSecond(per_second)
        self.local = MovingWindowRateLimiter(MemoryStorage())
        self._redis: aioredis.Redis | None = None
        if redis_url:
            pool = aioredis.BlockingConnectionPool.from_url(
                redis_url,
                max_connections=MAX_CONNECTIONS,
                timeout=REDIS_TIMEOUT,
                socket_timeout=REDIS_TIMEOUT,
                socket_connect_timeout=CONNECT_TIMEOUT,
            )
            self._redis = aioredis.Redis(connection_pool=pool)
            self._reserve_script = self._redis.register_script(_RESERVE)
        self._sleep = sleep
        self._asking: dict[str, list[asyncio.Future[Turn]]] = {}
        self._askers: dict[str, asyncio.Task[None]] = {}  # per tenant, while a question is on its way
        self._local_until = 0.0  # monotonic time until which Redis is not asked (it failed)
        self.waits = 0  # requests that had to wait (for tests and the log)

    async def acquire(self, tenant: str) -> None:
        """Return when a request to `tenant` may be sent now (counting it)."""
        waited = False
        while True:
            turn = await self._ask(tenant)
            if turn.wait > 0:
                waited = True
                await self._sleep(turn.wait)
            if turn.booked:
                break
        if waited:
            self.waits += 1

    async def aclose(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()
            await self._redis.connection_pool.disconnect()

    async def _ask(self, tenant: str) -> Turn:
        """This request's turn, asked of the schedule together with every request of this process for the
        same tenant that asks before the question goes out, or while the one before it is on its way (one
        question per tenant at a time: the busier the process, the more requests share a round trip)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Turn] = loop.create_future()
        self._asking.setdefault(tenant, []).append(future)
        if tenant not in self._askers:
            self._askers[tenant] = loop.create_task(self._answer(tenant))
        return await future

    async def _answer(self, tenant: str) -> None:
        try:
            while futures := self._asking.pop(tenant, None):
                await self._answer_these(tenant, futures)
        finally:  # (no await since the last look: a request asking from now on starts a new asker)
            del self._askers[tenant]

    async def _answer_these(self, tenant: str, futures: list[asyncio.Future[Turn]]) -> None:
        try:
            turns = await self._turns(tenant, len(futures))
        except asyncio.CancelledError:
            for future in futures:
                future.cancel()
            raise
        except Exception as exc:  # nothing may be left waiting on an answer that never comes
            for future in futures:
                if not future.done():
                    future.set_exception(exc)
            return
        for future, turn in zip(futures, turns, strict=True):
            if not future.done():  # (a request cancelled meanwhile leaves its place unused)
                future.set_result(turn)

    async def _turns(self, tenant: str, asking: int) -> list[Turn]:
        if self._redis is not None and time.monotonic() >= self._local_until:
            try:
                turns = await self.book(tenant, asking)
            except (RedisError, OSError) as exc:
                if self._local_until == 0.0:
                    log.warning(
                        "ServiceTitan rate limit: Redis does not answer (%s); each process counts its own "
                        "requests (together they may exceed the tenant's budget) and asks Redis again in "
                        "%.0f s",
                        exc,
                        FALLBACK_SECONDS,
                    )
                self._local_until = time.monotonic() + FALLBACK_SECONDS
            else:
                if self._local_until:
                    log.warning("ServiceTitan rate limit: Redis answers again; shared by every process")
                    self._local_until = 0.0
                return turns
        return [await self._local_turn(tenant) for _ in range(asking)]

    async def book(self, tenant: str, asking: int) -> list[Turn]:
        """`asking` requests' turns from the shared schedule in Redis (one round trip): each booked with its
        wait, and one not booked (with how long until it may ask again) where the schedule is full."""
        answer = await self._reserve_script(
            keys=[f"{self.key_prefix}:{tenant}"],
            args=[self.per_second, 1000, int(MAX_AHEAD * 1000), asking],
        )
        now_ms, booked = int(answer[0]), int(answer[1])
        # (the moment as one division of whole milliseconds: two moments booked a period apart are exactly
        # that far apart as floats too)
        turns = [Turn(int(ms) / 1000, True, (now_ms + int(ms)) / 1000) for ms in answer[2 : 2 + booked]]
        if booked < asking:
            rest = Turn(max(0.005, int(answer[2 + booked]) / 1000), False, now_ms / 1000)
            turns += [rest] * (asking - booked)
        return turns

    async def _local_turn(self, tenant: str) -> Turn:
        if await self.local.hit(self.item, "tenant", tenant):
            return Turn(0.0, True, time.time())
        reset = (await self.local.get_window_stats(self.item, "tenant", tenant)).reset_time
        return Turn(min(MAX_WAIT, max(0.005, reset - time.time())), False, time.time())


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
        await self.limiter.aclose()
