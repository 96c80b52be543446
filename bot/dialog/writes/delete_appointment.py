"""Delete one of a job's appointments: "delete appointment 5003" (no undo; never a job's only one)."""

from __future__ import annotations

from bot.dialog import timefmt
from bot.dialog.resolve import Ctx, times_of
from bot.dialog.state import Pending, Plan
from bot.dialog.writes.base import Write, appt_facts, times_guard
from bot.servicetitan.operations import DeleteAppointment


def plan(p: Pending, ctx: Ctx) -> Plan:
    assert ctx.appointment and ctx.job
    t = times_of(ctx.appointment)
    appt_id = int(ctx.appointment["id"])
    return Plan(
        operation=DeleteAppointment(appointment_id=appt_id),
        title=f"Delete appointment {appt_id} of job {ctx.job['id']}?",
        verb="Delete",
        done_text=f"Deleted appointment {appt_id} of job {ctx.job['id']}.",
        facts=appt_facts(ctx),
        changes=[("Appointment", timefmt.span(t.start, t.end, ctx.tz), "deleted")],
        guard=times_guard(ctx, t),
        # The only-appointment case is caught before the card (the "deletable" step); what's left are
        # timesheets (no read of them in our APIs) and a visit that has started. ServiceTitan's words say neither.
        conflict_text="an appointment with timesheets, or one that has started, can't be deleted",
    )


WRITE = Write(
    intent="delete_appointment",
    steps=("target", "deletable"),
    correctable=("appointment_id", "job_id"),
    doing="deleting an appointment",
    done="deleted",
    say="Delete {visit}",
    plan=plan,
    operations=(DeleteAppointment,),
    no_undo="a deleted appointment can't be brought back; add a new visit instead",
    not_while_working=True,
)
