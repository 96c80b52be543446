"""`copied` (each step's copy of the conversation) makes what `model_copy(deep=True)` makes, sharing
nothing that can change with the original."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from bot.dialog.service import NAMESPACE
from bot.dialog.state import Conversation, copied
from tests.dialog.conftest import Harness, last_card


def _containers(value: Any, found: dict[int, Any]) -> dict[int, Any]:
    """Every dict, list and model inside `value`, by id."""
    if isinstance(value, BaseModel):
        found[id(value)] = value
        _containers(value.__dict__, found)
    elif isinstance(value, dict):
        found[id(value)] = value
        for item in value.values():
            _containers(item, found)
    elif isinstance(value, list | tuple):
        found[id(value)] = value
        for item in value:
            _containers(item, found)
    return found


async def _stored(harness: Harness, thread: str) -> Conversation:
    record = await harness.store.load(namespace=NAMESPACE, key=harness.key(thread=thread).as_path())
    assert record is not None
    return Conversation.model_validate(record.value)


async def test_copied_is_a_deep_copy_sharing_nothing_mutable(harness: Harness) -> None:
    await harness.say("show job 1001", key=harness.key(thread="a"))
    await harness.say("list appointments for tomorrow", key=harness.key(thread="b"))
    last_card(await harness.say("move job 1001 to friday 3pm", key=harness.key(thread="c")))
    states = [await _stored(harness, thread) for thread in ("a", "b", "c")]
    assert states[2].pending is not None and states[2].pending.plan is not None  # a card's plan is copied too
    for state in states:
        copy = copied(state)
        assert type(copy) is Conversation
        assert copy == state.model_copy(deep=True) == state
        assert copy.model_dump() == state.model_dump()
        assert copy.model_fields_set == state.model_fields_set
        mine, theirs = _containers(copy, {}), _containers(state, {})
        assert len(mine) == len(theirs) > 5
        assert not set(mine) & set(theirs)
