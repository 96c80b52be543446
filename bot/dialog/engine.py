"""The dialog as a pure state machine: `step(state, event, now) -> (new_state, effects)`.

No Slack, Redis or HTTP here. User events (Said, Pressed, PickedDate) and the results of the effects it
asked for (Loaded, Called, ClaimLost) go in; a new Conversation and a list of effects (Ask,
ShowConfirmation, Say, Load, CallServiceTitan) come out. bot/dialog/runner.py performs the effects and
bot/dialog/service.py feeds their results back, so every conversation can be replayed from its events.

Text is understood with the intent parser (`intents.parse` for a whole request, `intents.parse_slot` for
the answer to one question); both are pure functions of the text, `now` and the user's time zone.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date, datetime, time, timedelta
from typing import Any

from bot.dialog.catalog import (
    ANSWER_CONTEXT,
    CORRECTABLE,
    DEPENDENTS,
    DOING,
    FREE_TEXT_SLOTS,
    HELP_EXAMPLES,
    INTENT_QUESTIONS,
    INTENT_SLOTS,
    QUESTIONS,
    READ_INTENTS,
    READER_ROLES,
    UNDO_MINUTES,
    WRITE_INTENTS,
    WRITE_STEPS,
    WRITER_ROLES,
)
from bot.dialog.messages import (
    Asker,
    Button,
    Change,
    Choice,
    DateEdit,
    Event,
    Fact,
    Option,
    PickedDate,
    Pressed,
    Reply,
    Said,
)
from bot.dialog.reads.registry import first_page, next_page, read_lookup
from bot.dialog.resolve import (
    AskFor,
    NeedLoad,
    Offer,
    Ready,
    Reject,
    Stop,
    active_rows,
    is_mention,
    names_me,
    resolve,
)
from bot.dialog.rules import match_technician, pick_option
from bot.dialog.state import (
    ACTIVE_PHASES,
    Ask,
    Called,
    CallServiceTitan,
    ClaimLost,
    Conversation,
    Effect,
    Load,
    Loaded,
    OfferedChoice,
    Pending,
    Phase,
    Plan,
    Say,
    ShowConfirmation,
    UndoOffer,
)
from intents import parse, parse_slot

InternalEvent = Loaded | Called | ClaimLost
# The button that drops a request. Never "Cancel": next to "Cancel job" a dispatcher could press the wrong one.
ABANDON_LABEL = "Never mind"
APPLY_TIMEOUT = timedelta(minutes=5)

_ABANDON = {
    "cancel",
    "cancel it",
    "cancel that",
    "never mind",
    "nevermind",
    "nvm",
    "stop",
    "forget it",
    "abort",
    "quit",
}
_CARD = "_card"  # Pending.data: the card as it was before a correction, restored if the correction is refused
_REFUSED = "_refused"  # Pending.data flag: the last thing said about the request was a refusal
_EITHER = "_job_or_appointment"  # Pending.data: a number given for "Which job or appointment?"
_EITHER_TRIED = "_tried_as_appointment"  # Pending.data: that number, now tried as an appointment id
_CUSTOMER_NAME = "_customer_name"  # Pending.data: the name a customer lookup is running for
_BARE_NUMBER = re.compile(r"#?\s*(\d+)")
_NAME = re.compile(r"[^\W\d_]{2,}")
_WITH = re.compile(r"(?P<head>.*?)\bwith\s+(?P<name>[^\d,]+?)\s*[.!]?", re.IGNORECASE)
# Free-text slots where a number is a fair answer (a gate code in a note)
_NUMBER_TEXT_SLOTS = frozenset({"text", "summary", "job_changes"})
# Why a number does not answer a question, said before the question again
_NUMBER_IS_NOT: dict[str, str] = {
    "technician": "I need a technician's name there, not a number.",
    "when": "I need a day or a time there, not a number.",
    "reason": "I need the reason in words, not a number.",
    "job_type": "I need the type of job in words, not a number.",
}
_GLOBAL_INTENTS = frozenset({"subscribe_alerts", "unsubscribe_alerts"})  # answered without leaving the dialog
_YES = {"yes", "y", "yeah", "yep", "sure", "ok", "okay", "switch", "drop it"}
_NO = {"no", "n", "nope", "keep", "keep it", "keep the current one"}
_CONFIRM_WORDS = {
    "yes",
    "y",
    "yeah",
    "yep",
    "confirm",
    "do it",
    "go ahead",
    "ok",
    "okay",
    "sure",
    "yes please",
}
_UNDO = {"undo", "undo that", "undo it", "undo this", "undo the last change", "please undo", "undo please"}
# Lead-ins stack ("no, make it Sarah", "sorry, actually friday"): strip them all.
_CORRECTION_LEAD = re.compile(
    r"^\s*(?:(?:no|nope|nah|actually|wait|sorry|oops|instead|rather|i meant|i mean|make it|make that|"
    r"change it to|change that to|change to|switch to|better|how about|what about|let's do|lets do)"
    r"\b[\s,.:;!-]*)+",
    re.IGNORECASE,
)


def step(
    state: Conversation, event: Event | InternalEvent, now: datetime
) -> tuple[Conversation, list[Effect]]:
    """One transition. `state.asker` must be set (the surface tells who is talking on every event)."""
    s = state.model_copy(deep=True)
    if isinstance(event, Loaded):
        return s, _on_loaded(s, event, now)
    if isinstance(event, Called):
        return s, _on_called(s, event, now)
    if isinstance(event, ClaimLost):
        return s, [Say(_already(s))]
    effects: list[Effect] = []
    if s.phase == "applying" and s.updated_at and now - s.updated_at > APPLY_TIMEOUT and s.pending:
        # The process applying it stopped before recording the outcome: the write may or may not have been
        # made. Back to the card, and the next confirm checks ServiceTitan before sending anything.
        what = describe(s.pending, s.asker)
        s.phase, s.unsure, s.updated_at = "confirming", True, now
        effects.append(
            Say(
                _retry_reply(
                    s,
                    f"I couldn't confirm whether my request to {what} went through. {_CHECK_HINT}",
                    check=True,
                )
            )
        )
    if _is_expired(s, now):
        assert s.pending is not None
        s.expired, s.pending, s.switch_to, s.phase = s.pending, None, None, "idle"
        s.token = _token(s, now, "expired")
        effects.append(
            Say(
                Reply(
                    kind="text",
                    text=(
                        f"Your request to {describe(s.expired, s.asker)} expired after {s.idle_minutes} minutes "
                        "without an answer, so nothing was changed. Resume it?"
                    ),
                    buttons=[Button(action="resume", label="Resume")],
                    token=s.token,
                )
            )
        )
        if isinstance(event, Pressed | PickedDate) and not (
            isinstance(event, Pressed) and event.action == "resume"
        ):
            return s, effects
    s.updated_at = now
    if isinstance(event, Said):
        effects += _on_said(s, event.text, now)
    elif isinstance(event, Pressed):
        effects += _on_pressed(s, event, now)
    else:
        effects += _on_picked_date(s, event, now)
    return s, effects


# ---- helpers ----------------------------------------------------------------------------------------------


def _asker(s: Conversation) -> Asker:
    return s.asker or Asker(user_id="?", tz="UTC", role="guest")


def _is_expired(s: Conversation, now: datetime) -> bool:
    return (
        s.phase in ACTIVE_PHASES
        and s.pending is not None
        and s.updated_at is not None
        and now - s.updated_at > timedelta(minutes=s.idle_minutes)
    )


def _token(s: Conversation, now: datetime, salt: str) -> str:
    seed = f"{s.token}|{now.isoformat()}|{salt}|{s.pending.model_dump_json() if s.pending else ''}"
    return hashlib.sha256(seed.encode()).hexdigest()[:16]


def _norm(text: str) -> str:
    return re.sub(r"[\s.!?]+$", "", text.strip().casefold())


def _parse(text: str, now: datetime, tz: str) -> dict[str, Any]:
    try:
        parsed = parse(text, now=now, tz=tz)
    except Exception:  # the parser promises never to raise; a dialog must survive if it ever does
        return {"intent": "unknown", "slots": {}}
    return parsed if isinstance(parsed, dict) else {"intent": "unknown", "slots": {}}


def _parse_slot(slot: str, text: str, now: datetime, tz: str) -> Any:
    try:
        return parse_slot(slot, text, now=now, tz=tz)
    except Exception:
        return None


def describe(p: Pending, asker: Asker | None) -> str:
    """A short phrase for a pending request: "reschedule job 1001 to Friday, November 27, 2026"."""
    what = DOING.get(p.intent, p.intent.replace("_", " "))
    if p.plan is not None:
        title = p.plan.title.rstrip("?").replace("Undo: ", "undo ")
        detail = f" ({p.plan.changes[0][0]}: {p.plan.changes[0][2]})" if p.plan.changes else ""
        return title[:1].lower() + title[1:] + detail
    return f"finish {what}{_target_phrase(p)}"


def _target_phrase(p: Pending) -> str:
    """What a request without a card is about, as a tail: ' for job 1001', ' for appointment 5001' or ''."""
    if p.slots.get("job_id") is not None:
        return f" for job {p.slots['job_id']}"
    if p.slots.get("appointment_id") is not None:
        return f" for appointment {p.slots['appointment_id']}"
    return ""


def _question(intent: str, slot: str) -> tuple[str, str]:
    return INTENT_QUESTIONS.get((intent, slot)) or QUESTIONS.get(slot) or (f"What's the {slot}?", "")


def _confirmation_reply(s: Conversation, plan: Plan) -> Reply:
    tz = _asker(s).tz
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
        facts=_facts_beside(plan.facts, plan.changes),
        changes=_changes(plan),
        warnings=list(plan.warnings),
        date_edit=edit,
        buttons=[
            Button(action="confirm", label=plan.verb, style="primary"),
            Button(action="abandon", label=ABANDON_LABEL),
        ],
        footnote=f"Times in {tz}",
        token=s.token,
    )


def _changes(plan: Plan) -> list[Change]:
    return [Change(label=label, before=before, after=after) for label, before, after in plan.changes]


def _facts_beside(facts: list[tuple[str, str]], changes: list[tuple[str, str, str]]) -> list[Fact]:
    """The facts a card shows next to its changes: one that is also a change ("Technicians") is shown
    once, as the change (before → after)."""
    changed = {label for label, _, _ in changes}
    return [Fact(label=label, value=value) for label, value in facts if label not in changed]


# ---- user text --------------------------------------------------------------------------------------------


def _on_said(s: Conversation, text: str, now: datetime) -> list[Effect]:
    asker = _asker(s)
    said = _norm(text)
    if s.phase == "applying":
        return [Say(_already(s))]
    if said in _UNDO and (s.pending is None or s.phase not in ACTIVE_PHASES):
        # typed instead of pressing the Undo button of the last change
        if s.undo is None:
            return [
                Say(
                    Reply(
                        kind="text",
                        text=(
                            "There's no recent change of yours to undo. Undo is offered on the message of a "
                            f"change for {UNDO_MINUTES} minutes after it is made."
                        ),
                    )
                )
            ]
        return _on_pressed(s, Pressed(action="undo", token=s.undo.token), now)
    if said in _ABANDON:
        return _abandon(s, now)
    if s.phase == "switching" and s.switch_to is not None:
        if said in _YES:
            return _switch(s, now)
        if said in _NO:
            return _keep(s, now)
        s.switch_to = None
        s.phase = _resting_phase(s)
    parsed = _parse(text, now, asker.tz)
    intent = str(parsed.get("intent", "unknown"))
    slots = dict(parsed.get("slots") or {})
    if intent == "cancel_dialog":
        return _abandon(s, now)
    if s.pending is not None and s.phase in ACTIVE_PHASES:
        return _continue(s, text, intent, slots, now)
    lone = _BARE_NUMBER.fullmatch(said)
    if lone and len(lone[1]) <= 2:
        # "1" with nothing asked is a button number typed after the buttons went, not job 1
        return [
            Say(
                Reply(
                    kind="text",
                    text=(
                        f"Nothing is waiting for an answer, so I don't know what “{said}” is for. "
                        "To look up a job, say e.g. *show job 1001*."
                    ),
                )
            )
        ]
    if intent == "unknown" and s.last_read is not None:
        follow_up = _follow_up_read(s, text, now)
        if follow_up is not None:
            return follow_up
    return _start(s, intent, slots, now)


# "what about tomorrow?", "and friday", "how about next week" after a day list: the same look-up, another day.
_FOLLOW_UP_LEAD = re.compile(
    r"^\s*(?:(?:and|ok|okay|what about|how about|and for|for|then)\b[\s,.:;!-]*)+", re.IGNORECASE
)


def _follow_up_read(s: Conversation, text: str, now: datetime) -> list[Effect] | None:
    """A bare day or range after a list ("what about tomorrow") repeats that list for the new day(s)."""
    assert s.last_read is not None
    rest = _FOLLOW_UP_LEAD.sub("", text).strip().rstrip("?.! ")
    if not rest:
        return None
    days = _parse_slot("range", rest, now, _asker(s).tz)
    if not days:
        return None
    intent = str(s.last_read["intent"])
    return _start(s, intent, {**dict(s.last_read.get("slots") or {}), "range": days}, now)


def _abandon(s: Conversation, now: datetime) -> list[Effect]:
    if s.pending is None:
        s.phase = "idle"
        return [Say(Reply(kind="text", text="There's nothing in progress to cancel."))]
    if s.unsure:  # the earlier attempt may have gone through: don't claim it didn't
        text = (
            f"OK, I won't try to {_undone(s.pending)} again. My earlier attempt may or may not have gone "
            "through; check ServiceTitan."
        )
    else:
        text = f"OK, I won't {_undone(s.pending)}. Nothing was changed."
    s.pending, s.switch_to, s.phase, s.unsure = None, None, "idle", False
    s.token = _token(s, now, "abandon")
    return [Say(Reply(kind="text", text=text, replaces_card=True))]


def _undone(p: Pending) -> str:
    """What an abandoned request would have done, as a plain verb phrase: "delete appointment 5031"."""
    if p.plan is not None:
        title = p.plan.title.rstrip("?")
        title = title.removeprefix("Undo: ")  # "Undo: move job 1001 back" -> "move job 1001 back"
        return title[:1].lower() + title[1:]
    return f"go on with {DOING.get(p.intent, p.intent.replace('_', ' '))}{_target_phrase(p)}"


def _start(s: Conversation, intent: str, slots: dict[str, Any], now: datetime) -> list[Effect]:
    asker = _asker(s)
    if intent == "help":
        return [_help_lookup(asker)]
    if asker.role == "guest" and intent != "unknown":
        return _refusal(
            "Sorry, I can only help people linked to ServiceTitan. Ask an admin to link your "
            "Slack account to your ServiceTitan employee or technician. Say *help* to see what I do."
        )
    if intent in WRITE_INTENTS:
        if asker.role not in WRITER_ROLES:
            return _refusal(
                f"Sorry, only dispatchers and managers can make changes like {DOING[intent]}. "
                "Please ask the office. You can still look things up, e.g. *my appointments today*."
            )
        wanted = {k: v for k, v in slots.items() if k in INTENT_SLOTS[intent]}
        s.pending = Pending(intent=intent, slots=wanted, started_at=now)
        s.phase, s.unsure = "collecting", False
        s.undo = None if s.undo and s.undo.until < now else s.undo
        return _advance(s, now)
    if intent in READ_INTENTS:
        if asker.role not in READER_ROLES:
            return _refusal("Sorry, you can't look that up.")
        return _read(s, intent, slots, now)
    if intent in _GLOBAL_INTENTS:
        return [
            Say(
                Reply(
                    kind="text",
                    text=(
                        "Hold and cancel alerts are posted to the alert channel your admin set up "
                        "(ALERT_CHANNEL); join that channel to follow them."
                    ),
                )
            )
        ]
    return [
        Say(
            Reply(
                kind="text",
                text=(
                    "Sorry, I didn't understand that. Try *reschedule job 1001 to Friday 2pm*, "
                    "*show job 1001*, or *help* for more."
                ),
            )
        )
    ]


def _refusal(text: str) -> list[Effect]:
    """A request the asker's role may not make, refused. Read-only: it changes nothing and concerns only
    the asker, so in a channel Slack shows it to them alone (as it does help), not to everyone there."""
    return [Say(Reply(kind="text", text=text, read_only=True))]


def _help_lookup(asker: Asker) -> Load:
    """Help's examples come from live data (open jobs), through the runner's cache."""
    return Load("help", {"role": asker.role, "technician_id": asker.technician_id or 0, "tz": asker.tz})


def _help(asker: Asker, live: list[str] | None = None) -> Reply:
    examples = live or HELP_EXAMPLES.get(asker.role, HELP_EXAMPLES["guest"])
    role_line = {
        "dispatcher": "You're a dispatcher: you can look things up and change jobs and appointments.",
        "manager": "You're a manager: you can look things up and change jobs and appointments.",
        "technician": "You're a technician: you can look up your appointments, jobs and notes.",
        "guest": "You're not linked to ServiceTitan yet, so I can only show this help. Ask an admin to link you.",
    }[asker.role]
    return Reply(
        kind="list",
        title="What I can do",
        text=role_line
        + "\nTry:\n"
        + "\n".join(f"• {e}" for e in examples)
        + "\nSay *cancel* at any point to drop a request.",
        lines=list(examples),
        read_only=True,
    )


def _continue(s: Conversation, text: str, intent: str, slots: dict[str, Any], now: datetime) -> list[Effect]:
    p = s.pending
    assert p is not None
    tz = _asker(s).tz
    # Words that mean something anywhere ("help", "cancel" is handled before) come before any slot value.
    if intent == "help":
        return [_help_lookup(_asker(s))]  # answered, then the request shown again, in _on_loaded
    if intent in _GLOBAL_INTENTS:
        return [*_start(s, intent, slots, now), *_reprompt(s, now, "")]
    if s.phase == "choosing" and p.choice is not None:
        picked = pick_option(text, p.choice.options)
        if picked is not None:
            return _apply_choice(s, picked, now)
    said = _norm(text)
    if s.phase == "confirming" and p.plan is not None:
        if said in _CONFIRM_WORDS:  # typing "yes" is a click on the card's confirm button
            return _on_pressed(s, Pressed(action="confirm", token=s.token), now)
        if said in _NO:
            return _reprompt(s, now, "OK, not yet.")
    cleaned = _CORRECTION_LEAD.sub("", text).strip() or text
    if intent in READ_INTENTS and cleaned != text.strip():
        intent = "unknown"  # "no, job 1002" corrects the request; it isn't a look-up
    asked = p.asked if s.phase == "collecting" else None
    changed: dict[str, Any] = {}
    note = ""  # said before the next question or card (e.g. a part of the answer that was not used)
    answer = _parse_slot(asked, cleaned, now, tz) if asked and asked not in FREE_TEXT_SLOTS else None
    if answer is not None and intent in READ_INTENTS and len(text.split()) <= 2:
        intent, slots = "unknown", {}  # "1001" or "job 1001" answers the question; it isn't a look-up
    number = _BARE_NUMBER.fullmatch(cleaned)
    if number and answer is None and asked not in _NUMBER_TEXT_SLOTS:
        # A number answers the question asked or nothing: it is never a job look-up here.
        if asked is None and s.phase == "confirming" and len(number[1]) <= 2:  # a button's number
            return _reprompt(s, now, f"I didn't get “{cleaned}”.")
        if asked is None and s.phase == "choosing" and p.choice is not None and len(number[1]) <= 2:
            return _advance(
                s, now, problem=f"There's no option {number[1]}; pick 1 to {len(p.choice.options)}."
            )
        if asked is not None:
            return _advance(s, now, problem=_NUMBER_IS_NOT.get(asked, f"“{cleaned}” doesn't answer that."))
    if number and answer is not None and asked == "job_id" and "target" in WRITE_STEPS.get(p.intent, ()):
        p.data[_EITHER] = answer  # "Which job or appointment?" 5073: an appointment if no job has that id
    if (
        asked == "customer_id"
        and answer is None
        and intent == "unknown"
        and _NAME.search(cleaned)
        and not _parse_slot("when", cleaned, now, tz)  # "tomorrow 9am" is a day, not a customer's name
    ):
        p.data[_CUSTOMER_NAME] = cleaned  # a customer given by name: look it up (answered in _on_loaded)
        return [Load("customers_named", {"name": cleaned})]
    if asked in FREE_TEXT_SLOTS and intent not in WRITE_INTENTS | READ_INTENTS:
        value = _parse_slot(asked, text, now, tz)
        changed[asked] = value if value else text.strip()
        context = ANSWER_CONTEXT.get((p.intent, asked))
        whole = _parse(context.format(answer=cleaned), now, tz) if context else {}
        given = whole.get("slots") or {}
        if whole.get("intent") == p.intent and given.get(asked):
            changed = {k: v for k, v in given.items() if k in INTENT_SLOTS.get(p.intent, frozenset())}
    elif asked == "job_changes":
        reparsed = _parse(f"update job {p.slots.get('job_id')} {text}", now, tz)
        if reparsed.get("intent") == "update_job":
            changed = {k: v for k, v in (reparsed.get("slots") or {}).items() if k != "job_id"}
    elif _other_request(p, intent, slots, text, cleaned) and not _has_progress(p):
        # Nothing worth keeping (e.g. the request was just refused): start the new one without asking.
        s.pending, s.phase = None, "idle"
        return _start(s, intent, slots, now)
    elif _other_request(p, intent, slots, text, cleaned):
        s.switch_to = {"intent": intent, "slots": slots}
        s.phase = "switching"
        s.token = _token(s, now, "switch")
        return [
            Ask(
                Reply(
                    kind="ask",
                    text=(
                        f"You're in the middle of {DOING.get(p.intent, p.intent)}. "
                        f"Drop it and start {DOING.get(intent, intent)} instead?"
                    ),
                    buttons=[
                        Button(action="switch", label=f"Switch to {DOING.get(intent, intent)}"),
                        Button(action="keep", label="Keep the current one"),
                    ],
                    token=s.token,
                )
            )
        ]
    elif intent in READ_INTENTS:
        # A quick look-up mid-dialog is answered without dropping the request.
        return _read(s, intent, slots, now)
    else:
        if intent == p.intent or intent == "unknown" or intent not in WRITE_INTENTS:
            changed = {k: v for k, v in slots.items() if k in INTENT_SLOTS.get(p.intent, frozenset())}
        if asked and asked not in changed and answer is not None:
            changed[asked] = answer
        if asked:
            # "friday afternoon with Mike": the asked slot and a technician in one answer
            extra, note = _with_technician(p, asked, cleaned, now, tz)
            for slot, value in extra.items():
                changed[slot] = value
        if not changed and asked:
            # An answer fills the slot asked. Only a typed value ("friday 2pm", "appointment 5002") may
            # fill another slot: free text ("Alice Johnson" for a customer) never lands in the technician.
            if not number:
                changed = _first_correction(p, cleaned, now, tz, skip={*FREE_TEXT_SLOTS, "technician"})
        elif not changed:
            is_correction = cleaned != text.strip()
            skip: set[str] = set()
            if not is_correction and s.phase != "collecting":
                skip |= FREE_TEXT_SLOTS  # free text only replaces a slot when it reads as a correction
            if not is_correction and len(cleaned.split()) > 3:
                skip.add("technician")  # any words parse as a name; a sentence is not one
            changed = _first_correction(p, cleaned, now, tz, skip=skip)
    problem = note or "Sorry, I didn't get that."
    name = changed.get("technician")
    if name and s.phase in {"confirming", "choosing"} and not _may_be_technician(p, str(name)):
        # A card or a choice is shown: words that name no technician leave it as it is.
        del changed["technician"]
        problem = f"There's no active technician called “{name}”, so I left it as it was."
    if not changed:
        return _reprompt(s, now, problem)
    old_when = p.slots.get("when")
    new_when = changed.get("when")
    if isinstance(old_when, dict) and isinstance(new_when, dict) and _names_no_day(cleaned, now, tz):
        # "actually 3pm": a time alone keeps the day already chosen
        changed["when"] = {"date": old_when.get("date"), **{k: v for k, v in new_when.items() if k != "date"}}
    elif isinstance(old_when, dict) and isinstance(new_when, dict) and not new_when.get("start"):
        # "no, wednesday": a day alone keeps the time chosen so far (an earlier "actually 3pm")
        kept = {k: old_when[k] for k in ("start", "end") if old_when.get(k)}
        changed["when"] = {**new_when, **kept}
    if s.phase == "confirming" and p.plan is not None:
        if all(p.slots.get(slot) == value for slot, value in changed.items()):
            return _reprompt(s, now, "The card already says that.")
        # If ServiceTitan's data refuses the correction, the card comes back as it was (see _advance).
        p.data[_CARD] = {"slots": dict(p.slots), "plan": p.plan.model_dump(mode="json")}
    if s.phase == "choosing" and not note:
        # "monday 3pm" while a list is shown answers a later question: say it was kept, not ignored
        note = "Got it, I'll use that."
    _set_slots(p, changed)
    return _advance(s, now, problem=note or None)


def _first_correction(
    p: Pending, text: str, now: datetime, tz: str, *, skip: set[str] | frozenset[str]
) -> dict[str, Any]:
    """The first slot of CORRECTABLE's order for the request, outside `skip`, that `text` gives a value for."""
    for slot in CORRECTABLE.get(p.intent, ()):
        if slot in skip:
            continue
        value = _parse_slot(slot, text, now, tz)
        if value is not None and value != "":
            return {slot: value}
    return {}


