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

# Parser intents that are neither a read nor a ServiceTitan write of the dialog.
NOT_WRITES = frozenset({"help", "cancel_dialog", "unknown", "subscribe_alerts", "unsubscribe_alerts"})


def test_every_write_intent_of_the_parser_has_a_module() -> None:
    assert set(INTENTS) - READ_INTENTS - NOT_WRITES == set(WRITES)


@pytest.mark.parametrize("intent", sorted(WRITES))
def test_a_write_declares_every_part(intent: str) -> None:
    write: Write = WRITES[intent]
    slots = accepted_slots(intent)
    assert slots, f"intents/data/sentences/{intent}.yaml lists no slots"
    assert write.steps and all(step.rstrip("?") in STEPS for step in write.steps), write.steps
    assert write.correctable and set(write.correctable) <= slots, (write.correctable, slots)
    assert write.doing.strip() and write.done.strip()
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
