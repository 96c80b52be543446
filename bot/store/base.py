"""The store interface every part of the bot persists through, and the record format both stores share.

A key is a (namespace, key) pair. A value is a JSON object (a dict) saved together with a revision number
and the store's schema version. Revisions only ever grow and a revision is never reused for a key, not even
after the key was deleted or expired and saved again, nor (in Redis) after the store lost data and its
counter with it (a restart empty, an older snapshot, a failover: redis_store.py); a `compare_and_set`
holding a stale revision can therefore never succeed by accident.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import uuid
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, TypeAlias, TypeVar

log = logging.getLogger("bot.store")
_T = TypeVar("_T")

SCHEMA_VERSION = 1
"""Version of the record format; records of another version are treated as absent."""

JSON: TypeAlias = Any
"""Any JSON-serialisable value (dict, list, str, number, bool, None); checked when it is saved."""


class StoreError(Exception):
    """The store failed for a reason other than bad input (a Redis error, say)."""


class StoreUnavailable(StoreError):
    """The store's server cannot be reached or did not answer in time; the operation may be retried."""


@dataclass(frozen=True, slots=True)
class Record:
    """A stored value and its revision; pass `rev` to `compare_and_set` to change the value safely."""

    value: dict[str, Any]
    rev: int


@dataclass(frozen=True, slots=True)
class Write:
    """One write of `Store.write_many`: a save of `value_json` (an encoded JSON object, `encode_value`)
    with `ttl` (only if the record's revision is `expected_rev`, when that is given: a compare-and-set),
    a delete when `value_json` is None, or a guard (`Write.once`) when `guard` is set."""

    namespace: str
    key: str
    value_json: str | None
    ttl: float | None = None
    expected_rev: int | None = None
    guard: bool = False

    @classmethod
    def save(cls, *, namespace: str, key: str, value: dict[str, Any], ttl: float | None) -> Write:
        """A save, its arguments checked now (as `Store.save` checks them)."""
        return cls(check_name("namespace", namespace), check_key(key), encode_value(value), check_ttl(ttl))

    @classmethod
    def compare_and_set(
        cls, *, namespace: str, key: str, expected_rev: int, value: dict[str, Any], ttl: float | None
    ) -> Write:
        write = cls.save(namespace=namespace, key=key, value=value, ttl=ttl)
        return cls(write.namespace, write.key, write.value_json, write.ttl, check_rev(expected_rev))

    @classmethod
    def delete(cls, *, namespace: str, key: str) -> Write:
        return cls(check_name("namespace", namespace), check_key(key), None)

    @classmethod
    def once(cls, *, namespace: str, key: str, ttl: float | None) -> Write:
        """A guard of its batch: the empty record `add_once` creates, created with the batch's other writes
        only if there is none; when there is one, nothing of the batch is written (every revision 0)."""
        return cls(check_name("namespace", namespace), check_key(key), "{}", check_ttl(ttl), guard=True)


@dataclass(frozen=True, slots=True)
class Entry:
    """An entry for one of the store's logs (append-only, by age: in Redis the stream `{prefix}:{log}`,
    XADD dropping the entries older than `max_age_ms` as it arrives), sent with writes (`write_logged`).
    `once`: its idempotency id: an entry is added to its log at most once per id for `max_age_ms` (a batch
    retried after a lost reply, the same entry sent again after a failure, or by another process)."""

    log: str
    fields: dict[str, str]
    max_age_ms: int
    once: str

    @classmethod
    def of(cls, *, log: str, fields: dict[str, str], max_age_ms: int, once: str | None = None) -> Entry:
        if not fields or not all(isinstance(k, str) and isinstance(v, str) for k, v in fields.items()):
            raise TypeError("a log entry's fields must be a non-empty dict of strings")
        if isinstance(max_age_ms, bool) or not isinstance(max_age_ms, int) or max_age_ms <= 0:
            raise ValueError(f"max_age_ms must be a positive int, got {max_age_ms!r}")
        if "#" in log:  # in Redis `{prefix}:{log}#{once}` notes an entry added (redis_store.py)
            raise ValueError(f"a log's name must not contain '#', got {log!r}")
        return cls(
            check_name("log", log), dict(fields), max_age_ms, check_name("once", once or uuid.uuid4().hex)
        )


@dataclass(slots=True)
class _Behind:
    """The writes a `write_behind` block of `store` queued, until it ends (`open` False)."""

    store: Store
    writes: list[Write] = field(default_factory=list)
    open: bool = True


# The block of the running task (and of the tasks it starts, which copy its context), if any.
_BEHIND: ContextVar[_Behind | None] = ContextVar("store_write_behind", default=None)


