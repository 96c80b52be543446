"""The Store contract, run against both MemoryStore and RedisStore (the `backend` fixture)."""

from __future__ import annotations

import asyncio
import logging
import math

import pytest

from bot.store import Record, Store
from tests.store.conftest import Backend

NS = "dialog"
KEY = "T1:C1:1700000000.000100:U1"


async def test_load_of_a_missing_key_is_none(backend: Backend) -> None:
    assert await backend.store.load(namespace=NS, key=KEY) is None


async def test_save_load_delete_round_trip(backend: Backend) -> None:
    store = backend.store
    value = {
        "state": "confirming",
        "slots": {"job_id": 1001, "when": "2026-11-27T14:00:00-06:00"},
        "n": [1, 2.5],
    }
    rev = await store.save(namespace=NS, key=KEY, value=value, ttl=60)
    assert await store.load(namespace=NS, key=KEY) == Record(value=value, rev=rev)
    await store.delete(namespace=NS, key=KEY)
    assert await store.load(namespace=NS, key=KEY) is None
    await store.delete(namespace=NS, key=KEY)  # deleting a missing key is fine


async def test_values_come_back_as_json_copies(backend: Backend) -> None:
    store = backend.store
    value = {"pair": (1, 2), "empty": {}, "nested": {"list": []}, "text": "Mañana 14:00 ✓"}
    await store.save(namespace=NS, key=KEY, value=value, ttl=60)
    value["empty"]["changed"] = True
    first = await store.load(namespace=NS, key=KEY)
    assert first is not None
    assert first.value == {"pair": [1, 2], "empty": {}, "nested": {"list": []}, "text": "Mañana 14:00 ✓"}
    first.value["nested"]["list"].append("mutated")
    second = await store.load(namespace=NS, key=KEY)
    assert second is not None and second.value["nested"] == {"list": []}


async def test_revisions_grow_and_are_never_reused(backend: Backend) -> None:
    store = backend.store
    first = await store.save(namespace=NS, key=KEY, value={"n": 1}, ttl=60)
    second = await store.save(namespace=NS, key=KEY, value={"n": 2}, ttl=60)
    assert 0 < first < second
    assert await store.compare_and_set(namespace=NS, key=KEY, expected_rev=second, value={"n": 3}, ttl=60)
    third = await store.load(namespace=NS, key=KEY)
    assert third is not None and third.rev > second
    await store.delete(namespace=NS, key=KEY)
    again = await store.save(namespace=NS, key=KEY, value={"n": 1}, ttl=60)
    assert again > third.rev
    # a stale revision from before the delete cannot win against the new record
    assert not await store.compare_and_set(namespace=NS, key=KEY, expected_rev=first, value={"n": 9}, ttl=60)


async def test_compare_and_set_succeeds_on_the_current_revision(backend: Backend) -> None:
    store = backend.store
    rev = await store.save(namespace=NS, key=KEY, value={"state": "confirming"}, ttl=60)
    assert await store.compare_and_set(
        namespace=NS, key=KEY, expected_rev=rev, value={"state": "applying"}, ttl=60
    )
    record = await store.load(namespace=NS, key=KEY)
    assert record is not None and record.value == {"state": "applying"} and record.rev != rev


async def test_compare_and_set_fails_on_a_stale_revision_and_writes_nothing(backend: Backend) -> None:
    store = backend.store
    stale = await store.save(namespace=NS, key=KEY, value={"state": "asking"}, ttl=60)
    current = await store.save(namespace=NS, key=KEY, value={"state": "confirming"}, ttl=60)
    assert not await store.compare_and_set(
        namespace=NS, key=KEY, expected_rev=stale, value={"state": "x"}, ttl=60
    )
    assert await store.load(namespace=NS, key=KEY) == Record(value={"state": "confirming"}, rev=current)


async def test_compare_and_set_on_a_missing_key_fails_and_creates_nothing(backend: Backend) -> None:
    store = backend.store
    for rev in (0, 1, 12345):
        assert not await store.compare_and_set(
            namespace=NS, key=KEY, expected_rev=rev, value={"a": 1}, ttl=60
        )
    assert await store.load(namespace=NS, key=KEY) is None


async def test_compare_and_set_fails_after_the_record_expired(backend: Backend) -> None:
    store = backend.store
    rev = await store.save(namespace=NS, key=KEY, value={"state": "confirming"}, ttl=30)
    await backend.expire(NS, KEY, 30)
    assert not await store.compare_and_set(namespace=NS, key=KEY, expected_rev=rev, value={"a": 1}, ttl=60)
    assert await store.load(namespace=NS, key=KEY) is None


async def test_record_expires_after_its_ttl(backend: Backend) -> None:
    await backend.store.save(namespace=NS, key=KEY, value={"a": 1}, ttl=30)
    await backend.expire(NS, KEY, 30)
    assert await backend.store.load(namespace=NS, key=KEY) is None


