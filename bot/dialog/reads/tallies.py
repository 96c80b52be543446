"""Cancellations (or holds) counted by who made them: *who canceled the most this month*, *holds by person*.

The canceled logs say who canceled (`createdById`), the job history who put a job on hold (`employeeId`);
a change made through the bot is stamped with the bot's API user, so the bot's own record of its writes
names the Slack user instead (bot.alerts.subscriptions.bot_writer_at), as `show job` does.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from bot.alerts.subscriptions import bot_writer_at
from bot.dialog import timefmt
from bot.dialog.reads.common import Answer, ReadContext

Row = dict[str, Any]
_SLACK_USER = re.compile(r"[UW][A-Z0-9]{2,20}")


async def who_name(ctx: ReadContext, who: Any, when: str, job_id: int, kind: str = "employee") -> str:
    """The employee (or, for a write made through the bot, the Slack user) behind a change, as plain text
    (a count of who canceled pings nobody); "" if unknown. `kind` says what `who` is: an employee's id
    (history's `employeeId`) or, for "user", a ServiceTitan user's id (a log's `createdById`), matched with an
    employee's user id first and only then (older records) with an employee's id, never both in one pass."""
    if who is not None:
        rows = await ctx.refdata.reference("employees")
        keys = ("user_id", "id") if kind == "user" else ("id",)
        for key in keys:
            found = next((row for row in rows if int(row.get(key) or 0) == int(who)), None)
            if found is not None:
                return str(found["name"])
    slack_user = await bot_writer_at(ctx.refdata.store, job_id, timefmt.parse_iso(when))
    if slack_user and _SLACK_USER.fullmatch(slack_user):
        return f"Slack user {slack_user} (through the bot)"
    return ""


async def done_by(ctx: ReadContext, events: dict[int, Row], words: str) -> tuple[dict[int, Row], str]:
    """The events made by the person `words` names ("dana", "dana reyes": every word starts a word of the
    name), and the title's part ("by Dana Reyes", or the words said when nobody matched)."""
    said = words.casefold().split()
    kept: dict[int, Row] = {}
    names: set[str] = set()
    for job_id, event in sorted(events.items()):
        name = await who_name(ctx, event.get("by"), str(event["when"]), job_id)
        parts = name.casefold().split()
        if name and all(any(p.startswith(w) for p in parts) for w in said):
            kept[job_id] = event
            names.add(name)
    return kept, f" by {' or '.join(sorted(names))}" if names else f" by “{words}”"


async def by_who(ctx: ReadContext, events: dict[int, Row], what: str, title: str, notes: list[str]) -> Answer:
    """`events` (job id -> {when, by}) counted by who made them, most first."""
    counts: Counter[str] = Counter()
    which: dict[str, list[int]] = {}
    for job_id, event in sorted(events.items()):
        by, kind = event.get("by"), str(event.get("by_kind") or "employee")
        name = await who_name(ctx, by, str(event["when"]), job_id, kind) or "not recorded"
        counts[name] += 1
        which.setdefault(name, []).append(job_id)
    rows = [
        f"{name}: {count} (jobs {', '.join(str(j) for j in which[name][:8])})"
        for name, count in counts.most_common()
    ]
    return {
        "title": f"{what}{title} ({sum(counts.values())})",
        "rows": rows,
        "text": " ".join(notes),
        "empty": "None found.",
    }
