"""Time expressions of CONTRACT section 2, resolved against an explicit `now` and time zone.

A fast, token-based recognizer covers the forms dispatchers type (weekdays, this/next <weekday>,
relative days and weeks, month-name and US numeric dates with year roll-over, parts of day, bare
hours, hour ranges, "the 30th", weeks and months for list queries). Only odd absolute formats it
does not know ("2.12.2026") go to dateparser, imported lazily on first need.

Everything here is pure: dates are computed from the local calendar date of `now` in `tz`, never
from the wall clock, so daylight-saving changes cannot shift a day.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import cast
from zoneinfo import ZoneInfo

from intents.text import Token, tokenize

WEEKDAYS = {
    "monday": 0,
    "tuesday": 1,
    "wednesday": 2,
    "thursday": 3,
    "friday": 4,
    "saturday": 5,
    "sunday": 6,
}
MONTHS = {
    "january": 1,
    "jan": 1,
    "february": 2,
    "feb": 2,
    "march": 3,
    "mar": 3,
    "april": 4,
    "apr": 4,
    "may": 5,
    "june": 6,
    "jun": 6,
    "july": 7,
    "jul": 7,
    "august": 8,
    "aug": 8,
    "september": 9,
    "sep": 9,
    "sept": 9,
    "october": 10,
    "oct": 10,
    "november": 11,
    "nov": 11,
    "december": 12,
    "dec": 12,
}
# Month words that are also common English words: only dates when a day number is next to them.
_AMBIGUOUS_MONTHS = frozenset({"may", "mar", "march", "jun", "sep"})
COUNT_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "couple": 2,
    "fourteen": 14,
}
ORDINAL_WORDS = {
    w: i + 1
    for i, w in enumerate(
        [
            "first",
            "second",
            "third",
            "fourth",
            "fifth",
            "sixth",
            "seventh",
            "eighth",
            "ninth",
            "tenth",
            "eleventh",
            "twelfth",
            "thirteenth",
            "fourteenth",
            "fifteenth",
            "sixteenth",
            "seventeenth",
            "eighteenth",
            "nineteenth",
            "twentieth",
            "twenty-first",
            "twenty-second",
            "twenty-third",
            "twenty-fourth",
            "twenty-fifth",
            "twenty-sixth",
            "twenty-seventh",
            "twenty-eighth",
            "twenty-ninth",
            "thirtieth",
            "thirty-first",
        ]
    )
}
# Parts of day (CONTRACT: morning 08-12, afternoon 12-17, evening 17-20).
PARTS_OF_DAY = {"morning": ((8, 0), (12, 0)), "afternoon": ((12, 0), (17, 0)), "evening": ((17, 0), (20, 0))}
_PART_WORDS = {"morning": "morning", "afternoon": "afternoon", "evening": "evening", "tonight": "evening"}
# Words that may sit between two parts of one time expression ("friday at 2", "next week on wed").
_JOINERS = frozenset(
    {
        "at",
        "on",
        "@",
        ",",
        "of",
        "around",
        "about",
        "approx",
        "approximately",
        "by",
        "-",
        "early",
        "late",
        "for",
        "the",
        "in",
        "from",
        "starting",
        "anytime",
        "sometime",
    }
)
# Nouns after "the 2nd" that make it a choice in a list, not a date.
_NOT_DATE_AFTER_ORDINAL = frozenset(
    {
        "one",
        "ones",
        "option",
        "options",
        "choice",
        "item",
        "appointment",
        "appointments",
        "job",
        "jobs",
        "visit",
        "technician",
        "slot",
        "time",
        "window",
        "entry",
        "row",
        "result",
        "match",
        "person",
        "guy",
        "customer",
        "location",
        "project",
        "button",
        "on",
        "from",
    }
)
_RANGE_LINKS = frozenset({"-", "to", "until", "through", "–", "and"})
# Words that may follow an ordinal word used as a day ("the seventh at 9", "the third in the morning").
_AFTER_ORDINAL_WORD = (
    _JOINERS
    | _RANGE_LINKS
    | frozenset({"am", "pm", "a.m", "p.m", "noon", "midday", "morning", "afternoon", "evening", "night"})
    | frozenset({"between", "please", "instead", "then", "or", "if", "so", "ok", "okay", "thanks", "works"})
) - {"of"}  # "the first of december" is a month date

Time = tuple[int, int]


@dataclass(slots=True)
class Atom:
    """One recognised piece of a time expression, before the pieces of a phrase are combined."""

    kind: str  # date, weekday, week, month, weekend, span, clock, hour, part, after, before
    day: date | None = None
    until: date | None = None
    weekday: int = 0
    mode: str = ""  # weekday: bare/this/next/last/after_next
    offset: int = 0  # week/month/weekend offset from the current one
    start: Time | None = None
    end: Time | None = None
    hour: tuple[int, int, str | None] | None = None  # unresolved hour: (h, m, meridiem)
    part: str = ""
    specific: bool = True  # a calendar date that outranks a weekday in the same phrase


@dataclass(slots=True)
class TimeExpr:
    """A time expression: the tokens it covers and what it says."""

    first: int
    last: int  # inclusive token index
    atoms: list[Atom] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------- helpers


# The years the resolver works in: dates outside are never produced, and with a `now` outside its
# time phrases resolve to nothing (near year 1 or 9999 plain date arithmetic would overflow).
FIRST_YEAR = 1900
LAST_YEAR = 2200
_STAND_IN_TODAY = date(2000, 1, 1)


def in_calendar(day: date) -> bool:
    """Whether time phrases can be resolved with `day` as today."""
    return FIRST_YEAR <= day.year <= LAST_YEAR


def local_now(now: datetime, tz: str) -> datetime:
    """`now` as a naive local time in `tz` (a naive `now` is already local to tz)."""
    if now.tzinfo is None:
        return now
    try:
        return now.astimezone(ZoneInfo(tz)).replace(tzinfo=None)
    except OverflowError:  # within hours of datetime.min/max: outside the calendar anyway
        return now.replace(tzinfo=None)


def local_today(now: datetime, tz: str) -> date:
    """The calendar date of `now` in `tz`."""
    return local_now(now, tz).date()


def week_monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def month_span(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _valid_date(year: int, month: int, day: int) -> date | None:
    if not (1 <= month <= 12 and 1 <= day <= 31 and FIRST_YEAR <= year <= LAST_YEAR):
        return None
    if day > calendar.monthrange(year, month)[1]:
        return None
    return date(year, month, day)


def next_date_of(month: int, day: int, today: date) -> date | None:
    """A month/day without a year: this year's unless already passed, then the next year that has it."""
    for year in range(today.year, today.year + 5):
        found = _valid_date(year, month, day)
        if found is not None and found >= today:
            return found
    return None