async def test_fractional_ttl(backend: Backend) -> None:
    await backend.store.save(namespace=NS, key=KEY, value={"a": 1}, ttl=7.5)
    await backend.expire(NS, KEY, 7.5)
    assert await backend.store.load(namespace=NS, key=KEY) is None


async def test_compare_and_set_sets_the_new_ttl(backend: Backend) -> None:
    store = backend.store
    rev = await store.save(namespace=NS, key=KEY, value={"a": 1}, ttl=None)
    assert await store.compare_and_set(namespace=NS, key=KEY, expected_rev=rev, value={"a": 2}, ttl=20)
    await backend.expire(NS, KEY, 20)
    assert await store.load(namespace=NS, key=KEY) is None


async def test_forever_keys_have_no_ttl(backend: Backend) -> None:
    await backend.store.save(namespace="alerts", key="cursor:jobs", value={"continue_from": "abc"}, ttl=None)
    await backend.assert_never_expires("alerts", "cursor:jobs")


async def test_saving_with_ttl_none_removes_an_earlier_ttl(backend: Backend) -> None:
    store = backend.store
    await store.save(namespace=NS, key=KEY, value={"a": 1}, ttl=30)
    rev = await store.save(namespace=NS, key=KEY, value={"a": 2}, ttl=None)
    await backend.assert_never_expires(NS, KEY)
    assert await store.load(namespace=NS, key=KEY) == Record(value={"a": 2}, rev=rev)


async def test_compare_and_set_with_ttl_none_makes_a_forever_key(backend: Backend) -> None:
    store = backend.store
    rev = await store.save(namespace="alerts", key="cursor", value={"token": "a"}, ttl=30)
    assert await store.compare_and_set(
        namespace="alerts", key="cursor", expected_rev=rev, value={"token": "b"}, ttl=None
    )
    await backend.assert_never_expires("alerts", "cursor")


async def test_add_once_is_true_only_for_the_first_caller(backend: Backend) -> None:
    store = backend.store
    assert await store.add_once(namespace="events", key="Ev123", ttl=600)
    assert not await store.add_once(namespace="events", key="Ev123", ttl=600)
    assert await store.add_once(namespace="events", key="Ev124", ttl=600)
    assert not await store.add_once(namespace="events", key="Ev123", ttl=600)


async def test_add_once_asked_again_by_its_writer_is_true_again(backend: Backend) -> None:
    """A caller that asks again with its token (its first answer lost or late) finds its own record."""
    store = backend.store
    assert await store.add_once(namespace=NS, key="ev", ttl=60, writer="w1")
    assert await store.add_once(namespace=NS, key="ev", ttl=60, writer="w1")
    assert not await store.add_once(namespace=NS, key="ev", ttl=60, writer="w2")
    assert not await store.add_once(namespace=NS, key="ev", ttl=60)


async def test_add_once_again_after_delete_or_expiry(backend: Backend) -> None:
    store = backend.store
    assert await store.add_once(namespace="events", key="Ev1", ttl=60)
    await store.delete(namespace="events", key="Ev1")
    assert await store.add_once(namespace="events", key="Ev1", ttl=60)
    await backend.expire("events", "Ev1", 60)
    assert await store.add_once(namespace="events", key="Ev1", ttl=60)


async def test_add_once_creates_an_empty_record(backend: Backend) -> None:
    store = backend.store
    assert await store.add_once(namespace="events", key="Ev1", ttl=60)
    record = await store.load(namespace="events", key="Ev1")
    assert record is not None and record.value == {} and record.rev > 0


async def test_add_once_does_not_replace_a_saved_record(backend: Backend) -> None:
    store = backend.store
    rev = await store.save(namespace="events", key="Ev1", value={"seen": True}, ttl=60)
    assert not await store.add_once(namespace="events", key="Ev1", ttl=60)
    assert await store.load(namespace="events", key="Ev1") == Record(value={"seen": True}, rev=rev)


async def test_namespaces_are_separate(backend: Backend) -> None:
    store = backend.store
    await store.save(namespace="dialog", key="k", value={"from": "dialog"}, ttl=60)
    await store.save(namespace="undo", key="k", value={"from": "undo"}, ttl=60)
    await store.delete(namespace="undo", key="k")
    record = await store.load(namespace="dialog", key="k")
    assert record is not None and record.value == {"from": "dialog"}
    assert await store.load(namespace="undo", key="k") is None
    assert await store.add_once(namespace="events", key="k", ttl=60)


