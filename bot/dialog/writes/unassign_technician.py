"""Take a technician off an appointment: "unassign James from job 1008" (undo puts them back)."""

from __future__ import annotations

from bot.dialog.resolve import Ctx
from bot.dialog.state import Pending, Plan
from bot.dialog.writes.base import Write, appt_facts, people_guard, technician_names
from bot.servicetitan.operations import AssignTechnicians, UnassignTechnicians


def plan(p: Pending, ctx: Ctx) -> Plan:
    assert ctx.appointment and ctx.job and ctx.from_technician
    appt_id, tech = int(ctx.appointment["id"]), ctx.from_technician
    ids = [int(tech["id"])]
    on = {int(a["technician_id"]) for a in ctx.assigned}
    before, after = technician_names(ctx), technician_names(ctx, without=tech)
    return Plan(
        operation=UnassignTechnicians(appointment_id=appt_id, technician_ids=ids),
        title=f"Take {tech['name']} off job {ctx.job['id']}?",
        verb="Unassign",
        done_text=f"Took {tech['name']} off job {ctx.job['id']} (appointment {appt_id}).",
        facts=appt_facts(ctx),
        changes=[("Technicians", before, after)],
        undo=Plan(
            operation=AssignTechnicians(appointment_id=appt_id, technician_ids=ids),
            title=f"Undo: put {tech['name']} back on job {ctx.job['id']}?",
            verb="Assign",
            done_text=f"Put {tech['name']} back on job {ctx.job['id']}.",
            changes=[("Technicians", after, before)],
            guard=people_guard(ctx, on - {int(tech["id"])}, always=True),
        ),
        guard=people_guard(ctx, on),
    )


WRITE = Write(
    intent="unassign_technician",
    steps=("target", "assigned_technician"),
    correctable=("technician", "appointment_id", "job_id"),
    questions={"technician": ("Which technician should I take off?", "Mike C")},
    doing="unassigning a technician",
    done="unassigned",
    plan=plan,
    operations=(UnassignTechnicians, AssignTechnicians),
)
