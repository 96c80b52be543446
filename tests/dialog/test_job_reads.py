"""A job's reads (the job, its appointments, their technicians) cached while `reads_ttl` is set: a warm
`show job` costs no ServiceTitan call, a write of the bot and the alert watcher's change feed drop them,
and they are served past `reads_ttl` only while the feed's mark says it has dropped what changed."""

from __future__ import annotations

from collections.abc import Sequence

from bot.alerts.subscriptions import ACTOR_NAMESPACE
from bot.dialog.feedreads import feed_mark
from bot.dialog.messages import Pressed, Reply
from bot.dialog.refdata import JOB_READS_NAMESPACE, CachedJobReads, collect
from bot.store import Write
from tests.dialog.conftest import Harness, last_card, reply_text


def _shown(replies: list[Reply]) -> str:
    return "\n".join(reply_text(r) for r in replies)


def _api_calls(harness: Harness) -> list[tuple[str, str]]:
    return [(m, p) for m, p, _ in harness.sim.request_log if not p.endswith("/connect/token")]


async def _holds_reads(harness: Harness, job_id: int) -> bool:
    record = await harness.store.load(namespace=JOB_READS_NAMESPACE, key=str(job_id))
    return record is not None and "data" in record.value


async def test_a_warm_show_job_costs_no_servicetitan_call(harness: Harness) -> None:
    harness.service.runner.refdata.reads_ttl = 20.0
    first = _shown(await harness.say("show job 1001"))
    harness.sim.request_log.clear()

    second = _shown(await harness.say("show job 1001", key=harness.key(thread="t2")))

    assert second == first
    assert "Job 1001" in first and "Appointment 5001" in first
    assert _api_calls(harness) == []


async def test_cached_reads_give_the_rows_and_models_servicetitan_gives(harness: Harness) -> None:
    """`collect` takes a cached job's appointments and assignments as stored (not made models and dumped
    back): the same rows as ServiceTitan's, and iterated, the same models."""
    refdata = harness.service.runner.refdata
    refdata.reads_ttl = 20.0
    for job_id in (1001, 1002, 1003):
        for cold in (True, False):  # the first read fills the cache, the second reads it back
            reads = CachedJobReads(harness.client, refdata)
            appointments = await collect(reads.iter_appointments(job_id=job_id))
            assignments = await collect(reads.iter_appointment_assignments(job_id=job_id))
            assert appointments and assignments, (job_id, cold)
            assert appointments == await collect(harness.client.iter_appointments(job_id=job_id))
            assert assignments == await collect(harness.client.iter_appointment_assignments(job_id=job_id))
            models = [
                a async for a in CachedJobReads(harness.client, refdata).iter_appointments(job_id=job_id)
            ]
            assert models == [a async for a in harness.client.iter_appointments(job_id=job_id)]
    # two rows lists of one read are copies: changing one changes nothing the other read sees
    reads = CachedJobReads(harness.client, refdata)
    first = await collect(reads.iter_appointments(job_id=1001))
    first[0]["status"] = "changed"
    assert (await collect(reads.iter_appointments(job_id=1001)))[0]["status"] != "changed"


async def test_a_write_drops_the_jobs_reads(harness: Harness) -> None:
    harness.service.runner.refdata.reads_ttl = 20.0
    await harness.say("show job 1001")
    assert await _holds_reads(harness, 1001)

    card = last_card(await harness.say("move job 1001 to friday 3pm", key=harness.key(thread="t2")))
    replies = await harness.handle(Pressed(action="confirm", token=card.token), key=harness.key(thread="t2"))

    assert replies[-1].kind == "result"
    assert not await _holds_reads(harness, 1001)
    shown = _shown(await harness.say("show job 1001", key=harness.key(thread="t3")))
    assert "Fri" in shown and "3:00 PM" in shown, shown