async def test_keys_may_contain_colons(backend: Backend) -> None:
    store = backend.store
    await store.save(namespace="dialog", key="T1:C1:ts:U1", value={"who": "U1"}, ttl=60)
    await store.save(namespace="dialog", key="T1:C1:ts:U2", value={"who": "U2"}, ttl=60)
    one = await store.load(namespace="dialog", key="T1:C1:ts:U1")
    two = await store.load(namespace="dialog", key="T1:C1:ts:U2")
    assert one is not None and two is not None and (one.value, two.value) == ({"who": "U1"}, {"who": "U2"})


async def test_a_record_of_another_schema_version_reads_as_absent(
    backend: Backend, caplog: pytest.LogCaptureFixture
) -> None:
    store = backend.store
    old_rev = await store.save(namespace=NS, key=KEY, value={"old": "format"}, ttl=60)
    store.schema_version = 2  # type: ignore[attr-defined]  # as if the code was upgraded
    with caplog.at_level(logging.WARNING, logger="bot.store"):
        assert await store.load(namespace=NS, key=KEY) is None
    assert "schema version 1, expected 2" in caplog.text
    assert not await store.compare_and_set(
        namespace=NS, key=KEY, expected_rev=old_rev, value={"a": 1}, ttl=60
    )
    # to add_once the old record does not count as a record either
    assert await store.add_once(namespace=NS, key=KEY, ttl=60)
    rev = await store.save(namespace=NS, key=KEY, value={"new": "format"}, ttl=60)
    assert await store.load(namespace=NS, key=KEY) == Record(value={"new": "format"}, rev=rev)
    store.schema_version = 1  # type: ignore[attr-defined]
    assert await store.load(namespace=NS, key=KEY) is None


async def test_twenty_concurrent_compare_and_sets_one_winner(backend: Backend) -> None:
    store = backend.store
    rev = await store.save(namespace=NS, key=KEY, value={"state": "confirming"}, ttl=60)
    results = await asyncio.gather(
        *(
            store.compare_and_set(namespace=NS, key=KEY, expected_rev=rev, value={"winner": i}, ttl=60)
            for i in range(20)
        )
    )
    assert results.count(True) == 1
    record = await store.load(namespace=NS, key=KEY)
    assert record is not None and record.value == {"winner": results.index(True)}


@pytest.mark.parametrize("namespace", ["", "a:b", None, 7])
async def test_bad_namespace_is_refused(backend: Backend, namespace: object) -> None:
    with pytest.raises(ValueError, match="namespace"):
        await backend.store.load(namespace=namespace, key="k")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="namespace"):
        await backend.store.save(namespace=namespace, key="k", value={}, ttl=1)  # type: ignore[arg-type]


async def test_empty_key_is_refused(backend: Backend) -> None:
    with pytest.raises(ValueError, match="key"):
        await backend.store.add_once(namespace=NS, key="", ttl=1)


@pytest.mark.parametrize(
    ("ttl", "error"),
    [
        (0, ValueError),
        (-1, ValueError),
        (math.nan, ValueError),
        (math.inf, ValueError),
        ("5", TypeError),
        (True, TypeError),
    ],
)
async def test_bad_ttl_is_refused(backend: Backend, ttl: object, error: type[Exception]) -> None:
    store: Store = backend.store
    with pytest.raises(error, match="ttl"):
        await store.save(namespace=NS, key=KEY, value={}, ttl=ttl)  # type: ignore[arg-type]
    with pytest.raises(error, match="ttl"):
        await store.add_once(namespace=NS, key=KEY, ttl=ttl)  # type: ignore[arg-type]
    assert await store.load(namespace=NS, key=KEY) is None


@pytest.mark.parametrize(
    ("value", "error"),
    [(["a"], TypeError), ("text", TypeError), ({"x": math.nan}, ValueError), ({"x": {1, 2}}, TypeError)],
)
async def test_a_value_that_is_not_a_json_object_is_refused(
    backend: Backend, value: object, error: type[Exception]
) -> None:
    store = backend.store
    with pytest.raises(error):
        await store.save(namespace=NS, key=KEY, value=value, ttl=60)  # type: ignore[arg-type]
    rev = await store.save(namespace=NS, key=KEY, value={"ok": 1}, ttl=60)
    with pytest.raises(error):
        await store.compare_and_set(namespace=NS, key=KEY, expected_rev=rev, value=value, ttl=60)  # type: ignore[arg-type]
    assert await store.load(namespace=NS, key=KEY) == Record(value={"ok": 1}, rev=rev)


async def test_expected_rev_must_be_an_int(backend: Backend) -> None:
    rev = await backend.store.save(namespace=NS, key=KEY, value={}, ttl=60)
    with pytest.raises(TypeError, match="expected_rev"):
        await backend.store.compare_and_set(namespace=NS, key=KEY, expected_rev=str(rev), value={}, ttl=60)  # type: ignore[arg-type]
