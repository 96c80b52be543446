"""A user's request has a deadline (issue 13): "Working on it…" while ServiceTitan is slow, a clear failure
with Try again at a read's deadline (the conversation kept), a re-read (never a second write) at a write's,
and a claim left by a turn that died settled from ServiceTitan within seconds.

Only the step under test gets a short deadline (`_shorten`): a healthy step on a busy machine may take
seconds, so the others run with generous ones. The tests wait on what the user sees, never on the clock.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.dialog.messages import ConversationKey
from bot.dialog.service import NAMESPACE
from bot.dialog.state import Conversation
from bot.simulator import FaultConfig
from bot.slack.blocks import ACTION_CONFIRM, ACTION_RETRY
from bot.slack.conversation import WORKING_TEXT
from tests.slack.fake_slack import TEAM_ID
from tests.slack.harness import (
    DANA,
    DANA_DM,
    MIKE,
    NOW,
    World,
    block_text,
    interactive_elements,
    posted_card,
    world,
)

GENEROUS = {"read_deadline": 30.0, "write_deadline": 30.0}
SHORT = 1.0
HANG = FaultConfig(rate_timeout=1.0, timeout_seconds=30)
PATH = ConversationKey(team=TEAM_ID, channel=DANA_DM, thread="", user=DANA).as_path()


def _shorten(w: World, **deadlines: float) -> None:
    """Give the next turns these deadlines (read_deadline, write_deadline): for the step under test only."""
    for name, seconds in deadlines.items():
        assert hasattr(w.dialog, name), name
        setattr(w.dialog, name, seconds)


def _shown(w: World, needle: str) -> list[dict[str, Any]]:
    """Every message shown as it is now (after updates) whose text has `needle`."""
    return [m for m in w.fake.messages.values() if needle in block_text(m)]


def _with_control(w: World, action_id: str) -> list[dict[str, Any]]:
    return [
        m
        for m in w.fake.messages.values()
        if action_id in [e["action_id"] for e in interactive_elements(m.get("blocks") or [])]
    ]


async def test_a_slow_read_says_working_then_fails_with_try_again_and_the_conversation_is_kept() -> None:
    async with world(dialog_kwargs=GENEROUS, working_after=0.1) as w:
        await w.bot.dm(DANA, "reschedule job 1009 to friday 2pm")
        # the card (which may have taken the place of a "Working on it…" message)
        (card,) = await w.fake.wait_for(lambda: _with_control(w, ACTION_CONFIRM), what="the card")
        _shorten(w, read_deadline=SHORT)
        w.sim.set_faults(HANG)
        await w.bot.dm(DANA, "show job 1003", thread_ts="1.0")  # another conversation of Dana's
        await w.fake.wait_for(
            lambda: any(WORKING_TEXT in (c.params.get("text") or "") for c in w.fake.of("chat.postMessage")),
            what="working on it",
        )
        (failed,) = await w.fake.wait_for(lambda: _shown(w, "taking too long"), what="the failure")
        assert "looking up job 1003" in block_text(failed)
        assert WORKING_TEXT not in block_text(failed)  # the "working" message became the answer
        assert [e["action_id"] for e in interactive_elements(failed["blocks"])] == [ACTION_RETRY]

        w.sim.set_faults(FaultConfig())
        _shorten(w, read_deadline=GENEROUS["read_deadline"])
        await w.bot.click(DANA, failed, ACTION_RETRY)
        await w.fake.wait_for(lambda: _shown(w, "Job 1003"), what="job 1003 after Try again")

        await w.bot.click(DANA, card, ACTION_CONFIRM)  # the card from before still works
        await w.fake.wait_for(lambda: w.sim.write_count == 1, what="the write")
        await w.fake.wait_for(lambda: "Done" in block_text(w.card(card["ts"])), what="done")


async def test_a_write_past_its_deadline_is_re_read_and_never_sent_twice() -> None:
    async with world(dialog_kwargs=GENEROUS) as w:
        await w.bot.dm(DANA, "reschedule job 1009 to friday 2pm")
        card = await posted_card(w, 1)
        _shorten(w, write_deadline=SHORT)  # the re-read after it keeps the generous read deadline
        w.sim.set_faults(HANG)
        await w.bot.click(DANA, card, ACTION_CONFIRM)
        await w.fake.wait_for(lambda: w.sim.write_count == 1, what="the write, whose answer never comes")
        w.sim.set_faults(FaultConfig())  # ServiceTitan answers reads again
        await w.fake.wait_for(lambda: "Done" in block_text(w.card(card["ts"])), what="done")
        assert w.sim.write_count == 1
        assert "already gone through" in block_text(w.card(card["ts"]))


async def _claim_left_by_a_dead_turn(w: World, age: timedelta) -> dict[str, Any]:
    """A reschedule card whose confirm claimed the conversation in a process that then died."""
    await w.bot.dm(DANA, "reschedule job 1009 to friday 2pm")
    card = await posted_card(w, 1)
    store = w.store
    record = await store.load(namespace=NAMESPACE, key=PATH)
    assert record is not None
    state = Conversation.model_validate(record.value)
    assert state.phase == "confirming" and state.pending is not None and state.pending.plan is not None
    state.phase, state.updated_at = "applying", NOW - age
    await store.save(namespace=NAMESPACE, key=PATH, value=state.model_dump(mode="json"), ttl=3600)
    return card


def _old(w: World) -> timedelta:
    """An age past which a claim is a dead turn's, whatever the deadlines."""
    return w.dialog.claim_timeout + timedelta(seconds=30)


