"""A write past its deadline, on the simulator and real Redis: ServiceTitan is re-read with the plan as it
was prepared (what already existed before the write), so an identical older note is never taken for a write
that did not happen, neither at the deadline, nor when a dead claim is settled, nor at the next confirm."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from bot.dialog.messages import Pressed, Said
from bot.dialog.service import NAMESPACE, DialogService
from bot.dialog.state import Conversation
from bot.servicetitan.operations import AddJobNote
from bot.simulator.faults import FaultConfig
from tests.dialog.conftest import TZ, Harness, dispatcher, last_card, reply_text

SLOW = FaultConfig(latency_ms=400)  # every request waits 0.4 s before ServiceTitan does anything


def _service(h: Harness, write_deadline: float = 0.1) -> DialogService:
    return DialogService(
        client=h.client,
        store=h.store,
        tz=TZ,
        clock=h.clock,
        read_deadline=10.0,
        write_deadline=write_deadline,
    )


async def _notes(h: Harness, job_id: int, text: str) -> int:
    return len([n async for n in h.client.iter_job_notes(job_id) if n.text == text])


async def test_a_note_not_written_by_its_deadline_is_not_taken_for_an_older_identical_one(
    harness: Harness,
) -> None:
    await harness.client.add_job_note(1001, "Customer not home")  # an older, identical note
    service = _service(harness)
    card = last_card(
        await service.handle(
            harness.key(), dispatcher(), Said(text="add a note to job 1001: Customer not home")
        )
    )
    harness.sim.set_faults(SLOW)  # the note's POST is abandoned at the write deadline, before it lands
    replies = await service.handle(harness.key(), dispatcher(), Pressed(action="confirm", token=card.token))
    harness.sim.set_faults(FaultConfig())
    text = "\n".join(reply_text(r) for r in replies)
    assert await _notes(harness, 1001, "Customer not home") == 1  # nothing was written
    assert "already gone through" not in text and "may or may not" in text, text

    # the next confirm checks first with the stored (prepared) plan: not there, so it writes, once
    again = await service.handle(harness.key(), dispatcher(), Pressed(action="confirm", token=card.token))
    assert again[-1].kind == "result" and "already gone through" not in again[-1].text, again[-1].text
    assert await _notes(harness, 1001, "Customer not home") == 2


async def test_a_dead_claim_on_a_note_is_settled_with_the_prepared_plan(harness: Harness) -> None:
    await harness.client.add_job_note(1001, "Customer not home")
    service = _service(harness)
    path = harness.key().as_path()
    card = last_card(
        await service.handle(
            harness.key(), dispatcher(), Said(text="add a note to job 1001: Customer not home")
        )
    )
    harness.sim.set_faults(FaultConfig(latency_ms=1000))  # the POST is abandoned; the re-read takes 1 s
    turn = asyncio.create_task(
        service.handle(harness.key(), dispatcher(), Pressed(action="confirm", token=card.token))
    )

    async def claim() -> dict[str, Any]:
        while True:
            record = await harness.store.load(namespace=NAMESPACE, key=path)
            if record is not None and record.value["phase"] == "applying":
                return record.value
            await asyncio.sleep(0.01)

    claimed = await asyncio.wait_for(claim(), 10.0)
    await turn
    harness.sim.set_faults(FaultConfig())
    stored = Conversation.model_validate(claimed)
    assert stored.pending is not None and stored.pending.plan is not None
    operation = stored.pending.plan.operation
    assert isinstance(operation, AddJobNote) and operation.known == 1  # claimed as prepared

    # the turn's process died before saving its outcome: the claim is what the store holds
    await harness.store.save(namespace=NAMESPACE, key=path, value=claimed, ttl=3600)
    harness.clock.now += service.claim_timeout + timedelta(seconds=1)
    replies = await service.handle(harness.key(), dispatcher(), Said(text="hello?"))
    text = "\n".join(reply_text(r) for r in replies)
    assert "already gone through" not in text and "may or may not" in text, text
    assert await _notes(harness, 1001, "Customer not home") == 1
