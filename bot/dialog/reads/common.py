"""What several reads share: the context a read runs in, the technician it is about, a day range, who is
on each visit, a list title's days."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, TypedDict

from bot.dialog import rules, timefmt
from bot.dialog.people import NOT_LINKED, active_rows, is_mention, mention_problem, names_me
from bot.dialog.refdata import ReferenceData, collect
from bot.servicetitan import ServiceTitanClient

Row = dict[str, Any]
MAX_READ_ROWS = 200


class Answer(TypedDict, total=False):
    """A read's answer as the engine shows it (JSON, so it can ride in a `Loaded` and a conversation)."""

    title: str
    rows: list[str]
    facts: list[tuple[str, str]]
    text: str  # said with the rows; alone when there are none ("I can't find job 2")
    empty: str  # said instead of "Nothing found." when there are no rows
    # which one was meant ({prompt, options: [[value, label]]}): a picked value's slots (JSON) run the read
    # again (see engine._read_choice)
    choice: dict[str, Any]
    job_id: int  # the one job the answer is about: "it" and "that job" refer to it next
    appointment_id: int  # the one visit shown of that job ("my next job after this one")
    items: list[dict[str, int]]  # the rows' records in order ({job_id[, appointment_id]}): "the first one"


@dataclass
class ReadContext:
    """Where a read runs: the client, the cached reference data, the asker's zone and the look-up's extras
    (`technician_id` when "me" was resolved to the asker, `now` for a day list)."""

    client: ServiceTitanClient
    refdata: ReferenceData
    tz: str
    args: dict[str, Any] = field(default_factory=dict)

    @property
    def now(self) -> datetime | None:
        return datetime.fromisoformat(str(self.args["now"])) if self.args.get("now") else None


async def technician_id(ctx: ReadContext, slots: dict[str, Any]) -> tuple[int | None, str | None]:
    """The technician a read is about: (id, None), or (None, a message) when the name doesn't match."""
    if ctx.args.get("technician_id") is not None:
        return int(ctx.args["technician_id"]), None
    if slots.get("technician_id") is not None:  # picked from "Which Mike?"
        return int(slots["technician_id"]), None
    name = str(slots.get("technician") or "")
    if not name:
        return None, None
    if names_me(name):  # read_lookup gives a linked asker's own id as technician_id
        return None, NOT_LINKED
    if is_mention(name):
        return None, mention_problem(name)
    match = rules.match_technician(name, active_rows(await ctx.refdata.reference("technicians")))
    if match.kind == "one":
        return int(match.row["id"]), None
    if match.kind == "many":
        names = ", ".join(str(t["name"]) for t in match.rows[:6])
        return None, f"“{name}” could be {names}. Say the full name."
    return None, f"No active technician matches “{name}”."


async def technician_name(ctx: ReadContext, tech_id: int) -> str:
    return (await ctx.refdata.reference_names("technicians")).get(tech_id, f"technician {tech_id}")


def day_span(value: Any, tz: str, default_today: datetime | None = None) -> tuple[datetime, datetime] | None:
    """A `range` slot ({from, to}, inclusive local days) as UTC bounds; today's when none is given and
    `default_today` is."""
    if isinstance(value, dict) and value.get("from") and value.get("to"):
        first = timefmt.day_bounds(date.fromisoformat(value["from"]), tz)[0]
        last = timefmt.day_bounds(date.fromisoformat(value["to"]), tz)[1]
        return first, last
    if default_today is not None:
        return timefmt.day_bounds(timefmt.local(default_today, tz).date(), tz)
    return None


def span_title(span: tuple[datetime, datetime] | None, tz: str) -> str:
    """A list title's days: " on Tuesday, November 24, 2026" for one day, " Mon Nov 23 – Sun Nov 29" for more."""
    if span is None:
        return ""
    first = timefmt.local(span[0], tz)
    last = timefmt.local(span[1] - timedelta(seconds=1), tz)
    if first.date() == last.date():
        return f" on {timefmt.day(first)}"
    return f" {timefmt.short_day(first)} – {timefmt.short_day(last)}"


def technicians_on(assignments: list[Row]) -> dict[int, list[str]]:
    """The names of the technicians active on each appointment."""
    by_appt: dict[int, list[str]] = {}
    for a in assignments:
        if a.get("active", True):
            by_appt.setdefault(int(a["appointment_id"]), []).append(str(a["technician_name"]))
    return by_appt


async def customer_names(ctx: ReadContext, ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = await collect(ctx.client.iter_customers(ids=sorted(set(ids))))
    return {int(r["id"]): str(r["name"]) for r in rows}
