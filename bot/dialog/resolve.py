"""Settle a pending write, step by step, from the user's slots and the ServiceTitan data looked up so far.

`resolve(pending, asker, now)` walks the intent's steps (its module in bot.dialog.writes) and returns the
first thing still needed: a lookup (`NeedLoad`), a question (`AskFor`), a choice (`Offer`), a rejected slot
with the reason (`Reject`), a dead end (`Stop`) — or `Ready` with the plan to confirm. It is pure: lookups
are requested, never made, and their results come back in `pending.data`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.dialog import named_job, reasons, rules, timefmt
from bot.dialog.messages import Asker
from bot.dialog.outcomes import AskFor, NeedLoad, Offer, Outcome, Ready, Reject, Settled, Stop
from bot.dialog.people import NOT_LINKED, active_rows, is_mention, mention_problem, names_me
from bot.dialog.relative import same_time_as
from bot.dialog.state import Load, Pending
from bot.dialog.undofacts import undo_facts
from bot.dialog.unread import UNREAD

if TYPE_CHECKING:
    from bot.dialog.writes.base import Write

Row = dict[str, Any]


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
    references: dict[str, list[Row]] = field(default_factory=dict)  # the lists the steps need (REFERENCES)
    facts: Row | None = (
        None  # the job's cached facts: type, customer, address, business unit (runner.job_facts)
    )
    times: rules.Times | None = None
    technician: Row | None = None  # who is assigned (or booked)
    from_technician: Row | None = None  # who is taken off the appointment
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


# The reference lists a step reads, loaded with the job types in one look-up before the steps run, so that
# they are fetched together instead of one turn of the loop after another.
STEP_REFERENCES: dict[str, str] = {"when": "arrival_windows"}


def references(write: Write) -> list[str]:
    """The reference lists a write's steps need: the job types, then those of STEP_REFERENCES."""
    steps = [name.rstrip("?") for name in write.steps]
    return ["job_types", *(STEP_REFERENCES[name] for name in steps if name in STEP_REFERENCES)]


def write_of(intent: str) -> Write:
    """The declaration of a write intent (bot/dialog/writes/<intent>.py)."""
    from bot.dialog.writes import WRITES  # the write modules build on this one, so not at import time

    return WRITES[intent]


def resolve(p: Pending, asker: Asker, now: datetime, *, campaign_id: int | None = None) -> Outcome:
    ctx = Ctx(intent=p.intent, asker=asker, now=now, configured_campaign_id=campaign_id)
    write = write_of(p.intent)
    try:
        ctx.references = _data(p, "references", names=",".join(references(write))) or {}
        ctx.job_types = ctx.references.get("job_types") or []
        for name in write.steps:
            optional = name.endswith("?")
            name = name.rstrip("?")
            if optional and not p.slots.get(name):
                continue
            STEPS[name](p, ctx)
        plan = write.plan(p, ctx)
        plan.seen_at = ctx.seen_at
        if plan.undo is not None:
            plan.undo.facts = undo_facts(plan)
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


def times_of(appt: Row) -> rules.Times:
    ws, we = appt.get("arrival_window_start"), appt.get("arrival_window_end")
    return rules.Times(
        timefmt.parse_iso(appt["start"]),
        timefmt.parse_iso(appt["end"]),
        timefmt.parse_iso(ws) if ws else None,
        timefmt.parse_iso(we) if we else None,
    )


def appointment_label(appt: Row, assigned: list[Row], tz: str) -> str:
    times = times_of(appt)
    names = ", ".join(a["technician_name"] for a in assigned if a.get("appointment_id") == appt["id"])
    label = f"{timefmt.short_span(times.start, times.end, tz)}"
    return f"{label} · {names or 'unassigned'} (#{appt['id']})"


def _options(rows: list[Row]) -> list[tuple[str, str]]:
    """Rows with an id and a name as the options of a choice (Slack shows at most 25)."""
    return [(str(r["id"]), str(r["name"])) for r in rows[:25]]


def _pick_named(
    rows: list[Row], words: Any, chosen: Any, *, slot: str, prompt: str, match: Any = rules.match_named
) -> Row:
    """The row picked before (`chosen`, an id from a choice) if it is still there, else the one row `words`
    name; several matches, or none, are offered as a choice (of all rows when nothing matches)."""
    if chosen is not None:
        row = next((r for r in rows if r["id"] == int(chosen)), None)
        if row is not None:
            return row
    found = match(str(words), rows)
    if found.kind == "one":
        return found.row
    raise _Need(Offer(slot, prompt, _options(found.rows if found.kind == "many" else rows)))


