"""Row text shared by several reads. Pure functions of ServiceTitan rows (dicts from the client's models)."""

from __future__ import annotations

import re
from typing import Any

from bot.dialog import timefmt
from bot.dialog.refdata import address_text

Row = dict[str, Any]

__all__ = ["address_text", "appointment_row", "plain"]


def plain(html: str | None) -> str:
    """ServiceTitan summaries are HTML; show them as one line of text."""
    text = re.sub(r"<[^>]+>", " ", html or "")
    return re.sub(r"\s+", " ", text).strip()


def appointment_row(appt: Row, *, tz: str, names: list[str]) -> str:
    """A visit in a job's or a day's list: "Tue Nov 24 9:00 AM – 11:00 AM · job 1001 · Mike Carter · Scheduled"."""
    start, end = timefmt.parse_iso(appt["start"]), timefmt.parse_iso(appt["end"])
    who = ", ".join(names) or "unassigned"
    return f"{timefmt.short_span(start, end, tz)} · job {appt['job_id']} · {who} · {appt.get('status')}"
