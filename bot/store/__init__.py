"""Persistence for the bot: conversations, event dedupe, alert cursors and cached reference data.

Design:
- One interface, `Store` (keyword-only async load/save/delete/compare_and_set/add_once/aclose), with two
  implementations: `RedisStore` (production, whenever REDIS_URL is set) and `MemoryStore` (one process;
  the demo and tests). One contract test suite (tests/store/test_contract.py) runs against both.
- A key is (namespace, key); in Redis `{prefix}:{namespace}:{key}` with prefix "stbot". Namespaces may
  not contain ':', keys may (`team:channel:thread:user`).
- A value is a JSON object stored as `{"schema": 1, "rev": N, "writer": token, "value": {...}}`. A record
  of another schema version (or unreadable) is treated as absent, with a warning in the log, so a deploy
  that changes the format starts those conversations afresh instead of crashing on them.
- Revisions come from one counter per store (`{prefix}:_revs` in Redis, never below Redis's clock in
  microseconds), so they only grow and are never reused for a key, even after a delete or expiry, or Redis
  losing the counter (restarted empty, a snapshot, a failover): a stale `compare_and_set` cannot succeed.
- TTLs are mandatory arguments: a number of seconds, or an explicit None for keys that live forever
  (alert cursors). `save` and `compare_and_set` replace the TTL; None removes it.
- Every Redis write is one Lua script, atomic across processes. redis-py retries a connection error twice;
  a per-call writer token keeps retried compare_and_set/add_once honest (see redis_store.py).
- `write_many` applies several saves and deletes at once (one script in Redis: one round trip);
  `write_behind()` is a block whose saves and deletes are queued and sent that way when it ends (the dialog
  uses it after a write: the outcome, the cache drops and who wrote, in one round trip). `write_now` sends
  a save or compare-and-set with the writes queued so far and answers its new revision (what to compare
  against next, without a load); `write_logged`/`write_now_logged` also add an entry to one of the store's
  logs in the same script (the audit trail: a write's record goes with the conversation's outcome).
- `Write.once` guards its batch: the batch is applied only while the once record is absent (creating it, as
  `add_once` would). A `Guard` in a `store.guarded(...)` block rides on the block's first batch (the Slack
  event dedupe: the turn's first save is applied only if no other process has the event; no round trip of
  its own), or is asked on its own (`Guard.settle`) by work that writes nothing.
- Redis failures surface as `StoreUnavailable` (cannot reach / timed out) or `StoreError` (anything else),
  never as raw redis exceptions. Bad arguments raise ValueError/TypeError.
- `cached()` (cache.py) keeps reference data in the store with a TTL and shares concurrent loads; in front
  of Redis it also keeps each value in process for `local_cache_seconds` (30 s from `open_store`), so a
  message costs no round trip for staff lists, reference lists or Slack profiles. `forget_cached` drops a
  value from both.
"""

from __future__ import annotations

from bot.store.base import (
    JSON,
    SCHEMA_VERSION,
    Entry,
    Guard,
    GuardRefused,
    Record,
    Store,
    StoreError,
    StoreUnavailable,
    Write,
)
from bot.store.cache import cached, forget_cached, peek_cached, put_cached
from bot.store.memory import MemoryStore
from bot.store.redis_store import DEFAULT_PREFIX, LOCAL_CACHE_SECONDS, RedisStore

__all__ = [
    "DEFAULT_PREFIX",
    "JSON",
    "Entry",
    "Guard",
    "GuardRefused",
    "SCHEMA_VERSION",
    "MemoryStore",
    "Record",
    "RedisStore",
    "Store",
    "StoreError",
    "StoreUnavailable",
    "Write",
    "cached",
    "forget_cached",
    "open_store",
    "peek_cached",
    "put_cached",
]


def open_store(redis_url: str | None, *, prefix: str = DEFAULT_PREFIX) -> Store:
    """A `RedisStore` on `redis_url` when one is given, else a `MemoryStore` (nothing survives a restart)."""
    if redis_url:
        return RedisStore(redis_url, prefix=prefix, local_cache_seconds=LOCAL_CACHE_SECONDS)
    return MemoryStore()