def _with_technician(p: Pending, asked: str, text: str, now: datetime, tz: str) -> tuple[dict[str, Any], str]:
    """Split an answer like "friday afternoon with Mike" into the asked slot and a technician.

    The parser reads such a fragment as no request at all, so the part after "with" is read as a
    technician's name and the part before it as the asked slot (or a day and time). Returns the slots
    found and a note about a part this request has no use for ("assigning doesn't move the visit").
    """
    match = _WITH.fullmatch(text)
    wanted = INTENT_SLOTS.get(p.intent, frozenset())
    if match is None:
        return {}, ""
    if "technician" not in wanted:
        if _parse_slot("technician", match["name"], now, tz) and asked != "technician":
            return {}, (
                f"{DOING.get(p.intent, p.intent).capitalize()} doesn't change who is assigned; "
                "say *assign …* for that."
            )
        return {}, ""
    found: dict[str, Any] = {}
    name = _parse_slot("technician", match["name"], now, tz)
    if name:
        found["technician"] = name
    head = match["head"].strip(" ,")
    if head:
        value = _parse_slot(asked, head, now, tz) if asked != "technician" else None
        when = _parse_slot("when", head, now, tz) if value is None else None
        if value is not None:
            found[asked] = value
        elif when and "when" in wanted:
            found["when"] = when
        elif when:
            return found, (
                f"{DOING.get(p.intent, p.intent).capitalize()} doesn't change when the visit is; "
                "say *reschedule* for that."
            )
    return found, ""


