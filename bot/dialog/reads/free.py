"""*who's free tomorrow afternoon?*: the active technicians with no visit in that window.

Availability comes from appointments and their assignments only: shifts, time off and travel are not
considered (ServiceTitan's Dispatch shifts API is not read), and the answer says so.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from bot.dialog import rules, timefmt
from bot.dialog.people import active_rows
from bot.dialog.reads.common import Answer, ReadContext
from bot.dialog.refdata import collect

Row = dict[str, Any]
WORK_DAY = (time(8, 0), time(17, 0))  # the window when only a day is said
CAVEAT = "From appointments only: shifts and time off are not considered."


async def answer(ctx: ReadContext, slots: dict[str, Any]) -> Answer:
    now = ctx.now or datetime.now(UTC)
    day_range = slots.get("range") or {}
    day = (
        date.fromisoformat(day_range["from"]) if day_range.get("from") else timefmt.local(now, ctx.tz).date()
    )
    first = time.fromisoformat(slots["start"]) if slots.get("start") else WORK_DAY[0]
    last = time.fromisoformat(slots["end"]) if slots.get("end") else WORK_DAY[1]
    if last <= first:
        last = min(time(23, 59), (datetime.combine(day, first) + timedelta(hours=2)).time())
    start, end = timefmt.at_local(day, first, ctx.tz), timefmt.at_local(day, last, ctx.tz)
    visits = await collect(
        ctx.client.iter_appointments(starts_on_or_after=start - timedelta(hours=12), starts_before=end)
    )
    busy_visits = [
        a
        for a in visits
        if a.get("status") not in {"Canceled", "Done"}
        and rules.overlaps(start, end, timefmt.parse_iso(a["start"]), timefmt.parse_iso(a["end"]))
    ]
    ids = [int(a["id"]) for a in busy_visits]
    assignments = await collect(ctx.client.iter_appointment_assignments(appointment_ids=ids)) if ids else []
    busy = {int(a["technician_id"]) for a in assignments if a.get("active", True)}
    technicians = sorted(
        active_rows(await ctx.refdata.reference("technicians")), key=lambda t: str(t["name"])
    )
    free = [str(t["name"]) for t in technicians if int(t["id"]) not in busy]
    window = (
        f"{timefmt.short_day(timefmt.local(start, ctx.tz))} {timefmt.clock(first)} – {timefmt.clock(last)}"
    )
    return {
        "title": f"Free {window} ({len(free)})",
        "rows": free,
        "text": CAVEAT,
        "empty": f"Every active technician has a visit {window}.",
    }
