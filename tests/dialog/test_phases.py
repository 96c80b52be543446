"""The phase table is complete and enforced, a turn is read into the typed answer it means, and a
conversation stored by version 1 (flags in Pending.data) is read into the typed fields."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any, get_args

import pytest

from bot.dialog import phases
from bot.dialog.answers import (
    Abandon,
    Answer,
    Confirm,
    Deny,
    Fill,
    NewRequest,
    Pick,
    Unclear,
    Undo,
)
from bot.dialog.messages import Asker, Pressed, Said
from bot.dialog.state import STATE_VERSION, Conversation, OfferedChoice, Pending, Phase, Plan
from bot.dialog.understand import understand
from bot.servicetitan.operations import HoldJob
from tests.dialog.conftest import Harness, last_card

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
ASKER = Asker(user_id="U1", tz="America/Chicago", role="dispatcher")
PLAN = Plan(
    operation=HoldJob(job_id=1003, reason_id=1, memo="parts"),
    title="Put job 1003 on hold?",
    verb="Hold",
    done_text="",
)


def test_the_table_has_a_row_for_every_phase_and_a_column_for_every_answer_and_result() -> None:
    answers = {kind.__name__ for kind in get_args(Answer)}
    assert set(phases.KINDS) == answers | {"Loaded", "Called", "ClaimLost"}
    for phase in get_args(Phase):
        for kind in phases.KINDS:
            assert phase in phases.PHASES[(phase, kind)], (phase, kind)  # a stale click stays put
    assert len(phases.PHASES) == len(get_args(Phase)) * len(phases.KINDS)


def test_a_transition_the_table_does_not_list_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="bot.dialog"):
        phases.check("idle", "More", "applying")
        phases.check("confirming", "Confirm", "applying")
    assert [r.getMessage() for r in caplog.records] == [
        "phase table: More in idle led to applying, which PHASES does not list"
    ]
    caplog.clear()  # the autouse check of the dialog tests would fail on this deliberate one


def _state(phase: Phase, **pending: Any) -> Conversation:
    p = Pending(intent="hold_job", slots={"job_id": 1003}, **pending) if pending or phase != "idle" else None
    return Conversation(asker=ASKER, phase=phase, pending=p, token="tok", updated_at=NOW)


@pytest.mark.parametrize(
    ("state", "event", "answer"),
    [
        (_state("confirming", plan=PLAN), Said(text="yes"), Confirm("tok")),
        (_state("confirming", plan=PLAN), Said(text="no"), Deny("tok")),
        (_state("confirming", plan=PLAN), Said(text="never mind"), Abandon()),
        (_state("confirming", plan=PLAN), Pressed(action="abandon", token="old"), Abandon("old")),
        (_state("idle"), Said(text="undo that"), Undo()),
        (_state("idle"), Said(text="1"), None),  # an Unclear with its message
        (_state("idle"), Said(text="yes"), NewRequest("unknown", {})),
        (
            _state("collecting", asked="reason"),
            Said(text="waiting for parts"),
            Fill({"reason": "waiting for parts"}),
        ),
        (
            _state(
                "choosing", choice=OfferedChoice(slot="reason", prompt="Which?", options=[("71", "Parts")])
            ),
            Said(text="Parts"),
            Pick("71", "tok"),
        ),
        (_state("idle"), Pressed(action="keep", token="tok"), Deny("tok", to="switch")),
        (_state("idle"), Pressed(action="switch", token="tok"), Confirm("tok", to="switch")),
    ],
)
def test_a_turn_is_read_into_the_answer_it_means(
    state: Conversation, event: Any, answer: Answer | None
) -> None:
    read = understand(state, event, NOW)
    if answer is None:
        assert isinstance(read, Unclear) and "Nothing is waiting for an answer" in read.problem
    else:
        assert read == answer


def test_a_version_1_conversation_is_read_into_the_typed_fields() -> None:
    card = {"slots": {"job_id": 1003}, "plan": PLAN.model_dump(mode="json")}
    stored = {
        "version": 1,
        "phase": "collecting",
        "pending": {
            "intent": "reschedule_appointment",
            "slots": {"job_id": 5073},
            "data": {
                "job:job_id=1003": {"job": None},
                "_card": card,
                "_refused": True,
                "_job_or_appointment": 5073,
                "_tried_as_appointment": 5072,
                "_customer_name": "Ann Lee",
                "_problem": "It's already there.",
            },
        },
    }
    state = Conversation.model_validate(stored)
    p = state.pending
    assert state.version == STATE_VERSION == 3 and p is not None
    assert p.data == {"job:job_id=1003": {"job": None}}
    assert (
        p.card_before is not None and p.card_before.plan == PLAN and p.card_before.slots == {"job_id": 1003}
    )
    assert (p.refused, p.either, p.either_tried, p.customer_name, p.problem) == (
        True,
        5073,
        5072,
        "Ann Lee",
        "It's already there.",
    )
    assert "_card" not in state.model_dump_json() and '"version":3' in state.model_dump_json()


async def test_a_card_stored_by_version_1_is_still_confirmed_once(harness: Harness) -> None:
    card = last_card(await harness.say("put job 1007 on hold, awaiting approval"))
    key = harness.key().as_path()
    record = await harness.store.load(namespace="dialog", key=key)
    assert record is not None
    old = dict(record.value)
    old["version"] = 1
    old["pending"] = {**old["pending"], "data": {**old["pending"]["data"], "_refused": False}}
    for field in ("card_before", "refused", "either", "either_tried", "customer_name", "problem"):
        old["pending"].pop(field)
    await harness.store.save(namespace="dialog", key=key, value=old, ttl=600)

    done = await harness.handle(Pressed(action="confirm", token=card.token))

    assert done[-1].kind == "result" and harness.sim.write_count == 1


def _untyped(plan: Plan) -> dict[str, Any]:
    """A plan as version 2 stored it: the operation as an op name and its arguments."""
    stored = plan.model_dump(mode="json")
    operation = stored.pop("operation")
    return {**stored, "op": operation.pop("kind"), "args": operation}


async def test_a_card_stored_by_version_2_is_dropped_with_a_message_and_never_sent(harness: Harness) -> None:
    card = last_card(await harness.say("put job 1007 on hold, awaiting approval"))
    key = harness.key().as_path()
    record = await harness.store.load(namespace="dialog", key=key)
    assert record is not None and record.value["pending"]["plan"] is not None
    old = dict(record.value)
    old["version"] = 2
    pending = dict(old["pending"])
    pending["plan"] = _untyped(Plan.model_validate(pending["plan"]))
    old["pending"] = pending
    old["undo"] = {"plan": pending["plan"], "until": "2099-01-01T00:00:00Z", "token": "u"}
    await harness.store.save(namespace="dialog", key=key, value=old, ttl=600)

    pressed = await harness.handle(Pressed(action="confirm", token=card.token))
    typed = await harness.say("yes")

    said = " ".join(r.text for r in pressed + typed)
    assert "I was updated while your request about job 1007 was open, so I dropped it" in said
    assert "no longer available" in said
    assert harness.sim.write_count == 0  # neither the click nor "yes" sent the old plan
    stored = await harness.store.load(namespace="dialog", key=key)
    assert stored is not None and stored.value["version"] == STATE_VERSION and stored.value["pending"] is None