def _already_there(p: Pending) -> int | None:
    """The job id when the request is to cancel a canceled job or hold a job on hold."""
    status = {"cancel_job": "Canceled", "hold_job": "Hold"}.get(p.intent)
    job_id = p.slots.get("job_id")
    found = p.data.get(Load("job", {"job_id": job_id}).key) if job_id is not None else None
    job = found.get("job") if isinstance(found, dict) else None
    if status and isinstance(job, dict) and job.get("job_status") == status:
        return int(job["id"])
    return None


def _why_load(p: Pending, job_id: int, tz: str) -> Load:
    """The job look-up that says why it is canceled or on hold (the same read as *show job*)."""
    slots = json.dumps({"job_id": job_id}, sort_keys=True)
    return Load("read", {"intent": "show_job", "slots": slots, "tz": tz, "purpose": "why"})


def _already_text(intent: str, job_id: int, data: Any) -> str:
    facts = dict(data.get("facts") or []) if isinstance(data, dict) else {}
    if intent == "cancel_job":
        why = facts.get("Why canceled")
        because = f" ({why})" if why else ""
        return f"Job {job_id} is already canceled{because}. Say *uncancel job {job_id}* to bring it back."
    why = facts.get("Why on hold")
    because = f" ({why})" if why else ""
    return f"Job {job_id} is already on hold{because}. Say *show job {job_id}* for its details."


