"""A job named by its customer, address or type instead of its number (intents/named_jobs.py).

Kept out of the fixture files on purpose: those train the fallback classifier, and these readings come from
the templates alone."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from intents import parse, parse_named_job

NOW = datetime.fromisoformat("2026-12-02T09:00:00")  # a Wednesday
TZ = "America/Chicago"


@pytest.mark.parametrize(
    ("text", "intent", "slots"),
    [
        (
            "push the water heater install for tom baker to thursday",
            "reschedule_appointment",
            {"customer": "tom baker", "job_type": "water heater install", "when": {"date": "2026-12-03"}},
        ),
        (
            "Priya Shah wants her AC repair moved to monday",
            "reschedule_appointment",
            {"customer": "Priya Shah", "job_type": "AC repair", "when": {"date": "2026-12-07"}},
        ),
        (
            "put ray's job on hold, waiting on parts",
            "hold_job",
            {"customer": "ray", "reason": "waiting on parts"},
        ),
        (
            "hold the leak repair at 88 birch ln",
            "hold_job",
            {"location": "88 birch ln", "job_type": "leak repair"},
        ),
        (
            "cancel the furnace tune-up for the hendersons - went with another company",
            "cancel_job",
            {"customer": "hendersons", "job_type": "furnace tune-up", "reason": "went with another company"},
        ),
        (
            "assign carlos to the job for omar said",
            "assign_technician",
            {"technician": "carlos", "customer": "omar said"},
        ),
        (
            "move ken olsens water heater repair to friday",
            "reschedule_appointment",
            {"customer": "ken olsens", "job_type": "water heater repair", "when": {"date": "2026-12-04"}},
        ),
        (
            "cancel the hendersons job, duplicate",
            "cancel_job",
            {"customer": "hendersons", "reason": "duplicate"},
        ),
        (
            "reschedule omar said's appointment to friday",
            "reschedule_appointment",
            {"customer": "omar said", "when": {"date": "2026-12-04"}},
        ),
        (
            "take nina ortiz's drain cleaning off hold",
            "remove_appointment_hold",
            {"customer": "nina ortiz", "job_type": "drain cleaning"},
        ),
    ],
)
def test_a_job_named_in_words_gives_its_slots(text: str, intent: str, slots: dict[str, Any]) -> None:
    assert parse(text, now=NOW, tz=TZ) == {"intent": intent, "slots": slots}


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("book a drain cleaning for tom baker friday", "book_job"),  # a new job, not one named
        ("jobs for tom baker", "find_jobs"),
        ("reschedule the appointment for job 1002 to friday", "reschedule_appointment"),
        ("schedule a tune-up for Jane Doe tomorrow", "book_job"),
    ],
)
def test_other_requests_keep_their_reading(text: str, intent: str) -> None:
    parsed = parse(text, now=NOW, tz=TZ)
    assert parsed["intent"] == intent
    assert not ({"customer", "location"} & set(parsed["slots"])) or intent != "reschedule_appointment"


@pytest.mark.parametrize(
    ("text", "slots"),
    [
        ("tom baker's water heater install", {"customer": "tom baker", "job_type": "water heater install"}),
        ("the one at 88 birch ln", {"location": "88 birch ln"}),
        ("the visit for priya shah", {"customer": "priya shah"}),
        ("Priya Shah", {"customer": "Priya Shah"}),
        ("the hendersons", {"customer": "hendersons"}),
        ("yes", None),
        ("friday 2pm", None),
        ("1012", None),
        ("move it to friday", None),
    ],
)
def test_an_answer_to_which_job_that_names_it(text: str, slots: dict[str, Any] | None) -> None:
    assert parse_named_job(text, now=NOW, tz=TZ) == slots


def test_a_request_word_before_a_possessive_is_not_part_of_the_name() -> None:
    parsed = parse("uncancel barbara white's job", now=NOW, tz=TZ)
    assert parsed == {"intent": "remove_cancellation", "slots": {"customer": "barbara white"}}
