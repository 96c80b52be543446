"""parse_slot reads the answer to a question about one slot, in parse()'s value format."""

from __future__ import annotations

from datetime import datetime

import pytest

from intents import parse_slot

NOW = datetime(2026, 11, 24, 9, 0)  # Tuesday
TZ = "America/Chicago"


@pytest.mark.parametrize(
    ("slot", "text", "expected"),
    [
        ("when", "friday 2pm", {"date": "2026-11-27", "start": "14:00"}),
        ("when", "next tuesday morning", {"date": "2026-12-01", "start": "08:00", "end": "12:00"}),
        ("when", "tmrw between 1 and 3", {"date": "2026-11-25", "start": "13:00", "end": "15:00"}),
        ("when", "12/2 at 8:30am", {"date": "2026-12-02", "start": "08:30"}),
        ("when", "the 30th", {"date": "2026-11-30"}),
        ("when", "the ninth", {"date": "2026-12-09"}),
        ("range", "on the twenty-fifth", {"from": "2026-11-25", "to": "2026-11-25"}),
        ("when", "the second one", None),
        ("when", "let's do thursday at noon", {"date": "2026-11-26", "start": "12:00"}),
        ("when", "December the 3rd, 2026 at 4:15pm", {"date": "2026-12-03", "start": "16:15"}),
        ("when", "the 2nd one", None),
        ("when", "option 2", None),
        ("when", "whenever", None),
        ("range", "this week", {"from": "2026-11-23", "to": "2026-11-29"}),
        ("range", "next month", {"from": "2026-12-01", "to": "2026-12-31"}),
        ("range", "tomorrow", {"from": "2026-11-25", "to": "2026-11-25"}),
        ("starts", "next week", {"from": "2026-11-30", "to": "2026-12-06"}),
        ("technician", "Mike C", "Mike C"),
        ("technician", "Ana Ruiz", "Ana Ruiz"),
        ("technician", "send Mike", "Mike"),
        ("technician", "Rosa has it", "Rosa"),
        ("technician", "Dee Park can take it", "Dee Park"),
        ("technician", "<@U77> should go", "<@U77>"),
        ("technician", "me", "me"),
        ("technician", "<@U123ABC>", "<@U123ABC>"),
        ("technician", "the 2nd one", None),
        ("technician", "2", None),
        ("technician", "first", None),
        ("job_id", "1234", 1234),
        ("job_id", "job 1234", 1234),
        ("job_id", "#1234", 1234),
        ("job_id", "it's job #1234.", 1234),
        ("job_id", "the 2nd one", None),
        ("job_id", "appointment 55", None),
        ("job_id", "job 5 and job 6", None),
        ("job_id", "no idea", None),
        ("appointment_id", "appt 55", 55),
        ("appointment_id", "55", 55),
        ("customer_id", "customer 201", 201),
        ("reason", "waiting for parts", "waiting for parts"),
        ("reason", "because the customer moved", "the customer moved"),
        ("reason", "  *duplicate booking*  ", "duplicate booking"),
        ("reason", "the 2nd one", None),
        ("text", "gate code is 1234", "gate code is 1234"),
        ("summary", "no heat upstairs.", "no heat upstairs"),
        ("job_type", "drain cleaning", "drain cleaning"),
        ("status", "completed", "completed"),
        ("status", "on hold", "hold"),
        ("priority", "urgent", "Urgent"),
        ("kinds", "holds and cancellations", ["hold", "cancel"]),
        ("kinds", "both", ["hold", "cancel"]),
        ("kinds", "just cancels", ["cancel"]),
        ("kinds", "nothing", None),
        ("no_such_slot", "friday", None),
        ("when", "", None),
        ("technician", "   ", None),
    ],
)
def test_answers(slot: str, text: str, expected: object) -> None:
    assert parse_slot(slot, text, now=NOW, tz=TZ) == expected


def test_when_uses_the_given_clock_not_the_wall_clock() -> None:
    assert parse_slot("when", "tomorrow", now=datetime(2030, 2, 28, 12), tz=TZ) == {"date": "2030-03-01"}