def next_day_of_month(day: int, today: date) -> date | None:
    """ "the 30th": the next date (today included) with that day of the month."""
    probe = today.replace(day=1)
    for _ in range(13):
        found = _valid_date(probe.year, probe.month, day)
        if found is not None and found >= today:
            return found
        probe = add_months(probe, 1)
    return None


def weekday_date(weekday: int, mode: str, today: date) -> date:
    if mode == "this":
        return week_monday(today) + timedelta(days=weekday)
    if mode == "next":
        return week_monday(today) + timedelta(days=7 + weekday)
    if mode == "last":
        back = (today.weekday() - weekday) % 7 or 7
        return today - timedelta(days=back)
    ahead = (weekday - today.weekday()) % 7 or 7
    return today + timedelta(days=ahead + (7 if mode == "after_next" else 0))


def resolve_hour(h: int, m: int, meridiem: str | None, pm_hint: bool | None = None) -> Time | None:
    """Clock time of an hour as typed. Bare hours: 7-11 morning, 12 noon, 1-6 afternoon."""
    if not 0 <= m <= 59:
        return None
    if meridiem in ("am", "pm"):
        if not 1 <= h <= 12:
            return None
        return (h % 12 + (12 if meridiem == "pm" else 0), m)
    if meridiem == "abs" or h == 0 or 13 <= h <= 23:
        return (h, m) if 0 <= h <= 23 else None
    if not 1 <= h <= 12:
        return None
    if pm_hint is True:
        return (h if h == 12 else h + 12, m)
    if pm_hint is False:
        return (h, m)
    return (h + 12, m) if 1 <= h <= 6 else (h, m)


def resolve_hour_range(
    start: tuple[int, int, str | None], end: tuple[int, int, str | None]
) -> tuple[Time, Time] | None:
    """An hour range; a meridiem on the end applies to both ends unless the range would run backwards."""
    e = resolve_hour(*end)
    if e is None:
        return None
    if start[2] is None and end[2] in ("am", "pm"):
        s = resolve_hour(start[0], start[1], end[2])
        if s is None or s >= e:
            s = resolve_hour(*start)
    else:
        s = resolve_hour(*start)
        if s is not None and end[2] is None and e <= s and e[0] < 12:
            e = (e[0] + 12, e[1])
    if s is None or s >= e:
        return None
    return s, e


def fmt_time(t: Time) -> str:
    return f"{t[0]:02d}:{t[1]:02d}"


# ---------------------------------------------------------------------------------------------- matchers


