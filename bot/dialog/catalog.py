"""The dialog's tables: which intents write, the steps (slots) each write needs in order, the questions.

Data only. `bot.dialog.engine` walks `WRITE_STEPS[intent]` and asks `QUESTIONS[slot]` for the first slot
that is missing, with an example answer.
"""

from __future__ import annotations

from bot.dialog.messages import Role

# Each step names what must be settled before the confirmation, in the order it is asked.
#   target: an appointment (from appointment_id, or job_id and a choice among its appointments)
#   job: a job (from job_id, or from an appointment_id)
#   when / technician / reason / text / customer / location / job_type: slots checked against ServiceTitan
#   "?" marks a step done only when the user gave that slot.
WRITE_STEPS: dict[str, tuple[str, ...]] = {
    "reschedule_appointment": ("target", "when", "conflicts"),
    "book_job": (
        "customer",
        "location",
        "job_type",
        "when",
        "technician?",
        "business_unit",
        "campaign",
        "conflicts",
    ),
    "add_appointment": ("job", "when", "technician?", "conflicts"),
    "delete_appointment": ("target",),
    "hold_appointment": ("target", "hold_reason"),
    "remove_appointment_hold": ("target",),
    "cancel_job": ("job", "cancel_reason"),
    "remove_cancellation": ("job",),
    "hold_job": ("job", "hold_reason"),
    "assign_technician": ("target", "technician", "conflicts"),
    "unassign_technician": ("target", "assigned_technician"),
    "update_job": ("job", "job_changes"),
    "special_instructions": ("target", "text"),
    "add_note": ("job", "text"),
}
WRITE_INTENTS = frozenset(WRITE_STEPS)
READ_INTENTS = frozenset({"show_job", "list_notes", "find_jobs", "list_appointments", "find_projects"})

# Slots each intent accepts from the parser (anything else in a parse result is ignored).
INTENT_SLOTS: dict[str, frozenset[str]] = {
    "reschedule_appointment": frozenset({"job_id", "appointment_id", "when"}),
    "book_job": frozenset(
        {
            "customer_id",
            "location_id",
            "job_type",
            "when",
            "technician",
            "summary",
            "priority",
            "business_unit",
        }
    ),
    "add_appointment": frozenset({"job_id", "when", "technician"}),
    "delete_appointment": frozenset({"appointment_id", "job_id"}),
    "hold_appointment": frozenset({"appointment_id", "job_id", "reason"}),
    "remove_appointment_hold": frozenset({"appointment_id", "job_id"}),
    "cancel_job": frozenset({"job_id", "reason"}),
    "remove_cancellation": frozenset({"job_id"}),
    "hold_job": frozenset({"job_id", "reason"}),
    "assign_technician": frozenset({"technician", "job_id", "appointment_id"}),
    "unassign_technician": frozenset({"technician", "job_id", "appointment_id"}),
    "update_job": frozenset({"job_id", "summary", "customer_id", "job_type", "priority"}),
    "special_instructions": frozenset({"appointment_id", "job_id", "text"}),
    "add_note": frozenset({"job_id", "text"}),
}

# Slots a correction may change at the confirmation, tried in this order (free text last).
CORRECTABLE: dict[str, tuple[str, ...]] = {
    "reschedule_appointment": ("when", "appointment_id", "job_id"),
    "book_job": ("when", "technician", "priority", "job_type"),
    "add_appointment": ("when", "technician"),
    "delete_appointment": ("appointment_id", "job_id"),
    "hold_appointment": ("appointment_id", "reason"),
    "remove_appointment_hold": ("appointment_id",),
    "cancel_job": ("job_id", "reason"),
    "remove_cancellation": ("job_id",),
    "hold_job": ("job_id", "reason"),
    "assign_technician": ("technician", "appointment_id", "job_id"),
    "unassign_technician": ("technician", "appointment_id", "job_id"),
    "update_job": ("priority", "summary"),
    "special_instructions": ("text",),
    "add_note": ("text",),
}

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
    ("cancel_job", "reason"): ("Why is it being canceled?", "customer canceled"),
    ("hold_job", "reason"): ("Why is it going on hold?", "waiting for parts"),
    ("hold_appointment", "reason"): ("Why is it going on hold?", "waiting for parts"),
    ("add_note", "text"): ("What should the note say?", "Customer prefers mornings"),
    ("special_instructions", "text"): ("What are the special instructions?", "Gate code 4411"),
    ("reschedule_appointment", "when"): ("When should it move to?", "Friday 2pm, or Thursday morning"),
    ("add_appointment", "when"): ("When should the new visit be?", "Friday 2pm"),
    ("book_job", "when"): ("When should the visit be?", "tomorrow between 8 and 10"),
    ("assign_technician", "technician"): ("Which technician should I assign?", "Mike C"),
    ("unassign_technician", "technician"): ("Which technician should I take off?", "Mike C"),
}

# What each intent is, for "you're in the middle of ..." and refusals.
DOING: dict[str, str] = {
    "reschedule_appointment": "rescheduling",
    "book_job": "booking a job",
    "add_appointment": "adding a visit",
    "delete_appointment": "deleting an appointment",
    "hold_appointment": "putting an appointment on hold",
    "remove_appointment_hold": "taking an appointment off hold",
    "cancel_job": "canceling a job",
    "remove_cancellation": "un-canceling a job",
    "hold_job": "putting a job on hold",
    "assign_technician": "assigning a technician",
    "unassign_technician": "unassigning a technician",
    "update_job": "updating a job",
    "special_instructions": "setting special instructions",
    "add_note": "adding a note",
    "undo": "undoing a change",
}
# "… so it can't be <done>"
DONE_WORD: dict[str, str] = {
    "reschedule_appointment": "rescheduled",
    "add_appointment": "given a new visit",
    "delete_appointment": "deleted",
    "hold_appointment": "put on hold",
    "remove_appointment_hold": "taken off hold",
    "cancel_job": "canceled",
    "remove_cancellation": "un-canceled",
    "hold_job": "put on hold",
    "assign_technician": "assigned",
    "unassign_technician": "unassigned",
    "update_job": "updated",
    "special_instructions": "changed",
    "add_note": "noted",
}

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
