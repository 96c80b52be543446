"""The audit trail: one record per ServiceTitan write the bot attempted, kept for a while.

Who asked in Slack, what (the operation and its arguments), before → after as the card showed it, and
what ServiceTitan answered. The records are the store's log "audit" (`StoreAuditLog`; with Redis a stream,
`{prefix}:audit`, XADD with MINID trimming: entries older than `max_age_days` are dropped as new ones
arrive), so a write's record can go to Redis in the same script as the conversation's outcome
(`StoreAuditLog.entry`, `Store.write_now_logged`): one round trip, and the record is there exactly when the
outcome is. Without a store, the last few thousand in this process's memory. Recording never fails a
write: a store that doesn't answer costs a warning in the log, and the entry is logged in full instead.
"""

from __future__ import annotations

import json
import logging
import time
from collections import deque
from typing import Any, Protocol

from bot.store.base import Entry, Store, StoreError
from bot.store.redis_store import RedisStore

log = logging.getLogger("bot.store.audit")

AUDIT_DAYS = 90
AUDIT_TIMEOUT = 0.5
MEMORY_ENTRIES = 5000
LOG = "audit"  # the store's log of the records (in Redis: `{prefix}:audit`)


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


def logged(entry_id: str | None, entry: dict[str, Any], why: object) -> str | None:
    """`entry_id`, or None with the entry logged in full when it could not be kept (`why`)."""
    if not entry_id:
        log.warning("audit record not kept (%s): %s", why, json.dumps(entry, default=str))
        return None
    return entry_id


class StoreAuditLog:
    """The records as the log "audit" of `store` (closed with this log when `owned`)."""

    def __init__(self, store: Store, *, max_age_days: float = AUDIT_DAYS, owned: bool = False) -> None:
        self.store = store
        self.max_age_ms = int(max_age_days * 86_400_000)
        self.owned = owned

    def entry(self, entry: dict[str, Any]) -> Entry:
        """The record as an entry to send with a write of this store (`Store.write_now_logged`)."""
        return Entry.of(log=LOG, fields=_fields(entry), max_age_ms=self.max_age_ms)

    async def record(self, entry: dict[str, Any]) -> str | None:
        try:
            _, entry_id = await self.store.write_logged([], self.entry(entry))
        except (StoreError, OSError) as exc:
            return logged(None, entry, exc)
        return logged(entry_id, entry, "no id")

    async def entries(self) -> list[tuple[str, dict[str, str]]]:
        return await self.store.log_entries(LOG)

    async def aclose(self) -> None:
        if self.owned:
            await self.store.aclose()


class RedisAuditLog(StoreAuditLog):
    """The records in Redis at `url`, on a store of their own (short time-outs)."""

    def __init__(self, url: str, *, prefix: str = "stbot", max_age_days: float = AUDIT_DAYS) -> None:
        store = RedisStore(url, prefix=prefix, timeout=AUDIT_TIMEOUT, connect_timeout=AUDIT_TIMEOUT)
        super().__init__(store, max_age_days=max_age_days, owned=True)
        self.key = f"{prefix}:{LOG}"


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


def open_audit(store: Store) -> AuditLog:
    """The audit log the bot keeps in its store (Redis whenever REDIS_URL is set; memory otherwise)."""
    return StoreAuditLog(store)
