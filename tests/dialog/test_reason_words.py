"""The cancel reason said as a filter of a search (bot/dialog/reads/reasons.py): its words and the reasons."""

from __future__ import annotations

import pytest

from bot.dialog.reads.reasons import matching, said_reason

NAMES = {
    81: "Duplicate booking",
    82: "Customer canceled",
    83: "Went with another company",
    84: "Price too high",
}


@pytest.mark.parametrize(
    ("text", "words", "ids"),
    [
        ("anything canceled for price reasons in the last 2 weeks", "price", [84]),
        ("jobs canceled because of price this month", "price", [84]),
        ("cancellations due to a duplicate booking", "duplicate booking", [81]),
        ("which ones were price too high", "price too high", [84]),
        ("the ones for another company?", "another company", [83]),
        ("canceled due to the price being too high", "price being too high", [84]),
        ("canceled jobs for weather reasons", "weather", []),
    ],
)
def test_a_reason_said_names_the_reasons_with_its_words(text: str, words: str, ids: list[int]) -> None:
    said = said_reason(text)
    assert said is not None and said[0] == words
    assert matching(said[0], NAMES) == ids


@pytest.mark.parametrize(
    "text",
    [
        "canceled jobs last week",
        "which ones were canceled",
        "canceled jobs for Barbara White",
        "jobs for ann lee",
    ],
)
def test_no_reason_said(text: str) -> None:
    assert said_reason(text) is None
