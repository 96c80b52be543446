"""A message read as a look-up, before the dialog acts on it: a question asked in the middle of a request
("wait, what's Derek doing saturday?"), what the parser leaves out of a read (`wording.refine`), "it" and
"that job" for the job shown last, and a day that doesn't exist ("feb 30"). Pure functions of the text."""

from __future__ import annotations

import calendar
import re
from datetime import datetime
from typing import Any

from bot.dialog.catalog import INTENT_SLOTS, READ_INTENTS
from bot.dialog.reads.wording import refine
from intents import parse, parse_slot


def parse_text(text: str, now: datetime, tz: str) -> dict[str, Any]:
    try:
        parsed = parse(text, now=now, tz=tz)
    except Exception:  # the parser promises never to raise; a dialog must survive if it ever does
        return {"intent": "unknown", "slots": {}}
    return parsed if isinstance(parsed, dict) else {"intent": "unknown", "slots": {}}


_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        (
            "jan january",
            "feb february",
            "mar march",
            "apr april",
            "may",
            "jun june",
            "jul july",
            "aug august",
            "sep sept september",
            "oct october",
            "nov november",
            "dec december",
        )
    )
    for m in names.split()
}
_MONTH_DAY = re.compile(r"\b(?P<month>[a-z]{3,9})\.?\s+(?:the\s+)?(?P<day>\d{1,2})(?:st|nd|rd|th)?\b", re.I)
_NUMERIC_DAY = re.compile(r"(?<![\d/])(?P<month>\d{1,2})/(?P<day>\d{1,2})(?![\d/])")


def impossible_date(text: str) -> str:
    """Why a day said in the text is no date ("feb 30", "6/31"), or ""."""
    found = [(_MONTHS.get(m["month"].casefold()), int(m["day"]), m[0]) for m in _MONTH_DAY.finditer(text)]
    found += [(int(m["month"]), int(m["day"]), m[0]) for m in _NUMERIC_DAY.finditer(text)]
    for month, day, said in found:
        if month is None or not 1 <= month <= 12:
            continue
        days = calendar.monthrange(2028, month)[1]  # a leap year: Feb 29 is a date
        if not 1 <= day <= days:
            name = calendar.month_name[month]
            has = "28 days (29 in a leap year)" if month == 2 else f"{days} days"
            return f"“{said}” isn't a date: {name} has {has}. Say another day (e.g. _{name[:3].lower()} {days - 1}_)."
    return ""


# Words before a question in the middle of a request ("wait, what's Derek doing saturday?")
_ASIDE_LEAD = re.compile(
    r"^\s*(?:(?:wait|hold on|hang on|oh|btw|by the way|quick question|actually|also|sorry|um|hmm)\b[\s,.:;!-]*)+",
    re.IGNORECASE,
)
_QUESTION = re.compile(
    r"^\s*(?:what|whats|what's|who|whos|who's|when|where|which|is|are|does|do|show|list|how|any)\b|\?\s*$",
    re.IGNORECASE,
)


def aside_question(
    text: str, intent: str, slots: dict[str, Any], shown: Any, now: datetime, tz: str
) -> tuple[str, dict[str, Any]] | None:
    """A question asked in the middle of a request: a look-up, worded as a question, not as a correction
    ("no, job 1002" corrects; "wait, whats derek doing saturday" asks), or one the parser reads as no request
    that only a look-up can mean ("cancellations this week by reason")."""
    rest = _ASIDE_LEAD.sub("", text).strip()
    if not rest:
        return None
    parsed: dict[str, Any] = {"intent": intent, "slots": slots}
    if rest != text.strip():
        parsed = parse_text(rest, now, tz)
    asked = str(parsed.get("intent", "unknown"))
    refined, found = look_up(rest, asked, dict(parsed.get("slots") or {}), shown, now, tz)
    if refined not in READ_INTENTS or (refined == "show_job" and not found):
        return None
    worded = asked == "unknown" and rest == text.strip() and refined in {"find_jobs", "find_projects"}
    if _QUESTION.search(rest) or worded:
        return refined, found
    return None


