"""Put an appointment on hold: "put appointment 5002 on hold, waiting for parts" (undo takes it off hold)."""

from __future__ import annotations

from bot.dialog.resolve import Ctx
from bot.dialog.state import Pending, Plan
from bot.dialog.writes.base import Status, Undo, Write, memo, status_change
from bot.servicetitan.operations import HoldAppointment, RemoveAppointmentHold


def plan(p: Pending, ctx: Ctx) -> Plan:
    assert ctx.appointment and ctx.job and ctx.reason
    appt_id, job_id = int(ctx.appointment["id"]), ctx.job["id"]
    return status_change(
        ctx,
        HoldAppointment(appointment_id=appt_id, reason_id=int(ctx.reason["id"]), memo=memo(p)),
        title=f"Put appointment {appt_id} of job {job_id} on hold?",
        verb="Put on hold",
        done_text=f"Appointment {appt_id} of job {job_id} is on hold ({ctx.reason['name']}).",
        after="Hold",
        reason=memo(p),
        undo=Undo(
            RemoveAppointmentHold(appointment_id=appt_id),
            title=f"Undo: take appointment {appt_id} off hold?",
            verb="Take off hold",
            done_text=f"Appointment {appt_id} is off hold again.",
        ),
    )


WRITE = Write(
    intent="hold_appointment",
    steps=("target", "hold_reason"),
    correctable=("appointment_id", "reason"),
    questions={"reason": ("Why is it going on hold?", "waiting for parts")},
    doing="putting an appointment on hold",
    done="put on hold",
    plan=plan,
    operations=(HoldAppointment, RemoveAppointmentHold),
    leaves=Status("Hold", "on hold"),
)
