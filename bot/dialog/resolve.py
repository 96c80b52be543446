"""Settle a pending write, step by step, from the user's slots and the ServiceTitan data looked up so far.

`resolve(pending, asker, now)` walks the intent's steps (bot.dialog.catalog.WRITE_STEPS) and returns the
first thing still needed: a lookup (`NeedLoad`), a question (`AskFor`), a choice (`Offer`), a rejected slot
with the reason (`Reject`), a dead end (`Stop`) — or `Ready` with the plan to confirm. It is pure: lookups
are requested, never made, and their results come back in `pending.data`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.dialog import reads, rules, timefmt
from bot.dialog.catalog import DONE_WORD, WRITE_STEPS
from bot.dialog.messages import Asker
from bot.dialog.state import Guard, Load, Pending, Plan

Row = dict[str, Any]


@dataclass(frozen=True)
class NeedLoad:
    load: Load


@dataclass(frozen=True)
class AskFor:
    slot: str


@dataclass(frozen=True)
class Offer:
    slot: str
    prompt: str
    options: list[tuple[str, str]]


@dataclass(frozen=True)
class Reject:
    """A slot value that ServiceTitan contradicts: clear `clear`, tell `problem`, and go on."""

    clear: tuple[str, ...]
    problem: str


@dataclass(frozen=True)
class Stop:
    problem: str


@dataclass(frozen=True)
class Ready:
    plan: Plan


Outcome = NeedLoad | AskFor | Offer | Reject | Stop | Ready


@dataclass
class Ctx:
    """What the steps settled so far (rows as dicts from the ServiceTitan models)."""

    intent: str
    asker: Asker
    now: datetime
    job: Row | None = None
    appointment: Row | None = None
    appointments: list[Row] = field(default_factory=list)
    assigned: list[Row] = field(default_factory=list)  # active assignments of `appointment`
    job_types: list[Row] = field(default_factory=list)
    facts: Row | None = (
        None  # the job's cached facts: type, customer, address, business unit (runner.job_facts)
    )
    times: rules.Times | None = None
    technician: Row | None = None
    reason: Row | None = None
    customer: Row | None = None
    location: Row | None = None
    job_type: Row | None = None
    business_unit_id: int | None = None
    campaign: Row | None = None
    configured_campaign_id: int | None = None
    changes: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    seen_at: datetime | None = None  # when the job/appointment the card shows was read (oldest lookup)

    @property
    def tz(self) -> str:
        return self.asker.tz


class _Need(Exception):
    """Raised inside a step to return an outcome early."""

    def __init__(self, outcome: Outcome) -> None:
        self.outcome = outcome


def _data(p: Pending, what: str, **args: Any) -> Any:
    load = Load(what, dict(args))
    if load.key not in p.data:
        raise _Need(NeedLoad(load))
    return p.data[load.key]


def resolve(p: Pending, asker: Asker, now: datetime, *, campaign_id: int | None = None) -> Outcome:
    ctx = Ctx(intent=p.intent, asker=asker, now=now, configured_campaign_id=campaign_id)
    try:
        ctx.job_types = _data(p, "job_types") or []
        for name in WRITE_STEPS[p.intent]:
            optional = name.endswith("?")
            name = name.rstrip("?")
            if optional and not p.slots.get(name):
                continue
            STEPS[name](p, ctx)
        plan = PLANNERS[p.intent](p, ctx)
        plan.seen_at = ctx.seen_at
        if plan.undo is not None:
            plan.undo.facts = _undo_facts(plan)
        return Ready(plan)
    except _Need as need:
        return need.outcome


# ---- steps ------------------------------------------------------------------------------------------------


def _seen(ctx: Ctx, found: Row) -> None:
    """Note when a lookup the card is built on was made: the card is as old as its oldest one."""
    read_at = found.get("read_at")
    if read_at:
        when = timefmt.parse_iso(str(read_at))
        ctx.seen_at = when if ctx.seen_at is None else min(ctx.seen_at, when)


def _status_problem(intent: str, job: Row) -> str | None:
    status = str(job.get("job_status", ""))
    label = f"Job {job.get('job_number') or job.get('id')}"
    done = DONE_WORD.get(intent, "changed")
    if intent == "remove_cancellation":
        return None if status == "Canceled" else f"{label} isn't canceled (it's {status})."
    if status == "Completed":
        return f"{label} is completed, so it can't be {done}."
    if status == "Canceled":
        return f"{label} is canceled, so it can't be {done}. Say *uncancel job {job.get('id')}* first if it should go ahead."
    if intent == "hold_job" and status == "Hold":
        return f"{label} is already on hold."
    return None


_CLOSED = {"Done", "Canceled"}


def _appointment_problem(intent: str, appt: Row) -> str | None:
    status = str(appt.get("status", ""))
    label = f"Appointment {appt.get('id')}"
    if intent == "remove_appointment_hold":
        return None if status == "Hold" else f"{label} isn't on hold (it's {status})."
    if status in _CLOSED:
        return f"{label} is {status.lower()}, so it can't be {DONE_WORD.get(intent, 'changed')}."
    if intent == "hold_appointment" and status == "Hold":
        return f"{label} is already on hold."
    if intent in {"reschedule_appointment", "delete_appointment"} and status == "Working":
        return f"{label} is being worked on right now, so it can't be {DONE_WORD.get(intent, 'changed')}."
    return None


def _times_of(appt: Row) -> rules.Times:
    ws, we = appt.get("arrival_window_start"), appt.get("arrival_window_end")
    return rules.Times(
        timefmt.parse_iso(appt["start"]),
        timefmt.parse_iso(appt["end"]),
        timefmt.parse_iso(ws) if ws else None,
        timefmt.parse_iso(we) if we else None,
    )


def appointment_label(appt: Row, assigned: list[Row], tz: str) -> str:
    times = _times_of(appt)
    names = ", ".join(a["technician_name"] for a in assigned if a.get("appointment_id") == appt["id"])
    label = f"{timefmt.short_span(times.start, times.end, tz)}"
    return f"{label} · {names or 'unassigned'} (#{appt['id']})"


NOT_LINKED = "You're not linked to a ServiceTitan technician."


def names_me(name: str) -> bool:
    """Whether a technician named in a message is the asker ("me")."""
    return name.strip().casefold() == "me"


def is_mention(name: str) -> bool:
    """Whether a technician named in a message is a Slack mention nobody could put a name to (`<@U123>`)."""
    return name.strip().startswith("<@")


def mention_problem(name: str) -> str:
    return f"I can't tell which ServiceTitan technician {name} is. Type their name instead."


def active_rows(rows: list[Row]) -> list[Row]:
    """The rows ServiceTitan doesn't mark inactive (reference data, assignments)."""
    return [r for r in rows if r.get("active", True) is not False]


