"""Take an appointment off hold: "take appointment 5007 off hold" (no undo)."""

from __future__ import annotations

from bot.dialog.resolve import Ctx
from bot.dialog.state import Pending, Plan
from bot.dialog.writes.base import Status, Write, status_change
from bot.servicetitan.operations import RemoveAppointmentHold


def plan(p: Pending, ctx: Ctx) -> Plan:
    assert ctx.appointment and ctx.job
    appt_id, job_id = int(ctx.appointment["id"]), ctx.job["id"]
    return status_change(
        ctx,
        RemoveAppointmentHold(appointment_id=appt_id),
        title=f"Take appointment {appt_id} of job {job_id} off hold?",
        verb="Take off hold",
        done_text=f"Appointment {appt_id} of job {job_id} is off hold.",
        after="not on hold",
    )


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
