"""The write intents' registry (bot/dialog/writes): every write intent of the parser has a module, and every
module declares every part a write needs, so a missing one fails here instead of in a conversation."""

from __future__ import annotations

import typing

import pytest

from bot.dialog.catalog import QUESTIONS, READ_INTENTS
from bot.dialog.resolve import STEPS
from bot.dialog.writes import WRITES, Write, accepted_slots
from bot.servicetitan.operations import AnyOperation, Operation
from intents import INTENTS

# Parser intents that are neither a read nor a ServiceTitan write of the dialog. running_late is a
# technician's notice to the office (a Slack message), not a change in ServiceTitan.
NOT_WRITES = frozenset(
    {"help", "cancel_dialog", "unknown", "subscribe_alerts", "unsubscribe_alerts", "running_late"}
)


def test_every_write_intent_of_the_parser_has_a_module() -> None:
    assert set(INTENTS) - READ_INTENTS - NOT_WRITES == set(WRITES)


@pytest.mark.parametrize("intent", sorted(WRITES))
def test_a_write_declares_every_part(intent: str) -> None:
    write: Write = WRITES[intent]
    slots = accepted_slots(intent)
    assert slots, f"intents/data/sentences/{intent}.yaml lists no slots"
    assert write.steps and all(step.rstrip("?") in STEPS for step in write.steps), write.steps
    assert write.correctable and set(write.correctable) <= slots, (write.correctable, slots)
    assert write.doing.strip() and write.done.strip() and write.say.strip()
    assert callable(write.plan)
    assert write.operations and all(issubclass(op, Operation) for op in write.operations)
    for slot, (question, example) in write.questions.items():
        assert slot in slots and slot in QUESTIONS, slot
        assert question.endswith("?") and example
    if write.already_hint:
        assert write.leaves is not None  # the hint follows "Job N is already <leaves>"


def test_every_operation_a_write_sends_can_be_stored_and_read_back() -> None:
    union = typing.get_args(typing.get_args(AnyOperation)[0])
    sent = {op for write in WRITES.values() for op in write.operations}
    assert sent <= set(union)


@pytest.mark.parametrize(
    ("intent", "status", "problem"),
    [
        ("hold_job", "Hold", "Job 1006 is already on hold."),
        ("hold_job", "Completed", "Job 1006 is completed, so it can't be put on hold."),
        ("remove_cancellation", "Scheduled", "Job 1006 isn't canceled (it's Scheduled)."),
        ("remove_cancellation", "Canceled", None),
        ("update_job", "Scheduled", None),
    ],
)
def test_a_jobs_status_is_checked_as_its_write_declares(
    intent: str, status: str, problem: str | None
) -> None:
    assert WRITES[intent].job_problem({"id": 1006, "job_status": status}) == problem


@pytest.mark.parametrize(
    ("intent", "status", "problem"),
    [
        ("reschedule_appointment", "Working", "is being worked on right now, so it can't be rescheduled."),
        ("assign_technician", "Working", None),
        ("hold_appointment", "Hold", "is already on hold."),
        ("remove_appointment_hold", "Scheduled", "isn't on hold (it's Scheduled)."),
        ("reassign_technician", "Done", "is done, so it can't be reassigned."),
    ],
)
def test_an_appointments_status_is_checked_as_its_write_declares(
    intent: str, status: str, problem: str | None
) -> None:
    found = WRITES[intent].appointment_problem({"id": 5007, "status": status})
    assert found == problem if problem is None else found == f"Appointment 5007 {problem}"