class _Scanner:
    """Recognises time atoms at token positions of one message."""

    def __init__(self, tokens: Sequence[Token], today: date) -> None:
        self.toks = tokens
        self.n = len(tokens)
        self.today = today
        # padded on both sides so lookups a few tokens past either end read "" (no bounds checks)
        self.norms = [t.norm for t in tokens] + [""] * _PAD
        self.kinds = [t.kind for t in tokens] + [""] * _PAD

    def w(self, i: int) -> str:
        return self.norms[i] if i < self.n + _PAD else ""

    def tok(self, i: int) -> Token | None:
        """The token at i, or None past either end (a phrase may stop at the last token)."""
        return self.toks[i] if 0 <= i < self.n else None

    def kind(self, i: int) -> str:
        return self.kinds[i] if i < self.n + _PAD else ""

    def link_ahead(self, i: int, span: int) -> bool:
        """Whether a range link ("-", "to", "and", ...) is among the `span` tokens after i."""
        return not _RANGE_LINKS.isdisjoint(self.norms[i + 1 : i + 1 + span])

    # -- hours -------------------------------------------------------------------------------------

    def hour_at(self, i: int, *, bare: bool) -> tuple[int, tuple[int, int, str | None]] | None:
        """An hour at i: "10am", "8:30", "noon"; bare numbers only when `bare` is allowed."""
        t = self.tok(i)
        if t is None:
            return None
        after = i + 1
        value: tuple[int, int, str | None]
        if t.kind in ("hour", "clock"):
            value = cast(tuple[int, int, "str | None"], t.value)
        elif t.kind == "num" and bare and isinstance(t.value, int) and t.value <= 23:
            value = (t.value, 0, None)
            if self.w(after) in ("am", "pm", "a.m", "p.m"):
                value = (t.value, 0, "am" if self.w(after).startswith("a") else "pm")
                after += 1
        elif t.norm in ("noon", "midday"):
            return after, (12, 0, "abs")
        elif t.norm == "midnight":
            return after, (0, 0, "abs")
        else:
            return None
        if value[2] is None and self.w(after) == "noon" and value[0] == 12:
            return after + 1, (12, value[1], "abs")
        if self.w(after) in ("o'clock", "oclock"):
            after += 1
        if resolve_hour(*value) is None:
            return None
        return after, value

    def hour_range_at(self, i: int) -> tuple[int, Atom] | None:
        if not self.link_ahead(i, 4):
            return None
        w = self.w(i)
        lead = 1 if w in ("between", "from") else 0
        first = self.hour_at(i + lead, bare=True)
        if first is None:
            return None
        j, start = first
        link = self.w(j)
        if link not in _RANGE_LINKS or (link == "and" and w != "between"):
            return None
        second = self.hour_at(j + 1, bare=True)
        if second is None:
            return None
        k, end = second
        # "9 to 11" needs no marker, but two bare numbers joined by "to" are only a range when neither
        # is an implausible hour (job ids are bigger than 23 and caught earlier).
        span = resolve_hour_range(start, end)
        if span is None:
            return None
        return k, Atom("clock", start=span[0], end=span[1])

    def time_at(self, i: int, *, after_date: bool) -> tuple[int, Atom] | None:
        ranged = self.hour_range_at(i)
        if ranged:
            return ranged
        w = self.w(i)
        if w in ("at", "@", "around", "about", "~", "after", "before", "by", "approx", "approximately"):
            j = i + 1
            if self.w(j) in ("about", "around", "approx", "approximately", "~"):
                j += 1
            found = self.hour_at(j, bare=True)
            if found is None:
                return None
            k, value = found
            atom_kind = {"after": "after", "before": "before", "by": "before"}.get(w, "hour")
            return k, Atom(atom_kind, hour=value)
        found = self.hour_at(i, bare=after_date)
        if found is None:
            return None
        return found[0], Atom("hour", hour=found[1])

    # -- parts of day ------------------------------------------------------------------------------

    def part_at(self, i: int, *, after_date: bool) -> tuple[int, Atom] | None:
        w = self.w(i)
        if w == "in" and self.w(i + 1) == "the" and self.w(i + 2) in PARTS_OF_DAY:
            return i + 3, Atom("part", part=self.w(i + 2))
        if w == "this" and self.w(i + 1) in PARTS_OF_DAY:
            return i + 2, Atom("part", day=self.today, part=self.w(i + 1))
        if w == "tonight":
            return i + 1, Atom("part", day=self.today, part="evening")
        if w in _PART_WORDS and w != "tonight":
            return i + 1, Atom("part", part=_PART_WORDS[w])
        if w == "first" and self.w(i + 1) == "thing":
            return i + 2, Atom("part", part="morning")
        if after_date and w in ("am", "a.m"):
            return i + 1, Atom("part", part="morning")
        if after_date and w in ("pm", "p.m"):
            return i + 1, Atom("part", part="afternoon")
        if after_date and w == "night":
            return i + 1, Atom("part", part="evening")
        return None

    # -- dates -------------------------------------------------------------------------------------

    def count_at(self, i: int) -> tuple[int, int] | None:
        t = self.tok(i)
        if t is None:
            return None
        if t.kind == "num" and isinstance(t.value, int) and 0 < t.value <= 400:
            return i + 1, t.value
        if t.norm in ("a", "an") and self.w(i + 1) in ("couple", "few"):
            i += 1
            t = self.tok(i)
        if t is not None and t.norm in COUNT_WORDS:
            j = i + 1
            if t.norm == "couple" and self.w(j) == "of":
                j += 1
            return j, COUNT_WORDS[t.norm]
        return None

    def shift(self, base: date, count: int, unit: str) -> date | None:
        if unit in ("day", "days"):
            return base + timedelta(days=count)
        if unit in ("week", "weeks"):
            return base + timedelta(weeks=count)
        if unit in ("month", "months"):
            return add_months(base, count)
        return None

    def day_number_at(self, i: int) -> tuple[int, int] | None:
        t = self.tok(i)
        if t is None:
            return None
        if t.kind == "ord" and isinstance(t.value, int):
            return i + 1, t.value
        if t.kind == "num" and isinstance(t.value, int) and 1 <= t.value <= 31:
            return i + 1, t.value
        if t.norm in ORDINAL_WORDS:
            return i + 1, ORDINAL_WORDS[t.norm]
        return None

    def year_at(self, i: int) -> tuple[int, int] | None:
        j = i + 1 if self.w(i) == "," else i
        t = self.tok(j)
        if (
            t is not None
            and t.kind == "num"
            and isinstance(t.value, int)
            and FIRST_YEAR <= t.value <= LAST_YEAR
        ):
            return j + 1, t.value
        return None

    def month_date_at(self, i: int) -> tuple[int, Atom] | None:
        w = self.w(i)
        j = i
        if w in MONTHS:
            month = MONTHS[w]
            j = i + 1
            if self.w(j) == ".":
                j += 1
            if self.w(j) == "the":
                j += 1
            got = self.day_number_at(j)
            if got is None:
                if w in _AMBIGUOUS_MONTHS:
                    return None
                first, last = self.month_range(month, i + 1)
                return i + 1, Atom("span", day=first, until=last, specific=False)
            j, day = got
        else:
            if w == "the":
                j += 1
            got = self.day_number_at(j)
            if got is None:
                return None
            j, day = got
            if self.w(j) == "of":
                j += 1
            if self.w(j) not in MONTHS:
                return None
            month = MONTHS[self.w(j)]
            j += 1
        year = self.year_at(j)
        if year is not None:
            j, y = year
            found = _valid_date(y, month, day)
        else:
            found = next_date_of(month, day, self.today)
        if found is None:
            return None
        return j, Atom("date", day=found)

    def month_range(self, month: int, _i: int) -> tuple[date, date]:
        year = self.today.year if month >= self.today.month else self.today.year + 1
        return month_span(year, month)

    def numeric_date_at(self, i: int) -> tuple[int, Atom] | None:
        t = self.tok(i)
        if t is None or t.kind != "date":
            return None
        found = numeric_date(t.norm, self.today)
        if found is None:
            return None
        return i + 1, Atom("date", day=found)

    def ordinal_day_at(self, i: int) -> tuple[int, Atom] | None:
        w = self.w(i)
        j = i
        if w in ("the", "on"):
            j += 1
            if w == "on" and self.w(j) == "the":
                j += 1
        t = self.tok(j)
        if t is None:
            return None
        if t.kind == "ord" and isinstance(t.value, int):
            number = t.value
            # a bare "14th" is a day after "to"/"by"…, or opening a time phrase ("14th at 3" for "When?")
            nxt = self.tok(j + 1)
            opens = i == 0 and (nxt is None or nxt.kind != "word" or nxt.norm in _AFTER_ORDINAL_WORD)
            if (
                j == i
                and not opens
                and self.w(i - 1) not in ("to", "for", "until", "by", "before", "after", "from")
            ):
                return None
        elif t.norm in ORDINAL_WORDS and j > i:
            # "the seventh": ordinal words are common words too ("the first available tech"), so
            # one is a day only with nothing or a word of a time phrase after it
            nxt = self.tok(j + 1)
            if nxt is not None and nxt.kind == "word" and nxt.norm not in _AFTER_ORDINAL_WORD:
                return None
            number = ORDINAL_WORDS[t.norm]
        else:
            return None
        if self.w(j + 1) in _NOT_DATE_AFTER_ORDINAL:
            return None
        found = next_day_of_month(number, self.today)
        if found is None:
            return None
        return j + 1, Atom("date", day=found)

    def relative_at(self, i: int) -> tuple[int, Atom] | None:
        w = self.w(i)
        today = self.today
        if w in ("today", "tonight"):
            atom = Atom("date", day=today, specific=False)
            if w == "tonight":
                atom = Atom("part", day=today, part="evening")
            return i + 1, atom
        if w == "tomorrow":
            return i + 1, Atom("date", day=today + timedelta(days=1), specific=False)
        if w == "yesterday":
            return i + 1, Atom("date", day=today - timedelta(days=1), specific=False)
        j = i + 1 if w == "the" else i
        if self.w(j) == "day" and self.w(j + 1) in ("after", "before"):
            if self.w(j + 2) == "tomorrow" and self.w(j + 1) == "after":
                return j + 3, Atom("date", day=today + timedelta(days=2), specific=False)
            if self.w(j + 2) == "yesterday" and self.w(j + 1) == "before":
                return j + 3, Atom("date", day=today - timedelta(days=2), specific=False)
        if w == "in":
            count = self.count_at(i + 1)
            if count is None and self.w(i + 1) in ("day", "days", "week", "weeks", "month", "months"):
                count = (i + 1, 1)
            if count is not None:
                k, n = count
                moved = self.shift(today, n, self.w(k))
                if moved is not None:
                    return k + 1, Atom("date", day=moved, specific=False)
            return None
        count = self.count_at(i)
        if count is not None:
            k, n = count
            unit = self.w(k)
            if unit in ("day", "days", "week", "weeks", "month", "months"):
                if self.w(k + 1) == "from" or (self.w(k + 1) == "out" and n > 0):
                    base_at = k + 2
                    base: date | None = today
                    after = base_at
                    if self.w(k + 1) == "from":
                        base_word = self.w(base_at)
                        if base_word in ("now", "today"):
                            after = base_at + 1
                        elif base_word == "tomorrow":
                            base, after = today + timedelta(days=1), base_at + 1
                        elif base_word in WEEKDAYS:
                            base, after = weekday_date(WEEKDAYS[base_word], "bare", today), base_at + 1
                        else:
                            return None
                    else:
                        after = k + 2
                    moved = self.shift(base or today, n, unit)
                    if moved is not None:
                        return after, Atom("date", day=moved, specific=False)
                if self.w(k + 1) in ("later", "ahead"):
                    return None
        return None

    def weekday_at(self, i: int) -> tuple[int, Atom] | None:
        w = self.w(i)
        mode = "bare"
        j = i
        if w in ("this", "next", "last", "coming", "the"):
            mode = {"this": "this", "next": "next", "last": "last"}.get(w, "bare")
            j += 1
            if w == "the" and self.w(j) in ("coming", "next", "following"):
                mode = "bare" if self.w(j) == "coming" else "next"
                j += 1
        day = self.w(j)
        if day not in WEEKDAYS:
            return None
        j += 1
        if self.w(j) == "after" and self.w(j + 1) == "next":
            mode = "after_next"
            j += 2
        return j, Atom("weekday", weekday=WEEKDAYS[day], mode=mode)

    def period_at(self, i: int) -> tuple[int, Atom] | None:
        """Weeks, weekends and months ("next week", "this month", "the week after next")."""
        w = self.w(i)
        j = i
        if w == "the":
            j += 1
            w = self.w(j)
        offsets = {
            "this": 0,
            "next": 1,
            "last": -1,
            "coming": 1,
            "following": 1,
            "previous": -1,
            "current": 0,
            "past": -1,
        }
        if w in offsets:
            off = offsets[w]
            unit = self.w(j + 1)
            k = j + 2
        elif w in ("week", "weekend", "month") and self.w(j + 1) == "after" and self.w(j + 2) == "next":
            return j + 3, Atom("weekend" if w == "weekend" else w, offset=2)
        elif w in ("weekend",):
            return j + 1, Atom("weekend", offset=0)
        else:
            # "the next 7 days", "past 2 weeks" come through here as well
            return None
        if unit in ("week", "weekend", "month"):
            if self.w(k) == "after" and self.w(k + 1) == "next" and off == 1:
                return k + 2, Atom(unit, offset=2)
            return k, Atom(unit, offset=off)
        count = self.count_at(j + 1)
        if count is not None and w in ("next", "past", "last", "coming"):
            k, n = count
            unit = self.w(k)
            days = {"day": 1, "days": 1, "week": 7, "weeks": 7}.get(unit)
            if days:
                # "the next 7 days" is seven days counting today; "the last 7 days" likewise
                length = max(n * days - 1, 0)
                if w in ("past", "last"):
                    return k + 1, Atom("span", day=self.today - timedelta(days=length), until=self.today)
                return k + 1, Atom("span", day=self.today, until=self.today + timedelta(days=length))
        return None

    def since_at(self, i: int) -> tuple[int, Atom] | None:
        """ "since november 1", "since monday", "since the 1st", "since last week": from that day (the
        last one that has come, this year for a date) through today."""
        if self.w(i) != "since":
            return None
        found = self.period_at(i + 1) or self.date_at(i + 1)
        if found is None:
            return None
        j, a = found
        first: date | None = None
        if a.kind == "weekday":
            first = self.today - timedelta(days=(self.today.weekday() - a.weekday) % 7)
        elif a.kind == "week":
            first = week_monday(self.today) + timedelta(days=7 * a.offset)
        elif a.kind == "month":
            first = add_months(self.today.replace(day=1), a.offset)
        elif a.kind in ("date", "span") and a.day is not None:
            first = a.day
            # a month said ("november 1", "11/1") is a year back when ahead; "the 1st" a month back
            step = 12 if any(self.w(k) in MONTHS or self.kind(k) == "date" for k in range(i + 1, j)) else 1
            for _ in range(24):
                if first <= self.today:
                    break
                first = add_months(first, -step)
        if first is None or first > self.today:
            return None
        return j, Atom("span", day=first, until=self.today)

    def rest_of_at(self, i: int) -> tuple[int, Atom] | None:
        if self.w(i) != "rest" or self.w(i + 1) != "of":
            return None
        j = i + 2
        if self.w(j) in ("the", "this"):
            j += 1
        today = self.today
        if self.w(j) == "week":
            return j + 1, Atom("span", day=today, until=week_monday(today) + timedelta(days=6))
        if self.w(j) == "month":
            return j + 1, Atom("span", day=today, until=month_span(today.year, today.month)[1])
        return None

    def week_of_at(self, i: int) -> tuple[int, Atom] | None:
        j = i + 1 if self.w(i) == "the" else i
        if self.w(j) != "week" or self.w(j + 1) != "of":
            return None
        inner = self.date_at(j + 2)
        if inner is None or inner[1].day is None or inner[1].kind != "date":
            return None
        monday = week_monday(inner[1].day)
        return inner[0], Atom("span", day=monday, until=monday + timedelta(days=6))

    def date_at(self, i: int) -> tuple[int, Atom] | None:
        for matcher in (
            self.numeric_date_at,
            self.month_date_at,
            self.ordinal_day_at,
            self.relative_at,
            self.weekday_at,
        ):
            found = matcher(i)
            if found is not None:
                return found
        return None

    def date_range_at(self, i: int) -> tuple[int, Atom] | None:
        """ "between 12/1 and 12/5", "from monday to friday", "12/1 - 12/5", "mon through wed"."""
        if not self.link_ahead(i, 7):
            return None
        w = self.w(i)
        lead = 1 if w in ("between", "from") else 0
        first = self.date_at(i + lead)
        if first is None:
            return None
        j, a = first
        link = self.w(j)
        if link not in _RANGE_LINKS or (link == "and" and w != "between"):
            return None
        if not lead and link not in ("through", "until", "-", "to"):
            return None
        second = self.date_at(j + 1)
        if second is None:
            return None
        k, b = second
        if not lead and link == "to" and not a.kind == b.kind == "date":
            return None  # "dec 8 to dec 10" is a range; "monday to friday" may be a move (the target)
        d1, d2 = self.atom_day(a), self.atom_day(b)
        if d1 is None or d2 is None:
            return None
        if d2 < d1 and b.kind == "weekday":
            d2 += timedelta(days=7)
        if d2 < d1 and a.kind == "date" and d1.year > self.today.year:
            d1 = _valid_date(d1.year - 1, d1.month, d1.day) or d1  # "nov 20 to dec 10": this year's nov 20
        if d2 < d1:
            return None
        return k, Atom("span", day=d1, until=d2, mode="range")

    def atom_day(self, atom: Atom) -> date | None:
        if atom.kind == "weekday":
            return weekday_date(atom.weekday, atom.mode, self.today)
        if atom.kind == "date":
            return atom.day
        return None

    def day_starts_at(self, i: int) -> bool:
        """Whether a day is named at i ("tomorrow", "fri", "12/7", "on monday", "next tuesday")."""
        w = self.w(i)
        if w in ("on", "this", "next"):
            w = self.w(i + 1)
        return w in WEEKDAYS or w in ("today", "tomorrow", "tonight") or self.kind(i) == "date"

    def atom_at(self, i: int, *, in_phrase: bool) -> tuple[int, Atom] | None:
        if i >= self.n:
            return None
        w = self.w(i)
        kind = self.kind(i)
        if kind == "id" or (kind == "punct" and w not in ("@", "~")):
            return None
        if kind == "num":
            value = self.toks[i].value
            if not isinstance(value, int) or value > 400:
                return None
            if value > 31:  # only a count: "45 days from now"
                return self.relative_at(i)
            if value <= 12 and self.w(i - 1) in ("to", "until", "for") and self.day_starts_at(i + 1):
                # "move it to 8 tomorrow": a bare hour right before its day
                hour = self.hour_at(i, bare=True)
                if hour is not None:
                    return hour[0], Atom("hour", hour=hour[1])
        if kind == "word":
            if w not in _WORD_STARTS:
                return None
            # common little words start a time phrase only before another time word ("a week", "the 5th")
            if w in _WEAK_STARTS:
                nxt = self.tok(i + 1)
                if nxt is None or (nxt.kind == "word" and nxt.norm not in _AFTER_WEAK) or nxt.kind == "punct":
                    return None
            # words that can only start one kind of atom go straight to its matcher
            if w in WEEKDAYS:
                return self.date_range_at(i) or self.weekday_at(i)
            if w in _MONTH_ONLY:
                return self.date_range_at(i) or self.month_date_at(i)
            if w in _PART_ONLY:
                return self.part_at(i, after_date=in_phrase)
        if w in ("week", "weekend") and self.w(i - 1) == "my":
            # "my week": this week; "the rest of my week": today to Sunday ("my" stays, for whose it is)
            if w == "week" and self.w(i - 2) == "of" and self.w(i - 3) in ("rest", "remainder"):
                return i + 1, Atom("span", day=self.today, until=week_monday(self.today) + timedelta(days=6))
            return i + 1, Atom(w, offset=0)
        for matcher in (
            self.since_at,
            self.date_range_at,
            self.week_of_at,
            self.rest_of_at,
            self.period_at,
        ):
            found = matcher(i)
            if found is not None:
                return found
        found = self.time_at(i, after_date=in_phrase)
        if found is not None:
            return found
        found = self.date_at(i)
        if found is not None:
            return found
        return self.part_at(i, after_date=in_phrase)

    def phrase_at(self, i: int) -> TimeExpr | None:
        """The longest time phrase starting at token i: atoms joined by at most one joiner word."""
        found = self.atom_at(i, in_phrase=False)
        if found is None:
            return None
        end, atom = found
        expr = TimeExpr(first=i, last=end - 1, atoms=[atom])
        while end < self.n:
            # a bare number reads as an hour only right after a day ("friday 2")
            after_day = atom.kind in ("date", "weekday", "part")
            nxt = self.atom_at(end, in_phrase=after_day)
            skip = end
            if nxt is None and self.w(end) in _JOINERS:
                skip = end + 1
                if self.w(skip) in _JOINERS and self.w(skip) != self.w(end):
                    skip += 1
                nxt = self.atom_at(skip, in_phrase=after_day)
            if nxt is None:
                break
            end, atom = nxt
            expr.atoms.append(atom)
            expr.last = end - 1
        return expr


