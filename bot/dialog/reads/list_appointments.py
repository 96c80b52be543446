"""*my appointments today*, *is Sarah free friday?*: the visits of a day or range (today's by default),
of a technician, a job or a project. A technician's own list says where to go and what for."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.dialog import rules, timefmt
from bot.dialog.people import active_rows, is_mention, names_me
from bot.dialog.reads import free, named, overview
from bot.dialog.reads.common import (
    MAX_READ_ROWS,
    Answer,
    ReadContext,
    day_span,
    span_title,
    technician_name,
    technicians_on,
)
from bot.dialog.reads.text import appointment_row
from bot.dialog.refdata import collect, together

INTENT = "list_appointments"
NEEDS_JOB = False

Row = dict[str, Any]
NEXT_DAYS = timedelta(days=60)


async def answer(ctx: ReadContext, slots: dict[str, Any]) -> Answer:
    if slots.get("free"):
        return await free.answer(ctx, slots)
    filters: dict[str, Any] = {}
    asked = await named.person(ctx, slots, customers=False, title="Appointments")
    if asked.ask is not None:
        return await _customer_work(ctx, slots) or asked.ask
    tech_id = asked.filters.get("technician_id")
    if slots.get("next"):
        return await _next(ctx, tech_id, after=slots.get("after"))
    if tech_id is not None:
        filters["technician_id"] = tech_id
    for slot in ("job_id", "project_id"):
        if slots.get(slot) is not None:
            filters[slot] = int(slots[slot])
    span = day_span(slots.get("range"), ctx.tz, default_today=None if "job_id" in filters else ctx.now)
    if span:
        filters["starts_on_or_after"], filters["starts_before"] = span
    appointments = await collect(ctx.client.iter_appointments(**filters), MAX_READ_ROWS)
    appointments.sort(key=lambda a: a["start"])
    ids = [int(a["id"]) for a in appointments]
    unassigned = ""
    if slots.get("unassigned") and ids:
        staffed = technicians_on(await collect(ctx.client.iter_appointment_assignments(appointment_ids=ids)))
        appointments = [
            a for a in appointments if not staffed.get(int(a["id"])) and a.get("status") != "Canceled"
        ]
        ids = [int(a["id"]) for a in appointments]
        unassigned = "Unassigned "
    who = f" of job {filters['job_id']}" if "job_id" in filters else ""
    if tech_id is not None:
        # One technician's visits: where to go and what for, not their own name on every row.
        assignments, facts, name = await together(
            collect(ctx.client.iter_appointment_assignments(appointment_ids=ids)) if ids else _none(),
            ctx.refdata.many_job_facts([int(a["job_id"]) for a in appointments]),
            technician_name(ctx, tech_id),
        )
        who = f"{who} for {name}"
        rows = [
            visit_row(
                a, tz=ctx.tz, facts=facts.get(int(a["job_id"])), others=_others(a, assignments, tech_id)
            )
            for a in appointments
        ]
        if "job_id" in filters:  # "who else is on it": say so when nobody is
            rows = [r if " · with " in r else f"{r} · nobody else on it" for r in rows]
    else:
        assignments = (
            await collect(ctx.client.iter_appointment_assignments(appointment_ids=ids)) if ids else []
        )
        names = technicians_on(assignments)
        rows = [appointment_row(a, tz=ctx.tz, names=names.get(int(a["id"]), [])) for a in appointments]
    when = span_title(span, ctx.tz)
    if not appointments:
        # "is Sarah free friday?": say it in words rather than an empty list
        when = when if when.startswith(" on ") else when.replace(" – ", " to ").replace(" ", " from ", 1)
        word = "Unassigned appointments" if unassigned else "Appointments"
        return {"title": f"{word}{who}{when} (0)", "rows": [], "empty": f"No {word.casefold()}{who}{when}."}
    word = "Unassigned appointments" if unassigned else "Appointments"
    items = [
        {
            "appointment_id": int(a["id"]),
            "job_id": int(a["job_id"]),
            "weekday": timefmt.local(
                timefmt.parse_iso(str(a["start"])), ctx.tz
            ).weekday(),  # "the monday one"
        }
        for a in appointments
    ]
    return {"title": f"{word}{who}{when} ({len(appointments)})", "rows": rows, "items": items}


async def _next(ctx: ReadContext, tech_id: int | None, *, after: Any = None) -> Answer:
    """ "What's my next job": the technician's next visit from now, however far ahead (within NEXT_DAYS);
    "… after this one": the first one after the visit `after` (an appointment id) in the same order."""
    if tech_id is None:
        return {
            "title": "Next visit",
            "text": "Whose next visit? Say e.g. _Mike Carter's next job_.",
            "rows": [],
        }
    now = ctx.now or datetime.now(UTC)
    found = await collect(
        ctx.client.iter_appointments(
            technician_id=tech_id, starts_on_or_after=now - timedelta(hours=12), starts_before=now + NEXT_DAYS
        ),
        MAX_READ_ROWS,
    )
    ahead = sorted(
        (
            a
            for a in found
            if a.get("status") not in {"Done", "Canceled"} and timefmt.parse_iso(a["end"]) > now
        ),
        key=lambda a: a["start"],
    )
    name = await technician_name(ctx, tech_id)
    later = ""
    if after is not None:
        order = [int(a["id"]) for a in ahead]
        if int(after) in order:
            ahead = ahead[order.index(int(after)) + 1 :]
            later = f" after appointment {int(after)}"
    if not ahead:
        days = NEXT_DAYS.days
        return {
            "title": f"Next visit for {name}{later}",
            "rows": [],
            "empty": f"No visits for {name}{later} in the next {days} days.",
        }
    appt = ahead[0]
    # a visit on hold may not happen: said so, with the next one that is not on hold beside it
    shown = [appt] + (
        [] if appt.get("status") != "Hold" else [a for a in ahead if a.get("status") != "Hold"][:1]
    )
    ids = [int(a["id"]) for a in shown]
    assignments, facts = await together(
        collect(ctx.client.iter_appointment_assignments(appointment_ids=ids)),
        ctx.refdata.many_job_facts([int(a["job_id"]) for a in shown]),
    )
    rows = [
        visit_row(a, tz=ctx.tz, facts=facts.get(int(a["job_id"])), others=_others(a, assignments, tech_id))
        for a in shown
    ]
    answer: Answer = {
        "title": f"Next visit for {name}{later}",
        "rows": rows,
        "job_id": int(appt["job_id"]),
        "appointment_id": int(appt["id"]),
    }
    if len(shown) > 1:  # "the second one": the visit not on hold
        answer["items"] = [{"appointment_id": int(a["id"]), "job_id": int(a["job_id"])} for a in shown]
    if appt.get("status") == "Hold":
        after = "none after it is off hold"
        if len(shown) > 1:
            free = shown[1]
            at = timefmt.short_span(timefmt.parse_iso(free["start"]), timefmt.parse_iso(free["end"]), ctx.tz)
            after = f"your next visit not on hold is job {free['job_id']}, {at}"
        answer["text"] = f"Job {appt['job_id']} is on hold, so it may not go ahead; {after}."
    return answer


async def _none() -> list[Row]:
    return []


def _others(appt: Row, assignments: list[Row], tech_id: int) -> list[str]:
    """The other technicians active on a technician's visit."""
    return [
        str(x["technician_name"])
        for x in assignments
        if x.get("active", True)
        and int(x["appointment_id"]) == int(appt["id"])
        and int(x["technician_id"]) != tech_id
    ]


