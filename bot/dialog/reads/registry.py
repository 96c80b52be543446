"""Every read intent by name, the look-up the engine asks for, the answer the runner gives, and its pages.

`READS` lists each read's module; `tests/dialog/test_reads.py` fails when a read intent of the catalog has
none (or a module is missing from it).
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from types import ModuleType
from typing import Any

from bot.dialog.catalog import PAGE_SIZE
from bot.dialog.messages import Asker, Button, Choice, Fact, Option, Reply
from bot.dialog.people import NOT_LINKED, names_me
from bot.dialog.reads import find_jobs, find_projects, list_appointments, list_notes, show_job
from bot.dialog.reads.common import Answer, ReadContext
from bot.dialog.state import Load, ReadPages


@dataclass(frozen=True)
class Read:
    """One read intent: its answer and whether it needs a job id before it can look anything up."""

    intent: str
    answer: Callable[[ReadContext, dict[str, Any]], Awaitable[Answer]]
    needs_job: bool


def _read(module: ModuleType) -> Read:
    return Read(intent=module.INTENT, answer=module.answer, needs_job=module.NEEDS_JOB)


READS: dict[str, Read] = {
    r.intent: r for r in map(_read, (show_job, list_notes, find_jobs, list_appointments, find_projects))
}


def read_lookup(asker: Asker, intent: str, slots: dict[str, Any], now: datetime) -> Load | Reply:
    """The lookup a read needs, or the reply when it can't be made: "me" (or a technician's own day, when
    no one is named) is the asker's technician id. App Home reads a technician's day through this too."""
    args: dict[str, Any] = {"intent": intent, "slots": json.dumps(slots, sort_keys=True)}
    if names_me(str(slots.get("technician") or "")) or (
        intent == "list_appointments" and asker.role == "technician" and not slots.get("technician")
    ):
        if asker.technician_id is None:
            return Reply(kind="text", text=NOT_LINKED)
        args["technician_id"] = asker.technician_id
    if READS[intent].needs_job and slots.get("job_id") is None and slots.get("appointment_id") is None:
        return Reply(kind="ask", text="Which job? (e.g. _show job 1001_)")
    args["tz"] = asker.tz
    args["now"] = now.isoformat()
    return Load("read", args)


async def answer(ctx: ReadContext) -> Answer:
    """What the runner answers a `Load("read", args)` with (`ctx.args` are the look-up's args)."""
    slots = json.loads(ctx.args.get("slots") or "{}")
    return await READS[str(ctx.args["intent"])].answer(ctx, slots)


def first_page(data: dict[str, Any], *, token: str, tz: str) -> tuple[Reply, ReadPages | None]:
    """The reply to a read's answer, and its pages for the "More" button (None for a plain message)."""
    rows = [str(r) for r in data.get("rows", [])]
    if data.get("choice"):
        asked = data["choice"]
        options = [Option(value=str(v), label=str(label)) for v, label in asked.get("options", [])]
        prompt = str(asked.get("prompt") or "Which one?")
        return Reply(
            kind="choice", text=prompt, choice=Choice(prompt=prompt, options=options), token=token
        ), None
    if not rows and not data.get("facts") and data.get("text"):
        return Reply(kind="text", text=str(data["text"]), read_only=True), None  # "I can't find job 2"
    pages = ReadPages(title=str(data.get("title", "")), rows=rows, shown=0, token=token)
    # facts alone ("whats the address"): no "No job 1073." where rows would be
    empty = "" if data.get("facts") and not rows else str(data.get("empty") or nothing_found(pages.title))
    reply = next_page(pages, tz=tz, empty=empty)
    reply.facts = [Fact(label=label, value=value) for label, value in data.get("facts", [])]
    if data.get("text"):
        head, _, body = reply.text.partition("\n")
        reply.text = f"{head}\n{data['text']}\n{body}".strip()
        # said beside the rows too (surfaces draw `lines`, not `text`): a filter not applied, a caveat
        reply.footnote = f"{data['text']} · {reply.footnote}" if reply.footnote else str(data["text"])
    return reply, pages


def nothing_found(title: str) -> str:
    """An empty list said in words, with its filters: "Jobs on hold for Derek Nguyen (0)" -> "No jobs on hold
    for Derek Nguyen." (a title that starts with a name keeps its capital)."""
    what = re.sub(r"\s*\(0\)\s*$", "", title).strip()
    if not what:
        return "Nothing found."
    if len(what) > 1 and what[1].islower():
        what = what[0].lower() + what[1:]
    return f"No {what}."


def next_page(pages: ReadPages, *, tz: str, empty: str = "Nothing found.") -> Reply:
    """The next PAGE_SIZE rows of `pages` (advancing it), with a "More" button while rows are left."""
    chunk = pages.rows[pages.shown : pages.shown + PAGE_SIZE]
    first = pages.shown
    pages.shown += len(chunk)
    body = "\n".join(chunk) if pages.rows else empty
    footnote = f"Times in {tz}"
    if len(pages.rows) > PAGE_SIZE:
        shown = f"({first + 1}–{pages.shown} of {len(pages.rows)})"
        body += f"\n{shown}"
        footnote = f"{shown[1:-1]} · {footnote}"
    reply = Reply(
        kind="list",
        title=pages.title,
        text=f"{pages.title}\n{body}".strip(),
        # an empty list says so in its rows' place: the title is shown once, above it
        lines=chunk if pages.rows else [empty] if empty else [],
        read_only=True,
        token=pages.token,
        footnote=footnote,
    )
    if pages.shown < len(pages.rows):
        reply.buttons = [Button(action="more", label=f"More ({len(pages.rows) - pages.shown} left)")]
    return reply