_ATOM_STARTS = frozenset(
    {
        "since",
        "today",
        "tonight",
        "tomorrow",
        "yesterday",
        "the",
        "day",
        "in",
        "this",
        "next",
        "last",
        "coming",
        "at",
        "@",
        "around",
        "about",
        "~",
        "after",
        "before",
        "by",
        "between",
        "from",
        "noon",
        "midday",
        "midnight",
        "morning",
        "afternoon",
        "evening",
        "first",
        "am",
        "pm",
        "a.m",
        "p.m",
        "night",
        "on",
        "week",
        "weekend",
        "rest",
        "past",
        "previous",
        "current",
        "following",
        "approx",
        "approximately",
    }
)


_PAD = 8
_MONTH_ONLY = frozenset(MONTHS) - _AMBIGUOUS_MONTHS  # "may" may be a verb: full path
_PART_ONLY = frozenset({"morning", "afternoon", "evening", "night"})
_WEAK_STARTS = frozenset(
    {
        "since",
        "a",
        "an",
        "the",
        "on",
        "in",
        "at",
        "by",
        "from",
        "between",
        "after",
        "before",
        "around",
        "about",
        "this",
        "next",
        "last",
        "first",
        "day",
        "rest",
        "past",
        "previous",
        "current",
        "following",
        "coming",
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "couple",
        "fourteen",
        "approx",
        "approximately",
    }
)
_UNITS = frozenset(
    {"day", "days", "week", "weeks", "month", "months", "weekend", "thing", "of", "few", "couple"}
)
_WORD_STARTS = _ATOM_STARTS | WEEKDAYS.keys() | MONTHS.keys() | ORDINAL_WORDS.keys() | COUNT_WORDS.keys()


