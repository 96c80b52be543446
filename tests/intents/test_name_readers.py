"""Names read without their usual marks: a possessive with no apostrophe, a booked customer in lower case."""

from __future__ import annotations

from datetime import datetime

import pytest

from intents import parse

NOW = datetime(2026, 11, 24, 9, 0)  # Tuesday
TZ = "America/Chicago"


@pytest.mark.parametrize(
    ("text", "technician"),
    [
        ("annas appointments friday", "anna"),
        ("jakes jobs this week", "jake"),
        ("marcus appointments friday", "marcus"),  # the name's own "s"
    ],
)
def test_possessive_without_apostrophe(text: str, technician: str) -> None:
    assert parse(text, now=NOW, tz=TZ)["slots"].get("technician") == technician


@pytest.mark.parametrize(
    "text", ["his appointments friday", "techs jobs this week", "class appointments friday"]
)
def test_words_ending_in_s_are_no_names(text: str) -> None:
    assert "technician" not in parse(text, now=NOW, tz=TZ)["slots"]


def test_lower_case_customer_after_for_in_a_booking() -> None:
    result = parse("book a duct cleaning for priya nair on monday", now=NOW, tz=TZ)
    assert result["intent"] == "book_job"
    assert result["slots"]["customer"] == "priya nair"


def test_ordinary_words_after_for_name_no_customer() -> None:
    slots = parse("book a duct cleaning for warranty work on monday", now=NOW, tz=TZ)["slots"]
    assert "customer" not in slots