def derived_job(job_id: int, appointments: list[Row]) -> Row:
    """The job as its appointments show it, for appointment-level changes (saves a ServiceTitan call).

    ServiceTitan moves every appointment of a canceled job to Canceled, of a completed job to Done, and of a
    held job to Hold.
    """
    statuses = {str(a.get("status")) for a in appointments}
    status = "Scheduled"
    if statuses and statuses <= {"Canceled"}:
        status = "Canceled"
    elif statuses and statuses <= {"Done", "Canceled"}:
        status = "Completed"
    elif "Hold" in statuses and statuses <= {"Hold", "Done", "Canceled"}:
        status = "Hold"  # every visit still to do is on hold: so is the job
    return {"id": job_id, "job_number": str(job_id), "job_status": status, "derived": True}


# The steps that take someone off the appointment: the target is one with a technician on it.
TAKES_OFF = frozenset({"assigned_technician", "from_technician"})


def step_target(p: Pending, ctx: Ctx) -> None:
    write = write_of(p.intent)
    appt_id, job_id = p.slots.get("appointment_id"), p.slots.get("job_id") or _named_job(p, write, ctx.tz)
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
        problem = write.appointment_problem(appt)
        if problem:
            raise _Need(Reject(("appointment_id", "job_id"), problem, final=isinstance(problem, Settled)))
    else:
        found = _data(p, "job_appointments", job_id=job_id)
        _seen(ctx, found)
        appts, assignments = found["appointments"], active_rows(found["assignments"])
        if not appts:
            if found.get("job") is None:
                raise _Need(Reject(("job_id",), f"I can't find job {job_id} in ServiceTitan."))
            raise _Need(Reject(("job_id",), f"Job {job_id} has no appointments."))
        job = found.get("job") or derived_job(int(str(job_id)), appts)
        problem = write.job_closed(job)
        if problem:
            raise _Need(Reject(("job_id",), problem))
        open_ = [a for a in appts if write.appointment_problem(a) is None]
        if TAKES_OFF & set(write.steps):  # only an appointment with someone on it
            open_ = [a for a in open_ if any(s["appointment_id"] == a["id"] for s in assignments)]
        if not open_:
            settled = [x for a in appts if isinstance(x := write.appointment_problem(a), Settled)]
            if settled and len(settled) == len(appts):  # every visit is already as asked: say so, and end
                said = (
                    settled[0]
                    if len(settled) == 1
                    else f"Every appointment of job {job_id} is already {write.done}."
                )
                raise _Need(Reject(("job_id",), said, final=True))
            raise _Need(Reject(("job_id",), f"Job {job_id} has no appointment that can be {write.done}."))
        if len(open_) > 1 and not write.whole_job:
            options = [(str(a["id"]), appointment_label(a, assignments, ctx.tz)) for a in open_]
            raise _Need(
                Offer("appointment_id", f"Job {job_id} has {len(open_)} appointments. Which one?", options)
            )
        appt = open_[0]
    ctx.job, ctx.appointment, ctx.appointments = job, appt, appts
    ctx.assigned = [a for a in assignments if a.get("appointment_id") == appt["id"]]
    ctx.facts = _data(p, "job_facts", job_id=int(appt["job_id"]))


def step_deletable(p: Pending, ctx: Ctx) -> None:
    """ServiceTitan never deletes a job's only appointment (a job always has one): say so before the card.

    Timesheets can't be read through our APIs, so that refusal can only come after the press (runner.call).
    """
    appt = ctx.appointment
    assert appt is not None
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


def _named_job(p: Pending, write: Write, tz: str) -> int | None:
    """The job said by its customer, address or type (bot.dialog.named_job), kept as the request's job."""
    if not named_job.said(p.slots):
        return None
    kind, found = named_job.pick(_data(p, "named_jobs", **named_job.args(p.slots, tz, write)), write, p.slots)
    if kind == "many":
        raise _Need(Offer("job_id", *found))
    if kind == "none":
        raise _Need(Reject(named_job.SLOTS, found))
    # settled: a later "can't" about the job asks for another job, not this one again
    for slot in named_job.SLOTS:
        p.slots.pop(slot, None)
    p.slots["job_id"] = found
    return int(found)


