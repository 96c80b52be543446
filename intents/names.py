"""The intent names of CONTRACT section 2 (the public vocabulary of the parser)."""

from __future__ import annotations

INTENTS: tuple[str, ...] = (
    "reschedule_appointment",
    "book_job",
    "add_appointment",
    "delete_appointment",
    "hold_appointment",
    "remove_appointment_hold",
    "cancel_job",
    "remove_cancellation",
    "hold_job",
    "assign_technician",
    "unassign_technician",
    "reassign_technician",
    "complete_job",
    "confirm_appointment",
    "running_late",
    "update_job",
    "special_instructions",
    "add_note",
    "list_notes",
    "show_job",
    "find_jobs",
    "list_appointments",
    "find_projects",
    "subscribe_alerts",
    "unsubscribe_alerts",
    "help",
    "cancel_dialog",
    "unknown",
)

# Intents with no slots, whose sentences need no fixture slots.
SLOTLESS: frozenset[str] = frozenset({"help", "cancel_dialog", "unknown"})
