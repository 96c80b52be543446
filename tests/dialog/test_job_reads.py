"""A job's reads (the job, its appointments, their technicians) cached while `reads_ttl` is set: a warm
`show job` costs no ServiceTitan call, a write of the bot and the alert watcher's change feed drop them."""

from __future__ import annotations

from collections.abc import Sequence

from bot.alerts.subscriptions import ACTOR_NAMESPACE
from bot.dialog.messages import Pressed, Reply
from bot.dialog.refdata import JOB_READS_NAMESPACE
from bot.store import Write
from tests.dialog.conftest import Harness, last_card, reply_text


def _shown(replies: list[Reply]) -> str:
    return "\n".join(reply_text(r) for r in replies)


def _api_calls(harness: Harness) -> list[tuple[str, str]]:
    return [(m, p) for m, p, _ in harness.sim.request_log if not p.endswith("/connect/token")]


async def test_a_warm_show_job_costs_no_servicetitan_call(harness: Harness) -> None:
    harness.service.runner.refdata.reads_ttl = 20.0
    first = _shown(await harness.say("show job 1001"))
    harness.sim.request_log.clear()

    second = _shown(await harness.say("show job 1001", key=harness.key(thread="t2")))

    assert second == first
    assert "Job 1001" in first and "Appointment 5001" in first
    assert _api_calls(harness) == []


async def test_a_write_drops_the_jobs_reads(harness: Harness) -> None:
    harness.service.runner.refdata.reads_ttl = 20.0
    await harness.say("show job 1001")
    assert await harness.store.load(namespace=JOB_READS_NAMESPACE, key="1001") is not None

    card = last_card(await harness.say("move job 1001 to friday 3pm", key=harness.key(thread="t2")))
    replies = await harness.handle(Pressed(action="confirm", token=card.token), key=harness.key(thread="t2"))

    assert replies[-1].kind == "result"
    assert await harness.store.load(namespace=JOB_READS_NAMESPACE, key="1001") is None
    shown = _shown(await harness.say("show job 1001", key=harness.key(thread="t3")))
    assert "Fri" in shown and "3:00 PM" in shown, shown


async def test_without_reads_ttl_every_show_asks_servicetitan(harness: Harness) -> None:
    await harness.say("show job 1001")
    harness.sim.request_log.clear()
    await harness.say("show job 1001", key=harness.key(thread="t2"))
    assert any(p.endswith("/jobs/1001") for _, p in _api_calls(harness))
    assert await harness.store.load(namespace=JOB_READS_NAMESPACE, key="1001") is None


async def test_a_confirms_writes_after_its_claim_reach_the_store_together(harness: Harness) -> None:
    """After the claim, the job's reads dropped, who wrote, and the outcome: one `write_many` (one round
    trip to Redis), not one call each."""
    harness.service.runner.refdata.reads_ttl = 20.0
    key = harness.key(thread="t2")
    card = last_card(await harness.say("move job 1001 to friday 3pm", key=key))
    batches: list[list[Write]] = []
    write_many = harness.store.write_many

    async def recorded(writes: Sequence[Write]) -> list[int | None]:
        batches.append(list(writes))
        return await write_many(writes)

    harness.store.write_many = recorded  # type: ignore[method-assign]
    replies = await harness.handle(Pressed(action="confirm", token=card.token), key=key)

    assert replies[-1].kind == "result"
    assert len(batches) <= 2  # (the claim's, when reads before it queued something) and the outcome's
    written = {(w.namespace, w.value_json is None) for w in batches[-1]}
    assert {(JOB_READS_NAMESPACE, True), (ACTOR_NAMESPACE, False), ("dialog", False)} <= written
    stored = await harness.store.load(namespace="dialog", key=key.as_path())
    assert stored is not None and stored.value["phase"] != "applying"
