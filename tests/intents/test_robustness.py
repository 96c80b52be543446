"""Any text gives a valid answer: no exception, JSON-serialisable, a contract intent, allowed slots."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intents import INTENTS, parse
from intents.grammar import load_grammar
from intents.recognizer import recognize

NOW = datetime(2026, 11, 24, 9, 0)
TZ = "America/Chicago"

# Words the grammar reacts to, so generated messages reach deep into templates and time phrases.
VOCABULARY = [
    "job", "appt", "appointment", "customer", "location", "project", "#", "4521", "12", "3", "31",
    "reschedule", "move", "to", "on", "at", "between", "and", "cancel", "hold", "off", "put", "because",
    "assign", "unassign", "from", "note", "notes", "special", "instructions", ":", "-", ",", "friday",
    "next", "this", "week", "month", "tomorrow", "the", "30th", "12/7", "8-10am", "1-3pm", "noon",
    "morning", "in", "days", "a", "from", "today", "jobs", "my", "appointments", "projects", "'s",
    "alert", "me", "stop", "alerts", "usage", "<@U123>", "<#C1|x>", "<!here>", "*bold*", "Mike", "🙂",
    "\x00", "\u202e", "summary", "priority", "urgent", "book", "new", "for", "with", "uncancel",
]  # fmt: skip


def check(result: dict[str, Any], *, nested: bool = False) -> None:
    assert set(result) - {"alternatives"} == {"intent", "slots"}
    assert result["intent"] in INTENTS
    json.loads(json.dumps(result))
    allowed = (
        set(load_grammar().intents[result["intent"]].outputs)
        if result["intent"] in load_grammar().intents
        else set()
    )
    assert set(result["slots"]) <= allowed
    if "alternatives" in result:
        assert not nested and 1 <= len(result["alternatives"]) <= 3
        for alternative in result["alternatives"]:
            assert set(alternative) == {"intent", "slots"} and alternative["intent"] != "unknown"
            assert alternative["intent"] != result["intent"]
            check(alternative, nested=True)
    if result["intent"] == "unknown":
        assert result["slots"] == {}


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_any_text(text: str) -> None:
    check(recognize(text, now=NOW, tz=TZ))


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.sampled_from(VOCABULARY) | st.text(max_size=6), max_size=25), st.sampled_from([" ", "", "  "])
)
def test_any_mix_of_grammar_words(words: list[str], joiner: str) -> None:
    check(recognize(joiner.join(words), now=NOW, tz=TZ))


@settings(max_examples=60, deadline=None)
@given(
    st.text(max_size=80),
    st.datetimes(
        min_value=datetime(1990, 1, 1), max_value=datetime(2190, 12, 31), timezones=st.just(UTC) | st.none()
    ),
    st.sampled_from(["America/Chicago", "UTC", "Asia/Kolkata", "Pacific/Chatham", "America/Sao_Paulo"]),
)
def test_any_clock_and_zone(text: str, now: datetime, tz: str) -> None:
    check(recognize("move job 5 to " + text, now=now, tz=tz))
    check(recognize(text + " jobs next month", now=now, tz=tz))


def test_hostile_inputs_answer_unknown_or_valid() -> None:
    inputs = [
        "",
        " ",
        "\n\t\r",
        "\x00\x01\x02\x7f",
        "🙂" * 30_000,
        "x" * 100_000,
        "x " * 50_000,
        "job 5 " * 20_000,
        "1 " * 50_000,
        "at 5 " * 20_000,
        "the " * 30_000,
        "<" * 100_000,
        "*" * 100_000,
        "<@U123>" * 10_000,
        "12/12/" * 15_000,
        "between 1 and " * 7_000,
        "cancel job 5 because " + "blah " * 20_000,
        "assign " + "mike " * 20_000 + "to job 5",
        "<!here> <#C1|general> *bold* _it_ ~strike~ `code`",
    ]
    for text in inputs:
        check(parse(text, now=NOW, tz=TZ))


def test_long_free_text_is_kept_whole() -> None:
    text = "note on job 5: " + "word " * 5_000 + "end"
    result = parse(text, now=NOW, tz=TZ)
    assert result["intent"] == "add_note"
    assert result["slots"]["text"].endswith("end")
    assert len(result["slots"]["text"]) > 25_000 - 100


def test_slack_markup() -> None:
    assert parse("assign <@U123> to job 5", now=NOW, tz=TZ)["slots"] == {"technician": "<@U123>", "job_id": 5}
    assert parse("<@UBOT> show job 5", now=NOW, tz=TZ) == {"intent": "show_job", "slots": {"job_id": 5}}
    assert parse("*scrap job 6172*", now=NOW, tz=TZ) == {"intent": "cancel_job", "slots": {"job_id": 6172}}
    assert parse("<!here> what can you do", now=NOW, tz=TZ)["intent"] == "help"
    assert parse("<#C1|dispatch> show job 7", now=NOW, tz=TZ) == {
        "intent": "show_job",
        "slots": {"job_id": 7},
    }
    assert parse("cancel job 9 - see <https://example.com/x|ticket>", now=NOW, tz=TZ)["slots"]["job_id"] == 9
