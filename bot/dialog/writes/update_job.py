"""Change a job's priority, summary, bill-to customer or type: "change the priority of job 1001 to high"
(undo sets the fields back as they were)."""

from __future__ import annotations

from typing import Any

from bot.dialog.resolve import Ctx
from bot.dialog.state import Pending, Plan
from bot.dialog.writes.base import Card, Undo, Write, card_plan, job_facts, job_guard, type_name, with_undo
from bot.servicetitan.models import JobUpdate
from bot.servicetitan.operations import UpdateJob

CARD = Card("Update job {job}?", "Update", "Updated job {job}.")
UNDO = Card("Undo: set job {job} back as it was?", "Set it back", "Set job {job} back as it was.")


def plan(p: Pending, ctx: Ctx) -> Plan:
    assert ctx.job
    job, c = ctx.job, ctx.changes
    fields: dict[str, Any] = {}
    changes: list[tuple[str, str, str]] = []
    if "priority" in c:
        fields["priority"] = c["priority"]
        changes.append(("Priority", str(job.get("priority")), c["priority"]))
    if "summary" in c:
        fields["summary"] = c["summary"]
        changes.append(("Summary", str(job.get("summary") or "—"), c["summary"]))
    if "customer" in c:
        customer = c["customer"]
        fields["customer_id"] = int(customer["id"])
        changes.append(
            ("Bill-to customer", f"#{job.get('customer_id')}", f"{customer['name']} (#{customer['id']})")
        )
    if "job_type" in c:
        fields["job_type_id"] = int(c["job_type"]["id"])
        changes.append(
            ("Job type", type_name(ctx, job.get("job_type_id")) or "—", str(c["job_type"]["name"]))
        )
    old = {k: job.get(k) for k in fields}
    plan = card_plan(ctx, UpdateJob(job_id=int(job["id"]), update=JobUpdate(**fields)), CARD, changes)
    plan.facts, plan.guard = job_facts(ctx), job_guard(ctx, old)
    undo = None
    if all(v is not None for v in old.values()):  # an empty summary can't be sent back
        undo = Undo(UpdateJob(job_id=int(job["id"]), update=JobUpdate(**old)), UNDO)
    return with_undo(plan, ctx, undo, job_guard(ctx, fields, always=True))


WRITE = Write(
    intent="update_job",
    steps=("job", "job_changes"),
    correctable=("priority", "summary"),
    doing="updating a job",
    done="updated",
    say="Update {target}",
    plan=plan,
    operations=(UpdateJob,),
    no_undo="it had no summary before, and one can't be emptied from here",
)
