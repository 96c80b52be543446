"""Set an appointment's special instructions: "special instructions for job 1001: gate code 4411" (undo puts
the old ones back; none when there were none)."""

from __future__ import annotations

from bot.dialog.resolve import Ctx
from bot.dialog.state import Pending, Plan
from bot.dialog.writes.base import Write, appt_facts, appt_guard
from bot.servicetitan.operations import SetSpecialInstructions


def plan(p: Pending, ctx: Ctx) -> Plan:
    assert ctx.appointment and ctx.job
    text = str(p.slots["text"]).strip()
    appt_id, before = int(ctx.appointment["id"]), str(ctx.appointment.get("special_instructions") or "")
    changes = [("Special instructions", before or "—", text)]
    undo = None
    if before:
        undo = Plan(
            operation=SetSpecialInstructions(appointment_id=appt_id, text=before),
            title=f"Undo: put back the old special instructions on job {ctx.job['id']}?",
            verb="Put them back",
            done_text=f"Put back the old special instructions on appointment {appt_id}.",
            changes=[(label, after, was) for label, was, after in changes],
            guard=appt_guard(ctx, always=True, special_instructions=text),
        )
    return Plan(
        operation=SetSpecialInstructions(appointment_id=appt_id, text=text),
        title=f"Set special instructions on job {ctx.job['id']}?",
        verb="Save",
        done_text=f"Saved the special instructions on appointment {appt_id} of job {ctx.job['id']}.",
        facts=appt_facts(ctx),
        changes=changes,
        undo=undo,
        guard=appt_guard(ctx, special_instructions=before),
    )


WRITE = Write(
    intent="special_instructions",
    steps=("target", "text"),
    correctable=("text",),
    questions={"text": ("What are the special instructions?", "Gate code 4411")},
    doing="setting special instructions",
    done="changed",
    plan=plan,
    operations=(SetSpecialInstructions,),
    no_undo="there were none before, and they can't be emptied from here",
)
