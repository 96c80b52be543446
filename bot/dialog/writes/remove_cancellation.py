"""Un-cancel a job: "uncancel job 1004" (no undo)."""

from __future__ import annotations

from bot.dialog.resolve import Ctx
from bot.dialog.state import Pending, Plan
from bot.dialog.writes.base import Status, Write, status_change
from bot.servicetitan.operations import RemoveJobCancellation


def plan(p: Pending, ctx: Ctx) -> Plan:
    assert ctx.job
    job_id = int(ctx.job["id"])
    return status_change(
        ctx,
        RemoveJobCancellation(job_id=job_id),
        title=f"Un-cancel job {job_id}?",
        verb="Un-cancel",
        done_text=f"Job {job_id} is no longer canceled.",
        after="active again",
    )


WRITE = Write(
    intent="remove_cancellation",
    steps=("job",),
    correctable=("job_id",),
    doing="un-canceling a job",
    done="un-canceled",
    plan=plan,
    operations=(RemoveJobCancellation,),
    requires=Status("Canceled", "canceled"),
)
