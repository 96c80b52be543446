"""Take an appointment off hold: "take appointment 5007 off hold"; given a job ("take job 1011 off hold"),
every held appointment of it, in one confirmation (ServiceTitan has no call for the job itself). No undo:
a hold needs a reason."""

from __future__ import annotations

from bot.dialog.resolve import Ctx
from bot.dialog.state import Pending, Plan
from bot.dialog.writes.base import Card, Status, Write, job_facts, job_guard, status_change
from bot.servicetitan.operations import RemoveAppointmentHold, RemoveJobHold

CARD = Card(
    "Take appointment {appointment} of job {job} off hold?",
    "Take off hold",
    "Appointment {appointment} of job {job} is off hold.",
)


def _held(ctx: Ctx) -> list[int]:
    return sorted(int(a["id"]) for a in ctx.appointments if WRITE.appointment_problem(a) is None)


def plan(p: Pending, ctx: Ctx) -> Plan:
    assert ctx.appointment and ctx.job
    if p.slots.get("appointment_id") is None:  # a job: all of its held appointments at once
        job_id, held = int(ctx.job["id"]), _held(ctx)
        listed = ", ".join(f"#{i}" for i in held)
        return Plan(
            operation=RemoveJobHold(job_id=job_id, appointment_ids=held),
            title=f"Take job {job_id} off hold?",
            verb="Take off hold",
            done_text=f"Job {job_id} is off hold ({'appointments' if len(held) > 1 else 'appointment'} {listed}).",
            facts=job_facts(ctx),
            changes=[
                *([("Status", "Hold", "Scheduled")] if ctx.job.get("job_status") == "Hold" else []),
                ("On hold", f"appointment{'s' if len(held) > 1 else ''} {listed}", "none"),
            ],
            guard=job_guard(ctx, {}),
        )
    off_hold = RemoveAppointmentHold(appointment_id=int(ctx.appointment["id"]))
    return status_change(ctx, off_hold, CARD, after="not on hold")


WRITE = Write(
    intent="remove_appointment_hold",
    steps=("target",),
    correctable=("appointment_id",),
    doing="taking an appointment off hold",
    done="taken off hold",
    say="Take {visit} off hold",
    plan=plan,
    operations=(RemoveAppointmentHold, RemoveJobHold),
    requires=Status("Hold", "on hold"),
    whole_job=True,
    no_undo="putting it back on hold needs a reason: say e.g. *put job N on hold, waiting for parts*",
)
