"""Two requests in one message: "reschedule 1009 to monday 10am and assign mike chen". Pure.

The parser reads one request per message, so the dialog splits at "and <verb>" (or "then", "also") before a
word that starts a change, reads each part on its own, and gives the second part the first part's job when
it names none ("assign mike chen" is about job 1009). The dialog confirms the first, then offers the second
with its own card; a second part that is no request is said to be left undone, never guessed at.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from intents import parse

_VERBS = (
    "assign|reassign|unassign|give|swap|put|place|hold|cancel|uncancel|add|move|reschedule|push|bump|book|"
    "take|remove|delete|complete|confirm|mark|note|set|change|update|schedule"
)
_JOINER = re.compile(rf"\s*(?:,\s*)?\b(?:and(?:\s+then|\s+also)?|then|also|plus)\s+(?=(?:{_VERBS})\b)", re.I)
_TARGET = ("job_id", "appointment_id")
_OWN_WORDS = ("text", "summary")  # a note's or a summary's words are never split
_IT = re.compile(r"\b(?:it|that job|this job|that one)\b", re.I)
# "cancel 1039 and 1069, …": a second id right after the first, with the same verb
_AND_ID = r"\s*(?:,\s*)?(?:and|&|\+)\s+(?:(?:job|appt|appointment)s?\s*)?#?(?P<other>\d+)\b"


def _parse(text: str, now: datetime, tz: str) -> tuple[str, dict[str, Any]]:
    try:
        parsed = parse(text, now=now, tz=tz)
    except Exception:  # the parser promises never to raise; then there is no second request
        return "unknown", {}
    return str(parsed.get("intent", "unknown")), dict(parsed.get("slots") or {})


def split(
    text: str,
    intent: str,
    slots: dict[str, Any],
    now: datetime,
    tz: str,
    *,
    writes: frozenset[str],
    accepts: Callable[[str], frozenset[str]],
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The first request's slots and the second request ({"intent", "slots", "text"}), or None when the
    message holds one request. `intent`/`slots` are the parser's reading of the whole message; `accepts`
    gives the slots a write takes ("book … and assign sarah" is one booking with its technician)."""
    if intent not in writes:
        return slots, None
    two = _two_ids(text, intent, slots, now, tz)
    if two is not None:
        return two
    match = _JOINER.search(text)
    if match is None or match.start() == 0:
        return slots, None
    head, tail = text[: match.start()].strip(" ,"), text[match.end() :].strip()
    if any(tail.casefold() in str(slots.get(k, "")).casefold() for k in _OWN_WORDS):
        return slots, None  # "note: call and confirm with the customer": it is the note's own words
    head_intent, head_slots = _parse(head, now, tz)
    if head_intent != intent:
        return slots, None  # the parser read the whole message as one request; so does the dialog
    target = {k: head_slots[k] for k in _TARGET if head_slots.get(k) is not None}
    tail_intent, tail_slots = _parse(tail, now, tz)
    if tail_intent not in writes and target:  # "… and put sarah on it": "it" is the first part's job
        tail_intent, tail_slots = _parse(_IT.sub(f"job {next(iter(target.values()))}", tail), now, tz)
    if tail.casefold() in str(slots.get("reason", "")).casefold() and tail_intent not in writes:
        return slots, None  # "waiting for parts and take the old one out": the reason's own words
    joins = tail_intent == "assign_technician" and tail_slots.get("technician") and not target
    if joins and "technician" in accepts(intent) and not head_slots.get("technician"):
        return {**head_slots, "technician": tail_slots["technician"]}, None  # "book … and assign sarah"
    if tail_intent in writes and not any(tail_slots.get(k) is not None for k in _TARGET):
        tail_slots.update(target)
    then = {
        "intent": tail_intent if tail_intent in writes else "unknown",
        "slots": tail_slots,
        "text": tail,
        "head": head,  # the first part's own words (read against a request already in progress)
    }
    return head_slots, then


def _two_ids(
    text: str, intent: str, slots: dict[str, Any], now: datetime, tz: str
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """ "cancel 1039 and 1069, barbara white doesnt want them anymore": two requests of the same kind, one
    per id, each with the rest of what was said (the reason without the second id). None: no such message."""
    target = next((k for k in _TARGET if slots.get(k) is not None), None)
    if target is None:
        return None
    match = re.search(rf"(?<!\d){slots[target]}{_AND_ID}", text, re.I)
    if match is None:
        return None
    one = f"{text[: match.start()]}{slots[target]}{text[match.end() :]}"
    one_intent, one_slots = _parse(one, now, tz)
    if one_intent != intent or one_slots.get(target) != slots[target]:
        return None
    other = {**one_slots, target: int(match["other"])}
    words = f"{text[: match.start()].strip()} {match['other']}{text[match.end() :]}".strip()
    return one_slots, {"intent": intent, "slots": other, "text": words, "head": one}
