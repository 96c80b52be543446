"""Follow-ups that change one thing of the conversation's last look-up. Pure.

After *what is priya doing monday*: *and angela?*, *how about tom*, *what about angela on monday*,
*angela monday* are the same look-up for another technician (and another day when one is said); after a
list of jobs, *and for mike chen* is that list for that person (a technician or a customer: the read looks
the name up as both). After a
list of cancellations: *who canceled the most* counts that list by who canceled (`by_who`), keeping its
days and filters, as does *who did those*. *Any canceled ones?* after a customer's (or technician's) list
keeps that person; *whats luis got that day* (*then*, *the same day*) takes the days of the list just shown;
a name and days alone (*derek dec 8 to dec 10*) ask for that technician's schedule. Follow-ups that change the days or the status (*and last week?*, *what about
canceled*) are read by `bot.dialog.understand` itself; this module reads only what they don't.

`changed_read(last_read, text, intent, slots, now, tz)` gives the look-up `(intent, slots)` or None when the
message is no such follow-up.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from bot.dialog.reads.wording import status_said
from intents import parse_slot
from intents.vocabulary import vocabulary

_LEAD = re.compile(
    r"^\s*(?:(?:and|ok|okay|so|then|also|now|what about|how about|what abt|how abt|and for|for|same for|"
    r"same thing for|same for)\b[\s,.:;!-]*)+",
    re.I,
)
# Words that never make a technician's name in a follow-up ("and the address?", "what about canceled")
_NOT_NAME_WORDS = """a an the it its that this these those them they him her his he she me my i you your we our us
    one ones first second last other others all any every each some what which who whom where when why how
    anything anyone anybody everything everyone everybody something someone nothing nobody whats
    on in at for of to from by with about then than and or but not no yes ok okay please thanks
    is are was were be been do does did doing done have has had got get getting going
    day days week weeks weekend month today tonight tomorrow yesterday morning afternoon evening night
    address instructions customer customers job jobs appointment appointments visit visits schedule
    canceled cancelled cancellations holds hold held unassigned assigned scheduled completed open
    list more again instead same else too also just only most least many much"""
_NOT_NAMES = frozenset(_NOT_NAME_WORDS.split())
# The look-ups a technician follow-up repeats
_BY_TECHNICIAN = frozenset({"list_appointments", "find_jobs"})
# "who canceled the most": a question about the list just shown ("cancellations by person" is a list of its own)
_TALLY_QUESTION = re.compile(r"^\s*(?:(?:and|so|ok|okay)\b[\s,]*)?who\b", re.I)
# Filters of a list a tally of it keeps ("who canceled the most" after "canceled jobs this month")
_KEPT_BY_TALLY = (
    "range",
    "technician",
    "customer",
    "customer_id",
    "project",
    "project_id",
    "kind",
    "location",
    "reason",
    "done_by",
)
# "who did those", "who canceled them": who made the changes of the list just shown
_WHO_DID_THOSE = re.compile(
    r"^\s*(?:(?:and|so|ok|okay)\b[\s,]*)?(?:who|by whom)\s+(?:did|made|canceled|cancelled|held|put|"
    r"was\s+(?:that|it)|were\s+(?:those|they))\s*(?:those|these|them|they|that|it|the\s+\w+|on\s+hold|all)?"
    r"(?:\s+(?:cancellations|cancels|holds|on hold|ones))?\s*[?.!]*\s*$",
    re.I,
)
# "any canceled ones?", "which of those are on hold": a status asked of the list just shown
_OF_THE_LIST = re.compile(r"\b(?:ones?|of (?:them|those|these)|those|these|them)\b", re.I)
_NAMED = frozenset(
    ["technician", "technician_id", "customer", "customer_id", "project", "project_id", "location", "kind"]
)
# "whats luis got that day", "what does tom have then": the day of the read just shown
_THAT_DAY = re.compile(r"\b(?:(?:that|the same|same)\s+(?:day|date|days|dates)|then)\b", re.I)


def changed_read(
    last_read: dict[str, Any], text: str, intent: str, slots: dict[str, Any], now: datetime, tz: str
) -> tuple[str, dict[str, Any]] | None:
    before = str(last_read.get("intent") or "")
    old = dict(last_read.get("slots") or {})
    if (
        before == "find_jobs"
        and intent == "find_jobs"
        and slots.get("by_who")
        and _TALLY_QUESTION.match(text)
    ):
        return intent, _tally(old, slots)
    if before == "find_jobs" and old.get("status") and _WHO_DID_THOSE.match(text):
        return before, _tally(old, {"by_who": True})  # "who did those" after a list of cancellations
    if before == intent == "find_jobs" and _OF_THE_LIST.search(text) and not any(k in slots for k in _NAMED):
        # "any canceled ones?" after "jobs for oak ridge apartments": that customer's canceled jobs
        return before, {**{k: old[k] for k in _NAMED if k in old}, **slots}
    if (
        before in _BY_TECHNICIAN
        and intent == "list_appointments"
        and old.get("range")
        and not slots.get("range")
        and _THAT_DAY.search(text)
    ):
        return intent, {**slots, "range": old["range"]}  # "whats luis got that day" after Wednesday's list
    if intent == "unknown" and before not in _BY_TECHNICIAN:
        # "derek dec 8 to dec 10", "sarah tmrw": a name and days alone ask for that person's appointments
        found = _name_and_days(text, now, tz) if not _LEAD.match(text) else None
        if found is not None and found[1] is not None:
            return "list_appointments", {"technician": found[0], "range": found[1]}
    if before not in _BY_TECHNICIAN or intent not in {"unknown", before} or slots.get("technician"):
        return None  # (a technician the parser read is the request's own: "whats booked for sarah monday")
    if before == "find_jobs" and not old.get("technician") and not _LEAD.match(text):
        return None  # a list about nobody and a bare name: a new search, not this one for someone
    if old.get("free") or old.get("unassigned"):
        return None  # "who's free…": about nobody in particular
    if slots.get("technician") == "me":
        return None  # "rest of my week": the asker's own list, no one's name in it
    found = _name_and_days(text, now, tz)
    if found is None:
        return None
    name, days = found
    new = {k: v for k, v in old.items() if k not in {"technician", "technician_id"}}
    new["technician"] = name
    if days is not None:
        new["range"] = days
    return before, new


def _tally(old: dict[str, Any], slots: dict[str, Any]) -> dict[str, Any]:
    """The count asked for, over the list just shown: its days and filters unless the message says others."""
    kept = {k: old[k] for k in _KEPT_BY_TALLY if k in old and k not in slots}
    if old.get("status") and slots.get("status") in (None, old.get("status")):
        kept["status"] = old["status"]
    return {**kept, **slots}


def _name_and_days(text: str, now: datetime, tz: str) -> tuple[str, Any] | None:
    """ "angela on monday" -> ("angela", Monday's range); "tom" -> ("tom", None); None when the words are no
    technician's name (with at most a day after it)."""
    rest = _LEAD.sub("", text).strip().rstrip("?.!, ")
    rest = re.sub(r"'s\b", "", rest)
    words = rest.split()
    if not words or len(words) > 9:
        return None
    for size in (2, 1):
        name, tail = words[:size], " ".join(words[size:])
        if len(name) < size or not _is_name(name, now, tz):
            continue
        days = _parse("range", tail, now, tz) if tail else None
        if tail and days is None and not _THAT_DAY.fullmatch(re.sub(r"^(?:on\s+)?", "", tail)):
            continue  # "mike carter the same day": the days of the list just shown
        return " ".join(name), days
    return None


def _is_name(words: list[str], now: datetime, tz: str) -> bool:
    keywords = set(vocabulary()["keywords"])
    for word in words:
        low = word.casefold()
        if not re.fullmatch(r"[^\W\d_][\w'-]*", word) or len(low) < 2:
            return False
        if low in _NOT_NAMES or low in keywords or status_said(low):
            return False
    phrase = " ".join(words)
    return _parse("range", phrase, now, tz) is None and _parse("when", phrase, now, tz) is None


def _parse(slot: str, text: str, now: datetime, tz: str) -> Any:
    try:
        return parse_slot(slot, text, now=now, tz=tz)
    except Exception:  # the parser promises never to raise; a dialog must survive if it ever does
        return None
