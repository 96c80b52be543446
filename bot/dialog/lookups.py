"""The look-ups a write makes before its card: what `resolve` asks for (`NeedLoad`) and the runner answers.

Each is a function of the client, the cached reference data and the `Load`'s args, returning JSON rows
(the client's models dumped: snake_case names, UTC ISO times). Reads (`Load("read")`) are answered by
`bot.dialog.reads`; reference lists, job facts and help's examples by `bot.dialog.refdata`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from bot.dialog import named_job, rules, timefmt
from bot.dialog.refdata import REFERENCE_FIELDS, ReferenceData, as_row, collect, maybe, together
from bot.servicetitan import ServiceTitanClient

Row = dict[str, Any]
Lookup = Callable[[ServiceTitanClient, ReferenceData, dict[str, Any]], Awaitable[Any]]


async def job(client: ServiceTitanClient, refdata: ReferenceData, args: dict[str, Any]) -> Row:
    """A job with its appointments and who is on them."""
    job_id = int(args["job_id"])
    found = await maybe(client.get_job(job_id))
    if found is None:
        return {"job": None}
    appointments, assignments = await together(
        collect(client.iter_appointments(job_id=job_id)),
        collect(client.iter_appointment_assignments(job_id=job_id)),
    )
    return {"job": as_row(found), "appointments": appointments, "assignments": assignments}


async def job_appointments(client: ServiceTitanClient, refdata: ReferenceData, args: dict[str, Any]) -> Row:
    """A job's appointments and who is on them, for appointment-level changes: not the job row (ServiceTitan
    mirrors a canceled or completed job in its appointments), so 2 calls, not 3; the job only when it has
    no appointments (to tell a job without visits from no job). The job's facts, which the card asks for
    next (`job_facts`), are read with them when none are cached (the job is then the third call), so the
    rate limiter books the three together; cached afterwards, that look-up costs nothing."""
    job_id = int(args["job_id"])
    facts_kept = await refdata.kept_job_facts(job_id) is not None
    appointments, assignments, _ = await together(
        collect(client.iter_appointments(job_id=job_id)),
        collect(client.iter_appointment_assignments(job_id=job_id)),
        _nothing() if facts_kept else refdata.fresh_job_facts(job_id),
    )
    if not appointments:
        found = await maybe(client.get_job(job_id))
        return {"job": as_row(found) if found else None, "appointments": [], "assignments": []}
    return {"job": None, "appointments": appointments, "assignments": assignments}


async def _nothing() -> None:
    return None


async def appointment(client: ServiceTitanClient, refdata: ReferenceData, args: dict[str, Any]) -> Row:
    appt_id = int(args["appointment_id"])
    found = await maybe(client.get_appointment(appt_id))
    if found is None:
        return {"appointment": None}
    assignments = await collect(client.iter_appointment_assignments(appointment_ids=[appt_id]))
    return {"appointment": as_row(found), "assignments": assignments}


async def customer(client: ServiceTitanClient, refdata: ReferenceData, args: dict[str, Any]) -> Row:
    found = await maybe(client.get_customer(int(args["customer_id"])))
    if found is None:
        return {"customer": None}
    locations = await collect(client.iter_locations(customer_id=found.id))
    return {"customer": as_row(found), "locations": locations}


async def customers_named(
    client: ServiceTitanClient, refdata: ReferenceData, args: dict[str, Any]
) -> list[Row]:
    """The customers a name (or phone number) the user gave for a booking names: the reads' own look-up
    (`refdata.Names.customers`: active customers, "the Garcias" as "Garcia", cached), ten at most."""
    return await refdata.names.customers(str(args["name"]))


async def conflicts(client: ServiceTitanClient, refdata: ReferenceData, args: dict[str, Any]) -> list[Row]:
    """The technicians' other visits overlapping [start, end) (each technician's read at once)."""
    start, end = timefmt.parse_iso(args["start"]), timefmt.parse_iso(args["end"])
    exclude = int(args.get("exclude") or 0)
    tech_ids = [int(t) for t in str(args["technician_ids"]).split(",") if t]

    async def overlapping(tech_id: int) -> list[Row]:
        found: list[Row] = []
        # A visit starting up to 12 hours earlier may still run into the new window.
        async for appt in client.iter_appointments(
            technician_id=tech_id, starts_on_or_after=start - timedelta(hours=12), starts_before=end
        ):
            if appt.id == exclude or appt.status in {"Canceled", "Done"}:
                continue
            if rules.overlaps(start, end, appt.start, appt.end):
                found.append({"technician_id": tech_id, "appointment": as_row(appt)})
        return found

    per_technician = await together(*(overlapping(t) for t in tech_ids))
    return [row for rows in per_technician for row in rows]


async def job_facts(client: ServiceTitanClient, refdata: ReferenceData, args: dict[str, Any]) -> Row:
    return await refdata.job_facts(int(args["job_id"]))


async def references(client: ServiceTitanClient, refdata: ReferenceData, args: dict[str, Any]) -> Row:
    """Several reference lists at once (`names`: comma-separated keys of REFERENCE_FIELDS), by name."""
    names = [name for name in str(args["names"]).split(",") if name]
    return dict(zip(names, await together(*(refdata.reference(name) for name in names)), strict=True))


async def help_examples(
    client: ServiceTitanClient, refdata: ReferenceData, args: dict[str, Any]
) -> list[str]:
    return await refdata.help_examples(args)


LOOKUPS: dict[str, Lookup] = {
    "job": job,
    "job_appointments": job_appointments,
    "appointment": appointment,
    "customer": customer,
    "customers_named": customers_named,
    "named_jobs": named_job.lookup,
    "conflicts": conflicts,
    "job_facts": job_facts,
    "references": references,
    "help": help_examples,
}
# A card's "before" comes from these; the runner stamps when it was read (a confirm re-reads an old one).
STAMPED = frozenset({"job", "job_appointments", "appointment"})


def is_reference(what: str) -> bool:
    return what in REFERENCE_FIELDS
