"""A click starts from the conversation as this process saved it (`Recall`), proven by its claim's
compare-and-set: no read of the conversation, and never a decision on an out-of-date copy."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import redis.asyncio as aioredis

from bot.dialog.messages import Pressed, Said
from bot.dialog.service import NAMESPACE
from bot.dialog.state import Conversation, Load, Loaded
from tests.conftest import REDIS_URL
from tests.dialog.conftest import Harness, dispatcher, last_card


def _count_loads(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    loads: list[str] = []
    load = harness.store.load

    async def counted(*, namespace: str, key: str) -> Any:
        loads.append(namespace)
        return await load(namespace=namespace, key=key)

    monkeypatch.setattr(harness.store, "load", counted)
    return loads


def _writes(harness: Harness) -> list[str]:
    return [path for method, path, _ in harness.sim.request_log if method == "PATCH"]


async def test_a_click_on_a_card_this_process_saved_reads_no_conversation(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    card = last_card(await harness.say("move job 1001 to friday 10am"))
    loads = _count_loads(harness, monkeypatch)
    done = await harness.handle(Pressed(action="confirm", token=card.token))
    assert done[-1].kind == "result" and done[-1].text.startswith("Done. Rescheduled")
    assert NAMESPACE not in loads
    assert len(_writes(harness)) == 1
    record = await harness.store.load(namespace=NAMESPACE, key=harness.key().as_path())
    assert record is not None and Conversation.model_validate(record.value).last_done_token == card.token


async def test_a_click_on_a_card_another_process_replaced_writes_nothing(harness: Harness) -> None:
    first = last_card(await harness.say("move job 1001 to friday 10am"))
    other = harness.another_service()
    # the user asked again through another process: its card replaced the one this process recalls
    second = last_card(
        await other.handle(harness.key(), dispatcher(), Said(text="move job 1001 to thursday 10am"))
    )
    stale = await harness.handle(Pressed(action="confirm", token=first.token))
    assert _writes(harness) == []  # the recalled card was not confirmed: its claim could not be proven
    assert all(r.kind != "result" for r in stale)
    record = await harness.store.load(namespace=NAMESPACE, key=harness.key().as_path())
    assert record is not None
    stored = Conversation.model_validate(record.value)
    assert stored.phase == "confirming" and stored.token == second.token
    # and the card that is current is confirmed once, through this process too
    done = await harness.handle(Pressed(action="confirm", token=second.token))
    assert done[-1].kind == "result" and len(_writes(harness)) == 1


async def test_the_next_message_after_a_write_starts_from_the_saved_outcome_without_reading_it(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    card = last_card(await harness.say("move job 1001 to friday 10am"))
    await harness.handle(Pressed(action="confirm", token=card.token))
    loads = _count_loads(harness, monkeypatch)
    second = last_card(await harness.say("move job 1007 to thursday 10am"))
    assert NAMESPACE not in loads
    done = await harness.handle(Pressed(action="confirm", token=second.token))
    assert done[-1].kind == "result" and len(_writes(harness)) == 2 and NAMESPACE not in loads


async def test_a_recalled_card_is_not_confirmed_after_redis_lost_data_and_its_revision_came_again(
    harness: Harness,
) -> None:
    """Redis restarted empty or restored an older snapshot: its revision counter went back. Another process
    saves the conversation again ("never mind"); the card this process recalls must not pass for it."""
    card = last_card(await harness.say("move job 1001 to friday 10am"))
    recalled = harness.service.recall.get(harness.key().as_path())
    assert recalled is not None
    raw = aioredis.from_url(REDIS_URL)
    try:
        await raw.delete(f"{harness.prefix}:{NAMESPACE}:{harness.key().as_path()}")
        await raw.set(f"{harness.prefix}:_revs", recalled[0] - 1)
    finally:
        await raw.aclose()
    other = harness.another_service()
    await other.handle(harness.key(), dispatcher(), Said(text="never mind"))
    done = await harness.handle(Pressed(action="confirm", token=card.token))
    assert _writes(harness) == []  # the stored conversation has no such card
    assert all(r.kind != "result" for r in done)


async def test_a_repeated_read_on_a_recalled_copy_asks_servicetitan_once(harness: Harness) -> None:
    """A turn that changes nothing on a recalled copy is proven by the stored revision, not run twice."""
    harness.service.runner.refdata.reads_ttl = 0  # every list read from ServiceTitan
    await harness.say("list appointments today")
    harness.sim.request_log.clear()
    again = await harness.say("list appointments today")
    with_recall = len(harness.sim.request_log)
    harness.service.recall.forget(harness.key().as_path())
    harness.sim.request_log.clear()
    loaded = await harness.say("list appointments today")
    assert with_recall == len(harness.sim.request_log) > 0
    assert [r.text for r in again] == [r.text for r in loaded]


async def test_a_read_too_slow_on_a_recalled_copy_since_changed_gets_no_second_deadline(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    last_card(await harness.say("move job 1001 to friday 10am"))
    other = harness.another_service()
    await other.handle(
        harness.key(), dispatcher(), Said(text="never mind")
    )  # the recalled copy is out of date
    harness.service.read_deadline = 0.2
    started: list[Load] = []

    async def unanswered(effect: Load) -> Loaded:
        started.append(effect)
        await asyncio.Event().wait()  # ServiceTitan does not answer
        raise AssertionError("unreachable")

    monkeypatch.setattr(harness.service.runner, "load", unanswered)
    slow = await harness.say("list appointments today")
    assert slow[-1].kind == "error" and "taking too long" in slow[-1].text
    assert len(started) == 1  # the attempt on the stored conversation had what was left of the deadline


async def test_a_conversation_other_processes_serve_too_is_read_after_a_recalled_copy_missed(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Messages spread over processes (round robin): once this process's copy turned out out of date, its
    next turns read the stored conversation and run once, instead of running on a copy that is likely
    stale again, failing its save's proof and running again."""
    batches: list[int] = []
    write_many = harness.store.write_many

    async def counted(writes: Any) -> Any:
        batches.append(len(writes))
        return await write_many(writes)

    monkeypatch.setattr(harness.store, "write_many", counted)
    await harness.say("show job 1001")
    other = harness.another_service()
    await other.handle(harness.key(), dispatcher(), Said(text="show job 1002"))
    batches.clear()
    await harness.say("show job 1003")  # on the recalled copy: its save's proof fails, it runs again
    assert len(batches) == 2
    await other.handle(harness.key(), dispatcher(), Said(text="show job 1004"))
    batches.clear()
    shown = await harness.say("show job 1005")
    assert len(batches) == 1  # read first: one run and one save, not a failed one and another
    assert "Job 1005" in "\n".join(r.text for r in shown)
    # on its own again after a while, this process recalls its saves as before
    harness.service.recall.clock = lambda: 10.0**9
    loads = _count_loads(harness, monkeypatch)
    await harness.say("show job 1001")
    assert loads.count(NAMESPACE) == 0
