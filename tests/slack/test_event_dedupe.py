"""An event's first delivery is deduped by its turn's first write (issue 13: no Redis round trip of its own).

Every test runs on the real Redis: two bots on one key prefix are two processes sharing the store (each with
its own memory of the deliveries it saw).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Sequence
from typing import Any

import pytest

from bot.slack.app import DeliveryDedupe
from bot.slack.deps import EVENT_DEDUPE_NAMESPACE, EVENT_DEDUPE_TTL_SECONDS
from bot.store import GuardRefused, MemoryStore, RedisStore, Write
from tests.slack.fake_slack import TEAM_ID, FakeSlack
from tests.slack.harness import DANA, DANA_DM, FakeDialog, running_bot, world
from tests.store.conftest import REDIS_URL, cleaned_redis

SKIPPED = "skipped a repeated delivery of event"


class CountedRedis(RedisStore):
    """A real Redis store that notes the conversations' saves Redis applied and the event dedupe's own
    questions (`add_once`)."""

    def __init__(self, url: str, *, prefix: str) -> None:
        super().__init__(url, prefix=prefix)
        self.dialog_saves = 0
        self.dedupe_asked = 0

    async def _write_many(self, writes: Sequence[Write]) -> list[int | None]:
        revs = await super()._write_many(writes)
        self.dialog_saves += sum(
            1 for w, r in zip(writes, revs, strict=True) if w.namespace == "dialog" and r
        )
        return revs

    async def add_once(self, **kwargs: Any) -> bool:
        if kwargs.get("namespace") == EVENT_DEDUPE_NAMESPACE:
            self.dedupe_asked += 1
        return await super().add_once(**kwargs)


def _dm(ts: str, text: str = "reschedule job 1009 to friday 2pm") -> dict[str, Any]:
    return {"type": "message", "channel": DANA_DM, "channel_type": "im", "user": DANA, "text": text, "ts": ts}


def _skipped(caplog: pytest.LogCaptureFixture, event_id: str) -> bool:
    return any(SKIPPED in r.getMessage() and event_id in r.getMessage() for r in caplog.records)


async def _taken_elsewhere(redis_url: str, prefix: str, event_id: str) -> None:
    """Another process has the event: its dedupe record is there."""
    async with RedisStore(redis_url, prefix=prefix) as other:
        key = f"{TEAM_ID}:{event_id}"
        assert await other.add_once(namespace=EVENT_DEDUPE_NAMESPACE, key=key, ttl=EVENT_DEDUPE_TTL_SECONDS)


async def test_one_event_delivered_to_two_processes_is_answered_and_saved_once(
    redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    prefix = f"stbot-test-{uuid.uuid4().hex[:8]}"
    async with cleaned_redis(prefix):
        stores = [CountedRedis(redis_url, prefix=prefix) for _ in range(2)]
        async with world(stores[0]) as a, world(stores[1]) as b:
            event = _dm(a.bot.next_ts())
            answers = await asyncio.gather(
                a.bot.event(event, event_id="Ev0TWICE"), b.bot.event(event, event_id="Ev0TWICE")
            )
            assert [answer.status_code for answer in answers] == [200, 200]
            await a.fake.wait_for(lambda: _skipped(caplog, "Ev0TWICE"), what="one of them skipped")
            cards = await a.fake.wait_for(
                lambda: a.fake.of("chat.postMessage") + b.fake.of("chat.postMessage"), what="the card"
            )
            assert len(cards) == 1 and "1009" in cards[0].params["text"]
            assert sum(store.dialog_saves for store in stores) == 1
            assert sum(store.dedupe_asked for store in stores) == 0  # it went with the saves
            assert a.sim.write_count == b.sim.write_count == 0
        for store in stores:
            await store.aclose()


async def test_a_first_delivery_whose_save_the_guard_refuses_shows_nothing(
    redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    prefix = f"stbot-test-{uuid.uuid4().hex[:8]}"
    async with cleaned_redis(prefix) as raw:
        store = CountedRedis(redis_url, prefix=prefix)
        async with world(store, working_after=0.0) as w:  # "Working on it…" at once
            await _taken_elsewhere(redis_url, prefix, "Ev0TAKEN")
            assert (await w.bot.event(_dm(w.bot.next_ts()), event_id="Ev0TAKEN")).status_code == 200
            await w.fake.wait_for(lambda: _skipped(caplog, "Ev0TAKEN"), what="the delivery skipped")
            # before its "Working on it…" note it asked whether the event is this process's: no note, no save
            assert store.dialog_saves == 0 and store.dedupe_asked <= 1
            assert [key async for key in raw.scan_iter(match=f"{prefix}:dialog:*")] == []
            assert w.fake.posted() == [] and w.fake.of("chat.delete") == []
            # the next message of the conversation is answered as usual
            await w.bot.dm(DANA, "reschedule job 1009 to friday 2pm")
            await w.fake.wait_for(
                lambda: any("1009" in (m.get("text") or "") for m in w.fake.posted()), what="the card"
            )
            assert store.dialog_saves == 1
        await store.aclose()


async def test_a_turn_that_writes_nothing_still_asks_before_answering(
    redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    prefix = f"stbot-test-{uuid.uuid4().hex[:8]}"
    async with cleaned_redis(prefix):
        store = CountedRedis(redis_url, prefix=prefix)
        dialog = FakeDialog()  # answers without writing anything
        fake = FakeSlack()
        async with running_bot(dialog=dialog, store=store, fake=fake) as bot:
            await _taken_elsewhere(redis_url, prefix, "Ev0ELSEWHERE")
            assert (await bot.event(_dm(bot.next_ts(), "hi"), event_id="Ev0ELSEWHERE")).status_code == 200
            await fake.wait_for(lambda: _skipped(caplog, "Ev0ELSEWHERE"), what="the delivery skipped")
            assert len(dialog.turns) == 1 and store.dedupe_asked == 1
            assert (await bot.event(_dm(bot.next_ts(), "hello"), event_id="Ev0OURS")).status_code == 200
            (post,) = await fake.wait_calls("chat.postMessage", 1)
            assert post.params["text"] == "heard said" and store.dedupe_asked == 2  # one question each
            assert fake.posted() == [post.params]
        await store.aclose()


async def test_without_redis_a_first_delivery_asks_only_this_processes_memory() -> None:
    """The memory store has no round trips to save, but the same rule holds: a delivery this process saw
    is skipped at once, and one it did not see is answered."""
    dialog = FakeDialog()
    fake = FakeSlack()
    async with running_bot(dialog=dialog, store=MemoryStore(), fake=fake) as bot:
        event = _dm(bot.next_ts(), "hi")
        await bot.event(event, event_id="Ev0MEM")
        await bot.event(event, event_id="Ev0MEM")  # Socket Mode or a proxy repeating it without a header
        await bot.dm(DANA, "next")
        await fake.wait_calls("chat.postMessage", 2)
        assert [turn[2].kind for turn in dialog.turns] == ["said", "said"]


class LateFirstAnswer(RedisStore):
    """A real Redis whose first answer to the event dedupe's question comes after the dedupe stopped
    waiting (the question reached Redis: its record is there)."""

    def __init__(self, url: str, *, prefix: str) -> None:
        super().__init__(url, prefix=prefix)
        self.asked = 0

    async def add_once(self, **kwargs: Any) -> bool:
        self.asked += 1
        created = await super().add_once(**kwargs)
        if self.asked == 1:
            await asyncio.Event().wait()  # never answers: the dedupe's wait ends it
        return created


async def test_a_retry_whose_question_reached_redis_late_is_still_answered_once() -> None:
    """Slack's retry reaches process B, whose question to Redis lands but answers too late; B asks again
    with the same token and finds its own record, so B answers and the first delivery (process A, whose
    guard rides on its first write) is refused: answered once, not by nobody."""
    prefix = f"dedupe-late-{uuid.uuid4().hex[:8]}"
    async with cleaned_redis(prefix):
        a, b = RedisStore(REDIS_URL, prefix=prefix), LateFirstAnswer(REDIS_URL, prefix=prefix)
        try:
            first = await DeliveryDedupe(a).delivery("T1:EvLate", retried=False)
            retry = await DeliveryDedupe(b, wait=0.2).delivery("T1:EvLate", retried=True)
            assert retry is not None and b.asked == 2  # B answers the event
            assert first is not None
            with a.guarded(first), pytest.raises(GuardRefused):
                await a.write_many([Write.save(namespace="dialog", key="c", value={"x": 1}, ttl=60)])
        finally:
            await a.aclose()
            await b.aclose()
