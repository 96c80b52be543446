"""The customer confirmed a visit: "customer confirmed appt 5016" (PUT /appointments/{id}/confirmation;
undo takes the confirmation off again)."""

from __future__ import annotations

from bot.dialog.resolve import Ctx, Row, Settled
from bot.dialog.state import Pending, Plan
from bot.dialog.writes.base import Write, appt_facts, appt_guard
from bot.servicetitan.operations import ConfirmAppointment, RemoveAppointmentConfirmation


def _already(appt: Row) -> str | None:
    return (
        Settled(f"Appointment {appt.get('id')} is already confirmed.") if appt.get("is_confirmed") else None
    )


def plan(p: Pending, ctx: Ctx) -> Plan:
    assert ctx.appointment and ctx.job
    appt_id, job_id, status = int(ctx.appointment["id"]), ctx.job["id"], ctx.appointment.get("status")
    changes = [("Confirmed by the customer", "no", "yes")]
    undo = Plan(
        operation=RemoveAppointmentConfirmation(appointment_id=appt_id),
        title=f"Undo: take the confirmation of appointment {appt_id} off?",
        verb="Remove confirmation",
        done_text=f"Appointment {appt_id} of job {job_id} is no longer marked confirmed.",
        changes=[(label, after, before) for label, before, after in changes],
        guard=appt_guard(ctx, always=True, status=status),
    )
    return Plan(
        operation=ConfirmAppointment(appointment_id=appt_id),
        title=f"Mark appointment {appt_id} of job {job_id} as confirmed by the customer?",
        verb="Mark confirmed",
        done_text=f"Appointment {appt_id} of job {job_id} is confirmed by the customer.",
        facts=appt_facts(ctx),
        changes=changes,
        undo=undo,
        guard=appt_guard(ctx, status=status),
    )


WRITE = Write(
    intent="confirm_appointment",
    steps=("target",),
    correctable=("appointment_id",),
    doing="marking a visit confirmed",
    done="confirmed",
    plan=plan,
    operations=(ConfirmAppointment, RemoveAppointmentConfirmation),
    appointment_check=_already,
)