def _options(rows: list[Row]) -> list[tuple[str, str]]:
    """Rows with an id and a name as the options of a choice (Slack shows at most 25)."""
    return [(str(r["id"]), str(r["name"])) for r in rows[:25]]


def _pick_named(rows: list[Row], words: Any, chosen: Any, *, slot: str, prompt: str) -> Row:
    """The row picked before (`chosen`, an id from a choice) if it is still there, else the one row `words`
    name; several matches, or none, are offered as a choice (of all rows when nothing matches)."""
    if chosen is not None:
        row = next((r for r in rows if r["id"] == int(chosen)), None)
        if row is not None:
            return row
    match = rules.match_named(str(words), rows)
    if match.kind == "one":
        return match.row
    raise _Need(Offer(slot, prompt, _options(match.rows if match.kind == "many" else rows)))


def derived_job(job_id: int, appointments: list[Row]) -> Row:
    """The job as its appointments show it, for appointment-level changes (saves a ServiceTitan call).

    ServiceTitan moves every appointment of a canceled job to Canceled and of a completed job to Done.
    """
    statuses = {str(a.get("status")) for a in appointments}
    status = "Scheduled"
    if statuses and statuses <= {"Canceled"}:
        status = "Canceled"
    elif statuses and statuses <= {"Done", "Canceled"}:
        status = "Completed"
    return {"id": job_id, "job_number": str(job_id), "job_status": status, "derived": True}


def step_target(p: Pending, ctx: Ctx) -> None:
    appt_id, job_id = p.slots.get("appointment_id"), p.slots.get("job_id")
    if appt_id is None and job_id is None:
        raise _Need(AskFor("job_id"))
    if appt_id is not None:
        job_key = Load("job_appointments", {"job_id": job_id}).key if job_id is not None else ""
        from_job = p.data.get(job_key) if job_key else None
        if from_job and any(a["id"] == appt_id for a in from_job["appointments"]):
            _seen(ctx, from_job)
            appts = from_job["appointments"]
            appt = next(a for a in appts if a["id"] == appt_id)
            assignments = active_rows(from_job["assignments"])
        else:
            found = _data(p, "appointment", appointment_id=appt_id)
            appt = found.get("appointment")
            if appt is None:
                raise _Need(
                    Reject(("appointment_id",), f"I can't find appointment {appt_id} in ServiceTitan.")
                )
            _seen(ctx, found)
            if job_id is not None and appt["job_id"] != job_id:
                raise _Need(
                    Reject(
                        ("appointment_id",),
                        f"Appointment {appt_id} belongs to job {appt['job_id']}, not job {job_id}.",
                    )
                )
            appts, assignments = [appt], active_rows(found.get("assignments", []))
        job = derived_job(int(appt["job_id"]), appts if len(appts) > 1 else [])
        problem = _appointment_problem(p.intent, appt)
        if problem:
            raise _Need(Reject(("appointment_id", "job_id"), problem))
    else:
        found = _data(p, "job_appointments", job_id=job_id)
        _seen(ctx, found)
        appts, assignments = found["appointments"], active_rows(found["assignments"])
        if not appts:
            if found.get("job") is None:
                raise _Need(Reject(("job_id",), f"I can't find job {job_id} in ServiceTitan."))
            raise _Need(Reject(("job_id",), f"Job {job_id} has no appointments."))
        job = found.get("job") or derived_job(int(str(job_id)), appts)
        problem = _status_problem(p.intent, job)
        if problem:
            raise _Need(Reject(("job_id",), problem))
        open_ = [a for a in appts if _appointment_problem(p.intent, a) is None]
        if p.intent == "unassign_technician":
            open_ = [a for a in open_ if any(s["appointment_id"] == a["id"] for s in assignments)]
        if not open_:
            raise _Need(
                Reject(
                    ("job_id",),
                    f"Job {job_id} has no appointment that can be {DONE_WORD.get(p.intent, 'changed')}.",
                )
            )
        if len(open_) > 1:
            options = [(str(a["id"]), appointment_label(a, assignments, ctx.tz)) for a in open_]
            raise _Need(
                Offer("appointment_id", f"Job {job_id} has {len(open_)} appointments. Which one?", options)
            )
        appt = open_[0]
    ctx.job, ctx.appointment, ctx.appointments = job, appt, appts
    ctx.assigned = [a for a in assignments if a.get("appointment_id") == appt["id"]]
    if p.intent == "delete_appointment":
        _check_deletable(p, appt)
    ctx.facts = _data(p, "job_facts", job_id=int(appt["job_id"]))


def _check_deletable(p: Pending, appt: Row) -> None:
    """ServiceTitan never deletes a job's only appointment (a job always has one): say so before the card.

    Timesheets can't be read through our APIs, so that refusal can only come after the press (runner.call).
    """
    job_id = int(appt["job_id"])
    siblings = _data(p, "job_appointments", job_id=job_id)["appointments"]
    if len(siblings) <= 1:
        raise _Need(
            Stop(
                f"Appointment {appt['id']} is job {job_id}'s only appointment, and ServiceTitan can't delete "
                f"a job's only appointment. To call the visit off, cancel the job instead "
                f"(e.g. *cancel job {job_id}, customer canceled*), or move it (*reschedule job {job_id}*)."
            )
        )


