"""What a write intent declares (`Write`), and the pieces its plan is built from (facts, guards, times).

Each `bot/dialog/writes/<intent>.py` holds one `WRITE = Write(...)`: the steps settled before its card, in
the order they are asked (`bot.dialog.resolve.STEPS`), the slots a correction at the card may change, its
questions and words, the status rules of the record it changes, and `plan`, which turns the settled steps
into the card and the typed ServiceTitan operation (`bot.servicetitan.operations`) the confirmation sends.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.dialog import rules, timefmt
from bot.dialog.outcomes import Settled
from bot.dialog.resolve import Ctx, Row, times_of
from bot.dialog.state import Guard, Pending, Plan
from bot.servicetitan.operations import KnownOperation, Operation


@dataclass(frozen=True)
class Status:
    """A status of the job or appointment a write changes: ServiceTitan's value and the words for it."""

    value: str
    words: str


@dataclass(frozen=True)
class Write:
    """One write intent, declared once in its own module.

    steps: what is settled before the confirmation, in the order it is asked; "?" marks a step done only
        when the user gave that slot (the step names are `bot.dialog.resolve.STEPS`).
    correctable: slots a correction at the card may change, tried in this order (free text last).
    questions: this intent's own wording of a slot's question, slot -> (question, example answer).
    doing: what it is, for "you're in the middle of …" ("putting a job on hold").
    done: "… so it can't be <done>" ("put on hold").
    say: the request in words on a "Did you mean…" button, with its slots ("Put {target} on hold"; the
        fields are those of `bot.dialog.didyoumean.words`).
    plan: the card and the operation, from the settled steps.
    operations: the ServiceTitan calls its plan and its undo send.
    requires: the status the job or appointment must be in ("isn't canceled (it's Scheduled)").
    leaves: the status it leaves; finding the job already there is "already …" (with `already_hint`).
    not_while_working: an appointment being worked on can't be changed this way.
    appointment_check: a rule of the appointment beyond its status ("already confirmed"), None when it holds.
    whole_job: given a job, it changes every appointment of it that can be (one card), not one picked.
    no_undo: why the change has no undo, said with its result and to a typed "undo" ("" when it has one).
    for_technicians: what a technician is told instead of "only dispatchers…" ({job_id} filled in).
    undo_after: the undo of a change that can only be built from ServiceTitan's answer (the id of what it
        created), from the plan, that answer and the user's time zone.
    """

    intent: str
    steps: tuple[str, ...]
    correctable: tuple[str, ...]
    doing: str
    done: str
    say: str
    plan: Callable[[Pending, Ctx], Plan]
    operations: tuple[type[Operation], ...]
    questions: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    requires: Status | None = None
    leaves: Status | None = None
    already_hint: str = ""  # after "Job 1006 is already canceled (why).", with {job_id}
    not_while_working: bool = False
    appointment_check: Callable[[Row], str | None] | None = None
    whole_job: bool = False
    no_undo: str = ""
    for_technicians: str = ""
    undo_after: Callable[[Plan, Row, str], Plan | None] | None = None

    def job_problem(self, job: Row) -> str | None:
        """Why this write can't change the job as it is now (None: it can)."""
        status, label = str(job.get("job_status", "")), f"Job {job.get('job_number') or job.get('id')}"
        return self._problem(label, status, self.job_closed(job))

    def job_closed(self, job: Row) -> str | None:
        """Why nothing of the job can be changed this way: it is completed or canceled (None: it is open).
        An appointment-level write checks only this of the job; `requires` and `leaves` are the
        appointment's."""
        status, label = str(job.get("job_status", "")), f"Job {job.get('job_number') or job.get('id')}"
        closed = {
            "Completed": f"{label} is completed, so it can't be {self.done}.",
            "Canceled": f"{label} is canceled, so it can't be {self.done}. "
            f"Say *uncancel job {job.get('id')}* first if it should go ahead.",
        }
        return closed.get(status)

    def appointment_problem(self, appt: Row) -> str | None:
        """Why this write can't change the appointment as it is now (None: it can)."""
        status, label = str(appt.get("status", "")), f"Appointment {appt.get('id')}"
        closed = (
            f"{label} is {status.lower()}, so it can't be {self.done}."
            if status in {"Done", "Canceled"}
            else None
        )
        problem = self._problem(label, status, closed)
        if problem is None and self.not_while_working and status == "Working":
            return f"{label} is being worked on right now, so it can't be {self.done}."
        if problem is None and self.appointment_check is not None:
            return self.appointment_check(appt)
        return problem

    def _problem(self, label: str, status: str, closed: str | None) -> str | None:
        """The record must be in `requires`; otherwise not closed (`closed` says why it is), and not
        already as this write leaves it."""
        if self.requires is not None:
            return (
                None
                if status == self.requires.value
                else f"{label} isn't {self.requires.words} (it's {status})."
            )
        if closed is not None:
            return closed
        if self.leaves is not None and status == self.leaves.value:
            return Settled(f"{label} is already {self.leaves.words}.")
        return None


