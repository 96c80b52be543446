"""Rows of read answers (jobs, appointments, notes, projects) formatted for people. Pure functions.

The runner fetches ServiceTitan rows (dicts from the models) and hands them here; the engine pages the
formatted rows.
"""

from __future__ import annotations

import re
from typing import Any

from bot.dialog import timefmt

Row = dict[str, Any]


def plain(html: str | None) -> str:
    """ServiceTitan summaries are HTML; show them as one line of text."""
    text = re.sub(r"<[^>]+>", " ", html or "")
    return re.sub(r"\s+", " ", text).strip()


def job_row(job: Row, *, type_names: dict[int, str], customer_names: dict[int, str]) -> str:
    kind = type_names.get(int(job.get("job_type_id") or 0), "job")
    customer = customer_names.get(int(job.get("customer_id") or 0)) or f"customer #{job.get('customer_id')}"
    summary = plain(job.get("summary"))
    text = f"Job {job['id']} · {kind} · {job.get('job_status')} · {customer}"
    return f"{text} · {summary[:60]}" if summary else text


def appointment_row(appt: Row, *, tz: str, names: list[str], job: Row | None = None) -> str:
    start, end = timefmt.parse_iso(appt["start"]), timefmt.parse_iso(appt["end"])
    who = ", ".join(names) or "unassigned"
    where = ""
    if job is not None:
        where = f" · {plain(job.get('summary'))[:40]}" if job.get("summary") else ""
    return (
        f"{timefmt.short_span(start, end, tz)} · job {appt['job_id']} · {who} · {appt.get('status')}{where}"
    )


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


def note_row(note: Row, *, tz: str) -> str:
    when = timefmt.local(timefmt.parse_iso(note["created_on"]), tz)
    pin = "📌 " if note.get("is_pinned") else ""
    return f"{pin}{timefmt.short_day(when)} {timefmt.clock(when)}: {plain(note.get('text'))}"


def project_row(project: Row, *, tz: str) -> str:
    name = project.get("name") or f"Project {project.get('number')}"
    parts = [f"Project {project['id']} · {name}", str(project.get("status") or "no status")]
    # Project dates are calendar dates sent as midnight UTC: show that date, not a shifted local one.
    if project.get("start_date"):
        parts.append(f"starts {timefmt.short_day(timefmt.parse_iso(project['start_date']))}")
    if project.get("target_completion_date"):
        parts.append(f"due {timefmt.short_day(timefmt.parse_iso(project['target_completion_date']))}")
    jobs = project.get("job_ids") or []
    if jobs:
        parts.append(f"jobs {', '.join(str(j) for j in jobs[:6])}")
    return " · ".join(parts)


def address_text(address: Row | None) -> str:
    """A ServiceTitan address on one line: "12 Oak St, Chicago, IL 60601"."""
    if not address:
        return "no address on file"
    street = " ".join(str(address[k]) for k in ("street", "unit") if address.get(k))
    place = " ".join(str(address[k]) for k in ("state", "zip") if address.get(k))
    return ", ".join(x for x in (street, str(address.get("city") or ""), place) if x)
