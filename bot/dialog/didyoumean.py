"""Asking instead of guessing: "Did you mean…" with a button for each likely reading of an unsure parse.

The parser (`intents.parse`) says it is unsure by adding `alternatives` (other plausible readings, most
likely first) to its answer, or a low `confidence` for a reading its fallback classifier made. Then the
dialog does not guess (unless the likeliest reading is a look-up, which changes nothing and is answered): it shows up to three readings in words with their slots (*Cancel job 3307*,
*Show job 3307*) and *Something else*. Pressing a reading continues exactly as if the user had typed that
request (`bot.dialog.engine` starts it like any other: a write still goes through its card, roles apply);
*Something else* says what the bot can do, with help's live examples (ids that exist in the tenant's data).
Text with no plausible reading gets "I didn't understand", with live examples too.

Pure functions of the conversation and the parser's answer; the engine moves the phases.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time
from typing import Any

from bot.dialog import cues, timefmt
from bot.dialog.catalog import READ_INTENTS, READER_ROLES, WRITE_INTENTS, WRITER_ROLES
from bot.dialog.messages import Asker, Button, Reply
from bot.dialog.rules import pick_option
from bot.dialog.settle import new_token
from bot.dialog.state import Conversation, OfferedReadings
from bot.dialog.writes import WRITES

MAX_READINGS = 3  # buttons besides "Something else"
# A reading the parser's classifier made with less confidence than this is asked about, not taken.
UNSURE_BELOW = 0.8
SOMETHING_ELSE = "else"  # the value of the "Something else" button
PROMPT = "Did you mean…"
MAX_LABEL = 75  # Slack's button text

# How each request is said on its button, with the slots it was given. `{target}` is "job 3307",
# "appointment 5001" (or "a job"); `{visit}` an appointment ("appointment 5001", "the visit of job 3307");
# `{technician}` the name said (or "a technician"); `{to_when}`,
# `{on_when}` and `{range}` a time said (or nothing); `{status}` a status filter ("canceled ").
# A write intent's line is the `say` of its module (bot/dialog/writes/<intent>.py); the others are here.
# Every intent the dialog can do has a line (tests/dialog/test_did_you_mean.py fails on one missing).
SAY: dict[str, str] = {
    **{intent: write.say for intent, write in WRITES.items()},
    "running_late": "Tell the office you're running late to {target}",
    "show_job": "Show {target}",
    "list_notes": "Notes on {target}",
    "find_jobs": "Find {status}jobs{range}",
    "list_appointments": "Appointments{of_technician}{range}",
    "find_projects": "Find projects{range}",
}

# Readings that are no request of the parser's: undoing the last change, offered for "cancel that" right
# after it (understand._cancel_which)
NOT_PARSED: dict[str, str] = {"undo": "Undo the change to {target}"}


# ---- reading the parser's answer --------------------------------------------------------------------------


def may_ask(role: str, intent: str) -> bool:
    """Whether someone in `role` may make this request (what is offered to them)."""
    if intent in WRITE_INTENTS:
        return role in WRITER_ROLES
    return intent in READ_INTENTS and role in READER_ROLES


def unsure_readings(parsed: dict[str, Any], asker: Asker, text: str | None = None) -> list[dict[str, Any]]:
    """The readings to offer when the parse is unsure (most likely first, at most three, only requests
    the asker may make, and of `text` when given only changes it has a word of: `cues.may_offer`);
    empty when it is sure, or when nothing plausible is left to offer."""
    alternatives = [a for a in parsed.get("alternatives") or [] if isinstance(a, dict)]
    confidence = parsed.get("confidence")
    doubtful = isinstance(confidence, int | float) and confidence < UNSURE_BELOW
    if not alternatives and not doubtful:
        return []
    if parsed.get("intent") in READ_INTENTS and may_ask(asker.role, str(parsed.get("intent"))):
        return []  # a look-up on top is answered: it changes nothing and shows what it read ("who canceled 1004")
    top = {"intent": parsed.get("intent"), "slots": parsed.get("slots") or {}}
    readings: list[dict[str, Any]] = []
    seen: set[str] = set()
    for reading in [top, *alternatives]:
        intent, slots = str(reading.get("intent") or ""), reading.get("slots") or {}
        key = json.dumps([intent, slots], sort_keys=True, default=str)
        if key in seen or not isinstance(slots, dict) or not may_ask(asker.role, intent):
            continue
        if text is not None and not cues.may_offer(intent, text):
            continue  # "swap 1041 and 1011 times": never *Cancel job 1041*
        seen.add(key)
        readings.append({"intent": intent, "slots": dict(slots)})
    readings = readings[:MAX_READINGS]
    if len(readings) == 1 and readings[0]["intent"] == top["intent"] and not doubtful:
        return []  # every other reading is one this asker can't make: the top one is the request
    return readings


# ---- words ------------------------------------------------------------------------------------------------


def words(intent: str, slots: dict[str, Any]) -> str:
    """A request said in words with its slots: "Cancel job 3307", "Assign Mike to job 1010"."""
    fields = {
        "target": _target(slots),
        "visit": _visit(slots),
        "technician": str(slots.get("technician") or "a technician"),
        "to_when": _when(slots.get("when"), " to "),
        "on_when": _when(slots.get("when"), " "),
        "range": _range(slots.get("range")),
        "status": f"{str(slots['status']).replace('_', ' ')} " if slots.get("status") else "",
        "for_customer": _customer(slots),
        "of_technician": f" of {slots['technician']}" if slots.get("technician") else "",
    }
    said = (SAY | NOT_PARSED).get(intent, intent.replace("_", " ").capitalize()).format(**fields)
    return said if len(said) <= MAX_LABEL else said[: MAX_LABEL - 1] + "…"


def _target(slots: dict[str, Any]) -> str:
    if slots.get("appointment_id") is not None:
        return f"appointment {slots['appointment_id']}"
    if slots.get("job_id") is not None:
        return f"job {slots['job_id']}"
    return "a job"


def _visit(slots: dict[str, Any]) -> str:
    if slots.get("appointment_id") is None and slots.get("job_id") is not None:
        return f"the visit of job {slots['job_id']}"
    return _target(slots) if slots.get("appointment_id") is not None else "a visit"


def _customer(slots: dict[str, Any]) -> str:
    if slots.get("customer_id") is not None:
        return f" for customer {slots['customer_id']}"
    return f" for {slots['customer']}" if slots.get("customer") else ""


def _when(value: Any, lead: str) -> str:
    """A `when` slot as words: " to Fri Nov 27, 2:00 PM" (each part only when said)."""
    if not isinstance(value, dict):
        return ""
    parts = []
    try:
        if value.get("date"):
            parts.append(timefmt.short_day(date.fromisoformat(str(value["date"]))))
        if value.get("start"):
            parts.append(timefmt.clock(time.fromisoformat(str(value["start"]))))
    except ValueError:
        return ""
    return f"{lead}{', '.join(parts)}" if parts else ""


def _range(value: Any) -> str:
    if not isinstance(value, dict) or not value.get("from"):
        return ""
    try:
        first = date.fromisoformat(str(value["from"]))
        last = date.fromisoformat(str(value.get("to") or value["from"]))
    except ValueError:
        return ""
    if first == last:
        return f" on {timefmt.short_day(first)}"
    return f" {timefmt.short_day(first)} – {timefmt.short_day(last)}"


# ---- the question and its answer --------------------------------------------------------------------------


def offer(s: Conversation, readings: list[dict[str, Any]], now: datetime) -> Reply:
    """Show the readings as buttons, plus "Something else"; the conversation waits in `choosing`."""
    labelled = [{**r, "label": words(str(r["intent"]), dict(r["slots"]))} for r in readings]
    s.token = new_token(s, now, "did-you-mean")
    s.offered = OfferedReadings(token=s.token, readings=labelled)
    s.phase = "choosing"
    buttons = [Button(action="choose", label=r["label"], value=str(i)) for i, r in enumerate(labelled)]
    buttons.append(Button(action="choose", label="Something else", value=SOMETHING_ELSE))
    lines = [f"• {r['label']}" for r in labelled] + ["• Something else"]
    return Reply(kind="choice", text="\n".join([PROMPT, *lines]), buttons=buttons, token=s.token)


def picked(s: Conversation, value: str, token: str) -> dict[str, Any] | str | None:
    """What a press on the offer means: a reading ({intent, slots}), SOMETHING_ELSE, or None when it is
    not a press on the offer shown (an older message's, or no offer)."""
    shown = s.offered
    if shown is None or token != shown.token:
        return None
    if value == SOMETHING_ELSE:
        return SOMETHING_ELSE
    if value.isdigit() and int(value) < len(shown.readings):
        reading = shown.readings[int(value)]
        return {"intent": str(reading["intent"]), "slots": dict(reading.get("slots") or {})}
    return None


def typed_pick(s: Conversation, text: str) -> str | None:
    """The value of the offer's button a typed number or ordinal means ("2", "the first one")."""
    shown = s.offered
    if shown is None:
        return None
    # keyed by position: pick_option also takes an option's value typed, and "1" is no button's value
    values = [str(i) for i in range(len(shown.readings))] + [SOMETHING_ELSE]
    labels = [str(r.get("label", "")) for r in shown.readings] + ["Something else"]
    words_said = text.split()
    if len(words_said) > 3 or any(w.isdigit() and len(w) > 2 for w in words_said):
        return None  # a new request ("show job 1006"), not a pick
    position = pick_option(text, [(f"reading{i}", label) for i, label in enumerate(labels)])
    return values[int(position.removeprefix("reading"))] if position else None


def leave(s: Conversation) -> None:
    """The offer is gone (the user said or pressed something else): back to idle if it was all there was."""
    s.offered = None
    if s.phase == "choosing" and s.pending is None:
        s.phase = "idle"


# ---- what the bot can do, with live examples --------------------------------------------------------------

HELP_PURPOSES = ("something_else", "not_understood")


def something_else(live: list[str] | None) -> Reply:
    """The answer to "Something else": what to say, with examples that work on the data now."""
    if not live:
        return Reply(
            kind="text",
            text="OK. Say what you need in your own words, or *help* to see everything I can do.",
            read_only=True,
        )
    return Reply(
        kind="list",
        title="What I can do",
        text="OK. Say what you need in your own words, for example:\n"
        + "\n".join(f"• {e}" for e in live)
        + "\nSay *help* to see everything I can do.",
        lines=list(live),
        footnote="Say *help* to see everything I can do.",
        read_only=True,
    )


def not_understood(live: list[str] | None) -> Reply:
    """ "I didn't understand", with two examples that work on the data now (ids that exist)."""
    examples = _two(live or [])
    tries = " or ".join(f"*{e}*" for e in examples)
    hint = f"Try {tries}, or *help* for more." if examples else "Say *help* to see what I can do."
    return Reply(kind="text", text=f"Sorry, I didn't understand that. {hint}")


def _two(live: list[str]) -> list[str]:
    """The first example and the first look-up among them ("show job …"): a change and a question."""
    usable = [e for e in live if e != "help"]
    if not usable:
        return []
    look = next((e for e in usable[1:] if e.startswith(("show ", "my "))), None)
    return [usable[0], look] if look else usable[:1]
