"""A technician's day (where to go, who else is there, loaded in batches and cached) and the help answer's
examples, which come from live data and must all work on it. End to end on the simulator and real Redis."""

from __future__ import annotations

import re

import pytest

from bot.dialog.messages import Asker
from tests.dialog.conftest import TZ, Harness, reply_text


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


async def test_help_books_by_the_customers_name_not_a_number(harness: Harness) -> None:
    shown = (await harness.say("help"))[-1]
    books = [line for line in shown.lines if line.startswith("book ")]
    assert books and not any(re.search(r"customer \d", line) for line in books), books


async def test_help_examples_are_cached(harness: Harness) -> None:
    await harness.say("help")
    harness.sim.request_log.clear()
    again = await harness.say("help", key=harness.key(thread="again"))
    assert again[-1].lines and harness.sim.request_log == []