def step_job(p: Pending, ctx: Ctx) -> None:
    job_id = p.slots.get("job_id")
    if job_id is None and p.slots.get("appointment_id") is not None:
        found = _data(p, "appointment", appointment_id=p.slots["appointment_id"])
        if found.get("appointment") is None:
            raise _Need(Reject(("appointment_id",), f"I can't find appointment {p.slots['appointment_id']}."))
        job_id = found["appointment"]["job_id"]
    if job_id is None:
        raise _Need(AskFor("job_id"))
    found = _data(p, "job", job_id=job_id)
    job = found.get("job")
    if job is None:
        raise _Need(Reject(("job_id", "appointment_id"), f"I can't find job {job_id} in ServiceTitan."))
    _seen(ctx, found)
    problem = _status_problem(p.intent, job)
    if problem:
        raise _Need(Reject(("job_id", "appointment_id"), problem))
    ctx.job, ctx.appointments = job, found.get("appointments", [])
    ctx.assigned = active_rows(found.get("assignments", []))
    ctx.facts = _data(p, "job_facts", job_id=int(job["id"]))


def step_when(p: Pending, ctx: Ctx) -> None:
    when = p.slots.get("when")
    if not when:
        raise _Need(AskFor("when"))
    windows_rows = _data(p, "arrival_windows") or []
    unit = (ctx.job or {}).get("business_unit_id") or ctx.business_unit_id
    windows = rules.arrival_windows(windows_rows, unit)
    keep = None
    duration = timedelta(hours=2)
    if p.intent == "reschedule_appointment" and ctx.appointment:
        keep = _times_of(ctx.appointment)
        duration = keep.end - keep.start
    elif p.intent == "add_appointment" and ctx.appointments:
        last = _times_of(max(ctx.appointments, key=lambda a: a["start"]))
        duration = last.end - last.start
    elif ctx.job_type and ctx.job_type.get("duration"):
        duration = timedelta(seconds=int(ctx.job_type["duration"]))
    verdict = rules.schedule(when, tz=ctx.tz, now=ctx.now, duration=duration, keep=keep, windows=windows)
    if verdict.problem or verdict.times is None:
        raise _Need(Reject(("when",), verdict.problem or "I couldn't place that time."))
    if keep and (verdict.times.start, verdict.times.end) == (keep.start, keep.end):
        raise _Need(Reject(("when",), f"It's already at {timefmt.span(keep.start, keep.end, ctx.tz)}."))
    ctx.times = verdict.times


def _mention_or_me(p: Pending, ctx: Ctx, name: str) -> int | None:
    if names_me(name):
        if ctx.asker.technician_id is None:
            raise _Need(Reject(("technician",), NOT_LINKED))
        return ctx.asker.technician_id
    if is_mention(name):
        raise _Need(Reject(("technician",), mention_problem(name)))
    return None


def step_technician(p: Pending, ctx: Ctx) -> None:
    name = p.slots.get("technician")
    if not name:
        raise _Need(AskFor("technician"))
    technicians = active_rows(_data(p, "technicians") or [])
    chosen = p.slots.get("technician_id") or _mention_or_me(p, ctx, str(name))
    if chosen is not None:
        row = next((t for t in technicians if t["id"] == int(chosen)), None)
        if row is None:
            raise _Need(Reject(("technician",), f"Technician {chosen} isn't an active technician."))
    else:
        match = rules.match_technician(str(name), technicians)
        if match.kind == "none":
            raise _Need(Reject(("technician",), f"No active technician matches “{name}”."))
        if match.kind == "many":
            raise _Need(
                Offer("technician_id", f"Which technician did you mean by “{name}”?", _options(match.rows))
            )
        row = match.row
    if p.intent == "assign_technician" and any(a["technician_id"] == row["id"] for a in ctx.assigned):
        raise _Need(Reject(("technician",), f"{row['name']} is already on that appointment."))
    ctx.technician = row


def step_assigned_technician(p: Pending, ctx: Ctx) -> None:
    assigned = ctx.assigned
    if not assigned:
        raise _Need(Reject(("appointment_id", "job_id"), "Nobody is assigned to that appointment."))
    name = p.slots.get("technician")
    chosen = p.slots.get("technician_id")
    if chosen is None and name:
        chosen = _mention_or_me(p, ctx, str(name))
    if chosen is not None:
        row = next((a for a in assigned if a["technician_id"] == int(chosen)), None)
        if row is None:
            raise _Need(_which_assigned("That technician", assigned))
    elif name:
        people = [{"id": a["technician_id"], "name": a["technician_name"]} for a in assigned]
        match = rules.match_technician(str(name), people)
        if match.kind == "none":
            raise _Need(_which_assigned(f"“{name}”", assigned))
        if match.kind == "many":
            options = [(str(t["id"]), str(t["name"])) for t in match.rows]
            raise _Need(Offer("technician_id", f"Which technician did you mean by “{name}”?", options))
        row = next(a for a in assigned if a["technician_id"] == match.row["id"])
    elif len(assigned) == 1:
        row = assigned[0]
    else:
        options = [(str(a["technician_id"]), str(a["technician_name"])) for a in assigned]
        raise _Need(Offer("technician_id", "Which technician should I take off?", options))
    ctx.technician = {"id": row["technician_id"], "name": row["technician_name"]}


def _which_assigned(who: str, assigned: list[Row]) -> Offer:
    """Someone not on the appointment was named: say who is, and ask which of them to take off (never a
    ready card for a person the user didn't name, even when only one is assigned)."""
    names = ", ".join(a["technician_name"] for a in assigned)
    options = [(str(a["technician_id"]), str(a["technician_name"])) for a in assigned]
    prompt = f"{who} isn't on that appointment (assigned: {names}). Which one should I take off?"
    return Offer("technician_id", prompt, options)


