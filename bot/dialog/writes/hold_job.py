"""Put a job on hold: "put job 1040 on hold, waiting for parts" (undo takes the appointments it holds off
hold again, which takes the job off hold)."""

from __future__ import annotations

from bot.dialog.resolve import Ctx
from bot.dialog.state import Pending, Plan
from bot.dialog.writes.base import Card, Status, Undo, Write, memo, status_change
from bot.servicetitan.operations import HoldJob, RemoveJobHold

CARD = Card("Put job {job} on hold?", "Put on hold", "Job {job} is on hold ({reason}).")
UNDO = Card("Undo: take job {job} off hold?", "Take off hold", "Job {job} is off hold again.")
HELD = frozenset({"Scheduled", "Dispatched"})  # the visits a job hold puts on hold


def plan(p: Pending, ctx: Ctx) -> Plan:
    assert ctx.job and ctx.reason
    job_id = int(ctx.job["id"])
    hold = HoldJob(job_id=job_id, reason_id=int(ctx.reason["id"]), memo=memo(p))
    held = sorted(int(a["id"]) for a in ctx.appointments if a.get("status") in HELD)
    undo = Undo(RemoveJobHold(job_id=job_id, appointment_ids=held), UNDO) if held else None
    return status_change(ctx, hold, CARD, after="Hold", reason=memo(p), undo=undo)


WRITE = Write(
    intent="hold_job",
    steps=("job", "hold_reason"),
    correctable=("job_id", "reason"),
    questions={"reason": ("Why is it going on hold?", "waiting for parts")},
    doing="putting a job on hold",
    done="put on hold",
    say="Put {target} on hold",
    plan=plan,
    operations=(HoldJob, RemoveJobHold),
    leaves=Status("Hold", "on hold"),
    already_hint="Say *show job {job_id}* for its details.",
    no_undo="none of its visits was scheduled, so there is nothing to take off hold again",
)
