"""Add a visit to a job: "add an appointment to job 1005 on monday at 1pm" (no undo)."""

from __future__ import annotations

from bot.dialog import timefmt
from bot.dialog.resolve import Ctx
from bot.dialog.state import Pending, Plan
from bot.dialog.writes.base import Write, date_edit, job_facts
from bot.servicetitan.models import AppointmentCreate
from bot.servicetitan.operations import AddAppointment


def plan(p: Pending, ctx: Ctx) -> Plan:
    assert ctx.job and ctx.times
    t, tech = ctx.times, ctx.technician
    visit = AppointmentCreate(
        job_id=int(ctx.job["id"]),
        start=t.start,
        end=t.end,
        arrival_window_start=t.window_start,
        arrival_window_end=t.window_end,
        technician_ids=[int(tech["id"])] if tech else None,
    )
    changes = [("New visit", "—", timefmt.span(t.start, t.end, ctx.tz))]
    if tech:
        changes.append(("Technician", "—", str(tech["name"])))
    return Plan(
        operation=AddAppointment(appointment=visit),
        title=f"Add a visit to job {ctx.job['id']}?",
        verb="Add visit",
        done_text=f"Added a visit to job {ctx.job['id']} on {timefmt.span(t.start, t.end, ctx.tz)}.",
        facts=[*job_facts(ctx), ("Visits so far", str(len(ctx.appointments)))],
        changes=changes,
        warnings=ctx.warnings,
        date_edit=date_edit(t, ctx.tz),
    )


WRITE = Write(
    intent="add_appointment",
    steps=("job", "when", "technician?", "conflicts"),
    correctable=("when", "technician"),
    questions={"when": ("When should the new visit be?", "Friday 2pm")},
    doing="adding a visit",
    done="given a new visit",
    plan=plan,
    operations=(AddAppointment,),
    no_undo="to take the new visit off again, delete that appointment (e.g. *delete appointment N*)",
)
