"""Add a technician to an appointment: "assign Mike to job 1012" (undo takes them off again)."""

from __future__ import annotations

from bot.dialog.resolve import Ctx
from bot.dialog.state import Pending, Plan
from bot.dialog.writes.base import Card, Undo, Write, technicians_change
from bot.servicetitan.operations import AssignTechnicians, UnassignTechnicians

CARD = Card(
    "Assign {new} to job {job}?", "Assign", "Assigned {new} to job {job} (appointment {appointment})."
)
UNDO = Card("Undo: take {new} off job {job}?", "Unassign", "Took {new} off job {job} again.")


def plan(p: Pending, ctx: Ctx) -> Plan:
    assert ctx.appointment and ctx.job and ctx.technician
    people = {"appointment_id": int(ctx.appointment["id"]), "technician_ids": [int(ctx.technician["id"])]}
    undo = Undo(UnassignTechnicians.model_validate(people), UNDO)
    return technicians_change(
        ctx, AssignTechnicians.model_validate(people), CARD, adding=ctx.technician, undo=undo
    )


WRITE = Write(
    intent="assign_technician",
    steps=("target", "technician", "conflicts"),
    correctable=("technician", "appointment_id", "job_id"),
    questions={"technician": ("Which technician should I assign?", "Mike C")},
    doing="assigning a technician",
    done="assigned",
    say="Assign {technician} to {target}",
    plan=plan,
    operations=(AssignTechnicians, UnassignTechnicians),
)