def _no_such_job(p: Pending, job_id: Any) -> bool:
    """Whether the lookup of `job_id` found neither the job nor any appointment of it."""
    found = p.data.get(Load("job_appointments", {"job_id": job_id}).key)
    return isinstance(found, dict) and found.get("job") is None and not found.get("appointments")


def _other_request(p: Pending, intent: str, slots: dict[str, Any], text: str, cleaned: str) -> bool:
    """Whether the message starts a different write: with values, or a bare one ("reschedule") that is
    not worded as a correction of this one."""
    return intent in WRITE_INTENTS and intent != p.intent and bool(slots or cleaned == text.strip())


def _has_progress(p: Pending) -> bool:
    """Whether dropping `p` loses anything: a card or a choice shown, or slots given since a refusal."""
    if p.plan is not None or p.choice is not None:
        return True
    return bool(p.slots) and not p.data.get(_REFUSED)


def _may_be_technician(p: Pending, name: str) -> bool:
    """Whether `name` matches an active technician in the list already looked up (True when none was)."""
    rows = p.data.get(Load("technicians").key)
    if rows is None or names_me(name) or is_mention(name):
        return True
    return match_technician(name, active_rows(rows)).kind != "none"


def _names_no_day(text: str, now: datetime, tz: str) -> bool:
    """True when the text gives a time of day but no day ("3pm", "at 4"), per the parser's time grammar."""
    try:
        from intents.timeparse import local_now, resolve_tokens, tokenize
    except ImportError:
        return False
    try:
        resolved = resolve_tokens(tokenize(text), local_now(now, tz).date())
    except Exception:
        return False
    if resolved is None:
        return False
    return resolved.day is None and resolved.span is None and resolved.target is None


