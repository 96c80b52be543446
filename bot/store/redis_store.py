"""The Redis store (redis.asyncio): what the bot uses whenever REDIS_URL is set.

Keys are `{prefix}:{namespace}:{key}` (prefix "stbot" in production; tests pass their own prefix so they
never touch each other's keys). Each value is a JSON document `{"schema", "rev", "writer", "value"}`.
Revisions come from the counter key `{prefix}:_revs` (a forever key; it can never clash with a record key,
which always has a namespace part), and never from below Redis's clock in microseconds (TIME): when Redis
loses data and the counter with it (restarted empty, an older snapshot restored, a failover to a replica
that lagged, the key evicted), the next revisions still exceed every revision given before, so no record
is ever saved again at a revision a caller holds (a compare-and-set on it cannot succeed by accident; the
dialog's `Recall` relies on it). Lua numbers are doubles, exact to 2^53: microseconds since 1970 stay below
that until the year 2255. A log is the stream `{prefix}:{log}`, and `{prefix}:{log}#{once}` notes for the
log's age which entry an idempotency id was added as (no colon after the prefix's: no record key). Every write is one Lua script, so it is atomic across all processes
and the revision check of `compare_and_set` cannot interleave with another write.

Connection errors are retried once by redis-py. That is safe for the scripts because each
call carries a fresh writer token: a retried `compare_and_set` or `add_once` whose first attempt did
reach Redis finds its own token on the record and reports the success instead of a false "lost".
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from bot.store.base import (
    SCHEMA_VERSION,
    Entry,
    Record,
    Store,
    StoreError,
    StoreUnavailable,
    Write,
    check_key,
    check_name,
    check_rev,
    check_ttl,
    decode_record,
)

DEFAULT_PREFIX = "stbot"
# Redis answers in well under a millisecond; these bound how long a caller waits when it doesn't.
COMMAND_TIMEOUT = 0.5
CONNECT_TIMEOUT = 0.5
MAX_CONNECTIONS = 50
# What a production store lets `cached()` keep in process (reference data, staff lists, Slack profiles):
# short, so another process's change or an invalidation elsewhere is seen within half a minute.
LOCAL_CACHE_SECONDS = 30.0
POOL_TIMEOUT = 2.0

# Shared by every script. KEYS[1] is the record, KEYS[2] the revision counter. `current` returns the record
# only when Python's decode_record would accept it too, so both agree on what counts as absent. The document
# is assembled as text so the caller's JSON is stored byte for byte (cjson would turn {} into [] on the way).
_LUA_COMMON = """
local function current_at(key, schema)
  local raw = redis.call('GET', key)
  if not raw then return nil end
  local ok, doc = pcall(cjson.decode, raw)
  if not ok or type(doc) ~= 'table' or doc.schema ~= schema then return nil end
  if type(doc.rev) ~= 'number' or doc.rev ~= math.floor(doc.rev) or type(doc.value) ~= 'table' then
    return nil
  end
  return doc
end
local function current(schema)
  return current_at(KEYS[1], schema)
end
local function next_rev(counter)
  local now = redis.call('TIME')
  local rev = math.max((tonumber(redis.call('GET', counter)) or 0) + 1, now[1] * 1000000 + now[2])
  rev = string.format('%d', rev)  -- digits, not tostring's 14 significant ones
  redis.call('SET', counter, rev)
  return rev
end
local function write_to(key, counter, schema, value_json, px, writer)
  local rev = next_rev(counter)
  local doc = '{"schema":' .. schema .. ',"rev":' .. rev .. ',"writer":' .. cjson.encode(writer)
    .. ',"value":' .. value_json .. '}'
  if px == '' then
    redis.call('SET', key, doc)
  else
    redis.call('SET', key, doc, 'PX', px)
  end
  return tonumber(rev)
end
local function write(schema, value_json, px, writer)
  return write_to(KEYS[1], KEYS[2], schema, value_json, px, writer)
