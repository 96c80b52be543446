"""Reading the user's turn: text, a click or a picked date becomes one typed `Answer`. Pure.

`understand(state, event, now)` looks at the conversation (its phase, the request being collected, the card
or the choice shown) to read the turn, and never changes it; `bot.dialog.engine` then moves between phases
on the answer. Text is read with the intent parser (`intents.parse` for a whole request, `intents.parse_slot`
for the answer to one question); both are pure functions of the text, `now` and the user's time zone.

The answers:
- Confirm / Deny: yes or no to what is shown (the card's button, "yes", "switch"; "no", "keep").
- Abandon: drop the request ("never mind", the card's second button).
- Undo: undo the last change (its button, or "undo" typed with nothing in progress).
- Pick: an option of the choice shown.
- Fill: values for slots of the request in progress (an answer or a correction), or a customer's name to
  look up for "Which customer?".
- NewRequest: a request of its own (a write, a read, help, or one the parser did not understand).
- Unclear: nothing usable; `problem` says why, before the question or the card is shown again.
- More / Resume: the "More" button of a list, the "Resume" button of an expired request.
- Unsure: the parser is unsure what a new request is; its likely readings are offered ("Did you mean…").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from bot.dialog import compound, cues, didyoumean, followup, named_job, reasons, refer, retarget, unread
from bot.dialog.answers import (
    Abandon,
    Answer,
    Confirm,
    Deny,
    Fill,
    More,
    NewRequest,
    Pick,
    Resume,
    Unclear,
    Undo,
    Unsure,
)
from bot.dialog.catalog import (
    ANSWER_CONTEXT,
    CORRECTABLE,
    DOING,
    FREE_TEXT_SLOTS,
    INTENT_SLOTS,
    READ_INTENTS,
    WRITE_INTENTS,
    WRITE_STEPS,
)
from bot.dialog.messages import Event, PickedDate, Pressed
from bot.dialog.people import active_rows, is_mention, names_me
from bot.dialog.reads.asking import aside_question, days_alone, impossible_date, look_up, parse_text
from bot.dialog.reads.wording import refine
from bot.dialog.relative import bare_time, is_relative, relative_when
from bot.dialog.replies import STALE
from bot.dialog.rules import match_technician, pick_option
from bot.dialog.state import ACTIVE_PHASES, Conversation, Load, Pending, Phase
from intents import parse_slot

# Words and phrases ------------------------------------------------------------------------------------------

ABANDON_WORDS = {"cancel", "cancel it", "cancel that", "never mind", "nevermind", "nvm", "stop", "forget it"}
ABANDON_WORDS |= {"abort", "quit"}
YES_WORDS = {"yes", "y", "yeah", "yep", "sure", "ok", "okay", "switch", "drop it"}
NO_WORDS = {"no", "n", "nope", "keep", "keep it", "keep the current one"}
CONFIRM_WORDS = {
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
UNDO_WORDS = {
    "undo",
    "undo that",
    "undo it",
    "undo this",
    "undo the last change",
    "please undo",
    "undo please",
}
GLOBAL_INTENTS = frozenset({"subscribe_alerts", "unsubscribe_alerts"})  # answered without leaving the dialog
NOT_UNDERSTOOD = "Sorry, I didn't get that."
# Where a day that doesn't exist ("feb 30") is a mistake to point out (not a note's "gate code 12/34")
DAY_INTENTS = frozenset(
    {
        "reschedule_appointment",
        "assign_technician",
        "add_appointment",
        "book_job",
        "find_jobs",
        "list_appointments",
        "unknown",
    }
)

_BARE_NUMBER = re.compile(r"#?\s*(\d+)")
# "3 2026-12-01", "4 7:15": a picker's number typed with its value (the console demo's way; in Slack too)
_PICKER_VALUE = re.compile(r"\d{1,2}\s+(\d{4}-\d{2}-\d{2}|\d{1,2}:\d{2}(?:\s*[ap]\.?m\.?)?)", re.I)
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
# Lead-ins stack ("no, make it Sarah", "sorry, actually friday"): strip them all.
_CORRECTION_LEAD = re.compile(
    r"^\s*(?:(?:no|nope|nah|and|actually|wait|sorry|oops|instead|rather|i meant|i mean|make it|make that|"
    r"change it to|change that to|change to|switch to|better|how about|what about|let's do|lets do)"
    r"\b[\s,.:;!-]*)+",
    re.IGNORECASE,
)
# "what about tomorrow?", "and friday", "how about next week" after a day list: the same look-up, another day.
_FOLLOW_UP_LEAD = re.compile(
    r"^\s*(?:(?:and|ok|okay|what about|how about|and for|for|then)\b[\s,.:;!-]*)+", re.IGNORECASE
)


def understand(s: Conversation, event: Event, now: datetime) -> Answer:
    """What the user's turn means in the conversation as it stands."""
    if isinstance(event, Pressed):
        return _click(s, event)
    if isinstance(event, PickedDate):
        return _picked_date(s, event)
    return _said(s, event.text, now)


