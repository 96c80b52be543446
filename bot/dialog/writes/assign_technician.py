"""Add a technician to an appointment: "assign Mike to job 1012" (undo takes them off again)."""

from __future__ import annotations

from bot.dialog.resolve import Ctx
from bot.dialog.state import Pending, Plan
from bot.dialog.writes.base import Write, appt_facts, people_guard, technician_names
from bot.servicetitan.operations import AssignTechnicians, UnassignTechnicians


def plan(p: Pending, ctx: Ctx) -> Plan:
    assert ctx.appointment and ctx.job and ctx.technician
    appt_id, tech = int(ctx.appointment["id"]), ctx.technician
    ids = [int(tech["id"])]
    on = {int(a["technician_id"]) for a in ctx.assigned}
    before, after = technician_names(ctx), technician_names(ctx, adding=tech)
    return Plan(
        operation=AssignTechnicians(appointment_id=appt_id, technician_ids=ids),
        title=f"Assign {tech['name']} to job {ctx.job['id']}?",
        verb="Assign",
        done_text=f"Assigned {tech['name']} to job {ctx.job['id']} (appointment {appt_id}).",
        facts=appt_facts(ctx),
        changes=[("Technicians", before, after)],
        warnings=ctx.warnings,
        undo=Plan(
            operation=UnassignTechnicians(appointment_id=appt_id, technician_ids=ids),
            title=f"Undo: take {tech['name']} off job {ctx.job['id']}?",
            verb="Unassign",
            done_text=f"Took {tech['name']} off job {ctx.job['id']} again.",
            changes=[("Technicians", after, before)],
            guard=people_guard(ctx, on | {int(tech["id"])}, always=True),
        ),
        guard=people_guard(ctx, on),
    )


WRITE = Write(
    intent="assign_technician",
    steps=("target", "technician", "conflicts"),
    correctable=("technician", "appointment_id", "job_id"),
    questions={"technician": ("Which technician should I assign?", "Mike C")},
    doing="assigning a technician",
    done="assigned",
    plan=plan,
    operations=(AssignTechnicians, UnassignTechnicians),
)
