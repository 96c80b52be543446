"""*notes on job 1001*: a job's notes, pinned ones first, oldest first."""

from __future__ import annotations

from typing import Any

from bot.dialog import timefmt
from bot.dialog.reads.common import MAX_READ_ROWS, Answer, ReadContext
from bot.dialog.reads.text import plain
from bot.dialog.refdata import collect
from bot.servicetitan import NotFound

INTENT = "list_notes"
NEEDS_JOB = True

Row = dict[str, Any]


async def answer(ctx: ReadContext, slots: dict[str, Any]) -> Answer:
    job_id = int(slots["job_id"])
    try:
        notes = await collect(ctx.client.iter_job_notes(job_id), MAX_READ_ROWS)
    except NotFound:
        return {"title": f"Notes on job {job_id}", "text": f"I can't find job {job_id}.", "rows": []}
    notes.sort(key=lambda n: (not n.get("is_pinned"), n["created_on"]))
    return {"title": f"Notes on job {job_id}", "rows": [note_row(n, tz=ctx.tz) for n in notes]}


def note_row(note: Row, *, tz: str) -> str:
    when = timefmt.local(timefmt.parse_iso(note["created_on"]), tz)
    pin = "📌 " if note.get("is_pinned") else ""
    return f"{pin}{timefmt.short_day(when)} {timefmt.clock(when)}: {plain(note.get('text'))}"