# ---- the card's facts --------------------------------------------------------------------------------------


def type_name(ctx: Ctx, type_id: Any) -> str | None:
    return next((str(t["name"]) for t in ctx.job_types if t["id"] == type_id), None)


def job_facts(ctx: Ctx) -> list[tuple[str, str]]:
    """Job #, type, customer, address and status (live), then the technicians on it."""
    job, facts = ctx.job or {}, ctx.facts or {}
    kind = facts.get("job_type") or type_name(ctx, job.get("job_type_id"))
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


def appt_facts(ctx: Ctx) -> list[tuple[str, str]]:
    facts = job_facts(ctx)
    if ctx.appointment:
        t = times_of(ctx.appointment)
        facts.append(("Appointment", f"#{ctx.appointment['id']} · {timefmt.span(t.start, t.end, ctx.tz)}"))
    names = ", ".join(a["technician_name"] for a in ctx.assigned) or "nobody"
    facts.append(("Technicians", names))
    return facts


def memo(p: Pending) -> str:
    """The user's own words for a hold or a cancellation, sent with the reason as its memo."""
    return str(p.slots.get("reason") or "").strip()


def reason_fact(ctx: Ctx, words: str) -> tuple[str, str]:
    assert ctx.reason
    return ("Reason", f"{ctx.reason['name']} — “{words}”")


def window_text(t: rules.Times, tz: str) -> str:
    if t.window_start and t.window_end:
        return f"{timefmt.clock(timefmt.local(t.window_start, tz))} – {timefmt.clock(timefmt.local(t.window_end, tz))}"
    return "none"


def date_edit(t: rules.Times, tz: str) -> tuple[str, str]:
    """The card's date and time pickers start at the new start, in the user's zone."""
    local = timefmt.local(t.start, tz)
    return local.date().isoformat(), f"{local:%H:%M}"


# ---- guards: what ServiceTitan must still show when the write is sent ----------------------------------------


def appt_guard(ctx: Ctx, *, always: bool = False, **fields: Any) -> Guard:
    assert ctx.appointment and ctx.job
    return Guard(
        kind="appointment",
        id=int(ctx.appointment["id"]),
        fields={"exists": True, **fields},
        label=f"Job {ctx.job['id']}",
        tz=ctx.tz,
        always=always,
    )


def times_guard(ctx: Ctx, t: rules.Times, *, always: bool = False) -> Guard:
    return appt_guard(ctx, always=always, start=timefmt.iso(t.start), end=timefmt.iso(t.end))


def people_guard(ctx: Ctx, ids: set[int], *, always: bool = False) -> Guard:
    assert ctx.appointment and ctx.job
    return Guard(
        kind="assignments",
        id=int(ctx.appointment["id"]),
        fields={"technician_ids": sorted(ids)},
        label=f"Job {ctx.job['id']}",
        tz=ctx.tz,
        always=always,
    )


def job_guard(ctx: Ctx, fields: dict[str, Any], *, always: bool = False) -> Guard:
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


