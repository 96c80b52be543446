"""The audit trail: one record per ServiceTitan write the bot attempted, kept for a while.

Who asked in Slack, what (the operation and its arguments), before → after as the card showed it, and
what ServiceTitan answered. With Redis the records are a stream (`{prefix}:audit`, XADD with MINID
trimming: entries older than `max_age_days` are dropped as new ones arrive); without it, the last few
thousand in this process's memory. Recording never fails a write: a store that doesn't answer costs a
warning in the log, and the entry is logged in full instead.
"""

from __future__ import annotations

import json
import logging
import time
from collections import deque
from typing import Any, Protocol

import redis.asyncio as aioredis
from redis.exceptions import RedisError

log = logging.getLogger("bot.store.audit")

AUDIT_DAYS = 90
AUDIT_TIMEOUT = 0.5
MEMORY_ENTRIES = 5000


class AuditLog(Protocol):
    async def record(self, entry: dict[str, Any]) -> str | None:
        """Append one entry; its id, or None when it could not be kept."""
        ...

    async def entries(self) -> list[tuple[str, dict[str, str]]]:
        """Every kept entry, oldest first, as (id, fields)."""
        ...

    async def aclose(self) -> None: ...


def _fields(entry: dict[str, Any]) -> dict[str, str]:
    return {k: v if isinstance(v, str) else json.dumps(v, default=str) for k, v in entry.items()}


class RedisAuditLog:
    def __init__(self, url: str, *, prefix: str = "stbot", max_age_days: float = AUDIT_DAYS) -> None:
        self.key = f"{prefix}:audit"
        self.max_age_ms = int(max_age_days * 86_400_000)
        self._redis = aioredis.Redis.from_url(
            url, socket_timeout=AUDIT_TIMEOUT, socket_connect_timeout=AUDIT_TIMEOUT, decode_responses=True
        )

    async def record(self, entry: dict[str, Any]) -> str | None:
        oldest = int(time.time() * 1000) - self.max_age_ms
        try:
            return str(await self._redis.xadd(self.key, _fields(entry), minid=oldest, approximate=False))  # type: ignore[arg-type]
        except (RedisError, OSError) as exc:
            log.warning("audit record not kept (Redis: %s): %s", exc, json.dumps(entry, default=str))
            return None

    async def entries(self) -> list[tuple[str, dict[str, str]]]:
        found: Any = await self._redis.xrange(self.key)
        return [(str(i), {str(k): str(v) for k, v in (f or {}).items()}) for i, f in found or []]

    async def aclose(self) -> None:
        await self._redis.aclose()


class MemoryAuditLog:
    def __init__(self, *, max_age_days: float = AUDIT_DAYS, clock: Any = time.time) -> None:
        self._entries: deque[tuple[str, float, dict[str, str]]] = deque(maxlen=MEMORY_ENTRIES)
        self.max_age = max_age_days * 86_400
        self.clock = clock
        self._seq = 0

    async def record(self, entry: dict[str, Any]) -> str | None:
        now = self.clock()
        while self._entries and self._entries[0][1] < now - self.max_age:
            self._entries.popleft()
        self._seq += 1
        entry_id = f"{int(now * 1000)}-{self._seq}"
        self._entries.append((entry_id, now, _fields(entry)))
        return entry_id

    async def entries(self) -> list[tuple[str, dict[str, str]]]:
        return [(i, dict(f)) for i, _, f in self._entries]

    async def aclose(self) -> None:
        return None


def open_audit(redis_url: str | None, *, prefix: str = "stbot") -> AuditLog:
    return RedisAuditLog(redis_url, prefix=prefix) if redis_url else MemoryAuditLog()
