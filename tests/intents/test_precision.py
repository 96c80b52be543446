"""Precision of the fallback classifier, measured on sets of our own held out from its training
(tests/intents/precision: never training data, never copied from ../shared/eval): messages that are no
request stay `unknown`, requests said near the templates' words keep their reading, and slots come only
from text shaped like them (no job id from a URL, an IP address, a port or a log clock)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from intents import parse
from intents.grammar import load_grammar
from intents.recognizer import LOOKUPS, _classified
from intents.slots import Context
from intents.timeparse import local_now

NOW = datetime(2026, 11, 24, 9, 0)
TZ = "America/Chicago"
HERE = Path(__file__).parent / "precision"
NEGATIVES: dict[str, Any] = yaml.safe_load((HERE / "negatives.yaml").read_text(encoding="utf-8"))
POSITIVES: list[dict[str, Any]] = yaml.safe_load((HERE / "positives.yaml").read_text(encoding="utf-8"))[
    "cases"
]
MIN_RECALL = 0.95


def _fallback(text: str) -> dict[str, Any]:
    return _classified(text, load_grammar(), Context(local_now(NOW, TZ), TZ))


def test_the_sets_are_sizeable() -> None:
    assert len(NEGATIVES["texts"]) >= 150
    assert len(POSITIVES) >= 50


@pytest.mark.parametrize(
    "text", [str(t) for t in NEGATIVES["texts"] if t not in NEGATIVES["template_readings"]]
)
def test_the_classifier_takes_no_negative_as_a_request(text: str) -> None:
    assert _fallback(text)["intent"] == "unknown"


@pytest.mark.parametrize(
    "text", [str(t) for t in NEGATIVES["texts"] if t not in NEGATIVES["template_readings"]]
)
def test_a_negative_parses_as_unknown(text: str) -> None:
    assert parse(text, now=NOW, tz=TZ)["intent"] == "unknown"


def _read_right(case: dict[str, Any]) -> bool:
    result = parse(case["text"], now=NOW, tz=TZ)
    slots = case.get("slots", {})
    return bool(
        result["intent"] == case["intent"] and all(result["slots"].get(k) == v for k, v in slots.items())
    )


@pytest.mark.parametrize("case", [c for c in POSITIVES if "miss" not in c], ids=lambda c: c["text"])
def test_a_near_template_request_keeps_its_reading(case: dict[str, Any]) -> None:
    assert _read_right(case)


def test_recall_on_the_near_template_requests() -> None:
    recall = sum(_read_right(c) for c in POSITIVES) / len(POSITIVES)
    assert recall >= MIN_RECALL


@pytest.mark.parametrize(
    "text",
    [
        "redis://127.0.0.1:6379/0",
        "ssh admin@10.1.2.3 -p 22",
        "10.0.0.12:8080",
        "see https://docs.example.org/schedule?id=1007",
        "GET /jpm/v2/jobs/4410 returned 500",
        "worker up since 09:00:01",
        "$250",
        "+1",
    ],
)
def test_machine_text_gives_no_reading_and_no_id(text: str) -> None:
    result = parse(text, now=NOW, tz=TZ)
    assert result["intent"] == "unknown"
    ids = {a["slots"].get("job_id") for a in result.get("alternatives", [])}
    assert not ids & {127, 0, 6379, 10, 1, 2, 3, 12, 8080, 1007, 4410, 9, 250}


@pytest.mark.parametrize("text", ["drain cleaning", "ac tune-up", "couldn't confirm whether", "confirmed"])
def test_a_fragment_without_a_record_is_no_sure_request(text: str) -> None:
    assert parse(text, now=NOW, tz=TZ) == {"intent": "unknown", "slots": {}}


def test_a_write_read_by_the_classifier_needs_a_record_but_the_job_id_may_be_bare() -> None:
    assert parse("get rid of 1007", now=NOW, tz=TZ) == {"intent": "cancel_job", "slots": {"job_id": 1007}}


@pytest.mark.parametrize("text", ["1007 is off", "put a rush on 1001", "1007 is toast"])
def test_unsure_readings_of_a_record_are_asked_not_guessed(text: str) -> None:
    result = parse(text, now=NOW, tz=TZ)
    assert result["intent"] == "unknown"
    assert result["alternatives"]


def test_the_look_ups_a_reading_without_a_record_may_be_sure_of_are_no_writes() -> None:
    from bot.dialog.writes import WRITES

    assert set(load_grammar().intents) >= LOOKUPS
    assert not LOOKUPS & set(WRITES)


@pytest.mark.parametrize(
    "text", ["PO 88213", "serial 8812AC0043", "how many btus for 1200 square feet", "worker 312 restarted"]
)
def test_the_number_of_some_other_thing_or_an_amount_is_no_record(text: str) -> None:
    assert parse(text, now=NOW, tz=TZ) == {"intent": "unknown", "slots": {}}
