"""A message that stops in the middle of a time phrase ("friday -", "12/1 through") parses what was
said."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from intents.recognizer import recognize
from tests.intents.cases import fixture_cases

NOW = datetime(2026, 11, 24, 9, 0)  # Tuesday
TZ = "America/Chicago"
TODAY = {"from": "2026-11-24", "to": "2026-11-24"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("move job 5 to friday -", {"intent": "reschedule_appointment", "slots": {"job_id": 5, "when": {"date": "2026-11-27"}}}),
        ("move job 5 to friday through", {"intent": "reschedule_appointment", "slots": {"job_id": 5, "when": {"date": "2026-11-27"}}}),
        ("push job 8 to 12/9 to", {"intent": "reschedule_appointment", "slots": {"job_id": 8, "when": {"date": "2026-12-09"}}}),
        ("shift job 8 to tomorrow until", {"intent": "reschedule_appointment", "slots": {"job_id": 8, "when": {"date": "2026-11-25"}}}),
        ("today -", {"intent": "unknown", "slots": {}}),
        ("jobs today -", {"intent": "find_jobs", "slots": {"range": TODAY}}),
        ("jobs 12/1 -", {"intent": "find_jobs", "slots": {"range": {"from": "2026-12-01", "to": "2026-12-01"}}}),
        ("jobs 12/1 through", {"intent": "find_jobs", "slots": {"range": {"from": "2026-12-01", "to": "2026-12-01"}}}),
        ("jobs between 12/1 and", {"intent": "find_jobs", "slots": {"range": {"from": "2026-12-01", "to": "2026-12-01"}}}),
        ("jobs from monday -", {"intent": "find_jobs", "slots": {"range": {"from": "2026-11-30", "to": "2026-11-30"}}}),
        ("jobs from monday to", {"intent": "find_jobs", "slots": {"range": {"from": "2026-11-30", "to": "2026-11-30"}}}),
        ("book job for customer 4 on 12/7 -", {"intent": "book_job", "slots": {"customer_id": 4, "when": {"date": "2026-12-07"}}}),
    ],
)  # fmt: skip
def test_a_dangling_range_link_is_ignored(text: str, expected: dict[str, Any]) -> None:
    assert recognize(text, now=NOW, tz=TZ) == expected


LINKS = ("-", "through", "to", "until", "and", "between", "from")


def _prefixes() -> list[tuple[str, datetime, str]]:
    """Every fixture utterance cut after each word, with a range link left hanging at the end."""
    seen: set[str] = set()
    found = []
    for _, text, _, now, tz in fixture_cases():
        words = text.split()
        for count in range(1, len(words) + 1):
            for link in LINKS:
                cut = " ".join([*words[:count], link])
                if cut not in seen:
                    seen.add(cut)
                    found.append((cut, now, tz))
    return found


def test_no_cut_off_fixture_utterance_raises() -> None:
    # recognize() raises where parse() would log and answer unknown: a bug shows up here
    for text, now, tz in _prefixes():
        result = recognize(text, now=now, tz=tz)
        assert set(result) == {"intent", "slots"}, text
