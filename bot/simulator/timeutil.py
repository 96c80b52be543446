"""UTC timestamps the way ServiceTitan writes and reads them (`2021-07-19T20:35:38.2876004Z`)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

_FRACTION = re.compile(r"\.(\d+)")


def format_ts(moment: datetime) -> str:
    """Render an aware (or naive-UTC) datetime as ServiceTitan does: UTC, `Z`, 7 fractional digits if any."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        # .NET ticks are 100 ns: seven digits, the last one always 0 here.
        text += f".{moment.microsecond:06d}0"
    return text + "Z"


def parse_ts(text: str) -> datetime:
    """Parse an RFC 3339 / ISO 8601 date-time or date into an aware UTC datetime.

    Accepts `Z` or an offset, up to 7 (or more) fractional digits, a bare date (midnight UTC) and a naive
    date-time (taken as UTC, as ServiceTitan documents every date-time as UTC). Raises ValueError.
    """
    value = text.strip()
    if not value:
        raise ValueError("empty date-time")
    if len(value) == 10:
        day = date.fromisoformat(value)
        return datetime(day.year, day.month, day.day, tzinfo=UTC)
    value = value.replace(" ", "T", 1) if "T" not in value and " " in value else value
    if value[-1] in "zZ":
        value = value[:-1] + "+00:00"
    match = _FRACTION.search(value)
    if match:
        digits = match.group(1)[:6].ljust(6, "0")
        value = value[: match.start()] + "." + digits + value[match.end() :]
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def as_utc(value: datetime | str | None) -> datetime | None:
    """Coerce a seed value (string or datetime) to an aware UTC datetime; None stays None."""
    if value is None:
        return None
    if isinstance(value, str):
        return parse_ts(value)
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