def _reason(p: Pending, ctx: Ctx, kind: str) -> None:
    words = p.slots.get("reason")
    if not words:
        raise _Need(AskFor("reason"))
    reasons = active_rows(_data(p, f"{kind}_reasons") or [])
    if not reasons:
        raise _Need(Stop(f"ServiceTitan has no active {kind} reasons, so I can't do that."))
    ctx.reason = _pick_named(
        reasons,
        words,
        p.slots.get("reason_id"),
        slot="reason_id",
        prompt=f"Which {kind} reason fits “{words}”?",
    )


def step_hold_reason(p: Pending, ctx: Ctx) -> None:
    _reason(p, ctx, "hold")


def step_cancel_reason(p: Pending, ctx: Ctx) -> None:
    _reason(p, ctx, "cancel")


def step_text(p: Pending, ctx: Ctx) -> None:
    text = str(p.slots.get("text") or "").strip()
    if not text:
        raise _Need(AskFor("text"))


def step_customer(p: Pending, ctx: Ctx) -> None:
    customer_id = p.slots.get("customer_id")
    if customer_id is None:
        raise _Need(AskFor("customer_id"))
    found = _data(p, "customer", customer_id=customer_id)
    if found.get("customer") is None:
        raise _Need(Reject(("customer_id",), f"I can't find customer {customer_id} in ServiceTitan."))
    ctx.customer = found["customer"]


def step_location(p: Pending, ctx: Ctx) -> None:
    assert ctx.customer is not None
    found = _data(p, "customer", customer_id=ctx.customer["id"])
    locations = active_rows(found.get("locations", []))
    location_id = p.slots.get("location_id")
    if location_id is not None:
        row = next((loc for loc in locations if loc["id"] == int(location_id)), None)
        if row is None:
            raise _Need(
                Reject(
                    ("location_id",), f"Location {location_id} isn't one of customer {ctx.customer['id']}'s."
                )
            )
    elif len(locations) == 1:
        row = locations[0]
    elif not locations:
        raise _Need(Stop(f"Customer {ctx.customer['id']} has no active location to send a technician to."))
    else:
        options = [(str(loc["id"]), _location_label(loc)) for loc in locations[:25]]
        raise _Need(Offer("location_id", "Which location?", options))
    ctx.location = row


def _location_label(loc: Row) -> str:
    address = loc.get("address") or {}
    street = address.get("street")
    return f"{loc.get('name')}{' · ' + street if street else ''} (#{loc['id']})"[:75]


def step_job_type(p: Pending, ctx: Ctx) -> None:
    words = p.slots.get("job_type")
    if not words:
        raise _Need(AskFor("job_type"))
    ctx.job_type = _pick_named(
        active_rows(ctx.job_types),
        words,
        p.slots.get("job_type_id"),
        slot="job_type_id",
        prompt=f"Which job type fits “{words}”?",
    )


def step_business_unit(p: Pending, ctx: Ctx) -> None:
    units = active_rows(_data(p, "business_units") or [])
    words = p.slots.get("business_unit")
    chosen = p.slots.get("business_unit_id")
    if chosen is not None:
        ctx.business_unit_id = int(chosen)
        return
    if words:
        row = _pick_named(units, words, None, slot="business_unit_id", prompt="Which business unit?")
        ctx.business_unit_id = int(row["id"])
        return
    type_units = (ctx.job_type or {}).get("business_unit_ids") or []
    if type_units:
        ctx.business_unit_id = int(type_units[0])
    elif len(units) == 1:
        ctx.business_unit_id = int(units[0]["id"])
    elif units:
        raise _Need(Offer("business_unit_id", "Which business unit?", _options(units)))
    else:
        raise _Need(Stop("ServiceTitan has no active business unit to book the job under."))


def step_campaign(p: Pending, ctx: Ctx) -> None:
    campaigns = active_rows(_data(p, "campaigns") or [])
    if ctx.configured_campaign_id is not None:
        configured = next((c for c in campaigns if c["id"] == ctx.configured_campaign_id), None)
        if configured is None:
            raise _Need(
                Stop(f"The configured campaign {ctx.configured_campaign_id} isn't active in ServiceTitan.")
            )
        ctx.campaign = configured
        return
    if not campaigns:
        raise _Need(Stop("ServiceTitan has no active campaign, and a job can't be booked without one."))
    ctx.campaign = campaigns[0]


def step_job_changes(p: Pending, ctx: Ctx) -> None:
    changes: dict[str, Any] = {}
    if p.slots.get("priority"):
        priority = rules.normalize_priority(str(p.slots["priority"]))
        if priority is None:
            raise _Need(
                Reject(
                    ("priority",), f"“{p.slots['priority']}” isn't a priority (Low, Normal, High, Urgent)."
                )
            )
        changes["priority"] = priority
    if p.slots.get("summary"):
        changes["summary"] = str(p.slots["summary"]).strip()
    if p.slots.get("customer_id") is not None:
        found = _data(p, "customer", customer_id=p.slots["customer_id"])
        if found.get("customer") is None:
            raise _Need(Reject(("customer_id",), f"I can't find customer {p.slots['customer_id']}."))
        _check_bill_to(ctx, found["customer"], found.get("locations") or [])
        changes["customer"] = found["customer"]
    if p.slots.get("job_type"):
        step_job_type(p, ctx)
        assert ctx.job_type is not None
        changes["job_type"] = ctx.job_type
    if not changes:
        raise _Need(AskFor("job_changes"))
    ctx.changes = changes


def _check_bill_to(ctx: Ctx, customer: Row, locations: list[Row]) -> None:
    """ServiceTitan accepts a job's customer only if the job's location belongs to that customer (the
    simulator answers 400 "Location 315 does not belong to customer 205" otherwise): check it before the card."""
    job = ctx.job or {}
    new = f"{customer.get('name')} (#{customer['id']})"
    if job.get("customer_id") == customer["id"]:
        raise _Need(Reject(("customer_id",), f"{new} is already the customer on job {job.get('id')}."))
    location_id = job.get("location_id")
    if location_id is None or any(loc["id"] == location_id for loc in locations):
        return
    facts = ctx.facts or {}
    where = f"location #{location_id}" + (f" ({facts['address']})" if facts.get("address") else "")
    owner = facts.get("customer") or f"customer #{job.get('customer_id')}"
    theirs = ", ".join(_location_label(loc) for loc in locations[:5]) or "none on file"
    raise _Need(
        Reject(
            ("customer_id",),
            f"Job {job.get('id')} is at {where}, which belongs to {owner}. ServiceTitan only accepts a "
            f"customer that the job's location belongs to, so {new} can't be set on this job "
            f"(their locations: {theirs}).",
        )
    )