def visit_row(appt: Row, *, tz: str, facts: Row | None, others: list[str]) -> str:
    """A visit in a technician's own list: when, the job, where to go and what for; other technicians only
    when there are any ("Mon Nov 23 1:00 PM – 3:00 PM · job 1034 · Furnace Repair · Barbara White ·
    12 Oak St, Evanston, IL 60201 · Scheduled")."""
    start, end = timefmt.parse_iso(appt["start"]), timefmt.parse_iso(appt["end"])
    parts = [timefmt.short_span(start, end, tz), f"job {appt['job_id']}"]
    if facts:
        customer = str(facts.get("customer") or "")
        parts += [
            str(facts.get("job_type") or "job"),
            re.sub(r"\s*\(#\d+\)$", "", customer) or "customer unknown",
            str(facts.get("address") or "no address on file"),
        ]
    parts.append(str(appt.get("status")))
    if others:
        parts.append(f"with {', '.join(others)}")
    return " · ".join(parts)


async def _customer_work(ctx: ReadContext, slots: dict[str, Any]) -> Answer | None:
    """ "whats on for ann lee next week": no technician has the name, one customer does: that customer's
    work on those days (bot.dialog.reads.overview); None otherwise."""
    name = str(slots.get("technician") or "")
    if not name or names_me(name) or is_mention(name) or slots.get("technician_id") is not None:
        return None
    match = rules.match_technician(name, active_rows(await ctx.refdata.reference("technicians")))
    if match is not None and match.kind != "none":
        return None
    people = await ctx.refdata.names.customers(name)
    if len(people) != 1:
        return None
    span = day_span(slots.get("range"), ctx.tz)
    return await overview.answer(ctx, int(people[0]["id"]), str(people[0]["name"]), span)