_IT = re.compile(r"\b(it|its|it's|that job|this job|that one|the job|same job|that)\b", re.IGNORECASE)
_WHY = re.compile(
    r"^\s*(?:why\s+(?:is|was|'s)|who\s+(?:put|canceled|cancelled|held|took))\s+(?:it|that|that job|this job)\b",
    re.IGNORECASE,
)
_SHOW_IT = re.compile(
    r"^\s*(?:show|open|pull up|details(?: on| for)?|tell me about|what about|more on|look at)\s+(?:me\s+)?"
    r"(?:it|that|that job|this job|that one)\s*[?.!]*$",
    re.IGNORECASE,
)


_WHERE = re.compile(
    r"^\s*(?:(?:what'?s|whats|what is)\s+(?:the|its|their)\s+address|where\s+is\s+(?:it|that|that job)"
    r"|address)\s*(?:of it|for it|of that job)?\s*[?.!]*$",
    re.IGNORECASE,
)


_WEEK_WORDS = frozenset(
    [
        "this",
        "next",
        "coming",
        "following",
        "the",
        "rest",
        "remainder",
        "of",
        "my",
        "whole",
        "entire",
        "week",
        "weekend",
        "for",
    ]
)


def days_alone(text: str, now: datetime, tz: str) -> dict[str, str] | None:
    """The days of a message that says nothing but a week ("this week", "rest of the week", "next week?"): a
    schedule asked for with no other word, or None (a bare day, "what about thursday", needs a list before
    it: bot.dialog.understand's follow-ups)."""
    words = re.findall(r"[a-z']+|\S", text.casefold())
    if len(words) > 6 or not {"week", "weekend"} & set(words):
        return None
    if any(w not in _WEEK_WORDS and w not in "?.!" for w in words):
        return None
    try:
        days = parse_slot("range", text, now=now, tz=tz)
    except Exception:  # the parser promises never to raise; a dialog must survive if it ever does
        return None
    return days if isinstance(days, dict) else None


def look_up(
    text: str, intent: str, slots: dict[str, Any], shown: Any, now: datetime, tz: str
) -> tuple[str, dict[str, Any]]:
    """The request with what the parser leaves out of a look-up (`bot.dialog.reads.wording`), a question
    after a filler ("wait, ...") and "it" / "that job" for the job shown last."""
    if intent == "unknown":
        rest = _ASIDE_LEAD.sub("", text).strip()
        if rest and rest != text.strip():
            parsed = parse_text(rest, now, tz)
            if parsed.get("intent") in READ_INTENTS:
                intent, slots, text = str(parsed["intent"]), dict(parsed.get("slots") or {}), rest
    if shown is not None and intent == "unknown" and (_SHOW_IT.match(text) or _WHY.match(text)):
        return "show_job", {"job_id": shown}  # "why is it on hold", "who put it on hold": the job says
    if intent == "unknown" and _WHERE.match(text):  # "whats the address?" of the job shown, or "Which job?"
        return "show_job", {"focus": "address"} | ({"job_id": shown} if shown is not None else {})
    if intent in READ_INTENTS or intent in {"unknown", "special_instructions", "delete_appointment"}:
        intent, slots = refine(text, intent, slots, now, tz)
    if shown is None:
        return intent, slots
    takes_job = "job_id" in INTENT_SLOTS.get(intent, frozenset()) or intent in {
        "show_job",
        "list_notes",
        "list_appointments",
    }
    it = _IT.search(text)
    if (
        it
        and it[0].casefold() in {"it", "that"}
        and intent == "list_appointments"
        and set(slots) - {"job_id"}
    ):
        return intent, slots  # "whats on today, is it busy": a day's list with a stray "it", not the job's
    if takes_job and slots.get("job_id") is None and slots.get("appointment_id") is None and it:
        slots = {**slots, "job_id": shown}
    return intent, slots
