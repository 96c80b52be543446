"""*find canceled jobs last week*, *Mike's jobs tomorrow*, *unassigned jobs this weekend*, *jobs for Barbara
White*, *jobs in the repipe project*, *cancellations by reason this month*, *who canceled the most* (reads.tallies): jobs by status, days, project,
technician, customer, address, job type or business unit, one line each. Every filter said is applied,
or the answer says which one could not be.

The days of a canceled or on-hold search are when the job was canceled (its canceled log) or put on hold
(its history), not when its visit was; the title says so.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from bot.dialog import timefmt
from bot.dialog.reads import named, overview, reasons, tallies
from bot.dialog.reads.common import (
    MAX_READ_ROWS,
    Answer,
    ReadContext,
    customer_names,
    day_span,
    span_title,
)
from bot.dialog.reads.text import plain
from bot.dialog.refdata import collect, together

INTENT = "find_jobs"
NEEDS_JOB = False

Row = dict[str, Any]
Span = tuple[datetime, datetime]

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
# A canceled or held search over days: the title says the days are when that happened
EVENT_TITLE = {"Canceled": "Jobs canceled", "Hold": "Jobs put on hold"}
AT_ONCE = 8  # a job's canceled log or history read at once, well under ServiceTitan's rate limit
EVER = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))


async def answer(ctx: ReadContext, slots: dict[str, Any]) -> Answer:
    if slots.get("overview"):  # "whats going on with the garcias": the customer's open work
        who = await named.person(ctx, slots, customers=True, title="Open work")
        if who.ask is not None:
            return who.ask
        if who.filters.get("customer_id") is not None:
            return await overview.answer(
                ctx,
                int(who.filters["customer_id"]),
                who.title.removeprefix(" for "),
                day_span(slots.get("range"), ctx.tz),
            )
    status = STATUS.get(str(slots.get("status") or "").casefold())
    span = day_span(slots.get("range"), ctx.tz)
    title = TITLE.get(status or "", "Unassigned jobs" if slots.get("unassigned") else "Jobs")
    filters: dict[str, Any] = {"job_status": status} if status else {}
    if slots.get("priority"):
        filters["priority"] = str(slots["priority"])
    keep: dict[str, Any] = {}
    said: list[str] = []
    notes: list[str] = []
    for part in await _named(ctx, slots, title):
        if part.ask is not None:
            return part.ask
        filters.update(part.filters)
        keep.update(part.keep)
        said.append(part.title)
        if part.note:
            notes.append(part.note)
    by_event = status in EVENT_TITLE and span is not None
    if span and not by_event:
        if status == "Completed":
            filters["completed_on_or_after"], filters["completed_before"] = span
        elif not slots.get("unassigned"):
            filters["appointment_starts_on_or_after"], filters["appointment_starts_before"] = span
    if by_event:
        assert span is not None and status is not None
        filters["modified_on_or_after"] = span[0]  # a job canceled or held in the span changed since
    events: dict[int, Row] = {}
    if slots.get("unassigned"):
        jobs = await _unassigned(ctx, filters, span)
    else:
        jobs = await collect(ctx.client.iter_jobs(**filters), MAX_READ_ROWS)
    jobs = _kept(jobs, keep)
    if by_event:
        assert span is not None and status is not None
        events = await _events(ctx, jobs, status, span)
        jobs = [j for j in jobs if int(j["id"]) in events]
        title = EVENT_TITLE[status]
    if slots.get("reason"):
        jobs, events, reason, note = await _for_reason(ctx, jobs, events, status, str(slots["reason"]))
        said.append(reason)
        notes += [note] if note else []
    if slots.get("done_by"):  # "how many jobs did dana cancel": who canceled, from the canceled logs
        events = events or await _events(ctx, jobs, status or "Canceled", EVER)
        events, by = await tallies.done_by(ctx, events, str(slots["done_by"]))
        jobs = [j for j in jobs if int(j["id"]) in events]
        said.append(by)
    title += "".join(said) + (f" · {slots['priority']} priority" if slots.get("priority") else "")
    if slots.get("by_who"):  # "who canceled the most this month"
        events = events or await _events(ctx, jobs, status or "Canceled", EVER)
        what = "Holds by who put them on hold" if status == "Hold" else "Cancellations by who canceled"
        return await tallies.by_who(ctx, events, what, f"{''.join(said)}{span_title(span, ctx.tz)}", notes)
    if slots.get("by_reason"):
        return await _by_reason(ctx, jobs, events, f"{''.join(said)}{span_title(span, ctx.tz)}", notes)
    types, customers = await together(
        ctx.refdata.reference_names("job_types"),
        customer_names(ctx, [int(j["customer_id"]) for j in jobs]),
    )
    title += f"{span_title(span, ctx.tz)} ({len(jobs)})"
    rows = [job_row(j, type_names=types, customer_names=customers) for j in jobs]
    if events:
        reasons = await ctx.refdata.reference_names("cancel_reasons")
        rows = [
            f"{row} · {_event_text(events[int(j['id'])], ctx.tz, reasons)}"
            for row, j in zip(rows, jobs, strict=True)
        ]
    items = [{"job_id": int(j["id"])} for j in jobs]
    return {"title": title, "rows": rows, "text": " ".join(notes), "items": items}


async def _named(ctx: ReadContext, slots: dict[str, Any], title: str) -> list[named.Named]:
    """Each name the search was given, as ids (or a question, or why it wasn't applied)."""
    parts = [await named.person(ctx, slots, customers=True, title=title)]
    if slots.get("project_id") is not None:
        parts.append(
            named.Named({"project_id": int(slots["project_id"])}, f" in project {slots['project_id']}")
        )
    elif slots.get("project"):
        parts.append(await named.project(ctx, str(slots["project"]), title))
    if slots.get("location_id") is not None:
        parts.append(named.Named({"location_id": int(slots["location_id"])}))
    elif slots.get("location"):
        parts.append(await named.location(ctx, str(slots["location"]), title))
    if slots.get("kind"):
        kind = await named.kind(ctx, str(slots["kind"]))
        if kind.note and not parts[0].filters:  # "mike chens jobs": no job type, but maybe whose jobs
            whose = await _whose(ctx, str(slots["kind"]), title)
            kind = whose or kind
        parts.append(kind)
    return parts


async def _whose(ctx: ReadContext, words: str, title: str) -> named.Named | None:
    """The technician or customer that words before "jobs" name ("mike chens jobs"), if exactly one does."""
    for name in dict.fromkeys(
        [words, re.sub(r"(?:'s|’s|s')$|(?<=[a-z]{3})s$", "", words.strip(), flags=re.I)]
    ):
        found = await named.person(ctx, {"technician": name}, customers=True, title=title)
        if found.ask is None and found.filters:
            return found
    return None


def _kept(jobs: list[Row], keep: dict[str, Any]) -> list[Row]:
    if keep.get("job_type_ids"):
        jobs = [j for j in jobs if int(j["job_type_id"]) in keep["job_type_ids"]]
    if keep.get("business_unit_ids"):
        jobs = [j for j in jobs if int(j["business_unit_id"]) in keep["business_unit_ids"]]
    return jobs


async def _unassigned(ctx: ReadContext, filters: dict[str, Any], span: Span | None) -> list[Row]:
    """Jobs with a visit in the span (from today when none is said) that no technician is on."""
    start, end = span if span else (ctx.now or datetime.now(UTC), None)
    window: dict[str, Any] = {"starts_on_or_after": start}
    if end is not None:
        window["starts_before"] = end
    appointments = await collect(ctx.client.iter_appointments(**window), MAX_READ_ROWS * 2)
    open_visits = [a for a in appointments if a.get("status") not in {"Canceled", "Done"}]
    ids = [int(a["id"]) for a in open_visits]
    assignments = await collect(ctx.client.iter_appointment_assignments(appointment_ids=ids)) if ids else []
    staffed = {int(a["appointment_id"]) for a in assignments if a.get("active", True)}
    job_ids = sorted({int(a["job_id"]) for a in open_visits if int(a["id"]) not in staffed})
    if not job_ids:
        return []
    jobs = await collect(ctx.client.iter_jobs(ids=job_ids), MAX_READ_ROWS)
    return [j for j in jobs if all(str(j.get(k)) == str(v) for k, v in filters.items() if k in j)]


async def _events(ctx: ReadContext, jobs: list[Row], status: str, span: Span) -> dict[int, Row]:
    """The jobs canceled (or put on hold) within the span: job id -> {when, reason_id, memo}."""

    async def event(job: Row) -> tuple[int, Row | None]:
        job_id = int(job["id"])
        if status == "Canceled":
            logs = await collect(ctx.client.iter_job_canceled_logs(job_id))
            rows = [
                {
                    "when": r["created_on"],
                    "reason_id": r["reason_id"],
                    "memo": r.get("memo"),
                    "by": r.get("created_by_id"),
                    "by_kind": "user",  # a ServiceTitan user's id (tallies.who_name)
                }
                for r in logs
            ]
        else:
            history = await ctx.client.get_job_history(job_id)
            rows = [
                {"when": h.date.isoformat(), "memo": h.memo, "by": h.employee_id}
                for h in history
                if "hold" in h.event_type.casefold() and "remov" not in h.event_type.casefold()
            ]
        latest = max(rows, key=lambda r: str(r["when"])) if rows else None
        if latest is None or not span[0] <= timefmt.parse_iso(str(latest["when"])) < span[1]:
            return job_id, None
        return job_id, latest

    gate = asyncio.Semaphore(AT_ONCE)

    async def gated(job: Row) -> tuple[int, Row | None]:
        async with gate:
            return await event(job)

    found = await together(*(gated(j) for j in jobs[:MAX_READ_ROWS]))
    return {job_id: row for job_id, row in found if row is not None}


async def _for_reason(
    ctx: ReadContext, jobs: list[Row], events: dict[int, Row], status: str | None, words: str
) -> tuple[list[Row], dict[int, Row], str, str]:
    """The jobs canceled for a reason named by `words` (from their canceled logs), with the title's part
    and a note: none of them when no reason has those words, all of them when they are no cancellations
    (the note says why the reason was not applied)."""
    said = plain(words)
    if status != "Canceled":
        return jobs, events, "", f"I can only filter canceled jobs by reason, so “{said}” was not applied."
    names = await ctx.refdata.reference_names("cancel_reasons")
    ids = reasons.matching(words, names)
    if not ids:
        known = ", ".join(sorted(set(names.values())))
        return [], {}, f" for “{said}”", f"No cancel reason matches “{said}” (the reasons are: {known})."
    events = events or await _events(ctx, jobs, "Canceled", EVER)
    events = {j: e for j, e in events.items() if int(e.get("reason_id") or 0) in ids}
    kept = [j for j in jobs if int(j["id"]) in events]
    return kept, events, " for " + " or ".join(names[i] for i in ids), ""


def _event_text(event: Row, tz: str, reasons: dict[int, str]) -> str:
    """When it was canceled or held, and why: "on Tue Dec 1: Duplicate booking — “Booked twice by phone”"."""
    when = f"on {timefmt.short_day(timefmt.local(timefmt.parse_iso(str(event['when'])), tz))}"
    reason = reasons.get(int(event.get("reason_id") or 0), "")
    memo = plain(str(event.get("memo") or ""))[:80]
    why = f"{reason} — “{memo}”" if reason and memo else reason or memo
    return f"{when}: {why}" if why else when


async def _by_reason(
    ctx: ReadContext, jobs: list[Row], events: dict[int, Row], title: str, notes: list[str]
) -> Answer:
    """Cancellations counted by reason (from the canceled logs), most first."""
    if not events:
        events = await _events(ctx, jobs, "Canceled", EVER)
    reasons = await ctx.refdata.reference_names("cancel_reasons")
    counts: Counter[str] = Counter()
    which: dict[str, list[int]] = {}
    for job_id, event in sorted(events.items()):
        name = reasons.get(int(event.get("reason_id") or 0), "no reason recorded")
        counts[name] += 1
        which.setdefault(name, []).append(job_id)
    rows = [
        f"{name}: {count} (jobs {', '.join(str(j) for j in which[name][:8])})"
        for name, count in counts.most_common()
    ]
    total = sum(counts.values())
    return {
        "title": f"Cancellations by reason{title} ({total})",
        "rows": rows,
        "text": " ".join(notes),
        "empty": "No cancellations.",
    }


def job_row(job: Row, *, type_names: dict[int, str], customer_names: dict[int, str]) -> str:
    kind = type_names.get(int(job.get("job_type_id") or 0), "job")
    customer = customer_names.get(int(job.get("customer_id") or 0)) or f"customer #{job.get('customer_id')}"
    summary = plain(job.get("summary"))
    text = f"Job {job['id']} · {kind} · {job.get('job_status')} · {customer}"
    return f"{text} · {summary[:60]}" if summary else text
