"""A write that reached ServiceTitan has exactly one audit record: not two when the store answers late or
the record is sent again, and not none when the turn stops between the write and the outcome's save."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from bot.dialog.auditing import FOUND_ON_REREAD
from bot.dialog.messages import Pressed, Said
from bot.dialog.service import NAMESPACE
from bot.dialog.state import Conversation, Load, Loaded
from bot.store import StoreUnavailable
from bot.store.audit import StoreAuditLog
from tests.dialog.conftest import Harness, dispatcher, last_card, reply_text

COMPOUND = "reschedule 1001 to monday 10am and assign mike chen"


def _writes(harness: Harness) -> list[str]:
    return [path for method, path, _ in harness.sim.request_log if method == "PATCH"]


async def _stored(harness: Harness) -> Conversation | None:
    record = await harness.store.load(namespace=NAMESPACE, key=harness.key().as_path())
    return Conversation.model_validate(record.value) if record is not None else None


async def test_an_outcome_saved_whose_answer_was_lost_keeps_one_record(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    harness.service.audit = audit = StoreAuditLog(harness.store)
    card = last_card(await harness.say("move job 1001 to friday 10am"))
    landed = harness.store.write_now_logged

    async def landed_then_lost(*args: Any, **kwargs: Any) -> Any:
        await landed(*args, **kwargs)
        raise StoreUnavailable("Timeout reading from socket (test: the script ran, its answer was lost)")

    monkeypatch.setattr(harness.store, "write_now_logged", landed_then_lost)
    done = await harness.handle(Pressed(action="confirm", token=card.token))
    ((entry_id, fields),) = await audit.entries()  # recorded by itself again: the same record, kept once
    assert fields["outcome"] == "done" and f"Recorded in the audit log as {entry_id}" in (
        done[-1].footnote or ""
    )
    assert len(_writes(harness)) == 1


async def test_a_turn_stopped_by_a_look_up_after_its_write_has_its_record_already(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The compound request's second part is looked up after the first part's write (no read deadline
    then): a process stopped there (a deploy) leaves the write's record in the log; the turn that settles
    its claim later does not record it again."""
    harness.service.audit = audit = StoreAuditLog(harness.store)
    card = last_card(await harness.say(COMPOUND))
    runner = harness.service.runner
    look_up = runner.load
    stopped: list[Load] = []

    async def stopping(effect: Load) -> Loaded:
        if _writes(harness):
            stopped.append(effect)
            raise asyncio.CancelledError  # the process is stopped here
        return await look_up(effect)

    monkeypatch.setattr(runner, "load", stopping)
    with pytest.raises(asyncio.CancelledError):
        await harness.handle(Pressed(action="confirm", token=card.token))
    assert stopped and len(_writes(harness)) == 1
    ((_, fields),) = await audit.entries()
    assert fields["op"] == "reschedule_appointment" and fields["outcome"] == "done"
    stored = await _stored(harness)
    assert stored is not None and stored.phase == "applying"  # its outcome never saved

    harness.clock.now += harness.service.claim_timeout + timedelta(seconds=1)
    other = harness.another_service()
    other.audit = StoreAuditLog(other.store)
    settled = await other.handle(harness.key(), dispatcher(), Said(text="hello?"))
    assert "already gone through" in "\n".join(reply_text(r) for r in settled)
    assert [f["outcome"] for _, f in await audit.entries()] == ["done"]  # the same write: still one record
    assert len(_writes(harness)) == 1


async def test_a_dead_claim_settled_as_applied_gets_the_record_its_turn_never_kept(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    harness.service.audit = audit = StoreAuditLog(harness.store)
    card = last_card(await harness.say("move job 1001 to friday 10am"))

    async def stopped(*args: Any, **kwargs: Any) -> Any:
        raise asyncio.CancelledError  # the process is stopped as it saves the outcome (with the record)

    monkeypatch.setattr(harness.store, "write_now_logged", stopped)
    with pytest.raises(asyncio.CancelledError):
        await harness.handle(Pressed(action="confirm", token=card.token))
    assert len(_writes(harness)) == 1 and await audit.entries() == []

    harness.clock.now += harness.service.claim_timeout + timedelta(seconds=1)
    other = harness.another_service()
    other.audit = StoreAuditLog(other.store)
    settled = await other.handle(harness.key(), dispatcher(), Said(text="hello?"))
    assert "already gone through" in "\n".join(reply_text(r) for r in settled)
    ((_, fields),) = await audit.entries()
    assert fields["op"] == "reschedule_appointment" and fields["outcome"] == FOUND_ON_REREAD
    assert fields["conversation"] == harness.key().as_path()
    assert len(_writes(harness)) == 1