end
"""

# ARGV: schema, value JSON, px ('' = never expires), writer token. Returns the new revision.
_SAVE = _LUA_COMMON + "return write(ARGV[1], ARGV[2], ARGV[3], ARGV[4])"

# ARGV: schema, expected revision, value JSON, px, writer token. Returns the new revision, or 0.
_COMPARE_AND_SET = (
    _LUA_COMMON
    + """
local doc = current(tonumber(ARGV[1]))
if not doc then return 0 end
if doc.rev ~= tonumber(ARGV[2]) then
  if doc.writer == ARGV[5] then return doc.rev end
  return 0
end
return write(ARGV[1], ARGV[3], ARGV[4], ARGV[5])
"""
)

# ARGV: schema, px, writer token. Returns 1 when this call created the record, else 0.
_ADD_ONCE = (
    _LUA_COMMON
    + """
local doc = current(tonumber(ARGV[1]))
if doc then
  if doc.writer == ARGV[3] then return 1 end
  return 0
end
write(ARGV[1], '{}', ARGV[2], ARGV[3])
return 1
"""
)


# KEYS[1] is the revision counter, KEYS[2..n+1] the records. ARGV: schema, writer token, then per record
# its value JSON, px and expected revision ('' for none, 'once' for a guard: Write.once), or '', 'delete',
# ''. Answers each save's new revision (0 for a compare-and-set that found another revision, as
# _COMPARE_AND_SET; its own revision when a compare-and-set or a guard finds its own write: a retried batch
# whose first attempt landed), 0 for each delete, and whether the batch was refused: a guard whose record
# another writer made (nothing written, every revision 0).
_LUA_WRITES = """
local function apply_writes(schema, token, last)
  local revs = {}
  for i = 2, last do
    if ARGV[3 * i - 1] == 'once' then
      local doc = current_at(KEYS[i], schema)
      if doc and doc.writer ~= token .. ':' .. i then
        for _ = 2, last do revs[#revs + 1] = 0 end
        return revs, true
      end
    end
  end
  for i = 2, last do
    local value_json, px, expected = ARGV[3 * i - 3], ARGV[3 * i - 2], ARGV[3 * i - 1]
    local writer = token .. ':' .. i  -- each write its own token: a retry finds only its own
    local rev = 0
    if px == 'delete' then
      redis.call('DEL', KEYS[i])
    elseif expected == 'once' then
      local doc = current_at(KEYS[i], schema)
      if doc then
        rev = doc.rev  -- its own (a retry: another writer's refused the batch above)
      else
        rev = write_to(KEYS[i], KEYS[1], schema, value_json, px, writer)
      end
    elseif expected == '' then
      rev = write_to(KEYS[i], KEYS[1], schema, value_json, px, writer)
    else
      local doc = current_at(KEYS[i], schema)
      if doc and doc.rev == tonumber(expected) then
        rev = write_to(KEYS[i], KEYS[1], schema, value_json, px, writer)
      elseif doc and doc.writer == writer then
        rev = doc.rev
      end
    end
    revs[#revs + 1] = rev
  end
  return revs, false
end
"""

_WRITE_MANY = _LUA_COMMON + _LUA_WRITES + "return (apply_writes(tonumber(ARGV[1]), ARGV[2], #KEYS))"

# As _WRITE_MANY, and KEYS[#KEYS - 1] is a log (a stream), KEYS[#KEYS] the note of the entry's idempotency
# id: after the record triples, ARGV holds the oldest id to keep (MINID), how long the note is kept (ms) and
# the entry's fields and values. The entry is added only when no note of its id is there (a retry after a
# lost reply, the same entry sent again): its id, else the id it was added with; '' (no entry) when a guard
# refused the batch. Returns {the entry's id, the revisions...}.
_WRITE_LOGGED = (
    _LUA_COMMON
    + _LUA_WRITES
    + """
local last = #KEYS - 2
local revs, refused = apply_writes(tonumber(ARGV[1]), ARGV[2], last)
local id = ''
if not refused then
  id = redis.call('GET', KEYS[#KEYS])
  if not id then
    id = redis.call('XADD', KEYS[#KEYS - 1], 'MINID', ARGV[3 * last], '*', unpack(ARGV, 3 * last + 2, #ARGV))
    redis.call('SET', KEYS[#KEYS], id, 'PX', ARGV[3 * last + 1])
  end
end
table.insert(revs, 1, id)
return revs
"""
)


def _revisions(writes: Sequence[Write], revs: Sequence[Any]) -> list[int | None]:
    return [
        int(rev) if write.value_json is not None else None for write, rev in zip(writes, revs, strict=True)
    ]


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _px(ttl: float | None) -> str:
    """A TTL in whole milliseconds for SET PX (at least 1), or '' for a key that never expires."""
    if ttl is None:
        return ""
    return str(max(1, round(ttl * 1000)))


def redact_url(url: str) -> str:
    """The URL without its password, for error messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username or ''}:***@{parts.hostname or ''}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


class RedisStore(Store):
    """A store on one Redis database; each instance has its own connection pool."""

    def __init__(
        self,
        url: str,
        *,
        prefix: str = DEFAULT_PREFIX,
        schema_version: int = SCHEMA_VERSION,
        timeout: float = COMMAND_TIMEOUT,
        connect_timeout: float = CONNECT_TIMEOUT,
        retries: int = 1,
        max_connections: int = MAX_CONNECTIONS,
        pool_timeout: float = POOL_TIMEOUT,
        local_cache_seconds: float = 0.0,
    ) -> None:
        self.prefix = check_name("prefix", prefix)
        self.schema_version = schema_version
        self._where = redact_url(url)
        self.local_cache_seconds = local_cache_seconds
        # A pool that makes a caller wait for a free connection (up to pool_timeout) rather than raise
        # "Too many connections" under load; short socket time-outs so a paused or dead Redis is reported
        # as StoreUnavailable within about a second instead of holding a Slack ack.
        retry = Retry(ExponentialWithJitterBackoff(base=0.05, cap=0.2), retries)
        pool = aioredis.BlockingConnectionPool.from_url(
            url,
            max_connections=max_connections,
            timeout=pool_timeout,
            socket_timeout=timeout,
            socket_connect_timeout=connect_timeout,
            retry=retry,
        )
        self._redis = aioredis.Redis(connection_pool=pool, retry=retry)
        self._counter = f"{self.prefix}:_revs"
        self._save = self._redis.register_script(_SAVE)
        self._compare_and_set = self._redis.register_script(_COMPARE_AND_SET)
        self._add_once = self._redis.register_script(_ADD_ONCE)
        self._write_many_script = self._redis.register_script(_WRITE_MANY)
        self._write_logged_script = self._redis.register_script(_WRITE_LOGGED)

    def key_for(self, *, namespace: str, key: str) -> str:
        """The Redis key of (namespace, key)."""
        return f"{self.prefix}:{check_name('namespace', namespace)}:{check_key(key)}"

    async def load(self, *, namespace: str, key: str) -> Record | None:
        redis_key = self.key_for(namespace=namespace, key=key)
        with self._errors("load"):
            raw = await self._redis.get(redis_key)
        if raw is None:
            return None
        return decode_record(raw, schema=self.schema_version, where=f"redis key {redis_key}")

    async def save(self, *, namespace: str, key: str, value: dict[str, Any], ttl: float | None) -> int:
        write = Write.save(namespace=namespace, key=key, value=value, ttl=ttl)
        if self._queued(write):
            return 0
        redis_key = self.key_for(namespace=namespace, key=key)
        args: list[str | int] = [self.schema_version, str(write.value_json), _px(write.ttl), uuid.uuid4().hex]
        with self._errors("save"):
            return int(await self._save(keys=[redis_key, self._counter], args=args))

    async def delete(self, *, namespace: str, key: str) -> None:
        redis_key = self.key_for(namespace=namespace, key=key)
        if self._queued(Write.delete(namespace=namespace, key=key)):
            return
        with self._errors("delete"):
            await self._redis.delete(redis_key)

    async def _write_many(self, writes: Sequence[Write]) -> list[int | None]:
        if not writes:
            return []
        keys, args = self._writes_script_input(writes)
        with self._errors("write_many"):
            revs = await self._write_many_script(keys=keys, args=args)
        return _revisions(writes, revs)

    async def _write_logged(self, writes: Sequence[Write], entry: Entry) -> tuple[list[int | None], str]:
        keys, args = self._writes_script_input(writes)
        log_key = self.log_key(entry.log)
        keys += [log_key, f"{log_key}#{entry.once}"]
        args += [int(time.time() * 1000) - entry.max_age_ms, entry.max_age_ms]
        for field, value in entry.fields.items():
            args += [field, value]
        with self._errors("write_logged"):
            answer = await self._write_logged_script(keys=keys, args=args)
        return _revisions(writes, answer[1:]), _text(answer[0])

    async def log_entries(self, log: str) -> list[tuple[str, dict[str, str]]]:
        with self._errors("log_entries"):
            found: Any = await self._redis.xrange(self.log_key(log))
        return [(_text(i), {_text(k): _text(v) for k, v in (f or {}).items()}) for i, f in found or []]

    def log_key(self, log: str) -> str:
        """The Redis key of the log `log` (a stream)."""
        return f"{self.prefix}:{check_name('log', log)}"

    def _writes_script_input(self, writes: Sequence[Write]) -> tuple[list[str], list[str | int]]:
        keys = [self._counter]
        args: list[str | int] = [self.schema_version, uuid.uuid4().hex]
        for write in writes:
            keys.append(self.key_for(namespace=write.namespace, key=write.key))
            if write.value_json is None:
                args += ["", "delete", ""]
            elif write.guard:
                args += [write.value_json, _px(check_ttl(write.ttl)), "once"]
            else:
                expected = "" if write.expected_rev is None else check_rev(write.expected_rev)
                args += [write.value_json, _px(check_ttl(write.ttl)), expected]
        return keys, args

    async def compare_and_set(
        self, *, namespace: str, key: str, expected_rev: int, value: dict[str, Any], ttl: float | None
    ) -> bool:
        write = Write.compare_and_set(
            namespace=namespace, key=key, expected_rev=expected_rev, value=value, ttl=ttl
        )
        together = await self._with_queued(write)
        if together is not None:
            return together
        redis_key = self.key_for(namespace=namespace, key=key)
        args: list[str | int] = [
            self.schema_version,
            expected_rev,
            str(write.value_json),
            _px(write.ttl),
            uuid.uuid4().hex,
        ]
        with self._errors("compare_and_set"):
            new_rev = await self._compare_and_set(keys=[redis_key, self._counter], args=args)
        return int(new_rev) > 0

    async def add_once(
        self, *, namespace: str, key: str, ttl: float | None, writer: str | None = None
    ) -> bool:
        redis_key = self.key_for(namespace=namespace, key=key)
        args: list[str | int] = [self.schema_version, _px(check_ttl(ttl)), writer or uuid.uuid4().hex]
        with self._errors("add_once"):
            created = await self._add_once(keys=[redis_key, self._counter], args=args)
        return int(created) == 1

    async def aclose(self) -> None:
        await self._redis.aclose()
        await self._redis.connection_pool.disconnect()

    @contextmanager
    def _errors(self, operation: str) -> Iterator[None]:
        """Turn redis-py's exceptions into the store's own."""
        try:
            yield
        except (RedisConnectionError, RedisTimeoutError, TimeoutError) as exc:
            raise StoreUnavailable(f"Redis at {self._where} is unavailable ({operation}): {exc}") from exc
        except RedisError as exc:
            raise StoreError(f"Redis at {self._where} failed ({operation}): {exc}") from exc
