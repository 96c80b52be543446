"""Add a technician to an appointment: "assign Mike to job 1012" (undo takes them off again)."""

from __future__ import annotations

from bot.dialog.resolve import Ctx
from bot.dialog.state import Pending, Plan
from bot.dialog.writes.base import Undo, Write, technicians_change
from bot.servicetitan.operations import AssignTechnicians, UnassignTechnicians


def plan(p: Pending, ctx: Ctx) -> Plan:
    assert ctx.appointment and ctx.job and ctx.technician
    appt_id, job_id, tech = int(ctx.appointment["id"]), ctx.job["id"], ctx.technician
    ids = [int(tech["id"])]
    return technicians_change(
        ctx,
        AssignTechnicians(appointment_id=appt_id, technician_ids=ids),
        title=f"Assign {tech['name']} to job {job_id}?",
        verb="Assign",
        done_text=f"Assigned {tech['name']} to job {job_id} (appointment {appt_id}).",
        adding=tech,
        undo=Undo(
            UnassignTechnicians(appointment_id=appt_id, technician_ids=ids),
            title=f"Undo: take {tech['name']} off job {job_id}?",
            verb="Unassign",
            done_text=f"Took {tech['name']} off job {job_id} again.",
        ),
    )


WRITE = Write(
    intent="assign_technician",
    steps=("target", "technician", "conflicts"),
    correctable=("technician", "appointment_id", "job_id"),
    questions={"technician": ("Which technician should I assign?", "Mike C")},
    doing="assigning a technician",
    done="assigned",
    plan=plan,
    operations=(AssignTechnicians, UnassignTechnicians),
)
