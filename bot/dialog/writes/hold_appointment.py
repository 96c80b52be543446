"""Put an appointment on hold: "put appointment 5002 on hold, waiting for parts" (undo takes it off hold)."""

from __future__ import annotations

from bot.dialog.resolve import Ctx
from bot.dialog.state import Pending, Plan
from bot.dialog.writes.base import Status, Write, appt_facts, appt_guard, memo, reason_fact
from bot.servicetitan.operations import HoldAppointment, RemoveAppointmentHold


def plan(p: Pending, ctx: Ctx) -> Plan:
    assert ctx.appointment and ctx.job and ctx.reason
    appt_id, words, status = int(ctx.appointment["id"]), memo(p), str(ctx.appointment.get("status"))
    return Plan(
        operation=HoldAppointment(appointment_id=appt_id, reason_id=int(ctx.reason["id"]), memo=words),
        title=f"Put appointment {appt_id} of job {ctx.job['id']} on hold?",
        verb="Put on hold",
        done_text=f"Appointment {appt_id} of job {ctx.job['id']} is on hold ({ctx.reason['name']}).",
        facts=[*appt_facts(ctx), reason_fact(ctx, words)],
        changes=[("Status", status, "Hold")],
        undo=Plan(
            operation=RemoveAppointmentHold(appointment_id=appt_id),
            title=f"Undo: take appointment {appt_id} off hold?",
            verb="Take off hold",
            done_text=f"Appointment {appt_id} is off hold again.",
            changes=[("Status", "Hold", status)],
            guard=appt_guard(ctx, always=True, status="Hold"),
        ),
        guard=appt_guard(ctx, status=ctx.appointment.get("status")),
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
