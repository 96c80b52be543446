"""Put a job on hold: "put job 1040 on hold, waiting for parts" (no undo)."""

from __future__ import annotations

from bot.dialog.resolve import Ctx
from bot.dialog.state import Pending, Plan
from bot.dialog.writes.base import Card, Status, Write, memo, status_change
from bot.servicetitan.operations import HoldJob

CARD = Card("Put job {job} on hold?", "Put on hold", "Job {job} is on hold ({reason}).")


def plan(p: Pending, ctx: Ctx) -> Plan:
    assert ctx.job and ctx.reason
    hold = HoldJob(job_id=int(ctx.job["id"]), reason_id=int(ctx.reason["id"]), memo=memo(p))
    return status_change(ctx, hold, CARD, after="Hold", reason=memo(p))


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
