"""A turn under a delivery's guard (bot/store/base.py Guard: the Slack event dedupe riding on the turn's first
write), through the real DialogService on real Redis: one of two services handling the same event saves and
answers, the other writes nothing; a running-late notice of an event another process has is not sent."""

from __future__ import annotations

import asyncio

import pytest

from bot.dialog.messages import Reply, Said
from bot.dialog.service import DialogService
from bot.store import Guard, GuardRefused
from tests.dialog.conftest import Harness, dispatcher
from tests.dialog.test_running_late import MIKE_CHEN, Outbox, wire

EVENTS = "slack-event"


def _guard(service: DialogService, event: str = "T1:Ev1") -> Guard:
    return Guard(service.store, namespace=EVENTS, key=event, ttl=600, wait=5.0)


async def _turn(service: DialogService, guard: Guard, harness: Harness, text: str) -> list[Reply] | None:
    """The turn's replies; None when its guard was refused."""
    with service.store.guarded(guard):
        try:
            return await service.handle(harness.key(), dispatcher(), Said(text=text))
        except GuardRefused:
            return None


async def test_two_services_handling_one_event_save_and_answer_once(harness: Harness) -> None:
    services = [harness.service, harness.another_service()]
    guards = [_guard(service) for service in services]
    text = "reschedule 1008 to friday 10am"
    answers = await asyncio.gather(
        *(_turn(s, g, harness, text) for s, g in zip(services, guards, strict=True))
    )
    assert sorted(answer is None for answer in answers) == [False, True]
    (replies,) = [answer for answer in answers if answer is not None]
    assert any(reply.kind == "confirm" for reply in replies), [r.text for r in replies]
    assert [guard.passed for guard in guards] == [answer is not None for answer in answers]
    record = await harness.store.load(namespace="dialog", key=harness.key().as_path())
    assert record is not None and record.value["phase"] == "confirming"
    # the winner's save is the stored one: the next turn of its service starts from it (its Recall)
    winner = services[[answer is not None for answer in answers].index(True)]
    assert winner.recall.get(harness.key().as_path()) is not None
    assert harness.sim.write_count == 0


async def test_a_turn_whose_event_another_process_has_writes_nothing(harness: Harness) -> None:
    assert await harness.store.add_once(namespace=EVENTS, key="T1:Ev1", ttl=600)  # the other process's
    before = await harness.store.load(namespace="dialog", key=harness.key().as_path())
    assert await _turn(harness.service, _guard(harness.service), harness, "show job 1008") is None
    assert await harness.store.load(namespace="dialog", key=harness.key().as_path()) == before is None
    # the same message as a new event is answered
    assert await _turn(harness.service, _guard(harness.service, "T1:Ev2"), harness, "show job 1008")


async def test_a_running_late_notice_of_an_event_another_process_has_is_not_sent(harness: Harness) -> None:
    outbox = Outbox()
    wire(harness, outbox)
    assert await harness.store.add_once(namespace=EVENTS, key="T1:Ev1", ttl=600)
    with harness.store.guarded(_guard(harness.service)), pytest.raises(GuardRefused):
        await harness.say("running 30 min late to 1008", MIKE_CHEN, harness.key("U42"))
    assert outbox.sent == []
    with harness.store.guarded(_guard(harness.service, "T1:Ev2")):
        await harness.say("running 30 min late to 1008", MIKE_CHEN, harness.key("U42"))
    assert len(outbox.sent) == 1
