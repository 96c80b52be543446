"""Take a technician off an appointment: "unassign James from job 1008" (undo puts them back)."""

from __future__ import annotations

from bot.dialog.resolve import Ctx
from bot.dialog.state import Pending, Plan
from bot.dialog.writes.base import Undo, Write, technicians_change
from bot.servicetitan.operations import AssignTechnicians, UnassignTechnicians


def plan(p: Pending, ctx: Ctx) -> Plan:
    assert ctx.appointment and ctx.job and ctx.from_technician
    appt_id, job_id, tech = int(ctx.appointment["id"]), ctx.job["id"], ctx.from_technician
    ids = [int(tech["id"])]
    return technicians_change(
        ctx,
        UnassignTechnicians(appointment_id=appt_id, technician_ids=ids),
        title=f"Take {tech['name']} off job {job_id}?",
        verb="Unassign",
        done_text=f"Took {tech['name']} off job {job_id} (appointment {appt_id}).",
        without=tech,
        undo=Undo(
            AssignTechnicians(appointment_id=appt_id, technician_ids=ids),
            title=f"Undo: put {tech['name']} back on job {job_id}?",
            verb="Assign",
            done_text=f"Put {tech['name']} back on job {job_id}.",
        ),
    )


WRITE = Write(
    intent="unassign_technician",
    steps=("target", "assigned_technician"),
    correctable=("technician", "appointment_id", "job_id"),
    questions={"technician": ("Which technician should I take off?", "Mike C")},
    doing="unassigning a technician",
    done="unassigned",
    plan=plan,
    operations=(UnassignTechnicians, AssignTechnicians),
)
