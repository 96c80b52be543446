"""Add a visit to a job: "add an appointment to job 1005 on monday at 1pm" (undo deletes the new visit,
once ServiceTitan has said its id)."""

from __future__ import annotations

from bot.dialog import timefmt
from bot.dialog.resolve import Ctx, Row
from bot.dialog.state import Guard, Pending, Plan
from bot.dialog.writes.base import Write, date_edit, job_facts
from bot.servicetitan.models import AppointmentCreate
from bot.servicetitan.operations import AddAppointment, DeleteAppointment


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


def undo_after(plan: Plan, created: Row, tz: str) -> Plan | None:
    """Delete the visit just added, while it is still at the times it was added at."""
    added = plan.operation
    if not isinstance(added, AddAppointment) or created.get("id") is None:
        return None
    appt_id, visit = int(created["id"]), added.appointment
    when = timefmt.span(visit.start, visit.end, tz)
    return Plan(
        operation=DeleteAppointment(appointment_id=appt_id),
        title=f"Undo: delete the new visit (appointment {appt_id}) of job {visit.job_id}?",
        verb="Delete it",
        done_text=f"Deleted the new visit (appointment {appt_id}) of job {visit.job_id}.",
        changes=[("New visit", when, "deleted")],
        guard=Guard(
            kind="appointment",
            id=appt_id,
            fields={"exists": True, "start": timefmt.iso(visit.start), "end": timefmt.iso(visit.end)},
            label=f"Job {visit.job_id}",
            tz=tz,
            always=True,
        ),
        conflict_text="a visit that has started, or has timesheets, can't be deleted",
    )


WRITE = Write(
    intent="add_appointment",
    steps=("job", "when", "technician?", "conflicts"),
    correctable=("when", "technician"),
    questions={"when": ("When should the new visit be?", "Friday 2pm")},
    doing="adding a visit",
    done="given a new visit",
    say="Add a visit to {target}{on_when}",
    plan=plan,
    operations=(AddAppointment, DeleteAppointment),
    no_undo="ServiceTitan didn't say the new visit's number; delete it by hand if needed",
    undo_after=undo_after,
)
