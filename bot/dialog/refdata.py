"""Reference data and job facts: what the dialog reads often and ServiceTitan changes rarely, cached.

- Reference lists (technicians, hold and cancel reasons, job types, business units, arrival windows,
  campaigns), only the fields the dialog reads, through `bot.store.cache.cached` for `cache_ttl` seconds.
- A job's slow-changing facts (type, customer, address, business unit; never its status) for `facts_ttl`
  seconds, one job at a time (a card) or many in batches (a technician's day).
- The help answer's examples, built from live data and cached for a few minutes.

Also the small fetch helpers every reader of ServiceTitan here uses: rows as plain dicts (the client's models
dumped in JSON mode: snake_case names, UTC ISO times), a missing record as None, and independent calls
fetched together.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel

from bot.dialog import examples
from bot.dialog.feedreads import JOB_READS_NAMESPACE, READ_AT, READS_KEEP, ReadsAge, dropped
from bot.servicetitan import NotFound, ServiceTitanClient
from bot.servicetitan.models import Appointment, AppointmentAssignment, Job, JobCanceledLog, JobHistoryEntry
from bot.store import Record, Store, StoreUnavailable, cached, forget_cached, peek_cached, put_cached

log = logging.getLogger("bot.dialog")

Row = dict[str, Any]

CACHE_NAMESPACE = "refdata"
FACTS_NAMESPACE = "jobfacts"
HELP_NAMESPACE = "helpexamples"
HELP_TTL = 300.0  # the examples name open jobs; a job may be closed meanwhile, so not for long
RECORD_NAMESPACE = "crm"

# Only the fields the dialog reads: these lists are cached and carried in conversations.
REFERENCE_FIELDS: dict[str, tuple[str, ...]] = {
    "technicians": ("id", "name", "active"),
    "hold_reasons": ("id", "name", "active"),
    "cancel_reasons": ("id", "name", "active"),
    "job_types": ("id", "name", "business_unit_ids", "duration", "active"),
    "business_units": ("id", "name", "active"),
    "arrival_windows": ("id", "start", "duration", "business_unit_ids", "active"),
    "campaigns": ("id", "name", "active"),
    "employees": ("id", "user_id", "name", "active"),
}


# ---- fetch helpers ----------------------------------------------------------------------------------------


def as_row(model: BaseModel) -> Row:
    return model.model_dump(mode="json")


async def collect(items: AsyncIterator[Any], limit: int | None = None) -> list[Row]:
    """The items of a paged list as rows, at most `limit` of them."""
    if isinstance(items, CachedRows):  # rows already: not each made a model and dumped back
        return (await items.rows())[:limit]
    out: list[Row] = []
    async for item in items:
        out.append(as_row(item))
        if limit is not None and len(out) >= limit:
            break
    return out


async def maybe(call: Awaitable[Any]) -> Any:
    """The result of a single-record GET, or None when ServiceTitan says it doesn't exist."""
    try:
        return await call
    except NotFound:
        return None


async def together(*calls: Awaitable[Any]) -> list[Any]:
    """Independent calls run at once; their results in order. The first failure is raised as itself (not
    an exception group) after the others are cancelled, so callers catch ServiceTitan's errors as usual."""
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(_awaited(call)) for call in calls]
    except BaseExceptionGroup as failed:
        first: BaseException = failed
        while isinstance(first, BaseExceptionGroup):
            first = first.exceptions[0]
        raise first from None
    return [task.result() for task in tasks]


async def _awaited(call: Awaitable[Any]) -> Any:
    return await call


# ---- job facts --------------------------------------------------------------------------------------------


def address_text(address: Row | None) -> str:
    """A ServiceTitan address on one line: "12 Oak St, Chicago, IL 60601"."""
    if not address:
        return "no address on file"
    street = " ".join(str(address[k]) for k in ("street", "unit") if address.get(k))
    place = " ".join(str(address[k]) for k in ("state", "zip") if address.get(k))
    return ", ".join(x for x in (street, str(address.get("city") or ""), place) if x)


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
        "address": address_text(location.get("address") if location else None),
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


