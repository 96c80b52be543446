"""Hold and cancel reasons by the meaningful words of their names (bot/dialog/reasons.py)."""

from __future__ import annotations

import pytest

from bot.dialog.reasons import match_reason, stem

HOLD = [
    {"id": 71, "name": "Waiting for parts"},
    {"id": 72, "name": "Customer requested"},
    {"id": 73, "name": "Awaiting approval"},
    {"id": 74, "name": "Weather delay"},
]
CANCEL = [
    {"id": 81, "name": "Duplicate booking"},
    {"id": 82, "name": "Customer canceled"},
    {"id": 83, "name": "Went with another company"},
    {"id": 84, "name": "Price too high"},
]


@pytest.mark.parametrize(
    ("words", "name"),
    [
        ("waiting on insurance approval", "Awaiting approval"),
        ("homeowner waiting on the insurance adjuster", "Awaiting approval"),
        ("needs sign-off from the property manager, approval pending", "Awaiting approval"),
        ("still not approved by the landlord", "Awaiting approval"),
        ("compressor parts on backorder", "Waiting for parts"),
        ("the supplier hasn't shipped the part", "Waiting for parts"),
        ("tenant is waiting for parts too", "Waiting for parts"),
        ("thunderstorms all afternoon", "Weather delay"),
        ("too much snow on the roof", "Weather delay"),
        ("raining", "Weather delay"),
        ("client asked us to wait until january", "Customer requested"),
        ("customer is traveling", "Customer requested"),
        ("homeowner wants it pushed", "Customer requested"),
        ("per the customer's request", "Customer requested"),
    ],
)
def test_a_hold_reason_by_its_meaningful_words(words: str, name: str) -> None:
    match = match_reason(words, HOLD)
    assert (match.kind, match.row["name"]) == ("one", name)


@pytest.mark.parametrize(
    ("words", "name"),
    [
        ("they double booked it", "Duplicate booking"),
        ("this one's a dupe of 1040", "Duplicate booking"),
        ("homeowner called to cancel", "Customer canceled"),
        ("customer changed their mind", "Customer canceled"),
        ("hired a different contractor", "Went with another company"),
        ("going with a competitor", "Went with another company"),
        ("said it costs too much", "Price too high"),
        ("the estimate was too pricey for them", "Price too high"),
        ("client can't afford it right now", "Price too high"),
    ],
)
def test_a_cancel_reason_by_its_meaningful_words(words: str, name: str) -> None:
    match = match_reason(words, CANCEL)
    assert (match.kind, match.row["name"]) == ("one", name)


@pytest.mark.parametrize(
    ("words", "names"),
    [
        ("waiting", {"Waiting for parts", "Awaiting approval"}),  # a word two reasons share: asked
        ("approval and parts both", {"Waiting for parts", "Awaiting approval"}),  # two reasons said equally
    ],
)
def test_two_reasons_that_match_alike_are_asked(words: str, names: set[str]) -> None:
    match = match_reason(words, HOLD)
    assert match.kind == "many"
    assert {r["name"] for r in match.rows} == names


@pytest.mark.parametrize("words", ["delayed", "permit issue", "no idea", "tbd"])
def test_words_that_name_no_reason_are_asked(words: str) -> None:
    assert match_reason(words, HOLD).kind == "none"


def test_an_exact_name_and_a_misspelling_still_match() -> None:
    assert match_reason("weather delay", HOLD).row["id"] == 74
    assert match_reason("Wating for prts", HOLD).row["id"] == 71


def test_stems() -> None:
    assert stem("approval") == stem("approved") == stem("approve") == "approv"
    assert stem("canceled") == stem("cancelled") == "cancel"
    assert stem("parts") == "part"


@pytest.mark.parametrize(
    ("words", "rows"),
    [
        ("something else came up", CANCEL),  # "else" alone is no other company
        ("customer wants a different day", CANCEL),
        ("customer is out of town", CANCEL),  # the subject alone names no reason
        ("customer will call back with the quote", CANCEL),  # "quote" alone is no price too high
        ("no heat at house", HOLD),  # the trouble, not the weather
        ("tech has no parts on truck, customer asked to wait", HOLD),  # parts, or the customer's ask?
    ],
)
def test_one_loose_word_picks_no_reason(words: str, rows: list[dict[str, object]]) -> None:
    assert match_reason(words, rows).kind != "one"
