"""The customer confirmed a visit: "customer confirmed appt 5016" (PUT /appointments/{id}/confirmation;
undo takes the confirmation off again)."""

from __future__ import annotations

from bot.dialog.outcomes import Settled
from bot.dialog.resolve import Ctx, Row
from bot.dialog.state import Pending, Plan
from bot.dialog.writes.base import Card, Undo, Write, appt_facts, appt_guard, card_plan, with_undo
from bot.servicetitan.operations import ConfirmAppointment, RemoveAppointmentConfirmation


def _already(appt: Row) -> str | None:
    return (
        Settled(f"Appointment {appt.get('id')} is already confirmed.") if appt.get("is_confirmed") else None
    )


CARD = Card(
    "Mark appointment {appointment} of job {job} as confirmed by the customer?",
    "Mark confirmed",
    "Appointment {appointment} of job {job} is confirmed by the customer.",
)
UNDO = Card(
    "Undo: take the confirmation of appointment {appointment} off?",
    "Remove confirmation",
    "Appointment {appointment} of job {job} is no longer marked confirmed.",
)


def plan(p: Pending, ctx: Ctx) -> Plan:
    assert ctx.appointment and ctx.job
    appt_id, status = int(ctx.appointment["id"]), ctx.appointment.get("status")
    plan = card_plan(
        ctx, ConfirmAppointment(appointment_id=appt_id), CARD, [("Confirmed by the customer", "no", "yes")]
    )
    plan.facts, plan.guard = appt_facts(ctx), appt_guard(ctx, status=status)
    undo = Undo(RemoveAppointmentConfirmation(appointment_id=appt_id), UNDO)
    return with_undo(plan, ctx, undo, appt_guard(ctx, always=True, status=status))


WRITE = Write(
    intent="confirm_appointment",
    steps=("target",),
    correctable=("appointment_id",),
    doing="marking a visit confirmed",
    done="confirmed",
    say="Mark {visit} confirmed",
    plan=plan,
    operations=(ConfirmAppointment, RemoveAppointmentConfirmation),
    appointment_check=_already,
)
