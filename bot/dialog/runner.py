"""The dialog's one boundary with ServiceTitan: performs `Load` and `CallServiceTitan` effects.

Each lookup becomes a `Loaded` event and each write a `Called` event for `bot.dialog.engine.step`. Rows
are handed over as plain dicts (the client's models dumped in JSON mode: snake_case names, UTC ISO times).
Reference data that rarely changes goes through `bot.store.cache.cached` with a TTL, so a warm cache costs
no ServiceTitan call. Errors of ServiceTitan become messages for the user here, in one place.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pydantic import BaseModel

from bot.dialog import examples, failures, reads, rules, timefmt
from bot.dialog.resolve import (
    NOT_LINKED,
    active_rows,
    drift_text,
    is_mention,
    mention_problem,
    names_me,
)
from bot.dialog.state import Called, Guard, Load, Loaded, Plan
from bot.servicetitan import Conflict, NotFound, ServiceTitanClient, ServiceTitanError, Unavailable
from bot.servicetitan.models import AppointmentCreate, JobAppointmentCreate, JobCreate, JobUpdate
from bot.store import Record, Store, StoreUnavailable, cached

log = logging.getLogger("bot.dialog")

Row = dict[str, Any]
CACHE_NAMESPACE = "refdata"
MAX_READ_ROWS = 200
_STATUS = {
    "scheduled": "Scheduled",
    "completed": "Completed",
    "canceled": "Canceled",
    "cancelled": "Canceled",
    "hold": "Hold",
    "in_progress": "InProgress",
    "dispatched": "Dispatched",
}


REFERENCE_FIELDS: dict[str, tuple[str, ...]] = {
    "technicians": ("id", "name", "active"),
    "hold_reasons": ("id", "name", "active"),
    "cancel_reasons": ("id", "name", "active"),
    "job_types": ("id", "name", "business_unit_ids", "duration", "active"),
    "business_units": ("id", "name", "active"),
    "arrival_windows": ("id", "start", "duration", "business_unit_ids", "active"),
    "campaigns": ("id", "name", "active"),
}
_JOB_LIST_TITLE = {
    "Scheduled": "Scheduled jobs",
    "Dispatched": "Dispatched jobs",
    "Completed": "Completed jobs",
    "Canceled": "Canceled jobs",
    "Hold": "Jobs on hold",
    "InProgress": "Jobs in progress",
}


def _row(model: BaseModel) -> Row:
    return model.model_dump(mode="json")


def _span_title(span: tuple[datetime, datetime] | None, tz: str) -> str:
    """A list title's days: " on Tuesday, November 24, 2026" for one day, " Mon Nov 23 – Sun Nov 29" for more."""
    if span is None:
        return ""
    first = timefmt.local(span[0], tz)
    last = timefmt.local(span[1] - timedelta(seconds=1), tz)
    if first.date() == last.date():
        return f" on {timefmt.day(first)}"
    return f" {timefmt.short_day(first)} – {timefmt.short_day(last)}"


async def _rows(items: AsyncIterator[Any], limit: int | None = None) -> list[Row]:
    out: list[Row] = []
    async for item in items:
        out.append(_row(item))
        if limit is not None and len(out) >= limit:
            break
    return out


async def _maybe(call: Awaitable[Any]) -> Any:
    """The result of a single-record GET, or None when ServiceTitan says it doesn't exist."""
    try:
        return await call
    except NotFound:
        return None


def _time_arg(args: Row, name: str) -> datetime | None:
    """An optional time argument of a write (ISO text in the plan), parsed."""
    return timefmt.parse_iso(args[name]) if args.get(name) else None


def _is_hold_event(event_type: str) -> bool:
    words = event_type.casefold()
    return "hold" in words and "remov" not in words


def split_reason(memo: str, reason_names: list[str]) -> tuple[str, str]:
    """A hold/cancel history memo as (reason, the user's words): "Waiting for parts: compressor" -> both;
    a memo that starts with no known reason is all words."""
    text = memo.strip()
    for name in sorted(reason_names, key=len, reverse=True):
        if name and text.casefold().startswith(name.casefold()):
            rest = text[len(name) :].lstrip(" :—-").strip()
            return name, rest
    return "", text


def _unanswered(exc: ServiceTitanError) -> str:
    """A short account of ServiceTitan not answering: "ServiceTitan answered 503"."""
    if exc.status:
        return f"ServiceTitan answered {exc.status}"
    return "ServiceTitan didn't answer in time"


def outcome_unknown(exc: ServiceTitanError) -> bool:
    """The client says a write may or may not have been applied (it could not read the outcome back).

    Other failures, `Unavailable` after a read-back that found nothing included, left ServiceTitan as it was.
    """
    return isinstance(exc, Unavailable) and "outcome is unknown" in str(exc)