# ---- clicks -----------------------------------------------------------------------------------------------


def _click(s: Conversation, event: Pressed) -> Answer:
    token = event.token
    match event.action:
        case "confirm":
            return Confirm(token)
        case "switch":
            return Confirm(token, to="switch")
        case "keep":
            return Deny(token, to="switch")
        case "abandon":
            return Abandon(token)
        case "choose":
            return Pick(event.value, token)
        case "undo":
            return Undo(token)
        case "more":
            return More(token)
        case "resume":
            return Resume()
    return Unclear(STALE, click=True)


def _picked_date(s: Conversation, event: PickedDate) -> Answer:
    p = s.pending
    if p is None or event.token != s.token or "when" not in INTENT_SLOTS.get(p.intent, frozenset()):
        return Unclear(STALE, click=True)
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
        return Unclear("Pick a date as well.", click=True)
    return Fill({"when": when}, picked=True)


# ---- text -------------------------------------------------------------------------------------------------


def norm(text: str) -> str:
    return re.sub(r"[\s.!?]+$", "", text.strip().casefold())


def parse_one(slot: str, text: str, now: datetime, tz: str) -> Any:
    try:
        return parse_slot(slot, text, now=now, tz=tz)
    except Exception:
        return None


def resting_phase(s: Conversation) -> Phase:
    """The phase the pending request rests in (what it shows): its card, its choice or its question."""
    p = s.pending
    if p is None:
        return "idle"
    if p.plan is not None:
        return "confirming"
    return "choosing" if p.choice is not None else "collecting"