_AFTER_WEAK = _WORD_STARTS | _UNITS | {"after", "before", "the", "about", "around"}


def numeric_date(text: str, today: date) -> date | None:
    """US numeric dates: 12/7, 12/7/26, 12/7/2026, and ISO 2026-12-07; other layouts via dateparser."""
    parts = text.replace("-", "/").replace(".", "/").split("/")
    try:
        nums = [int(p) for p in parts]
    except ValueError:
        return None
    if "-" in text and len(parts) == 3 and len(parts[0]) == 4:
        return _valid_date(nums[0], nums[1], nums[2])
    if "/" in text and len(nums) == 2:
        return next_date_of(nums[0], nums[1], today)
    if "/" in text and len(nums) == 3 and len(parts[0]) <= 2:
        year = nums[2] + 2000 if len(parts[2]) == 2 else nums[2]
        return _valid_date(year, nums[0], nums[1])
    return long_tail_date(text, today)


def long_tail_date(text: str, today: date) -> date | None:
    """Formats the fast path does not know, read by dateparser (US month-first order)."""
    import dateparser  # imported lazily: it takes ~100 ms and is rarely needed

    base = datetime(today.year, today.month, today.day, 12, 0)
    try:
        parsed = dateparser.parse(
            text,
            languages=["en"],
            settings={"DATE_ORDER": "MDY", "PREFER_DATES_FROM": "future", "RELATIVE_BASE": base},
        )
    except Exception:  # dateparser raises assorted errors on odd input; the answer is then "no date"
        return None
    return parsed.date() if parsed is not None else None


