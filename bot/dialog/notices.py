"""A technician's "running 30 min late to 1038": a short notice to the office, and a word back saying where it
went. Not a ServiceTitan write (nothing changes there), so it is no write module: `LateNotices.answer` is
DialogService's hook, like the alert requests, and sends through a `Send` the surface provides.

Where it goes: the Slack user who last changed the job (or the appointment) through the bot, by DM, as the
alerts record them (`bot.alerts.subscriptions.actor_of`); else `ALERT_CHANNEL`. With neither, or when Slack
refuses it, the technician is told to call the office. The text is plain; the sender escapes it for Slack.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.alerts.subscriptions import actor_of
from bot.dialog import timefmt
from bot.dialog.messages import Asker, Reply, mention
from bot.servicetitan import NotFound, ServiceTitanClient, ServiceTitanError
from bot.servicetitan.models import Appointment
from bot.store import Store
from intents import parse

log = logging.getLogger("bot.dialog")

# (a Slack channel id, or a user id for a DM; the text) -> whether Slack took it
Send = Callable[[str, str], Awaitable[bool]]
_MAYBE_LATE = re.compile(r"\blate\b|\bbehind\b|\bdelayed\b", re.I)  # cheap test before parsing
_OPEN = frozenset({"Scheduled", "Dispatched", "Working", "Hold"})


def _text(reply: str) -> Reply:
    return Reply(kind="text", text=reply, read_only=True)


@dataclass
class LateNotices:
    client: ServiceTitanClient
    store: Store
    send: Send | None = None
    alert_channel: str | None = None

    async def answer(self, asker: Asker, text: str, now: datetime) -> Reply | None:
        """The reply to a running-late notice (sent first), or None when `text` is no such notice."""
        if not _MAYBE_LATE.search(text):
            return None
        try:
            parsed = parse(text, now=now, tz=asker.tz)
        except Exception:  # the parser promises never to raise; the dialog goes on without this hook
            return None
        if parsed.get("intent") != "running_late":
            return None
        slots: dict[str, Any] = dict(parsed.get("slots") or {})
        if asker.role != "technician" or asker.technician_id is None:
            return _text(
                "Running-late notices are for technicians to tell the office. To move the visit, say e.g. "
                "*push 1038 back 30 minutes*."
            )
        try:
            visit = await self._visit(asker.technician_id, slots, now)
        except NotFound:
            which = slots.get("job_id") or slots.get("appointment_id")
            return _text(
                f"I can't find {which} in ServiceTitan, so I sent nothing. Which job are you late to?"
            )
        except ServiceTitanError as exc:
            log.warning("running late: ServiceTitan read failed: %s", exc)
            return _text("ServiceTitan didn't answer, so I sent nothing. Please call the office.")
        if visit is None:
            return _text("Which job are you running late to? Say e.g. *running 20 min late to 1038*.")
        return await self._tell_office(asker, visit, slots.get("minutes"))

    async def _visit(self, technician_id: int, slots: dict[str, Any], now: datetime) -> Appointment | None:
        """The appointment the notice is about: the one named, the technician's on the job named, or their
        next open visit from an hour ago to the end of tomorrow."""
        if slots.get("appointment_id") is not None:
            return await self.client.get_appointment(int(slots["appointment_id"]))
        if slots.get("job_id") is not None:
            job_id = int(slots["job_id"])
            await self.client.get_job(job_id)  # NotFound when there is no such job
            visits = [a async for a in self.client.iter_appointments(job_id=job_id) if a.status in _OPEN]
            assigned = await self._assigned(technician_id, [a.id for a in visits])
            mine = [a for a in visits if a.id in assigned]
            return _soonest(mine or visits, now)
        visits = [
            a
            async for a in self.client.iter_appointments(
                technician_id=technician_id,
                starts_on_or_after=now - timedelta(hours=1),
                starts_before=now + timedelta(days=2),
            )
            if a.status in _OPEN
        ]
        return _soonest(visits, now)

    async def _assigned(self, technician_id: int, appointment_ids: list[int]) -> set[int]:
        if not appointment_ids:
            return set()
        return {
            a.appointment_id
            async for a in self.client.iter_appointment_assignments(appointment_ids=appointment_ids)
            if a.technician_id == technician_id and a.active is not False
        }

    async def _tell_office(self, asker: Asker, visit: Appointment, minutes: Any) -> Reply:
        late = f"{int(minutes)} minutes" if isinstance(minutes, int | float) and minutes > 0 else "a bit"
        at = timefmt.clock(timefmt.local(visit.start, asker.tz))
        who = asker.name or "A technician"
        on_it = await self._assigned(asker.technician_id or 0, [visit.id])
        aside = "" if on_it else "; not assigned to it in ServiceTitan"
        notice = (
            f"⏱ {who} is running {late} late to job {visit.job_id} (appointment {visit.id}, due {at}{aside})."
        )
        actor = await actor_of(self.store, visit.job_id, appointment_id=visit.id)
        target, where = (
            (actor, f"{_person(actor)}, who last changed job {visit.job_id}")
            if actor
            else (self.alert_channel, "the dispatch channel")
        )
        if not target or self.send is None:
            return _text(
                f"I couldn't pass it on: no dispatch channel is set up and nobody changed job {visit.job_id} "
                "through me recently. Please call the office."
            )
        try:
            sent = await self.send(target, notice)
        except Exception:  # Slack down or refusing: the technician must know it did not arrive
            log.warning("running late: sending the notice failed", exc_info=True)
            sent = False
        if not sent:
            return _text(
                "Slack didn't take the notice, so the office doesn't know yet. Please call the office."
            )
        return _text(f"Sent to {where}: “{notice}”")


def _person(user_id: str) -> str:
    """A live mention of the Slack user (built by the bot, so it stays one), or words when it is no user id."""
    try:
        return mention(user_id)
    except ValueError:
        return "the dispatcher"


def _soonest(visits: list[Appointment], now: datetime) -> Appointment | None:
    """The visit the technician is on the way to: the next one to start, else the latest one begun."""
    ahead = sorted((a for a in visits if a.start >= now - timedelta(hours=1)), key=lambda a: a.start)
    if ahead:
        return ahead[0]
    return max(visits, key=lambda a: a.start) if visits else None
