"""Second-round validation fixes, end to end on the simulator and real Redis: refusals ServiceTitan would
make are explained in plain words, and a card or an undo never overwrites what another dispatcher changed
since it was shown (two conversations, a moved clock)."""

from __future__ import annotations

import pytest

from bot.dialog.messages import Asker, Pressed
from tests.dialog.conftest import TZ, Harness, dispatcher, last_card
from tests.dialog.test_transcripts import reply_text


async def test_a_delete_refused_for_timesheets_is_explained_in_plain_words(harness: Harness) -> None:
    card = last_card(await harness.say("delete appointment 5003"))
    harness.sim.state.timesheets.add(5003)  # no timesheet read in our APIs: only the press finds out

    refused = await harness.handle(Pressed(action="confirm", token=card.token))

    assert harness.sim.write_count == 0
    assert "an appointment with timesheets, or one that has started, can't be deleted" in refused[-1].text
    assert "doesn't allow deletion" not in refused[-1].text


async def test_a_stale_card_shows_what_another_dispatcher_changed_instead_of_overwriting(
    harness: Harness,
) -> None:
    dana, ann = harness.key(user="U1"), harness.key(user="U2")
    card = last_card(await harness.say("move job 1001 to thursday 9am", key=dana))
    assert "When: Wednesday, November 25, 2026, 2:00 PM – 4:00 PM → Thursday" in reply_text(card)
    harness.clock.advance(5)
    other = last_card(await harness.say("move job 1001 to monday 10am", asker=dispatcher("U2"), key=ann))
    await harness.handle(Pressed(action="confirm", token=other.token), dispatcher("U2"), ann)
    assert harness.sim.write_count == 1

    replies = await harness.handle(Pressed(action="confirm", token=card.token), key=dana)

    assert harness.sim.write_count == 1  # Ann's change stands
    text = "\n".join(reply_text(r) for r in replies)
    assert "Job 1001 has been moved to Monday, November 30, 2026, 10:00 AM – 12:00 PM since" in text
    fresh = last_card(replies)
    assert fresh.token != card.token
    assert "When: Monday, November 30, 2026, 10:00 AM – 12:00 PM → Thursday, November 26, 2026, 9:00 AM" in (
        reply_text(fresh)
    )
    stale = await harness.handle(Pressed(action="confirm", token=card.token), key=dana)
    assert harness.sim.write_count == 1 and "older message" in stale[-1].text
    done = await harness.handle(Pressed(action="confirm", token=fresh.token), key=dana)
    assert done[-1].kind == "result" and harness.sim.write_count == 2


async def test_a_fresh_card_is_confirmed_without_reading_again(harness: Harness) -> None:
    card = last_card(await harness.say("move job 1001 to thursday 9am"))
    harness.clock.advance(0.5)  # within the freshness window
    harness.sim.request_log.clear()
    done = await harness.handle(Pressed(action="confirm", token=card.token))
    assert done[-1].kind == "result"
    assert [m for m, p, _ in harness.sim.request_log if not p.endswith("/connect/token")] == ["PATCH"]


async def test_an_old_card_still_as_shown_is_read_once_and_written(harness: Harness) -> None:
    card = last_card(await harness.say("assign Sarah to job 1005"))
    harness.clock.advance(3)
    harness.sim.request_log.clear()
    done = await harness.handle(Pressed(action="confirm", token=card.token))
    assert done[-1].kind == "result"
    calls = [m for m, p, _ in harness.sim.request_log if not p.endswith("/connect/token")]
    assert calls == ["GET", "POST"], calls


async def test_undo_refuses_to_overwrite_a_later_change_by_someone_else(harness: Harness) -> None:
    dana, ann = harness.key(user="U1"), harness.key(user="U2")
    card = last_card(await harness.say("move job 1001 to thursday 9am", key=dana))
    result = await harness.handle(Pressed(action="confirm", token=card.token), key=dana)
    offer = result[-1]
    assert [b.action for b in offer.buttons] == ["undo"]
    harness.clock.advance(2)
    other = last_card(await harness.say("move job 1001 to monday 10am", asker=dispatcher("U2"), key=ann))
    await harness.handle(Pressed(action="confirm", token=other.token), dispatcher("U2"), ann)
    writes = harness.sim.write_count

    undo_card = last_card(await harness.handle(Pressed(action="undo", token=offer.token), key=dana))
    refused = await harness.handle(Pressed(action="confirm", token=undo_card.token), key=dana)

    assert harness.sim.write_count == writes
    assert refused[-1].kind == "error"
    assert (
        "Job 1001 has been moved to Monday, November 30, 2026, 10:00 AM – 12:00 PM since; "
        "undo would overwrite that"
    ) in refused[-1].text
    assert harness.sim.state.appointments[5001]["start"].strftime("%Y-%m-%d %H:%M") == "2026-11-30 16:00"