class GuardRefused(Exception):
    """A batch carried a guard whose record was there already (another worker has the work): nothing of it
    was written. Not a StoreError: the store did what was asked."""

    def __init__(self, guard: Guard) -> None:
        super().__init__(f"{guard.once.namespace}:{guard.once.key} belongs to another worker")
        self.guard = guard


class Guard:
    """Work that goes ahead only when no other worker does it (an event Slack delivered to two processes):
    the record `once` (a `Write.once`) that the first of them creates. Inside `store.guarded(guard)` the
    guard travels with the first batch the work writes (`write_many`, `write_logged`, and what goes through
    them: `write_now`, the end of a `write_behind` block), which is applied only when the record is absent
    (and creates it): a worker that finds it writes nothing and gets GuardRefused, and the guard costs no
    round trip of its own. Work that writes no batch asks on its own before it shows anything (`settle`).

    Single saves, deletes and compare-and-sets outside a write_behind block don't carry it (a cached load
    that other work shares must not fail with this work). When the store fails on the batch carrying it,
    or doesn't answer `settle` within `wait` seconds, the work is taken as this worker's: it meets the
    store's failure anyway, and its user hears of it once."""

    def __init__(self, store: Store, *, namespace: str, key: str, ttl: float | None, wait: float) -> None:
        self.store = store
        self.once = Write.once(namespace=namespace, key=key, ttl=ttl)
        self.wait = wait
        self.passed: bool | None = None  # None: not known yet
        self.lock = asyncio.Lock()  # the batch or question carrying the guard is answered before the next

    async def settle(self) -> bool:
        """Whether the work is this worker's: known once a batch carried the guard, else asked on its own
        (`add_once`, one round trip)."""
        async with self.lock:
            if self.passed is None:
                once = self.once
                try:
                    self.passed = await asyncio.wait_for(
                        self.store.add_once(namespace=once.namespace, key=once.key, ttl=once.ttl), self.wait
                    )
                except (StoreError, TimeoutError) as exc:
                    log.warning(
                        "guard %s without the store (%s): %s", once.namespace, type(exc).__name__, exc
                    )
                    self.passed = True
        return self.passed

    async def carried(self, batch: Awaitable[_T], created: Callable[[_T], int | None]) -> _T:
        """The answer of `batch`, which carries the guard (`created`: the guard's revision in it, 0 when
        its record was there); GuardRefused when it was."""
        try:
            answer = await batch
        except BaseException:
            self.passed = True  # unknown: the work goes on as this worker's, to meet the store's failure
            raise
        self.passed = bool(created(answer))
        self.check()
        return answer

    def check(self) -> None:
        if self.passed is False:
            raise GuardRefused(self)


# The guard of the running task's `guarded` block (and of the tasks it starts), if any.
_GUARD: ContextVar[Guard | None] = ContextVar("store_guard", default=None)


