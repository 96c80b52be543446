"""Set an appointment's special instructions: "special instructions for job 1001: gate code 4411" (undo puts
the old ones back; none when there were none)."""

from __future__ import annotations

from bot.dialog.resolve import Ctx
from bot.dialog.state import Pending, Plan
from bot.dialog.writes.base import Card, Undo, Write, appt_facts, appt_guard, card_plan, with_undo
from bot.servicetitan.operations import SetSpecialInstructions

CARD = Card(
    "Set special instructions on job {job}?",
    "Save",
    "Saved the special instructions on appointment {appointment} of job {job}.",
)
UNDO = Card(
    "Undo: put back the old special instructions on job {job}?",
    "Put them back",
    "Put back the old special instructions on appointment {appointment}.",
)


def plan(p: Pending, ctx: Ctx) -> Plan:
    assert ctx.appointment and ctx.job
    text = str(p.slots["text"]).strip()
    appt_id, before = int(ctx.appointment["id"]), str(ctx.appointment.get("special_instructions") or "")
    operation = SetSpecialInstructions(appointment_id=appt_id, text=text)
    plan = card_plan(ctx, operation, CARD, [("Special instructions", before or "—", text)])
    plan.facts, plan.guard = appt_facts(ctx), appt_guard(ctx, special_instructions=before)
    # none when there were none before: instructions can't be emptied from here
    undo = Undo(SetSpecialInstructions(appointment_id=appt_id, text=before), UNDO) if before else None
    return with_undo(plan, ctx, undo, appt_guard(ctx, always=True, special_instructions=text))


WRITE = Write(
    intent="special_instructions",
    steps=("target", "text"),
    correctable=("text",),
    questions={"text": ("What are the special instructions?", "Gate code 4411")},
    doing="setting special instructions",
    done="changed",
    say="Set special instructions on {target}",
    plan=plan,
    operations=(SetSpecialInstructions,),
    no_undo="there were none before, and they can't be emptied from here",
)
