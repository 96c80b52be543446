"""The facts of the card that undoes a change: the same job as the change leaves it."""

from __future__ import annotations

import re

from bot.dialog.state import Plan

KEEP = ("Job", "Customer", "Address", "Appointment", "Technicians")


def undo_facts(plan: Plan) -> list[tuple[str, str]]:
    """The facts of the card that undoes `plan`: the same job, with the technicians as `plan` leaves them
    and, when the plan moved the job's own status (no appointment on the card), the job in that status: the
    undo of a hold shows the job "(Hold)", not the "(Scheduled)" it was before."""
    after = {label: new for label, _, new in plan.changes}
    facts = [(label, value) for label, value in plan.facts if label in KEEP]
    job_status = after.get("Status") if not any(label == "Appointment" for label, _ in facts) else None
    out = []
    for label, value in facts:
        if label == "Technicians":
            value = after.get(label, value)
        elif label == "Job" and job_status:
            value = re.sub(r"\s*\([^()]*\)$", "", value) + f" ({job_status})"
        out.append((label, value))
    return out
