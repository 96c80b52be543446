"""A day the user said that the parser could not read ("to xyz 14th at 11", "the 14 at 3"). Pure.

The parser reads what it can: "at 11" alone gives a `when` with no `date`, and the dialog keeps the
appointment's own day for a time said alone (CONTRACT section 2). When the message also says a day the
parser could not place (an ordinal or "the N" that no date was read from, with the unknown word before it),
keeping the old day would be a write the user did not ask for. Such a `when` is marked `unread_day` (the
words as typed), and the write's `when` step asks for the day instead of placing it (`bot.dialog.resolve`).

A day word that looks like a technician's name ("move 1060 to xyz 14th" read as assigning "xyz") is the
same unread day of a reschedule, never an assignment.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from rapidfuzz import fuzz
from rapidfuzz.process import extractOne

from bot.dialog.relative import names_a_day
from intents.text import Token, tokenize
from intents.timeparse import MONTHS, WEEKDAYS
from intents.typos import correct, is_known

UNREAD = "unread_day"
# A day already placed: by the parser, relative to the visit, or at another job's visit
_PLACED = ("date", "shift_days", "as_job")
# "the 1st one", "the 2nd job": a pick from a list, not a day
_PICKED_NOUNS = frozenset(
    {"one", "ones", "job", "jobs", "appointment", "appointments", "visit", "visits", "option", "item", "row"}
)
_REASSIGNS = frozenset({"assign_technician", "reassign_technician"})


def _day_at(tokens: list[Token], i: int, *, loose: bool = False) -> bool:
    """Whether token `i` says a day of the month: "14th", a number 1-31 after "the" or "on", or one after
    "to" that a time follows ("to 14 at 11"; "to 8" alone is a time)."""
    tok = tokens[i]
    before = tokens[i - 1].norm if i > 0 else ""
    following = tokens[i + 1] if i + 1 < len(tokens) else None
    then_at = following is not None and following.norm in {"at", "@", "around", "by"}
    said = tok.kind == "ord" or (
        tok.kind == "num" and (loose or before in {"the", "on"} or (before == "to" and then_at))
    )
    if not said or not isinstance(tok.value, int) or not 1 <= tok.value <= 31:
        return False
    return following is None or following.norm not in _PICKED_NOUNS


@cache
def _day_names() -> tuple[str, ...]:
    return tuple(w for w in (*WEEKDAYS, *MONTHS) if len(w) >= 5)


def _like_a_day_name(tok: Token) -> bool:
    """An unknown word that looks like a weekday or a month the typo reader could not place ("wendsdy",
    "decmbr"); asking about a name that merely looks like one ("marcy") is harmless."""
    if tok.kind != "word" or len(tok.norm) < 5 or not tok.norm.isalpha() or is_known(tok.norm):
        return False
    return extractOne(tok.norm, _day_names(), scorer=fuzz.ratio, score_cutoff=75) is not None


def unread_day(text: str) -> str:
    """The first day said in `text` as typed: a day of the month with the unknown word before it ("xyz
    14th", "the 14"), or a word like a weekday or month with its day number ("wendsdy", "decmbr 14"); or "".
    Only meaningful when the parser read no date from `text`."""
    tokens = correct(tokenize(text), text)
    for i, tok in enumerate(tokens):
        if _like_a_day_name(tok):
            if i + 1 < len(tokens) and _day_at(tokens, i + 1, loose=True):
                return text[tok.start : tokens[i + 1].end]  # "decmbr 14"
            return text[tok.start : tok.end]
        if not _day_at(tokens, i):
            continue
        start = tok.start
        before = tokens[i - 1] if i > 0 else None
        if (
            before is not None
            and before.kind == "word"
            and (before.norm == "the" or not is_known(before.norm))
        ):
            start = before.start
        return text[start : tok.end]
    return ""


def mark(when: Any, text: str, now: datetime, tz: str) -> Any:
    """`when` with the day it could not read from `text` marked (`unread_day`); as it was when `text`
    names its day, or says none. (The answer reader dates a time alone today: that date is no day read.)"""
    if not isinstance(when, dict) or UNREAD in when or any(key in when for key in _PLACED[1:]):
        return when
    if "date" in when and names_a_day(text, now, tz):
        return when
    day = unread_day(text)
    return {**when, UNREAD: day} if day else when


def as_reschedule(
    text: str, intent: str, slots: dict[str, Any], wanted: frozenset[str]
) -> tuple[str, dict[str, Any]] | None:
    """ "move 1060 to xyz 14th" read as assigning technician "xyz": the reschedule it is, with the day
    marked unread; None when the technician's name is no day's word."""
    name = slots.get("technician")
    if intent not in _REASSIGNS or not isinstance(name, str) or slots.get("from_technician"):
        return None
    day = unread_day(text)
    if not day or not day.casefold().startswith(name.casefold()):
        return None
    ids = {k: v for k, v in slots.items() if k in wanted and k != "when"}
    return "reschedule_appointment", {**ids, "when": {UNREAD: day}}