def step_job(p: Pending, ctx: Ctx) -> None:
    job_id = p.slots.get("job_id") or _named_job(p, write_of(p.intent), ctx.tz)
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
    problem = write_of(p.intent).job_problem(job)
    if problem:
        raise _Need(Reject(("job_id", "appointment_id"), problem, final=isinstance(problem, Settled)))
    ctx.job, ctx.appointments = job, found.get("appointments", [])
    ctx.assigned = active_rows(found.get("assignments", []))
    ctx.facts = _data(p, "job_facts", job_id=int(job["id"]))


def step_when(p: Pending, ctx: Ctx) -> None:
    when = p.slots.get("when")
    if not when:
        raise _Need(AskFor("when"))
    if isinstance(when, dict) and when.get(UNREAD):  # "to xyz 14th at 11": never the visit's own day
        raise _Need(Reject(("when",), f"I couldn't tell which day “{when[UNREAD]}” is."))
    if isinstance(when, dict) and "as_job" in when:  # "the same time as 1041": that job's visit
        when = same_time_as(
            when, _data(p, "job_appointments", job_id=when["as_job"])["appointments"], ctx.now, ctx.tz
        )
        if isinstance(when, str):
            raise _Need(Reject(("when",), when))
    windows_rows = ctx.references.get("arrival_windows") or []
    unit = (ctx.job or {}).get("business_unit_id") or ctx.business_unit_id
    windows = rules.arrival_windows(windows_rows, unit)
    keep = None
    duration = timedelta(hours=2)
    if ctx.appointment:  # the appointment moves: it keeps its length (and, unless told, its time of day)
        keep = times_of(ctx.appointment)
        duration = keep.end - keep.start
    elif ctx.appointments:  # another visit: as long as the job's last one
        last = times_of(max(ctx.appointments, key=lambda a: a["start"]))
        duration = last.end - last.start
    elif ctx.job_type and ctx.job_type.get("duration"):
        duration = timedelta(seconds=int(ctx.job_type["duration"]))
    verdict = rules.schedule(when, tz=ctx.tz, now=ctx.now, duration=duration, keep=keep, windows=windows)
    if verdict.problem or verdict.times is None:
        raise _Need(Reject(("when",), verdict.problem or "I couldn't place that time."))
    if keep and (verdict.times.start, verdict.times.end) == (keep.start, keep.end):
        raise _Need(Reject(("when",), f"It's already at {timefmt.span(keep.start, keep.end, ctx.tz)}."))
    ctx.times = verdict.times


def _mention_or_me(ctx: Ctx, name: str, slot: str = "technician") -> int | None:
    if names_me(name):
        if ctx.asker.technician_id is None:
            raise _Need(Reject((slot,), NOT_LINKED))
        return ctx.asker.technician_id
    if is_mention(name):
        raise _Need(Reject((slot,), mention_problem(name)))
    return None


def step_technician(p: Pending, ctx: Ctx) -> None:
    name = p.slots.get("technician")
    if not name:
        raise _Need(AskFor("technician"))
    technicians = active_rows(_data(p, "technicians") or [])
    chosen = p.slots.get("technician_id") or _mention_or_me(ctx, str(name))
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
    # on an appointment (assigning, reassigning): someone already on it can't be put on again
    if ctx.appointment is not None and any(a["technician_id"] == row["id"] for a in ctx.assigned):
        raise _Need(Reject(("technician",), f"{row['name']} is already on that appointment."))
    ctx.technician = row


def _taken_off(p: Pending, ctx: Ctx, slot: str) -> None:
    """Who comes off the appointment, named in `slot` (picked by id in `<slot>_id`), or the only one on it."""
    assigned = ctx.assigned
    if not assigned:
        raise _Need(Reject(("appointment_id", "job_id"), "Nobody is assigned to that appointment."))
    name = p.slots.get(slot)
    chosen = p.slots.get(f"{slot}_id")
    if chosen is None and name:
        chosen = _mention_or_me(ctx, str(name), slot)
    if chosen is not None:
        row = next((a for a in assigned if a["technician_id"] == int(chosen)), None)
        if row is None:
            raise _Need(_which_assigned("That technician", assigned, slot))
    elif name:
        people = [{"id": a["technician_id"], "name": a["technician_name"]} for a in assigned]
        match = rules.match_technician(str(name), people)
        if match.kind == "none":
            raise _Need(_which_assigned(f"“{name}”", assigned, slot))
        if match.kind == "many":
            options = [(str(t["id"]), str(t["name"])) for t in match.rows]
            raise _Need(Offer(f"{slot}_id", f"Which technician did you mean by “{name}”?", options))
        row = next(a for a in assigned if a["technician_id"] == match.row["id"])
    elif len(assigned) == 1:
        row = assigned[0]
    else:
        options = [(str(a["technician_id"]), str(a["technician_name"])) for a in assigned]
        raise _Need(Offer(f"{slot}_id", "Which technician should I take off?", options))
    ctx.from_technician = {"id": row["technician_id"], "name": row["technician_name"]}


