"""Take an appointment off hold: "take appointment 5007 off hold" (no undo)."""

from __future__ import annotations

from bot.dialog.resolve import Ctx
from bot.dialog.state import Pending, Plan
from bot.dialog.writes.base import Card, Status, Write, status_change
from bot.servicetitan.operations import RemoveAppointmentHold

CARD = Card(
    "Take appointment {appointment} of job {job} off hold?",
    "Take off hold",
    "Appointment {appointment} of job {job} is off hold.",
)


def plan(p: Pending, ctx: Ctx) -> Plan:
    assert ctx.appointment and ctx.job
    off_hold = RemoveAppointmentHold(appointment_id=int(ctx.appointment["id"]))
    return status_change(ctx, off_hold, CARD, after="not on hold")


WRITE = Write(
    intent="remove_appointment_hold",
    steps=("target",),
    correctable=("appointment_id",),
    doing="taking an appointment off hold",
    done="taken off hold",
    plan=plan,
    operations=(RemoveAppointmentHold,),
    requires=Status("Hold", "on hold"),
)
