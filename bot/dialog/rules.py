"""Pure validation rules of the dialog: matching names and reasons, picking options, scheduling times.

Each rule takes plain data (the user's words, ServiceTitan rows as dicts) and returns a verdict as data;
none of them looks anything up or reads the clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Literal

from rapidfuzz import fuzz, process

from bot.dialog import timefmt
from bot.dialog.relative import is_relative

Row = dict[str, Any]


@dataclass(frozen=True)
class Match:
    """Outcome of matching words against a list: exactly one row, several candidates, or none."""

    kind: Literal["one", "many", "none"]
    rows: list[Row] = field(default_factory=list)

    @property
    def row(self) -> Row:
        return self.rows[0]


def _norm(text: str) -> str:
    return re.sub(r"[^\w\s'-]", " ", text.casefold()).strip()


def _words(text: str) -> list[str]:
    return _norm(text).replace("-", " ").split()


def _one_or_many(rows: list[Row]) -> Match:
    if len(rows) == 1:
        return Match("one", rows)
    return Match("many", rows) if rows else Match("none")


def match_technician(query: str, technicians: list[Row]) -> Match:
    """Match a technician by full name, first name, last name, initials ("MC"), "Mike C", or fuzzily."""
    q = _norm(query)
    if not q:
        return Match("none")
    names = [(t, _words(str(t.get("name", "")))) for t in technicians]
    exact = [t for t, words in names if " ".join(words) == " ".join(q.split())]
    if exact:
        return _one_or_many(exact)
    parts = q.replace("-", " ").split()
    if len(parts) == 1:
        token = parts[0]
        for pick in (
            lambda w: bool(w) and w[0] == token,
            lambda w: len(w) > 1 and w[-1] == token,
            lambda w: len(token) >= 2 and "".join(x[0] for x in w) == token,
        ):
            found = [t for t, words in names if pick(words)]
            if found:
                return _one_or_many(found)
    if len(parts) == 2 and len(parts[1]) <= 2:  # "Mike C", "mike ca"
        found = [
            t for t, w in names if len(w) > 1 and w[0] == parts[0] and w[-1].startswith(parts[1].rstrip("."))
        ]
        if found:
            return _one_or_many(found)
    choices = {i: " ".join(words) for i, (_, words) in enumerate(names)}
    scored = process.extract(q, choices, scorer=fuzz.WRatio, limit=5)
    strong = [(score, i) for _, score, i in scored if score >= 70]
    if not strong:
        return Match("none")
    best = strong[0][0]
    if best >= 88 and (len(strong) == 1 or strong[1][0] < best - 8):
        return Match("one", [names[strong[0][1]][0]])
    return _one_or_many([names[i][0] for score, i in strong if score >= best - 15])


def locations_at(words: str, locations: list[Row]) -> list[Row]:
    """The locations whose name or street holds every word of `words` ("396 Hillcrest"); none for no words."""
    wanted = _norm(words).split()
    if not wanted:
        return []

    def said(loc: Row) -> str:
        address = loc.get("address") or {}
        return _norm(f"{loc.get('name', '')} {address.get('street', '')} {address.get('city', '')}")

    return [loc for loc in locations if all(w in said(loc).split() for w in wanted)]


def match_named(words: str, rows: list[Row], *, threshold: int = 80) -> Match:
    """Match free words against rows with a `name` (reasons, job types, business units)."""
    q = _norm(words)
    if not q or not rows:
        return Match("none")
    exact = [r for r in rows if _norm(str(r.get("name", ""))) == q]
    if exact:
        return _one_or_many(exact)
    within = [r for r in rows if _norm(str(r.get("name", ""))) in q or q in _norm(str(r.get("name", "")))]
    if len(within) == 1:
        return Match("one", within)
    choices = {i: _norm(str(r.get("name", ""))) for i, r in enumerate(rows)}
    scored = process.extract(q, choices, scorer=fuzz.token_set_ratio, limit=5)
    good = [(score, i) for _, score, i in scored if score >= threshold]
    if good and (len(good) == 1 or good[1][0] < good[0][0] - 5):
        return Match("one", [rows[good[0][1]]])
    if good:
        return Match("many", [rows[i] for _, i in good])
    return Match("many", within) if within else Match("none")


_ORDINALS = {
    "first": 1,
    "1st": 1,
    "second": 2,
    "2nd": 2,
    "third": 3,
    "3rd": 3,
    "fourth": 4,
    "4th": 4,
    "fifth": 5,
    "5th": 5,
    "sixth": 6,
    "6th": 6,
    "seventh": 7,
    "7th": 7,
    "eighth": 8,
    "8th": 8,
}


def pick_option(text: str, options: list[tuple[str, str]], *, fuzzy: bool = True) -> str | None:
    """The value of the option the user means: "2", "the second one", "last", a value or a label (and,
    when `fuzzy`, a label misspelled)."""
    q = _norm(text)
    if not q or not options:
        return None
    for value, _ in options:
        if q == _norm(value):
            return value
    words = q.split()
    if len(words) <= 4:
        for word in words:
            index = int(word) if word.isdigit() and len(word) <= 2 else _ORDINALS.get(word)
            if word == "last":
                index = len(options)
            if index is not None and 1 <= index <= len(options):
                return options[index - 1][0]
    # a few letters ("hi", "ok") are inside many labels by chance: only longer text picks by substring
    labelled = [value for value, label in options if len(q) >= 3 and q in _norm(label)]
    if len(labelled) == 1:
        return labelled[0]
    if not fuzzy:
        return None
    scored = process.extract(q, {v: _norm(label) for v, label in options}, scorer=fuzz.WRatio, limit=2)
    if scored and scored[0][1] >= 85 and (len(scored) == 1 or scored[1][1] < scored[0][1] - 8):
        return str(scored[0][2])
    return None


PRIORITIES = ("Low", "Normal", "High", "Urgent")


def normalize_priority(value: str) -> str | None:
    q = _norm(value)
    for name in PRIORITIES:
        if name.casefold() in q.split() or q == name.casefold():
            return name
    if q in {"emergency", "asap", "critical"}:
        return "Urgent"
    return None


# ---- times -----------------------------------------------------------------------------------------------


def timespan(text: str) -> timedelta:
    """A .NET TimeSpan string ("09:00", "02:00:00", "1.02:00:00") as a timedelta."""
    days = 0
    if "." in text.split(":")[0]:
        head, _, text = text.partition(".")
        days = int(head)
    parts = [int(float(p)) for p in text.split(":")]
    while len(parts) < 3:
        parts.append(0)
    return timedelta(days=days, hours=parts[0], minutes=parts[1], seconds=parts[2])


def hhmm(text: str) -> time:
    hour, minute = text.split(":")[:2]
    return time(int(hour), int(minute))


@dataclass(frozen=True)
class Times:
    """A scheduled visit: start/end and the arrival window promised to the customer (all UTC)."""

    start: datetime
    end: datetime
    window_start: datetime | None = None
    window_end: datetime | None = None


@dataclass(frozen=True)
class Verdict:
    times: Times | None = None
    problem: str | None = None


def arrival_windows(rows: list[Row], business_unit_id: int | None = None) -> list[tuple[time, time]]:
    """The tenant's active arrival windows as local (start, end) times, for the business unit if given."""
    windows = []
    for row in rows:
        if row.get("active") is False:
            continue
        units = row.get("business_unit_ids") or []
        if business_unit_id is not None and units and business_unit_id not in units:
            continue
        start = timespan(str(row["start"]))
        end = start + timespan(str(row["duration"]))
        if end > timedelta(days=1):
            continue
        to_time = lambda d: time(int(d.total_seconds()) // 3600 % 24, int(d.total_seconds()) // 60 % 60)  # noqa: E731
        windows.append((to_time(start), to_time(end) if end < timedelta(days=1) else time(23, 59)))
    return sorted(set(windows))


def _minutes(value: time) -> int:
    return value.hour * 60 + value.minute


def nearest_window(start: time, end: time, windows: list[tuple[time, time]]) -> tuple[time, time] | None:
    """The arrival window that best covers [start, end): exact, else the largest overlap."""
    best: tuple[int, tuple[time, time]] | None = None
    for w in windows:
        if w == (start, end):
            return w
        overlap = min(_minutes(end), _minutes(w[1])) - max(_minutes(start), _minutes(w[0]))
        if overlap > 0 and (best is None or overlap > best[0]):
            best = (overlap, w)
    return best[1] if best else None


def _window_from(
    start: time, windows: list[tuple[time, time]], keep: Times | None
) -> tuple[time, time] | None:
    """The tenant's arrival window for a visit moved to an exact time: one that starts then, as long as the
    visit's current window (a 2-hour window stays 2 hours; None: the current one moves along, keeping its
    length); for a visit with no window yet, the shortest one that starts then."""
    starting = sorted((w for w in windows if w[0] == start), key=lambda w: _minutes(w[1]))
    if keep is None or keep.window_start is None or keep.window_end is None:
        return starting[0] if starting else None
    length = (keep.window_end - keep.window_start).total_seconds() // 60
    return next((w for w in starting if _minutes(w[1]) - _minutes(w[0]) == length), None)


def _placed(when: dict[str, Any], keep: Times, tz: str) -> dict[str, Any]:
    """A relative `when` (`bot.dialog.relative`) as a date and start against the visit's own times: its
    day plus `shift_days`, at the time said or its own start plus `shift_minutes` (local wall clock)."""
    moved = timefmt.local(keep.start, tz) + timedelta(
        days=int(when.get("shift_days") or 0), minutes=int(when.get("shift_minutes") or 0)
    )
    placed = {"date": moved.date().isoformat(), "start": f"{moved:%H:%M}"}
    return {**placed, **{k: when[k] for k in ("start", "end") if when.get(k)}}


def _undated_day(when: dict[str, Any], tz: str, now: datetime, keep: Times | None) -> date:
    """The day of a `when` with a time but no day ("to 3pm"): the visit's own day, else the time's
    next occurrence (today, or tomorrow once it has passed)."""
    if not when.get("start"):
        raise KeyError("date")
    if keep is not None:
        return timefmt.local(keep.start, tz).date()
    local_now = timefmt.local(now, tz)
    today = local_now.date()
    start = hhmm(str(when["start"]))
    return today if start > local_now.time() else today + timedelta(days=1)


def schedule(
    when: dict[str, Any],
    *,
    tz: str,
    now: datetime,
    duration: timedelta,
    keep: Times | None = None,
    windows: list[tuple[time, time]] | None = None,
) -> Verdict:
    """Turn a parsed `when` into times, following the reschedule rules.

    - only a date: keep `keep`'s local start time (and its arrival window offset); without `keep`, the
      first arrival window of the day (else 8:00);
    - a start time only: start then, keep the duration;
    - relative to the visit (`bot.dialog.relative`: "an hour later", "the day after"): from `keep`, its
      arrival window moved by as much (the same length) unless a time was said ("1pm same day");
    - a window (start and end, e.g. "between 8 and 10", "morning"): map it to the tenant's arrival window
      that covers it best, and start at the asked start (within that window);
    - the end always after the start; never in the past.
    """
    if is_relative(when):  # "push back an hour", "the day after", "1pm same day": against the visit itself
        if keep is None:
            return Verdict(problem="Relative to what? Say the day and time (e.g. *Friday 2pm*).")
        # moved by an amount with no time said: the arrival window moves with the visit (keeps its length)
        moved_along = not when.get("start")
        when = _placed(when, keep, tz)
    else:
        moved_along = False
    try:
        on = date.fromisoformat(str(when["date"])) if "date" in when else _undated_day(when, tz, now, keep)
    except (KeyError, ValueError):
        return Verdict(problem="I need a date for that (e.g. *Friday 2pm*).")
    windows = windows or []
    start_text, end_text = when.get("start"), when.get("end")
    window: tuple[time, time] | None = None
    if start_text and end_text:
        asked = (hhmm(str(start_text)), hhmm(str(end_text)))
        if _minutes(asked[1]) <= _minutes(asked[0]):
            return Verdict(problem="The end of that window is not after its start. When should it be?")
        window = nearest_window(asked[0], asked[1], windows) or asked
        start_at = max(asked[0], window[0])  # "between 1 and 3" starts at 1, inside the 12-4 window
    elif start_text:
        start_at = hhmm(str(start_text))
        window = None if moved_along else _window_from(start_at, windows, keep)
    elif keep is not None:
        start_at = timefmt.local(keep.start, tz).time().replace(second=0, microsecond=0)
    elif windows:
        window = windows[0]
        start_at = window[0]
    else:
        start_at = time(8, 0)
    start = timefmt.at_local(on, start_at, tz)
    end = start + (duration if duration > timedelta(0) else timedelta(hours=2))
    window_start = window_end = None
    if window is not None:
        window_start = timefmt.at_local(on, window[0], tz)
        window_end = timefmt.at_local(on, window[1], tz)
    elif keep is not None and keep.window_start and keep.window_end:
        shift = start - keep.start
        window_start, window_end = keep.window_start + shift, keep.window_end + shift
        if window_start > start:  # keep the visit inside its promised window
            window_start, window_end = start, start + (keep.window_end - keep.window_start)
    if end <= start:
        return Verdict(problem="That would end before it starts. When should it be?")
    if start < now:
        return Verdict(
            problem=f"{timefmt.moment(start, tz)} is in the past. Pick a time from now on (e.g. *tomorrow 9am*)."
        )
    return Verdict(times=Times(start, end, window_start, window_end))


def overlaps(start: datetime, end: datetime, other_start: datetime, other_end: datetime) -> bool:
    return start < other_end and other_start < end
