"""What "it", "the first one" and "#2" refer to (bot/dialog/refer.py): pure, against a hand-built last_read."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.dialog import refer

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
TZ = "America/Chicago"
LIST = {"items": [{"job_id": 1010}, {"job_id": 1011}, {"job_id": 1012}], "job_id": 1005}


def read(text: str, last: dict | None = LIST) -> tuple[str, dict] | None:
    from bot.dialog.reads.asking import parse_text

    parsed = parse_text(text, NOW, TZ)
    return refer.referred(last, text, parsed["intent"], parsed["slots"], NOW, TZ)


@pytest.mark.parametrize(
    ("text", "job"),
    [
        ("put mike chen on the first one", 1010),
        ("give the 2nd job to mike chen", 1011),
        ("assign mike chen to the last one", 1012),
        ("assign mike chen to #2", 1011),
        ("show me number 3", 1012),
        ("give it to mike chen", 1005),
        ("hand that job to mike chen", 1005),
    ],
)
def test_a_reference_names_the_list_item_or_the_job_in_view(text: str, job: int) -> None:
    found = read(text)
    assert found is not None and found[1].get("job_id") == job, found


@pytest.mark.parametrize(
    "text",
    [
        "jobs on the 3rd",  # a day of the month
        "move job 1001 to first thing tomorrow",  # an id of its own, and no place
        "assign mike chen to the fifth one",  # the list has three
        "add a note to 1001: customer says it leaks",  # the id said is the note's job
    ],
)
def test_words_that_name_no_shown_record_are_read_as_they_are(text: str) -> None:
    found = read(text)
    assert found is None or found[1].get("job_id") not in {1010, 1011, 1012, 1005}, found


def test_nothing_shown_refers_to_nothing() -> None:
    assert read("put mike chen on the first one", last=None) is None
    assert read("give it to mike chen", last={}) is None


def test_a_read_remembers_its_items_and_another_list_forgets_them() -> None:
    last = refer.remember_read(None, {"rows": ["a", "b"], "items": [{"job_id": 1}, {"job_id": 2}]})
    assert last["items"] == [{"job_id": 1}, {"job_id": 2}]
    shown = refer.remember_read(last, {"rows": ["x"], "job_id": 7, "appointment_id": 70})
    assert shown["items"] == last["items"] and shown["job_id"] == 7 and shown["appointment_id"] == 70
    assert "items" not in refer.remember_read(shown, {"rows": ["Customer canceled: 2"]})


def test_a_change_puts_its_job_in_view_even_when_made_by_appointment() -> None:
    data = {"appointment:id=5006": {"appointment": {"id": 5006, "job_id": 1005}, "assignments": []}}
    last = refer.remember_change({}, {"appointment_id": 5006}, {}, data)
    assert last["job_id"] == 1005 and last["appointment_id"] == 5006
