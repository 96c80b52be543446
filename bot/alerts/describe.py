"""What an alert or a day plan says about a job: read from ServiceTitan (reference data cached in the store).

`Describer.alert(event)` fills in a hold or cancel: the job's number and type, customer and address, its
appointments with their technicians, the reason's name, the memo, who did it and when. A cancel's reason,
memo and author come from its canceled-log row; a hold's from the job's history (the 2025 API has no read
of a hold reason), whose memo is "Reason name: the user's words".

ServiceTitan's job status follows its appointments: holding a job's only appointment (or its last open one)
turns the job to Hold too, so the export shows a job hold and an appointment hold. The job history says
which it was ("Appointment On Hold" or "Job On Hold"); a job hold that was an appointment's is reported as
that appointment's hold, under the key the appointment's own event has, so it is delivered once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from bot.alerts.events import ChangeEvent
from bot.dialog import timefmt
from bot.servicetitan import ServiceTitanClient
from bot.servicetitan.errors import NotFound
from bot.store import Store, cached

log = logging.getLogger("bot.alerts")

REF_NAMESPACE = "alert-ref"
REF_TTL_SECONDS = 15 * 60
UNKNOWN_PERSON = "a ServiceTitan user"  # who made a change when ServiceTitan names nobody we can show


@dataclass
class Visit:
    """One appointment as an alert or a day plan shows it."""

    id: int
    job_id: int
    start: datetime
    end: datetime
    window_start: datetime | None
    window_end: datetime | None
    status: str
    technicians: list[str] = field(default_factory=list)
    technician_ids: list[int] = field(default_factory=list)
    special_instructions: str = ""
    modified_on: datetime | None = None


@dataclass
class JobFacts:
    job_id: int
    number: str
    type_name: str
    status: str
    customer: str
    address: str
    visits: list[Visit] = field(default_factory=list)


@dataclass
class Alert:
    """A hold or cancel, ready to be drawn."""

    event: ChangeEvent
    job: JobFacts
    reason: str
    memo: str
    actor: str  # "Dana Reyes", or a Slack mention `<@U123>` when it came through the bot
    at: datetime


async def _all(items: AsyncIterator[Any]) -> list[Any]:
    return [item async for item in items]


def split_reason(memo: str, reason_names: list[str]) -> tuple[str, str]:
    """A history memo "Waiting for parts: compressor" as (reason name, the user's words)."""
    text = memo.strip()
    for name in sorted(reason_names, key=len, reverse=True):
        if name and text.casefold().startswith(name.casefold()):
            return name, text[len(name) :].lstrip(" :—-").strip()
    return "", text


def address_of(address: Any) -> str:
    if address is None:
        return ""
    unit = f" {address.unit}" if address.unit else ""
    return f"{address.street}{unit}, {address.city}, {address.state} {address.zip}"


class Describer:
    def __init__(self, client: ServiceTitanClient, store: Store) -> None:
        self.client = client
        self.store = store

    async def _names(self, key: str) -> dict[int, str]:
        async def load() -> dict[str, Any]:
            rows: list[Any]
            if key == "job-types":
                rows = await _all(self.client.iter_job_types())
            elif key == "hold-reasons":
                rows = await _all(self.client.iter_job_hold_reasons(active="Any"))
            elif key == "cancel-reasons":
                rows = await _all(self.client.iter_job_cancel_reasons(active="Any"))
            else:  # people: office employees and technicians
                rows = await _all(self.client.iter_employees(active="Any"))
                rows += await _all(self.client.iter_technicians(active="Any"))
            return {"names": {str(row.id): row.name for row in rows}}

        data = await cached(self.store, namespace=REF_NAMESPACE, key=key, ttl=REF_TTL_SECONDS, load=load)
        return {int(k): str(v) for k, v in data["names"].items()}

    async def job(self, job_id: int) -> JobFacts:
        job = await self.client.get_job(job_id)
        types = await self._names("job-types")
        customer, location, visits = await asyncio.gather(
            self.client.get_customer(job.customer_id),
            self.client.get_location(job.location_id),
            self.visits(job_id=job_id),
        )
        return JobFacts(
            job_id=job.id,
            number=job.job_number or str(job.id),
            type_name=types.get(job.job_type_id, "job"),
            status=job.job_status,
            customer=customer.name,
            address=address_of(location.address) or address_of(customer.address),
            visits=visits,
        )

    async def visits(self, **filters: Any) -> list[Visit]:
        appointments = await _all(self.client.iter_appointments(**filters))
        if not appointments:
            return []
        assignments = await _all(
            self.client.iter_appointment_assignments(appointment_ids=[a.id for a in appointments])
        )
        out = []
        for a in sorted(appointments, key=lambda a: a.start):
            on = [s for s in assignments if s.appointment_id == a.id and s.active]
            out.append(
                Visit(
                    id=a.id,
                    job_id=a.job_id,
                    start=a.start,
                    end=a.end,
                    window_start=a.arrival_window_start,
                    window_end=a.arrival_window_end,
                    status=a.status,
                    technicians=[s.technician_name for s in on],
                    technician_ids=[s.technician_id for s in on],
                    special_instructions=a.special_instructions or "",
                    modified_on=a.modified_on,
                )
            )
        return out

    async def technicians_of(self, appointment_id: int, at: str) -> dict[int, str]:
        """Who is (or was, until this change at `at`) on an appointment: technician id -> name."""
        rows = await _all(
            self.client.iter_appointment_assignments(appointment_ids=[appointment_id], active="Any")
        )
        when = datetime.fromisoformat(at)
        return {r.technician_id: r.technician_name for r in rows if r.active or r.modified_on >= when}

    async def person(self, employee_id: int | None) -> str:
        """The name of the employee or technician who made a change, as a reader knows them.

        An id in neither list (an API integration user, as the simulator stamps direct changes, or a user
        deleted since) is "a ServiceTitan user": its internal id means nothing to a manager."""
        if employee_id is None:
            return UNKNOWN_PERSON
        names = await self._names("people")
        return names.get(int(employee_id), UNKNOWN_PERSON)

    async def alert(self, event: ChangeEvent, origin: str) -> Alert | None:
        """The alert for a hold or cancel event; None when there is nothing to report (an old hold)."""
        try:
            facts = await self.job(event.job_id)
        except NotFound:
            log.warning("alerts: job %s of a %s is gone", event.job_id, event.kind)
            return None
        at = event.when
        actor_id = event.actor_id
        if event.kind == "job_canceled":
            reason = (await self._names("cancel-reasons")).get(int(event.reason_id or 0), "")
            memo = event.memo
        else:
            history = await self.client.get_job_history(event.job_id)
            holds = [
                h
                for h in history
                if "hold" in h.event_type.casefold() and "remov" not in h.event_type.casefold()
            ]
            if event.kind == "job_hold":
                last = max(holds, key=lambda h: h.date) if holds else None
                if last is not None and "appointment" in last.event_type.casefold():
                    event = _as_appointment_hold(event, facts, last.date)
            wanted = "appointment" if event.kind == "appointment_hold" else "job"
            holds = [h for h in holds if wanted in h.event_type.casefold()]
            # The entry of this very change (same stamp as the row), else the latest of its kind.
            latest = next((h for h in holds if h.date == event.when), None) or (
                max(holds, key=lambda h: h.date) if holds else None
            )
            if event.extra.get("unverified") and (
                latest is None or latest.date < datetime.fromisoformat(origin)
            ):
                return None  # on hold since before the watcher started; this row changed for another reason
            reasons = list((await self._names("hold-reasons")).values())
            reason, memo = split_reason(latest.memo or "", reasons) if latest else ("", "")
            if latest is not None:
                at, actor_id = latest.date, latest.employee_id
        actor = await self.person(actor_id)
        return Alert(event=event, job=facts, reason=reason, memo=memo, actor=actor, at=at)


def _as_appointment_hold(event: ChangeEvent, facts: JobFacts, held_at: datetime) -> ChangeEvent:
    """A job's hold that its appointment's hold caused, as that appointment's event (its key and time as
    the appointment's export row gives them); the job's event unchanged when no held appointment is found."""
    held = [v for v in facts.visits if v.status == "Hold" and v.modified_on is not None]
    if not held:
        return event
    visit = next((v for v in held if v.modified_on == held_at), None) or max(
        held, key=lambda v: v.modified_on or held_at
    )
    assert visit.modified_on is not None
    at = visit.modified_on.isoformat()
    return ChangeEvent(
        "appointment_hold",
        f"appointment:{visit.id}:{at}:appointment_hold",
        event.job_id,
        at,
        appointment_id=visit.id,
        extra=dict(event.extra),
    )


def visit_time(visit: Visit, tz: str) -> str:
    """ "8:00 AM – 10:00 AM arrival" (the window when there is one), else the start and end."""
    if visit.window_start and visit.window_end:
        first, last = timefmt.local(visit.window_start, tz), timefmt.local(visit.window_end, tz)
        return f"{timefmt.clock(first)} – {timefmt.clock(last)} arrival"
    first, last = timefmt.local(visit.start, tz), timefmt.local(visit.end, tz)
    return f"{timefmt.clock(first)} – {timefmt.clock(last)}"


def local_day(moment: datetime, tz: str) -> date:
    return timefmt.local(moment, tz).date()