def _set_slots(p: Pending, changed: dict[str, Any]) -> None:
    p.data.pop(_REFUSED, None)  # the user answered: what they give now is progress again
    for slot, value in changed.items():
        p.slots[slot] = value
        for dependent in DEPENDENTS.get(slot, ()):
            if dependent not in changed:
                p.slots.pop(dependent, None)
    p.plan = None
    p.choice = None


def _resting_phase(s: Conversation) -> Phase:
    p = s.pending
    if p is None:
        return "idle"
    if p.plan is not None:
        return "confirming"
    return "choosing" if p.choice is not None else "collecting"


def _reprompt(s: Conversation, now: datetime, prefix: str) -> list[Effect]:
    """Say what went wrong and show the current question or confirmation again."""
    p = s.pending
    assert p is not None
    if s.phase == "confirming" and p.plan is not None:
        reply = _confirmation_reply(s, p.plan)
        hint = f"{prefix} Say what to change (e.g. _no, Thursday_), *yes* to confirm, or *cancel*.".strip()
        return [Say(Reply(kind="text", text=hint)), ShowConfirmation(reply)]
    return _advance(s, now, problem=prefix)


def _apply_choice(s: Conversation, value: str, now: datetime) -> list[Effect]:
    p = s.pending
    assert p is not None and p.choice is not None
    slot = p.choice.slot
    p.data.pop(_REFUSED, None)
    p.slots[slot] = int(value) if value.lstrip("-").isdigit() else value
    p.choice = None
    p.plan = None
    return _advance(s, now)


