"""RedisStore specifics: the key layout, the stored document, prefixes, outages and Redis-side errors."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import pytest
import redis.asyncio as aioredis
from redis.exceptions import TimeoutError as RedisTimeoutError

from bot.store import (
    SCHEMA_VERSION,
    Entry,
    Record,
    RedisStore,
    StoreError,
    StoreUnavailable,
    Write,
    open_store,
)
from bot.store.redis_store import _COMPARE_AND_SET, _WRITE_LOGGED, _WRITE_MANY, redact_url
from tests.store.conftest import REDIS_URL, cleaned_redis, closed_port, wait_until


@pytest.fixture
async def store(redis_prefix: str, raw_redis: aioredis.Redis) -> RedisStore:
    redis_store = RedisStore(REDIS_URL, prefix=redis_prefix)
    yield redis_store  # type: ignore[misc]
    await redis_store.aclose()


async def test_keys_are_prefix_namespace_key(
    store: RedisStore, raw_redis: aioredis.Redis, redis_prefix: str
) -> None:
    rev = await store.save(namespace="dialog", key="T1:C1:ts:U1", value={"state": "asking"}, ttl=60)
    raw = await raw_redis.get(f"{redis_prefix}:dialog:T1:C1:ts:U1")
    assert raw is not None
    document = json.loads(raw)
    assert document["schema"] == SCHEMA_VERSION == 1
    assert document["rev"] == rev
    assert document["value"] == {"state": "asking"}
    record_keys = {k async for k in raw_redis.scan_iter(match=f"{redis_prefix}:*")}
    assert record_keys == {f"{redis_prefix}:dialog:T1:C1:ts:U1".encode(), f"{redis_prefix}:_revs".encode()}


async def test_the_default_prefix_is_stbot() -> None:
    # Only the key names: writing would touch the shared database's real `stbot:_revs` counter.
    store = open_store(REDIS_URL)
    assert isinstance(store, RedisStore) and store.prefix == "stbot"
    assert store.key_for(namespace="dialog", key="T1:C1:ts:U1") == "stbot:dialog:T1:C1:ts:U1"
    await store.aclose()


async def test_prefixes_isolate_stores(store: RedisStore, redis_prefix: str) -> None:
    other_prefix = f"{redis_prefix}-other"
    async with cleaned_redis(other_prefix), RedisStore(REDIS_URL, prefix=other_prefix) as other:
        await store.save(namespace="dialog", key="k", value={"mine": True}, ttl=60)
        assert await other.load(namespace="dialog", key="k") is None
        assert await other.add_once(namespace="dialog", key="k", ttl=60)


async def test_prefix_must_not_contain_a_colon() -> None:
    with pytest.raises(ValueError, match="prefix"):
        RedisStore(REDIS_URL, prefix="a:b")


async def test_a_second_client_sees_the_same_records(store: RedisStore, redis_prefix: str) -> None:
    async with RedisStore(REDIS_URL, prefix=redis_prefix) as other:
        rev = await store.save(namespace="dialog", key="k", value={"a": 1}, ttl=60)
        assert await other.load(namespace="dialog", key="k") == Record(value={"a": 1}, rev=rev)
        assert await other.compare_and_set(
            namespace="dialog", key="k", expected_rev=rev, value={"a": 2}, ttl=60
        )
        record = await store.load(namespace="dialog", key="k")
        assert record is not None and record.value == {"a": 2}


async def test_a_client_of_a_newer_schema_version_treats_old_records_as_absent(
    store: RedisStore, redis_prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    await store.save(namespace="dialog", key="k", value={"a": 1}, ttl=60)
    async with RedisStore(REDIS_URL, prefix=redis_prefix, schema_version=2) as upgraded:
        with caplog.at_level(logging.WARNING, logger="bot.store"):
            assert await upgraded.load(namespace="dialog", key="k") is None
    assert f"redis key {redis_prefix}:dialog:k has schema version 1, expected 2" in caplog.text


@pytest.mark.parametrize("garbage", [b"not json", b"[1, 2]", b'{"schema": 1, "rev": "x", "value": {}}'])
async def test_unreadable_data_reads_as_absent(
    store: RedisStore,
    raw_redis: aioredis.Redis,
    redis_prefix: str,
    garbage: bytes,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await raw_redis.set(f"{redis_prefix}:dialog:k", garbage)
    with caplog.at_level(logging.WARNING, logger="bot.store"):
        assert await store.load(namespace="dialog", key="k") is None
    assert f"{redis_prefix}:dialog:k" in caplog.text
    assert not await store.compare_and_set(namespace="dialog", key="k", expected_rev=1, value={}, ttl=60)
    assert await store.add_once(namespace="dialog", key="k", ttl=60)


async def test_a_key_of_another_redis_type_is_a_store_error(
    store: RedisStore, raw_redis: aioredis.Redis, redis_prefix: str
) -> None:
    await raw_redis.lpush(f"{redis_prefix}:dialog:k", "x")
    with pytest.raises(StoreError, match="WRONGTYPE") as caught:
        await store.load(namespace="dialog", key="k")
    assert not isinstance(caught.value, StoreUnavailable)
    with pytest.raises(StoreError):
        await store.compare_and_set(namespace="dialog", key="k", expected_rev=1, value={}, ttl=60)


async def test_an_unreachable_server_raises_store_unavailable() -> None:
    url = f"redis://:s3cret@127.0.0.1:{closed_port()}/0"
    async with RedisStore(url, prefix="stbot-test-down") as down:
        calls = [
            down.load(namespace="n", key="k"),
            down.save(namespace="n", key="k", value={}, ttl=1),
            down.delete(namespace="n", key="k"),
            down.compare_and_set(namespace="n", key="k", expected_rev=1, value={}, ttl=1),
            down.add_once(namespace="n", key="k", ttl=1),
        ]
        for call in calls:
            with pytest.raises(StoreUnavailable, match="unavailable") as caught:
                await call
            assert "s3cret" not in str(caught.value)


def test_redact_url_hides_only_the_password() -> None:
    assert redact_url("redis://user:pw@host:6380/2") == "redis://user:***@host:6380/2"
    assert redact_url("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"


async def test_a_retried_compare_and_set_reports_its_own_success(
    store: RedisStore, raw_redis: aioredis.Redis, redis_prefix: str
) -> None:
    # What redis-py's retry does after a lost reply: the same script call, same writer token, again.
    rev = await store.save(namespace="dialog", key="k", value={"state": "confirming"}, ttl=60)
    keys = [f"{redis_prefix}:dialog:k", f"{redis_prefix}:_revs"]
    args = [1, rev, '{"state":"applying"}', "60000", "token-of-this-call"]
    first = await raw_redis.eval(_COMPARE_AND_SET, 2, *keys, *args)
    retried = await raw_redis.eval(_COMPARE_AND_SET, 2, *keys, *args)
    assert first > rev and retried == first
    someone_else = await raw_redis.eval(_COMPARE_AND_SET, 2, *keys, *args[:4], "another-token")
    assert someone_else == 0


async def test_ttl_is_stored_in_milliseconds(
    store: RedisStore, raw_redis: aioredis.Redis, redis_prefix: str
) -> None:
    """30.5 s kept as 30 500 ms (whole seconds would give 30 000 or 31 000). The TTL is long and the time
    the test took is allowed for, so a busy machine cannot make the check fail, only less sharp."""
    key = f"{redis_prefix}:dialog:k"
    started = time.monotonic()
    await store.save(namespace="dialog", key="k", value={"v": 1}, ttl=30.5)
    remaining = await raw_redis.pttl(key)
    took_ms = (time.monotonic() - started) * 1000
    assert 30_500 - took_ms - 1 <= remaining <= 30_500, (remaining, took_ms)
    assert await store.load(namespace="dialog", key="k") is not None


async def test_a_record_is_gone_once_its_ttl_ran_out(
    store: RedisStore, raw_redis: aioredis.Redis, redis_prefix: str
) -> None:
    key = f"{redis_prefix}:dialog:k"
    await store.save(namespace="dialog", key="k", value={"v": 1}, ttl=0.5)

    async def expired() -> bool:
        return await raw_redis.pttl(key) == -2  # -2: no such key (any more)

    await wait_until(expired, within=30.0, what="the record to expire")
    assert await store.load(namespace="dialog", key="k") is None


async def test_write_behind_costs_one_round_trip(store: RedisStore, monkeypatch: pytest.MonkeyPatch) -> None:
    from redis.asyncio.connection import AbstractConnection

    sent: list[Any] = []
    send = AbstractConnection.send_packed_command

    async def counted(self: Any, command: Any, check_health: bool = True) -> None:
        sent.append(command)
        await send(self, command, check_health)

    await store.write_many([Write.delete(namespace="dialog", key="warm")])  # the script loaded once
    monkeypatch.setattr(AbstractConnection, "send_packed_command", counted)
    async with store.write_behind():
        await store.save(namespace="dialog", key="a", value={"v": 1}, ttl=60)
        await store.save(namespace="alert-actor", key="appointment:7", value={"user": "U1"}, ttl=900)
        await store.delete(namespace="jobreads", key="7")
        assert sent == []
    assert len(sent) == 1
    assert await store.load(namespace="alert-actor", key="appointment:7") is not None


@pytest.mark.parametrize("batch", ["its compare-and-set lands", "its compare-and-set fails", "no writes"])
async def test_a_retried_logged_batch_adds_its_entry_once(
    store: RedisStore, raw_redis: aioredis.Redis, redis_prefix: str, batch: str
) -> None:
    # redis-py's retry after a lost reply: the same script call again. Its entry is not added twice, whether
    # its compare-and-set landed, failed (the user typed meanwhile) or there is none (StoreAuditLog.record):
    # the note of the entry's idempotency id answers the id the first attempt added.
    rev = await store.save(namespace="dialog", key="k", value={"state": "applying"}, ttl=60)
    if batch == "its compare-and-set fails":
        await store.save(namespace="dialog", key="k", value={"state": "moved by a message"}, ttl=60)
    records, triples = (
        ([], []) if batch == "no writes" else ([f"{redis_prefix}:dialog:k"], ['{"s":1}', "60000", rev])
    )
    log = f"{redis_prefix}:audit"
    keys = [f"{redis_prefix}:_revs", *records, log, f"{log}#entry-once-id"]
    args = [1, "token-of-this-call", *triples, 0, 60_000, "op", "reschedule"]
    first = await raw_redis.eval(_WRITE_LOGGED, len(keys), *keys, *args)
    retried = await raw_redis.eval(_WRITE_LOGGED, len(keys), *keys, *args)
    assert first[0] and retried == first
    assert [i for i, _ in await store.log_entries("audit")] == [first[0].decode()]
    assert await raw_redis.pttl(f"{log}#entry-once-id") > 59_000  # noted for the log's age


async def test_a_logged_batch_retried_by_redis_py_adds_its_entry_once(
    store: RedisStore, redis_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """End to end: the script ran, its reply was lost (a time-out), redis-py sent it again."""
    from redis.asyncio.connection import AbstractConnection

    await store.write_logged([], Entry.of(log="warm", fields={"k": "v"}, max_age_ms=60_000))  # script loaded
    read = AbstractConnection.read_response
    lost: list[bool] = []

    async def first_reply_lost(self: Any, *args: Any, **kwargs: Any) -> Any:
        answer = await read(self, *args, **kwargs)
        if not lost and isinstance(answer, list):
            lost.append(True)
            raise RedisTimeoutError("Timeout reading from socket (test: the reply was lost)")
        return answer

    monkeypatch.setattr(AbstractConnection, "read_response", first_reply_lost)
    _, entry_id = await store.write_logged([], Entry.of(log="audit", fields={"op": "x"}, max_age_ms=60_000))
    assert lost and [i for i, _ in await store.log_entries("audit")] == [entry_id]


async def test_a_retried_guarded_batch_finds_its_own_guard(
    store: RedisStore, raw_redis: aioredis.Redis, redis_prefix: str
) -> None:
    # redis-py's retry after a lost reply: the same script call again; the guard the first attempt made is
    # its own (same writer token), so the retry is not refused, while another batch's guard is.
    keys = [f"{redis_prefix}:_revs", f"{redis_prefix}:slack-event:T1:Ev1", f"{redis_prefix}:dialog:k"]
    args = [1, "token-of-this-call", "{}", "600000", "once", '{"v":1}', "60000", ""]
    first = await raw_redis.eval(_WRITE_MANY, 3, *keys, *args)
    retried = await raw_redis.eval(_WRITE_MANY, 3, *keys, *args)
    assert first[0] > 0 and first[1] > first[0] and retried[0] == first[0] and retried[1] > 0
    another = await raw_redis.eval(
        _WRITE_MANY, 3, *keys, 1, "another-token", *args[2:5], '{"v":9}', "60000", ""
    )
    assert another == [0, 0]
    assert await store.load(namespace="dialog", key="k") == Record(value={"v": 1}, rev=retried[1])


@pytest.mark.parametrize(
    "lost", ["the counter set back (an older snapshot)", "the counter gone (restarted empty)"]
)
async def test_revisions_never_go_back_when_redis_loses_its_counter(
    store: RedisStore, raw_redis: aioredis.Redis, redis_prefix: str, lost: str
) -> None:
    """After Redis lost data with the counter, no record is saved again at a revision a caller holds: a
    compare-and-set on the old revision cannot succeed on what was saved since."""
    await store.save(namespace="dialog", key="warm", value={}, ttl=60)
    held = await store.save(namespace="dialog", key="k", value={"card": "move job 1001"}, ttl=60)
    await raw_redis.delete(f"{redis_prefix}:dialog:k")
    if lost.startswith("the counter set back"):
        await raw_redis.set(f"{redis_prefix}:_revs", held - 1)
    else:
        await raw_redis.delete(f"{redis_prefix}:_revs")
    again = await store.save(namespace="dialog", key="k", value={"never": "mind"}, ttl=60)
    assert again > held
    assert not await store.compare_and_set(namespace="dialog", key="k", expected_rev=held, value={}, ttl=60)
    revs = await store.write_many(
        [
            Write.save(namespace="dialog", key="a", value={}, ttl=60),
            Write.save(namespace="dialog", key="b", value={}, ttl=60),
        ]
    )
    assert again < revs[0] < revs[1]  # type: ignore[operator]
    raw = await raw_redis.get(f"{redis_prefix}:dialog:k")
    assert json.loads(raw)["rev"] == again  # stored as digits, exactly (not 1.76e+15)