def step_conflicts(p: Pending, ctx: Ctx) -> None:
    if ctx.intent == "assign_technician":
        people = [ctx.technician] if ctx.technician else []
        times = _times_of(ctx.appointment) if ctx.appointment else None
    elif ctx.intent == "reschedule_appointment":
        people = [{"id": a["technician_id"], "name": a["technician_name"]} for a in ctx.assigned]
        times = ctx.times
    else:
        people = [ctx.technician] if ctx.technician else []
        times = ctx.times
    if not people or times is None:
        return
    ids = ",".join(str(t["id"]) for t in people)
    exclude = int(ctx.appointment["id"]) if ctx.appointment else 0
    found = _data(
        p,
        "conflicts",
        technician_ids=ids,
        start=timefmt.iso(times.start),
        end=timefmt.iso(times.end),
        exclude=exclude,
    )
    names = {int(t["id"]): str(t["name"]) for t in people}
    for hit in found or []:
        other = hit["appointment"]
        span = timefmt.short_span(timefmt.parse_iso(other["start"]), timefmt.parse_iso(other["end"]), ctx.tz)
        who = names.get(int(hit["technician_id"]), "A technician")
        ctx.warnings.append(f"{who} already has job {other['job_id']} (appointment {other['id']}) {span}.")


STEPS = {
    "target": step_target,
    "job": step_job,
    "when": step_when,
    "technician": step_technician,
    "assigned_technician": step_assigned_technician,
    "hold_reason": step_hold_reason,
    "cancel_reason": step_cancel_reason,
    "text": step_text,
    "customer": step_customer,
    "location": step_location,
    "job_type": step_job_type,
    "business_unit": step_business_unit,
    "campaign": step_campaign,
    "job_changes": step_job_changes,
    "conflicts": step_conflicts,
}


# ---- plans: what the confirmation shows and what the write sends -----------------------------------------


def _type_name(ctx: Ctx, type_id: Any) -> str | None:
    return next((str(t["name"]) for t in ctx.job_types if t["id"] == type_id), None)


def _job_facts(ctx: Ctx) -> list[tuple[str, str]]:
    """Job #, type, customer, address and status (live), then the technicians on it."""
    job, facts = ctx.job or {}, ctx.facts or {}
    kind = facts.get("job_type") or _type_name(ctx, job.get("job_type_id"))
    status = job.get("job_status") or ""
    rows = [("Job", f"#{job.get('id')}{' · ' + kind if kind else ''}{f' ({status})' if status else ''}")]
    if facts.get("customer"):
        rows.append(("Customer", str(facts["customer"])))
    if facts.get("address"):
        rows.append(("Address", str(facts["address"])))
    names = list(dict.fromkeys(str(a["technician_name"]) for a in ctx.assigned))
    if not ctx.appointment:
        rows.append(("Technicians", ", ".join(names) or "nobody"))
    return rows


def _undo_facts(plan: Plan) -> list[tuple[str, str]]:
    """The facts of the card that undoes `plan`: the same job, with the technicians as `plan` leaves them."""
    after = {label: new for label, _, new in plan.changes}
    keep = ("Job", "Customer", "Address", "Appointment", "Technicians")
    facts = [(label, value) for label, value in plan.facts if label in keep]
    return [(label, after.get(label, value) if label == "Technicians" else value) for label, value in facts]


def _appt_guard(ctx: Ctx, *, always: bool = False, **fields: Any) -> Guard:
    assert ctx.appointment and ctx.job
    return Guard(
        kind="appointment",
        id=int(ctx.appointment["id"]),
        fields={"exists": True, **fields},
        label=f"Job {ctx.job['id']}",
        tz=ctx.tz,
        always=always,
    )


def _times_guard(ctx: Ctx, t: rules.Times, *, always: bool = False) -> Guard:
    return _appt_guard(ctx, always=always, start=timefmt.iso(t.start), end=timefmt.iso(t.end))


def _people_guard(ctx: Ctx, ids: set[int], *, always: bool = False) -> Guard:
    assert ctx.appointment and ctx.job
    return Guard(
        kind="assignments",
        id=int(ctx.appointment["id"]),
        fields={"technician_ids": sorted(ids)},
        label=f"Job {ctx.job['id']}",
        tz=ctx.tz,
        always=always,
    )


def _job_guard(ctx: Ctx, fields: dict[str, Any], *, always: bool = False) -> Guard:
    assert ctx.job
    job_id = int(ctx.job["id"])
    return Guard(
        kind="job",
        id=job_id,
        fields={"exists": True, **fields},
        label=f"Job {job_id}",
        tz=ctx.tz,
        always=always,
    )


_JOB_FIELD_LABELS = {
    "job_status": "status",
    "priority": "priority",
    "summary": "summary",
    "customer_id": "customer",
    "job_type_id": "job type",
}


