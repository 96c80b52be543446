"""Typo tolerance on the grammar's key words, and a message read as clauses."""

from __future__ import annotations

from datetime import datetime

import pytest

from intents import parse
from intents.clauses import clause_starts, side_technician
from intents.text import tokenize
from intents.typos import correct, correction

NOW = datetime(2026, 11, 24, 9, 0)
TZ = "America/Chicago"


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("thrusday", "thursday"),  # two letters swapped
        ("hlod", "hold"),  # a short word: only a swap
        ("techician", "technician"),  # one letter missing
        ("satruday", "saturday"),
        ("cnacel", "cancel"),
        ("locaton", "location"),
        ("plase", "please"),
        ("appointmens", "appointments"),  # as near to "appointment": the ending decides
        ("completd", "completed"),
        ("teh", "the"),  # a small word of a date phrase: only a swap, only into a few small words
        ("adn", "and"),
    ],
)
def test_a_misspelt_key_word_is_read_as_the_key_word(typed: str, meant: str) -> None:
    assert correction(typed) == meant


@pytest.mark.parametrize(
    "word",
    [
        "mike",  # one letter from "make": a short word is corrected only for a swap
        "sold",  # a real word
        "there",  # a real word one swap from "three"
        "house",
        "gate",
        "abc",  # nothing near
        "sue",  # a short name: no small word is a swap of it
        "dad",
        "ab",  # too short
        "zzzzzzz",  # nothing near
    ],
)
def test_known_words_names_and_ambiguous_typos_are_left_alone(word: str) -> None:
    assert correction(word) is None


def test_capitalised_words_and_numbers_are_never_corrected() -> None:
    text = "assign Hlod to job 4410 on thrusday"
    tokens = correct(tokenize(text), text)
    assert [t.norm for t in tokens] == ["assign", "hlod", "to", "job", "4410", "on", "thursday"]
    # the first word of a message may be capitalised and is still a key word
    first = correct(tokenize("Cnacel job 5"), "Cnacel job 5")
    assert first[0].norm == "cancel"


def test_a_correction_changes_only_the_skeleton_not_the_words_of_a_free_text() -> None:
    result = parse("put job 77 on hlod, waiting on the hlod inspector", now=NOW, tz=TZ)
    assert result == {
        "intent": "hold_job",
        "slots": {"job_id": 77, "reason": "waiting on the hlod inspector"},
    }


def test_clauses_start_after_punctuation_joiners_and_wants_to() -> None:
    text = "homeowner rang, wants to move job 5 - so push it to friday"
    assert [text[i:] for i in clause_starts(text)] == [
        "wants to move job 5 - so push it to friday",
        "move job 5 - so push it to friday",
        "so push it to friday",
        "push it to friday",
    ]


def test_no_clause_starts_with_a_number_or_inside_a_list() -> None:
    assert clause_starts("friday between 8 and 10") == []
    assert clause_starts("send hold and cancel alerts here") == []


@pytest.mark.parametrize(
    ("text", "rest", "technician"),
    [
        (
            "book a tune-up for customer 3 friday, give it to Mike",
            "book a tune-up for customer 3 friday",
            "Mike",
        ),
        ("add a visit to job 5 and put Sarah Lee on it", "add a visit to job 5", "Sarah Lee"),
        ("add a visit to job 5 monday, I'll take it", "add a visit to job 5 monday", "me"),
        ("new job customer 4 friday - send <@U02TECH9>", "new job customer 4 friday", "<@U02TECH9>"),
        ("book customer 9 a leak repair, Dev can take it, thanks", "book customer 9 a leak repair", "Dev"),
    ],
)
def test_a_trailing_clause_names_the_technician(text: str, rest: str, technician: str) -> None:
    side = side_technician(text)
    assert side is not None and (side.rest, side.technician) == (rest, technician)


@pytest.mark.parametrize(
    "text",
    ["give it to Mike", "move job 5 to friday, give it to the customer", "cancel job 5, send it"],
)
def test_no_technician_clause_without_a_request_before_it_or_a_name(text: str) -> None:
    assert side_technician(text) is None


def test_context_before_the_request_is_not_the_request() -> None:
    assert parse("ok so the Garcias want to un-cancel job 5120", now=NOW, tz=TZ) == {
        "intent": "remove_cancellation",
        "slots": {"job_id": 5120},
    }


def test_a_technician_clause_after_a_request_without_a_technician_slot_is_ignored() -> None:
    result = parse("cancel job 4410 because of the weather, give it to Mike", now=NOW, tz=TZ)
    assert result["intent"] == "cancel_job" and result["slots"]["job_id"] == 4410
    assert "technician" not in result["slots"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a time said before the request fills the request's time
        (
            "friday - what am I doing",
            {"technician": "me", "range": {"from": "2026-11-27", "to": "2026-11-27"}},
        ),
        # a cause before "so" or after "since" is the reason of a hold
        (
            "parts are backordered so put job 2219 on hold",
            {"job_id": 2219, "reason": "parts are backordered"},
        ),
        ("since the homeowner is away, hold job 2219", {"job_id": 2219, "reason": "the homeowner is away"}),
    ],
)
def test_the_context_before_a_request_may_give_it_more_slots(text: str, expected: dict[str, object]) -> None:
    assert parse(text, now=NOW, tz=TZ)["slots"] == expected


def test_context_that_is_no_cause_gives_no_reason() -> None:
    assert parse("ok so put job 2219 on hold", now=NOW, tz=TZ)["slots"] == {"job_id": 2219}
    assert parse("homeowner rang, cancel job 2219", now=NOW, tz=TZ)["slots"] == {"job_id": 2219}


def test_a_swapped_small_word_in_a_date_phrase_keeps_the_day() -> None:
    result = parse("push job 3131 to teh 30th at 10", now=NOW, tz=TZ)
    assert result == {
        "intent": "reschedule_appointment",
        "slots": {"job_id": 3131, "when": {"date": "2026-11-30", "start": "10:00"}},
    }
