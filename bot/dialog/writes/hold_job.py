"""Put a job on hold: "put job 1040 on hold, waiting for parts" (no undo)."""

from __future__ import annotations

from bot.dialog.resolve import Ctx
from bot.dialog.state import Pending, Plan
from bot.dialog.writes.base import Status, Write, memo, status_change
from bot.servicetitan.operations import HoldJob


def plan(p: Pending, ctx: Ctx) -> Plan:
    assert ctx.job and ctx.reason
    job_id = int(ctx.job["id"])
    return status_change(
        ctx,
        HoldJob(job_id=job_id, reason_id=int(ctx.reason["id"]), memo=memo(p)),
        title=f"Put job {job_id} on hold?",
        verb="Put on hold",
        done_text=f"Job {job_id} is on hold ({ctx.reason['name']}).",
        after="Hold",
        reason=memo(p),
    )


WRITE = Write(
    intent="hold_job",
    steps=("job", "hold_reason"),
    correctable=("job_id", "reason"),
    questions={"reason": ("Why is it going on hold?", "waiting for parts")},
    doing="putting a job on hold",
    done="put on hold",
    plan=plan,
    operations=(HoldJob,),
    leaves=Status("Hold", "on hold"),
    already_hint="Say *show job {job_id}* for its details.",
)
