"""Give an appointment to another technician: "give Mike's job 1012 to Sarah", "swap Ana for Luis on appt
5016". One card (Mike → Sarah) and one undo; the conflicts are checked for the one taking it over. The old
technician comes off before the new one goes on, so nobody new joins while the old one stays."""

from __future__ import annotations

from bot.dialog.resolve import Ctx
from bot.dialog.state import Pending, Plan
from bot.dialog.writes.base import Card, Undo, Write, technicians_change
from bot.servicetitan.operations import ReplaceTechnicians

CARD = Card(
    "Give job {job} to {new} instead of {old}?",
    "Reassign",
    "Gave job {job} (appointment {appointment}) to {new} instead of {old}.",
)
UNDO = Card("Undo: give job {job} back to {old}?", "Give it back", "Gave job {job} back to {old}.")


def plan(p: Pending, ctx: Ctx) -> Plan:
    assert ctx.appointment and ctx.job and ctx.technician and ctx.from_technician
    appt_id, old, new = int(ctx.appointment["id"]), int(ctx.from_technician["id"]), int(ctx.technician["id"])
    swap = ReplaceTechnicians(appointment_id=appt_id, off=[old], on=[new])
    undo = Undo(ReplaceTechnicians(appointment_id=appt_id, off=[new], on=[old]), UNDO)
    return technicians_change(ctx, swap, CARD, adding=ctx.technician, without=ctx.from_technician, undo=undo)


WRITE = Write(
    intent="reassign_technician",
    steps=("target", "from_technician", "technician", "conflicts"),
    correctable=("technician", "from_technician", "appointment_id", "job_id"),
    questions={"technician": ("Who should take it over?", "Sarah L")},
    doing="reassigning a technician",
    done="reassigned",
    say="Give {target} to {technician}",
    plan=plan,
    operations=(ReplaceTechnicians,),
)
