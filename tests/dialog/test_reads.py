"""The read registry is complete, and independent look-ups run together without losing their errors."""

from __future__ import annotations

import asyncio

import pytest

from bot.dialog.catalog import READ_INTENTS
from bot.dialog.reads.registry import READS
from bot.dialog.refdata import together
from bot.servicetitan import NotFound


def test_every_read_intent_has_one_read_module() -> None:
    assert set(READS) == set(READ_INTENTS)
    for intent, read in READS.items():
        assert read.intent == intent
        assert read.answer.__module__ == f"bot.dialog.reads.{intent}"


async def test_together_gives_the_results_in_order() -> None:
    started: list[str] = []

    async def value(name: str, gate: asyncio.Event, opens: asyncio.Event | None) -> str:
        started.append(name)
        if opens is not None:
            opens.set()
        await asyncio.wait_for(gate.wait(), timeout=5)
        return name

    first_gate, second_gate = asyncio.Event(), asyncio.Event()
    # The first call waits for the second to start: it only finishes if both run at once.
    results = await together(
        value("a", first_gate, None), value("b", second_gate, first_gate), _set(second_gate)
    )
    assert results == ["a", "b", None] and started == ["a", "b"]


async def _set(event: asyncio.Event) -> None:
    event.set()


async def test_together_raises_the_first_error_itself_and_cancels_the_rest() -> None:
    cancelled = asyncio.Event()

    async def slow() -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    async def missing() -> None:
        raise NotFound("no such job", status=404)

    with pytest.raises(NotFound):
        await together(slow(), missing())
    assert cancelled.is_set()
