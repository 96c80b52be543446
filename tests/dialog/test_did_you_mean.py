""" "Did you mean…": every request the dialog can make has its words, an unsure parse is read into the readings
the asker may make, and the examples of "Something else" and "I didn't understand" name ids the data has."""

from __future__ import annotations

import re

from bot.dialog import didyoumean
from bot.dialog.catalog import READ_INTENTS, WRITE_INTENTS
from bot.dialog.didyoumean import SAY, unsure_readings, words
from bot.dialog.messages import Asker, Pressed, Reply
from intents.names import INTENTS
from tests.dialog.conftest import TZ, Harness, reply_text

DISPATCHER = Asker(user_id="U1", tz=TZ, role="dispatcher")
TECHNICIAN = Asker(user_id="U2", tz=TZ, role="technician", technician_id=43)


def test_every_request_the_dialog_makes_has_its_words() -> None:
    missing = sorted((WRITE_INTENTS | READ_INTENTS) - set(SAY))
    assert not missing, f"add the words of {missing} to bot.dialog.didyoumean.SAY"
    unknown = sorted(set(SAY) - set(INTENTS))
    assert not unknown, f"SAY names intents the parser does not have: {unknown}"


def test_words_say_the_request_with_its_slots() -> None:
    assert words("cancel_job", {"job_id": 3307}) == "Cancel job 3307"
    assert words("show_job", {"job_id": 3307}) == "Show job 3307"
    assert words("assign_technician", {"job_id": 1010, "technician": "Mike"}) == "Assign Mike to job 1010"
    assert words("assign_technician", {"appointment_id": 5001}) == "Assign a technician to appointment 5001"
    assert words("hold_appointment", {"job_id": 1011}) == "Put the visit of job 1011 on hold"
    when = {"date": "2026-11-27", "start": "14:00"}
    assert (
        words("reschedule_appointment", {"job_id": 1009, "when": when})
        == "Reschedule job 1009 to Fri Nov 27, 2:00 PM"
    )
    days = {"from": "2026-11-23", "to": "2026-11-29"}
    assert (
        words("find_jobs", {"status": "canceled", "range": days})
        == "Find canceled jobs Mon Nov 23 – Sun Nov 29"
    )
    assert len(words("book_job", {"customer": "x" * 200})) <= didyoumean.MAX_LABEL


def test_a_sure_parse_offers_nothing_and_an_unsure_one_its_readings() -> None:
    sure = {"intent": "cancel_job", "slots": {"job_id": 1}}
    assert unsure_readings(sure, DISPATCHER) == []
    unsure = {
        "intent": "unknown",
        "slots": {},
        "alternatives": [
            {"intent": "cancel_job", "slots": {"job_id": 1007}},
            {"intent": "show_job", "slots": {"job_id": 1007}},
            {"intent": "cancel_job", "slots": {"job_id": 1007}},
            {"intent": "hold_job", "slots": {"job_id": 1007}},
            {"intent": "add_note", "slots": {"job_id": 1007}},
        ],
    }
    assert [r["intent"] for r in unsure_readings(unsure, DISPATCHER)] == [
        "cancel_job",
        "show_job",
        "hold_job",
    ]
    assert [r["intent"] for r in unsure_readings(unsure, TECHNICIAN)] == ["show_job"]  # roles apply


def test_a_classifier_reading_of_low_confidence_is_asked_about_and_a_write_on_top_comes_first() -> None:
    doubtful = {"intent": "hold_job", "slots": {"job_id": 1003}, "confidence": 0.55}
    assert unsure_readings(doubtful, DISPATCHER) == [{"intent": "hold_job", "slots": {"job_id": 1003}}]
    assert unsure_readings({**doubtful, "confidence": 0.95}, DISPATCHER) == []
    with_others = {
        **doubtful,
        "confidence": 0.95,
        "alternatives": [{"intent": "cancel_job", "slots": {"job_id": 1003}}],
    }
    assert [r["intent"] for r in unsure_readings(with_others, DISPATCHER)] == ["hold_job", "cancel_job"]
    # a write the asker may not make, with nothing else plausible: "I didn't understand", not a lone button
    assert unsure_readings({"intent": "unknown", "slots": {}, **with_others}, TECHNICIAN) == []


def _job_ids(text: str) -> set[int]:
    return {int(n) for n in re.findall(r"\bjob (\d+)", text)}


async def test_something_else_and_not_understood_name_only_jobs_the_data_has(harness: Harness) -> None:
    replies = await harness.say("what's the weather like on mars")
    not_understood = reply_text(replies[-1])
    assert "didn't understand" in not_understood
    offered = await harness.say("put a rush on 1001")
    offer: Reply = offered[-1]
    assert offer.kind == "choice"
    something_else = next(b for b in offer.buttons if b.label == "Something else")
    replies = await harness.handle(Pressed(action="choose", value=something_else.value, token=offer.token))
    examples = reply_text(replies[-1])
    assert "own words" in examples
    said = _job_ids(not_understood) | _job_ids(examples)
    assert _job_ids(not_understood) and len(_job_ids(examples)) >= 3
    assert said <= set(harness.sim.state.jobs), said - set(harness.sim.state.jobs)
    assert harness.sim.write_count == 0


def test_at_most_three_readings_are_offered_most_likely_first() -> None:
    parsed = {
        "intent": "unknown",
        "slots": {},
        "alternatives": [
            {"intent": intent, "slots": {"job_id": 1007}}
            for intent in ("cancel_job", "hold_job", "show_job", "complete_job", "add_note")
        ],
    }
    readings = unsure_readings(parsed, DISPATCHER)
    assert [r["intent"] for r in readings] == ["cancel_job", "hold_job", "show_job"]


def test_a_change_that_takes_work_off_the_schedule_is_offered_only_for_words_of_it() -> None:
    parsed = {
        "intent": "unknown",
        "slots": {},
        "alternatives": [
            {"intent": intent, "slots": {"job_id": 1041}}
            for intent in ("cancel_job", "hold_job", "assign_technician", "reassign_technician")
        ],
    }
    offered = [r["intent"] for r in unsure_readings(parsed, DISPATCHER, "give 1041 a different slot")]
    assert offered == ["assign_technician", "reassign_technician"]
    said = [r["intent"] for r in unsure_readings(parsed, DISPATCHER, "1041 is off the books")]
    assert said[0] == "cancel_job" and "hold_job" not in said
    typo = [r["intent"] for r in unsure_readings(parsed, DISPATCHER, "put 1041 on hlod")]
    assert typo[0] == "hold_job" and "cancel_job" not in typo
