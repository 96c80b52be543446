"""Complete a job: "complete job 1008", "1008 is done" (PUT /jobs/{id}/complete; no undo). A technician
completes their work from the ServiceTitan mobile app, so they are told that instead."""

from __future__ import annotations

from bot.dialog.resolve import Ctx
from bot.dialog.state import Pending, Plan
from bot.dialog.writes.base import Card, Status, Write, status_change
from bot.servicetitan.operations import CompleteJob

CARD = Card("Complete job {job}?", "Complete job", "Job {job} is completed.")


def plan(p: Pending, ctx: Ctx) -> Plan:
    assert ctx.job
    complete = CompleteJob(job_id=int(ctx.job["id"]), completed_on=ctx.now)
    done = status_change(ctx, complete, CARD, after="Completed")
    if not ctx.assigned:
        done.warnings.append("Nobody is assigned to it; ServiceTitan may refuse to complete it.")
    done.conflict_text = "ServiceTitan completes only an open job with a technician assigned"
    return done


WRITE = Write(
    intent="complete_job",
    steps=("job",),
    correctable=("job_id",),
    doing="completing a job",
    done="completed",
    say="Complete {target}",
    plan=plan,
    operations=(CompleteJob,),
    leaves=Status("Completed", "completed"),
    already_hint="Say *show job {job_id}* for its details.",
    no_undo="ServiceTitan's API can't reopen a completed job",
    for_technicians=(
        "Mark the job done from the ServiceTitan mobile app (complete the visit there, with its forms and "
        "invoice); I can't complete it from Slack. The office can, if something is stuck."
    ),
)