def step_assigned_technician(p: Pending, ctx: Ctx) -> None:
    """Unassigning: the technician named (slot `technician`) must be on the appointment."""
    _taken_off(p, ctx, "technician")


def step_from_technician(p: Pending, ctx: Ctx) -> None:
    """Reassigning: the technician coming off (slot `from_technician`) must be on the appointment."""
    _taken_off(p, ctx, "from_technician")


def _which_assigned(who: str, assigned: list[Row], slot: str) -> Offer:
    """Someone not on the appointment was named: say who is, and ask which of them to take off (never a
    ready card for a person the user didn't name, even when only one is assigned)."""
    names = ", ".join(a["technician_name"] for a in assigned)
    options = [(str(a["technician_id"]), str(a["technician_name"])) for a in assigned]
    prompt = f"{who} isn't on that appointment (assigned: {names}). Which one should I take off?"
    return Offer(f"{slot}_id", prompt, options)


def _reason(p: Pending, ctx: Ctx, kind: str) -> None:
    words = p.slots.get("reason")
    if not words:
        raise _Need(AskFor("reason"))
    rows = active_rows(_data(p, f"{kind}_reasons") or [])
    if not rows:
        raise _Need(Stop(f"ServiceTitan has no active {kind} reasons, so I can't do that."))
    ctx.reason = _pick_named(
        rows,
        words,
        p.slots.get("reason_id"),
        slot="reason_id",
        prompt=f"Which {kind} reason fits “{words}”?",
        match=reasons.match_reason,  # by the reasons' meaningful words ("insurance approval")
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
    if customer_id is None and p.slots.get("customer"):  # "new job for Alice Johnson": by name
        name = str(p.slots["customer"])
        rows = _data(p, "customers_named", name=name) or []
        if not rows:
            raise _Need(Reject(("customer",), f"I can't find a customer named “{name}”."))
        if len(rows) > 1 or rows[0].get("cut_down"):  # a shorter spelling's match is offered, not taken
            options = [(str(r["id"]), f"{r['name']} (#{r['id']})"[:75]) for r in rows[:25]]
            raise _Need(Offer("customer_id", f"Which customer did you mean by “{name}”?", options))
        customer_id = int(rows[0]["id"])
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
    else:  # "at 396 Hillcrest": the customer's locations on that street, else all of them
        near = rules.locations_at(str(p.slots.get("location") or ""), locations)
        if len(near) != 1:
            options = [(str(loc["id"]), location_label(loc)) for loc in (near or locations)[:25]]
            raise _Need(Offer("location_id", "Which location?", options))
        row = near[0]
    ctx.location = row


def location_label(loc: Row) -> str:
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
    theirs = ", ".join(location_label(loc) for loc in locations[:5]) or "none on file"
    raise _Need(
        Reject(
            ("customer_id",),
            f"Job {job.get('id')} is at {where}, which belongs to {owner}. ServiceTitan only accepts a "
            f"customer that the job's location belongs to, so {new} can't be set on this job "
            f"(their locations: {theirs}).",
        )
    )


def step_conflicts(p: Pending, ctx: Ctx) -> None:
    """Warn about other visits of the technicians the change puts somewhere: the one being assigned (or
    booked) at the new time or the appointment's own, or, when an appointment moves, the ones on it."""
    if ctx.technician:
        people = [ctx.technician]
    elif ctx.appointment and ctx.times:
        people = [{"id": a["technician_id"], "name": a["technician_name"]} for a in ctx.assigned]
    else:
        people = []
    times = ctx.times or (times_of(ctx.appointment) if ctx.appointment else None)
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
    "from_technician": step_from_technician,
    "deletable": step_deletable,
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
