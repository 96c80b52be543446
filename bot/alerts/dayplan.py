"""The technician's day: the morning message at DAY_PLAN_AT, and a DM when the day changes afterwards.

Technicians are linked to Slack users by e-mail (`users.lookupByEmail`); each one's time zone is Slack's.
The morning message is claimed per technician and day in the store before it is sent, so it goes out
once whatever the number of processes and restarts; a claim whose sender died or failed mid-send is
resolved from the DM's history after a few minutes (`DayPlans._claim`), so a crash loses no plan.
Change messages (before → after) cover appointments today or tomorrow in the technician's zone, grouped
per technician per watcher cycle, with a delivery record per (event, technician) like the alerts.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from bot.alerts import cards
from bot.alerts.delivery import Isolated, mark_sent, send_recorded, unsent
from bot.alerts.describe import Describer, Visit, address_of, local_day
from bot.alerts.events import TECHNICIAN_KINDS, ChangeEvent
from bot.alerts.slackout import SlackOut
from bot.dialog import timefmt
from bot.servicetitan import ServiceTitanClient
from bot.servicetitan.errors import NotFound
from bot.store import Store, cached

log = logging.getLogger("bot.alerts")

PLAN_NAMESPACE = "day-plan"
PLAN_TTL_SECONDS = 3 * 24 * 3600
TECH_NAMESPACE = "alert-ref"
TECH_TTL_SECONDS = 15 * 60
STALE_SEND = timedelta(minutes=5)  # a day plan claimed this long ago and not sent: its sender died
SEND_WINDOW = timedelta(hours=4)  # a bot started later than this after DAY_PLAN_AT skips that morning


@dataclass(frozen=True)
class LinkedTechnician:
    id: int
    name: str
    slack_user: str
    tz: str


class Directory:
    """ServiceTitan technicians who have a Slack user (by e-mail)."""

    def __init__(self, client: ServiceTitanClient, store: Store, slack: SlackOut) -> None:
        self.client = client
        self.store = store
        self.slack = slack

    async def _technicians(self) -> list[dict[str, Any]]:
        async def load() -> dict[str, Any]:
            rows = [t async for t in self.client.iter_technicians()]
            return {
                "items": [
                    {"id": t.id, "name": t.name, "email": t.email} for t in rows if t.active and t.email
                ]
            }

        data = await cached(
            self.store, namespace=TECH_NAMESPACE, key="technicians", ttl=TECH_TTL_SECONDS, load=load
        )
        return list(data["items"])

    async def linked(self) -> list[LinkedTechnician]:
        out = []
        for tech in await self._technicians():
            user = await self.slack.user_by_email(str(tech["email"]))
            if user is None:
                continue
            tz = str(user.get("tz") or self.slack.default_tz)
            out.append(LinkedTechnician(int(tech["id"]), str(tech["name"]), str(user["id"]), tz))
        return out

    async def by_id(self) -> dict[int, LinkedTechnician]:
        return {t.id: t for t in await self.linked()}


async def _job_rows(
    client: ServiceTitanClient, describer: Describer, visits: list[Visit]
) -> dict[int, dict[str, Any]]:
    """Per job of these visits: {"number", "type", "customer", "address"}."""
    types = await describer._names("job-types")
    out: dict[int, dict[str, Any]] = {}
    for job_id in dict.fromkeys(v.job_id for v in visits):
        try:
            job = await client.get_job(job_id)
            customer, location = await asyncio.gather(
                client.get_customer(job.customer_id), client.get_location(job.location_id)
            )
            out[job_id] = {"number": job.job_number or str(job.id), "type": types.get(job.job_type_id, "job"),
                           "customer": customer.name, "address": address_of(location.address)}  # fmt: skip
        except NotFound:
            out[job_id] = {"number": str(job_id), "type": "job", "customer": "", "address": ""}
    return out


async def technician_day(
    client: ServiceTitanClient,
    store: Store,
    technician_id: int,
    on: date,
    tz: str,
    *,
    describer: Describer | None = None,
) -> list[str]:
    """The technician's day view (`cards.day_lines`): the one code path of the morning message and of App
    Home (bot.dialog.service `home`), read from ServiceTitan each time it is shown."""
    describer = describer or Describer(client, store)
    start, end = timefmt.day_bounds(on, tz)
    visits = await describer.visits(technician_id=technician_id, starts_on_or_after=start, starts_before=end)
    visits = [v for v in visits if v.status != "Canceled" and technician_id in v.technician_ids]
    jobs = await _job_rows(client, describer, visits)
    return cards.day_lines([(v, jobs[v.job_id]) for v in visits], tz, technician_id)


class DayPlans:
    def __init__(
        self,
        *,
        client: ServiceTitanClient,
        store: Store,
        describer: Describer,
        directory: Directory,
        slack: SlackOut,
        at: time | None,
        clock: Callable[[], datetime],
    ) -> None:
        self.client = client
        self.store = store
        self.describer = describer
        self.directory = directory
        self.slack = slack
        self.at = at
        self.clock = clock

    async def message(self, tech: LinkedTechnician, on: date) -> tuple[str, list[dict[str, Any]]]:
        lines = await technician_day(self.client, self.store, tech.id, on, tech.tz, describer=self.describer)
        return cards.day_plan(tech.name.split()[0], on, lines, tech.tz)

    async def send(self, on: date | None = None, *, only_due: bool = False) -> list[str]:
        """Send each linked technician the plan of `on` (default: their local today); names of those sent.

        A technician who already got that day's message is skipped. With `only_due`, only technicians whose
        local time is past DAY_PLAN_AT (and within a few hours of it) are considered."""
        if only_due and self.at is None:
            return []
        sent: list[str] = []
        each = Isolated("a day plan")  # one technician failing does not keep the others' plans back
        for tech in await self.directory.linked():
            await each.run(tech.slack_user, self._send_one(tech, on, only_due, sent))
        each.settle()
        return sent

    async def _send_one(
        self, tech: LinkedTechnician, on: date | None, only_due: bool, sent: list[str]
    ) -> None:
        local_now = timefmt.local(self.clock(), tech.tz)
        day = on or local_now.date()
        if only_due and self.at is not None:
            due = datetime.combine(local_now.date(), self.at, tzinfo=local_now.tzinfo)
            if not due <= local_now < due + SEND_WINDOW:
                return
        key = f"{tech.id}:{day.isoformat()}"
        channel = await self.slack.dm_channel(tech.slack_user)
        if channel is None:
            return  # Slack refuses this user for good (deactivated): dropped, logged by SlackOut
        batch = await self._claim(key, channel)
        if batch is None:
            return
        try:
            text, blocks = await self.message(tech, day)
            delivered = await self.slack.post(channel, text, blocks, batch=batch)
        except Exception:
            # Maybe posted (a timeout after Slack took it): the next send looks in the history first.
            await self.store.save(
                namespace=PLAN_NAMESPACE,
                key=key,
                value={"batch": batch, "since": 0},
                ttl=PLAN_TTL_SECONDS,
            )
            raise
        await self.store.save(
            namespace=PLAN_NAMESPACE, key=key, value={"batch": batch, "sent": True}, ttl=PLAN_TTL_SECONDS
        )
        if delivered:
            sent.append(tech.name)

    async def _claim(self, key: str, channel: str) -> str | None:
        """A batch id when this process is to send the day plan `key` now; None when it was sent or another
        process is sending it.

        The claim records the batch (also in the message's metadata) and when the send began. A claim left
        unfinished for `STALE_SEND` (its process died mid-send) is resolved from the DM's history: the
        message is there, the claim is completed; it is not (or the history is unreadable), it is taken
        over and sent."""
        now = self.clock().timestamp()
        batch = uuid.uuid4().hex
        mine = {"batch": batch, "since": now}
        if await self.store.add_once(namespace=PLAN_NAMESPACE, key=key, ttl=PLAN_TTL_SECONDS):
            record = await self.store.load(namespace=PLAN_NAMESPACE, key=key)
        else:
            record = await self.store.load(namespace=PLAN_NAMESPACE, key=key)
            if record is None or not record.value or record.value.get("sent"):
                return None  # sent, or just claimed by another process
            since = float(record.value.get("since") or 0)
            if now - since < STALE_SEND.total_seconds():
                return None  # being sent by another process
            earlier = str(record.value.get("batch") or "")
            if earlier and await self.slack.has_batch(channel, earlier, since=since or now - 86400):
                await self.store.compare_and_set(
                    namespace=PLAN_NAMESPACE,
                    key=key,
                    expected_rev=record.rev,
                    value={"batch": earlier, "sent": True},
                    ttl=PLAN_TTL_SECONDS,
                )
                return None
        if record is None:
            return None
        taken = await self.store.compare_and_set(
            namespace=PLAN_NAMESPACE, key=key, expected_rev=record.rev, value=mine, ttl=PLAN_TTL_SECONDS
        )
        return batch if taken else None


_PRIORITY = ("appointment_deleted", "appointment_canceled", "technician_unassigned", "technician_assigned",
             "appointment_added", "appointment_moved", "appointment_hold", "appointment_hold_removed")  # fmt: skip


class TechnicianChanges:
    """The sink part that tells technicians about changes to their today and tomorrow."""

    def __init__(
        self,
        *,
        client: ServiceTitanClient,
        store: Store,
        describer: Describer,
        directory: Directory,
        slack: SlackOut,
        clock: Callable[[], datetime],
    ) -> None:
        self.client = client
        self.store = store
        self.describer = describer
        self.directory = directory
        self.slack = slack
        self.clock = clock

    async def __call__(self, events: list[ChangeEvent]) -> None:
        relevant = [e for e in events if e.kind in TECHNICIAN_KINDS and e.appointment_id]
        if not relevant:
            return
        linked = await self.directory.by_id()
        if not linked:
            return
        # (technician, appointment) -> the most telling event about it in this cycle
        chosen: dict[tuple[int, int], ChangeEvent] = {}
        for event in relevant:
            appointment_id = int(event.appointment_id or 0)
            if event.technician_id is not None:
                techs = [event.technician_id]
            else:
                techs = list(await self.describer.technicians_of(appointment_id, event.at))
            for tech in techs:
                if tech not in linked:
                    continue
                slot = (tech, appointment_id)
                current = chosen.get(slot)
                if current is None or _PRIORITY.index(event.kind) < _PRIORITY.index(current.kind):
                    chosen[slot] = event
        per_tech: dict[int, list[ChangeEvent]] = {}
        for (tech, _), event in chosen.items():
            per_tech.setdefault(tech, []).append(event)
        each = Isolated("a technician's changes")
        for tech_id, tech_events in per_tech.items():
            await each.run(f"tech{tech_id}", self._notify(linked[tech_id], tech_events))
        each.settle()

    async def _times(self, event: ChangeEvent) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        """The appointment's times before and after the change (an assignment's: its appointment's now)."""
        if event.after is not None or event.before is not None:
            return event.before, event.after
        try:
            appointment = await self.client.get_appointment(int(event.appointment_id or 0))
        except NotFound:
            return None, None
        window = (appointment.arrival_window_start, appointment.arrival_window_end)
        return None, {
            "start": appointment.start.isoformat(),
            "end": appointment.end.isoformat(),
            "arrivalWindowStart": window[0].isoformat() if window[0] else None,
            "arrivalWindowEnd": window[1].isoformat() if window[1] else None,
        }

    async def _notify(self, tech: Any, events: list[ChangeEvent]) -> None:
        recipient = f"tech{tech.id}"
        channel = await self.slack.dm_channel(tech.slack_user)
        if channel is None:
            return  # Slack refuses this user for good (deactivated): dropped, logged by SlackOut
        keys = await unsent(self.store, self.slack, recipient, channel, [e.key for e in events])
        pending = [e for e in events if e.key in keys]
        if not pending:
            return
        today = local_day(self.clock(), tech.tz)
        days = {today, today + timedelta(days=1)}
        types = await self.describer._names("job-types")
        lines = []
        for event in pending:
            before, after = await self._times(event)
            starts = [datetime.fromisoformat(s["start"]) for s in (before, after) if s and s.get("start")]
            if not any(local_day(s, tech.tz) in days for s in starts):
                continue
            try:
                job = await self.client.get_job(event.job_id)
                customer = (await self.client.get_customer(job.customer_id)).name
                facts = {
                    "number": job.job_number or str(job.id),
                    "type": types.get(job.job_type_id, "job"),
                    "customer": customer,
                }
            except NotFound:
                facts = {"number": str(event.job_id), "type": "job", "customer": ""}
            lines.append(cards.change_line(event.kind, facts, _span(before, tech.tz), _span(after, tech.tz)))
        if lines:
            text, blocks = cards.changes_message(lines, tech.tz)
            await send_recorded(self.store, self.slack, recipient, channel, keys, text, blocks)
        else:
            for key in keys:
                await mark_sent(self.store, key, recipient)


def _span(snapshot: dict[str, Any] | None, tz: str) -> str:
    if not snapshot or not snapshot.get("start"):
        return ""
    start = datetime.fromisoformat(snapshot["start"])
    end = datetime.fromisoformat(snapshot["end"]) if snapshot.get("end") else start
    window = (snapshot.get("arrivalWindowStart"), snapshot.get("arrivalWindowEnd"))
    if all(window):
        start, end = datetime.fromisoformat(str(window[0])), datetime.fromisoformat(str(window[1]))
    return timefmt.short_span(start, end, tz)