def _said(s: Conversation, text: str, now: datetime) -> Answer:
    tz = s.asker.tz if s.asker else "UTC"
    said = norm(text)
    active = s.pending is not None and s.phase in ACTIVE_PHASES
    if said in UNDO_WORDS and not active:
        return Undo()  # typed instead of pressing the Undo button of the last change
    if said in UNDO_WORDS and s.phase == "confirming":  # the card is shown, nothing written yet: keep it
        return Unclear(
            "Nothing has been changed yet, so there is nothing to undo. Press Never mind to drop it."
        )
    if said in ABANDON_WORDS and (active or not refer.cancels_in_view(said, s.last_read)):
        return Abandon()
    if not active and refer.cancels_in_view(said, s.last_read):
        return _cancel_which(s, now)  # "cancel that" after a change: undo it, or cancel the job?
    phase = s.phase
    if phase == "switching" and s.switch_to is not None:
        if said in YES_WORDS:
            return Confirm(s.token, to="switch")
        if said in NO_WORDS:
            return Deny(s.token, to="switch")
        phase = resting_phase(s)  # anything else is read against the request itself
    picker = _PICKER_VALUE.fullmatch(text.strip()) if phase == "confirming" else None
    text = picker[1] if picker else text  # the value, never the number: "4 7:15" is no job 4
    parsed = parse_text(text, now, tz)
    intent = str(parsed.get("intent", "unknown"))
    slots = dict(parsed.get("slots") or {})
    if "date" not in (slots.get("when") or {}) and (
        intent == "unknown" or "when" in INTENT_SLOTS.get(intent, ())
    ):
        slots.update({"when": shifted} if (shifted := relative_when(text, now, tz)) else {})
    at_a_when = phase == "confirming" and s.pending is not None and "when" in s.pending.slots
    if "when" not in slots and (
        "when" in INTENT_SLOTS.get(intent, ()) or (intent == "unknown" and at_a_when)
    ):
        # "move 1070 to 8", "make it 9" or "morning" at a card with a when: a time on the day meant
        lead_free = _CORRECTION_LEAD.sub("", text).strip()
        hour_alone = at_a_when and lead_free != text.strip()
        slots.update({"when": at} if (at := bare_time(lead_free, now, tz, hour_alone=hour_alone)) else {})
    if "when" in slots:  # "to xyz 14th at 11": the day said is asked for, never left as the visit's own
        slots["when"] = unread.mark(slots["when"], text, now, tz)
    intent, slots = unread.as_reschedule(text, intent, slots, INTENT_SLOTS["reschedule_appointment"]) or (
        intent,
        slots,
    )
    if intent == "cancel_dialog" and (active or not refer.cancels_in_view(said, s.last_read)):
        return Abandon()
    elsewhere = retarget.unsure_reading(
        s.pending if active else None, parsed, slots, _CORRECTION_LEAD.match(text)
    )
    intent, slots = elsewhere or (intent, slots)  # "pull appt 5079 an hour earlier" at job 1042's card
    asked = s.pending.asked if s.pending is not None and phase in ACTIVE_PHASES else None
    impossible = impossible_date(text) if intent in DAY_INTENTS and asked not in FREE_TEXT_SLOTS else ""
    impossible = impossible or (cues.unsupported(text, intent) if asked not in FREE_TEXT_SLOTS else "")
    if impossible:  # "move 1010 to feb 30": a bad date, not a technician called "feb"; "swap 1041 and 1011"
        return Unclear(impossible)
    if s.pending is not None and phase in ACTIVE_PHASES:
        if (turned := retarget.change_of_mind(s.pending, text, now, tz)) is not None:
            return NewRequest(
                *turned, dropped=True
            )  # "actually no, hold it instead": never a reason or a note
        ref = refer.in_request(s.last_read, s.pending, phase, text, slots, now, tz)
        if ref is not None:
            return Fill(ref[1]) if ref[0] == "fill" else NewRequest(*ref)  # "the first one": the list's
        if refer.place_unsure(s.last_read, phase, text):
            return Unclear(
                "A job was shown after that list, so I can't tell which one you mean. Say its number."
            )
        shown = (s.last_read or {}).get("job_id")
        aside = aside_question(text, intent, slots, shown, now, tz) if asked not in FREE_TEXT_SLOTS else None
        if aside is not None:  # "wait, what's Derek doing saturday?": answered, then the question again
            return NewRequest(*aside)
        if intent in READ_INTENTS:  # a look-up keeps every filter said here too ("unassigned jobs next week")
            refined, more = refine(text, intent, slots, now, tz)
            slots = more if refined == intent else slots
        head_slots, then = _split(text, intent, slots, now, tz)
        if then is None:
            return _in_request(s, s.pending, phase, text, intent, slots, now, tz)
        # "no, job 1010 tomorrow 9am and assign sarah": the first part read against the request
        answer = _in_request(s, s.pending, phase, str(then["head"]), intent, head_slots, now, tz)
        return replace(answer, then=then) if isinstance(answer, Fill | NewRequest) else answer
    pressed = _typed_pick(s, text, intent)
    if pressed is not None:
        return pressed
    if (referred := refer.referred(s.last_read, text, intent, slots, now, tz)) is not None:
        return NewRequest(*referred)  # "put derek on the first one", "give it to sarah", "how do i get there"
    if unplaced := refer.no_list_for(s.last_read, text, intent, slots):
        return Unclear(unplaced)  # "who is on the first one" with no list shown: never today's list
    parsed_reading = (intent, dict(slots))
    intent, slots = look_up(text, intent, slots, (s.last_read or {}).get("job_id"), now, tz)
    lone = _BARE_NUMBER.fullmatch(said)
    offered = (s.last_read or {}).get("choice")
    if offered and (lone or intent == "unknown"):
        # "2" or "mike chen" for a read's "Which Mike?" (a name alone parses as no request)
        options = list(zip(offered.get("values", []), offered.get("labels", []), strict=False))
        picked = pick_option(text, options) if lone or len(text.split()) <= 3 else None
        if picked is not None:
            return Pick(picked, str(offered.get("token")))
    if lone and len(lone[1]) <= 2:
        # "1" with nothing asked is a button number typed after the buttons went, not job 1
        return Unclear(
            f"Nothing is waiting for an answer, so I don't know what “{said}” is for. "
            "To look up a job, say e.g. *show job 1001*."
        )
    last = s.last_read or {}
    if (other := followup.changed_read(last, text, intent, slots, now, tz)) is not None:
        return NewRequest(*other)  # "and angela?", "who canceled the most" (bot.dialog.followup)
    if last.get("intent") and (intent == "unknown" or _FOLLOW_UP_LEAD.match(text)):
        follow_up = _follow_up_read(last, text, intent, slots, now, tz)
        if follow_up is not None:
            return follow_up
    if intent == "unknown" and (days := days_alone(text, now, tz)):
        return NewRequest("list_appointments", {"range": days})  # "this week" alone: the schedule then
    if (intent, slots) == parsed_reading:  # the dialog's own wording rules read nothing more into it
        unsure = _did_you_mean(s, parsed, text)
        if unsure is not None:
            return unsure
    slots, then = _split(text, intent, slots, now, tz)
    return NewRequest(intent, slots, then)


