"""Times said relative to the appointment being moved: "push back an hour", "2 hours later", "30 min
earlier", "the day after", "1pm same day". Pure.

The parser's `when` is absolute (a date and/or a time); these phrases only make sense against the visit
itself, so the dialog reads them here and `bot.dialog.rules.schedule` places them against the appointment's
own times. `relative_when` gives a `when` with:
- `shift_minutes`: move the whole visit by that many minutes (negative: earlier);
- `shift_days`: the visit's day plus that many days (0: "same day"), at its own time unless `start` is said;
- `as_job`: at the time of that other job's visit ("the same time as 1041"), read from ServiceTitan by
  `bot.dialog.resolve.step_when` and placed by `same_time_as`.

Amounts may be written in words ("ninety minutes", "forty-five min", "a week").
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from bot.dialog import timefmt
from intents import parse_slot
from intents.timeparse import COUNT_WORDS, local_now, resolve_text

SHIFT_KEYS = ("shift_minutes", "shift_days", "as_job")

# The parser's count words ("one" ... "twelve", "couple") and the phrases of an amount around them.
_NUMBER_WORDS = {**COUNT_WORDS, "a couple of": 2, "a couple": 2, "couple of": 2, "a few": 3}
_TEENS = {"thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18}
_TEENS |= {"nineteen": 19, "eleven": 11, "twelve": 12}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80}
_TENS |= {"ninety": 90}
_UNITS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_WORDED = rf"(?:{'|'.join(_TENS)})(?:[\s-]?(?:{'|'.join(_UNITS)}))?|{'|'.join(_TEENS)}|ten|{'|'.join(_UNITS)}"
_AMOUNT = (
    rf"(?P<n>\d+(?:\.\d+)?|an?|{_WORDED}|(?:a\s+)?couple(?:\s+of)?|a\s+few)\s*"
    r"(?P<unit>hours?|hrs?|h|minutes?|mins?|m|days?|weeks?|wks?)\b"
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
# "push 1029 a week", "bump it two days": a verb of delay with an amount and no direction is later
_DELAY = re.compile(
    rf"\b(?:push|pushed|bump|bumped|slide|delay|postpone)\b(?:\s+\S+){{0,3}}?\s+{_AMOUNT}", re.I
)
# "the same time next week", "next week same time", "same time the week after"
_NEXT_WEEK = re.compile(
    r"\b(?:(?:at\s+)?(?:the\s+)?same\s+time\s+(?:next\s+week|the\s+(?:following\s+)?week\s+after|"
    r"the\s+following\s+week|a\s+week\s+later)|next\s+week\s+(?:at\s+)?(?:the\s+)?same\s+time)\b",
    re.I,
)
# "the same time as 1041", "same slot as job 1041": the other job's visit
_AS_JOB = re.compile(
    r"\b(?:the\s+)?same\s+(?:time|slot|day\s+and\s+time)\s+as\s+(?:job\s+|#\s*)?(?P<job>\d{3,})\b", re.I
)


def _worded(n: str) -> float:
    """ "ninety", "forty-five", "twelve", "a couple of" as a number (1 for "a"/"an")."""
    n = re.sub(r"[\s-]+", " ", n)
    if n in _NUMBER_WORDS:
        return float(_NUMBER_WORDS[n])
    if n in _TEENS:
        return float(_TEENS[n])
    tens, _, unit = n.partition(" ")
    if tens in _TENS:
        return float(_TENS[tens] + (_UNITS.index(unit) + 1 if unit in _UNITS else 0))
    for name, value in _TENS.items():  # "fortyfive"
        if n.startswith(name) and n[len(name) :] in _UNITS:
            return float(value + _UNITS.index(n[len(name) :]) + 1)
    return 1.0


def _count(match: re.Match[str]) -> float:
    n = match["n"].casefold()
    value = float(n) if n[0].isdigit() else _worded(n)
    if match["and_half"]:
        value += 0.5
    return value


def _minutes(match: re.Match[str]) -> int:
    unit = match["unit"].casefold()
    per = (
        60 * 24 * 7
        if unit.startswith("w")
        else 60 * 24
        if unit.startswith("d")
        else 60
        if unit.startswith("h")
        else 1
    )
    return round(_count(match) * per)


_CLOCK = re.compile(
    r"\b(?:at\s+)?(?:\d{1,2}(?::\d{2})?\s*(?:[ap]\.?m\.?)|noon|\d{1,2}:\d{2})|(?:in\s+the\s+)?(?:morning|afternoon|evening)\b",
    re.I,
)


def _clock_words(text: str) -> str:
    """Only the clock words of `text` ("at 3pm", "morning"): never its ids or counts."""
    return " ".join(m[0] for m in _CLOCK.finditer(text))


def same_time_as(
    when: dict[str, Any], appointments: list[dict[str, Any]], now: datetime, tz: str
) -> dict[str, Any] | str:
    """An `as_job` when placed at the other job's next open visit (its day and start, local), or why not."""
    if when.get("date"):  # a day picked on the card since: that day, at the time it was placed at
        return {k: v for k, v in when.items() if k not in SHIFT_KEYS}
    job = when["as_job"]
    live = [a for a in appointments if str(a.get("status")) not in {"Canceled", "Done"}]
    upcoming = [a for a in live if timefmt.parse_iso(str(a["start"])) >= now] or live
    if not upcoming:
        return f"Job {job} has no open appointment to take the time from. When should it move to?"
    first = timefmt.local(timefmt.parse_iso(str(min(upcoming, key=lambda a: str(a["start"]))["start"])), tz)
    return {"date": first.date().isoformat(), "start": f"{first:%H:%M}"}


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
    other = _AS_JOB.search(text)
    if other:
        return {"as_job": int(other["job"])}
    week = _NEXT_WEEK.search(text)
    if week:
        return {"shift_days": 7}
    for pattern, sign in [*_SHIFTS, (_DELAY, 1)]:
        match = pattern.search(text)
        if match:
            minutes = sign * _minutes(match)
            if minutes % (60 * 24) == 0 and match["unit"].casefold()[0] in "dw":
                rest = text[: match.start()] + " " + text[match.end() :]
                return {"shift_days": minutes // (60 * 24), **_time_of_day(_clock_words(rest), now, tz)}
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
        resolved = resolve_text(text, local_now(now, tz).date())
    except Exception:  # the parser promises never to raise; a dialog must survive if it ever does
        return False
    if resolved is None:
        return False
    return resolved.day is not None or resolved.span is not None or resolved.target is not None


def is_relative(when: Any) -> bool:
    return isinstance(when, dict) and any(key in when for key in SHIFT_KEYS)
