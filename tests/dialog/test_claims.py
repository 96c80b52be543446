"""A turn that outlives its claim, on the simulator and real Redis: another turn (another process) settles
the claim by re-reading ServiceTitan, and the old turn's save is refused instead of overwriting what
happened since; it says only what the user was not told, and nothing is written twice (issue 13)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest

from bot.dialog.claims import LATE_NOTE, late_replies, save_held
from bot.dialog.messages import Button, Pressed, Reply, Said
from bot.dialog.runner import Runner
from bot.dialog.service import NAMESPACE, DialogService
from bot.dialog.state import Called, Conversation, Plan
from bot.servicetitan.operations import HoldJob
from bot.store import Write
from tests.dialog.conftest import Harness, dispatcher, last_card, reply_text

NOTE = "gate code 4711, dog in the yard"


async def _notes(h: Harness) -> int:
    return len([n async for n in h.client.iter_job_notes(1001) if n.text == NOTE])


async def _stored(h: Harness) -> Conversation | None:
    record = await h.store.load(namespace=NAMESPACE, key=h.key().as_path())
    return None if record is None else Conversation.model_validate(record.value)


async def _until(what: str, check: Callable[[], Awaitable[bool]]) -> None:
    async def poll() -> None:
        while True:
            if await check():
                return
            await asyncio.sleep(0.01)

    try:
        await asyncio.wait_for(poll(), 10.0)
    except TimeoutError:
        raise AssertionError(f"timed out waiting for {what}") from None


def _hold_the_write(
    monkeypatch: pytest.MonkeyPatch, runner: Runner, gate: asyncio.Event, *, before: bool
) -> None:
    """The holder's write waits at `gate`: `before` sending it (a slow ServiceTitan), or after it went
    through (a process that stalls before saving)."""
    call = runner.call

    async def held(plan: Plan, *, check_first: bool = False) -> Called:
        if before:
            await gate.wait()
        called = await call(plan, check_first=check_first)
        if not before:
            await gate.wait()
        return called

    monkeypatch.setattr(runner, "call", held)


async def _claimed_and_stalled(
    h: Harness, monkeypatch: pytest.MonkeyPatch, *, before: bool
) -> tuple[Reply, asyncio.Event, asyncio.Task[list[Reply]], DialogService]:
    """A note's card confirmed in one process, whose turn then stalls (past the claim timeout, by the
    clock); the other process, which will see the claim as dead."""
    card = last_card(await h.say(f"add a note to job 1001: {NOTE}"))
    gate = asyncio.Event()
    _hold_the_write(monkeypatch, h.service.runner, gate, before=before)
    holder = asyncio.create_task(h.handle(Pressed(action="confirm", token=card.token)))

    async def applying() -> bool:
        stored = await _stored(h)
        return stored is not None and stored.phase == "applying" and bool(stored.claim)

    async def written() -> bool:
        return await _notes(h) == 1

    await _until("the claim", applying)
    if not before:
        await _until("the write", written)
    h.clock.now += h.service.claim_timeout + timedelta(seconds=1)
    return card, gate, holder, h.another_service()


async def test_a_turn_past_its_claim_does_not_overwrite_the_request_started_since(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = harness
    card, gate, holder, other = await _claimed_and_stalled(h, monkeypatch, before=False)

    settled = await other.handle(h.key(), dispatcher(), Said(text="hello?"))
    assert "already gone through" in "\n".join(reply_text(r) for r in settled)
    started = await other.handle(h.key(), dispatcher(), Said(text="reschedule job 1002 to friday 2pm"))
    assert started[-1].kind in ("confirm", "choice", "ask"), [r.text for r in started]
    before = await _stored(h)
    assert before is not None and before.pending is not None and before.pending.intent != "add_note"

    gate.set()
    late = await holder
    assert late == []  # done, and the settling turn already said so
    after = await _stored(h)
    assert after is not None and after.model_dump() == before.model_dump()  # not overwritten
    assert await _notes(h) == 1


async def test_a_turn_past_its_claim_still_tells_a_write_the_re_read_missed(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = harness
    card, gate, holder, other = await _claimed_and_stalled(h, monkeypatch, before=True)

    settled = await other.handle(h.key(), dispatcher(), Said(text="hello?"))
    assert "may or may not" in "\n".join(reply_text(r) for r in settled)  # nothing there yet
    waiting = await _stored(h)
    assert waiting is not None and waiting.phase == "confirming" and waiting.unsure

    gate.set()  # the stalled turn's write goes through after all
    late = await holder
    assert len(late) == 1 and late[0].kind == "result" and late[0].text.startswith("Done"), late
    assert late[0].buttons == [] and LATE_NOTE in (late[0].footnote or "")
    after = await _stored(h)
    assert after is not None and after.model_dump() == waiting.model_dump()  # the settled card stays
    assert await _notes(h) == 1

    # the card's Check & retry reads ServiceTitan first: there, so nothing is sent again
    again = await other.handle(h.key(), dispatcher(), Pressed(action="confirm", token=card.token))
    assert "already gone through" in again[-1].text
    assert await _notes(h) == 1


async def test_a_turn_whose_conversation_was_lost_still_tells_its_outcome(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = harness
    _, gate, holder, _ = await _claimed_and_stalled(h, monkeypatch, before=False)
    await h.store.delete(namespace=NAMESPACE, key=h.key().as_path())  # Redis restarted empty
    gate.set()
    late = await holder
    assert len(late) == 1 and late[0].text.startswith("Done") and late[0].buttons == []
    assert await _stored(h) is None  # nothing saved over the loss: the next message starts afresh


async def test_a_turn_within_its_claim_saves_its_outcome(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = harness
    card = last_card(await h.say(f"add a note to job 1001: {NOTE}"))
    done = await h.handle(Pressed(action="confirm", token=card.token))
    assert done[-1].kind == "result" and LATE_NOTE not in (done[-1].footnote or "")
    stored = await _stored(h)
    assert stored is not None and stored.phase == "idle" and stored.last_done_token == card.token
    assert stored.claim == "" and stored.claimed_at is None


async def test_the_card_s_own_buttons_wait_while_its_write_is_applying(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = harness
    card = last_card(await h.say(f"add a note to job 1001: {NOTE}"))
    gate = asyncio.Event()
    _hold_the_write(monkeypatch, h.service.runner, gate, before=True)
    holder = asyncio.create_task(h.handle(Pressed(action="confirm", token=card.token)))

    async def applying() -> bool:
        stored = await _stored(h)
        return stored is not None and stored.phase == "applying"

    await _until("the claim", applying)
    other = h.another_service()
    dropped: list[Any] = await other.handle(
        h.key(), dispatcher(), Pressed(action="abandon", token=card.token)
    )
    assert "already being done" in dropped[-1].text  # never "Nothing was changed" while it is being sent
    gate.set()
    done = await holder
    assert done[-1].kind == "result" and await _notes(h) == 1


def _plan() -> Plan:
    return Plan(operation=HoldJob(job_id=1003, reason_id=1, memo=""), title="Hold job 1003?", verb="Hold",
                done_text="Job 1003 is on hold.")  # fmt: skip


def _card_back(token: str = "card") -> Conversation:
    """The conversation as a settling turn leaves it when its re-read could not find the change."""
    return Conversation(phase="confirming", token=token, unsure=True)


def test_a_late_turn_adds_a_sure_refusal_to_an_unsure_card_and_nothing_else() -> None:
    refused = Called(_plan(), ok=False, error="Job 1003 is Completed", status=409)
    retry = Reply(kind="error", text="ServiceTitan didn't accept that", token="card",
                  buttons=[Button(action="confirm", label="Try again")])  # fmt: skip
    (told,) = late_replies(_card_back(), [retry], refused, "card")
    assert told.buttons == retry.buttons  # the card's own token: its buttons still work
    assert late_replies(_card_back("another"), [retry], refused, "card") == []  # the user moved on
    unknown = Called(_plan(), ok=False, error="no answer", uncertain=True)
    assert late_replies(_card_back(), [retry], unknown, "card") == []  # the re-read said as much
    (lost,) = late_replies(None, [retry], unknown, "card")  # nobody told the user anything
    assert "may or may not" in lost.text and not lost.buttons
    drift = Called(_plan(), ok=False, drift="Job 1003 was put on hold by someone else")
    (moved,) = late_replies(_card_back(), [retry], drift, "card")
    assert "Nothing was changed" in moved.text and not moved.buttons


def test_a_claim_outlives_its_own_turn_the_write_deadline_and_the_re_read_after_it(harness: Harness) -> None:
    """A turn whose write ran to its deadline still re-reads ServiceTitan for up to the read deadline: a
    message meanwhile must not settle that live claim (and drop what the turn has still to say)."""
    service = harness.service
    assert service.claim_timeout > timedelta(seconds=service.write_deadline + service.read_deadline)


async def test_a_held_claim_is_saved_at_its_own_revision_or_at_the_one_read_and_a_lost_one_never(
    harness: Harness,
) -> None:
    store, key = harness.store, "T1:D1::U9"
    claimed = {"phase": "applying", "claim": "mine"}
    rev = await store.save(namespace=NAMESPACE, key=key, value=claimed, ttl=60)
    done = {"phase": "idle", "claim": ""}
    # at the claim's own revision: saved (no read needed), answering the new revision
    saved, stored = await save_held(
        store, Write.save(namespace=NAMESPACE, key=key, value=done, ttl=60), token="mine", rev=rev
    )
    record = await store.load(namespace=NAMESPACE, key=key)
    assert stored is None and record is not None and record.value == done and saved == record.rev > rev
    # a read answered meanwhile moved the revision, not the claim: saved at the revision read
    rev = await store.save(namespace=NAMESPACE, key=key, value=claimed, ttl=60)
    await store.save(namespace=NAMESPACE, key=key, value={**claimed, "paged": 2}, ttl=60)
    saved, stored = await save_held(
        store, Write.save(namespace=NAMESPACE, key=key, value=done, ttl=60), token="mine", rev=rev
    )
    record = await store.load(namespace=NAMESPACE, key=key)
    assert stored is None and record is not None and record.value == done and saved == record.rev
    # another turn settled it and took a new claim: refused, at the old revision and at the one read
    rev = await store.save(namespace=NAMESPACE, key=key, value=claimed, ttl=60)
    theirs = {"phase": "applying", "claim": "theirs"}
    await store.save(namespace=NAMESPACE, key=key, value=theirs, ttl=60)
    saved, stored = await save_held(
        store, Write.save(namespace=NAMESPACE, key=key, value=done, ttl=60), token="mine", rev=rev
    )
    assert not saved and stored == theirs
    record = await store.load(namespace=NAMESPACE, key=key)
    assert record is not None and record.value == theirs
