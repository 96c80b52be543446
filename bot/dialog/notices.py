"""A technician's "running 30 min late to 1038": a short notice to the office, and a word back saying where it
went. Not a ServiceTitan write (nothing changes there), so it is no write module: `LateNotices.answer` (its
reads) and `LateNotices.deliver` (the send, through a `Send` the surface provides) are DialogService's hook,
like the alert requests.

Which visit: the one named (job or appointment id), else the one of the technician's own visits that matches
the words said ("late to the bakery": customer, location or job type), else the one the conversation just
showed when the message says "it" or "that one" (`in_view`: the conversation's `last_read`; a list of several
asks which of them), else, when nothing was named, their visit under way or next (from an hour ago to the end
of tomorrow). When the words match none of their visits,
or the id names nothing, nothing is sent: the reply asks which of their visits (buttons that send the notice),
and a bare number typed next ("1041") answers that question.

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
from bot.dialog.messages import Asker, Button, Reply, Said, mention
from bot.servicetitan import NotFound, ServiceTitanClient, ServiceTitanError
from bot.servicetitan.models import Appointment
from bot.store import Store, Write
from intents import parse

log = logging.getLogger("bot.dialog")

# (a Slack channel id, or a user id for a DM; the text) -> whether Slack took it
Send = Callable[[str, str], Awaitable[bool]]
_MAYBE_LATE = re.compile(r"\blate\b|\bbehind\b|\bdelayed\b", re.I)  # cheap test before parsing
_OPEN = frozenset({"Scheduled", "Dispatched", "Working", "Hold"})
# The parser's misses this module reads itself (reported to the parser's owner): a number right by "late"
# with no job noun is minutes ("running 15 late", "running late 20"); "25 mins behind" said in other words.
_MINUTES_BY_LATE = re.compile(
    r"(?<![#\w])(?<!job )(?<!appt )(?<!appointment )(?P<a>\d{1,3})\s+(?:late|behind)\b|\b(?:late|behind)\s+(?P<b>\d{1,3})\s*$",
    re.I,
)
_MINUTES_SAID = re.compile(r"\b(?P<n>\d{1,3})\s*(?:min(?:ute)?s?|m)\s+(?:late|behind)\b", re.I)
_LATE_IN_OTHER_WORDS = re.compile(rf"{_MINUTES_SAID.pattern}|\bstuck in traffic\b", re.I)
# "late to the bakery": the words after to/for/at, when they name no id
_TARGET = re.compile(r"\b(?:late|behind|delayed)\b.*?\b(?:to|for|at)\s+(?P<target>[^\d#].*?)[\s.!?]*$", re.I)
_NO_TARGET = frozenset(
    [
        "the",
        "a",
        "an",
        "my",
        "our",
        "this",
        "that",
        "it",
        "its",
        "next",
        "first",
        "one",
        "job",
        "jobs",
        "appointment",
        "appt",
        "visit",
        "call",
        "work",
        "there",
        "today",
        "tomorrow",
        "tmrw",
        "morning",
        "afternoon",
        "place",
        "house",
        "home",
        "s",
        "mr",
        "mrs",
        "ms",
        "miss",
        "dr",
    ]
)
# "late to it", "behind on that one": the visit the conversation just showed
_REFERS = re.compile(
    r"\b(?:to|for|on|at|with|getting to)\s+(?:it|that|this)(?:\s+(?:one|job|visit|appointment|appt|call|stop))?\b"
    r"(?!\s*['’])",
    re.I,
)
_ANSWER = re.compile(r"^\s*(?:(?P<noun>job|appt|appointment)\s*)?#?\s*(?P<id>\d{3,})\s*[.!]?\s*$", re.I)
NAMESPACE = "late"
WAITING_TTL = 600.0  # seconds a "which job are you late to?" stays answerable by a bare number
MAX_OFFERED = 5


def _text(reply: str) -> Reply:
    return Reply(kind="text", text=reply, read_only=True)


@dataclass(frozen=True)
class Outgoing:
    """A notice ready to send (everything read): to whom, what, and how the technician is told where."""

    target: str
    notice: str
    where: str


@dataclass
class LateNotices:
    client: ServiceTitanClient
    store: Store
    send: Send | None = None
    alert_channel: str | None = None

    async def answer(
        self, asker: Asker, text: str, now: datetime, key: str = "", in_view: dict[str, Any] | None = None
    ) -> Reply | Outgoing | None:
        """What a running-late notice comes to, by reads only: the notice to send (`deliver` sends it), the
        reply when nothing is to be sent, or None when `text` is no such notice. `in_view`: what the
        conversation showed last (`Conversation.last_read`), for "late to it"."""
        slots = await self._late_slots(asker, text, now, key)
        if slots is None:
            return None
        shown = _shown(in_view) if _refers(text, slots) else None
        if asker.role != "technician" or asker.technician_id is None:
            return _text(
                "Running-late notices are for technicians to tell the office. To move the visit, say e.g. "
                "*push 1038 back 30 minutes*."
            )
        minutes = slots.get("minutes")
        if isinstance(shown, list):  # "late to that one" after a list of several visits: which one?
            offered = await self._appointments(shown)
            return await self._which(
                asker, minutes, now, key, "Several visits were just listed, so I sent nothing yet.", offered
            )
        slots.update(shown or {})
        try:
            if slots.get("job_id") is None and slots.get("appointment_id") is None and slots.get("target"):
                return await self._by_words(asker, str(slots["target"]), minutes, now, key)
            visit = await self._visit(asker.technician_id, slots, now)
        except NotFound:
            which = slots.get("job_id") or slots.get("appointment_id")
            return await self._which(
                asker, minutes, now, key, f"I can't find {which} in ServiceTitan, so I sent nothing."
            )
        except ServiceTitanError as exc:
            log.warning("running late: ServiceTitan read failed: %s", exc)
            return _text("ServiceTitan didn't answer, so I sent nothing. Please call the office.")
        if visit is None:
            return await self._which(
                asker, minutes, now, key, "I don't see a visit of yours under way or next."
            )
        return await self._tell_office(asker, visit, minutes, now)

    async def _late_slots(self, asker: Asker, text: str, now: datetime, key: str) -> dict[str, Any] | None:
        """The notice's slots (`target`: the words naming the visit, when no id did), or None: no notice."""
        waiting = None
        if key and asker.role == "technician":
            record = await self.store.load(namespace=NAMESPACE, key=key)
            waiting = record.value if record is not None else None
            if waiting is not None:  # a batch: a delivery another process answers changes nothing (its guard)
                await self.store.write_many([Write.delete(namespace=NAMESPACE, key=key)])
            answered = _ANSWER.fullmatch(text) if waiting is not None else None
            if waiting is not None and answered is not None:  # "1041" to "which job are you late to?"
                noun = "appointment_id" if (answered["noun"] or "").casefold().startswith("app") else "job_id"
                return {noun: int(answered["id"]), "minutes": waiting.get("minutes")}
        if not _MAYBE_LATE.search(text):
            return None
        try:
            parsed = parse(text, now=now, tz=asker.tz)
        except Exception:  # the parser promises never to raise; the dialog goes on without this hook
            return None
        intent = parsed.get("intent")
        slots: dict[str, Any] = dict(parsed.get("slots") or {})
        if intent != "running_late":
            other = _LATE_IN_OTHER_WORDS.search(text) if intent in ("help", "unknown") else None
            if other is None:
                return None
            said = _MINUTES_SAID.search(text)
            slots = {"minutes": int(said["n"])} if said else {}
        by_late = _MINUTES_BY_LATE.search(text)
        if by_late is not None and slots.get("job_id") == int(by_late["a"] or by_late["b"]):
            del slots["job_id"]  # "running 15 late": minutes, not job 15
            slots["minutes"] = int(by_late["a"] or by_late["b"])
        elif by_late is not None and slots.get("minutes") is None:
            slots["minutes"] = int(
                by_late["a"] or by_late["b"]
            )  # "let dispatch know im 15 late for job 1041"
        target = _TARGET.search(text)
        if target is not None and slots.get("job_id") is None and slots.get("appointment_id") is None:
            words = _words(target["target"])
            if words - _NO_TARGET:
                slots["target"] = target["target"].strip()
        return slots

    async def _appointments(self, ids: list[int]) -> list[Appointment]:
        """The open visits of these appointment ids, soonest first (one that is gone is left out)."""
        found = []
        for appointment_id in ids:
            try:
                visit = await self.client.get_appointment(appointment_id)
            except NotFound:
                continue
            if visit.status in _OPEN:
                found.append(visit)
        return sorted(found, key=lambda a: a.start)

    async def _upcoming(self, technician_id: int, now: datetime) -> list[Appointment]:
        """The technician's open visits from an hour ago to a week ahead, soonest first."""
        visits = [
            a
            async for a in self.client.iter_appointments(
                technician_id=technician_id,
                starts_on_or_after=now - timedelta(hours=1),
                starts_before=now + timedelta(days=7),
            )
            if a.status in _OPEN
        ]
        return sorted(visits, key=lambda a: a.start)

    async def _described(self, visits: list[Appointment]) -> list[tuple[Appointment, str]]:
        """Each visit with the words that name it: customer, location (name and street), job type."""
        types = {t.id: t.name async for t in self.client.iter_job_types()}
        out = []
        for visit in visits:
            job = await self.client.get_job(visit.job_id)
            customer = await self.client.get_customer(job.customer_id)
            location = await self.client.get_location(job.location_id)
            street = location.address.street if location.address else ""
            out.append(
                (visit, " ".join([customer.name, location.name, street, types.get(job.job_type_id, "")]))
            )
        return out

    async def _by_words(
        self, asker: Asker, target: str, minutes: Any, now: datetime, key: str
    ) -> Reply | Outgoing:
        """The notice for the one visit of the technician's own that `target` names, or the question which."""
        visits = await self._described(await self._upcoming(asker.technician_id or 0, now))
        wanted = _words(target) - _NO_TARGET
        matching = [visit for visit, words in visits if _names_all(wanted, _words(words))]
        if len(matching) == 1:
            return await self._tell_office(asker, matching[0], minutes, now)
        said = f"“{target}”"
        if matching:
            return await self._which(
                asker, minutes, now, key, f"Several of your visits match {said}.", matching
            )
        return await self._which(
            asker, minutes, now, key, f"None of your visits matches {said}, so I sent nothing."
        )

    async def _which(
        self,
        asker: Asker,
        minutes: Any,
        now: datetime,
        key: str,
        why: str,
        offered: list[Appointment] | None = None,
    ) -> Reply:
        """Nothing sent: which of the technician's visits is it? Buttons send the notice; so does its number."""
        visits = offered if offered is not None else await self._upcoming(asker.technician_id or 0, now)
        visits = visits[:MAX_OFFERED]
        if key:
            await self.store.save(namespace=NAMESPACE, key=key, value={"minutes": minutes}, ttl=WAITING_TTL)
        if not visits:
            return _text(f"{why} You have no visits coming up, so I sent nothing. Please call the office.")
        late = (
            f"running {int(minutes)} min late"
            if isinstance(minutes, int | float) and minutes > 0
            else "running late"
        )
        buttons = [
            Button(
                action="retry",
                label=f"Job {a.job_id} · {timefmt.short_span(a.start, a.end, asker.tz)}",
                value=Said(text=f"{late} to appointment {a.id}").model_dump_json(),
            )
            for a in visits
        ]
        return Reply(
            kind="text",
            text=f"{why} Which of your visits are you running late to? Press it, or type its job number.",
            buttons=buttons,
            read_only=True,
        )

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

    async def _tell_office(
        self, asker: Asker, visit: Appointment, minutes: Any, now: datetime
    ) -> Reply | Outgoing:
        late = (
            f"about {int(minutes)} minutes" if isinstance(minutes, int | float) and minutes > 0 else "a bit"
        )
        due = timefmt.local(visit.start, asker.tz)
        at = timefmt.clock(due)  # with its day unless it is today's ("due Tue Dec 8 8:00 AM")
        at = at if due.date() == timefmt.local(now, asker.tz).date() else f"{timefmt.short_day(due)} {at}"
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
        return Outgoing(target, notice, where)

    async def deliver(self, out: Outgoing) -> Reply:
        """Send the notice; the technician's word back says where it went, or that it did not. Sent once
        though two processes got the message: GuardRefused when the other has it (bot/store/base.py Guard)."""
        await self.store.settle_guard()
        try:
            sent = await self.send(out.target, out.notice) if self.send is not None else False
        except Exception:  # Slack down or refusing: the technician must know it did not arrive
            log.warning("running late: sending the notice failed", exc_info=True)
            sent = False
        if not sent:
            return _text(
                "Slack didn't take the notice, so the office doesn't know yet. Please call the office."
            )
        return _text(f"Sent to {out.where}: “{out.notice}”")


