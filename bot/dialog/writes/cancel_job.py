"""Cancel a job: "cancel job 1007, duplicate booking" (undo un-cancels it)."""

from __future__ import annotations

from bot.dialog.resolve import Ctx
from bot.dialog.state import Pending, Plan
from bot.dialog.writes.base import Card, Status, Undo, Write, memo, status_change
from bot.servicetitan.operations import CancelJob, RemoveJobCancellation

CARD = Card("Cancel job {job}?", "Cancel job", "Canceled job {job} ({reason}).")
UNDO = Card("Undo: un-cancel job {job}?", "Un-cancel", "Job {job} is no longer canceled.")


def plan(p: Pending, ctx: Ctx) -> Plan:
    assert ctx.job and ctx.reason
    job_id = int(ctx.job["id"])
    cancel = CancelJob(job_id=job_id, reason_id=int(ctx.reason["id"]), memo=memo(p))
    undo = Undo(RemoveJobCancellation(job_id=job_id), UNDO)
    return status_change(ctx, cancel, CARD, after="Canceled", reason=memo(p), undo=undo)


WRITE = Write(
    intent="cancel_job",
    steps=("job", "cancel_reason"),
    correctable=("job_id", "reason"),
    questions={"reason": ("Why is it being canceled?", "customer canceled")},
    doing="canceling a job",
    done="canceled",
    say="Cancel {target}",
    plan=plan,
    operations=(CancelJob, RemoveJobCancellation),
    leaves=Status("Canceled", "canceled"),
    already_hint="Say *uncancel job {job_id}* to bring it back.",
)