# ---------------------------------------------------------------------------------------------- results


_NEVER_STARTS = frozenset({"id", "markup", "link", "longnum", "punct"})


def _may_start(tokens: Sequence[Token], i: int) -> bool:
    """A cheap test whether a time phrase could start at token i (most tokens never can)."""
    tok = tokens[i]
    if tok.kind == "word":
        if tok.norm not in _WORD_STARTS:
            return False
        if tok.norm in _WEAK_STARTS:
            nxt = tokens[i + 1] if i + 1 < len(tokens) else None
            return nxt is not None and nxt.kind != "punct" and (nxt.kind != "word" or nxt.norm in _AFTER_WEAK)
        return True
    if tok.kind == "num":
        # hours, days of the month and counts of days are small; bigger numbers are ids
        return isinstance(tok.value, int) and tok.value <= 400
    return tok.kind not in _NEVER_STARTS or tok.norm in ("@", "~")


def find_expressions(tokens: Sequence[Token], today: date) -> list[TimeExpr]:
    """Every time phrase of a message, left to right, not overlapping."""
    found: list[TimeExpr] = []
    if not any(_may_start(tokens, i) for i in range(len(tokens))):
        return found
    resolvable = in_calendar(today)
    # outside the calendar the phrases are still found (so "friday" is never read as a name) against
    # a stand-in day, but they say nothing
    scanner = _Scanner(tokens, today if resolvable else _STAND_IN_TODAY)
    i = 0
    while i < scanner.n:
        if not _may_start(tokens, i):
            i += 1
            continue
        expr = scanner.phrase_at(i)
        if expr is None:
            i += 1
            continue
        if not resolvable:
            expr.atoms = []
        _take_same_time(tokens, expr, found[-1].last + 1 if found else 0)
        found.append(expr)
        i = expr.last + 1
    return found


