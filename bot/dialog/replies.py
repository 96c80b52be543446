"""The replies the engine gives, built from the conversation's data: the confirmation card, a result, a
failed write with its retry buttons, help, a customer to choose. Pure functions; no state is changed here.
"""

from __future__ import annotations

import re
from datetime import date, time
from typing import Any

from bot.dialog.catalog import DOING, HELP_EXAMPLES, WRITES
from bot.dialog.messages import Asker, Button, Change, DateEdit, Fact, Reply
from bot.dialog.state import Conversation, Pending, Plan

# The button that drops a request. Never "Cancel": next to "Cancel job" a dispatcher could press the wrong one.
ABANDON_LABEL = "Never mind"
CHECK_HINT = (
    "I won't send it again blindly: press *Check & retry* and I'll look in ServiceTitan first, "
    "sending it only if it isn't there. Or say *cancel*."
)
STALE = "That button belongs to an older message, so I ignored it."


def text(message: str, **extra: Any) -> Reply:
    return Reply(kind="text", text=message, **extra)


def describe(p: Pending) -> str:
    """A short phrase for a pending request: "reschedule job 1001 to Friday, November 27, 2026"."""
    what = DOING.get(p.intent, p.intent.replace("_", " "))
    if p.plan is not None:
        title = p.plan.title.rstrip("?").replace("Undo: ", "undo ")
        detail = f" ({p.plan.changes[0][0]}: {p.plan.changes[0][2]})" if p.plan.changes else ""
        return title[:1].lower() + title[1:] + detail
    return f"finish {what}{target_phrase(p)}"


def undone(p: Pending) -> str:
    """What an abandoned request would have done, as a plain verb phrase: "delete appointment 5031"."""
    if p.plan is not None:
        title = p.plan.title.rstrip("?")
        title = title.removeprefix("Undo: ")  # "Undo: move job 1001 back" -> "move job 1001 back"
        return title[:1].lower() + title[1:]
    return f"go on with {DOING.get(p.intent, p.intent.replace('_', ' '))}{target_phrase(p)}"


def target_phrase(p: Pending) -> str:
    """What a request without a card is about, as a tail: ' for job 1001', ' for appointment 5001' or ''."""
    if p.slots.get("job_id") is not None:
        return f" for job {p.slots['job_id']}"
    if p.slots.get("appointment_id") is not None:
        return f" for appointment {p.slots['appointment_id']}"
    return ""


def confirmation(s: Conversation, plan: Plan) -> Reply:
    """The card: what will change, before → after, with one primary button that does it."""
    tz = s.asker.tz if s.asker else "UTC"
    lines = [plan.title]
    lines += [f"{label}: {before} → {after}" for label, before, after in plan.changes]
    lines += [f"⚠️ {w}" for w in plan.warnings]
    edit = None
    if plan.date_edit:
        day, at = plan.date_edit
        edit = DateEdit(date=date.fromisoformat(day), time=time.fromisoformat(at) if at else None)
    return Reply(
        kind="confirm",
        text="\n".join(lines),
        title=plan.title,
        facts=facts_beside(plan.facts, plan.changes),
        changes=changes(plan),
        warnings=list(plan.warnings),
        date_edit=edit,
        buttons=[
            Button(action="confirm", label=plan.verb, style="primary"),
            Button(action="abandon", label=ABANDON_LABEL),
        ],
        footnote=f"Times in {tz}",
        token=s.token,
    )


def changes(plan: Plan) -> list[Change]:
    return [Change(label=label, before=before, after=after) for label, before, after in plan.changes]


def facts_beside(facts: list[tuple[str, str]], changed: list[tuple[str, str, str]]) -> list[Fact]:
    """The facts a card shows next to its changes: one that is also a change ("Technicians") is shown
    once, as the change (before → after)."""
    labels = {label for label, _, _ in changed}
    return [Fact(label=label, value=value) for label, value in facts if label not in labels]


def result_facts(plan: Plan) -> list[tuple[str, str]]:
    """The card's facts as they are after the change (the technicians as changed, not as before)."""
    after = {label: new for label, _, new in plan.changes}
    facts = []
    for label, value in plan.facts:
        if label == "Technicians":
            value = after.get(label, value)
        elif label == "Appointment" and "When" in after:  # "#5013 · <old time>" -> the new time
            value = f"{value.split(' · ')[0]} · {after['When']}"
        elif label == "Job" and "Status" in after:  # "#1007 · Drain Cleaning (Scheduled)" -> "(Canceled)"
            value = re.sub(r"\([^()]*\)$", f"({after['Status']})", value)
        facts.append((label, value))
    return facts


def retry(s: Conversation, message: str, *, check: bool, title: str | None = None) -> Reply:
    """A failed write: what went wrong, with the card's own actions (same token) to try again or drop it.

    Not `replaces_card`: the confirmation card stays, and its buttons keep working.
    """
    return Reply(
        kind="error",
        text=message,
        title=title,
        buttons=[
            Button(action="confirm", label="Check & retry" if check else "Try again", style="primary"),
            Button(action="abandon", label=ABANDON_LABEL),
        ],
        token=s.token,
    )


