"""The dialog's one boundary with ServiceTitan: performs `Load` and `CallServiceTitan` effects.

Each lookup becomes a `Loaded` event and each write a `Called` event for `bot.dialog.engine.step`. What a
lookup reads is elsewhere, one place each: reads in `bot.dialog.reads`, a write's look-ups before its card
in `bot.dialog.lookups`, reference lists and job facts (cached) in `bot.dialog.refdata`. Errors of
ServiceTitan become messages for the user here, in one place.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.dialog import failures, lookups, timefmt
from bot.dialog.reads.common import ReadContext
from bot.dialog.reads.registry import answer as read_answer
from bot.dialog.refdata import FACTS_NAMESPACE, ReferenceData
from bot.dialog.refdata import as_row as _row
from bot.dialog.refdata import maybe as _maybe
from bot.dialog.resolve import drift_text
from bot.dialog.state import Called, Guard, Load, Loaded, Plan
from bot.servicetitan import Conflict, ServiceTitanClient, ServiceTitanError, Unavailable
from bot.servicetitan.models import AppointmentCreate, JobAppointmentCreate, JobCreate, JobUpdate
from bot.store import Store

log = logging.getLogger("bot.dialog")

Row = dict[str, Any]


def _time_arg(args: Row, name: str) -> datetime | None:
    """An optional time argument of a write (ISO text in the plan), parsed."""
    return timefmt.parse_iso(args[name]) if args.get(name) else None


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
        self.refdata = ReferenceData(client, store, cache_ttl=cache_ttl, facts_ttl=facts_ttl, clock=clock)

    # ---- lookups ---------------------------------------------------------------------------------------

    async def load(self, effect: Load) -> Loaded:
        try:
            read_at = self.clock().isoformat()
            data = await self._load(effect.what, effect.args)
            if effect.what in lookups.STAMPED:
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

    async def _load(self, what: str, args: dict[str, Any]) -> Any:
        if lookups.is_reference(what):
            return await self.refdata.reference(what)
        if what == "read":
            tz = str(args.get("tz") or "UTC")
            return dict(await read_answer(ReadContext(self.client, self.refdata, tz, args)))
        if what not in lookups.LOOKUPS:
            raise ValueError(f"unknown lookup {what!r}")
        return await lookups.LOOKUPS[what](self.client, self.refdata, args)

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
