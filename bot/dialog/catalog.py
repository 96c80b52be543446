"""The dialog's tables: which intents write and read, the questions, roles and help.

Data only. What a write intent needs is declared in its module (bot/dialog/writes/<intent>.py); the tables
of writes here (WRITE_STEPS, INTENT_SLOTS, CORRECTABLE, INTENT_QUESTIONS, DOING, DONE_WORD) are views of
those declarations. `bot.dialog.engine` asks `QUESTIONS[slot]` (or the intent's own wording) for the first
slot that is missing, with an example answer.
"""

from __future__ import annotations

from bot.dialog.messages import Role
from bot.dialog.writes import WRITES, accepted_slots

__all__ = ["WRITES"]  # re-exported: the declarations themselves

# The write intents are declared one module each (bot/dialog/writes/<intent>.py); these are views of them,
# derived here so the engine reads them by the names it always has.
WRITE_STEPS: dict[str, tuple[str, ...]] = {name: w.steps for name, w in WRITES.items()}
WRITE_INTENTS = frozenset(WRITES)
READ_INTENTS = frozenset({"show_job", "list_notes", "find_jobs", "list_appointments", "find_projects"})

# Slots each intent accepts from the parser (anything else in a parse result is ignored): its sentences file's.
INTENT_SLOTS: dict[str, frozenset[str]] = {name: accepted_slots(name) for name in WRITES}

# Slots a correction may change at the confirmation, tried in this order (free text last).
CORRECTABLE: dict[str, tuple[str, ...]] = {name: w.correctable for name, w in WRITES.items()}

# An answer read as part of a whole request, so several slots in one answer fill several slots:
# "drain cleaning friday with Mike" to "What type of job?" is read as "book a drain cleaning friday with Mike".
ANSWER_CONTEXT: dict[tuple[str, str], str] = {
    ("book_job", "job_type"): "book a {answer}",
}

FREE_TEXT_SLOTS = frozenset({"text", "reason", "summary", "job_type", "business_unit"})

# Changing one slot invalidates what was picked from it.
DEPENDENTS: dict[str, tuple[str, ...]] = {
    "job_id": ("appointment_id",),
    "technician": ("technician_id",),
    "from_technician": ("from_technician_id",),
    "reason": ("reason_id",),
    "job_type": ("job_type_id",),
    "customer_id": ("location_id",),
    "business_unit": ("business_unit_id",),
}

# slot -> (question, example answer)
QUESTIONS: dict[str, tuple[str, str]] = {
    "job_id": ("Which job?", "1001"),
    "appointment_id": ("Which appointment?", "appointment 5001"),
    "when": ("When should it be?", "Friday 2pm, or 12/3 between 8 and 10"),
    "technician": ("Which technician?", "Mike C"),
    "reason": ("What's the reason?", "waiting for parts"),
    "text": ("What should it say?", "Gate code 4411, call on arrival"),
    "customer_id": ("Which customer (number or name)?", "201, or Ann Lee"),
    "location_id": ("Which location (location id)?", "301"),
    "job_type": ("What type of job?", "drain cleaning"),
    "job_changes": ("What should change?", "priority high, or summary replace the water heater"),
}
INTENT_QUESTIONS: dict[tuple[str, str], tuple[str, str]] = {
    (name, slot): question for name, w in WRITES.items() for slot, question in w.questions.items()
}

# What each intent is, for "you're in the middle of ..." and refusals.
DOING: dict[str, str] = {**{name: w.doing for name, w in WRITES.items()}, "undo": "undoing a change"}
# "… so it can't be <done>"
DONE_WORD: dict[str, str] = {name: w.done for name, w in WRITES.items()}

WRITER_ROLES: frozenset[Role] = frozenset({"dispatcher", "manager"})
READER_ROLES: frozenset[Role] = frozenset({"dispatcher", "manager", "technician"})

HELP_EXAMPLES: dict[str, tuple[str, ...]] = {
    "dispatcher": (
        "reschedule job 1001 to Friday 2pm",
        "assign Mike C to job 1002",
        "put job 1003 on hold waiting for parts",
        "cancel job 1004, customer canceled",
        "book a drain cleaning for customer 201 tomorrow morning",
        "add a note to job 1001: gate code 4411",
        "show job 1001",
        "what's on Mike's schedule this week",
    ),
    "technician": (
        "my appointments today",
        "my appointments this week",
        "show job 1001",
        "notes on job 1001",
    ),
    "guest": ("help",),
}
HELP_EXAMPLES["manager"] = HELP_EXAMPLES["dispatcher"] + ("find canceled jobs last week",)

PAGE_SIZE = 8
UNDO_MINUTES = 10
