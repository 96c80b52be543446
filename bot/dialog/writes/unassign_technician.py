"""Take a technician off an appointment: "unassign James from job 1008" (undo puts them back)."""

from __future__ import annotations

from bot.dialog.resolve import Ctx
from bot.dialog.state import Pending, Plan
from bot.dialog.writes.base import Card, Undo, Write, technicians_change
from bot.servicetitan.operations import AssignTechnicians, UnassignTechnicians

CARD = Card("Take {old} off job {job}?", "Unassign", "Took {old} off job {job} (appointment {appointment}).")
UNDO = Card("Undo: put {old} back on job {job}?", "Assign", "Put {old} back on job {job}.")


def plan(p: Pending, ctx: Ctx) -> Plan:
    assert ctx.appointment and ctx.job and ctx.from_technician
    people = {
        "appointment_id": int(ctx.appointment["id"]),
        "technician_ids": [int(ctx.from_technician["id"])],
    }
    undo = Undo(AssignTechnicians.model_validate(people), UNDO)
    unassign = UnassignTechnicians.model_validate(people)
    return technicians_change(ctx, unassign, CARD, without=ctx.from_technician, undo=undo)


WRITE = Write(
    intent="unassign_technician",
    steps=("target", "assigned_technician"),
    correctable=("technician", "appointment_id", "job_id"),
    questions={"technician": ("Which technician should I take off?", "Mike C")},
    doing="unassigning a technician",
    done="unassigned",
    say="Take {technician} off {target}",
    plan=plan,
    operations=(UnassignTechnicians, AssignTechnicians),
)