# A confirm re-reads what its card shows as "before" only when that was read longer ago than this. A card
# confirmed within a minute of being shown is the common fast path, and skipping the re-read there keeps a
# reschedule within the 4-call budget (tests/dialog/test_service.py checks it); an older card may
# be out of date (another dispatcher's change), so it costs one read. An undo always re-reads.
FRESH_SECONDS = 60.0

FACTS_NAMESPACE = "jobfacts"
HELP_NAMESPACE = "helpexamples"
HELP_TTL = 300.0  # the examples name open jobs; a job may be closed meanwhile, so not for long
RECORD_NAMESPACE = "crm"


def _facts_row(
    job: Any, customer: Row | None, location: Row | None, *, types: dict[int, str], units: dict[int, str]
) -> Row:
    """A job's slow-changing facts as cards and a technician's day show them (cached by job id)."""
    return {
        "found": True,
        "id": job.id,
        "job_number": job.job_number,
        "job_type": types.get(job.job_type_id, f"job type #{job.job_type_id}"),
        "customer": f"{customer['name']} (#{job.customer_id})" if customer else f"#{job.customer_id}",
        "address": reads.address_text(location.get("address") if location else None),
        "business_unit": units.get(job.business_unit_id, f"#{job.business_unit_id}"),
    }


async def _unless_store_down(what: str, calls: list[Awaitable[Any]]) -> list[Any]:
    """The results of store calls run together, None for each the store couldn't serve: like `cached`, a
    job-facts cache is not worth failing for, so an unavailable store means loading from ServiceTitan (and
    not caching), with a warning in the log. Any other error of the store is raised."""
    results = await asyncio.gather(*calls, return_exceptions=True)
    down = [r for r in results if isinstance(r, StoreUnavailable)]
    if down:
        log.warning("job facts: store unavailable, %s skipped: %s", what, down[0])
    for result in results:
        if isinstance(result, BaseException) and not isinstance(result, StoreUnavailable):
            raise result
    return [None if isinstance(r, BaseException) else r for r in results]


class _NoSuchJob(Exception):
    """The job of a facts lookup doesn't exist (raised inside the cache load, so nothing is cached)."""


