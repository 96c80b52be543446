"""The job a write is about, named by its customer, address or type instead of its number.

"move the panel upgrade for jessica young to next wed", "put elizabeth clark's job on hold", "hold the drain
cleaning at 470 maple ave": the parser gives `customer` (a name as written), `location` (street words) and
`job_type` (its words) instead of a `job_id` (intents/named_jobs.py). Before a write's card, `lookup` finds
the customer's (or the address's) jobs of that type that are still open, and `pick` settles which one:

- exactly one that the write can change: that job;
- several: a choice between them (each with its type, status, customer and address);
- none: why (no such customer or address, or no open job of that type), and the job number is asked.

`lookup` is the runner's look-up (`Load("named_jobs")`, lookups.LOOKUPS); `pick` is pure (resolve uses it).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.dialog import timefmt
from bot.dialog.refdata import ReferenceData, address_text, collect, together, words_match
from bot.servicetitan import ServiceTitanClient
from intents import named_jobs, parse_named_job

if TYPE_CHECKING:
    from bot.dialog.writes.base import Write

Row = dict[str, Any]

SLOTS = ("customer", "location", "job_type")
NAMED_INTENTS = named_jobs.INTENTS
CLOSED = frozenset({"Completed", "Canceled"})
MAX_PEOPLE = 5  # customers (or addresses) a name matches whose jobs are read
MAX_JOBS = 100  # jobs read per customer or address
MAX_OPTIONS = 25  # Slack shows at most this many options


def said(slots: dict[str, Any]) -> bool:
    """Whether the request names its job by a customer or an address (and no id was given)."""
    no_id = slots.get("job_id") is None and slots.get("appointment_id") is None
    return no_id and bool(slots.get("customer") or slots.get("location"))


def answer(intent: str, asked: str | None, parsed: str, text: str, now: datetime, tz: str) -> dict[str, Any]:
    """The slots an answer to "Which job?" (`asked` job_id, the message parsed as no request of its own)
    gives when it names the job in words ("barbara white's furnace repair", "the one at 470 maple ave", "the
    garcias"); {} otherwise, or when the request's `intent` can't take them."""
    if asked != "job_id" or parsed != "unknown" or intent not in NAMED_INTENTS:
        return {}
    try:
        return parse_named_job(text, now=now, tz=tz) or {}
    except Exception:  # the parser promises never to raise; a dialog must survive if it ever does
        return {}


def names_a_job(text: str, now: datetime, tz: str) -> bool:
    """Whether the words name a job by its customer or address ("actually the furnace repair for barbara
    white"): at a question about the request (its reason) that is a correction of the job, never an answer."""
    try:
        named = parse_named_job(text, now=now, tz=tz) or {}
    except Exception:  # the parser promises never to raise; a dialog must survive if it ever does
        return False
    # a job type and whose (or where) it is: a bare name is no sign ("duplicate booking" reads as one)
    return bool(named.get("job_type") and (named.get("customer") or named.get("location")))


def args(slots: dict[str, Any], tz: str, write: Write) -> dict[str, str]:
    """The look-up's args: the words said, the zone, and whether canceled jobs count (an un-cancel)."""
    wanted = write.requires.value if write.requires else ""
    return {**{slot: str(slots.get(slot) or "") for slot in SLOTS}, "tz": tz, "status": wanted}


async def lookup(client: ServiceTitanClient, refdata: ReferenceData, args: dict[str, Any]) -> Row:
    """The open jobs of the customers (or at the addresses) named, of the type named: {who, problem, jobs:
    [{id, job_number, job_status, label}]}."""
    customer, street, kind = (str(args.get(slot) or "").strip() for slot in SLOTS)
    people = await refdata.names.customers(customer) if customer else []
    places = await refdata.names.locations(street) if street else []
    if customer and not people:
        return {"problem": f"I can't find a customer named “{customer}”.", "jobs": []}
    if street and not places:
        return {"problem": f"I can't find a customer location on “{street}”.", "jobs": []}
    reads = [collect(client.iter_jobs(customer_id=int(c["id"])), MAX_JOBS) for c in people[:MAX_PEOPLE]]
    if not people:
        reads = [collect(client.iter_jobs(location_id=int(p["id"])), MAX_JOBS) for p in places[:MAX_PEOPLE]]
    read = await together(*reads)
    jobs = [job for rows in read for job in rows]
    # Not every job of the name was read (more people or jobs than read, or only a shorter spelling of the
    # name matched): one open job found is then no proof it is the one meant (`pick` asks)
    cut_short = (
        len(people or places) > MAX_PEOPLE
        or any(len(rows) >= MAX_JOBS for rows in read)
        or any(c.get("cut_down") for c in people)
    )
    if people and places:  # "the drain cleaning for Ann Lee at 12 Oak": both must hold
        at = {int(p["id"]) for p in places}
        jobs = [j for j in jobs if int(j.get("location_id") or 0) in at]
    wanted = str(args.get("status") or "")
    jobs = [j for j in jobs if j.get("job_status") not in CLOSED or j.get("job_status") == wanted]
    types = await refdata.reference_names("job_types")
    if kind:
        jobs = [j for j in jobs if words_match(kind, types.get(int(j.get("job_type_id") or 0), ""))]
    jobs.sort(key=lambda j: int(j["id"]))
    owners = sorted({int(j["customer_id"]) for j in jobs})[:MAX_PEOPLE]
    facts, visits = await together(
        refdata.many_job_facts([int(j["id"]) for j in jobs]) if jobs else _nothing(),
        together(*(collect(client.iter_appointments(customer_id=c), MAX_JOBS) for c in owners)),
    )
    by_job: dict[int, list[Row]] = {}
    for visit in (v for rows in visits for v in rows):
        by_job.setdefault(int(visit["job_id"]), []).append(visit)
    tz = str(args.get("tz") or "UTC")
    who = ", ".join(str(c["name"]) for c in people[:MAX_PEOPLE]) or ", ".join(
        address_text(p.get("address")) for p in places[:MAX_PEOPLE]
    )
    return {
        "who": who,
        "cut_short": cut_short,
        "jobs": [
            {
                "id": int(j["id"]),
                "job_number": j.get("job_number"),
                "job_status": j.get("job_status"),
                "label": _label(
                    j,
                    facts.get(int(j["id"])) or {},
                    _next_visit(by_job.get(int(j["id"]), []), tz),
                    bool(people),
                ),
            }
            for j in jobs
        ],
    }


async def _nothing() -> dict[int, Row]:
    return {}


def _next_visit(appointments: list[Row], tz: str) -> str:
    """When the first visit still to be done starts, as "Wed Dec 9 8:00 AM" ("" when none)."""
    open_ = [a for a in appointments if a.get("status") not in {"Done", "Canceled"}]
    if not open_:
        return ""
    start = timefmt.local(timefmt.parse_iso(str(min(open_, key=lambda a: str(a["start"]))["start"])), tz)
    return f"{timefmt.short_day(start)} {timefmt.clock(start)}"


def _label(job: Row, facts: Row, visit: str, by_customer: bool) -> str:
    """ "Job 1015 · Panel Upgrade · Scheduled · Wed Dec 9 8:00 AM · 618 Pine Rd, Naperville, IL 60540": the
    customer too when the job was named by its address (the question names the customer otherwise)."""
    customer = "" if by_customer else str(facts.get("customer") or "").split(" (#")[0]
    parts = [
        f"Job {job['id']}",
        facts.get("job_type"),
        job.get("job_status"),
        visit,
        customer,
        facts.get("address"),
    ]
    return " · ".join(str(p) for p in parts if p)[:75]


def usable(write: Write, job: Row) -> bool:
    """Whether the write can act on the job as it is: an appointment-level write on any open job (with the
    status it requires, when it requires one: a held job to take off hold), a job-level one by its rules."""
    if "job" in [step.rstrip("?") for step in write.steps]:
        return write.job_problem(job) is None
    if write.job_closed(job) is not None:
        return False
    return write.requires is None or job.get("job_status") == write.requires.value


def pick(found: Row, write: Write, slots: dict[str, Any]) -> tuple[str, Any]:
    """Which job was meant: ("one", job id), ("many", (prompt, [(value, label)])) or ("none", why)."""
    if found.get("problem"):
        return "none", str(found["problem"])
    kind = str(slots.get("job_type") or "").strip()
    what = f"{kind} job" if kind else "job"
    who = str(found.get("who") or slots.get("customer") or slots.get("location") or "")
    jobs = [j for j in found.get("jobs", []) if usable(write, j)]
    state = write.requires.words if write.requires else ""  # "canceled", "on hold"
    if not jobs:
        if state:
            return "none", f"{who} has no {what} that is {state}."
        if found.get("jobs"):
            return "none", f"{who} has no open {what} that can be {write.done}."
        return "none", f"{who} has no open {what}."
    options = [(str(j["id"]), str(j["label"])) for j in jobs[:MAX_OPTIONS]]
    if len(jobs) == 1 and found.get("cut_short"):  # not all of the name's jobs were read: never silently
        return "many", (
            f"I found this {what} for {who}, but not every job of that name was read. Is it this one? If not, say the job number.",
            options,
        )
    if len(jobs) == 1:
        return "one", int(jobs[0]["id"])
    many = f"{len(jobs)} {what}s that are {state}" if state else f"{len(jobs)} open {what}s"
    return "many", (f"{who} has {many}. Which one?", options)
