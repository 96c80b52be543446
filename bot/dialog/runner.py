"""The dialog's one boundary with ServiceTitan: performs `Load` and `CallServiceTitan` effects.

Each lookup becomes a `Loaded` event and each write a `Called` event for `bot.dialog.engine.step`. What a
lookup reads is elsewhere, one place each: reads in `bot.dialog.reads`, a write's look-ups before its card
in `bot.dialog.lookups`, reference lists and job facts (cached) in `bot.dialog.refdata`. Errors of
ServiceTitan become messages for the user here, in one place.
"""

from __future__ import annotations

import logging
from typing import Any, cast

from pydantic import BaseModel

from bot.dialog import failures, lookups, timefmt
from bot.dialog.drift import drift_text
from bot.dialog.reads.common import ReadContext
from bot.dialog.reads.registry import answer as read_answer
from bot.dialog.refdata import FACTS_NAMESPACE, CachedJobReads, ReferenceData
from bot.dialog.refdata import as_row as _row
from bot.dialog.state import Called, Guard, Load, Loaded, Plan
from bot.servicetitan import Conflict, OutcomeUnknown, ServiceTitanClient, ServiceTitanError
from bot.servicetitan.operations import UpdateJob, find_appointment, find_job, technicians_on
from bot.store import forget_cached

log = logging.getLogger("bot.dialog")

Row = dict[str, Any]


def _unanswered(exc: ServiceTitanError) -> str:
    """A short account of ServiceTitan not answering: "ServiceTitan answered 503"."""
    if exc.status:
        return f"ServiceTitan answered {exc.status}"
    return "ServiceTitan didn't answer in time"


def _unread(plan: Plan, exc: ServiceTitanError, error: str, *, uncertain: bool = False) -> Called:
    """A write not sent because a read before it failed (`uncertain`: an earlier attempt may have landed)."""
    log.info("read before %s failed: %s", plan.operation.kind, exc)
    return Called(
        plan, ok=False, error=f"{error} ({_unanswered(exc)})", status=exc.status, uncertain=uncertain
    )


# A confirm re-reads what its card shows as "before" only when that was read longer ago than this. A card
# confirmed within a minute of being shown is the common fast path, and skipping the re-read there keeps a
# reschedule within the 4-call budget (tests/dialog/test_service.py checks it); an older card may
# be out of date (another dispatcher's change), so it costs one read. An undo always re-reads.
FRESH_SECONDS = 60.0


