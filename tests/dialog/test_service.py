"""DialogService end to end on the simulator and real Redis: exactly-once confirms under concurrency, the
ServiceTitan call budget of a reschedule, conversations kept apart by key, and the home screen."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from typing import Any

import pytest
import redis.asyncio as aioredis

from bot.dialog.messages import Asker, ConversationKey, Pressed, Role, Said
from bot.dialog.refdata import CACHE_NAMESPACE
from bot.dialog.service import DialogService
from bot.dialog.state import Load
from bot.servicetitan.embedded import embedded_client
from bot.simulator.faults import FaultConfig
from bot.store import MemoryStore, RedisStore
from tests.dialog.conftest import FIXED_NOW, REDIS_URL, TZ, Harness, dispatcher, last_card


async def test_twenty_concurrent_confirms_across_two_stores_write_once(harness: Harness) -> None:
    card = last_card(await harness.say("move job 1001 to friday"))
    services = [harness.service, harness.another_service()]
    click = Pressed(action="confirm", token=card.token)
    writes_before = harness.sim.write_count

    results = await asyncio.gather(
        *(services[i % 2].handle(harness.key(), dispatcher(), click) for i in range(20))
    )

    assert harness.sim.write_count - writes_before == 1
    texts = [reply.text for replies in results for reply in replies]
    assert sum(t.startswith("Done.") for t in texts) == 1, texts
    assert all(t.startswith("Done.") or "already" in t.lower() for t in texts), texts
    reschedules = [p for (m, p, s) in harness.sim.request_log if m == "PATCH" and p.endswith("/reschedule")]
    assert len(reschedules) == 1


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("move job 1001 to thursday 3pm", "move job 1001 to friday"),
        ("move appointment 5002 to monday 3pm", "move appointment 5002 to friday 3pm"),
    ],
)
async def test_reschedule_costs_at_most_four_calls_with_a_warm_cache(
    harness: Harness, first: str, second: str
) -> None:
    # A first conversation warms the caches (reference data, the job's facts, the OAuth token) ...
    await harness.handle(Pressed(action="confirm", token=last_card(await harness.say(first)).token))
    harness.sim.request_log.clear()

    # ... so a second reschedule of the same job costs at most 4 calls, with the full facts on its card.
    card = last_card(await harness.say(second, key=harness.key(thread="t2")))
    replies = await harness.handle(Pressed(action="confirm", token=card.token), key=harness.key(thread="t2"))

    assert replies[-1].kind == "result"
    calls = [
        (method, path) for method, path, _ in harness.sim.request_log if not path.endswith("/connect/token")
    ]
    assert len(calls) <= 4, calls
    assert sum(1 for method, _ in calls if method != "GET") == 1
    facts = {f.label for f in card.facts}
    assert {"Job", "Customer", "Address", "Technicians"} <= facts, card.facts


async def test_a_cold_reschedule_card_and_its_result_show_the_jobs_facts(harness: Harness) -> None:
    card = last_card(await harness.say("move job 1001 to friday"))
    shown = {f.label: f.value for f in card.facts}
    assert shown["Job"] == "#1001 · Drain Cleaning (Scheduled)"
    assert shown["Customer"] == "Ann Lee (#201)"
    assert shown["Address"].startswith("12 Oak St")
    assert shown["Technicians"] == "Mike Carter"
    done = await harness.handle(Pressed(action="confirm", token=card.token))
    assert {f.label: f.value for f in done[-1].facts}["Customer"] == "Ann Lee (#201)"
    assert "Address" in {f.label for f in done[-1].facts}
    assert "Friday, November 27, 2026" in {f.label: f.value for f in done[-1].facts}["Appointment"]


async def test_two_dispatchers_in_one_channel_have_separate_conversations(harness: Harness) -> None:
    first = harness.key(user="U1")
    second = harness.key(user="U2")
    await harness.say("move job 1001 to friday", key=first)
    asked = await harness.say("reschedule job 1002", asker=dispatcher("U2"), key=second)
    assert asked[-1].kind == "choice"
    replies = await harness.say("no, thursday", key=first)
    assert "Thursday, November 26, 2026, 2:00 PM" in last_card(replies).text


async def test_home_shows_the_role_and_a_technicians_day(harness: Harness) -> None:
    harness.clock.advance(48 * 60)  # Thursday: Sarah Lopez has job 1002 at 8:00 AM
    tech = Asker(user_id="U9", tz=TZ, role="technician", name="Sarah Lopez", technician_id=43)
    home = await harness.service.home(tech)
    assert "technician" in home.text
    assert any("Job 1002" in line for line in home.lines), home.lines
    office = await harness.service.home(dispatcher())
    assert "dispatcher" in office.text and not office.lines


async def test_jobs_are_booked_under_the_configured_campaign(harness: Harness) -> None:
    service = DialogService(
        client=harness.client, store=harness.store, tz=TZ, clock=harness.clock, campaign_id=32
    )
    key = harness.key(thread="booking")
    replies = await service.handle(
        key, dispatcher(), Said(text="book a drain cleaning for customer 201 tomorrow at 10am")
    )
    card = last_card(replies)
    assert "Campaign: Referral" in [f"{f.label}: {f.value}" for f in card.facts]
    await service.handle(key, dispatcher(), Pressed(action="confirm", token=card.token))
    booked = max(harness.sim.state.jobs.values(), key=lambda job: job["id"])
    assert booked["campaignId"] == 32 and booked["customerId"] == 201


async def test_a_refused_write_keeps_the_card_so_its_confirm_can_retry(harness: Harness) -> None:
    card = last_card(await harness.say("move job 1001 to friday"))
    harness.sim.state.appointments[5001]["status"] = "Working"  # ServiceTitan will answer 409
    refused = await harness.handle(Pressed(action="confirm", token=card.token))
    assert harness.sim.write_count == 0
    assert refused[-1].kind == "error" and "didn't accept" in refused[-1].text
    assert not refused[-1].replaces_card and refused[-1].token == card.token

    harness.sim.state.appointments[5001]["status"] = "Scheduled"
    done = await harness.handle(Pressed(action="confirm", token=card.token))
    assert done[-1].kind == "result" and harness.sim.write_count == 1
    again = await harness.handle(Pressed(action="confirm", token=card.token))
    assert again[0].text.startswith("Already done") and harness.sim.write_count == 1


async def test_a_write_whose_outcome_is_unknown_is_checked_before_it_is_sent_again(harness: Harness) -> None:
    card = last_card(await harness.say("move job 1001 to friday"))
    harness.sim.set_faults(FaultConfig(rate_5xx=1.0))
    replies = await harness.handle(Pressed(action="confirm", token=card.token))
    assert replies[-1].kind == "error" and not replies[-1].replaces_card
    assert "may or may not have gone through" in replies[-1].text
    assert "ServiceTitan answered 503" in replies[-1].text and "traceId" not in replies[-1].text
    assert "Check & retry" in [b.label for b in replies[-1].buttons]

    # still down: the check can't tell either, so nothing is sent
    still = await harness.handle(Pressed(action="confirm", token=card.token))
    assert "still can't tell" in still[-1].text and harness.sim.write_count == 0

    harness.sim.set_faults(FaultConfig())
    harness.sim.request_log.clear()
    done = await harness.handle(Pressed(action="confirm", token=card.token))
    assert done[-1].kind == "result" and harness.sim.write_count == 1
    methods = [m for m, p, _ in harness.sim.request_log if not p.endswith("/connect/token")]
    assert methods[0] == "GET" and methods.count("PATCH") == 1  # read back first, then the one write
    again = await harness.handle(Pressed(action="confirm", token=card.token))
    assert again[0].text.startswith("Already done") and harness.sim.write_count == 1


async def test_an_unknown_outcome_that_went_through_is_not_sent_twice(harness: Harness) -> None:
    card = last_card(await harness.say("move job 1001 to friday"))
    harness.sim.set_faults(FaultConfig(rate_5xx=1.0))
    await harness.handle(Pressed(action="confirm", token=card.token))
    harness.sim.set_faults(FaultConfig())
    # the earlier attempt did land after all (as a timed-out request may)
    record = await harness.store.load(namespace="dialog", key=harness.key().as_path())
    assert record is not None
    args = record.value["pending"]["plan"]["operation"]
    await harness.client.reschedule_appointment(
        5001, start=datetime.fromisoformat(args["start"]), end=datetime.fromisoformat(args["end"])
    )
    writes = harness.sim.write_count

    done = await harness.handle(Pressed(action="confirm", token=card.token))
    assert done[-1].kind == "result" and "already gone through" in done[-1].text
    assert harness.sim.write_count == writes


async def test_conversations_are_stored_namespaced_with_a_ttl(harness: Harness) -> None:
    await harness.say("move job 1001 to friday")
    raw = aioredis.from_url(REDIS_URL)
    try:
        key = f"{harness.prefix}:dialog:T1:D1:-:U1"
        assert await raw.exists(key)
        assert 0 < await raw.ttl(key) <= 30 * 60 + 24 * 3600
    finally:
        await raw.aclose()


async def test_an_unknown_time_zone_falls_back_to_the_tenants(harness: Harness) -> None:
    asker = Asker(user_id="U1", tz="Mars/Olympus_Mons", role="dispatcher")
    replies = await harness.say("move job 1001 to friday", asker=asker)
    assert "Times in America/Chicago" in (last_card(replies).footnote or "")


async def test_slack_mentions_are_named_through_the_resolver(harness: Harness) -> None:
    async def names(user_id: str) -> str | None:
        return {"U77": "Sarah Lopez"}.get(user_id)

    service = DialogService(
        client=harness.client, store=harness.store, tz=TZ, clock=harness.clock, mention_names=names
    )
    key = harness.key(thread="mention")
    card = last_card(await service.handle(key, dispatcher(), Said(text="assign <@U77> to job 1005")))
    assert card.title == "Assign Sarah Lopez to job 1005?"
    unknown = await service.handle(
        harness.key(thread="other"), dispatcher(), Said(text="assign <@U99> to job 1005")
    )
    assert "Type their name instead" in unknown[-1].text


async def test_show_job_says_why_a_demo_job_is_on_hold_from_its_history() -> None:
    client, sim = embedded_client(now=FIXED_NOW)
    async with client:
        service = DialogService(client=client, store=MemoryStore(), tz=TZ, clock=lambda: FIXED_NOW)
        held = sorted(job_id for job_id, job in sim.state.jobs.items() if job["jobStatus"] == "Hold")
        assert held
        replies = await service.handle(
            ConversationKey(team="T1", channel="D1", thread="", user="U1"),
            dispatcher(),
            Said(text=f"show job {held[0]}"),
        )
    why = {f.label: f.value for f in replies[-1].facts}["Why on hold"]
    assert why.startswith("Waiting for parts — “waiting on compressor from supplier” (by ")  # who and when


async def test_a_technicians_day_is_loaded_from_servicetitan_while_redis_is_down(harness: Harness) -> None:
    # Nothing listens on port 1: every store call raises StoreUnavailable, as in a Redis outage.
    down = RedisStore("redis://127.0.0.1:1/0", prefix=harness.prefix, connect_timeout=0.5, retries=0)
    harness.stores.append(down)
    service = DialogService(client=harness.client, store=down, tz=TZ, clock=harness.clock)
    harness.clock.advance(48 * 60)  # Thursday: Sarah Lopez has job 1002 at 8:00 AM
    sarah = Asker(user_id="U9", tz=TZ, role="technician", name="Sarah Lopez", technician_id=43)

    home = await service.home(sarah)

    assert home.lines == [
        "1. 8:00 AM – 10:00 AM arrival · Job 1002 · Water Heater Repair\nAnn Lee · 12 Oak St, Chicago, IL 60601"
    ]  # the morning message's day view (bot/alerts/dayplan.py `technician_day`)
    facts = await service.runner.refdata.many_job_facts([1002, 1001])
    assert {job_id: row["job_type"] for job_id, row in facts.items()} == {
        1002: "Water Heater Repair",
        1001: "Drain Cleaning",
    }


async def test_home_with_an_unknown_time_zone_shows_the_day_in_the_tenants(harness: Harness) -> None:
    harness.clock.advance(48 * 60)  # Thursday: Sarah Lopez has job 1002 at 8:00 AM Chicago time
    sarah = Asker(
        user_id="U9", tz="Mars/Olympus_Mons", role="technician", name="Sarah Lopez", technician_id=43
    )

    home = await harness.service.home(sarah)

    assert home.lines == [
        "1. 8:00 AM – 10:00 AM arrival · Job 1002 · Water Heater Repair\nAnn Lee · 12 Oak St, Chicago, IL 60601"
    ]  # the morning message's day view (bot/alerts/dayplan.py `technician_day`)
    assert home.footnote == f"Times in {TZ}"
    unlinked = await harness.service.home(sarah.model_copy(update={"technician_id": None}))
    assert unlinked.lines == ["You're not linked to a ServiceTitan technician."]


async def _appointments_of(harness: Harness, technician: str) -> dict[str, Any]:
    """A read of today's appointments of `technician` (the words of the message), as the runner answers it."""
    loaded = await harness.service.runner.load(
        Load(
            "read",
            {
                "intent": "list_appointments",
                "slots": json.dumps({"technician": technician}),
                "tz": TZ,
                "now": harness.clock().isoformat(),
            },
        )
    )
    assert loaded.error is None, loaded.error
    return dict(loaded.data)


