"""*how long has it been like that*, *since when has 1025 been on hold*: since when a job is as it is, from
its history in ServiceTitan (the latest entry that put it on hold, canceled or completed it; for a job that
is none of these, the latest entry of any kind). Part of *show job N* (bot/dialog/reads/show_job.py)."""

from __future__ import annotations

from bot.dialog import timefmt
from bot.dialog.reads.common import Answer, ReadContext
from bot.servicetitan.models import Job, JobHistoryEntry

# status -> (words of the history entry that set it, how the answer says it)
_SET_BY: dict[str, tuple[str, str]] = {
    "Hold": ("hold", "on hold"),
    "Canceled": ("cancel", "canceled"),
    "Completed": ("complet", "completed"),
}


def _sets(entry: JobHistoryEntry, words: str) -> bool:
    event = entry.event_type.casefold()
    return words in event and "remov" not in event


def _ago(ctx: ReadContext, entry: JobHistoryEntry) -> str:
    now = ctx.now
    if now is None:
        return ""
    days = (timefmt.local(now, ctx.tz).date() - timefmt.local(entry.date, ctx.tz).date()).days
    return " (today)" if days == 0 else " (1 day)" if days == 1 else f" ({days} days)" if days > 1 else ""


async def answer(ctx: ReadContext, job: Job) -> Answer:
    history = sorted(await ctx.client.get_job_history(job.id), key=lambda e: e.date)
    title = f"Job {job.id} · {job.job_status}"
    set_by = _SET_BY.get(job.job_status)
    entries = [e for e in history if _sets(e, set_by[0])] if set_by else history
    if not entries:
        text = f"Job {job.id} is {job.job_status}; its history in ServiceTitan doesn't say since when."
        return {"title": title, "text": text, "rows": [], "job_id": job.id}
    latest = entries[-1]
    moment = timefmt.local(latest.date, ctx.tz)
    at = f"{timefmt.short_day(moment)} {timefmt.clock(moment)}"
    if set_by:
        text = f"Job {job.id} has been {set_by[1]} since {at}{_ago(ctx, latest)}."
    else:
        text = (
            f"Job {job.id} is {job.job_status}. The latest entry in its history: "
            f"{latest.event_type}, {at}{_ago(ctx, latest)}."
        )
    return {"title": title, "text": text, "rows": [], "job_id": job.id}