class Store(ABC):
    """Keyed JSON records with revisions, TTLs and atomic transitions.

    Every method is keyword-only. `ttl` is in seconds (fractions allowed) and must be given: a positive
    number, or None for a key that must never expire (alert cursors).
    """

    local_cache_seconds: float = 0.0
    """How long `cached()` may keep a value in this process in front of the store (0: never). Worth it
    only for a store across the network (Redis): it saves a round trip per read of reference data."""

    @abstractmethod
    async def load(self, *, namespace: str, key: str) -> Record | None:
        """The record at (namespace, key), or None when there is none (or it expired)."""

    @abstractmethod
    async def save(self, *, namespace: str, key: str, value: dict[str, Any], ttl: float | None) -> int:
        """Store `value` unconditionally, replacing any record and its TTL; returns the new revision."""

    @abstractmethod
    async def delete(self, *, namespace: str, key: str) -> None:
        """Remove the record if there is one."""

    @abstractmethod
    async def compare_and_set(
        self, *, namespace: str, key: str, expected_rev: int, value: dict[str, Any], ttl: float | None
    ) -> bool:
        """Atomically replace the record if its revision is still `expected_rev`.

        False when the revision differs or the record is gone; then nothing is written.
        """

    @abstractmethod
    async def add_once(
        self, *, namespace: str, key: str, ttl: float | None, writer: str | None = None
    ) -> bool:
        """Create an empty record unless one exists; True only for the first caller (event dedupe).
        `writer`: the caller's token, the same when it asks again: an earlier call of it that created the
        record (its answer lost or late) makes this one True too."""

    async def write_many(self, writes: Sequence[Write]) -> list[int | None]:
        """Apply `writes` in order, at once for other clients (one round trip and one script in Redis);
        the new revision of each save (0 for a compare-and-set whose revision did not match: nothing
        written), None for each delete. A batch holding a `Write.once` whose record exists writes nothing
        (every revision 0). Inside a `guarded` block, the first batch carries its guard. Not queued by
        `write_behind`."""
        guard = _GUARD.get()
        if guard is None or guard.store is not self or guard.passed or not writes:
            return await self._write_many(writes)
        async with guard.lock:
            if guard.passed is None:
                revs = await guard.carried(self._write_many([guard.once, *writes]), lambda revs: revs[0])
                return revs[1:]
        guard.check()
        return await self._write_many(writes)

    async def write_logged(self, writes: Sequence[Write], entry: Entry) -> tuple[list[int | None], str]:
        """`write_many(writes)` and `entry` added to its log, in one round trip (one script in Redis: at
        once for other clients); the revisions as `write_many` answers them and the entry's id. An entry
        whose idempotency id (`Entry.once`) was added already is not added again: its id is the one it was
        added with ('' and no entry when a `Write.once` of the batch found its record). Carries the guard of
        a `guarded` block as `write_many` does. Not queued by `write_behind`."""
        guard = _GUARD.get()
        if guard is None or guard.store is not self or guard.passed or not writes:
            return await self._write_logged(writes, entry)
        async with guard.lock:
            if guard.passed is None:
                batch = self._write_logged([guard.once, *writes], entry)
                revs, entry_id = await guard.carried(batch, lambda answer: answer[0][0])
                return revs[1:], entry_id
        guard.check()
        return await self._write_logged(writes, entry)

    @abstractmethod
    async def _write_many(self, writes: Sequence[Write]) -> list[int | None]:
        """What `write_many` answers, without a guarded block's guard (the store's own script)."""

    @abstractmethod
    async def _write_logged(self, writes: Sequence[Write], entry: Entry) -> tuple[list[int | None], str]:
        """What `write_logged` answers, without a guarded block's guard (the store's own script)."""

    @contextmanager
    def guarded(self, guard: Guard) -> Iterator[None]:
        """A block of work (of this task, and of the tasks it starts meanwhile) whose first batch of writes
        to this store carries `guard` (see `Guard`)."""
        if guard.store is not self:
            raise ValueError("a guard goes with the batches of its own store")
        token = _GUARD.set(guard)
        try:
            yield
        finally:
            _GUARD.reset(token)

    @contextmanager
    def alone(self) -> Iterator[None]:
        """A block (of this task, and of the tasks it starts meanwhile) whose writes go at once and on
        their own: no guard of a `guarded` block rides on them and no `write_behind` block queues them or
        hands them its queue. For work shared by others (a cached load other turns wait for): it must
        neither fail with one turn's guard nor carry that turn's writes."""
        guard, behind = _GUARD.set(None), _BEHIND.set(None)
        try:
            yield
        finally:
            _BEHIND.reset(behind)
            _GUARD.reset(guard)

    async def settle_guard(self) -> None:
        """Before an effect outside the store (a message sent elsewhere): GuardRefused when the guard of
        the running `guarded` block is another worker's (asked on its own when no batch has carried it)."""
        guard = _GUARD.get()
        if guard is not None and guard.store is self and not await guard.settle():
            raise GuardRefused(guard)

    @abstractmethod
    async def log_entries(self, log: str) -> list[tuple[str, dict[str, str]]]:
        """The entries kept in `log`, oldest first, as (id, fields)."""

    @asynccontextmanager
    async def write_behind(self) -> AsyncIterator[None]:
        """A block whose `save` and `delete` calls on this store (of this task, and of tasks it starts
        meanwhile) are queued and applied together by `write_many` when it ends, in order: one round trip
        instead of one each. Inside it `save` returns 0 (no revision yet) and a load sees the store as it
        was; bad arguments still fail at the call, a store failure at the end of the block. Writes that
        arrive after the end go straight to the store. A `compare_and_set` inside sends the writes queued
        so far together with it (still one round trip) and answers as usual. Blocks do not nest."""
        current = _BEHIND.get()
        if current is not None and current.open:
            raise RuntimeError("store write_behind blocks do not nest")
        behind = _Behind(self)
        token = _BEHIND.set(behind)
        try:
            yield
        finally:
            behind.open = False
            _BEHIND.reset(token)
            if behind.writes:
                await self.write_many(behind.writes)

    async def write_now(self, write: Write) -> int:
        """`write` (a save or a compare-and-set) sent at once, together with the writes queued before it in
        an open `write_behind` block of this store (one round trip); its new revision, 0 for a
        compare-and-set that found another revision (nothing written). What `compare_and_set` answers as a
        bool, with the revision to compare against next (no load needed to learn it)."""
        revs = await self.write_many([*self._take_queued(write), write])
        return revs[-1] or 0

    async def write_now_logged(self, write: Write, entry: Entry) -> tuple[int, str]:
        """`write_now(write)` with `entry` added to its log in the same round trip (`write_logged`): the
        new revision (0: nothing written) and the entry's id."""
        revs, entry_id = await self.write_logged([*self._take_queued(write), write], entry)
        return revs[-1] or 0, entry_id

    async def log_now(self, entry: Entry) -> str:
        """`entry` added to its log at once, with the writes queued so far in an open `write_behind` block
        of this store (`write_logged`: one round trip); the entry's id."""
        return (await self.write_logged(self._take_queued(None), entry))[1]

    def _take_queued(self, write: Write | None) -> list[Write]:
        if write is not None and write.value_json is None:
            raise ValueError("write_now takes a save or a compare-and-set, not a delete")
        behind = _BEHIND.get()
        queued: list[Write] = []
        if behind is not None and behind.open and behind.store is self and behind.writes:
            queued, behind.writes = behind.writes, []
        return queued

    async def _with_queued(self, write: Write) -> bool | None:
        """`write` (a compare-and-set) sent with the writes queued before it in an open `write_behind`
        block of this store: whether it succeeded; None when nothing is queued here (send it alone)."""
        behind = _BEHIND.get()
        if behind is None or not behind.open or behind.store is not self or not behind.writes:
            return None
        return bool(await self.write_now(write))

    def _queued(self, write: Write) -> bool:
        """Queue `write` when a `write_behind` block of this store is open here; False otherwise."""
        behind = _BEHIND.get()
        if behind is None or not behind.open or behind.store is not self:
            return False
        behind.writes.append(write)
        return True

    @abstractmethod
    async def aclose(self) -> None:
        """Release connections; the store is not used afterwards."""

    async def __aenter__(self) -> Store:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()


