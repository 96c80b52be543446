"""`Runner.check`: after a write whose outcome is unknown, the next confirm reads ServiceTitan first. For
every kind of write, the check must say "not there" before the write and "there" after it, or a second
confirm would either write twice or never write."""

from __future__ import annotations

import pytest

from bot.dialog.messages import Pressed
from bot.dialog.state import Conversation, Plan
from tests.dialog.conftest import Harness, last_card

REQUESTS = [
    "book a drain cleaning for customer 201 tomorrow at 10am",
    "add an appointment to job 1005 on monday at 1pm",
    "delete appointment 5003",
    "put appointment 5002 on hold, waiting for parts",
    "take appointment 5007 off hold",
    "cancel job 1007 duplicate booking",
    "uncancel job 1004",
    "put job 1007 on hold, awaiting approval",
    "assign Mike Chen to job 1001",
    "unassign James from job 1008",
    "give Mike's job 1007 to Sarah",
    "change the priority of job 1001 to high",
    "special instructions for job 1001: gate code 4411",
    "add a note to job 1001: customer prefers mornings",
    "move job 1001 to friday",
]


async def _pending_plan(h: Harness) -> Plan:
    record = await h.store.load(namespace="dialog", key=h.key().as_path())
    assert record is not None
    state = Conversation.model_validate(record.value)
    assert state.pending is not None and state.pending.plan is not None, state.phase
    return state.pending.plan


@pytest.mark.parametrize("request_text", REQUESTS)
async def test_check_tells_a_write_that_is_there_from_one_that_is_not(
    harness: Harness, request_text: str
) -> None:
    replies = await harness.say(request_text)
    card = last_card(replies)
    plan = await harness.service.runner.prepare(await _pending_plan(harness))  # as the confirm prepares it
    assert isinstance(plan, Plan), plan

    assert await harness.service.runner.check(plan) is False
    done = await harness.handle(Pressed(action="confirm", token=card.token))
    assert done[-1].kind == "result", done[-1].text
    assert await harness.service.runner.check(plan) is True