async def test_without_reads_ttl_every_show_asks_servicetitan(harness: Harness) -> None:
    await harness.say("show job 1001")
    harness.sim.request_log.clear()
    await harness.say("show job 1001", key=harness.key(thread="t2"))
    assert any(p.endswith("/jobs/1001") for _, p in _api_calls(harness))
    assert not await _holds_reads(harness, 1001)


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
    written = {(w.namespace, '"dropped"' in (w.value_json or "")) for w in batches[-1]}
    assert {(JOB_READS_NAMESPACE, True), (ACTOR_NAMESPACE, False), ("dialog", False)} <= written
    stored = await harness.store.load(namespace="dialog", key=key.as_path())
    assert stored is not None and stored.value["phase"] != "applying"


async def test_a_warm_canceled_job_costs_no_servicetitan_call(harness: Harness) -> None:
    """Why it was canceled: its canceled log cached with its reads, the reason's name from the cached
    reference list (not the job's own cancel reasons, asked again for every show)."""
    harness.service.runner.refdata.reads_ttl = 20.0
    first = _shown(await harness.say("show job 1004"))
    assert "Why canceled: Customer canceled" in first, first
    assert not any(p.endswith("/jobs/cancel-reasons") for _, p in _api_calls(harness))
    harness.sim.request_log.clear()

    second = _shown(await harness.say("show job 1004", key=harness.key(thread="t2")))

    assert second == first
    assert _api_calls(harness) == []


async def test_a_held_job_shows_the_hold_made_after_its_history_was_cached(harness: Harness) -> None:
    """A job's history is cached under the job's version (modifiedOn): a change brings a new one."""
    harness.service.runner.refdata.reads_ttl = 20.0
    await harness.say("show job 1007")
    card = last_card(
        await harness.say(
            "put job 1007 on hold waiting for parts, a part on order", key=harness.key(thread="t2")
        )
    )
    replies = await harness.handle(Pressed(action="confirm", token=card.token), key=harness.key(thread="t2"))
    assert replies[-1].kind == "result"
    shown = _shown(await harness.say("show job 1007", key=harness.key(thread="t3")))
    assert "Why on hold: Waiting for parts" in shown and "a part on order" in shown, shown
    harness.sim.request_log.clear()

    again = _shown(await harness.say("show job 1007", key=harness.key(thread="t4")))

    assert again == shown
    assert _api_calls(harness) == []


async def test_reads_older_than_reads_ttl_are_asked_again_when_the_feed_is_silent(harness: Harness) -> None:
    """No watcher marks its polls (or it stopped): a cached read serves for `reads_ttl` s, as a TTL would."""
    harness.service.runner.refdata.reads_ttl = 40.0
    harness.service.runner.refdata.reads_age.every = 0.0
    await harness.say("show job 1001")
    harness.clock.advance(minutes=0.5)
    harness.sim.request_log.clear()
    await harness.say("show job 1001", key=harness.key(thread="t2"))
    assert _api_calls(harness) == []

    harness.clock.advance(minutes=0.5)
    await harness.say("show job 1001", key=harness.key(thread="t3"))

    assert any(p.endswith("/jobs/1001") for _, p in _api_calls(harness))


async def test_the_feeds_mark_keeps_reads_served_past_reads_ttl(harness: Harness) -> None:
    """The watcher polled a moment ago and dropped what changed since: a read made an hour ago is still
    what ServiceTitan holds (nothing dropped it), so it costs no call; once the feed falls silent for longer
    than `reads_ttl`, the next show asks again."""
    refdata = harness.service.runner.refdata
    refdata.reads_ttl = 40.0
    refdata.reads_age.every = 0.0
    first = _shown(await harness.say("show job 1001"))
    harness.clock.advance(minutes=60)
    await harness.store.write_many([feed_mark(harness.clock().timestamp() - 10)])
    harness.sim.request_log.clear()

    again = _shown(await harness.say("show job 1001", key=harness.key(thread="t2")))

    assert again == first and _api_calls(harness) == []
    harness.clock.advance(minutes=1)
    await harness.say("show job 1001", key=harness.key(thread="t3"))
    assert any(p.endswith("/jobs/1001") for _, p in _api_calls(harness))