def already(s: Conversation) -> Reply:
    """A repeated confirm: being done, not done yet (the card is still there), or done."""
    if s.phase == "applying":
        return text("That's already being done; I'll only do it once.")
    if s.phase == "confirming" and s.pending is not None and s.pending.plan is not None:
        return text("That didn't go through yet; the card's button is still there to try again.")
    done = s.last_done or "That change"
    return text(f"Already done: {done}")


def already_there(intent: str, job_id: int, data: Any) -> str:
    """ "Cancel job 1006" when it is canceled (or hold one on hold): say so, with why and what to do."""
    write = WRITES[intent]
    assert write.leaves is not None
    facts = dict(data.get("facts") or []) if isinstance(data, dict) else {}
    why = facts.get(f"Why {write.leaves.words}")  # show_job's "Why canceled", "Why on hold"
    because = f" ({why})" if why else ""
    hint = write.already_hint.format(job_id=job_id)
    return f"Job {job_id} is already {write.leaves.words}{because}. {hint}".rstrip()


# What each role can ask, grouped as help shows it (the live examples below them work on today's data)
_FIND = (
    "Find",
    "show job 1006 · show appointment 5040 · whats the address for 1024 · special instructions on 1030 · "
    "notes on job 1001 · find canceled jobs last week · holds this week · unassigned jobs this weekend · "
    "jobs for Barbara White · jobs at 396 Hillcrest · furnace jobs next week · whats in the repipe project · "
    "projects in progress · who canceled job 1006 · cancellations by reason this month",
)
_CHANGE = (
    "Change (a card shows what will change; nothing is written until you press its button)",
    "reschedule job 1009 to monday 10am · move appt 5016 to 3pm · assign Mike to job 1010 · "
    "unassign Sarah from 1012 · put job 1011 on hold, waiting for parts · take 1011 off hold · "
    "cancel job 1012, duplicate booking · book a drain cleaning for Alice Johnson tomorrow morning · "
    "add a note to job 1013: gate code 4411 · undo",
)
_ALERTS = ("Alerts", "alert me about holds and cancellations · stop alerts")
_DAY = (
    "Technicians' day",
    "what's Mike doing tomorrow · whos free tmrw afternoon · Sarah's appointments this week",
)
_MY_DAY = ("Your day", "my appointments today · whats my next job · my jobs this week · notes on job 1001")
HELP_GROUPS: dict[str, tuple[tuple[str, str], ...]] = {
    "dispatcher": (_FIND, _CHANGE, _ALERTS, _DAY),
    "manager": (_FIND, _CHANGE, _ALERTS, _DAY),
    "technician": (
        _MY_DAY,
        ("Find", "show job 1006 · whats the address for 1024 · special instructions on 1030"),
    ),
    "guest": (),
}


def help_reply(asker: Asker, live: list[str] | None = None) -> Reply:
    examples = live or HELP_EXAMPLES.get(asker.role, HELP_EXAMPLES["guest"])
    role_line = {
        "dispatcher": "You're a dispatcher: you can look things up and change jobs and appointments.",
        "manager": "You're a manager: you can look things up and change jobs and appointments.",
        "technician": "You're a technician: you can look up your appointments, jobs and notes.",
        "guest": "You're not linked to ServiceTitan yet, so I can only show this help. Ask an admin to link you.",
    }[asker.role]
    groups = list(HELP_GROUPS[asker.role])
    if asker.role == "technician":
        groups.append(("Changes", "made by the office, or in the ServiceTitan mobile app"))
    return Reply(
        kind="list",
        title="What I can do",
        text="\n".join(
            [role_line, *(f"{name}: {phrases}" for name, phrases in groups), "Try (on today's jobs):"]
        )
        + "\n"
        + "\n".join(f"• {e}" for e in examples)
        + "\nSay *cancel* at any point to drop a request.",
        facts=[Fact(label=name, value=phrases) for name, phrases in groups],
        lines=list(examples),  # each works on the live data as it is now
        read_only=True,
    )


def customer_label(row: dict[str, Any]) -> str:
    found = row.get("address")
    address: dict[str, Any] = found if isinstance(found, dict) else {}
    where = ", ".join(str(address[k]) for k in ("street", "city") if address.get(k))
    return f"{row.get('name', '')}" + (f" · {where}" if where else "") + f" (#{row['id']})"


def then_note(then: dict[str, Any]) -> str:
    """Said before the first card of a message holding two requests ("… and assign mike chen")."""
    if then.get("intent") == "unknown":
        return (
            f"I'll do the first part only: I didn't understand “{then['text']}”, so that part won't be done."
        )
    return f"One at a time: this first, then I'll ask you about “{then['text']}”."
