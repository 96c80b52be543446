"""*whats going on with the garcias*, *show me everything for lakeside dental*: a customer's open work.

Each open job of the customer (not completed or canceled) on one line, with its next visit and who is on
it, and how many upcoming visits there are in all. `find_jobs` answers with this when the request asks
about a customer as a whole (`overview`, bot.dialog.reads.wording) and the name is a customer's.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bot.dialog import timefmt
from bot.dialog.reads.common import MAX_READ_ROWS, Answer, ReadContext, span_title, technicians_on
from bot.dialog.refdata import collect, together

Row = dict[str, Any]
CLOSED_JOBS = frozenset({"Completed", "Canceled"})
CLOSED_VISITS = frozenset({"Done", "Canceled"})


async def answer(
    ctx: ReadContext, customer_id: int, name: str, span: tuple[datetime, datetime] | None = None
) -> Answer:
    """The customer's open work; with `span` ("anything for northside fitness next week"), only the jobs
    with a visit on those days, and those visits."""
    jobs = await collect(ctx.client.iter_jobs(customer_id=customer_id), MAX_READ_ROWS)
    open_jobs = sorted(
        (j for j in jobs if j.get("job_status") not in CLOSED_JOBS), key=lambda j: int(j["id"])
    )
    now = ctx.now or datetime.now(UTC)
    days = span_title(span, ctx.tz) if span else ""
    window = (
        {"starts_on_or_after": span[0], "starts_before": span[1]}
        if span
        else {"starts_on_or_after": now - timedelta(hours=12)}
    )
    facts, visits = await together(
        ctx.refdata.many_job_facts([int(j["id"]) for j in open_jobs]),
        collect(ctx.client.iter_appointments(customer_id=customer_id, **window), MAX_READ_ROWS),
    )
    upcoming: dict[int, list[Row]] = {}
    for visit in sorted(visits, key=lambda a: str(a["start"])):
        if visit.get("status") not in CLOSED_VISITS and (span or _ends_after(visit, now)):
            upcoming.setdefault(int(visit["job_id"]), []).append(visit)
    if span:
        open_jobs = [j for j in open_jobs if int(j["id"]) in upcoming]
    title = f"{'Work' if span else 'Open work'} for {name}{days} ({len(open_jobs)})"
    if not open_jobs:
        closed = f" ({len(jobs)} completed or canceled)" if jobs and not span else ""
        empty = f"{name} has no visits{days}." if span else f"{name} has no open jobs{closed}."
        return {"title": title, "rows": [], "empty": empty}
    next_ids = [int(v[0]["id"]) for v in upcoming.values() if v]
    assignments = (
        await collect(ctx.client.iter_appointment_assignments(appointment_ids=next_ids)) if next_ids else []
    )
    names = technicians_on(assignments)
    rows = [
        _row(j, facts.get(int(j["id"])) or {}, upcoming.get(int(j["id"]), []), names, ctx.tz)
        for j in open_jobs
    ]
    count = sum(len(v) for v in upcoming.values())
    done = 0 if span else len(jobs) - len(open_jobs)
    visits_word = "visit" if count == 1 else "visits"
    text = (f"{count} {visits_word}{days}" if span else f"{count} upcoming {visits_word}") + (
        f"; {done} completed or canceled jobs not shown." if done else "."
    )
    # "move the first one to 9am": the job, at the visit its line shows
    items = [_item(int(j["id"]), upcoming.get(int(j["id"]), []), ctx.tz) for j in open_jobs]
    answer: Answer = {"title": title, "rows": rows, "text": text, "items": items}
    if len(open_jobs) == 1:
        answer["job_id"] = int(open_jobs[0]["id"])  # "move it to friday" is about that job
    return answer


def _item(job_id: int, visits: list[Row], tz: str) -> dict[str, int]:
    """The job, and the visit its line shows with that visit's weekday ("the monday one", 0 = Monday)."""
    if not visits:
        return {"job_id": job_id}
    weekday = timefmt.local(timefmt.parse_iso(str(visits[0]["start"])), tz).weekday()
    return {"job_id": job_id, "appointment_id": int(visits[0]["id"]), "weekday": weekday}


def _ends_after(appt: Row, now: datetime) -> bool:
    return timefmt.parse_iso(str(appt["end"])) > now - timedelta(hours=1)


def _row(job: Row, facts: Row, visits: list[Row], names: dict[int, list[str]], tz: str) -> str:
    """ "Job 1003 · AC Tune-Up · Scheduled · 12 Oak St, Chicago, IL 60601 · next visit Tue Dec 8 1:00 PM –
    3:00 PM with Mike Chen (+1 more)" """
    parts = [f"Job {job['id']}", str(facts.get("job_type") or "job"), str(job.get("job_status"))]
    if facts.get("address"):
        parts.append(str(facts["address"]))
    if not visits:
        parts.append("no visit scheduled")
    else:
        first = visits[0]
        span = timefmt.short_span(timefmt.parse_iso(first["start"]), timefmt.parse_iso(first["end"]), tz)
        who = ", ".join(names.get(int(first["id"]), [])) or "nobody assigned"
        more = f" (+{len(visits) - 1} more)" if len(visits) > 1 else ""
        parts.append(f"next visit {span} with {who}{more}")
    return " · ".join(parts)
