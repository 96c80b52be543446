"""Another request said while one is open, never applied to the open one. Pure.

"reschedule 1042" (asks when), then "move appt 5079 to 2pm": 5079 is job 1059's visit, so the message is a
request of its own, not an answer about 1042 (the dialog offers to switch, and the new request starts from
what it says, never from the open one's time). "no, job 1040" stays a correction: its words say so.

What the open request is about: its job and appointment, and what ServiceTitan said about them when they
were looked up (the job's appointments, the appointment's job).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from bot.dialog import refer
from bot.dialog.catalog import WRITE_INTENTS
from bot.dialog.reads.asking import parse_text
from bot.dialog.state import Load, Pending

# A change of mind: "actually no, …", "scratch that, …", "on second thought …", or "… instead"
_CHANGE_LEAD = re.compile(
    r"^\s*(?:(?:actually|scratch that|strike that|no|nope|nah|wait|hmm|sorry|oops|on second thoughts?|"
    r"change of plans?|forget (?:that|it)|never ?mind(?: that)?|let'?s|lets|ok|okay|so|just|rather)\b[\s,.:;!-]*)+",
    re.IGNORECASE,
)
# …of which one word must say the mind changed ("ok so the customer wants it friday" may be a note's words)
_RETRACTS = re.compile(
    r"\b(?:actually|scratch|strike|no|nope|nah|wait|oops|sorry|second thoughts?|change of plans?|forget|"
    r"never ?mind|rather)\b",
    re.IGNORECASE,
)
_INSTEAD = re.compile(r"[\s,]*\b(?:instead(?:\s+of\s+(?:that|this|it))?)\b", re.IGNORECASE)


def _records(p: Pending) -> tuple[set[int], set[int]]:
    """The job ids and appointment ids the open request is known to be about."""
    jobs: set[int] = set()
    appts: set[int] = set()
    job_id, appt_id = p.slots.get("job_id"), p.slots.get("appointment_id")
    if isinstance(appt_id, int):
        appts.add(appt_id)
        found = p.data.get(Load("appointment", {"appointment_id": appt_id}).key) or {}
        appt = found.get("appointment") if isinstance(found, dict) else None
        if isinstance(appt, dict) and isinstance(appt.get("job_id"), int):
            jobs.add(appt["job_id"])
    if isinstance(job_id, int):
        jobs.add(job_id)
    for job in list(jobs):
        found = p.data.get(Load("job_appointments", {"job_id": job}).key) or {}
        rows = found.get("appointments") if isinstance(found, dict) else None
        appts |= {a["id"] for a in rows or [] if isinstance(a, dict) and isinstance(a.get("id"), int)}
    return jobs, appts


def other_record(p: Pending, slots: dict[str, Any]) -> str | None:
    """The job or appointment `slots` name that the open request is not about ("appointment 5079"), or
    None: the same one, none named, or the request names none yet (then they answer "Which job?").
    An appointment not known to be the open job's counts as another (asking to switch loses nothing)."""
    jobs, appts = _records(p)
    if not jobs and not appts:
        return None
    job_id, appt_id = slots.get("job_id"), slots.get("appointment_id")
    if isinstance(job_id, int) and job_id not in jobs:
        return f"job {job_id}"
    if isinstance(appt_id, int) and appt_id not in appts and not (isinstance(job_id, int) and job_id in jobs):
        return f"appointment {appt_id}"
    return None


def other_request(p: Pending, intent: str, slots: dict[str, Any], text: str, cleaned: str) -> bool:
    """Whether the message is a request of its own: another write, with values or bare ("reschedule") and
    not worded as a correction of this one; or this same write for another job or appointment, not worded
    as a correction ("no, job 1015 friday 9am" corrects the job of the card)."""
    if intent == p.intent:
        return cleaned == text.strip() and other_record(p, slots) is not None
    return intent in WRITE_INTENTS and bool(slots or cleaned == text.strip())


def unsure_reading(
    p: Pending | None, parsed: dict[str, Any], slots: dict[str, Any], corrects: object
) -> tuple[str, dict[str, Any]] | None:
    """A message the parser was unsure of ("pull appt 5079 an hour earlier": `unknown`, with the open
    request's write among its alternatives) that names another job or appointment, not worded as a
    correction: that write with the ids it names, so it is read as a request of its own."""
    if p is None or parsed.get("intent") != "unknown" or corrects:
        return None
    for alternative in parsed.get("alternatives") or []:
        if isinstance(alternative, dict) and alternative.get("intent") == p.intent:
            named = {k: v for k, v in dict(alternative.get("slots") or {}).items() if k.endswith("_id")}
            if other_record(p, named) is not None:
                return p.intent, {**slots, **named}
    return None


def change_of_mind(p: Pending, text: str, now: datetime, tz: str) -> tuple[str, dict[str, Any]] | None:
    """ "actually no, put it on hold instead, parts backordered" while canceling job 1075: the other write
    the user turned to (its job the open request's unless it names one), never an answer (a reason, a note)
    to the open request; None when the message says no change of mind or no other write."""
    lead = _CHANGE_LEAD.match(text)
    lead = lead if lead is not None and _RETRACTS.search(lead[0]) else None
    if lead is None and _INSTEAD.search(text) is None:
        return None
    rest = _INSTEAD.sub("", text[lead.end() if lead else 0 :]).strip(" ,.;:-")
    if not rest:
        return None
    parsed = parse_text(rest, now, tz)
    intent, slots = str(parsed.get("intent", "unknown")), dict(parsed.get("slots") or {})
    record = {k: p.slots[k] for k in ("job_id", "appointment_id") if isinstance(p.slots.get(k), int)}
    if record and slots.get("job_id") is None and slots.get("appointment_id") is None:
        about = {"job_id": record["job_id"]} if "job_id" in record else None
        read = refer.referred(about, rest, intent, slots, now, tz) if about else None
        intent, slots = read if read is not None and read[0] in WRITE_INTENTS else (intent, slots)
        if intent in WRITE_INTENTS and slots.get("job_id") is None and slots.get("appointment_id") is None:
            slots = {**record, **slots}
    if intent not in WRITE_INTENTS or intent == p.intent:
        return None
    return intent, slots
