"""Times said relative to the appointment being moved: "push back an hour", "2 hours later", "30 min
earlier", "the day after", "1pm same day". Pure.

The parser's `when` is absolute (a date and/or a time); these phrases only make sense against the visit
itself, so the dialog reads them here and `bot.dialog.rules.schedule` places them against the appointment's
own times. `relative_when` gives a `when` with:
- `shift_minutes`: move the whole visit by that many minutes (negative: earlier);
- `shift_days`: the visit's day plus that many days (0: "same day"), at its own time unless `start` is said.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from intents import parse_slot
from intents.timeparse import COUNT_WORDS, local_now, resolve_tokens, tokenize

SHIFT_KEYS = ("shift_minutes", "shift_days")

# The parser's count words ("one" ... "twelve", "couple") and the phrases of an amount around them.
_TENS = {"fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40, "forty-five": 45, "forty five": 45}
_TENS |= {"sixty": 60, "ninety": 90}
_NUMBER_WORDS = {**COUNT_WORDS, **_TENS, "a couple of": 2, "a couple": 2, "couple of": 2, "a few": 3}
_SAID_NUMBERS = "|".join(sorted({*COUNT_WORDS, *_TENS} - {"couple"}, key=len, reverse=True))
_AMOUNT = (
    rf"(?P<n>\d+(?:\.\d+)?|{_SAID_NUMBERS}|(?:a\s+)?couple(?:\s+of)?|a\s+few)\s*"
    r"(?P<unit>hours?|hrs?|h|minutes?|mins?|m|days?)\b"
    r"(?P<and_half>\s+and\s+a\s+half)?"
)
_HALF_HOUR = re.compile(r"\b(?:a\s+)?half\s+(?:an\s+)?hour\b", re.I)
_LATER = r"(?:back|later|out|forward\s+in\s+time)"
_EARLIER = r"(?:earlier|sooner|up|forward)"
_SHIFTS = [
    (re.compile(rf"\b{_LATER}\s+(?:by\s+)?{_AMOUNT}", re.I), 1),  # "push back 2 hours", "back by 30 min"
    (re.compile(rf"\b{_AMOUNT}\s+{_LATER}\b", re.I), 1),  # "an hour later", "2 hours back"
    (re.compile(rf"\b(?:up|forward|earlier)\s+(?:by\s+)?{_AMOUNT}", re.I), -1),  # "move it up an hour"
    (re.compile(rf"\b{_AMOUNT}\s+{_EARLIER}\b", re.I), -1),  # "30 min earlier"
]
_NEXT_DAY = re.compile(
    r"\b(?:the\s+)?(?:day\s+after|next\s+day|following\s+day|a\s+day\s+later)\b(?!\s+(?:tomorrow|tmrw|tmr|next))",
    re.I,
)
_DAY_BEFORE = re.compile(
    r"\b(?:the\s+)?(?:day\s+before|previous\s+day|a\s+day\s+earlier)\b(?!\s+(?:yesterday|tomorrow))", re.I
)
_SAME_DAY = re.compile(r"\b(?:the\s+)?(?:same\s+day|that\s+day|same\s+date)\b", re.I)


def _count(match: re.Match[str]) -> float:
    n = match["n"].casefold()
    value = float(n) if n[0].isdigit() else float(_NUMBER_WORDS.get(re.sub(r"\s+", " ", n), 1))
    if match["and_half"]:
        value += 0.5
    return value


def _minutes(match: re.Match[str]) -> int:
    unit = match["unit"].casefold()
    per = 60 * 24 if unit.startswith("d") else 60 if unit.startswith("h") else 1
    return round(_count(match) * per)


def _time_of_day(text: str, now: datetime, tz: str) -> dict[str, str]:
    """The clock time said in `text` ("1pm", "between 1 and 3") as `start`/`end`, read by the parser."""
    try:
        when = parse_slot("when", text, now=now, tz=tz) if text.strip() else None
    except Exception:  # the parser promises never to raise; a dialog must survive if it ever does
        return {}
    if not isinstance(when, dict):
        return {}
    return {key: str(when[key]) for key in ("start", "end") if when.get(key)}


def relative_when(text: str, now: datetime, tz: str) -> dict[str, Any] | None:
    """The `when` of a time said relative to the appointment, or None when `text` says none."""
    text = _HALF_HOUR.sub("30 minutes", text)
    for pattern, sign in _SHIFTS:
        match = pattern.search(text)
        if match:
            minutes = sign * _minutes(match)
            if minutes % (60 * 24) == 0 and match["unit"].casefold().startswith("d"):
                return {"shift_days": minutes // (60 * 24)}
            return {"shift_minutes": minutes} if minutes else None
    for pattern, days in ((_NEXT_DAY, 1), (_DAY_BEFORE, -1), (_SAME_DAY, 0)):
        match = pattern.search(text)
        if match:
            rest = text[: match.start()] + " " + text[match.end() :]
            return {"shift_days": days, **_time_of_day(rest, now, tz)}
    return None


# A time of day the parser reads only beside a day: "make it 9" (after the lead-in), "to 8", "morning"
_HOUR_ALONE = re.compile(r"(?P<t>\d{1,2}(?::\d{2})?)[\s.!]*", re.I)
_AT_HOUR = re.compile(r".*?\b(?:to|at|around|for)\s+(?P<t>\d{1,2}(?::\d{2})?)[\s.!]*", re.I | re.S)
_PART_OF_DAY = re.compile(r"(?:(?:in\s+)?the\s+)?(?P<part>morning|afternoon|evening)[\s.!]*", re.I)


def bare_time(text: str, now: datetime, tz: str, *, hour_alone: bool) -> dict[str, str] | None:
    """The time of day (`start`, and `end` for a part of day) said with no day: "to 8", "at 4", "morning",
    and the lone hour "9" when `hour_alone` (after "make it"). The parser's own conventions decide what it
    means (CONTRACT section 2: 7-11 morning, 12 noon, 1-6 afternoon); None when `text` is no such time."""
    part = _PART_OF_DAY.fullmatch(text.strip())
    if part is not None:
        return _time_of_day(f"tomorrow {part['part']}", now, tz) or None
    hour = (_HOUR_ALONE.fullmatch(text.strip()) if hour_alone else None) or _AT_HOUR.fullmatch(text.strip())
    if hour is None or int(hour["t"].split(":")[0]) > 23 or names_a_day(text, now, tz):
        return None  # "monday at 3": a day and a time, read whole by the parser (never the time alone)
    return _time_of_day(f"at {hour['t']}", now, tz) or None


def names_a_day(text: str, now: datetime, tz: str) -> bool:
    """Whether `text` names a day (a weekday, a date, "tomorrow", a span of days), per the parser's time
    grammar: "monday at 3" does, "at 3" and "to 8" don't."""
    try:
        resolved = resolve_tokens(tokenize(text), local_now(now, tz).date())
    except Exception:  # the parser promises never to raise; a dialog must survive if it ever does
        return False
    if resolved is None:
        return False
    return resolved.day is not None or resolved.span is not None or resolved.target is not None


def is_relative(when: Any) -> bool:
    return isinstance(when, dict) and any(key in when for key in SHIFT_KEYS)