def drift_text(guard: Guard, now: Row) -> str:
    """What changed in ServiceTitan since a card was made, as a sentence: "Job 1012 has been moved to …"."""
    if now.get("exists") is False:
        what = f"Appointment {guard.id}" if guard.kind == "appointment" else guard.label
        return f"{what} has been deleted"
    want = guard.fields
    if guard.kind == "assignments":
        names = ", ".join(now.get("technician_names") or []) or "nobody"
        return f"The technicians on {guard.label.lower()} are now {names}"
    if guard.kind == "appointment":
        if (now.get("start"), now.get("end")) != (want.get("start"), want.get("end")) and "start" in want:
            start, end = timefmt.parse_iso(str(now["start"])), timefmt.parse_iso(str(now["end"]))
            return f"{guard.label} has been moved to {timefmt.span(start, end, guard.tz)}"
        if "status" in want and now.get("status") != want["status"]:
            return f"Appointment {guard.id} of {guard.label.lower()} is now {now.get('status')}"
        if "special_instructions" in want:
            text = now.get("special_instructions") or "empty"
            return f"The special instructions of appointment {guard.id} now read “{text}”"
        return f"Appointment {guard.id} of {guard.label.lower()} has changed"
    changed = [k for k in want if k != "exists" and now.get(k) != want[k]]
    parts = [f"{_JOB_FIELD_LABELS.get(k, k)} has changed to {now.get(k) or 'nothing'}" for k in changed]
    return f"{guard.label}'s " + (", and its ".join(parts) or "details have changed")


def _appt_facts(ctx: Ctx) -> list[tuple[str, str]]:
    facts = _job_facts(ctx)
    if ctx.appointment:
        t = _times_of(ctx.appointment)
        facts.append(("Appointment", f"#{ctx.appointment['id']} · {timefmt.span(t.start, t.end, ctx.tz)}"))
    names = ", ".join(a["technician_name"] for a in ctx.assigned) or "nobody"
    facts.append(("Technicians", names))
    return facts


def _window_text(t: rules.Times, tz: str) -> str:
    if t.window_start and t.window_end:
        return f"{timefmt.clock(timefmt.local(t.window_start, tz))} – {timefmt.clock(timefmt.local(t.window_end, tz))}"
    return "none"


def _date_edit(t: rules.Times, tz: str) -> tuple[str, str]:
    """The card's date and time pickers start at the new start, in the user's zone."""
    local = timefmt.local(t.start, tz)
    return local.date().isoformat(), f"{local:%H:%M}"


def _times_args(t: rules.Times) -> dict[str, Any]:
    return {
        "start": timefmt.iso(t.start),
        "end": timefmt.iso(t.end),
        "arrival_window_start": timefmt.iso(t.window_start) if t.window_start else None,
        "arrival_window_end": timefmt.iso(t.window_end) if t.window_end else None,
    }


def plan_reschedule(p: Pending, ctx: Ctx) -> Plan:
    assert ctx.appointment and ctx.times and ctx.job
    old, new = _times_of(ctx.appointment), ctx.times
    appt_id = ctx.appointment["id"]
    changes = [("When", timefmt.span(old.start, old.end, ctx.tz), timefmt.span(new.start, new.end, ctx.tz))]
    if _window_text(old, ctx.tz) != _window_text(new, ctx.tz):
        changes.append(("Arrival window", _window_text(old, ctx.tz), _window_text(new, ctx.tz)))
    undo = Plan(
        op="reschedule_appointment",
        args={"appointment_id": appt_id, **_times_args(old)},
        title=f"Undo: move job {ctx.job['id']} back?",
        verb="Move it back",
        done_text=f"Moved job {ctx.job['id']} back to {timefmt.span(old.start, old.end, ctx.tz)}.",
        changes=[(label, after, before) for label, before, after in changes],
        guard=_times_guard(ctx, new, always=True),
    )
    return Plan(
        op="reschedule_appointment",
        args={"appointment_id": appt_id, **_times_args(new)},
        title=f"Reschedule job {ctx.job['id']}?",
        verb="Reschedule",
        done_text=f"Rescheduled job {ctx.job['id']} to {timefmt.span(new.start, new.end, ctx.tz)}.",
        facts=_appt_facts(ctx),
        changes=changes,
        warnings=ctx.warnings,
        date_edit=_date_edit(new, ctx.tz),
        undo=undo,
        guard=_times_guard(ctx, old),
    )


def plan_add_appointment(p: Pending, ctx: Ctx) -> Plan:
    assert ctx.job and ctx.times
    t = ctx.times
    tech = ctx.technician
    args: dict[str, Any] = {"job_id": ctx.job["id"], **_times_args(t)}
    if tech:
        args["technician_ids"] = [tech["id"]]
    changes = [("New visit", "—", timefmt.span(t.start, t.end, ctx.tz))]
    if tech:
        changes.append(("Technician", "—", str(tech["name"])))
    return Plan(
        op="add_appointment",
        args=args,
        title=f"Add a visit to job {ctx.job['id']}?",
        verb="Add visit",
        done_text=f"Added a visit to job {ctx.job['id']} on {timefmt.span(t.start, t.end, ctx.tz)}.",
        facts=[*_job_facts(ctx), ("Visits so far", str(len(ctx.appointments)))],
        changes=changes,
        warnings=ctx.warnings,
        date_edit=_date_edit(t, ctx.tz),
    )


def plan_book_job(p: Pending, ctx: Ctx) -> Plan:
    assert ctx.customer and ctx.location and ctx.job_type and ctx.times and ctx.campaign
    t = ctx.times
    priority = rules.normalize_priority(str(p.slots.get("priority") or "")) or "Normal"
    appointment: dict[str, Any] = _times_args(t)
    if ctx.technician:
        appointment["technician_ids"] = [ctx.technician["id"]]
    args: dict[str, Any] = {
        "customer_id": ctx.customer["id"],
        "location_id": ctx.location["id"],
        "business_unit_id": ctx.business_unit_id,
        "job_type_id": ctx.job_type["id"],
        "priority": priority,
        "campaign_id": ctx.campaign["id"],
        "appointments": [appointment],
    }
    if p.slots.get("summary"):
        args["summary"] = str(p.slots["summary"])
    changes = [
        ("Job type", "—", str(ctx.job_type["name"])),
        ("Visit", "—", timefmt.span(t.start, t.end, ctx.tz)),
        ("Priority", "—", priority),
    ]
    if ctx.technician:
        changes.append(("Technician", "—", str(ctx.technician["name"])))
    if args.get("summary"):
        changes.append(("Summary", "—", str(args["summary"])))
    return Plan(
        op="book_job",
        args=args,
        title=f"Book {ctx.job_type['name']} for {ctx.customer['name']}?",
        verb="Book job",
        done_text=f"Booked {ctx.job_type['name']} for {ctx.customer['name']} on {timefmt.span(t.start, t.end, ctx.tz)}.",
        facts=[
            ("Customer", f"{ctx.customer['name']} (#{ctx.customer['id']})"),
            ("Location", _location_label(ctx.location)),
            ("Address", reads.address_text(ctx.location.get("address"))),
            ("Campaign", str(ctx.campaign.get("name"))),
        ],
        changes=changes,
        warnings=ctx.warnings,
        date_edit=_date_edit(t, ctx.tz),
    )