class ReferenceData:
    """The cached reads of one ServiceTitan tenant: reference lists for `cache_ttl` s, a job's facts and
    customers' and locations' names and addresses for `facts_ttl` s."""

    def __init__(
        self,
        client: ServiceTitanClient,
        store: Store,
        *,
        cache_ttl: float = 900.0,
        facts_ttl: float = 3600.0,
        reads_ttl: float = 0.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.client = client
        self.store = store
        self.cache_ttl = cache_ttl
        self.facts_ttl = facts_ttl
        self.clock = clock
        # A job, its appointments and their technicians as reads show them, cached (bot/dialog/feedreads.py):
        # served while at most `reads_ttl` s behind ServiceTitan (0: not cached). `bot serve` sets it to the
        # alert watcher's poll interval plus FEED_MARGIN: its change feed drops a job's reads when the job
        # changed; a write of the bot drops them at once.
        self.reads_age = ReadsAge(store, clock=lambda: self.clock().timestamp())
        self.reads_ttl = reads_ttl
        self.names = Names(client, store)

    @property
    def reads_ttl(self) -> float:
        return self.reads_age.allowed

    @reads_ttl.setter
    def reads_ttl(self, seconds: float) -> None:
        self.reads_age.allowed = seconds

    async def reference(self, what: str) -> list[Row]:
        """A reference list by name (a key of REFERENCE_FIELDS), cached."""
        loaders: dict[str, Callable[[], AsyncIterator[Any]]] = {
            "technicians": self.client.iter_technicians,
            "hold_reasons": self.client.iter_job_hold_reasons,
            "cancel_reasons": self.client.iter_job_cancel_reasons,
            "job_types": self.client.iter_job_types,
            "business_units": self.client.iter_business_units,
            "arrival_windows": self.client.iter_arrival_windows,
            "campaigns": self.client.iter_campaigns,
            "employees": self.client.iter_employees,
        }
        make, keep = loaders[what], REFERENCE_FIELDS[what]

        async def fetch() -> list[Row]:
            return [{k: row.get(k) for k in keep} for row in await collect(make())]

        data = await cached(self.store, namespace=CACHE_NAMESPACE, key=what, ttl=self.cache_ttl, load=fetch)
        return list(data or [])

    async def reference_names(self, what: str) -> dict[int, str]:
        """A reference list (cached) as id -> name, e.g. the job types' names."""
        return {int(row["id"]): str(row["name"]) for row in await self.reference(what)}

    async def record(self, kind: str, record_id: int) -> Row | None:
        """A customer or location by id, cached (names and addresses change rarely)."""
        getter = self.client.get_customer if kind == "customer" else self.client.get_location

        async def fetch() -> Row:
            found = await maybe(getter(record_id))
            if found is None:
                return {"found": False}
            return {
                "found": True,
                "id": found.id,
                "name": found.name,
                "address": as_row(found).get("address"),
            }

        data = await cached(
            self.store, namespace=RECORD_NAMESPACE, key=f"{kind}:{record_id}", ttl=self.facts_ttl, load=fetch
        )
        return data if isinstance(data, dict) and data.get("found") else None

    async def job_facts(self, job_id: int) -> Row:
        """What a card says about a job besides its status: {found, id, job_type, customer, address,
        business_unit}. A miss costs the job, then its customer and its location (each cached by id)."""
        try:
            data = await cached(
                self.store,
                namespace=FACTS_NAMESPACE,
                key=str(job_id),
                ttl=self.facts_ttl,
                load=lambda: self._fetch_job_facts(job_id),
            )
        except _NoSuchJob:
            return {"found": False, "id": job_id}
        return dict(data) if isinstance(data, dict) else {"found": False, "id": job_id}

    async def kept_job_facts(self, job_id: int) -> Row | None:
        """A job's facts if they are cached (in process or in the store), without asking ServiceTitan."""
        data = await peek_cached(self.store, namespace=FACTS_NAMESPACE, key=str(job_id), ttl=self.facts_ttl)
        return dict(data) if isinstance(data, dict) else None

    async def fresh_job_facts(self, job_id: int) -> Row:
        """`job_facts` read from ServiceTitan now (none are cached: `kept_job_facts`), and cached."""
        try:
            data = await self._fetch_job_facts(job_id)
        except _NoSuchJob:
            return {"found": False, "id": job_id}
        await put_cached(
            self.store, namespace=FACTS_NAMESPACE, key=str(job_id), ttl=self.facts_ttl, data=data
        )
        return data

    async def _fetch_job_facts(self, job_id: int) -> Row:
        job = await maybe(self.client.get_job(job_id))
        if job is None:
            raise _NoSuchJob
        types, units, customer, location = await together(
            self.reference_names("job_types"),
            self.reference_names("business_units"),
            self.record("customer", job.customer_id),
            self.record("location", job.location_id),
        )
        return _facts_row(job, customer, location, types=types, units=units)

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
        customer_rows, location_rows, types, units = await together(
            collect(self.client.iter_customers(ids=sorted({j.customer_id for j in jobs}))),
            collect(self.client.iter_locations(ids=sorted({j.location_id for j in jobs}))),
            self.reference_names("job_types"),
            self.reference_names("business_units"),
        )
        customers = {int(c["id"]): c for c in customer_rows}
        locations = {int(loc["id"]): loc for loc in location_rows}
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

    async def job_reads(self, job_id: int) -> Row | None:
        """{job, appointments, assignments} of a job as rows (None when it doesn't exist), read together and
        cached in the store while at most `reads_ttl` s behind ServiceTitan (never in process: a drop in any
        process counts at once)."""

        async def fetch() -> Row:
            read_at = self.clock().timestamp()
            job, appointments, assignments = await together(
                maybe(self.client.get_job(job_id)),
                collect(self.client.iter_appointments(job_id=job_id)),
                collect(self.client.iter_appointment_assignments(job_id=job_id)),
            )
            if job is None:
                raise _NoSuchJob
            return {
                "job": as_row(job),
                "appointments": appointments,
                "assignments": assignments,
                READ_AT: read_at,
            }

        try:
            data = await cached(
                self.store,
                namespace=JOB_READS_NAMESPACE,
                key=str(job_id),
                ttl=max(READS_KEEP, self.reads_ttl),
                load=fetch,
                keep_local=False,
                usable=await self.reads_age.usable(),
            )
        except _NoSuchJob:
            return None
        return data if isinstance(data, dict) else None

    async def job_extra(
        self, job_id: int, what: str, version: str, fetch: Callable[[], Awaitable[list[Row]]]
    ) -> list[Row]:
        """Rows of a job a read needs now and then (its canceled log, its history), cached like `job_reads`
        under the version of the job that `job_reads` holds (its modifiedOn): a change of the job that
        the watcher or a write of the bot drops from `job_reads` brings a new version, so a new key."""
        data = await cached(
            self.store,
            namespace=JOB_READS_NAMESPACE,
            key=f"{job_id}:{what}:{version}",
            ttl=max(READS_KEEP, self.reads_ttl),
            load=fetch,
        )
        return [dict(row) for row in data or []]

    async def forget_job_reads(self, job_id: int) -> None:
        """Drop a job's cached reads (it changed): a save (not `feedreads.drop`'s write), so that inside a
        turn it goes with the turn's next round trip (`Store.write_behind`)."""
        at = self.clock().timestamp()
        await self.store.save(
            namespace=JOB_READS_NAMESPACE, key=str(job_id), value=dropped(at), ttl=READS_KEEP
        )

    async def forget_job_facts(self, job_id: int) -> None:
        """Drop a job's cached facts (its type or customer changed)."""
        await forget_cached(self.store, namespace=FACTS_NAMESPACE, key=str(job_id))

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


class CachedJobReads:
    """The client as a read sees it when job reads are cached (`ReferenceData.reads_ttl`): a job by id, its
    appointments and their assignments by job come from `job_reads` (one load for the three, shared by the
    read), everything else from ServiceTitan. Writes never go through it."""

    def __init__(self, client: ServiceTitanClient, refdata: ReferenceData) -> None:
        self._client = client
        self._refdata = refdata
        self._reads: dict[int, asyncio.Task[Row | None]] = {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    async def _job_reads(self, job_id: int) -> Row | None:
        task = self._reads.get(job_id)
        if task is None:
            task = self._reads[job_id] = asyncio.ensure_future(self._refdata.job_reads(job_id))
        return await asyncio.shield(task)

    async def get_job(self, job_id: int) -> Job:
        reads = await self._job_reads(int(job_id))
        if reads is None:
            return await self._client.get_job(job_id)  # raises NotFound as the client does
        return Job.model_validate(reads["job"])

    def iter_appointments(self, **filters: Any) -> AsyncIterator[Appointment]:
        if set(filters) != {"job_id"}:
            return self._client.iter_appointments(**filters)
        return CachedRows(self._job_reads, int(filters["job_id"]), "appointments", Appointment)

    def iter_appointment_assignments(self, **filters: Any) -> AsyncIterator[AppointmentAssignment]:
        if set(filters) != {"job_id"} or filters["job_id"] is None:
            return self._client.iter_appointment_assignments(**filters)
        return CachedRows(self._job_reads, int(filters["job_id"]), "assignments", AppointmentAssignment)

    def iter_job_canceled_logs(self, job_id: int) -> AsyncIterator[JobCanceledLog]:
        return self._extra_rows(
            int(job_id), "canceled-log", JobCanceledLog, lambda: self._client.iter_job_canceled_logs(job_id)
        )

    async def get_job_history(self, job_id: int) -> list[JobHistoryEntry]:
        reads = await self._job_reads(int(job_id))
        if reads is None:
            return await self._client.get_job_history(job_id)

        async def fetch() -> list[Row]:
            return [as_row(entry) for entry in await self._client.get_job_history(job_id)]

        rows = await self._refdata.job_extra(int(job_id), "history", _version(reads), fetch)
        return [JobHistoryEntry.model_validate(row) for row in rows]

    async def _extra_rows(
        self, job_id: int, what: str, model: type[Any], items: Callable[[], AsyncIterator[Any]]
    ) -> AsyncIterator[Any]:
        reads = await self._job_reads(job_id)
        if reads is None:
            async for item in items():
                yield item
            return
        for row in await self._refdata.job_extra(job_id, what, _version(reads), lambda: collect(items())):
            yield model.model_validate(row)


class CachedRows(AsyncIterator[Any]):
    """A job's appointments or assignments from its cached reads: models when iterated, as the client gives
    them; `collect` takes the rows themselves (copies), which are those models' `as_row` already."""

    def __init__(
        self, reads: Callable[[int], Awaitable[Row | None]], job_id: int, what: str, model: type[BaseModel]
    ) -> None:
        self._reads = reads
        self._job_id = job_id
        self._what = what
        self._model = model
        self._models: AsyncIterator[Any] | None = None

    async def rows(self) -> list[Row]:
        reads = await self._reads(self._job_id)
        return [dict(row) for row in reads[self._what]] if reads is not None else []

    def __aiter__(self) -> AsyncIterator[Any]:
        return self

    async def __anext__(self) -> Any:
        if self._models is None:
            self._models = self._validated()
        return await self._models.__anext__()

    async def _validated(self) -> AsyncIterator[Any]:
        for row in await self.rows():
            yield self._model.model_validate(row)


def _version(reads: Row) -> str:
    """The version of a job in its cached reads: when ServiceTitan last modified it."""
    return str(reads["job"].get("modified_on") or "")


# ---- names instead of numbers ------------------------------------------------------------------------------

NAMES_NAMESPACE = "names"
NAMES_TTL = 600.0  # customers and projects are added during the day: a name looked up is kept ten minutes
MAX_NAMED = 10


def _name_key(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().casefold())


def name_variants(text: str) -> list[str]:
    """The spellings of a customer's name worth a CRM search, best first: "the Garcias" -> "Garcias",
    "Garcia"; "maple street bakery" -> itself; "Barbara White's" -> "Barbara White"."""
    words = re.sub(r"^(?:the|a|an|customer|client|mr\.?|mrs\.?|ms\.?)\s+", "", text.strip(), flags=re.I)
    words = re.sub(r"['’]s?$", "", words).strip(" ,.")
    out = [words]
    if words.casefold().endswith("es") and len(words) > 4:
        out.append(words[:-2])
    if words.casefold().endswith("s") and len(words) > 3:
        out.append(words[:-1])
    return [w for w in dict.fromkeys(out) if w]


def words_match(said: str, name: str) -> bool:
    """Whether every word said starts a word of `name` ("furnace" ~ "Furnace Repair", "hvac" ~ "HVAC -
    Service", "ac repair" ~ "AC Repair", not "ac" ~ "Panel Upgrade")."""
    said_words = re.findall(r"[\w]+", said.casefold())
    name_words = re.findall(r"[\w]+", name.casefold())
    return bool(said_words) and all(any(n.startswith(w) for n in name_words) for w in said_words)


class Names:
    """Customers, locations and projects by the words a dispatcher uses, through ServiceTitan's list filters
    (CRM `name`, `phone`, `street`) and cached for NAMES_TTL: one home for "who is Barbara White" that reads
    and writes (booking by customer name) share."""

    def __init__(self, client: ServiceTitanClient, store: Store) -> None:
        self.client = client
        self.store = store

    async def customers(self, text: str) -> list[Row]:
        """The active customers a name or a phone fragment (4+ digits) names: [{id, name, address}]."""
        digits = re.sub(r"\D", "", text)
        if len(digits) >= 4 and not re.search(r"[a-z]{3,}", text, re.I):
            return await self._customers(phone=digits)
        for shortened, variant in enumerate(name_variants(text)):
            found = await self._customers(name=variant)
            if found:  # a shorter spelling ("franc" for "frances") is marked: no write takes it silently
                return [{**r, "cut_down": True} for r in found] if shortened else found
        return []

    async def _customers(self, **filters: str) -> list[Row]:
        async def fetch() -> list[Row]:
            rows = await collect(
                self.client.iter_customers(**filters, active="True", page_size=MAX_NAMED), MAX_NAMED
            )
            return [{"id": r["id"], "name": r.get("name", ""), "address": r.get("address")} for r in rows]

        key = "customers:" + ":".join(f"{k}={_name_key(v)}" for k, v in sorted(filters.items()))
        data = await cached(self.store, namespace=NAMES_NAMESPACE, key=key, ttl=NAMES_TTL, load=fetch)
        return [dict(r) for r in data or []]

    async def locations(self, street: str, customer_id: int | None = None) -> list[Row]:
        """The active locations on a street ("396 Hillcrest"), or a customer's: [{id, customer_id, name,
        address}]."""
        filters: dict[str, Any] = {"active": "True", "page_size": MAX_NAMED}
        if street:
            filters["street"] = street.strip()
        if customer_id is not None:
            filters["customer_id"] = customer_id

        async def fetch() -> list[Row]:
            rows = await collect(self.client.iter_locations(**filters), MAX_NAMED)
            keep = ("id", "customer_id", "name", "address")
            return [{k: r.get(k) for k in keep} for r in rows]

        key = f"locations:{_name_key(street)}:{customer_id or '-'}"
        data = await cached(self.store, namespace=NAMES_NAMESPACE, key=key, ttl=NAMES_TTL, load=fetch)
        return [dict(r) for r in data or []]

    async def projects(self) -> list[Row]:
        """Every project's id, number, name and status (ServiceTitan lists projects by no name, so by all)."""

        async def fetch() -> list[Row]:
            rows = await collect(self.client.iter_projects(), 1000)
            return [{k: r.get(k) for k in ("id", "number", "name", "status")} for r in rows]

        data = await cached(self.store, namespace=NAMES_NAMESPACE, key="projects", ttl=NAMES_TTL, load=fetch)
        return [dict(r) for r in data or []]

    async def projects_named(self, text: str) -> list[Row]:
        """The projects whose name (or number) has every word said ("repipe" -> "Whole-home repipe")."""
        rows = await self.projects()
        exact = [r for r in rows if _name_key(str(r.get("name") or "")) == _name_key(text)]
        if exact:
            return exact
        return [r for r in rows if words_match(text, f"{r.get('name') or ''} {r.get('number') or ''}")]
