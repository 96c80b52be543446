"""The audit trail: one record per ServiceTitan write the bot attempted, kept for a while.

Who asked in Slack, what (the operation and its arguments), before → after as the card showed it, and
what ServiceTitan answered. The records are the store's log "audit" (`StoreAuditLog`; with Redis a stream,
`{prefix}:audit`, XADD with MINID trimming: entries older than `max_age_days` are dropped as new ones
arrive), so a write's record can go to Redis in the same script as the conversation's outcome
(`StoreAuditLog.entry`, `Store.write_now_logged`): one round trip, and the record is there exactly when the
outcome is. Without a store, the last few thousand in this process's memory. A write's record carries an
idempotency id (its claim's token), so it is kept once however often it is sent (a retry after a lost
reply, sent again after a store failure, or recorded by the turn that settles a dead claim). Recording never
fails a write: a store that doesn't answer costs a warning in the log, and the entry is logged in full.
"""

from __future__ import annotations

import json
import logging
import time
from collections import deque
from typing import Any, Protocol

from bot.store.base import Entry, Store, StoreError

log = logging.getLogger("bot.store.audit")

AUDIT_DAYS = 90
MEMORY_ENTRIES = 5000
LOG = "audit"  # the store's log of the records (in Redis: `{prefix}:audit`)


class AuditLog(Protocol):
    async def record(self, entry: dict[str, Any], *, once: str | None = None) -> str | None:
        """Append one entry; its id, or None when it could not be kept. `once`: its idempotency id (an
        entry recorded with it already is not recorded again: the id is the one it was kept as)."""
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

    def entry(self, entry: dict[str, Any], *, once: str | None = None) -> Entry:
        """The record as an entry to send with a write of this store (`Store.write_now_logged`)."""
        return Entry.of(log=LOG, fields=_fields(entry), max_age_ms=self.max_age_ms, once=once)

    async def record(self, entry: dict[str, Any], *, once: str | None = None) -> str | None:
        try:
            _, entry_id = await self.store.write_logged([], self.entry(entry, once=once))
        except (StoreError, OSError) as exc:
            return logged(None, entry, exc)
        return logged(entry_id, entry, "no id")

    async def entries(self) -> list[tuple[str, dict[str, str]]]:
        return await self.store.log_entries(LOG)

    async def aclose(self) -> None:
        if self.owned:
            await self.store.aclose()


class MemoryAuditLog:
    def __init__(self, *, max_age_days: float = AUDIT_DAYS, clock: Any = time.time) -> None:
        self._entries: deque[tuple[str, float, dict[str, str]]] = deque(maxlen=MEMORY_ENTRIES)
        self.max_age = max_age_days * 86_400
        self.clock = clock
        self._seq = 0
        self._once: dict[str, str] = {}  # idempotency id -> the entry's id, while it is kept

    async def record(self, entry: dict[str, Any], *, once: str | None = None) -> str | None:
        now = self.clock()
        while self._entries and self._entries[0][1] < now - self.max_age:
            self._entries.popleft()
        if (
            once is not None
            and (added := self._once.get(once))
            and any(i == added for i, _, _ in self._entries)
        ):
            return added
        self._seq += 1
        entry_id = f"{int(now * 1000)}-{self._seq}"
        self._entries.append((entry_id, now, _fields(entry)))
        if once is not None:
            if len(self._once) >= 2 * MEMORY_ENTRIES:  # drop the ids of entries gone
                kept = {i for i, _, _ in self._entries}
                self._once = {k: v for k, v in self._once.items() if v in kept}
            self._once[once] = entry_id
        return entry_id

    async def entries(self) -> list[tuple[str, dict[str, str]]]:
        return [(i, dict(f)) for i, _, f in self._entries]

    async def aclose(self) -> None:
        return None


def open_audit(store: Store) -> AuditLog:
    """The audit log the bot keeps in its store (Redis whenever REDIS_URL is set; memory otherwise)."""
    return StoreAuditLog(store)
