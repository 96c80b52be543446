"""Dates and times as the user reads and writes them: local to their zone, weekday and date written out.

ServiceTitan speaks UTC; everything shown to a person goes through here.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo


def parse_iso(value: str | datetime) -> datetime:
    """An aware UTC datetime from an ISO string (as stored from the API) or a datetime."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    if "." in text:  # the API may send 7 fraction digits; Python takes 6
        head, _, tail = text.partition(".")
        digits = "".join(ch for ch in tail if ch.isdigit())
        rest = tail[len(digits) :]
        text = f"{head}.{digits[:6]}{rest}"
    parsed = datetime.fromisoformat(text)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def local(value: datetime, tz: str) -> datetime:
    return value.astimezone(ZoneInfo(tz))


def clock(value: time | datetime) -> str:
    """2:00 PM (no leading zero)."""
    hour = value.hour % 12 or 12
    return f"{hour}:{value.minute:02d} {'AM' if value.hour < 12 else 'PM'}"


def day(value: date | datetime) -> str:
    """Friday, November 27, 2026."""
    return f"{value:%A}, {value:%B} {value.day}, {value.year}"


def short_day(value: date | datetime) -> str:
    """Fri Nov 27."""
    return f"{value:%a %b} {value.day}"


def moment(value: datetime, tz: str) -> str:
    """Friday, November 27, 2026 at 2:00 PM."""
    when = local(value, tz)
    return f"{day(when)} at {clock(when)}"


def span(start: datetime, end: datetime, tz: str) -> str:
    """Friday, November 27, 2026, 2:00 PM – 4:00 PM (the end's date repeated when it differs)."""
    first, last = local(start, tz), local(end, tz)
    if first.date() == last.date():
        return f"{day(first)}, {clock(first)} – {clock(last)}"
    return f"{day(first)}, {clock(first)} – {day(last)}, {clock(last)}"


def short_span(start: datetime, end: datetime, tz: str) -> str:
    """Fri Nov 27 2:00 PM – 4:00 PM (for list rows and menu labels)."""
    first, last = local(start, tz), local(end, tz)
    return f"{short_day(first)} {clock(first)} – {clock(last)}"


def at_local(on: date, at: time, tz: str) -> datetime:
    """The UTC instant of a local wall-clock time."""
    return datetime.combine(on, at, tzinfo=ZoneInfo(tz)).astimezone(UTC)


def day_bounds(on: date, tz: str) -> tuple[datetime, datetime]:
    """[local midnight, next local midnight) of `on` as UTC instants."""
    from datetime import timedelta

    start = datetime.combine(on, time(0), tzinfo=ZoneInfo(tz))
    end = datetime.combine(on + timedelta(days=1), time(0), tzinfo=ZoneInfo(tz))
    return start.astimezone(UTC), end.astimezone(UTC)