def check_name(what: str, name: str) -> str:
    """Validate a namespace or key prefix: a non-empty string without ':' (the separator in Redis keys)."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"store {what} must be a non-empty string, got {name!r}")
    if ":" in name:
        raise ValueError(f"store {what} must not contain ':', got {name!r}")
    return name


def check_key(key: str) -> str:
    """Validate a key: any non-empty string (colons allowed: `team:channel:thread:user`)."""
    if not isinstance(key, str) or not key:
        raise ValueError(f"store key must be a non-empty string, got {key!r}")
    return key


def check_ttl(ttl: float | None) -> float | None:
    """Validate a TTL in seconds: None (never expires) or a finite positive number."""
    if ttl is None:
        return None
    if isinstance(ttl, bool) or not isinstance(ttl, int | float):
        raise TypeError(f"ttl must be a number of seconds or None, got {ttl!r}")
    if not math.isfinite(ttl) or ttl <= 0:
        raise ValueError(f"ttl must be a positive number of seconds or None, got {ttl!r}")
    return float(ttl)


def check_rev(rev: int) -> int:
    if isinstance(rev, bool) or not isinstance(rev, int):
        raise TypeError(f"expected_rev must be an int, got {rev!r}")
    return rev


def encode_value(value: dict[str, Any]) -> str:
    """The value as compact JSON; TypeError/ValueError when it is not a JSON object."""
    if not isinstance(value, dict):
        raise TypeError(f"a stored value must be a dict, got {type(value).__name__}")
    try:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except ValueError as exc:  # NaN or infinity
        raise ValueError(f"a stored value must be valid JSON: {exc}") from exc


def encode_record(*, schema: int, rev: int, value_json: str, writer: str = "") -> str:
    """The stored document: `{"schema": ..., "rev": ..., "writer": ..., "value": {...}}` as JSON text."""
    return f'{{"schema":{schema},"rev":{rev},"writer":{json.dumps(writer)},"value":{value_json}}}'


def decode_record(raw: str | bytes, *, schema: int, where: str) -> Record | None:
    """Parse a stored document; None (with a log line) when it is unreadable or of another schema version."""
    try:
        doc = json.loads(raw)
    except ValueError:
        log.warning("store: %s holds unreadable data; treating it as absent", where)
        return None
    if not isinstance(doc, dict) or doc.get("schema") != schema:
        found = doc.get("schema") if isinstance(doc, dict) else None
        log.warning(
            "store: %s has schema version %r, expected %r; treating it as absent", where, found, schema
        )
        return None
    value, rev = doc.get("value"), doc.get("rev")
    if not isinstance(value, dict) or isinstance(rev, bool) or not isinstance(rev, int):
        log.warning("store: %s holds a malformed record; treating it as absent", where)
        return None
    return Record(value=value, rev=rev)