def _advance(s: Conversation, now: datetime, problem: str | None = None) -> list[Effect]:
    """Resolve the pending write as far as the data allows and say the next thing."""
    p = s.pending
    assert p is not None
    asker = _asker(s)
    problems = [problem] if problem else []
    for _ in range(20):  # each Reject clears a slot, so this ends; the bound guards a bad table
        outcome = resolve(p, asker, now, campaign_id=s.campaign_id)
        if isinstance(outcome, Reject):
            either = p.data.get(_EITHER)
            if either is not None and p.slots.get("job_id") == either and _no_such_job(p, either):
                # "Which job or appointment?" 5073: no job has that number, so try the appointment
                p.data.pop(_EITHER)
                p.slots.pop("job_id")
                p.slots["appointment_id"] = p.data[_EITHER_TRIED] = either
                continue
            already = _already_there(p)
            if already is not None:
                # "cancel job 1006" when it is canceled: say so, with why, and how to undo it
                why = _why_load(p, already, asker.tz)
                if why.key not in p.data:
                    if problems:
                        p.data["_problem"] = " ".join(problems)
                    return [why]
                outcome = Reject(outcome.clear, _already_text(p.intent, already, p.data.pop(why.key)))
            tried = p.data.pop(_EITHER_TRIED, None)
            if (
                tried is not None
                and "appointment_id" in outcome.clear
                and p.slots.get("appointment_id") == tried
            ):
                outcome = Reject(outcome.clear, f"I can't find a job or an appointment {tried}.")
            problems.append(outcome.problem)
            if _CARD in p.data:
                return _restore_card(s, now, " ".join(problems))
            p.data[_REFUSED] = True
            for slot in outcome.clear:
                p.slots.pop(slot, None)
                for dependent in DEPENDENTS.get(slot, ()):
                    p.slots.pop(dependent, None)
            continue
        break
    prefix = " ".join(problems)
    if isinstance(outcome, NeedLoad):
        if prefix:
            p.data["_problem"] = prefix
        return [outcome.load]
    tried = p.data.get(_EITHER_TRIED)
    found = p.data.get(Load("appointment", {"appointment_id": tried}).key) if tried is not None else None
    appt = found.get("appointment") if isinstance(found, dict) else None
    if isinstance(appt, dict) and p.slots.get("appointment_id") == tried:
        problems.append(
            f"No job has number {tried}, so I took appointment {tried} (job {appt.get('job_id')})."
        )
    for done_with in (_CARD, _EITHER, _EITHER_TRIED):
        p.data.pop(done_with, None)
    prefix = " ".join(x for x in (p.data.pop("_problem", ""), *problems) if x)
    if isinstance(outcome, AskFor):
        p.asked, p.choice, p.plan = outcome.slot, None, None
        s.phase = "collecting"
        question, example = _question(p.intent, outcome.slot)
        if outcome.slot == "job_id" and "target" in WRITE_STEPS.get(p.intent, ()):
            question, example = "Which job or appointment?", "1001, or appointment 5001"
        if outcome.slot == "job_changes" and p.slots.get("job_id") is not None:
            question = f"What should change on job {p.slots['job_id']}?"
        text = f"{prefix} {question}".strip() + (f" (e.g. _{example}_)" if example else "")
        return [Ask(Reply(kind="ask", text=text))]
    if isinstance(outcome, Offer):
        return [_offer(s, now, outcome, prefix)]
    if isinstance(outcome, Stop):
        s.pending, s.phase = None, "idle"
        return [
            Say(Reply(kind="error", text=f"{prefix} {outcome.problem}".strip() + " Nothing was changed."))
        ]
    assert isinstance(outcome, Ready)
    p.plan, p.asked, p.choice = outcome.plan, None, None
    s.phase = "confirming"
    s.token = _token(s, now, "confirm")
    effects: list[Effect] = []
    if prefix:
        effects.append(Say(Reply(kind="text", text=prefix)))
    effects.append(ShowConfirmation(_confirmation_reply(s, outcome.plan)))
    return effects


def _offer(s: Conversation, now: datetime, offer: Offer, prefix: str = "") -> Ask:
    """Show a choice among options; the picked option's value fills `offer.slot`."""
    p = s.pending
    assert p is not None
    p.asked, p.plan = None, None
    p.choice = OfferedChoice(slot=offer.slot, prompt=offer.prompt, options=offer.options)
    s.phase = "choosing"
    s.token = _token(s, now, "choice")
    numbered = "\n".join(f"{i}. {label}" for i, (_, label) in enumerate(offer.options, 1))
    return Ask(
        Reply(
            kind="choice",
            text=f"{prefix} {offer.prompt}".strip() + "\n" + numbered,
            choice=Choice(
                prompt=offer.prompt,
                options=[Option(value=v, label=label[:75]) for v, label in offer.options],
            ),
            token=s.token,
        )
    )