def may_be_late(text: str) -> bool:
    """Whether `text` may be a running-late notice (the cheap test, before anything is read)."""
    return bool(_MAYBE_LATE.search(text))


def _refers(text: str, slots: dict[str, Any]) -> bool:
    """ "late to it", "behind on that one": the message names its visit by reference, not by id or words."""
    named = slots.get("job_id") is not None or slots.get("appointment_id") is not None or slots.get("target")
    return not named and bool(_REFERS.search(text))


def _shown(in_view: dict[str, Any] | None) -> dict[str, int] | list[int] | None:
    """The visit "it" is in what the conversation showed last: the job (and visit) in view, the one visit of
    a list, the appointment ids of a list of several (to ask which), or None when nothing was shown."""
    last = in_view or {}
    if isinstance(last.get("job_id"), int):
        shown = {"job_id": int(last["job_id"])}
        if isinstance(last.get("appointment_id"), int):
            shown["appointment_id"] = int(last["appointment_id"])
        return shown
    items = [i for i in last.get("items") or [] if isinstance(i, dict) and i.get("appointment_id")]
    if len(items) == 1:
        return {"appointment_id": int(items[0]["appointment_id"])}
    return [int(i["appointment_id"]) for i in items] or None


def _person(user_id: str) -> str:
    """A live mention of the Slack user (built by the bot, so it stays one), or words when it is no user id."""
    try:
        return mention(user_id)
    except ValueError:
        return "the dispatcher"


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.casefold().replace("'s", "")) if w}


def _names_all(wanted: set[str], words: set[str]) -> bool:
    """Every word said is one of the visit's, a plural of one allowed ("the garcias": Garcia)."""
    return all(w in words or (w.endswith("s") and w[:-1] in words) for w in wanted)


def _soonest(visits: list[Appointment], now: datetime) -> Appointment | None:
    """The visit the technician is on the way to: the next one to start, else the latest one begun."""
    ahead = sorted((a for a in visits if a.start >= now - timedelta(hours=1)), key=lambda a: a.start)
    if ahead:
        return ahead[0]
    return max(visits, key=lambda a: a.start) if visits else None
