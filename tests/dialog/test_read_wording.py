"""What a look-up says besides the parser's slots (bot/dialog/reads/wording.py, reads/asking.py), and the name
look-ups behind it (refdata.Names: CRM list filters, cached on real Redis)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bot.dialog.reads.asking import aside_question, impossible_date, look_up
from bot.dialog.reads.wording import kind_words, project_name, refine
from bot.dialog.refdata import Names, name_variants, words_match
from tests.dialog.conftest import TZ, Harness

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
THIS_WEEK = {"from": "2026-11-23", "to": "2026-11-29"}


def _read(text: str, shown: int | None = None) -> tuple[str, dict[str, Any]]:
    from intents import parse

    parsed = parse(text, now=NOW, tz=TZ)
    return look_up(text, parsed["intent"], dict(parsed["slots"]), shown, NOW, TZ)


@pytest.mark.parametrize(
    ("text", "intent", "slots"),
    [
        ("projects in progress", "find_projects", {"project_status": "In Progress"}),
        ("any projects not started yet?", "find_projects", {"project_status": "Not Started"}),
        ("unassigned jobs this week", "find_jobs", {"unassigned": True, "range": THIS_WEEK}),
        ("jobs in the whole-home repipe project", "find_jobs", {"project": "whole-home repipe"}),
        ("whats in the repipe project", "find_jobs", {"project": "repipe"}),
        ("holds this week", "find_jobs", {"status": "hold", "range": THIS_WEEK}),
        ("cancellations by reason this week", "find_jobs", {"status": "canceled", "by_reason": True}),
        ("jobs at 396 Hillcrest", "find_jobs", {"location": "396 Hillcrest"}),
        ("jobs for the Garcias", "find_jobs", {"technician": "Garcias"}),
        ("find jobs for 555-2008", "find_jobs", {"phone": "5552008"}),
        ("find furnace repair jobs", "find_jobs", {"kind": "furnace repair"}),
        ("high priority jobs this week", "find_jobs", {"priority": "High", "range": THIS_WEEK, "kind": None}),
        ("urgent furnace jobs", "find_jobs", {"priority": "Urgent", "kind": "furnace"}),
        ("show appointment 5040", "show_job", {"appointment_id": 5040}),
        ("special instructions on 1030", "show_job", {"job_id": 1030, "focus": "instructions"}),
        ("whats the address for 1024", "show_job", {"job_id": 1024, "focus": "address"}),
        ("whos free tmrw afternoon", "list_appointments", {"free": True, "start": "12:00", "end": "17:00"}),
        ("whats my next job", "list_appointments", {"technician": "me", "next": True}),
        ("where to next", "list_appointments", {"next": True}),
        ("what jobs do i have on hold", "find_jobs", {"technician": "me", "status": "hold"}),
        ("can i see jobs on hold", "find_jobs", {"technician": None, "status": "hold"}),
        # the parser reads these; refine only adds what the dialog looks up besides
        ("find jobs for Barbara White", "find_jobs", {"technician": "Barbara White", "customer": None}),
        ("jobs for customer Bob Stone", "find_jobs", {"customer": "Bob Stone", "technician": None}),
        ("jobs for customer 555-2008", "find_jobs", {"phone": "5552008", "customer_id": None}),
        ("show the repipe project", "find_jobs", {"project": "repipe"}),
        ("whats in project lee remodel", "find_jobs", {"project": "lee remodel"}),
        (
            "whos free tmrw afternoon",
            "list_appointments",
            {"range": {"from": "2026-11-25", "to": "2026-11-25"}, "start": "12:00", "end": "17:00"},
        ),
        (
            "any openings thursday morning",
            "list_appointments",
            {"free": True, "start": "08:00", "end": "12:00"},
        ),
        ("any instructions on appt 4410?", "show_job", {"appointment_id": 4410, "focus": "instructions"}),
        ("move 1010 to feb 30", "reschedule_appointment", {"job_id": 1010, "when": None}),
    ],
)
def test_a_read_keeps_every_filter_said(text: str, intent: str, slots: dict[str, Any]) -> None:
    got_intent, got = _read(text)
    assert got_intent == intent
    assert {k: got.get(k) for k in slots} == slots, got


def test_setting_special_instructions_stays_a_write() -> None:
    assert _read("set special instructions on 1030 to gate code 4411")[0] == "special_instructions"


def test_it_and_that_job_are_the_job_shown_last_and_nothing_without_one() -> None:
    assert _read("show it", shown=1009) == ("show_job", {"job_id": 1009})
    assert _read("notes on that job", shown=1009)[1].get("job_id") == 1009
    assert _read("show job 1010", shown=1009)[1]["job_id"] == 1010  # a number said wins
    assert "job_id" not in _read("notes on that job")[1]
    assert _read("whats the address?", shown=1009) == ("show_job", {"job_id": 1009, "focus": "address"})


def test_a_question_after_a_filler_is_an_aside_and_a_correction_is_not() -> None:
    assert aside_question("wait whats derek doing saturday", "unknown", {}, None, NOW, TZ) == (
        "list_appointments",
        {"technician": "derek", "range": {"from": "2026-11-28", "to": "2026-11-28"}},
    )
    assert aside_question("no, job 1002", "show_job", {"job_id": 1002}, None, NOW, TZ) is None
    assert aside_question("actually friday 2pm", "unknown", {}, None, NOW, TZ) is None
    assert (
        aside_question("appointment 5002", "unknown", {}, None, NOW, TZ) is None
    )  # an answer, not a look-up
    assert aside_question("cancellations this week by reason", "unknown", {}, None, NOW, TZ) is not None


@pytest.mark.parametrize(
    ("text", "problem"),
    [("move 1010 to feb 30", "February"), ("reschedule 1010 to 6/31", "June"), ("june 31st", "June")],
)
def test_a_day_that_does_not_exist_is_said(text: str, problem: str) -> None:
    assert problem in impossible_date(text)


@pytest.mark.parametrize(
    "text", ["move 1010 to feb 29", "12/31", "jan 5", "job 1010 at 3/4", "call 555-2008"]
)
def test_real_days_are_no_problem(text: str) -> None:
    assert impossible_date(text) == ""


def test_words_of_names() -> None:
    assert project_name("jobs for project Lee remodel") == "Lee remodel"
    assert project_name("find projects") is None
    assert kind_words("show me plumbing jobs next week") == "plumbing"
    assert kind_words("find all the open jobs") is None
    assert name_variants("the Garcias") == ["Garcias", "Garcia"]
    assert name_variants("Barbara White's") == ["Barbara White"]
    assert words_match("furnace", "Furnace Repair") and words_match("hvac", "HVAC - Service")
    assert not words_match("ac", "Panel Upgrade")


async def test_names_are_looked_up_through_crm_filters_once_then_cached(harness: Harness) -> None:
    names = Names(harness.client, harness.store)
    first = await names.customers("the Stones")
    calls = len(harness.sim.request_log)
    again = await names.customers("the Stones")
    assert [c["name"] for c in first] == ["Bob Stone"] == [c["name"] for c in again]
    assert len(harness.sim.request_log) == calls  # the second look-up is served from the cache
    assert [c["name"] for c in await names.customers("555-0303")] == ["Sarah King"]
    assert [loc["name"] for loc in await names.locations("9 Dock")] == ["Stone Warehouse"]
    assert [p["name"] for p in await names.projects_named("remodel")] == ["Lee remodel"]
    assert await names.customers("Nobody Atall") == []


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("whats going on with the garcias", "the garcias"),
        ("show me everything for lakeside dental", "lakeside dental"),
        ("any updates on maple street bakery?", "maple street bakery"),
        ("what's happening with Priya Shah", "Priya Shah"),
        ("hows it going with the hendersons", "the hendersons"),
    ],
)
def test_a_customer_asked_about_as_a_whole(text: str, name: str) -> None:
    assert refine(text, "unknown", {}, NOW, TZ) == ("find_jobs", {"customer": name, "overview": True})


@pytest.mark.parametrize(
    "text",
    [
        "show me everything on hold",
        "whats going on with job 1009",
        "show me everything for today",
        "whats up with it",
    ],
)
def test_no_customer_in_a_question_about_a_status_a_job_or_a_day(text: str) -> None:
    assert refine(text, "unknown", {}, NOW, TZ)[1].get("overview") is None