def plan_delete_appointment(p: Pending, ctx: Ctx) -> Plan:
    assert ctx.appointment and ctx.job
    t = _times_of(ctx.appointment)
    return Plan(
        op="delete_appointment",
        args={"appointment_id": ctx.appointment["id"]},
        title=f"Delete appointment {ctx.appointment['id']} of job {ctx.job['id']}?",
        verb="Delete",
        done_text=f"Deleted appointment {ctx.appointment['id']} of job {ctx.job['id']}.",
        facts=_appt_facts(ctx),
        changes=[("Appointment", timefmt.span(t.start, t.end, ctx.tz), "deleted")],
        guard=_times_guard(ctx, t),
    )


def _memo(p: Pending) -> str:
    """The user's own words for a hold or a cancellation, sent with the reason as its memo."""
    return str(p.slots.get("reason") or "").strip()


def _reason_fact(ctx: Ctx, memo: str) -> tuple[str, str]:
    assert ctx.reason
    return ("Reason", f"{ctx.reason['name']} — “{memo}”")


def plan_hold_appointment(p: Pending, ctx: Ctx) -> Plan:
    assert ctx.appointment and ctx.job and ctx.reason
    appt_id = ctx.appointment["id"]
    memo = _memo(p)
    return Plan(
        op="hold_appointment",
        args={"appointment_id": appt_id, "reason_id": ctx.reason["id"], "memo": memo},
        title=f"Put appointment {appt_id} of job {ctx.job['id']} on hold?",
        verb="Put on hold",
        done_text=f"Appointment {appt_id} of job {ctx.job['id']} is on hold ({ctx.reason['name']}).",
        facts=[*_appt_facts(ctx), _reason_fact(ctx, memo)],
        changes=[("Status", str(ctx.appointment.get("status")), "Hold")],
        undo=Plan(
            op="remove_appointment_hold",
            args={"appointment_id": appt_id},
            title=f"Undo: take appointment {appt_id} off hold?",
            verb="Take off hold",
            done_text=f"Appointment {appt_id} is off hold again.",
            changes=[("Status", "Hold", str(ctx.appointment.get("status")))],
            guard=_appt_guard(ctx, always=True, status="Hold"),
        ),
        guard=_appt_guard(ctx, status=ctx.appointment.get("status")),
    )


def plan_remove_appointment_hold(p: Pending, ctx: Ctx) -> Plan:
    assert ctx.appointment and ctx.job
    appt_id = ctx.appointment["id"]
    return Plan(
        op="remove_appointment_hold",
        args={"appointment_id": appt_id},
        title=f"Take appointment {appt_id} of job {ctx.job['id']} off hold?",
        verb="Take off hold",
        done_text=f"Appointment {appt_id} of job {ctx.job['id']} is off hold.",
        facts=_appt_facts(ctx),
        changes=[("Status", "Hold", "not on hold")],
        guard=_appt_guard(ctx, status="Hold"),
    )


def plan_cancel_job(p: Pending, ctx: Ctx) -> Plan:
    assert ctx.job and ctx.reason
    job_id, memo = ctx.job["id"], _memo(p)
    return Plan(
        op="cancel_job",
        args={"job_id": job_id, "reason_id": ctx.reason["id"], "memo": memo},
        title=f"Cancel job {job_id}?",
        verb="Cancel job",
        done_text=f"Canceled job {job_id} ({ctx.reason['name']}).",
        facts=[*_job_facts(ctx), _reason_fact(ctx, memo)],
        changes=[("Status", str(ctx.job.get("job_status")), "Canceled")],
        undo=Plan(
            op="remove_cancellation",
            args={"job_id": job_id},
            title=f"Undo: un-cancel job {job_id}?",
            verb="Un-cancel",
            done_text=f"Job {job_id} is no longer canceled.",
            changes=[("Status", "Canceled", str(ctx.job.get("job_status")))],
            guard=_job_guard(ctx, {"job_status": "Canceled"}, always=True),
        ),
        guard=_job_guard(ctx, {"job_status": ctx.job.get("job_status")}),
    )


def plan_remove_cancellation(p: Pending, ctx: Ctx) -> Plan:
    assert ctx.job
    job_id = ctx.job["id"]
    return Plan(
        op="remove_cancellation",
        args={"job_id": job_id},
        title=f"Un-cancel job {job_id}?",
        verb="Un-cancel",
        done_text=f"Job {job_id} is no longer canceled.",
        facts=_job_facts(ctx),
        changes=[("Status", "Canceled", "active again")],
        guard=_job_guard(ctx, {"job_status": "Canceled"}),
    )


def plan_hold_job(p: Pending, ctx: Ctx) -> Plan:
    assert ctx.job and ctx.reason
    job_id, memo = ctx.job["id"], _memo(p)
    return Plan(
        op="hold_job",
        args={"job_id": job_id, "reason_id": ctx.reason["id"], "memo": memo},
        title=f"Put job {job_id} on hold?",
        verb="Put on hold",
        done_text=f"Job {job_id} is on hold ({ctx.reason['name']}).",
        facts=[*_job_facts(ctx), _reason_fact(ctx, memo)],
        changes=[("Status", str(ctx.job.get("job_status")), "Hold")],
        guard=_job_guard(ctx, {"job_status": ctx.job.get("job_status")}),
    )


