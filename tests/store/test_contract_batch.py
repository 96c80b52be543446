"""The Store contract for several writes at once (`write_many`, `write_behind`), against both stores."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.store import Entry, Guard, GuardRefused, Record, Write
from tests.store.conftest import Backend

NS = "dialog"


async def test_write_many_applies_saves_and_deletes_in_order(backend: Backend) -> None:
    store = backend.store
    await store.save(namespace=NS, key="gone", value={"v": 0}, ttl=60)
    first = await store.save(namespace=NS, key="a", value={"v": 1}, ttl=60)
    revs = await store.write_many(
        [
            Write.save(namespace=NS, key="a", value={"v": 2}, ttl=60),
            Write.delete(namespace=NS, key="gone"),
            Write.save(namespace="other", key="b:c", value={"empty": {}, "t": "✓"}, ttl=None),
            Write.save(namespace=NS, key="a", value={"v": 3}, ttl=30),  # the last one of a key wins
            Write.delete(namespace=NS, key="never-there"),
        ]
    )
    assert revs[1] is None and revs[4] is None
    assert revs[0] is not None and revs[2] is not None and revs[3] is not None
    assert first < revs[0] < revs[2] < revs[3]
    assert await store.load(namespace=NS, key="a") == Record(value={"v": 3}, rev=revs[3])
    assert await store.load(namespace="other", key="b:c") == Record(
        value={"empty": {}, "t": "✓"}, rev=revs[2]
    )
    assert await store.load(namespace=NS, key="gone") is None
    await backend.expire(NS, "a", 30)
    assert await store.load(namespace=NS, key="a") is None
    await backend.assert_never_expires("other", "b:c")
    assert await store.write_many([]) == []


async def test_a_stale_compare_and_set_after_write_many_fails(backend: Backend) -> None:
    store = backend.store
    rev = await store.save(namespace=NS, key="a", value={"v": 1}, ttl=60)
    await store.write_many([Write.save(namespace=NS, key="a", value={"v": 2}, ttl=60)])
    assert not await store.compare_and_set(namespace=NS, key="a", expected_rev=rev, value={"v": 9}, ttl=60)


@pytest.mark.parametrize(
    ("make", "error"),
    [
        (lambda: Write.save(namespace="a:b", key="k", value={}, ttl=60), ValueError),
        (lambda: Write.save(namespace=NS, key="", value={}, ttl=60), ValueError),
        (lambda: Write.save(namespace=NS, key="k", value={"x": float("nan")}, ttl=60), ValueError),
        (lambda: Write.save(namespace=NS, key="k", value=[1], ttl=60), TypeError),  # type: ignore[arg-type]
        (lambda: Write.save(namespace=NS, key="k", value={}, ttl=0), ValueError),
        (lambda: Write.delete(namespace="", key="k"), ValueError),
    ],
)
def test_a_bad_write_is_refused_when_it_is_made(make: Any, error: type[Exception]) -> None:
    with pytest.raises(error):
        make()


async def test_write_behind_sends_the_blocks_saves_and_deletes_together_at_its_end(backend: Backend) -> None:
    store = backend.store
    await store.save(namespace=NS, key="drop", value={"v": 0}, ttl=60)
    before = await store.save(namespace=NS, key="a", value={"v": 1}, ttl=60)
    async with store.write_behind():
        assert await store.save(namespace=NS, key="a", value={"v": 2}, ttl=60) == 0
        await store.delete(namespace=NS, key="drop")
        # a load inside sees the store as it was; add_once is not queued
        assert await store.load(namespace=NS, key="a") == Record(value={"v": 1}, rev=before)
        assert await store.load(namespace=NS, key="drop") is not None
        assert await store.add_once(namespace="seen", key="e1", ttl=60)
        assert not await store.add_once(namespace="seen", key="e1", ttl=60)
        with pytest.raises(ValueError):  # bad arguments fail at the call, not at the end
            await store.save(namespace=NS, key="", value={}, ttl=60)
    a = await store.load(namespace=NS, key="a")
    assert a is not None and a.value == {"v": 2} and a.rev > before
    assert await store.load(namespace=NS, key="drop") is None


async def test_a_compare_and_set_in_write_behind_goes_with_the_writes_queued_before_it(
    backend: Backend,
) -> None:
    store = backend.store
    rev = await store.save(namespace=NS, key="conv", value={"v": 1}, ttl=60)
    stale = await store.save(namespace=NS, key="other", value={"v": 1}, ttl=60)
    async with store.write_behind():
        await store.save(namespace="cache", key="job:1", value={"data": 1}, ttl=60)
        assert await store.compare_and_set(namespace=NS, key="conv", expected_rev=rev, value={"v": 2}, ttl=60)
        assert await store.load(namespace="cache", key="job:1") is not None  # sent with it
        await store.save(namespace=NS, key="other", value={"v": 2}, ttl=60)
        await store.delete(namespace="cache", key="job:1")
        # after the queued save of "other", its old revision is stale: nothing written
        assert not await store.compare_and_set(
            namespace=NS, key="other", expected_rev=stale, value={"v": 3}, ttl=60
        )
        assert await store.load(namespace="cache", key="job:1") is None
        await store.save(namespace="cache", key="job:2", value={"data": 2}, ttl=60)
        assert await store.load(namespace="cache", key="job:2") is None  # queued until the end
    conv, other = await store.load(namespace=NS, key="conv"), await store.load(namespace=NS, key="other")
    assert conv is not None and conv.value == {"v": 2}
    assert other is not None and other.value == {"v": 2}
    assert await store.load(namespace="cache", key="job:2") is not None


async def test_a_compare_and_set_in_write_many(backend: Backend) -> None:
    store = backend.store
    rev = await store.save(namespace=NS, key="a", value={"v": 1}, ttl=60)
    revs = await store.write_many(
        [
            Write.compare_and_set(namespace=NS, key="a", expected_rev=rev, value={"v": 2}, ttl=60),
            Write.compare_and_set(namespace=NS, key="a", expected_rev=rev, value={"v": 3}, ttl=60),
            Write.compare_and_set(namespace=NS, key="missing", expected_rev=rev, value={"v": 1}, ttl=60),
        ]
    )
    assert revs[0] is not None and revs[0] > rev and revs[1:] == [0, 0]
    assert await store.load(namespace=NS, key="a") == Record(value={"v": 2}, rev=revs[0])
    assert await store.load(namespace=NS, key="missing") is None


async def test_write_behind_queues_the_writes_of_tasks_it_starts_and_none_after_its_end(
    backend: Backend,
) -> None:
    store = backend.store
    late_go = asyncio.Event()

    async def late_writer() -> None:
        await late_go.wait()
        await store.save(namespace=NS, key="late", value={"v": 1}, ttl=60)

    async with store.write_behind():
        await asyncio.gather(store.save(namespace=NS, key="child", value={"v": 1}, ttl=60))
        assert await store.load(namespace=NS, key="child") is None
        late = asyncio.create_task(late_writer())
    assert await store.load(namespace=NS, key="child") is not None
    late_go.set()
    await late  # it started inside the block but writes after its end: straight to the store
    assert await store.load(namespace=NS, key="late") is not None


async def test_write_behind_blocks_do_not_nest_and_an_error_inside_still_sends(backend: Backend) -> None:
    store = backend.store
    with pytest.raises(RuntimeError):
        async with store.write_behind():
            await store.save(namespace=NS, key="a", value={"v": 1}, ttl=60)
            async with store.write_behind():
                pass
    assert await store.load(namespace=NS, key="a") is not None
    assert await store.save(namespace=NS, key="b", value={"v": 1}, ttl=60) > 0  # no block open any more


async def test_write_now_answers_the_new_revision_and_sends_the_queued_writes_with_it(
    backend: Backend,
) -> None:
    store = backend.store
    rev = await store.save(namespace=NS, key="conv", value={"v": 1}, ttl=60)
    async with store.write_behind():
        await store.save(namespace="cache", key="job:1", value={"data": 1}, ttl=60)
        claimed = await store.write_now(
            Write.compare_and_set(namespace=NS, key="conv", expected_rev=rev, value={"v": 2}, ttl=60)
        )
        assert claimed > rev
        assert await store.load(namespace="cache", key="job:1") is not None  # sent with it
        assert await store.load(namespace=NS, key="conv") == Record(value={"v": 2}, rev=claimed)
        # the answered revision is the one to compare against next; the one before it is stale
        assert not await store.write_now(
            Write.compare_and_set(namespace=NS, key="conv", expected_rev=rev, value={"v": 9}, ttl=60)
        )
        assert await store.compare_and_set(
            namespace=NS, key="conv", expected_rev=claimed, value={"v": 3}, ttl=60
        )
    saved = await store.write_now(Write.save(namespace=NS, key="new", value={"v": 1}, ttl=60))
    assert await store.load(namespace=NS, key="new") == Record(value={"v": 1}, rev=saved)
    conv = await store.load(namespace=NS, key="conv")
    assert conv is not None and conv.value == {"v": 3} and 0 < claimed < conv.rev < saved
    with pytest.raises(ValueError, match="delete"):
        await store.write_now(Write.delete(namespace=NS, key="conv"))


async def test_write_logged_writes_and_adds_the_entry_to_its_log_at_once(backend: Backend) -> None:
    store = backend.store
    rev = await store.save(namespace=NS, key="conv", value={"v": 1}, ttl=60)
    entry = Entry.of(log="audit", fields={"op": "reschedule", "args": '{"id": 1}'}, max_age_ms=60_000)
    revs, first = await store.write_logged(
        [Write.compare_and_set(namespace=NS, key="conv", expected_rev=rev, value={"v": 2}, ttl=60)], entry
    )
    assert revs[0] is not None and revs[0] > rev and first
    # a compare-and-set that finds another revision writes nothing, and the entry is added all the same
    other = Entry.of(log="audit", fields={"op": "reschedule", "args": '{"id": 2}'}, max_age_ms=60_000)
    revs, second = await store.write_logged(
        [Write.compare_and_set(namespace=NS, key="conv", expected_rev=rev, value={"v": 9}, ttl=60)], other
    )
    assert revs == [0] and second and second != first
    conv = await store.load(namespace=NS, key="conv")
    assert conv is not None and conv.value == {"v": 2}
    _, third = await store.write_logged([], Entry.of(log="audit", fields={"op": "x"}, max_age_ms=60_000))
    entries = await store.log_entries("audit")
    assert [i for i, _ in entries] == [first, second, third]
    assert entries[0][1] == {"op": "reschedule", "args": '{"id": 1}'} and entries[2][1] == {"op": "x"}
    assert await store.log_entries("other") == []


async def test_write_now_logged_sends_the_queued_writes_the_write_and_the_entry(backend: Backend) -> None:
    store = backend.store
    rev = await store.save(namespace=NS, key="conv", value={"v": 1}, ttl=60)
    async with store.write_behind():
        await store.save(namespace="cache", key="job:1", value={"data": 1}, ttl=60)
        saved, entry_id = await store.write_now_logged(
            Write.compare_and_set(namespace=NS, key="conv", expected_rev=rev, value={"v": 2}, ttl=60),
            Entry.of(log="audit", fields={"op": "y"}, max_age_ms=60_000),
        )
        assert await store.load(namespace="cache", key="job:1") is not None
    assert await store.load(namespace=NS, key="conv") == Record(value={"v": 2}, rev=saved)
    assert await store.log_entries("audit") == [(entry_id, {"op": "y"})]


async def test_an_entry_is_added_once_by_its_idempotency_id(backend: Backend) -> None:
    """The same entry sent again (a batch retried after a lost reply, sent by itself after a failure, or by
    another process under the same id) is not added again: the id it was added with is answered."""
    store = backend.store
    rev = await store.save(namespace=NS, key="conv", value={"v": 1}, ttl=60)
    entry = Entry.of(log="audit", fields={"op": "reschedule"}, max_age_ms=60_000, once="claim-1")
    cas = Write.compare_and_set(namespace=NS, key="conv", expected_rev=rev, value={"v": 2}, ttl=60)
    revs, first = await store.write_logged([cas], entry)
    assert revs[0] and first
    # its compare-and-set fails now (not a retry of the same script), and the entry is not added twice
    assert (await store.write_logged([cas], entry)) == ([0], first)
    assert (await store.write_logged([], entry)) == ([], first)
    again = Entry.of(log="audit", fields={"op": "found applied"}, max_age_ms=60_000, once="claim-1")
    assert (await store.write_logged([], again))[1] == first
    _, another = await store.write_logged([], Entry.of(log="audit", fields={"op": "x"}, max_age_ms=60_000))
    assert [i for i, _ in await store.log_entries("audit")] == [first, another]
    # the same id in another log is another entry
    _, elsewhere = await store.write_logged(
        [], Entry.of(log="other", fields={"k": "v"}, max_age_ms=1, once="claim-1")
    )
    assert [i for i, _ in await store.log_entries("other")] == [elsewhere]


@pytest.mark.parametrize(
    ("make", "error"),
    [
        (lambda: Entry.of(log="a:b", fields={"k": "v"}, max_age_ms=1), ValueError),
        (lambda: Entry.of(log="a#b", fields={"k": "v"}, max_age_ms=1), ValueError),
        (lambda: Entry.of(log="audit", fields={"k": "v"}, max_age_ms=1, once="a:b"), ValueError),
        (lambda: Entry.of(log="audit", fields={}, max_age_ms=1), TypeError),
        (lambda: Entry.of(log="audit", fields={"k": 1}, max_age_ms=1), TypeError),  # type: ignore[dict-item]
        (lambda: Entry.of(log="audit", fields={"k": "v"}, max_age_ms=0), ValueError),
    ],
)
def test_a_bad_log_entry_is_refused_when_made(make: Any, error: type[Exception]) -> None:
    with pytest.raises(error):
        make()


async def test_a_batch_with_a_once_write_is_applied_only_while_its_record_is_absent(backend: Backend) -> None:
    store = backend.store
    rev = await store.save(namespace=NS, key="conv", value={"v": 1}, ttl=3600)
    await store.save(namespace=NS, key="gone", value={"v": 1}, ttl=3600)
    batch = [
        Write.save(namespace=NS, key="conv", value={"v": 2}, ttl=3600),
        Write.once(namespace="slack-event", key="T1:Ev1", ttl=600),
        Write.delete(namespace=NS, key="gone"),
    ]
    revs = await store.write_many(batch)
    assert revs[0] is not None and revs[0] > rev and revs[1] is not None and revs[1] > revs[0]
    assert revs[2] is None and await store.load(namespace=NS, key="gone") is None
    assert await store.load(namespace="slack-event", key="T1:Ev1") == Record(value={}, rev=revs[1])
    await backend.expire("slack-event", "T1:Ev1", 600)
    # its record there: nothing of the batch is written
    assert await store.add_once(namespace="slack-event", key="T1:Ev2", ttl=600)
    await store.save(namespace=NS, key="gone", value={"v": 1}, ttl=3600)
    again = [
        Write.save(namespace=NS, key="conv", value={"v": 3}, ttl=3600),
        Write.delete(namespace=NS, key="gone"),
        Write.once(namespace="slack-event", key="T1:Ev2", ttl=600),
    ]
    assert await store.write_many(again) == [0, None, 0]
    conv = await store.load(namespace=NS, key="conv")
    assert conv is not None and conv.value == {"v": 2}
    assert await store.load(namespace=NS, key="gone") is not None
    # a once write's record is what add_once makes: it answers for the other
    assert not await store.add_once(namespace="slack-event", key="T1:Ev2", ttl=600)
    entry = Entry.of(log="audit", fields={"op": "x"}, max_age_ms=60_000)
    assert await store.write_logged(again, entry) == ([0, None, 0], "")
    assert await store.log_entries("audit") == []  # a refused batch adds no entry either


async def test_a_guarded_block_sends_its_guard_with_its_first_batch_only(backend: Backend) -> None:
    store = backend.store
    guard = Guard(store, namespace="slack-event", key="T1:Ev1", ttl=600, wait=5.0)
    with store.guarded(guard):
        async with store.write_behind():
            await store.save(namespace="cache", key="job:1", value={"data": 1}, ttl=60)
            saved = await store.write_now(Write.save(namespace=NS, key="conv", value={"v": 1}, ttl=60))
        assert guard.passed is True and saved > 0
        assert await store.load(namespace="slack-event", key="T1:Ev1") is not None  # created with them
        assert await store.load(namespace="cache", key="job:1") is not None
        assert await store.write_many([Write.save(namespace=NS, key="conv", value={"v": 2}, ttl=60)])
        assert await guard.settle()  # known: no question of its own
    # the same event's guard in another worker: its batch writes nothing, and every later one is refused
    other = Guard(store, namespace="slack-event", key="T1:Ev1", ttl=600, wait=5.0)
    with store.guarded(other):
        with pytest.raises(GuardRefused):
            await store.write_now(Write.save(namespace=NS, key="conv", value={"v": 9}, ttl=60))
        with pytest.raises(GuardRefused):
            await store.write_logged(
                [Write.save(namespace=NS, key="conv", value={"v": 9}, ttl=60)],
                Entry.of(log="audit", fields={"op": "x"}, max_age_ms=60_000),
            )
        with pytest.raises(GuardRefused):
            await store.settle_guard()
    assert other.passed is False
    conv = await store.load(namespace=NS, key="conv")
    assert conv is not None and conv.value == {"v": 2}
    assert await store.log_entries("audit") == []
    # outside the block, nothing carries a guard
    assert await store.write_many([Write.save(namespace=NS, key="conv", value={"v": 3}, ttl=60)])


async def test_a_guard_without_a_batch_is_settled_on_its_own(backend: Backend) -> None:
    store = backend.store
    first = Guard(store, namespace="slack-event", key="T1:Ev1", ttl=600, wait=5.0)
    second = Guard(backend.another_client(), namespace="slack-event", key="T1:Ev1", ttl=600, wait=5.0)
    answers = await asyncio.gather(first.settle(), second.settle())
    assert sorted(answers) == [False, True]
    assert await first.settle() is answers[0]  # answered once, then known


async def test_two_workers_guarded_by_the_same_record_write_once(backend: Backend) -> None:
    """Both write at once, each with its guard: exactly one batch is applied."""
    stores = [backend.store, backend.another_client()]
    guards = [Guard(s, namespace="slack-event", key="T1:Ev1", ttl=600, wait=5.0) for s in stores]

    async def work(store: Any, guard: Guard, n: int) -> int:
        with store.guarded(guard):
            try:
                return int(
                    await store.write_now(Write.save(namespace=NS, key=f"k{n}", value={"n": n}, ttl=60))
                )
            except GuardRefused:
                return 0

    revs = await asyncio.gather(*(work(s, g, n) for n, (s, g) in enumerate(zip(stores, guards, strict=True))))
    assert sorted(bool(r) for r in revs) == [False, True]
    assert [g.passed for g in guards] == [bool(r) for r in revs]
    written = [await backend.store.load(namespace=NS, key=f"k{n}") for n in range(2)]
    assert [w is not None for w in written] == [bool(r) for r in revs]
