"""Give an appointment to another technician: "give Mike's job 1012 to Sarah", "swap Ana for Luis on appt
5016". One card (Mike → Sarah) and one undo; the conflicts are checked for the one taking it over. The old
technician comes off before the new one goes on, so nobody new joins while the old one stays."""

from __future__ import annotations

from bot.dialog.resolve import Ctx
from bot.dialog.state import Pending, Plan
from bot.dialog.writes.base import Undo, Write, technicians_change
from bot.servicetitan.operations import ReplaceTechnicians


def plan(p: Pending, ctx: Ctx) -> Plan:
    assert ctx.appointment and ctx.job and ctx.technician and ctx.from_technician
    appt_id, job_id = int(ctx.appointment["id"]), ctx.job["id"]
    old, new = ctx.from_technician, ctx.technician
    return technicians_change(
        ctx,
        ReplaceTechnicians(appointment_id=appt_id, off=[int(old["id"])], on=[int(new["id"])]),
        title=f"Give job {job_id} to {new['name']} instead of {old['name']}?",
        verb="Reassign",
        done_text=f"Gave job {job_id} (appointment {appt_id}) to {new['name']} instead of {old['name']}.",
        adding=new,
        without=old,
        undo=Undo(
            ReplaceTechnicians(appointment_id=appt_id, off=[int(new["id"])], on=[int(old["id"])]),
            title=f"Undo: give job {job_id} back to {old['name']}?",
            verb="Give it back",
            done_text=f"Gave job {job_id} back to {old['name']}.",
        ),
    )


WRITE = Write(
    intent="reassign_technician",
    steps=("target", "from_technician", "technician", "conflicts"),
    correctable=("technician", "from_technician", "appointment_id", "job_id"),
    questions={"technician": ("Who should take it over?", "Sarah L")},
    doing="reassigning a technician",
    done="reassigned",
    plan=plan,
    operations=(ReplaceTechnicians,),
)