# "same time thursday": a day that keeps the time already set. The words belong to the phrase (the dialog
# keeps the time for a day alone), so they are never read as something else ("move job 1 to same time").
_SAME_TIME_LEADS = (("at", "the", "same", "time"), ("the", "same", "time"), ("same", "time"))


def _take_same_time(tokens: Sequence[Token], expr: TimeExpr, free_from: int) -> None:
    for lead in _SAME_TIME_LEADS:
        start = expr.first - len(lead)
        if start >= free_from and tuple(t.norm for t in tokens[start : expr.first]) == lead:
            expr.first = start
            return


@dataclass(slots=True)
class Resolved:
    """The combined meaning of one or more time phrases."""

    day: date | None = None
    span: tuple[date, date] | None = None
    start: Time | None = None
    end: Time | None = None
    target: date | None = None  # last day of an explicit date range ("from friday to monday")
    clock: bool = False  # the time came from a clock time ("2pm"), not only a part of day


def combine(atoms: Sequence[Atom], today: date) -> Resolved:
    """Combine the atoms of a message's time phrases; later pieces win over earlier ones."""
    out = Resolved()
    week_offset: int | None = None
    weekday: Atom | None = None
    specific: date | None = None
    general: date | None = None
    part = ""
    hour: tuple[int, int, str | None] | None = None
    hour_kind = ""
    for atom in atoms:
        if atom.kind == "date" and atom.day is not None:
            if atom.specific:
                specific = atom.day
            else:
                general, weekday = atom.day, None
        elif atom.kind == "weekday":
            weekday = atom
            general = None
        elif atom.kind == "week":
            week_offset = atom.offset
        elif atom.kind == "month":
            first = add_months(today.replace(day=1), atom.offset)
            out.span = month_span(first.year, first.month)
        elif atom.kind == "weekend":
            saturday = week_monday(today) + timedelta(days=5 + 7 * atom.offset)
            out.span = (saturday, saturday + timedelta(days=1))
        elif atom.kind == "span" and atom.day is not None and atom.until is not None:
            out.span = (atom.day, atom.until)
            out.target = atom.until if atom.mode == "range" else None
        elif atom.kind == "clock":
            out.start, out.end, hour = atom.start, atom.end, None
            out.clock = True
        elif atom.kind in ("hour", "after", "before"):
            hour, hour_kind = atom.hour, atom.kind
        elif atom.kind == "part":
            part = atom.part
            if atom.day is not None:
                general = atom.day
    if weekday is not None:
        if week_offset is not None:
            general = week_monday(today) + timedelta(days=7 * week_offset + weekday.weekday)
        else:
            general = weekday_date(weekday.weekday, weekday.mode, today)
    elif week_offset is not None and general is None and specific is None:
        monday = week_monday(today) + timedelta(days=7 * week_offset)
        out.span = (monday, monday + timedelta(days=6))
    out.day = specific or general
    if out.day is None and out.span is not None and out.span[0] == out.span[1]:
        out.day = out.span[0]
    if hour is not None:
        hint = None if not part else part != "morning"
        resolved = resolve_hour(*hour, pm_hint=hint)
        if resolved is not None:
            out.clock = True
            if hour_kind == "before":
                out.start, out.end = None, resolved
            else:
                out.start, out.end = resolved, None
    elif part and out.start is None:
        out.start, out.end = PARTS_OF_DAY[part]
    return out