async def test_a_read_names_technicians_as_a_conversation_does(harness: Harness) -> None:
    harness.clock.advance(48 * 60)  # Thursday: Sarah Lopez has job 1002 at 8:00 AM
    # A cached technician list whose "active" is missing a value: not marked inactive, so Sarah still counts.
    await harness.store.save(
        namespace=CACHE_NAMESPACE,
        key="technicians",
        value={"data": [{"id": 43, "name": "Sarah Lopez", "active": None}]},
        ttl=60,
    )

    read = await _appointments_of(harness, "Sarah Lopez")
    assert read["title"] == "Appointments for Sarah Lopez on Thursday, November 26, 2026 (1)", read
    mention = await _appointments_of(harness, "<@U99>")
    assert mention["text"] == "I can't tell which ServiceTitan technician <@U99> is. Type their name instead."
    me = await _appointments_of(harness, "me")
    assert me["text"] == "You're not linked to a ServiceTitan technician."


@pytest.mark.parametrize(
    ("role", "text", "refusal"),
    [
        ("guest", "move job 1001 to friday", "I can only help people linked to ServiceTitan"),
        ("guest", "show job 1001", "I can only help people linked to ServiceTitan"),
        ("technician", "cancel job 1001", "only dispatchers and managers can make changes"),
    ],
)
async def test_a_refusal_is_read_only_so_a_channel_shows_it_to_the_asker_alone(
    harness: Harness, role: Role, text: str, refusal: str
) -> None:
    asker = Asker(user_id="U5", tz=TZ, role=role, technician_id=43 if role == "technician" else None)
    writes_before = harness.sim.write_count

    replies = await harness.say(text, asker=asker, key=harness.key(user="U5"))

    assert [(refusal in r.text, r.read_only) for r in replies] == [(True, True)], replies
    assert harness.sim.write_count == writes_before
    helped = await harness.say("help", asker=asker, key=harness.key(user="U5"))
    assert [r.read_only for r in helped] == [True]