class Runner:
    """Performs effects against one ServiceTitan tenant; reference data cached in `store` for `cache_ttl` s,
    a job's slow-changing facts (type, customer, address, business unit; never its status) for `facts_ttl` s."""

    def __init__(
        self,
        client: ServiceTitanClient,
        store: Store,
        *,
        cache_ttl: float = 900.0,
        facts_ttl: float = 3600.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.client = client
        self.store = store
        self.clock = clock
        self.cache_ttl = cache_ttl
        self.facts_ttl = facts_ttl

    async def _record(self, kind: str, record_id: int) -> Row | None:
        """A customer or location by id, cached (names and addresses change rarely)."""
        getter = self.client.get_customer if kind == "customer" else self.client.get_location

        async def fetch() -> Row:
            found = await _maybe(getter(record_id))
            if found is None:
                return {"found": False}
            return {"found": True, "id": found.id, "name": found.name, "address": _row(found).get("address")}

        data = await cached(
            self.store, namespace=RECORD_NAMESPACE, key=f"{kind}:{record_id}", ttl=self.facts_ttl, load=fetch
        )
        return data if isinstance(data, dict) and data.get("found") else None

    async def job_facts(self, job_id: int) -> Row:
        """What a card says about a job besides its status: {found, id, job_type, customer, address,
        business_unit}. A miss costs the job, its customer and its location (each cached by id)."""

        async def fetch() -> Row:
            job = await _maybe(self.client.get_job(job_id))
            if job is None:
                raise _NoSuchJob
            types = await self.reference_names("job_types")
            units = await self.reference_names("business_units")
            customer = await self._record("customer", job.customer_id)
            location = await self._record("location", job.location_id)
            return _facts_row(job, customer, location, types=types, units=units)

        try:
            data = await cached(
                self.store, namespace=FACTS_NAMESPACE, key=str(job_id), ttl=self.facts_ttl, load=fetch
            )
        except _NoSuchJob:
            return {"found": False, "id": job_id}
        return dict(data) if isinstance(data, dict) else {"found": False, "id": job_id}

    async def help_examples(self, args: dict[str, Any]) -> list[str]:
        """The help answer's examples for a role, from live data (open jobs), cached for a few minutes: help
        answers at once, and an example is about a job that is open right now."""
        role, tz = str(args.get("role") or "guest"), str(args.get("tz") or "UTC")
        technician_id = int(args["technician_id"]) if args.get("technician_id") else None

        async def fetch() -> list[str]:
            return await examples.help_examples(
                self.client,
                role=role,
                technician_id=technician_id,
                tz=tz,
                now=self.clock(),
                reference=self.reference,
            )

        key = f"{role}:{technician_id or '-'}:{tz}"
        data = await cached(self.store, namespace=HELP_NAMESPACE, key=key, ttl=HELP_TTL, load=fetch)
        return [str(x) for x in data or []]

    async def many_job_facts(self, job_ids: list[int]) -> dict[int, Row]:
        """`job_facts` of many jobs: the cached ones as they are, the rest in batches (jobs by ids, 50 a
        call, then their customers and locations by ids), cached for next time."""
        wanted = list(dict.fromkeys(job_ids))
        out: dict[int, Row] = {}
        # All at once, not one store round trip after another (a technician's day is read on every Home open).
        records = await _unless_store_down(
            "load",
            [self.store.load(namespace=FACTS_NAMESPACE, key=str(job_id)) for job_id in wanted],
        )
        for job_id, record in zip(wanted, records, strict=True):
            data = record.value.get("data") if isinstance(record, Record) else None
            if isinstance(data, dict) and data.get("found"):
                out[job_id] = data
        missing = [j for j in wanted if j not in out]
        if not missing:
            return out
        jobs = await self.client.get_jobs(missing)
        customers = {
            int(c["id"]): c
            for c in await _rows(self.client.iter_customers(ids=sorted({j.customer_id for j in jobs})))
        }
        locations = {
            int(loc["id"]): loc
            for loc in await _rows(self.client.iter_locations(ids=sorted({j.location_id for j in jobs})))
        }
        types = await self.reference_names("job_types")
        units = await self.reference_names("business_units")
        for job in jobs:
            customer, location = customers.get(job.customer_id), locations.get(job.location_id)
            out[job.id] = _facts_row(job, customer, location, types=types, units=units)
        await _unless_store_down(
            "save",
            [
                self.store.save(
                    namespace=FACTS_NAMESPACE,
                    key=str(job.id),
                    value={"data": out[job.id]},
                    ttl=self.facts_ttl,
                )
                for job in jobs
            ],
        )
        return out

    # ---- lookups ---------------------------------------------------------------------------------------

    async def load(self, effect: Load) -> Loaded:
        try:
            read_at = self.clock().isoformat()
            data = await self._load(effect.what, effect.args)
            if effect.what in {"job", "job_appointments", "appointment"}:
                data["read_at"] = read_at  # how old a card's "before" is, for the check before its write
        except ServiceTitanError as exc:
            reference = failures.new_reference()  # the user sees what failed, the log how (URL, tenant)
            log.warning("lookup %s failed, reference %s: %s", effect.key, reference, exc)
            error = failures.lookup_failed(exc, effect.what, effect.args, reference)
            return Loaded(effect.what, effect.args, error=error)
        except Exception:  # one place turns an unexpected failure into a message instead of a dead turn
            log.exception("lookup %s failed", effect.key)
            return Loaded(effect.what, effect.args, error="Something went wrong looking that up.")
        return Loaded(effect.what, effect.args, data=data)

    async def reference(self, what: str) -> list[Row]:
        loaders: dict[str, Callable[[], AsyncIterator[Any]]] = {
            "technicians": lambda: self.client.iter_technicians(),
            "hold_reasons": lambda: self.client.iter_job_hold_reasons(),
            "cancel_reasons": lambda: self.client.iter_job_cancel_reasons(),
            "job_types": lambda: self.client.iter_job_types(),
            "business_units": lambda: self.client.iter_business_units(),
            "arrival_windows": lambda: self.client.iter_arrival_windows(),
            "campaigns": lambda: self.client.iter_campaigns(),
        }
        make, keep = loaders[what], REFERENCE_FIELDS[what]

        async def fetch() -> list[Row]:
            # Only the fields the dialog reads: these lists are cached and carried in conversations.
            return [{k: row.get(k) for k in keep} for row in await _rows(make())]

        data = await cached(self.store, namespace=CACHE_NAMESPACE, key=what, ttl=self.cache_ttl, load=fetch)
        return list(data or [])

    async def reference_names(self, what: str) -> dict[int, str]:
        """A reference list (cached) as id -> name, e.g. the job types' names."""
        return {int(row["id"]): str(row["name"]) for row in await self.reference(what)}

    async def _load(self, what: str, args: dict[str, Any]) -> Any:
        client = self.client
        if what in REFERENCE_FIELDS:
            return await self.reference(what)
        if what == "job":
            job_id = int(args["job_id"])
            job = await _maybe(client.get_job(job_id))
            if job is None:
                return {"job": None}
            appointments = await _rows(client.iter_appointments(job_id=job_id))
            assignments = await _rows(client.iter_appointment_assignments(job_id=job_id))
            return {"job": _row(job), "appointments": appointments, "assignments": assignments}
        if what == "job_appointments":
            # Appointment-level changes need the appointments and who is on them, not the job row
            # (ServiceTitan mirrors a canceled or completed job in its appointments): 2 calls, not 3.
            job_id = int(args["job_id"])
            appointments = await _rows(client.iter_appointments(job_id=job_id))
            if not appointments:
                job = await _maybe(client.get_job(job_id))
                return {"job": _row(job) if job else None, "appointments": [], "assignments": []}
            assignments = await _rows(client.iter_appointment_assignments(job_id=job_id))
            return {"job": None, "appointments": appointments, "assignments": assignments}
        if what == "appointment":
            appt_id = int(args["appointment_id"])
            appt = await _maybe(client.get_appointment(appt_id))
            if appt is None:
                return {"appointment": None}
            assignments = await _rows(client.iter_appointment_assignments(appointment_ids=[appt_id]))
            return {"appointment": _row(appt), "assignments": assignments}
        if what == "customer":
            customer = await _maybe(client.get_customer(int(args["customer_id"])))
            if customer is None:
                return {"customer": None}
            locations = await _rows(client.iter_locations(customer_id=customer.id))
            return {"customer": _row(customer), "locations": locations}
        if what == "customers_named":  # a customer given by name when the dialog asks for one
            rows = await _rows(client.iter_customers(name=str(args["name"]), page_size=10), limit=10)
            return [{"id": r["id"], "name": r.get("name", ""), "address": r.get("address")} for r in rows]
        if what == "job_facts":
            return await self.job_facts(int(args["job_id"]))
        if what == "help":
            return await self.help_examples(args)
        if what == "conflicts":
            return await self._conflicts(args)
        if what == "read":
            return await self._read(args)
        raise ValueError(f"unknown lookup {what!r}")

    async def _conflicts(self, args: dict[str, Any]) -> list[Row]:
        start, end = timefmt.parse_iso(args["start"]), timefmt.parse_iso(args["end"])
        exclude = int(args.get("exclude") or 0)
        found: list[Row] = []
        for tech_id in [int(t) for t in str(args["technician_ids"]).split(",") if t]:
            # A visit starting up to 12 hours earlier may still run into the new window.
            async for appt in self.client.iter_appointments(
                technician_id=tech_id, starts_on_or_after=start - timedelta(hours=12), starts_before=end
            ):
                if appt.id == exclude or appt.status in {"Canceled", "Done"}:
                    continue
                if rules.overlaps(start, end, appt.start, appt.end):
                    found.append({"technician_id": tech_id, "appointment": _row(appt)})
        return found

    # ---- writes ----------------------------------------------------------------------------------------

    async def call(self, plan: Plan, *, check_first: bool = False) -> Called:
        """Perform the write. `check_first` (an earlier attempt's outcome is unknown): read ServiceTitan
        first and write only when the change is not there yet."""
        if check_first:
            try:
                applied = await self.check(plan)
            except ServiceTitanError as exc:
                log.info("check of %s failed: %s", plan.op, exc)
                return Called(
                    plan,
                    ok=False,
                    error=f"I still can't tell whether it went through ({_unanswered(exc)})",
                    status=exc.status,
                    uncertain=True,
                )
            if applied:
                return Called(plan, ok=True, already=True)
        if plan.guard is not None and self._needs_recheck(plan):
            try:
                now = await self.observe(plan.guard)
            except ServiceTitanError as exc:
                log.info("re-read before %s failed: %s", plan.op, exc)
                return Called(
                    plan,
                    ok=False,
                    error=f"I couldn't check it is still as the card shows ({_unanswered(exc)})",
                    status=exc.status,
                )
            if any(now.get(k) != v for k, v in plan.guard.fields.items()):
                return Called(plan, ok=False, drift=drift_text(plan.guard, now))
        try:
            result = await self._call(plan.op, plan.args)
        except ServiceTitanError as exc:
            reference = failures.new_reference()
            log.info("write %s refused, reference %s: %s", plan.op, reference, exc)
            unknown = outcome_unknown(exc)
            # the client's own text is for the log; the user gets what ServiceTitan did, in their words
            error = _unanswered(exc) if unknown else failures.refusal(exc, reference)
            if plan.op == "delete_appointment" and isinstance(exc, Conflict):
                # The only-appointment case is caught before the card; what's left are timesheets (no read
                # of them in our APIs) and a visit that has started. ServiceTitan's own words say neither.
                error = "an appointment with timesheets, or one that has started, can't be deleted"
            return Called(plan, ok=False, error=error, status=exc.status, uncertain=unknown)
        except Exception:  # the conversation must leave "applying" whatever happened
            log.exception("write %s failed", plan.op)
            return Called(plan, ok=False, error="something went wrong on our side", uncertain=True)
        if plan.op == "update_job":  # its type or customer may have changed: the cached facts are stale
            try:
                await self.store.delete(namespace=FACTS_NAMESPACE, key=str(plan.args["job_id"]))
            except Exception:  # the write is done; stale facts for a while are no reason to say otherwise
                log.warning("could not drop the cached facts of job %s", plan.args["job_id"], exc_info=True)
        return Called(plan, ok=True, data=result)

    def _needs_recheck(self, plan: Plan) -> bool:
        if plan.guard is None:
            return False
        if plan.guard.always or plan.seen_at is None:
            return True
        return (self.clock() - plan.seen_at).total_seconds() > FRESH_SECONDS

    async def observe(self, guard: Guard) -> Row:
        """What ServiceTitan shows now for the fields `guard` expects (plus names for the message)."""
        if guard.kind == "appointment":
            appt = await _maybe(self.client.get_appointment(guard.id))
            if appt is None:
                return {"exists": False}
            return {
                "exists": True,
                "start": timefmt.iso(appt.start),
                "end": timefmt.iso(appt.end),
                "status": appt.status,
                "special_instructions": appt.special_instructions or "",
            }
        if guard.kind == "assignments":
            on = [
                a
                async for a in self.client.iter_appointment_assignments(appointment_ids=[guard.id])
                if a.active is not False
            ]
            return {
                "technician_ids": sorted({a.technician_id for a in on}),
                "technician_names": sorted({a.technician_name for a in on}),
            }
        job = await _maybe(self.client.get_job(guard.id))
        if job is None:
            return {"exists": False}
        row = _row(job)
        return {"exists": True, **{k: row.get(k) for k in guard.fields if k != "exists"}}

    async def check(self, plan: Plan) -> bool:
        """Whether the change `plan` makes is already in ServiceTitan (reads only)."""
        client, a = self.client, plan.args
        since = (plan.requested_at or datetime.min.replace(tzinfo=UTC)) - timedelta(minutes=1)
        op = plan.op
        if op in {"reschedule_appointment", "set_special_instructions", "hold_appointment"}:
            appt = await client.get_appointment(int(a["appointment_id"]))
            if op == "reschedule_appointment":
                return (appt.start, appt.end) == (timefmt.parse_iso(a["start"]), timefmt.parse_iso(a["end"]))
            if op == "set_special_instructions":
                return (appt.special_instructions or "") == a["text"]
            return appt.status == "Hold"
        if op == "remove_appointment_hold":
            return (await client.get_appointment(int(a["appointment_id"]))).status != "Hold"
        if op == "delete_appointment":
            return await _maybe(client.get_appointment(int(a["appointment_id"]))) is None
        if op in {"cancel_job", "remove_cancellation", "hold_job", "update_job"}:
            job = await client.get_job(int(a["job_id"]))
            if op == "cancel_job":
                return job.job_status == "Canceled"
            if op == "remove_cancellation":
                return job.job_status != "Canceled"
            if op == "hold_job":
                return job.job_status == "Hold"
            return all(getattr(job, k) == v for k, v in a.items() if k != "job_id")
        if op in {"assign_technicians", "unassign_technicians"}:
            appt_id = int(a["appointment_id"])
            on = {
                x.technician_id async for x in client.iter_appointment_assignments(appointment_ids=[appt_id])
            }
            wanted = {int(t) for t in a["technician_ids"]}
            return wanted <= on if op == "assign_technicians" else not (wanted & on)
        if op == "add_appointment":
            start, end = timefmt.parse_iso(a["start"]), timefmt.parse_iso(a["end"])
            return any(
                [
                    (x.start, x.end) == (start, end) and x.created_on >= since
                    async for x in client.iter_appointments(job_id=int(a["job_id"]))
                ]
            )
        if op == "add_job_note":
            return any(
                [
                    n.text == a["text"] and n.created_on >= since
                    async for n in client.iter_job_notes(int(a["job_id"]))
                ]
            )
        if op == "book_job":
            return any(
                [
                    (j.location_id, j.job_type_id) == (a["location_id"], a["job_type_id"])
                    async for j in client.iter_jobs(
                        customer_id=int(a["customer_id"]), created_on_or_after=since
                    )
                ]
            )
        raise ValueError(f"unknown operation {op!r}")

    async def _call(self, op: str, a: dict[str, Any]) -> Any:
        client = self.client

        def when(name: str) -> datetime | None:
            return _time_arg(a, name)

        if op == "reschedule_appointment":
            start, end = when("start"), when("end")
            assert start and end
            appt = await client.reschedule_appointment(
                int(a["appointment_id"]),
                start=start,
                end=end,
                arrival_window_start=when("arrival_window_start"),
                arrival_window_end=when("arrival_window_end"),
            )
            return _row(appt)
        if op == "add_appointment":
            start, end = when("start"), when("end")
            assert start and end
            created = await client.add_appointment(
                AppointmentCreate(
                    job_id=int(a["job_id"]),
                    start=start,
                    end=end,
                    arrival_window_start=when("arrival_window_start"),
                    arrival_window_end=when("arrival_window_end"),
                    technician_ids=a.get("technician_ids"),
                )
            )
            return _row(created)
        if op == "book_job":
            visit = a["appointments"][0]
            job = await client.book_job(
                JobCreate(
                    customer_id=a["customer_id"],
                    location_id=a["location_id"],
                    business_unit_id=a["business_unit_id"],
                    job_type_id=a["job_type_id"],
                    priority=a["priority"],
                    campaign_id=a["campaign_id"],
                    summary=a.get("summary"),
                    appointments=[
                        JobAppointmentCreate(
                            start=timefmt.parse_iso(visit["start"]),
                            end=timefmt.parse_iso(visit["end"]),
                            arrival_window_start=_time_arg(visit, "arrival_window_start"),
                            arrival_window_end=_time_arg(visit, "arrival_window_end"),
                            technician_ids=visit.get("technician_ids"),
                        )
                    ],
                )
            )
            return _row(job)
        if op == "delete_appointment":
            await client.delete_appointment(int(a["appointment_id"]))
            return None
        if op == "hold_appointment":
            await client.hold_appointment(
                int(a["appointment_id"]), reason_id=int(a["reason_id"]), memo=a["memo"]
            )
            return None
        if op == "remove_appointment_hold":
            await client.remove_appointment_hold(int(a["appointment_id"]))
            return None
        if op == "cancel_job":
            await client.cancel_job(int(a["job_id"]), reason_id=int(a["reason_id"]), memo=a["memo"])
            return None
        if op == "remove_cancellation":
            await client.remove_job_cancellation(int(a["job_id"]))
            return None
        if op == "hold_job":
            await client.hold_job(int(a["job_id"]), reason_id=int(a["reason_id"]), memo=a["memo"])
            return None
        if op == "assign_technicians":
            return _row(await client.assign_technicians(int(a["appointment_id"]), a["technician_ids"]))
        if op == "unassign_technicians":
            return _row(await client.unassign_technicians(int(a["appointment_id"]), a["technician_ids"]))
        if op == "update_job":
            fields = {k: v for k, v in a.items() if k != "job_id"}
            return _row(await client.update_job(int(a["job_id"]), JobUpdate(**fields)))
        if op == "set_special_instructions":
            return _row(await client.set_special_instructions(int(a["appointment_id"]), a["text"]))
        if op == "add_job_note":
            return _row(await client.add_job_note(int(a["job_id"]), a["text"]))
        raise ValueError(f"unknown operation {op!r}")

    # ---- reads -----------------------------------------------------------------------------------------

    async def _read(self, args: dict[str, Any]) -> dict[str, Any]:
        intent = str(args["intent"])
        slots = json.loads(args.get("slots") or "{}")
        tz = str(args.get("tz") or "UTC")
        handler: dict[str, Callable[[dict[str, Any], dict[str, Any], str], Awaitable[dict[str, Any]]]] = {
            "show_job": self._show_job,
            "list_notes": self._list_notes,
            "find_jobs": self._find_jobs,
            "list_appointments": self._list_appointments,
            "find_projects": self._find_projects,
        }
        return await handler[intent](slots, args, tz)

    async def _technician_id(
        self, slots: dict[str, Any], args: dict[str, Any]
    ) -> tuple[int | None, str | None]:
        """The technician a read is about: (id, None), or (None, a message) when the name doesn't match."""
        if args.get("technician_id") is not None:
            return int(args["technician_id"]), None
        name = str(slots.get("technician") or "")
        if not name:
            return None, None
        if names_me(name):  # the engine gives a linked asker's own id as technician_id
            return None, NOT_LINKED
        if is_mention(name):
            return None, mention_problem(name)
        match = rules.match_technician(name, active_rows(await self.reference("technicians")))
        if match.kind == "one":
            return int(match.row["id"]), None
        if match.kind == "many":
            names = ", ".join(str(t["name"]) for t in match.rows[:6])
            return None, f"“{name}” could be {names}. Say the full name."
        return None, f"No active technician matches “{name}”."

    def _range(
        self, value: Any, tz: str, default_today: datetime | None = None
    ) -> tuple[datetime, datetime] | None:
        if isinstance(value, dict) and value.get("from") and value.get("to"):
            first = timefmt.day_bounds(date.fromisoformat(value["from"]), tz)[0]
            last = timefmt.day_bounds(date.fromisoformat(value["to"]), tz)[1]
            return first, last
        if default_today is not None:
            return timefmt.day_bounds(timefmt.local(default_today, tz).date(), tz)
        return None

    @staticmethod
    def _technicians_on(assignments: list[Row]) -> dict[int, list[str]]:
        """The names of the technicians active on each appointment."""
        by_appt: dict[int, list[str]] = {}
        for a in assignments:
            if a.get("active", True):
                by_appt.setdefault(int(a["appointment_id"]), []).append(str(a["technician_name"]))
        return by_appt

    async def _customer_names(self, ids: list[int]) -> dict[int, str]:
        if not ids:
            return {}
        rows = await _rows(self.client.iter_customers(ids=sorted(set(ids))))
        return {int(r["id"]): str(r["name"]) for r in rows}

    async def _show_job(self, slots: dict[str, Any], args: dict[str, Any], tz: str) -> dict[str, Any]:
        job_id = int(slots["job_id"])
        job = await _maybe(self.client.get_job(job_id))
        if job is None:
            return {
                "title": f"Job {job_id}",
                "text": f"I can't find job {job_id} in ServiceTitan.",
                "rows": [],
            }
        types = await self.reference_names("job_types")
        customer = await _maybe(self.client.get_customer(job.customer_id))
        appointments = await _rows(self.client.iter_appointments(job_id=job_id))
        names = self._technicians_on(await _rows(self.client.iter_appointment_assignments(job_id=job_id)))
        facts = [
            ("Status", job.job_status),
            ("Type", types.get(job.job_type_id, f"#{job.job_type_id}")),
            ("Customer", f"{customer.name} (#{customer.id})" if customer else f"#{job.customer_id}"),
            ("Priority", job.priority),
        ]
        if job.summary:
            facts.append(("Summary", reads.plain(job.summary)[:200]))
        why = ""
        if job.job_status == "Canceled":
            reasons = await self.client.get_job_cancel_reasons([job_id])
            logs = await _rows(self.client.iter_job_canceled_logs(job_id))
            memo = next((str(log_row.get("memo")) for log_row in reversed(logs) if log_row.get("memo")), "")
            reason = reasons[-1].name if reasons else "no reason recorded"
            why = f"Canceled: {reason}" + (f" — “{memo}”" if memo else "")
            facts.append(("Why canceled", why.removeprefix("Canceled: ")))
        elif job.job_status == "Hold":
            # The 2025 API has no read of a job's hold reason; its history has the hold with a memo.
            history = await self.client.get_job_history(job_id)
            holds = [h for h in history if _is_hold_event(h.event_type)]
            latest = max(holds, key=lambda h: h.date) if holds else None
            if latest is not None and latest.memo:
                reason_names = [str(r["name"]) for r in await self.reference("hold_reasons")]
                reason, memo = split_reason(latest.memo, reason_names)
                told = f"{reason} — “{memo}”" if reason and memo else reason or memo
            else:
                told = "no reason in the job's history"
            why = f"On hold: {told}"
            facts.append(("Why on hold", told))
        rows = [
            reads.appointment_row(a, tz=tz, names=names.get(int(a["id"]), []))
            for a in sorted(appointments, key=lambda a: a["start"])
        ]
        title = f"Job {job.id} · {types.get(job.job_type_id, 'job')} · {job.job_status}"
        return {"title": title, "facts": facts, "rows": rows, "text": why}

    async def _list_notes(self, slots: dict[str, Any], args: dict[str, Any], tz: str) -> dict[str, Any]:
        job_id = int(slots["job_id"])
        try:
            notes = await _rows(self.client.iter_job_notes(job_id), MAX_READ_ROWS)
        except NotFound:
            return {"title": f"Notes on job {job_id}", "text": f"I can't find job {job_id}.", "rows": []}
        notes.sort(key=lambda n: (not n.get("is_pinned"), n["created_on"]), reverse=False)
        return {"title": f"Notes on job {job_id}", "rows": [reads.note_row(n, tz=tz) for n in notes]}

    async def _find_jobs(self, slots: dict[str, Any], args: dict[str, Any], tz: str) -> dict[str, Any]:
        filters: dict[str, Any] = {}
        status = _STATUS.get(str(slots.get("status") or "").casefold())
        if status:
            filters["job_status"] = status
        span = self._range(slots.get("range"), tz)
        if span:
            if status == "Completed":
                filters["completed_on_or_after"], filters["completed_before"] = span
            else:
                filters["appointment_starts_on_or_after"], filters["appointment_starts_before"] = span
        for slot in ("project_id", "customer_id"):
            if slots.get(slot) is not None:
                filters[slot] = int(slots[slot])
        tech_id, problem = await self._technician_id(slots, args)
        if problem:
            return {"title": "Jobs", "text": problem, "rows": []}
        if tech_id is not None:
            filters["technician_id"] = tech_id
        jobs = await _rows(self.client.iter_jobs(**filters), MAX_READ_ROWS)
        types = await self.reference_names("job_types")
        customers = await self._customer_names([int(j["customer_id"]) for j in jobs])
        title = _JOB_LIST_TITLE.get(status or "", "Jobs")
        if tech_id is not None:
            techs = await self.reference_names("technicians")
            title += f" for {techs.get(tech_id, f'technician {tech_id}')}"
        title += f"{_span_title(span, tz)} ({len(jobs)})"
        return {
            "title": title,
            "rows": [reads.job_row(j, type_names=types, customer_names=customers) for j in jobs],
        }

    async def _list_appointments(
        self, slots: dict[str, Any], args: dict[str, Any], tz: str
    ) -> dict[str, Any]:
        filters: dict[str, Any] = {}
        tech_id, problem = await self._technician_id(slots, args)
        if problem:
            return {"title": "Appointments", "text": problem, "rows": []}
        if tech_id is not None:
            filters["technician_id"] = tech_id
        for slot in ("job_id", "project_id"):
            if slots.get(slot) is not None:
                filters[slot] = int(slots[slot])
        now = datetime.fromisoformat(str(args["now"])) if args.get("now") else None
        span = self._range(slots.get("range"), tz, default_today=None if "job_id" in filters else now)
        if span:
            filters["starts_on_or_after"], filters["starts_before"] = span
        appointments = await _rows(self.client.iter_appointments(**filters), MAX_READ_ROWS)
        appointments.sort(key=lambda a: a["start"])
        ids = [int(a["id"]) for a in appointments]
        assignments = (
            await _rows(self.client.iter_appointment_assignments(appointment_ids=ids)) if ids else []
        )
        names = self._technicians_on(assignments)
        who = ""
        rows: list[str]
        if tech_id is not None:
            techs = await self.reference_names("technicians")
            who = f" for {techs.get(tech_id, f'technician {tech_id}')}"
            # One technician's visits: where to go and what for, not their own name on every row.
            facts = await self.many_job_facts([int(a["job_id"]) for a in appointments])
            rows = [
                reads.visit_row(
                    a,
                    tz=tz,
                    facts=facts.get(int(a["job_id"])),
                    others=[
                        str(x["technician_name"])
                        for x in assignments
                        if x.get("active", True)
                        and int(x["appointment_id"]) == int(a["id"])
                        and int(x["technician_id"]) != tech_id
                    ],
                )
                for a in appointments
            ]
        else:
            rows = [reads.appointment_row(a, tz=tz, names=names.get(int(a["id"]), [])) for a in appointments]
        when = _span_title(span, tz)
        if not appointments:
            # "is Sarah free friday?": say it in words rather than an empty list
            when = when if when.startswith(" on ") else when.replace(" – ", " to ").replace(" ", " from ", 1)
            return {
                "title": f"Appointments{who}{when} (0)",
                "rows": [],
                "empty": f"No appointments{who}{when}.",
            }
        return {"title": f"Appointments{who}{when} ({len(appointments)})", "rows": rows}

    async def _find_projects(self, slots: dict[str, Any], args: dict[str, Any], tz: str) -> dict[str, Any]:
        if slots.get("project_id") is not None:
            project = await _maybe(self.client.get_project(int(slots["project_id"])))
            projects = [_row(project)] if project else []
        else:
            filters: dict[str, Any] = {}
            if slots.get("job_id") is not None:
                filters["job_id"] = int(slots["job_id"])
            starts = self._range(slots.get("starts"), tz)
            if starts:
                filters["starts_on_or_after"], filters["starts_before"] = starts
            completes = self._range(slots.get("completes"), tz)
            if completes:
                filters["target_completion_date_on_or_after"], filters["target_completion_date_before"] = (
                    completes
                )
            projects = await _rows(self.client.iter_projects(**filters), MAX_READ_ROWS)
        return {
            "title": f"Projects ({len(projects)})",
            "rows": [reads.project_row(p, tz=tz) for p in projects],
        }
