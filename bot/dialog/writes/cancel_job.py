"""Cancel a job: "cancel job 1007, duplicate booking" (undo un-cancels it)."""

from __future__ import annotations

from bot.dialog.resolve import Ctx
from bot.dialog.state import Pending, Plan
from bot.dialog.writes.base import Status, Write, job_facts, job_guard, memo, reason_fact
from bot.servicetitan.operations import CancelJob, RemoveJobCancellation


def plan(p: Pending, ctx: Ctx) -> Plan:
    assert ctx.job and ctx.reason
    job_id, words, status = int(ctx.job["id"]), memo(p), str(ctx.job.get("job_status"))
    return Plan(
        operation=CancelJob(job_id=job_id, reason_id=int(ctx.reason["id"]), memo=words),
        title=f"Cancel job {job_id}?",
        verb="Cancel job",
        done_text=f"Canceled job {job_id} ({ctx.reason['name']}).",
        facts=[*job_facts(ctx), reason_fact(ctx, words)],
        changes=[("Status", status, "Canceled")],
        undo=Plan(
            operation=RemoveJobCancellation(job_id=job_id),
            title=f"Undo: un-cancel job {job_id}?",
            verb="Un-cancel",
            done_text=f"Job {job_id} is no longer canceled.",
            changes=[("Status", "Canceled", status)],
            guard=job_guard(ctx, {"job_status": "Canceled"}, always=True),
        ),
        guard=job_guard(ctx, {"job_status": ctx.job.get("job_status")}),
    )


WRITE = Write(
    intent="cancel_job",
    steps=("job", "cancel_reason"),
    correctable=("job_id", "reason"),
    questions={"reason": ("Why is it being canceled?", "customer canceled")},
    doing="canceling a job",
    done="canceled",
    plan=plan,
    operations=(CancelJob, RemoveJobCancellation),
    leaves=Status("Canceled", "canceled"),
    already_hint="Say *uncancel job {job_id}* to bring it back.",
)