def to_when(
    res: Resolved, now_local: datetime | None = None, *, undated: bool = False
) -> dict[str, str] | None:
    """The contract's `when` value, or None without a single date or a time.

    A time without a day ("at 2pm") has no `date` when `undated` (a message: the dialog keeps the
    appointment's own day); else it is its next occurrence after `now_local`: today, or tomorrow
    when that time of day has passed (a short answer to "when?").
    """
    # an explicit range of dates in a `when` is a move from one day to another: take the target
    day = res.day or res.target
    if day is None and res.span is None and res.clock and undated:
        times = {"start": fmt_time(res.start)} if res.start is not None else {}
        if res.end is not None:
            times["end"] = fmt_time(res.end)
        return times or None
    if day is None and res.span is None and now_local is not None and res.clock:
        moment = res.start or res.end
        assert moment is not None
        day = now_local.date()
        if moment <= (now_local.hour, now_local.minute):
            day += timedelta(days=1)
    if day is None:
        return None
    when = {"date": day.isoformat()}
    if res.start is not None:
        when["start"] = fmt_time(res.start)
    if res.end is not None:
        when["end"] = fmt_time(res.end)
    return when


def to_range(res: Resolved) -> dict[str, str] | None:
    """The contract's `range` value (inclusive days), or None."""
    if res.span is not None and res.day is None:
        first, last = res.span
    elif res.day is not None:
        first = last = res.day
    else:
        return None
    return {"from": first.isoformat(), "to": last.isoformat()}


def resolve_tokens(tokens: Sequence[Token], today: date) -> Resolved | None:
    exprs = find_expressions(tokens, today)
    if not exprs:
        return None
    return combine([a for e in exprs for a in e.atoms], today)


def parse_when(text: str, *, now: datetime, tz: str) -> dict[str, str] | None:
    """`when` of a short answer such as "friday 2pm"; None when it names no single day."""
    local = local_now(now, tz)
    res = resolve_tokens(_corrected(text), local.date())
    if res is None:
        return None
    return to_when(res, local)


def _corrected(text: str) -> list[Token]:
    """The tokens of a short answer with typos of key words corrected, as in a whole message ("teh 14th")."""
    from intents.typos import correct  # imported here: intents.typos reads this module's word lists

    return correct(tokenize(text), text)


def resolve_text(text: str, today: date) -> Resolved | None:
    """The time phrase of `text` (typos corrected) resolved against `today`; None when it has none."""
    return resolve_tokens(_corrected(text), today)


def parse_range(text: str, *, now: datetime, tz: str) -> dict[str, str] | None:
    """`range` of a short answer such as "this week"; None when it names no days."""
    today = local_today(now, tz)
    res = resolve_tokens(_corrected(text), today)
    if res is None:
        return None
    return to_range(res)