async def test_a_claim_older_than_the_deadlines_that_was_not_applied_gives_the_card_back() -> None:
    async with world(dialog_kwargs=GENEROUS) as w:
        card = await _claim_left_by_a_dead_turn(w, _old(w))
        await w.bot.dm(DANA, "hello?")
        await w.fake.wait_for(lambda: _shown(w, "may or may not"), what="the card back")
        assert not _shown(w, "already being done")
        assert w.sim.write_count == 0
        await w.bot.click(DANA, card, ACTION_CONFIRM)  # checks, then writes once
        await w.fake.wait_for(lambda: w.sim.write_count == 1, what="the write")


async def test_a_claim_older_than_the_deadlines_that_went_through_is_done() -> None:
    async with world(dialog_kwargs=GENEROUS) as w:
        card = await _claim_left_by_a_dead_turn(w, _old(w))
        record = await w.store.load(namespace=NAMESPACE, key=PATH)
        assert record is not None
        state = Conversation.model_validate(record.value)
        assert state.pending is not None and state.pending.plan is not None
        called = await w.dialog.runner.call(
            state.pending.plan
        )  # the dead turn's write did reach ServiceTitan
        assert called.ok and w.sim.write_count == 1
        await w.bot.click(DANA, card, ACTION_CONFIRM)
        await w.fake.wait_for(lambda: _shown(w, "Done"), what="done")
        assert not _shown(w, "already being done")
        assert w.sim.write_count == 1


async def test_a_young_claim_is_left_to_the_turn_that_holds_it() -> None:
    async with world(dialog_kwargs=GENEROUS) as w:
        await _claim_left_by_a_dead_turn(w, timedelta(seconds=1))
        assert timedelta(seconds=1) < w.dialog.claim_timeout
        await w.bot.dm(DANA, "hello?")
        await w.fake.wait_for(lambda: _shown(w, "already being done"), what="already being done")
        assert w.sim.write_count == 0


async def test_servicetitan_hanging_while_finding_out_who_asks_is_told_within_the_deadline() -> None:
    async with world(who_deadline=0.5) as w:
        w.sim.set_faults(HANG)  # the staff list that gives Dana her role does not come
        await w.bot.dm(DANA, "show job 1003")
        (told,) = await w.fake.wait_for(lambda: _shown(w, "taking too long"), what="the failure")
        assert "checking who you are" in block_text(told)


async def test_app_home_of_a_technician_is_published_within_the_read_deadline() -> None:
    async with world(dialog_kwargs=GENEROUS) as w:
        await w.bot.dm(MIKE, "help")  # who Mike is, while ServiceTitan answers
        await posted_card(w, 1)
        _shorten(w, read_deadline=SHORT)
        w.sim.set_faults(HANG)
        await w.bot.event({"type": "app_home_opened", "user": MIKE, "tab": "home"})
        (view,) = await w.fake.wait_calls("views.publish", 1)
        assert "taking too long" in block_text({"blocks": view.params["view"]["blocks"]})