def _restore_card(s: Conversation, now: datetime, problem: str) -> list[Effect]:
    """A correction at the card was refused ("It's already at …", a past time, an unknown id): the card
    comes back as it was, with why, instead of dropping it and asking again."""
    p = s.pending
    assert p is not None
    before = p.data.pop(_CARD)
    p.data.pop("_problem", None)
    p.slots = dict(before["slots"])
    p.plan = Plan.model_validate(before["plan"])
    p.asked, p.choice = None, None
    s.phase = "confirming"
    s.token = _token(s, now, "restore")
    return [
        Say(Reply(kind="text", text=f"{problem} I left the card as it was.")),
        ShowConfirmation(_confirmation_reply(s, p.plan)),
    ]


# ---- clicks -----------------------------------------------------------------------------------------------


_CHECK_HINT = (
    "I won't send it again blindly: press *Check & retry* and I'll look in ServiceTitan first, "
    "sending it only if it isn't there. Or say *cancel*."
)


def _retry_reply(s: Conversation, text: str, *, check: bool, title: str | None = None) -> Reply:
    """A failed write: what went wrong, with the card's own actions (same token) to try again or drop it.

    Not `replaces_card`: the confirmation card stays, and its buttons keep working.
    """
    return Reply(
        kind="error",
        text=text,
        title=title,
        buttons=[
            Button(action="confirm", label="Check & retry" if check else "Try again", style="primary"),
            Button(action="abandon", label=ABANDON_LABEL),
        ],
        token=s.token,
    )


def _already(s: Conversation) -> Reply:
    if s.phase == "applying":
        return Reply(kind="text", text="That's already being done; I'll only do it once.")
    if s.phase == "confirming" and s.pending is not None and s.pending.plan is not None:
        return Reply(
            kind="text", text="That didn't go through yet; the card's button is still there to try again."
        )
    done = s.last_done or "That change"
    return Reply(kind="text", text=f"Already done: {done}")


def _on_pressed(s: Conversation, event: Pressed, now: datetime) -> list[Effect]:
    action = event.action
    if action == "confirm":
        if s.phase == "confirming" and s.pending and s.pending.plan and event.token == s.token:
            s.phase = "applying"
            plan = s.pending.plan
            if plan.requested_at is None:
                plan.requested_at = now
            return [CallServiceTitan(plan, check_first=s.unsure)]
        if s.phase == "applying" and event.token == s.token:
            return [Say(_already(s))]
        if event.token and event.token == s.last_done_token:
            return [Say(_already(s))]
        return [Say(_stale(s))]
    if action == "abandon":
        if s.pending is not None and event.token == s.token:
            return _abandon(s, now)
        if event.token and event.token == s.last_done_token:
            return [Say(_already(s))]
        return [Say(_stale(s))]
    if action == "choose":
        choice = s.pending.choice if s.pending else None
        if (
            s.phase == "choosing"
            and choice
            and event.token == s.token
            and event.value in dict(choice.options)
        ):
            return _apply_choice(s, event.value, now)
        return [Say(_stale(s))]
    if action in {"switch", "keep"}:
        if s.phase != "switching" or event.token != s.token:
            return [Say(_stale(s))]
        return _switch(s, now) if action == "switch" else _keep(s, now)
    if action == "undo":
        offer = s.undo
        if offer is None or event.token != offer.token:
            return [Say(Reply(kind="text", text="There's nothing to undo from that message."))]
        if now > offer.until:
            s.undo = None
            return [
                Say(
                    Reply(
                        kind="text",
                        text=f"Undo was only available for {UNDO_MINUTES} minutes; it has expired.",
                    )
                )
            ]
        s.undo = None
        s.pending = Pending(intent="undo", plan=offer.plan, started_at=now)
        s.phase = "confirming"
        s.token = _token(s, now, "undo")
        return [ShowConfirmation(_confirmation_reply(s, offer.plan))]
    if action == "more":
        pages = s.read
        if pages is None or event.token != pages.token:
            return [Say(Reply(kind="text", text="That list is out of date; ask again."))]
        return [Say(next_page(pages, tz=_asker(s).tz))]
    if action == "resume":
        if s.expired is None:
            return [Say(Reply(kind="text", text="There's nothing to resume."))]
        s.pending, s.expired = s.expired, None
        s.pending.data, s.pending.plan, s.pending.choice = (
            {},
            None,
            None,
        )  # checked against ServiceTitan again
        s.phase = "collecting"
        return _advance(s, now)
    return [Say(_stale(s))]


def _stale(s: Conversation) -> Reply:
    return Reply(kind="text", text="That button belongs to an older message, so I ignored it.")


def _switch(s: Conversation, now: datetime) -> list[Effect]:
    new = s.switch_to or {}
    s.pending, s.switch_to, s.phase = None, None, "idle"
    return _start(s, str(new.get("intent", "unknown")), dict(new.get("slots") or {}), now)


def _keep(s: Conversation, now: datetime) -> list[Effect]:
    s.switch_to = None
    s.phase = _resting_phase(s)
    if s.pending is None:
        return []
    if s.phase == "confirming" and s.pending.plan is not None:
        s.token = _token(s, now, "keep")
        return [ShowConfirmation(_confirmation_reply(s, s.pending.plan))]
    return _advance(s, now, problem="OK, let's continue.")


def _on_picked_date(s: Conversation, event: PickedDate, now: datetime) -> list[Effect]:
    p = s.pending
    if p is None or event.token != s.token or "when" not in INTENT_SLOTS.get(p.intent, frozenset()):
        return [Say(_stale(s))]
    when = dict(p.slots.get("when") or {})
    if event.date is not None:
        when["date"] = event.date.isoformat()
    if event.time is not None:
        when["start"] = f"{event.time:%H:%M}"
        when.pop("end", None)
    elif event.date is not None and p.plan and p.plan.date_edit and p.plan.date_edit[1]:
        when["start"] = p.plan.date_edit[1]  # a new day keeps the time on the card
        when.pop("end", None)
    if "date" not in when:
        return [Say(Reply(kind="text", text="Pick a date as well."))]
    _set_slots(p, {"when": when})
    return _advance(s, now)