def technician_names(ctx: Ctx, *, without: Row | None = None, adding: Row | None = None) -> str:
    """The technicians on the card's appointment, as they are or with one taken off and/or one added."""
    names = [
        str(a["technician_name"])
        for a in ctx.assigned
        if without is None or a["technician_id"] != without["id"]
    ]
    if adding is not None:
        names.append(str(adding["name"]))
    return ", ".join(names) or "nobody"


# ---- plans shared by several writes -------------------------------------------------------------------------


@dataclass(frozen=True)
class Card:
    """The words of a card: its title, its button and what it says when done. `{job}`, `{appointment}`,
    `{reason}`, `{new}` (who goes on) and `{old}` (who comes off) are filled in from what was settled."""

    title: str
    verb: str
    done: str


@dataclass(frozen=True)
class Undo:
    """How a change is undone: the operation and the words of the undo's card."""

    operation: KnownOperation
    card: Card


def card_plan(
    ctx: Ctx, operation: KnownOperation, card: Card, changes: list[tuple[str, str, str]], **words: Any
) -> Plan:
    """A plan with `card`'s words filled in, changing `changes`; the rest is set by the caller."""
    fill = {
        "job": (ctx.job or {}).get("id"),
        "appointment": (ctx.appointment or {}).get("id"),
        "reason": (ctx.reason or {}).get("name"),
        **words,
    }
    return Plan(
        operation=operation,
        title=card.title.format(**fill),
        verb=card.verb,
        done_text=card.done.format(**fill),
        changes=changes,
    )


def with_undo(plan: Plan, ctx: Ctx, undo: Undo | None, guard: Guard, **words: Any) -> Plan:
    """`plan` with its undo: the changes reversed, sent only while ServiceTitan still shows `guard`."""
    if undo is not None:
        reverse = [(label, after, before) for label, before, after in plan.changes]
        plan.undo = card_plan(ctx, undo.operation, undo.card, reverse, **words)
        plan.undo.guard = guard
    return plan


def status_change(
    ctx: Ctx,
    operation: KnownOperation,
    card: Card,
    *,
    after: str,
    reason: str | None = None,
    undo: Undo | None = None,
) -> Plan:
    """The plan of a write that moves the status of the card's appointment (when there is one) or job, from
    what it is to `after` (the status an undo expects to find), with the reason given (the user's words)."""
    on_appointment = ctx.appointment is not None
    record = ctx.appointment if on_appointment else ctx.job
    assert record is not None
    before = record.get("status" if on_appointment else "job_status")

    def guard(status: Any, *, always: bool = False) -> Guard:
        if on_appointment:
            return appt_guard(ctx, always=always, status=status)
        return job_guard(ctx, {"job_status": status}, always=always)

    plan = card_plan(ctx, operation, card, [("Status", str(before), after)])
    plan.facts = appt_facts(ctx) if on_appointment else job_facts(ctx)
    if reason is not None:
        plan.facts.append(reason_fact(ctx, reason))
    plan.guard = guard(before)
    return with_undo(plan, ctx, undo, guard(after, always=True))


def technicians_change(
    ctx: Ctx,
    operation: KnownOperation,
    card: Card,
    *,
    adding: Row | None = None,
    without: Row | None = None,
    undo: Undo | None = None,
) -> Plan:
    """The plan of a write that changes who is on the card's appointment: `adding` goes on, `without` comes
    off; the card shows the technicians before and after, the undo expects them as they are after."""
    on = {int(a["technician_id"]) for a in ctx.assigned}
    after_ids = (on - {int(without["id"])} if without else on) | ({int(adding["id"])} if adding else set())
    changes = [("Technicians", technician_names(ctx), technician_names(ctx, without=without, adding=adding))]
    names = {"new": (adding or {}).get("name"), "old": (without or {}).get("name")}
    plan = card_plan(ctx, operation, card, changes, **names)
    plan.facts, plan.warnings, plan.guard = appt_facts(ctx), ctx.warnings, people_guard(ctx, on)
    return with_undo(plan, ctx, undo, people_guard(ctx, after_ids, always=True), **names)
