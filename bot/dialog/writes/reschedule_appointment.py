"""Reschedule an appointment: "move job 1009 to friday 2pm" (undo moves it back)."""

from __future__ import annotations

from bot.dialog import rules, timefmt
from bot.dialog.resolve import Ctx, times_of
from bot.dialog.state import Pending, Plan
from bot.dialog.writes.base import (
    Card,
    Undo,
    Write,
    appt_facts,
    card_plan,
    date_edit,
    times_guard,
    window_text,
    with_undo,
)
from bot.servicetitan.operations import RescheduleAppointment


def _move(appointment_id: int, t: rules.Times) -> RescheduleAppointment:
    return RescheduleAppointment(
        appointment_id=appointment_id,
        start=t.start,
        end=t.end,
        arrival_window_start=t.window_start,
        arrival_window_end=t.window_end,
    )


CARD = Card("Reschedule job {job}?", "Reschedule", "Rescheduled job {job} to {new}.")
UNDO = Card("Undo: move job {job} back?", "Move it back", "Moved job {job} back to {old}.")


def plan(p: Pending, ctx: Ctx) -> Plan:
    assert ctx.appointment and ctx.times and ctx.job
    old, new = times_of(ctx.appointment), ctx.times
    appt_id = int(ctx.appointment["id"])
    spans = {"old": timefmt.span(old.start, old.end, ctx.tz), "new": timefmt.span(new.start, new.end, ctx.tz)}
    changes = [("When", spans["old"], spans["new"])]
    if window_text(old, ctx.tz) != window_text(new, ctx.tz):
        changes.append(("Arrival window", window_text(old, ctx.tz), window_text(new, ctx.tz)))
    plan = card_plan(ctx, _move(appt_id, new), CARD, changes, **spans)
    plan.facts, plan.warnings, plan.guard = appt_facts(ctx), ctx.warnings, times_guard(ctx, old)
    plan.date_edit = date_edit(new, ctx.tz)
    return with_undo(plan, ctx, Undo(_move(appt_id, old), UNDO), times_guard(ctx, new, always=True), **spans)


WRITE = Write(
    intent="reschedule_appointment",
    steps=("target", "when", "conflicts"),
    correctable=("when", "appointment_id", "job_id"),
    questions={"when": ("When should it move to?", "Friday 2pm, or Thursday morning")},
    doing="rescheduling",
    done="rescheduled",
    say="Reschedule {target}{to_when}",
    plan=plan,
    operations=(RescheduleAppointment,),
    not_while_working=True,
)
