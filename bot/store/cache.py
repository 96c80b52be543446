"""Reference data cached in the store (technicians, reasons, job types, business units, arrival windows).

`cached` serves a value from the store until its TTL runs out and loads it again afterwards. Callers that
ask for the same key at the same time in one process share one load: the first starts it, the others wait
for it. A cache is not worth failing for, so when the store is unavailable the data is loaded directly
(and a warning logged); an error of `load` itself reaches every waiting caller and nothing is stored.

In front of a store across the network (`Store.local_cache_seconds` > 0: Redis from `open_store`) a value
is also kept in this process for that long (never longer than its TTL), so the reads of every message
(staff lists, reference lists, Slack profiles) cost no round trip. Such a value is shared by the callers
of this process: they read it and never change it. `forget_cached` drops a value here and in the store;
another process sees the change within `local_cache_seconds`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import weakref
from collections.abc import Awaitable, Callable

from bot.store.base import JSON, Store, StoreUnavailable, Write, check_ttl

log = logging.getLogger("bot.store.cache")

# Loads in flight, per store and (namespace, key). Weak, so a store that is dropped takes its entry along.
_in_flight: weakref.WeakKeyDictionary[Store, dict[tuple[str, str], asyncio.Task[JSON]]] = (
    weakref.WeakKeyDictionary()
)
_clock = time.monotonic  # seconds; tests replace it
# Values kept in process, per store and (namespace, key): (monotonic time it expires, the value).
_local: weakref.WeakKeyDictionary[Store, dict[tuple[str, str], tuple[float, JSON]]] = (
    weakref.WeakKeyDictionary()
)


async def cached(
    store: Store,
    *,
    namespace: str,
    key: str,
    ttl: float,
    load: Callable[[], Awaitable[JSON]],
    keep_local: bool = True,
    usable: Callable[[JSON], bool] | None = None,
) -> JSON:
    """The JSON value cached at (namespace, key), calling `load` and caching its result when absent.
    `keep_local=False`: never kept in process (a value every process must see dropped at once).
    `usable`: whether a stored value may still be served (else it is loaded again and replaced, only if
    nobody replaced it meanwhile: a drop written while `load` ran wins over the value it read, also for a
    key that was absent). Values kept in process are not asked: pass `keep_local=False` with it."""
    if usable is not None and keep_local:
        raise ValueError("a value others may drop (usable) is never kept in process: keep_local=False")
    check_ttl(ttl)  # a bad TTL fails here, not after a ServiceTitan call
    keep = min(ttl, store.local_cache_seconds) if keep_local else 0.0
    kept = _local.get(store)
    if keep > 0 and kept is not None:
        hit = kept.get((namespace, key))
        if hit is not None and hit[0] > _clock():
            return hit[1]
    loads = _in_flight.setdefault(store, {})
    task = loads.get((namespace, key))
    if task is None or task.get_loop() is not asyncio.get_running_loop():
        with store.alone():  # shared by every caller: none's guard or queued writes go with its writes
            task = asyncio.ensure_future(
                _load_through(store, namespace=namespace, key=key, ttl=ttl, load=load, usable=usable)
            )
        loads[(namespace, key)] = task
        task.add_done_callback(lambda done: _finished(store, (namespace, key), done))
    # shield: one caller giving up (cancelled) must not cancel the load the others are waiting for.
    data = await asyncio.shield(task)
    _keep(store, namespace, key, keep, data)
    return data


async def peek_cached(store: Store, *, namespace: str, key: str, ttl: float) -> JSON | None:
    """The value `cached` would serve at (namespace, key) without loading it: kept in process, else from
    the store (then kept, as `cached` keeps it); None when there is none (or the store is unavailable)."""
    check_ttl(ttl)
    keep = min(ttl, store.local_cache_seconds)
    kept = _local.get(store)
    if keep > 0 and kept is not None:
        hit = kept.get((namespace, key))
        if hit is not None and hit[0] > _clock():
            return hit[1]
    try:
        record = await store.load(namespace=namespace, key=key)
    except StoreUnavailable as exc:
        log.warning("cache %s:%s: store unavailable: %s", namespace, key, exc)
        return None
    if record is None or "data" not in record.value:
        return None
    data = record.value["data"]
    _keep(store, namespace, key, keep, data)
    return data


async def put_cached(store: Store, *, namespace: str, key: str, ttl: float, data: JSON) -> JSON:
    """Cache `data` at (namespace, key) for `cached` and `peek_cached` to serve: saved in the store with a
    plain save (replacing whatever is there, a drop written meanwhile too: not for a value others may
    drop, see `cached`'s `usable`) and kept in process; `data` as JSON gives it back (tuples as lists)."""
    check_ttl(ttl)
    data = _as_json(data)
    try:
        await store.save(namespace=namespace, key=key, value={"data": data}, ttl=ttl)
    except StoreUnavailable as exc:
        log.warning("cache %s:%s: store unavailable, not cached: %s", namespace, key, exc)
    _keep(store, namespace, key, min(ttl, store.local_cache_seconds), data)
    return data


def _keep(store: Store, namespace: str, key: str, keep: float, data: JSON) -> None:
    if keep > 0:
        kept = _local.setdefault(store, {})
        if len(kept) >= LOCAL_MAX_ENTRIES:
            _sweep(kept)
        kept[(namespace, key)] = (_clock() + keep, data)


LOCAL_MAX_ENTRIES = 10_000
"""Values kept in process per store; beyond it the expired ones go, then the oldest half."""


def _sweep(kept: dict[tuple[str, str], tuple[float, JSON]]) -> None:
    now = _clock()
    for slot in [slot for slot, (expires, _) in kept.items() if expires <= now]:
        del kept[slot]
    if len(kept) >= LOCAL_MAX_ENTRIES:
        for slot in list(kept)[: len(kept) // 2]:  # insertion order: the oldest first
            del kept[slot]


async def forget_cached(store: Store, *, namespace: str, key: str) -> None:
    """Drop the value cached at (namespace, key), in this process and in the store."""
    kept = _local.get(store)
    if kept is not None:
        kept.pop((namespace, key), None)
    await store.delete(namespace=namespace, key=key)


async def _load_through(
    store: Store,
    *,
    namespace: str,
    key: str,
    ttl: float,
    load: Callable[[], Awaitable[JSON]],
    usable: Callable[[JSON], bool] | None = None,
) -> JSON:
    try:
        record = await store.load(namespace=namespace, key=key)
    except StoreUnavailable as exc:
        log.warning("cache %s:%s: store unavailable, loading directly: %s", namespace, key, exc)
        return _as_json(await load())
    if record is not None and "data" in record.value and (usable is None or usable(record.value["data"])):
        return record.value["data"]
    rev = record.rev if record is not None else None
    if rev is None and usable is not None:
        # A value others may drop (`usable`): a stand-in first, so that a drop written while `load` runs
        # replaces it and the compare-and-set below fails (a plain save after the load would put the
        # answer read before that change back, for as long as the key lives).
        try:
            stand_in = Write.save(namespace=namespace, key=key, value={"loading": True}, ttl=ttl)
            rev = await store.write_now(stand_in)
        except StoreUnavailable as exc:
            log.warning("cache %s:%s: store unavailable, loading directly: %s", namespace, key, exc)
            return _as_json(await load())
    data = _as_json(await load())
    try:
        if rev is None:
            await store.save(namespace=namespace, key=key, value={"data": data}, ttl=ttl)
        else:  # replaces what was there (a drop, a stand-in, a value no longer usable) unless it changed
            await store.compare_and_set(
                namespace=namespace, key=key, expected_rev=rev, value={"data": data}, ttl=ttl
            )
    except StoreUnavailable as exc:
        log.warning("cache %s:%s: store unavailable, not cached: %s", namespace, key, exc)
    return data


def _as_json(data: JSON) -> JSON:
    """`data` as it will come back from the store (tuples as lists), so a miss and a hit look the same."""
    try:
        return json.loads(json.dumps(data, allow_nan=False))
    except ValueError as exc:
        raise ValueError(f"cached data must be valid JSON: {exc}") from exc


def _finished(store: Store, slot: tuple[str, str], task: asyncio.Task[JSON]) -> None:
    loads = _in_flight.get(store)
    if loads is not None and loads.get(slot) is task:
        del loads[slot]
    if not task.cancelled():
        task.exception()  # retrieved here so an error nobody waits for any more is not reported twice
