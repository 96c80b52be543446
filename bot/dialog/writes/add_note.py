"""Add a note to a job: "add a note to job 1001: customer prefers mornings" (no undo)."""

from __future__ import annotations

from bot.dialog.resolve import Ctx
from bot.dialog.state import Pending, Plan
from bot.dialog.writes.base import Write, job_facts
from bot.servicetitan.operations import AddJobNote


def plan(p: Pending, ctx: Ctx) -> Plan:
    assert ctx.job
    text = str(p.slots["text"]).strip()
    return Plan(
        operation=AddJobNote(job_id=int(ctx.job["id"]), text=text),
        title=f"Add a note to job {ctx.job['id']}?",
        verb="Add note",
        done_text=f"Added the note to job {ctx.job['id']}.",
        facts=job_facts(ctx),
        changes=[("New note", "—", text)],
    )


WRITE = Write(
    intent="add_note",
    steps=("job", "text"),
    correctable=("text",),
    questions={"text": ("What should the note say?", "Customer prefers mornings")},
    doing="adding a note",
    done="noted",
    say="Add a note to {target}",
    plan=plan,
    operations=(AddJobNote,),
    no_undo="ServiceTitan has no way to take a note off a job",
)