class Runner:
    """Performs effects against one ServiceTitan tenant, through `refdata` (its client and store, reference
    data cached for `cache_ttl` s, a job's slow-changing facts — type, customer, address, business unit;
    never its status — for `facts_ttl` s)."""

    def __init__(self, refdata: ReferenceData) -> None:
        self.refdata = refdata
        self.client = refdata.client
        self.store = refdata.store
        self.clock = refdata.clock

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
            client = self.client
            if self.refdata.reads_ttl > 0:  # a job's reads from the cache the change feed keeps fresh
                client = cast(ServiceTitanClient, CachedJobReads(self.client, self.refdata))
            return dict(await read_answer(ReadContext(client, self.refdata, tz, args)))
        if what not in lookups.LOOKUPS:
            raise ValueError(f"unknown lookup {what!r}")
        return await lookups.LOOKUPS[what](self.client, self.refdata, args)

    # ---- writes ----------------------------------------------------------------------------------------

    async def prepare(self, plan: Plan, *, uncertain: bool = False) -> Plan | Called:
        """The plan ready to send (reads only): a create first reads what it must not be mistaken for (the
        notes with its text, the job's appointments). The caller keeps this plan for every later look at
        whether it went through (a re-read at the write deadline, a dead claim settled, Check & retry), so
        an identical older note is never taken for this one. A failed read: the `Called` of a write not sent
        (`uncertain`: an earlier attempt may have landed)."""
        try:
            return plan.model_copy(update={"operation": await plan.operation.prepare(self.client)})
        except ServiceTitanError as exc:
            return _unread(plan, exc, "I couldn't read ServiceTitan before writing", uncertain=uncertain)

    async def call(self, plan: Plan, *, check_first: bool = False) -> Called:
        """Perform the write of a plan `prepare` returned. `check_first` (an earlier attempt's outcome is
        unknown): read ServiceTitan first and write only when the change is not there yet."""
        kind = plan.operation.kind
        if check_first:
            try:
                applied = await self.check(plan)
            except ServiceTitanError as exc:
                return _unread(plan, exc, "I still can't tell whether it went through", uncertain=True)
            if applied:
                return Called(plan, ok=True, already=True)
        if plan.guard is not None and self._needs_recheck(plan):
            try:
                now = await self.observe(plan.guard)
            except ServiceTitanError as exc:
                return _unread(plan, exc, "I couldn't check it is still as the card shows")
            if any(now.get(k) != v for k, v in plan.guard.fields.items()):
                return Called(plan, ok=False, drift=drift_text(plan.guard, now))
        try:
            result = await plan.operation.send(self.client)
        except ServiceTitanError as exc:
            reference = failures.new_reference()
            log.info("write %s refused, reference %s: %s", kind, reference, exc)
            unknown = isinstance(exc, OutcomeUnknown)  # otherwise ServiceTitan was left as it was
            # the client's own text is for the log; the user gets what ServiceTitan did, in their words
            error = _unanswered(exc) if unknown else failures.refusal(exc, reference)
            if plan.conflict_text and isinstance(exc, Conflict):
                error = plan.conflict_text
            return Called(plan, ok=False, error=error, status=exc.status, uncertain=unknown)
        except Exception:  # the conversation must leave "applying" whatever happened
            log.exception("write %s failed", kind)
            return Called(plan, ok=False, error="something went wrong on our side", uncertain=True)
        if isinstance(
            plan.operation, UpdateJob
        ):  # its type or customer may have changed: the facts are stale
            job_id = plan.operation.job_id
            try:
                await forget_cached(self.store, namespace=FACTS_NAMESPACE, key=str(job_id))
            except Exception:  # the write is done; stale facts for a while are no reason to say otherwise
                log.warning("could not drop the cached facts of job %s", job_id, exc_info=True)
        data = _row(result) if isinstance(result, BaseModel) else None
        await self._forget_reads(plan, data)
        return Called(plan, ok=True, data=data)

    async def _forget_reads(self, plan: Plan, result: Row | None) -> None:
        """After a write, the job's cached reads are out of date: the next read of it asks ServiceTitan."""
        if self.refdata.reads_ttl <= 0:
            return
        job_id = getattr(plan.operation, "job_id", None) or (result or {}).get("job_id")
        if job_id is None:
            return  # (an appointment's job unknown here: the change feed drops its reads within a poll)
        try:
            await self.refdata.forget_job_reads(int(job_id))
        except Exception:  # the write is done; reads a poll interval old are no reason to say otherwise
            log.warning("could not drop the cached reads of job %s", job_id, exc_info=True)

    def _needs_recheck(self, plan: Plan) -> bool:
        if plan.guard is None:
            return False
        if plan.guard.always or plan.seen_at is None:
            return True
        return (self.clock() - plan.seen_at).total_seconds() > FRESH_SECONDS

    async def observe(self, guard: Guard) -> Row:
        """What ServiceTitan shows now for the fields `guard` expects (plus names for the message), read as
        the operations read it to tell whether they are applied."""
        if guard.kind == "assignments":
            on = await technicians_on(self.client, guard.id)
            return {
                "technician_ids": sorted({a.technician_id for a in on}),
                "technician_names": sorted({a.technician_name for a in on}),
            }
        if guard.kind == "appointment":
            appt = await find_appointment(self.client, guard.id)
            if appt is None:
                return {"exists": False}
            return {
                "exists": True,
                "start": timefmt.iso(appt.start),
                "end": timefmt.iso(appt.end),
                "status": appt.status,
                "special_instructions": appt.special_instructions or "",
            }
        job = await find_job(self.client, guard.id)
        if job is None:
            return {"exists": False}
        row = _row(job)
        return {"exists": True, **{k: row.get(k) for k in guard.fields if k != "exists"}}

    async def check(self, plan: Plan) -> bool:
        """Whether the change `plan` makes is already in ServiceTitan (reads only)."""
        return await plan.operation.applied(self.client) is not None