async def test_undo_of_an_assignment_refuses_when_the_technicians_changed_since(harness: Harness) -> None:
    card = last_card(await harness.say("assign Sarah to job 1005"))
    offer = (await harness.handle(Pressed(action="confirm", token=card.token)))[-1]
    await harness.client.assign_technicians(5006, [42])  # someone adds Mike Chen in ServiceTitan
    writes = harness.sim.write_count

    undo_card = last_card(await harness.handle(Pressed(action="undo", token=offer.token)))
    refused = await harness.handle(Pressed(action="confirm", token=undo_card.token))

    assert harness.sim.write_count == writes
    assert "The technicians on job 1005 are now Mike Chen, Sarah Lopez since; undo would overwrite that" in (
        refused[-1].text
    )


async def test_undo_still_as_left_goes_through(harness: Harness) -> None:
    card = last_card(await harness.say("move job 1001 to thursday 9am"))
    offer = (await harness.handle(Pressed(action="confirm", token=card.token)))[-1]
    harness.clock.advance(1)
    undo_card = last_card(await harness.handle(Pressed(action="undo", token=offer.token)))
    done = await harness.handle(Pressed(action="confirm", token=undo_card.token))
    assert done[-1].kind == "result" and harness.sim.write_count == 2
    assert harness.sim.state.appointments[5001]["start"].strftime("%Y-%m-%d %H:%M") == "2026-11-25 20:00"


async def test_a_technicians_day_says_where_to_go_and_who_else_is_there(harness: Harness) -> None:
    harness.clock.advance(24 * 60)  # Wednesday: Mike Chen has job 1008 with James Wilson
    mike = Asker(user_id="U8", tz=TZ, role="technician", name="Mike Chen", technician_id=42)
    home = await harness.service.home(mike)
    assert home.lines == [
        "1. 9:00 AM – 11:00 AM arrival · Job 1008 · AC Tune-Up\nAnn Lee · 12 Oak St, Chicago, IL 60601\n"
        "With James Wilson"
    ]
    harness.clock.advance(24 * 60)  # Thursday: Sarah Lopez alone on job 1002
    sarah = Asker(user_id="U9", tz=TZ, role="technician", name="Sarah Lopez", technician_id=43)
    home = await harness.service.home(sarah)
    assert home.lines == [
        "1. 8:00 AM – 10:00 AM arrival · Job 1002 · Water Heater Repair\nAnn Lee · 12 Oak St, Chicago, IL 60601"
    ]


async def test_a_technicians_week_loads_jobs_customers_and_locations_in_batches(harness: Harness) -> None:
    sarah = Asker(user_id="U9", tz=TZ, role="technician", name="Sarah Lopez", technician_id=43)
    harness.sim.request_log.clear()
    replies = await harness.say("my appointments next week", asker=sarah)
    rows = replies[-1].lines
    assert rows and all("Sarah Lopez" not in row and "12 Oak St" in row for row in rows), rows
    gets = [
        p.split("?")[0].split("/tenant/")[-1].split("/", 1)[-1]
        for m, p, _ in harness.sim.request_log
        if m == "GET"
    ]
    assert gets.count("jobs") == 1 and gets.count("customers") <= 1 and gets.count("locations") <= 1, gets
    assert not any(p.startswith("jobs/") for p in gets), gets  # no job read one by one

    harness.sim.request_log.clear()
    await harness.say("my appointments next week", asker=sarah, key=harness.key(thread="again"))
    gets = [
        p.split("?")[0].split("/tenant/")[-1].split("/", 1)[-1]
        for m, p, _ in harness.sim.request_log
        if m == "GET"
    ]
    assert "jobs" not in gets and "customers" not in gets, gets  # the job facts are cached now


@pytest.mark.parametrize("role", ["dispatcher", "manager", "technician"])
async def test_every_help_example_works_on_the_live_data(harness: Harness, role: str) -> None:
    asker = Asker(
        user_id="U5", tz=TZ, role=role, name="Someone", technician_id=43 if role == "technician" else None
    )
    shown = (await harness.say("help", asker=asker))[-1]
    assert shown.kind == "list" and len(shown.lines) >= 4, shown.lines
    for number, example in enumerate(shown.lines):
        replies = await harness.say(example, asker=asker, key=harness.key(thread=f"example{number}"))
        text = "\n".join(reply_text(r) for r in replies)
        assert replies[-1].kind in {"confirm", "choice", "list"}, (example, text)
        for refusal in ("can't", "isn't", "No active", "didn't understand"):
            assert refusal not in text, (example, text)
    assert harness.sim.write_count == 0


async def test_help_examples_are_cached(harness: Harness) -> None:
    await harness.say("help")
    harness.sim.request_log.clear()
    again = await harness.say("help", key=harness.key(thread="again"))
    assert again[-1].lines and harness.sim.request_log == []


async def test_an_old_cancel_card_shows_a_hold_made_since_instead_of_canceling(harness: Harness) -> None:
    card = last_card(await harness.say("cancel job 1007, customer canceled"))
    harness.clock.advance(2)
    await harness.client.hold_job(1007, reason_id=71, memo="waiting for parts")  # someone else, meanwhile
    writes = harness.sim.write_count

    replies = await harness.handle(Pressed(action="confirm", token=card.token))

    assert harness.sim.write_count == writes
    text = "\n".join(reply_text(r) for r in replies)
    assert "Job 1007's status has changed to Hold since this card was made, so I didn't send it." in text
    assert "Status: Hold → Canceled" in reply_text(last_card(replies))
