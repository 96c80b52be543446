"""Example sentences that work on the tenant's live data, with its real job ids.

Used by the help answer (through the runner, cached) and by the console demo's banner, so an example a
person copies is never about a completed or canceled job. When the data has nothing that fits an example,
the example is phrased without an id ("show job ‹number›").
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.servicetitan import ServiceTitanClient

Row = dict[str, Any]
Reference = Callable[[str], Awaitable[list[Row]]]  # ReferenceData.reference: cached lists by name
LOOK_AHEAD = timedelta(days=14)  # upcoming visits read for examples: enough to find a few, bounded
MAX_JOBS = 200  # jobs read per status at most (a large tenant has many thousands)

# Examples phrased without ids, for data with nothing that fits.
FALLBACK: dict[str, str] = {
    "reschedule": "reschedule job ‹number› to Friday 2pm",
    "assign": "assign ‹technician› to job ‹number›",
    "hold": "put job ‹number› on hold, waiting for parts",
    "cancel": "cancel job ‹number›, customer canceled",
    "book": "book a drain cleaning for ‹customer name› tomorrow morning",
    "note": "add a note to job ‹number›: gate code 4411",
    "show": "show job ‹number›",
    "schedule": "what's on ‹technician›'s schedule this week",
}
DISPATCHER_ORDER = ("reschedule", "assign", "hold", "cancel", "book", "note", "show", "schedule")


@dataclass
class _Sample:
    """What the examples are picked from: scheduled single-visit jobs still ahead, and jobs by status."""

    today: datetime  # local
    upcoming: dict[int, Any] = field(default_factory=dict)  # job id -> its appointment still ahead
    single: list[Any] = field(default_factory=list)  # scheduled jobs with one appointment, still ahead
    by_status: dict[str, list[int]] = field(default_factory=dict)


async def _sample(client: ServiceTitanClient, *, tz: str, now: datetime | None) -> _Sample:
    zone = ZoneInfo(tz)
    sample = _Sample(today=(now or datetime.now(zone)).astimezone(zone))
    async for appointment in client.iter_appointments(
        starts_on_or_after=sample.today, starts_before=sample.today + LOOK_AHEAD
    ):
        sample.upcoming[appointment.job_id] = appointment
    for status in ("Scheduled", "Canceled", "Hold"):
        seen = 0
        async for job in client.iter_jobs(job_status=status):
            sample.by_status.setdefault(status, []).append(job.id)
            if status == "Scheduled" and job.appointment_count == 1 and job.id in sample.upcoming:
                sample.single.append(job)
            seen += 1
            if seen >= MAX_JOBS:
                break
    sample.single.sort(key=lambda job: job.id)
    return sample


async def _office(client: ServiceTitanClient, sample: _Sample) -> dict[str, str]:
    """The reschedule, assign and show examples of the demo banner, keyed by kind."""
    found: dict[str, str] = {}
    single = list(sample.single)
    if single:
        first = single.pop(0)
        start = sample.upcoming[first.id].start.astimezone(sample.today.tzinfo).date()
        day = _another_weekday(sample.today.date(), avoid=start)
        found["reschedule"] = f"reschedule job {first.id} to {day.strftime('%A').lower()}"
    shared = await _shared_first_name(client)
    if shared and single:
        name, namesakes = shared
        candidates = {sample.upcoming[job.id].id: job.id for job in single[:50]}
        taken = set()
        async for assignment in client.iter_appointment_assignments(appointment_ids=list(candidates)):
            if assignment.technician_id in namesakes:
                taken.add(candidates[assignment.appointment_id])
        free = [job.id for job in single[:50] if job.id not in taken]
        if free:
            found["assign"] = f"assign {name} to job {free[0]}"
    shown = (
        sample.by_status.get("Canceled")
        or sample.by_status.get("Hold")
        or [i for ids in sample.by_status.values() for i in ids]
    )
    if shown:
        found["show"] = f"show job {min(shown)}"
    return found


async def example_sentences(client: ServiceTitanClient, *, tz: str, now: datetime | None = None) -> list[str]:
    """Three sentences that work on the data being served, with its real job ids.

    A reschedule of a scheduled job with one appointment, still ahead; an assignment by a first name two
    technicians share (so the bot asks which one) on another such job neither of them is on; and a look
    at a canceled job (the answer says why), else one on hold, else any job.
    """
    found = await _office(client, await _sample(client, tz=tz, now=now))
    return [found[kind] for kind in ("reschedule", "assign", "show") if kind in found]


async def technician_examples(
    client: ServiceTitanClient, technician_id: int, *, tz: str, now: datetime | None = None
) -> list[str]:
    """What a technician asks: their day, their week, and their next job (a real id from the data)."""
    next_job = await _next_job(client, technician_id, tz=tz, now=now)
    examples = ["my appointments today", "my appointments this week"]
    if next_job is not None:
        examples.append(f"show job {next_job}")
    return examples


async def _next_job(
    client: ServiceTitanClient, technician_id: int, *, tz: str, now: datetime | None
) -> int | None:
    zone = ZoneInfo(tz)
    today = (now or datetime.now(zone)).astimezone(zone)
    upcoming = {
        a.id: a
        async for a in client.iter_appointments(
            technician_id=technician_id, starts_on_or_after=today, starts_before=today + LOOK_AHEAD
        )
    }
    next_job: tuple[datetime, int] | None = None
    if upcoming:
        async for assignment in client.iter_appointment_assignments(appointment_ids=list(upcoming)):
            if assignment.technician_id == technician_id and assignment.active is not False:
                start = upcoming[assignment.appointment_id].start
                if next_job is None or (start, assignment.job_id) < next_job:
                    next_job = (start, assignment.job_id)
    return next_job[1] if next_job else None


async def help_examples(
    client: ServiceTitanClient,
    *,
    role: str,
    technician_id: int | None,
    tz: str,
    now: datetime | None,
    reference: Reference,
) -> list[str]:
    """The help answer's examples for a role, each one working on the live data (distinct jobs, so trying
    them one after another works too)."""
    if role == "guest":
        return ["help"]
    if role == "technician":
        examples = ["my appointments today", "my appointments this week"]
        job = await _next_job(client, technician_id, tz=tz, now=now) if technician_id is not None else None
        if job is not None:
            examples += [f"show job {job}", f"notes on job {job}"]
        else:
            examples += [FALLBACK["show"], "notes on job ‹number›"]
        return examples
    sample = await _sample(client, tz=tz, now=now)
    found = await _office(client, sample)
    used = {int(word) for text in found.values() for word in text.split() if word.isdigit()}
    spare = [job for job in sample.single if job.id not in used]
    holds, cancels, kinds, staff = await asyncio.gather(
        reference("hold_reasons"),
        reference("cancel_reasons"),
        reference("job_types"),
        reference("technicians"),
    )
    hold, cancel, kind = _first_active(holds), _first_active(cancels), _first_active(kinds)
    technicians = [t for t in staff if t.get("active", True) is not False]
    if len(spare) > 0:
        found["hold"] = f"put job {spare[0].id} on hold, {(hold or 'waiting for parts').lower()}"
    if len(spare) > 1:
        found["cancel"] = f"cancel job {spare[1].id}, {(cancel or 'customer canceled').lower()}"
    if len(spare) > 2:
        found["note"] = f"add a note to job {spare[2].id}: gate code 4411"
    if sample.single and kind:
        # dispatchers know customers by name: the example books by the customer's name
        customer = await client.get_customer(sample.single[0].customer_id)
        found["book"] = f"book a {kind.lower()} for {customer.name} tomorrow morning"
    if technicians:
        found["schedule"] = f"what's on {technicians[0]['name']}'s schedule this week"
    examples = [found.get(kind_) or FALLBACK[kind_] for kind_ in DISPATCHER_ORDER]
    if role == "manager":
        examples.append("find canceled jobs last week")
    return examples


def _first_active(rows: list[Row]) -> str | None:
    return next((str(r["name"]) for r in rows if r.get("active", True) is not False and r.get("name")), None)


def _another_weekday(today: date, *, avoid: date) -> date:
    """A weekday two to eight days ahead that is not `avoid`, so a reschedule there is a real change."""
    day = today + timedelta(days=2)
    while day.weekday() >= 5 or day == avoid:
        day += timedelta(days=1)
    return day


async def _shared_first_name(client: ServiceTitanClient) -> tuple[str, set[int]] | None:
    """A first name two or more active technicians share, and their ids."""
    by_first_name: dict[str, set[int]] = {}
    async for technician in client.iter_technicians():
        if technician.active and technician.name.split():
            by_first_name.setdefault(technician.name.split()[0], set()).add(technician.id)
    shared = sorted((name, ids) for name, ids in by_first_name.items() if len(ids) > 1)
    return shared[0] if shared else None
