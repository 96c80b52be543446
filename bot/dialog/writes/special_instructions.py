"""Set an appointment's special instructions: "special instructions for job 1001: gate code 4411"."""

from __future__ import annotations

from bot.dialog.resolve import Ctx
from bot.dialog.state import Pending, Plan
from bot.dialog.writes.base import Write, appt_facts, appt_guard
from bot.servicetitan.operations import SetSpecialInstructions


def plan(p: Pending, ctx: Ctx) -> Plan:
    assert ctx.appointment and ctx.job
    text = str(p.slots["text"]).strip()
    appt_id, before = int(ctx.appointment["id"]), str(ctx.appointment.get("special_instructions") or "")
    return Plan(
        operation=SetSpecialInstructions(appointment_id=appt_id, text=text),
        title=f"Set special instructions on job {ctx.job['id']}?",
        verb="Save",
        done_text=f"Saved the special instructions on appointment {appt_id} of job {ctx.job['id']}.",
        facts=appt_facts(ctx),
        changes=[("Special instructions", before or "—", text)],
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
    no_undo="say the old instructions again to put them back",
)
