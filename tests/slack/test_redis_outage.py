"""Redis paused, stopped or restarted empty while people talk to the bot (issue 13).

Each test runs its own redis-server (tests/store/own_redis.py) and breaks it on purpose.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

import httpx
import pytest

from bot.simulator import Exchange
from bot.slack.blocks import ACTION_CONFIRM
from bot.store import RedisStore
from tests.slack.harness import DANA, DANA_DM, NOW, World, block_text, posted_card, world
from tests.store.own_redis import OwnRedis, own_redis

KEPT_CLAIM = "as it was"


def _store(server: OwnRedis) -> RedisStore:
    return RedisStore(server.url, prefix=f"outage-{uuid.uuid4().hex[:8]}")


def _apologies(w: World) -> list[str]:
    return [m["text"] for m in w.fake.posted() if "Reference:" in (m.get("text") or "")]


async def test_a_paused_redis_does_not_hold_the_ack_and_the_apology_promises_nothing() -> None:
    with own_redis() as server:
        store = _store(server)
        async with world(store) as w:
            await w.bot.dm(DANA, "help")
            await posted_card(w, 1)
            server.pause()
            try:
                # Slack gives an ack 3 s; a slower answer fails the request here
                w.bot.http.timeout = httpx.Timeout(2.5)
                answer = await w.bot.dm(DANA, "show job 1009")
                assert answer.status_code == 200
                (apology,) = await w.fake.wait_for(lambda: _apologies(w), what="the apology")
                assert KEPT_CLAIM not in apology and "Try again in a minute" in apology
            finally:
                server.resume()
        await store.aclose()


async def test_a_retried_delivery_during_an_outage_gets_no_second_apology(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    with own_redis() as server:
        store = _store(server)
        async with world(store) as w:
            await w.bot.dm(DANA, "help")
            await posted_card(w, 1)
            server.stop()
            event = {"type": "message", "channel": DANA_DM, "channel_type": "im", "user": DANA,
                     "text": "show job 1009", "ts": w.bot.next_ts()}  # fmt: skip
            first = await w.bot.event(event, event_id="EvOutage1")
            assert first.status_code == 200
            await w.fake.wait_for(lambda: _apologies(w), what="the apology")
            again = await w.bot.event(event, event_id="EvOutage1", retry_num=1)
            assert again.status_code == 200
            # the ack doesn't wait for the dedupe: the listener skips the repeat right after it
            await w.fake.wait_for(
                lambda: any(
                    "skipped a repeated delivery of event EvOutage1" in r.getMessage() for r in caplog.records
                ),
                what="the repeat skipped",
            )

            server.start()  # back, and empty
            await w.bot.dm(DANA, "show job 1003")
            await w.fake.wait_for(lambda: any("1003" in block_text(m) for m in w.fake.posted()), what="1003")
            assert len(_apologies(w)) == 1
        await store.aclose()


async def test_after_redis_restarts_empty_nothing_claims_the_conversation_was_kept() -> None:
    with own_redis() as server:
        store = _store(server)
        async with world(store) as w:
            await w.bot.dm(DANA, "reschedule job 1009 to friday 2pm")
            card = await posted_card(w, 1)
            server.stop()
            await w.bot.click(DANA, card, ACTION_CONFIRM)
            await w.fake.wait_for(lambda: _apologies(w), what="the apology")
            server.start()  # empty: the conversation of the card is gone
            shown = len(w.fake.posted())
            await w.bot.click(DANA, card, ACTION_CONFIRM)
            await w.fake.wait_for(lambda: len(w.fake.posted()) > shown, what="an answer to the click")
            assert w.sim.write_count == 0
            for message in w.fake.posted():
                assert KEPT_CLAIM not in block_text(message)
        await store.aclose()


async def test_redis_dying_during_a_write_still_tells_the_user_it_was_done() -> None:
    with own_redis() as server:
        store = _store(server)
        async with world(store) as w:
            await w.bot.dm(DANA, "add note to job 1009: gate code 1234")
            card = await posted_card(w, 1)

            def die_after_the_write(exchange: Exchange) -> None:
                if exchange.method != "GET" and exchange.status < 300:
                    server.stop()

            w.sim.observers.append(die_after_the_write)
            await w.bot.click(DANA, card, ACTION_CONFIRM)
            await w.fake.wait_for(lambda: "Done" in block_text(w.card(card["ts"])), what="done")
            assert w.sim.write_count == 1
            assert not _apologies(w)
        await store.aclose()


class _Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


async def test_redis_pausing_while_a_write_is_saved_leaves_no_claim_beyond_the_write_deadline() -> None:
    """The note is written and the user told so although its outcome could not be saved; the claim left
    in Redis answers "already being done" only until it is older than the write deadline and its margin,
    then the next message re-reads ServiceTitan and says it went through (issue 13: it was 5 minutes)."""
    clock = _Clock()
    with own_redis() as server:
        store = _store(server)
        async with world(store, dialog_kwargs={"clock": clock}) as w:
            await w.bot.dm(DANA, "add note to job 1009: gate code 1234")
            card = await posted_card(w, 1)

            def pause_after_the_write(exchange: Exchange) -> None:
                if exchange.method != "GET" and exchange.status < 300:
                    server.pause()

            w.sim.observers.append(pause_after_the_write)
            await w.bot.click(DANA, card, ACTION_CONFIRM)
            await w.fake.wait_for(lambda: "Done" in block_text(w.card(card["ts"])), what="done")
            w.sim.observers.remove(pause_after_the_write)
            server.resume()

            await w.bot.dm(DANA, "show job 1009")
            await w.fake.wait_for(lambda: _said(w, "already being done"), what="the claim held")
            clock.now += w.dialog.claim_timeout + timedelta(seconds=1)
            await w.bot.dm(DANA, "show job 1009")
            await w.fake.wait_for(lambda: _said(w, "already gone through"), what="the claim settled")
            assert w.sim.write_count == 1
            assert not _apologies(w)
        await store.aclose()


def _said(w: World, text: str) -> bool:
    return any(text in block_text(m) for m in w.fake.messages.values())