# ---- results of effects -----------------------------------------------------------------------------------


def _on_loaded(s: Conversation, event: Loaded, now: datetime) -> list[Effect]:
    if event.what == "help":
        live = None if event.error or not isinstance(event.data, list) else [str(x) for x in event.data]
        effects: list[Effect] = [Say(_help(_asker(s), live))]
        if s.pending is not None and s.phase in ACTIVE_PHASES:
            effects += _reprompt(s, now, "")
        return effects
    if event.what == "read" and event.args.get("purpose") == "why":
        if s.pending is None:
            return []
        s.pending.data[Load(event.what, event.args).key] = {} if event.error else event.data
        return _advance(s, now)
    if event.what == "read":
        if event.error:
            return [Say(Reply(kind="error", text=event.error))]
        return [Say(_read_reply(s, event.data, now))]
    p = s.pending
    if p is None:
        return []
    if event.error:
        p.data.pop(_CUSTOMER_NAME, None)
        return [Say(Reply(kind="error", text=f"{event.error} Nothing was changed; try again in a moment."))]
    if event.what == "customers_named":
        return _on_customers_named(s, event, now)
    p.data[Load(event.what, event.args).key] = event.data
    return _advance(s, now)


def _on_customers_named(s: Conversation, event: Loaded, now: datetime) -> list[Effect]:
    """The customers matching a name the user gave for "Which customer?": one fills it, several are a
    choice, none asks again for the number."""
    p = s.pending
    assert p is not None
    name = p.data.pop(_CUSTOMER_NAME, None)
    if name is None or p.asked != "customer_id":
        return []  # the conversation moved on while the lookup ran
    rows = [r for r in event.data or [] if isinstance(r, dict) and r.get("id") is not None]
    if len(rows) == 1:
        _set_slots(p, {"customer_id": int(rows[0]["id"])})
        return _advance(s, now)
    if rows:
        options = [(str(r["id"]), _customer_label(r)) for r in rows[:25]]
        return [_offer(s, now, Offer("customer_id", f"Which customer did you mean by “{name}”?", options))]
    return _advance(s, now, problem=f"I can't find a customer named “{name}”.")


def _customer_label(row: dict[str, Any]) -> str:
    found = row.get("address")
    address: dict[str, Any] = found if isinstance(found, dict) else {}
    where = ", ".join(str(address[k]) for k in ("street", "city") if address.get(k))
    return f"{row.get('name', '')}" + (f" · {where}" if where else "") + f" (#{row['id']})"


def _on_drift(s: Conversation, event: Called, now: datetime) -> list[Effect]:
    """Nothing was sent: ServiceTitan changed since the card was made (another dispatcher, say). An undo is
    refused; any other card is made again from what is there now, for a fresh confirm."""
    p = s.pending
    s.unsure = False
    if p is None or p.intent == "undo":
        s.pending, s.phase = None, "idle"
        s.token = _token(s, now, "drift")
        text = f"{event.drift} since; undo would overwrite that, so I didn't send it. Nothing was changed."
        return [Say(Reply(kind="error", text=text, replaces_card=True))]
    p.data, p.plan, p.choice = {}, None, None
    s.phase = "collecting"
    return _advance(
        s,
        now,
        problem=f"{event.drift} since this card was made, so I didn't send it. Here it is as it is now:",
    )


def _on_called(s: Conversation, event: Called, now: datetime) -> list[Effect]:
    plan = event.plan
    if event.drift is not None:
        return _on_drift(s, event, now)
    if not event.ok:
        # Nothing (known to be) written: the conversation goes back to the card so the user can retry,
        # correct it or drop it. An unknown outcome makes the next confirm check ServiceTitan first.
        s.phase, s.unsure = "confirming", event.uncertain
        if s.pending is not None:
            s.pending.plan = plan
        if event.uncertain:
            text = (
                f"I couldn't finish that: {event.error}. It may or may not have gone through. {_CHECK_HINT}"
            )
        else:
            text = (
                f"ServiceTitan didn't accept that: {event.error}. Nothing was changed. Press *Try again* "
                "(or the card's button), correct it (e.g. _no, Thursday_), or say *cancel*."
            )
        return [Say(_retry_reply(s, text, check=event.uncertain, title=plan.title.rstrip("?")))]
    s.last_done_token = s.token
    s.pending, s.phase = None, "idle"
    s.unsure = False
    s.last_done = plan.done_text
    done = "Done (it had already gone through, so I didn't send it again)." if event.already else "Done."
    facts = _result_facts(plan)
    booked = event.data.get("id") if plan.op == "book_job" and isinstance(event.data, dict) else None
    if booked:
        facts.insert(0, ("Job", f"#{booked}"))
    reply = Reply(
        kind="result",
        text=f"{done} {plan.done_text}" + (f" It's job #{booked}." if booked else ""),
        title=plan.title.rstrip("?"),
        facts=_facts_beside(facts, plan.changes),
        changes=_changes(plan),
        replaces_card=True,
    )
    if plan.undo is not None:
        token = _token(s, now, "undo-offer")
        s.undo = UndoOffer(plan=plan.undo, until=now + timedelta(minutes=UNDO_MINUTES), token=token)
        reply.buttons = [Button(action="undo", label="Undo")]
        reply.token = token
        reply.footnote = f"Undo is available for {UNDO_MINUTES} minutes."
    return [Say(reply)]


def _result_facts(plan: Plan) -> list[tuple[str, str]]:
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


# ---- reads ------------------------------------------------------------------------------------------------


def _read(s: Conversation, intent: str, slots: dict[str, Any], now: datetime) -> list[Effect]:
    lookup = read_lookup(_asker(s), intent, slots, now)
    if intent == "list_appointments" or "range" in slots:
        s.last_read = {"intent": intent, "slots": slots}
    return [Say(lookup)] if isinstance(lookup, Reply) else [lookup]


def _read_reply(s: Conversation, data: dict[str, Any], now: datetime) -> Reply:
    reply, pages = first_page(data, token=_token(s, now, "read"), tz=_asker(s).tz)
    if pages is not None:
        s.read = pages
    return reply


__all__ = ["step", "describe"]
