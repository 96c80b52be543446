"""Put an appointment on hold: "put appointment 5002 on hold, waiting for parts" (undo takes it off hold)."""

from __future__ import annotations

from bot.dialog.resolve import Ctx
from bot.dialog.state import Pending, Plan
from bot.dialog.writes.base import Card, Status, Undo, Write, memo, status_change
from bot.servicetitan.operations import HoldAppointment, RemoveAppointmentHold

CARD = Card(
    "Put appointment {appointment} of job {job} on hold?",
    "Put on hold",
    "Appointment {appointment} of job {job} is on hold ({reason}).",
)
UNDO = Card(
    "Undo: take appointment {appointment} off hold?",
    "Take off hold",
    "Appointment {appointment} is off hold again.",
)


def plan(p: Pending, ctx: Ctx) -> Plan:
    assert ctx.appointment and ctx.job and ctx.reason
    appt_id = int(ctx.appointment["id"])
    hold = HoldAppointment(appointment_id=appt_id, reason_id=int(ctx.reason["id"]), memo=memo(p))
    undo = Undo(RemoveAppointmentHold(appointment_id=appt_id), UNDO)
    return status_change(ctx, hold, CARD, after="Hold", reason=memo(p), undo=undo)


WRITE = Write(
    intent="hold_appointment",
    steps=("target", "hold_reason"),
    correctable=("appointment_id", "reason"),
    questions={"reason": ("Why is it going on hold?", "waiting for parts")},
    doing="putting an appointment on hold",
    done="put on hold",
    say="Put {visit} on hold",
    plan=plan,
    operations=(HoldAppointment, RemoveAppointmentHold),
    leaves=Status("Hold", "on hold"),
)