def plan_assign(p: Pending, ctx: Ctx) -> Plan:
    assert ctx.appointment and ctx.job and ctx.technician
    appt_id, tech = ctx.appointment["id"], ctx.technician
    on = {int(a["technician_id"]) for a in ctx.assigned}
    before = ", ".join(a["technician_name"] for a in ctx.assigned) or "nobody"
    after = ", ".join([*(a["technician_name"] for a in ctx.assigned), str(tech["name"])])
    return Plan(
        op="assign_technicians",
        args={"appointment_id": appt_id, "technician_ids": [tech["id"]]},
        title=f"Assign {tech['name']} to job {ctx.job['id']}?",
        verb="Assign",
        done_text=f"Assigned {tech['name']} to job {ctx.job['id']} (appointment {appt_id}).",
        facts=_appt_facts(ctx),
        changes=[("Technicians", before, after)],
        warnings=ctx.warnings,
        undo=Plan(
            op="unassign_technicians",
            args={"appointment_id": appt_id, "technician_ids": [tech["id"]]},
            title=f"Undo: take {tech['name']} off job {ctx.job['id']}?",
            verb="Unassign",
            done_text=f"Took {tech['name']} off job {ctx.job['id']} again.",
            changes=[("Technicians", after, before)],
            guard=_people_guard(ctx, on | {int(tech["id"])}, always=True),
        ),
        guard=_people_guard(ctx, on),
    )


def plan_unassign(p: Pending, ctx: Ctx) -> Plan:
    assert ctx.appointment and ctx.job and ctx.technician
    appt_id, tech = ctx.appointment["id"], ctx.technician
    on = {int(a["technician_id"]) for a in ctx.assigned}
    before = ", ".join(a["technician_name"] for a in ctx.assigned)
    after = (
        ", ".join(a["technician_name"] for a in ctx.assigned if a["technician_id"] != tech["id"]) or "nobody"
    )
    return Plan(
        op="unassign_technicians",
        args={"appointment_id": appt_id, "technician_ids": [tech["id"]]},
        title=f"Take {tech['name']} off job {ctx.job['id']}?",
        verb="Unassign",
        done_text=f"Took {tech['name']} off job {ctx.job['id']} (appointment {appt_id}).",
        facts=_appt_facts(ctx),
        changes=[("Technicians", before, after)],
        undo=Plan(
            op="assign_technicians",
            args={"appointment_id": appt_id, "technician_ids": [tech["id"]]},
            title=f"Undo: put {tech['name']} back on job {ctx.job['id']}?",
            verb="Assign",
            done_text=f"Put {tech['name']} back on job {ctx.job['id']}.",
            changes=[("Technicians", after, before)],
            guard=_people_guard(ctx, on - {int(tech["id"])}, always=True),
        ),
        guard=_people_guard(ctx, on),
    )


def plan_update_job(p: Pending, ctx: Ctx) -> Plan:
    assert ctx.job
    job = ctx.job
    args: dict[str, Any] = {"job_id": job["id"]}
    changes: list[tuple[str, str, str]] = []
    c = ctx.changes
    if "priority" in c:
        args["priority"] = c["priority"]
        changes.append(("Priority", str(job.get("priority")), c["priority"]))
    if "summary" in c:
        args["summary"] = c["summary"]
        changes.append(("Summary", str(job.get("summary") or "—"), c["summary"]))
    if "customer" in c:
        args["customer_id"] = c["customer"]["id"]
        changes.append(
            (
                "Bill-to customer",
                f"#{job.get('customer_id')}",
                f"{c['customer']['name']} (#{c['customer']['id']})",
            )
        )
    if "job_type" in c:
        args["job_type_id"] = c["job_type"]["id"]
        changes.append(
            ("Job type", _type_name(ctx, job.get("job_type_id")) or "—", str(c["job_type"]["name"]))
        )
    return Plan(
        op="update_job",
        args=args,
        title=f"Update job {job['id']}?",
        verb="Update",
        done_text=f"Updated job {job['id']}.",
        facts=_job_facts(ctx),
        changes=changes,
        guard=_job_guard(ctx, {k: job.get(k) for k in args if k != "job_id"}),
    )


def plan_special_instructions(p: Pending, ctx: Ctx) -> Plan:
    assert ctx.appointment and ctx.job
    text = str(p.slots["text"]).strip()
    return Plan(
        op="set_special_instructions",
        args={"appointment_id": ctx.appointment["id"], "text": text},
        title=f"Set special instructions on job {ctx.job['id']}?",
        verb="Save",
        done_text=f"Saved the special instructions on appointment {ctx.appointment['id']} of job {ctx.job['id']}.",
        facts=_appt_facts(ctx),
        changes=[("Special instructions", str(ctx.appointment.get("special_instructions") or "—"), text)],
        guard=_appt_guard(ctx, special_instructions=str(ctx.appointment.get("special_instructions") or "")),
    )


def plan_add_note(p: Pending, ctx: Ctx) -> Plan:
    assert ctx.job
    text = str(p.slots["text"]).strip()
    return Plan(
        op="add_job_note",
        args={"job_id": ctx.job["id"], "text": text},
        title=f"Add a note to job {ctx.job['id']}?",
        verb="Add note",
        done_text=f"Added the note to job {ctx.job['id']}.",
        facts=_job_facts(ctx),
        changes=[("New note", "—", text)],
    )


PLANNERS = {
    "reschedule_appointment": plan_reschedule,
    "book_job": plan_book_job,
    "add_appointment": plan_add_appointment,
    "delete_appointment": plan_delete_appointment,
    "hold_appointment": plan_hold_appointment,
    "remove_appointment_hold": plan_remove_appointment_hold,
    "cancel_job": plan_cancel_job,
    "remove_cancellation": plan_remove_cancellation,
    "hold_job": plan_hold_job,
    "assign_technician": plan_assign,
    "unassign_technician": plan_unassign,
    "update_job": plan_update_job,
    "special_instructions": plan_special_instructions,
    "add_note": plan_add_note,
}