def _split(
    text: str, intent: str, slots: dict[str, Any], now: datetime, tz: str
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    accepts = lambda name: INTENT_SLOTS.get(name, frozenset())  # noqa: E731
    return compound.split(text, intent, slots, now, tz, writes=WRITE_INTENTS, accepts=accepts)


def _typed_pick(s: Conversation, text: str, intent: str) -> Pick | None:
    """ "2" or "the first one" typed while "Did you mean…" is shown: a press of that button."""
    lone = _BARE_NUMBER.fullmatch(norm(text))
    if s.offered is None or (intent != "unknown" and not (lone and len(lone[1]) <= 2)):
        return None  # "1" parses as job 1; a button's number here
    value = didyoumean.typed_pick(s, text)
    return Pick(value, s.offered.token) if value is not None else None


def _cancel_which(s: Conversation, now: datetime) -> Answer:
    """ "cancel that" with no request open: undo the change just made to the job in view, or cancel that job
    (or neither); asked with buttons, never taken as a request to cancel the job."""
    job = int((s.last_read or {})["job_id"])
    readings: list[dict[str, Any]] = []
    if s.undo is not None and now <= s.undo.until:
        readings.append({"intent": "undo", "slots": {"job_id": job, "token": s.undo.token}})
    if s.asker is None or didyoumean.may_ask(s.asker.role, "cancel_job"):
        readings.append({"intent": "cancel_job", "slots": {"job_id": job}})
    return Unsure(tuple(readings)) if readings else Abandon()


def _did_you_mean(s: Conversation, parsed: dict[str, Any], text: str) -> Unsure | None:
    """The parser is unsure of a new request: its readings the asker may make, to offer (None: it is sure,
    or nothing plausible is left, which is "I didn't understand")."""
    if s.asker is None:
        return None
    readings = didyoumean.unsure_readings(parsed, s.asker, text)
    return Unsure(tuple(readings)) if readings else None


def _follow_up_read(
    last_read: dict[str, Any], text: str, intent: str, slots: dict[str, Any], now: datetime, tz: str
) -> NewRequest | None:
    """A follow-up to a list ("what about tomorrow", "and holds?") repeats that list with what it says
    changed: it carries over only what the new message leaves unsaid."""
    rest = _FOLLOW_UP_LEAD.sub("", text).strip().rstrip("?.! ")
    if not rest:
        return None
    before = str(last_read["intent"])
    if intent not in {"unknown", before}:
        return None
    said = dict(slots)
    if intent == "unknown":
        days = parse_one("range", rest, now, tz)
        again, said = refine(rest, before, {"range": days} if days else {}, now, tz)
        when = parse_one("when", rest, now, tz)
        if (last_read.get("slots") or {}).get("free") and isinstance(when, dict) and when.get("start"):
            said["start"], said["end"] = when["start"], when.get("end") or ""  # "and thursday morning?"
        if again != before or not said:
            return None
    return NewRequest(before, {**dict(last_read.get("slots") or {}), **said})


@dataclass
class _Turn:
    """A message read against the request in progress: the words (`cleaned`: without correction lead-ins
    such as "no, actually"), the parser's reading, the question asked and the answer to it, if any."""

    p: Pending
    phase: Phase
    text: str
    cleaned: str
    intent: str
    slots: dict[str, Any]
    asked: str | None
    answer: Any
    number: re.Match[str] | None
    now: datetime
    tz: str

    @property
    def is_correction(self) -> bool:
        return self.cleaned != self.text.strip()


def _in_request(
    s: Conversation,
    p: Pending,
    phase: Phase,
    text: str,
    intent: str,
    slots: dict[str, Any],
    now: datetime,
    tz: str,
) -> Answer:
    """A message while a request is in progress: an answer, a correction, or another request."""
    # Words that mean something anywhere ("help"; "cancel" is read before) come before any slot value.
    if intent == "help" or intent in GLOBAL_INTENTS:
        return NewRequest(intent, slots)
    reason = (phase == "choosing" and p.choice is not None and p.choice.slot == "reason_id") or (
        phase == "collecting" and p.asked == "reason"
    )
    if reason and named_job.names_a_job(text, now, tz):
        job = p.slots.get("job_id")
        return Unclear(
            f"That names a job, not a reason{f' (this is about job {job})' if job else ''}. Give the reason, or "
            "press Never mind and ask again about that job."
        )
    if phase == "choosing" and p.choice is not None:
        by_words = p.choice.slot == "reason_id"  # a reason by its words, never a fuzzy ratio on a sentence
        picked = (reasons.pick_reason if by_words else pick_option)(text, p.choice.options)
        if picked is not None:
            return Pick(picked, s.token)
    if phase == "confirming" and p.plan is not None:
        if norm(text) in CONFIRM_WORDS:  # typing "yes" is a click on the card's confirm button
            return Confirm(s.token)
        if norm(text) in NO_WORDS:
            return Deny(s.token)
    turn = _read_turn(p, phase, text, intent, slots, now, tz)
    problem = _number_problem(turn)
    if problem:
        return Unclear(problem)
    if _names_a_customer(turn):
        return Fill(customer_name=turn.cleaned)  # a customer given by name: looked up
    found = _slot_values(turn)
    if isinstance(found, NewRequest):
        return found
    return _checked(turn, *found)


def _read_turn(
    p: Pending, phase: Phase, text: str, intent: str, slots: dict[str, Any], now: datetime, tz: str
) -> _Turn:
    cleaned = _CORRECTION_LEAD.sub("", text).strip() or text
    if intent in READ_INTENTS and cleaned != text.strip():
        intent = "unknown"  # "no, job 1002" corrects the request; it isn't a look-up
    asked = p.asked if phase == "collecting" else None
    answer = parse_one(asked, cleaned, now, tz) if asked and asked not in FREE_TEXT_SLOTS else None
    if answer is not None and intent in READ_INTENTS and len(text.split()) <= 2:
        intent, slots = "unknown", {}  # "1001" or "job 1001" answers the question; it isn't a look-up
    number = _BARE_NUMBER.fullmatch(cleaned)
    return _Turn(p, phase, text, cleaned, intent, slots, asked, answer, number, now, tz)


def _number_problem(t: _Turn) -> str:
    """Why a bare number answers nothing here ("" when it does, or when it is no bare number). A number
    answers the question asked or nothing: it is never a job look-up in the middle of a request."""
    if not t.number or t.answer is not None or t.asked in _NUMBER_TEXT_SLOTS:
        return ""
    if t.number and t.cleaned != t.text.strip() and isinstance(t.slots.get("when"), dict):
        return ""  # "make it 9" at a card with a when: 9 o'clock (relative.bare_time)
    small = len(t.number[1]) <= 2
    if t.asked is None and t.phase == "confirming":  # a button's number; never another job
        return f"I didn't get “{t.cleaned}”." + (
            "" if small else f" To change the job, say *job {t.number[1]}*."
        )
    if t.asked is None and t.phase == "choosing" and t.p.choice is not None and small:
        return f"There's no option {t.number[1]}; pick 1 to {len(t.p.choice.options)}."
    if t.asked is not None:
        return _NUMBER_IS_NOT.get(t.asked, f"“{t.cleaned}” doesn't answer that.")
    return ""


def _names_a_customer(t: _Turn) -> bool:
    """Words for "Which customer?" that are a name to look up ("tomorrow 9am" is a day, not a name). A
    short answer the parser can only guess a write from, with nothing of that write in it ("Lee": names
    of technicians in its examples), is a name too."""
    guessed = t.intent in WRITE_INTENTS and not t.slots and len(t.cleaned.split()) <= 4
    return (
        t.asked == "customer_id"
        and t.answer is None
        and (t.intent == "unknown" or guessed)
        and not any(ch.isdigit() for ch in t.cleaned)
        and bool(_NAME.search(t.cleaned))
        and not parse_one("when", t.cleaned, t.now, t.tz)
    )


def _slot_values(t: _Turn) -> tuple[dict[str, Any], str] | NewRequest:
    """The slot values the message gives the request, with a note to say before what comes next; or the
    other request (a write, a look-up) it is."""
    p, asked, wanted = t.p, t.asked, INTENT_SLOTS.get(t.p.intent, frozenset())
    if asked in FREE_TEXT_SLOTS and t.intent not in WRITE_INTENTS | READ_INTENTS:
        value = parse_one(asked, t.text, t.now, t.tz)
        context = ANSWER_CONTEXT.get((p.intent, asked))
        whole = parse_text(context.format(answer=t.cleaned), t.now, t.tz) if context else {}
        given = whole.get("slots") or {}
        if whole.get("intent") == p.intent and given.get(asked):
            return {k: v for k, v in given.items() if k in wanted}, ""  # several slots in one answer
        return {asked: value if value else t.text.strip()}, ""
    if asked == "job_changes":
        reparsed = parse_text(f"update job {p.slots.get('job_id')} {t.text}", t.now, t.tz)
        if reparsed.get("intent") == "update_job":
            return {k: v for k, v in (reparsed.get("slots") or {}).items() if k != "job_id"}, ""
        return {}, ""
    if named := named_job.answer(p.intent, asked, t.intent, t.text, t.now, t.tz):
        return named, ""  # "barbara white's furnace repair" for "Which job?"
    if retarget.other_request(p, t.intent, t.slots, t.text, t.cleaned) or t.intent in READ_INTENTS:
        return NewRequest(t.intent, t.slots)
    changed: dict[str, Any] = {}
    note = ""
    if t.intent == p.intent or t.intent == "unknown" or t.intent not in WRITE_INTENTS:
        changed = {k: v for k, v in t.slots.items() if k in wanted}
    if asked and asked not in changed and t.answer is not None:
        changed[asked] = t.answer
    if asked:
        # "friday afternoon with Mike": the asked slot and a technician in one answer
        extra, note = _with_technician(p, asked, t.cleaned, t.now, t.tz)
        changed.update(extra)
    if changed:
        return changed, note
    if asked:
        # An answer fills the slot asked. Only a typed value ("friday 2pm", "appointment 5002") may
        # fill another slot: free text ("Alice Johnson" for a customer) never lands in the technician.
        if t.number:
            return {}, note
        return _first_correction(p, t.cleaned, t.now, t.tz, skip={*FREE_TEXT_SLOTS, "technician"}), note
    skip: set[str] = set()
    if not t.is_correction and t.phase != "collecting":
        skip |= FREE_TEXT_SLOTS  # free text only replaces a slot when it reads as a correction
    if not t.is_correction and len(t.cleaned.split()) > 3:
        skip.add("technician")  # any words parse as a name; a sentence is not one
    return _first_correction(p, t.cleaned, t.now, t.tz, skip=skip), note


def _checked(t: _Turn, changed: dict[str, Any], note: str) -> Answer:
    """The values as a Fill, or why they change nothing: a name of no technician at a card or a choice,
    no value at all, or what the card already says."""
    p, phase = t.p, t.phase
    problem = note or NOT_UNDERSTOOD
    name = changed.get("technician")
    if name and phase in {"confirming", "choosing"} and not _may_be_technician(p, str(name)):
        # A card or a choice is shown: words that name no technician leave it as it is.
        del changed["technician"]
        problem = f"There's no active technician called “{name}”, so I left it as it was."
    if not changed:
        return Unclear(problem)
    if "when" in changed:
        changed["when"] = unread.mark(changed["when"], t.cleaned, t.now, t.tz)
    _keep_the_other_half_of_when(p, changed, t.cleaned, t.now, t.tz)
    unchanged = all(p.slots.get(slot) == value for slot, value in changed.items())
    if phase == "confirming" and p.plan is not None and unchanged:
        return Unclear("The card already says that.")
    if not note and (phase == "choosing" or (t.asked is not None and t.asked not in changed)):
        # "monday 3pm" while a list is shown answers a later question: say it was kept, not ignored
        note = "Got it, I'll use that."
    # "Which job or appointment?" 5073: an appointment if no job has that id
    either = t.answer if t.number and t.answer is not None and t.asked == "job_id" and _targets(p) else None
    return Fill(changed, note=note, either=either)


def _targets(p: Pending) -> bool:
    """Whether the request is about an appointment (named by it or by its job)."""
    return "target" in WRITE_STEPS.get(p.intent, ())


def _keep_the_other_half_of_when(
    p: Pending, changed: dict[str, Any], text: str, now: datetime, tz: str
) -> None:
    old_when = p.slots.get("when")
    new_when = changed.get("when")
    if not isinstance(new_when, dict):
        return
    old_when = old_when if isinstance(old_when, dict) else {}
    if is_relative(new_when):
        if "shift_days" in new_when and not new_when.get("start") and "shift_days" not in old_when:
            # "the day after" at a card for 3pm: the visit's next day, at the time the card already says
            kept = {k: old_when[k] for k in ("start", "end", "shift_minutes") if old_when.get(k)}
            changed["when"] = {**new_when, **kept}
        return
    if _names_no_day(text, now, tz) or not any(k in new_when for k in ("date", "shift_days")):
        # "3pm", "actually 3pm": a time alone keeps the day already chosen, else no date (the appointment's
        # own day; CONTRACT section 2), never today's date
        day = {k: old_when[k] for k in ("date", "shift_days") if k in old_when}
        changed["when"] = {**day, **{k: v for k, v in new_when.items() if k != "date"}}
    elif old_when and not new_when.get("start"):
        # "no, wednesday": a day alone keeps the time chosen so far (an earlier "actually 3pm")
        kept = {k: old_when[k] for k in ("start", "end") if old_when.get(k)}
        changed["when"] = {**new_when, **kept}


def _first_correction(
    p: Pending, text: str, now: datetime, tz: str, *, skip: set[str] | frozenset[str]
) -> dict[str, Any]:
    """The first slot of CORRECTABLE's order for the request, outside `skip`, that `text` gives a value for."""
    for slot in CORRECTABLE.get(p.intent, ()):
        if slot in skip:
            continue
        value = parse_one(slot, text, now, tz)
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
        if parse_one("technician", match["name"], now, tz) and asked != "technician":
            return {}, (
                f"{DOING.get(p.intent, p.intent).capitalize()} doesn't change who is assigned; "
                "say *assign …* for that."
            )
        return {}, ""
    found: dict[str, Any] = {}
    name = parse_one("technician", match["name"], now, tz)
    if name:
        found["technician"] = name
    head = match["head"].strip(" ,")
    if head:
        value = parse_one(asked, head, now, tz) if asked != "technician" else None
        when = parse_one("when", head, now, tz) if value is None else None
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


def _may_be_technician(p: Pending, name: str) -> bool:
    """Whether `name` matches an active technician in the list already looked up (True when none was)."""
    rows = p.data.get(Load("technicians").key)
    if rows is None or names_me(name) or is_mention(name):
        return True
    return match_technician(name, active_rows(rows)).kind != "none"


def _names_no_day(text: str, now: datetime, tz: str) -> bool:
    """True when the text gives a time of day but no day ("3pm", "at 4"), per the parser's time grammar."""
    try:
        from intents.timeparse import local_now, resolve_text
    except ImportError:
        return False
    try:
        resolved = resolve_text(text, local_now(now, tz).date())
    except Exception:
        return False
    if resolved is None:
        return False
    return resolved.day is None and resolved.span is None and resolved.target is None
