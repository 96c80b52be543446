"""A message read twice at the same moment (the alert-request check, then the dialog) is parsed once, and
each caller gets its own copy of the result."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import intents.api
from intents import parse

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
TZ = "America/Chicago"


@pytest.fixture
def recognized(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    real = intents.api.recognize

    def counted(text: str, **kwargs: Any) -> dict[str, Any]:
        calls.append(text)
        return real(text, **kwargs)

    monkeypatch.setattr(intents.api, "recognize", counted)
    monkeypatch.setattr(intents.api, "_RECENT", {})
    return calls


def test_the_same_message_at_the_same_moment_is_parsed_once(recognized: list[str]) -> None:
    text = "move job 1009 to friday 2pm"
    first = parse(text, now=NOW, tz=TZ)
    second = parse(text, now=NOW, tz=TZ)
    assert first == second and first["intent"] == "reschedule_appointment"
    assert recognized == [text]
    # each caller its own: changing one answer changes no other
    first["slots"]["when"]["changed"] = True
    first["slots"]["job_id"] = 1
    third = parse(text, now=NOW, tz=TZ)
    assert third == second and "changed" not in third["slots"]["when"]


def test_another_moment_zone_or_text_is_parsed_again(recognized: list[str]) -> None:
    parse("push job 1009 back an hour", now=NOW, tz=TZ)
    later = parse("push job 1009 back an hour", now=NOW + timedelta(minutes=90), tz=TZ)
    parse("push job 1009 back an hour", now=NOW, tz="America/New_York")
    parse("push job 1010 back an hour", now=NOW, tz=TZ)
    assert len(recognized) == 4
    assert later == intents.api.recognize(
        "push job 1009 back an hour", now=NOW + timedelta(minutes=90), tz=TZ
    )


def test_the_recent_parses_are_bounded(recognized: list[str]) -> None:
    for n in range(intents.api.RECENT_PARSES * 2):
        parse(f"show job {1000 + n}", now=NOW, tz=TZ)
    assert len(intents.api._RECENT) == intents.api.RECENT_PARSES
    parse("show job 1000", now=NOW, tz=TZ)  # the oldest went first
    assert recognized.count("show job 1000") == 2
