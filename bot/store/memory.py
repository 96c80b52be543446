"""The in-process store, used when REDIS_URL is unset (the demo, tests) and as the reference behaviour.

Operations never await between reading and writing, so each one is atomic for all tasks of the event loop.
Records are kept as JSON text, exactly like Redis keeps them, so callers get fresh copies and the same
round-trip behaviour (tuples come back as lists) from both stores.
"""

from __future__ import annotations

import itertools
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

from bot.store.base import (
    SCHEMA_VERSION,
    Entry,
    Record,
    Store,
    Write,
    check_key,
    check_name,
    check_ttl,
    decode_record,
    encode_record,
)

_SWEEP_EVERY = 1000
"""Writes between sweeps of expired records (reads drop expired records they meet on their own)."""

LOG_ENTRIES = 5000
"""Entries a log keeps at most in memory (the newest), besides dropping those older than their age."""


class MemoryStore(Store):
    """Records in a dict, with TTLs measured by `clock` (seconds, monotonic; injectable for tests)."""

    def __init__(
        self, *, clock: Callable[[], float] = time.monotonic, schema_version: int = SCHEMA_VERSION
    ) -> None:
        self.schema_version = schema_version
        self._clock = clock
        self._records: dict[tuple[str, str], tuple[str, float | None]] = {}  # -> (document, expires at)
        self._revs = itertools.count(1)
        self._once_writers: dict[
            tuple[str, str], str
        ] = {}  # add_once's record -> its writer (the last 10,000)
        self._writes_since_sweep = 0
        self._logs: dict[str, deque[tuple[int, str, dict[str, str]]]] = {}  # (ms, id, fields)
        self._added: dict[tuple[str, str], str] = {}  # (log, idempotency id) -> the entry's id, while kept
        self._last_id = (0, 0)
        self._wall_ms = lambda: int(time.time() * 1000)  # log entry ids and ages, like Redis's clock

    async def load(self, *, namespace: str, key: str) -> Record | None:
        return self._live(check_name("namespace", namespace), check_key(key))

    async def save(self, *, namespace: str, key: str, value: dict[str, Any], ttl: float | None) -> int:
        write = Write.save(namespace=namespace, key=key, value=value, ttl=ttl)
        if self._queued(write):
            return 0
        return self._write((write.namespace, write.key), str(write.value_json), write.ttl)

    async def delete(self, *, namespace: str, key: str) -> None:
        write = Write.delete(namespace=namespace, key=key)
        if not self._queued(write):
            self._records.pop((write.namespace, write.key), None)

    async def _write_many(self, writes: Sequence[Write]) -> list[int | None]:
        return self._apply(writes)

    def _apply(self, writes: Sequence[Write]) -> list[int | None]:
        """The writes of a batch (no await: at once for every other task); nothing when a guard's record
        is there."""
        for write in writes:
            if write.guard and self._live(check_name("namespace", write.namespace), check_key(write.key)):
                return [None if w.value_json is None else 0 for w in writes]
        revs: list[int | None] = []
        for write in writes:
            slot = (check_name("namespace", write.namespace), check_key(write.key))
            if write.value_json is None:
                self._records.pop(slot, None)
                revs.append(None)
            elif write.expected_rev is not None and (
                (current := self._live(*slot)) is None or current.rev != write.expected_rev
            ):
                revs.append(0)
            else:
                revs.append(self._write(slot, write.value_json, check_ttl(write.ttl)))
        return revs

    async def _write_logged(self, writes: Sequence[Write], entry: Entry) -> tuple[list[int | None], str]:
        revs = self._apply(writes)
        if any(write.guard and not rev for write, rev in zip(writes, revs, strict=True)):
            return revs, ""  # nothing written, nor logged
        log = check_name("log", entry.log)
        kept = self._logs.setdefault(log, deque(maxlen=LOG_ENTRIES))
        now = self._wall_ms()
        while kept and kept[0][0] < now - entry.max_age_ms:
            kept.popleft()
        if (added := self._added.get((log, entry.once))) is not None and any(i == added for _, i, _ in kept):
            return revs, added  # (noted only as long as the entry is kept: at most LOG_ENTRIES per log)
        ms, seq = (now, 0) if now > self._last_id[0] else (self._last_id[0], self._last_id[1] + 1)
        self._last_id = (ms, seq)
        if len(self._added) >= 2 * LOG_ENTRIES * len(self._logs):  # drop the notes of entries gone
            ids = {i for entries in self._logs.values() for _, i, _ in entries}
            self._added = {k: v for k, v in self._added.items() if v in ids}
        kept.append((ms, f"{ms}-{seq}", dict(entry.fields)))
        self._added[(log, entry.once)] = f"{ms}-{seq}"
        return revs, f"{ms}-{seq}"

    async def log_entries(self, log: str) -> list[tuple[str, dict[str, str]]]:
        return [
            (entry_id, dict(fields)) for _, entry_id, fields in self._logs.get(check_name("log", log), ())
        ]

    async def compare_and_set(
        self, *, namespace: str, key: str, expected_rev: int, value: dict[str, Any], ttl: float | None
    ) -> bool:
        write = Write.compare_and_set(
            namespace=namespace, key=key, expected_rev=expected_rev, value=value, ttl=ttl
        )
        together = await self._with_queued(write)
        if together is not None:
            return together
        current = self._live(write.namespace, write.key)
        if current is None or current.rev != expected_rev:
            return False
        self._write((write.namespace, write.key), str(write.value_json), write.ttl)
        return True

    async def add_once(
        self, *, namespace: str, key: str, ttl: float | None, writer: str | None = None
    ) -> bool:
        namespace, key, ttl = check_name("namespace", namespace), check_key(key), check_ttl(ttl)
        if self._live(namespace, key) is not None:
            return writer is not None and self._once_writers.get((namespace, key)) == writer
        self._write((namespace, key), "{}", ttl)
        if writer is not None:
            self._once_writers[(namespace, key)] = writer
            if len(self._once_writers) > 10_000:
                del self._once_writers[next(iter(self._once_writers))]
        return True

    async def aclose(self) -> None:
        self._records.clear()

    def _live(self, namespace: str, key: str) -> Record | None:
        stored = self._records.get((namespace, key))
        if stored is None:
            return None
        document, expires_at = stored
        if expires_at is not None and self._clock() >= expires_at:
            del self._records[(namespace, key)]
            return None
        return decode_record(document, schema=self.schema_version, where=f"memory {namespace}:{key}")

    def _write(self, slot: tuple[str, str], value_json: str, ttl: float | None) -> int:
        rev = next(self._revs)
        expires_at = None if ttl is None else self._clock() + ttl
        document = encode_record(schema=self.schema_version, rev=rev, value_json=value_json)
        self._records[slot] = (document, expires_at)
        self._writes_since_sweep += 1
        if self._writes_since_sweep >= _SWEEP_EVERY:
            self._sweep()
        return rev

    def _sweep(self) -> None:
        now = self._clock()
        expired = [slot for slot, (_, at) in self._records.items() if at is not None and now >= at]
        for slot in expired:
            del self._records[slot]
        self._writes_since_sweep = 0
