"""Change a job's priority, summary, bill-to customer or type: "change the priority of job 1001 to high"
(undo sets the fields back as they were)."""

from __future__ import annotations

from typing import Any

from bot.dialog.resolve import Ctx
from bot.dialog.state import Pending, Plan
from bot.dialog.writes.base import Write, job_facts, job_guard, type_name
from bot.servicetitan.models import JobUpdate
from bot.servicetitan.operations import UpdateJob


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
    undo = None
    if all(v is not None for v in old.values()):  # an empty summary can't be sent back
        undo = Plan(
            operation=UpdateJob(job_id=int(job["id"]), update=JobUpdate(**old)),
            title=f"Undo: set job {job['id']} back as it was?",
            verb="Set it back",
            done_text=f"Set job {job['id']} back as it was.",
            changes=[(label, after, before) for label, before, after in changes],
            guard=job_guard(ctx, fields, always=True),
        )
    return Plan(
        operation=UpdateJob(job_id=int(job["id"]), update=JobUpdate(**fields)),
        title=f"Update job {job['id']}?",
        verb="Update",
        done_text=f"Updated job {job['id']}.",
        facts=job_facts(ctx),
        changes=changes,
        undo=undo,
        guard=job_guard(ctx, old),
    )


WRITE = Write(
    intent="update_job",
    steps=("job", "job_changes"),
    correctable=("priority", "summary"),
    doing="updating a job",
    done="updated",
    plan=plan,
    operations=(UpdateJob,),
    no_undo="it had no summary before, and one can't be emptied from here",
)
