"""Un-cancel a job: "uncancel job 1004" (no undo)."""

from __future__ import annotations

from bot.dialog.resolve import Ctx
from bot.dialog.state import Pending, Plan
from bot.dialog.writes.base import Card, Status, Write, status_change
from bot.servicetitan.operations import RemoveJobCancellation

CARD = Card("Un-cancel job {job}?", "Un-cancel", "Job {job} is no longer canceled.")


def plan(p: Pending, ctx: Ctx) -> Plan:
    assert ctx.job
    return status_change(ctx, RemoveJobCancellation(job_id=int(ctx.job["id"])), CARD, after="active again")


WRITE = Write(
    intent="remove_cancellation",
    steps=("job",),
    correctable=("job_id",),
    doing="un-canceling a job",
    done="un-canceled",
    say="Un-cancel {target}",
    plan=plan,
    operations=(RemoveJobCancellation,),
    no_undo="canceling it again needs a reason: say e.g. *cancel job N, customer canceled*",
    requires=Status("Canceled", "canceled"),
)
