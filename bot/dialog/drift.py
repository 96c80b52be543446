"""What changed in ServiceTitan since a card was made, said as a sentence ("Job 1012 has been moved to …"):
the runner's answer when a write's guard no longer holds, so nothing of someone else's is overwritten."""

from __future__ import annotations

from typing import Any

from bot.dialog import timefmt
from bot.dialog.state import Guard

Row = dict[str, Any]

_JOB_FIELD_LABELS = {
    "job_status": "status",
    "priority": "priority",
    "summary": "summary",
    "customer_id": "customer",
    "job_type_id": "job type",
}


def drift_text(guard: Guard, now: Row) -> str:
    """What changed in ServiceTitan since a card was made, as a sentence: "Job 1012 has been moved to …"."""
    if now.get("exists") is False:
        what = f"Appointment {guard.id}" if guard.kind == "appointment" else guard.label
        return f"{what} has been deleted"
    want = guard.fields
    if guard.kind == "assignments":
        names = ", ".join(now.get("technician_names") or []) or "nobody"
        return f"The technicians on {guard.label.lower()} are now {names}"
    if guard.kind == "appointment":
        if (now.get("start"), now.get("end")) != (want.get("start"), want.get("end")) and "start" in want:
            start, end = timefmt.parse_iso(str(now["start"])), timefmt.parse_iso(str(now["end"]))
            return f"{guard.label} has been moved to {timefmt.span(start, end, guard.tz)}"
        if "status" in want and now.get("status") != want["status"]:
            return f"Appointment {guard.id} of {guard.label.lower()} is now {now.get('status')}"
        if "special_instructions" in want:
            text = now.get("special_instructions") or "empty"
            return f"The special instructions of appointment {guard.id} now read “{text}”"
        return f"Appointment {guard.id} of {guard.label.lower()} has changed"
    changed = [k for k in want if k != "exists" and now.get(k) != want[k]]
    parts = [f"{_JOB_FIELD_LABELS.get(k, k)} has changed to {now.get(k) or 'nothing'}" for k in changed]
    return f"{guard.label}'s " + (", and its ".join(parts) or "details have changed")
