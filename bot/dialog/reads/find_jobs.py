"""*find canceled jobs last week*, *Mike's jobs tomorrow*: jobs by status, days, project, technician or
customer, one line each."""

from __future__ import annotations

from typing import Any

from bot.dialog.reads.common import (
    MAX_READ_ROWS,
    Answer,
    ReadContext,
    customer_names,
    day_span,
    span_title,
    technician_id,
    technician_name,
)
from bot.dialog.reads.text import plain
from bot.dialog.refdata import collect, together

INTENT = "find_jobs"
NEEDS_JOB = False

Row = dict[str, Any]

STATUS = {
    "scheduled": "Scheduled",
    "completed": "Completed",
    "canceled": "Canceled",
    "cancelled": "Canceled",
    "hold": "Hold",
    "in_progress": "InProgress",
    "dispatched": "Dispatched",
}
TITLE = {
    "Scheduled": "Scheduled jobs",
    "Dispatched": "Dispatched jobs",
    "Completed": "Completed jobs",
    "Canceled": "Canceled jobs",
    "Hold": "Jobs on hold",
    "InProgress": "Jobs in progress",
}


async def answer(ctx: ReadContext, slots: dict[str, Any]) -> Answer:
    filters: dict[str, Any] = {}
    status = STATUS.get(str(slots.get("status") or "").casefold())
    if status:
        filters["job_status"] = status
    span = day_span(slots.get("range"), ctx.tz)
    if span:
        if status == "Completed":
            filters["completed_on_or_after"], filters["completed_before"] = span
        else:
            filters["appointment_starts_on_or_after"], filters["appointment_starts_before"] = span
    for slot in ("project_id", "customer_id"):
        if slots.get(slot) is not None:
            filters[slot] = int(slots[slot])
    tech_id, problem = await technician_id(ctx, slots)
    if problem:
        return {"title": "Jobs", "text": problem, "rows": []}
    if tech_id is not None:
        filters["technician_id"] = tech_id
    jobs = await collect(ctx.client.iter_jobs(**filters), MAX_READ_ROWS)
    types, customers = await together(
        ctx.refdata.reference_names("job_types"),
        customer_names(ctx, [int(j["customer_id"]) for j in jobs]),
    )
    title = TITLE.get(status or "", "Jobs")
    if tech_id is not None:
        title += f" for {await technician_name(ctx, tech_id)}"
    title += f"{span_title(span, ctx.tz)} ({len(jobs)})"
    return {"title": title, "rows": [job_row(j, type_names=types, customer_names=customers) for j in jobs]}


def job_row(job: Row, *, type_names: dict[int, str], customer_names: dict[int, str]) -> str:
    kind = type_names.get(int(job.get("job_type_id") or 0), "job")
    customer = customer_names.get(int(job.get("customer_id") or 0)) or f"customer #{job.get('customer_id')}"
    summary = plain(job.get("summary"))
    text = f"Job {job['id']} · {kind} · {job.get('job_status')} · {customer}"
    return f"{text} · {summary[:60]}" if summary else text
