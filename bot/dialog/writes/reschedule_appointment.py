"""Reschedule an appointment: "move job 1009 to friday 2pm" (undo moves it back)."""

from __future__ import annotations

from bot.dialog import rules, timefmt
from bot.dialog.resolve import Ctx, times_of
from bot.dialog.state import Pending, Plan
from bot.dialog.writes.base import Write, appt_facts, date_edit, times_guard, window_text
from bot.servicetitan.operations import RescheduleAppointment


def _move(appointment_id: int, t: rules.Times) -> RescheduleAppointment:
    return RescheduleAppointment(
        appointment_id=appointment_id,
        start=t.start,
        end=t.end,
        arrival_window_start=t.window_start,
        arrival_window_end=t.window_end,
    )


def plan(p: Pending, ctx: Ctx) -> Plan:
    assert ctx.appointment and ctx.times and ctx.job
    old, new = times_of(ctx.appointment), ctx.times
    appt_id = int(ctx.appointment["id"])
    changes = [("When", timefmt.span(old.start, old.end, ctx.tz), timefmt.span(new.start, new.end, ctx.tz))]
    if window_text(old, ctx.tz) != window_text(new, ctx.tz):
        changes.append(("Arrival window", window_text(old, ctx.tz), window_text(new, ctx.tz)))
    undo = Plan(
        operation=_move(appt_id, old),
        title=f"Undo: move job {ctx.job['id']} back?",
        verb="Move it back",
        done_text=f"Moved job {ctx.job['id']} back to {timefmt.span(old.start, old.end, ctx.tz)}.",
        changes=[(label, after, before) for label, before, after in changes],
        guard=times_guard(ctx, new, always=True),
    )
    return Plan(
        operation=_move(appt_id, new),
        title=f"Reschedule job {ctx.job['id']}?",
        verb="Reschedule",
        done_text=f"Rescheduled job {ctx.job['id']} to {timefmt.span(new.start, new.end, ctx.tz)}.",
        facts=appt_facts(ctx),
        changes=changes,
        warnings=ctx.warnings,
        date_edit=date_edit(new, ctx.tz),
        undo=undo,
        guard=times_guard(ctx, old),
    )


WRITE = Write(
    intent="reschedule_appointment",
    steps=("target", "when", "conflicts"),
    correctable=("when", "appointment_id", "job_id"),
    questions={"when": ("When should it move to?", "Friday 2pm, or Thursday morning")},
    doing="rescheduling",
    done="rescheduled",
    plan=plan,
    operations=(RescheduleAppointment,),
    not_while_working=True,
)
