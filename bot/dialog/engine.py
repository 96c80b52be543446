"""The dialog as a pure state machine: `step(state, event, now) -> (new_state, effects)`.

No Slack, Redis or HTTP here. User events (Said, Pressed, PickedDate) and the results of the effects it
asked for (Loaded, Called, ClaimLost) go in; a new Conversation and a list of effects (Ask,
ShowConfirmation, Say, Load, CallServiceTitan) come out. bot/dialog/runner.py performs the effects and
bot/dialog/service.py feeds their results back, so every conversation can be replayed from its events.

A user's event is first read into a typed answer (`bot.dialog.understand`); this module only moves the
conversation between phases on it, as `bot.dialog.phases.PHASES` says (the README's "Phases" shows
the same table).
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from typing import Any

from bot.dialog import didyoumean, phases, refer, replies, undo
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
    DOING,
    INTENT_SLOTS,
    READ_INTENTS,
    READER_ROLES,
    UNDO_MINUTES,
    WRITE_INTENTS,
    WRITER_ROLES,
    WRITES,
)
from bot.dialog.messages import Asker, Button, Event, Pressed, Reply, Said
from bot.dialog.outcomes import Offer
from bot.dialog.reads.registry import first_page, next_page, read_lookup
from bot.dialog.settle import advance, choice_reply, new_token, offer, question_text, set_slots
from bot.dialog.state import (
    ACTIVE_PHASES,
    Ask,
    Called,
    CallServiceTitan,
    CardBefore,
    ClaimLost,
    Conversation,
    Effect,
    Load,
    Loaded,
    Pending,
    Say,
    ShowConfirmation,
    UndoOffer,
    copied,
)
from bot.dialog.understand import GLOBAL_INTENTS, resting_phase, understand

log = logging.getLogger("bot.dialog")

InternalEvent = Loaded | Called | ClaimLost


def step(
    state: Conversation, event: Event | InternalEvent, now: datetime, *, handed_over: bool = False
) -> tuple[Conversation, list[Effect]]:
    """One transition. `state.asker` must be set (the surface tells who is talking on every event).
    `state` is left as it was, unless `handed_over`: a caller that never uses it again (a conversation
    just loaded) lets the transition change it in place instead of a deep copy."""
    s = state if handed_over else copied(state)
    if isinstance(event, Loaded | Called | ClaimLost):
        before = s.phase
        effects = _on_loaded(s, event, now) if isinstance(event, Loaded) else _on_result(s, event, now)
        if s.phase != "applying":  # a claim ends with its write (bot/dialog/claims.py)
            s.claim, s.claimed_at = "", None
        phases.check(before, type(event).__name__, s.phase)
        return s, effects
    effects, expired = _timeouts(s, now)
    if expired and not isinstance(event, Said) and not _resumes(event):
        return s, effects  # a click on the expired request's buttons: only the expiry is said
    if s.updated_at is not None and now - s.updated_at > timedelta(minutes=s.idle_minutes):
        s.last_read = refer.forget_records(s.last_read)  # "it", "the first one": not after a long pause
    s.updated_at = now
    if s.phase == "applying" and isinstance(event, Said):
        return s, [*effects, Say(replies.already(s))]
    answer = understand(s, event, now)
    if s.phase == "applying" and not _leaves_the_write_alone(s, answer):
        # Only the turn holding the claim ends it (or the next turn, once the claim is older than the write
        # deadline): the card's own buttons, a picked date or an undo wait until the write has its outcome.
        return s, [*effects, Say(replies.already(s))]
    switching = isinstance(event, Said) and s.phase == "switching" and s.switch_to is not None
    if switching and not isinstance(answer, Confirm | Deny | Abandon):
        s.switch_to, s.phase = None, resting_phase(s)  # something else than yes or no: not switching
    _leave_offer(s, answer)
    before = s.phase
    effects += _on_answer(s, answer, now)
    phases.check(before, type(answer).__name__, s.phase)
    return s, effects


def shown_again(state: Conversation, now: datetime) -> list[Reply]:
    """The open request's question, choice or card as last shown (the same token), without changing the
    conversation: for a message answered outside the request (an alert setting), after which the request
    waits as it was. Nothing when no request is waiting for the user (none, applying, or expired)."""
    s, p = state, state.pending
    if p is None or s.phase not in ("collecting", "choosing", "confirming") or _is_expired(s, now):
        return []
    if s.phase == "confirming" and p.plan is not None:
        return [replies.confirmation(s, p.plan)]
    if s.phase == "choosing" and p.choice is not None:
        return [choice_reply(p.choice, s.token)]
    if p.asked:
        return [Reply(kind="ask", text=question_text(p, p.asked))]
    return [replies.text(f"Your request to {replies.describe(p)} is still open.")]


def _leaves_the_write_alone(s: Conversation, answer: Answer) -> bool:
    """Whether an answer given while a write is applying can be answered without touching the request:
    a repeated confirm (answered "already"), a list's next page, a pick among a read's results."""
    if isinstance(answer, Confirm | More | Unclear):
        return True
    return isinstance(answer, Pick) and _read_choice_offered(s, answer.value, answer.token)


def _resumes(event: Event) -> bool:
    return isinstance(event, Pressed) and event.action == "resume"


def _timeouts(s: Conversation, now: datetime) -> tuple[list[Effect], bool]:
    """A request left idle too long expires (True). (A write left applying by a turn that died is settled
    before this, by DialogService re-reading ServiceTitan.)"""
    effects: list[Effect] = []
    if s.notice:  # e.g. a request dropped when an update could not read it
        effects.append(Say(replies.text(s.notice)))
        s.notice = None
    if _is_expired(s, now):
        assert s.pending is not None
        s.expired, s.pending, s.switch_to, s.phase = s.pending, None, None, "idle"
        s.token = new_token(s, now, "expired")
        message = (
            f"Your request to {replies.describe(s.expired)} expired after {s.idle_minutes} minutes "
            "without an answer, so nothing was changed. Resume it?"
        )
        effects.append(
            Say(replies.text(message, buttons=[Button(action="resume", label="Resume")], token=s.token))
        )
        return effects, True
    return effects, False


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


def _stale() -> list[Effect]:
    return [Say(replies.text(replies.STALE))]


# ---- answers ----------------------------------------------------------------------------------------------


def _on_answer(s: Conversation, a: Answer, now: datetime) -> list[Effect]:
    match a:
        case Confirm(to="switch"):
            return _switch(s, now) if s.phase == "switching" and a.token == s.token else _stale()
        case Confirm():
            return _confirm(s, a.token, now)
        case Deny(to="switch"):
            return _keep(s, now) if s.phase == "switching" and a.token == s.token else _stale()
        case Deny():
            return _reprompt(s, now, "OK, not yet.")
        case Abandon(token=None):
            return _abandon(s, now)
        case Abandon():
            if s.pending is not None and a.token == s.token:
                return _abandon(s, now)
            return [Say(replies.already(s))] if a.token and a.token == s.last_done_token else _stale()
        case Undo():
            return undo.undo(s, a.token, now)
        case Pick():
            choice = s.pending.choice if s.pending else None
            if s.phase == "choosing" and choice and a.token == s.token and a.value in dict(choice.options):
                return _apply_choice(s, a.value, now)
            if _read_choice_offered(s, a.value, a.token):
                return _read_choice(s, a.value, now)
            if s.offered is not None and a.token == s.offered.token:
                return _pick_reading(s, a.value, now)
            return _stale()
        case Fill():
            effects = _fill(s, a, now)
            if a.then is not None and s.pending is not None:
                s.then = a.then  # "… and assign sarah": offered once this one is done
                effects.insert(0, Say(replies.text(replies.then_note(a.then))))
            return effects
        case NewRequest():
            effects = _new_request(s, a.intent, a.slots, now, dropped=a.dropped)
            if a.then is not None and s.pending is not None and s.pending.intent == a.intent:
                s.then = a.then  # "… and assign mike chen": offered once this one is done
                effects.insert(0, Say(replies.text(replies.then_note(a.then))))
            return effects
        case Unclear(click=True):
            return [Say(replies.text(a.problem))]
        case Unclear():
            if s.pending is not None and s.phase in ACTIVE_PHASES:
                return _reprompt(s, now, a.problem)
            return [Say(replies.text(a.problem))]
        case More():
            pages = s.read
            if pages is None or a.token != pages.token:
                return [Say(replies.text("That list is out of date; ask again."))]
            return [Say(next_page(pages, tz=_asker(s).tz))]
        case Resume():
            if s.expired is None:
                return [Say(replies.text("There's nothing to resume."))]
            s.pending, s.expired = s.expired, None
            s.pending.forget_lookups()  # checked against ServiceTitan again
            s.phase = "collecting"
            return advance(s, now)
        case Unsure():
            return [Ask(didyoumean.offer(s, list(a.readings), now))]
    raise AssertionError(f"unhandled answer {a!r}")


def _confirm(s: Conversation, token: str, now: datetime) -> list[Effect]:
    if s.phase == "confirming" and s.pending and s.pending.plan and token == s.token:
        s.phase = "applying"
        return [CallServiceTitan(s.pending.plan, check_first=s.unsure)]
    if (s.phase == "applying" and token == s.token) or (token and token == s.last_done_token):
        return [Say(replies.already(s))]
    return _stale()


def _abandon(s: Conversation, now: datetime) -> list[Effect]:
    if s.pending is None:
        s.phase = "idle"
        return [Say(replies.text("There's nothing in progress to cancel."))]
    if s.unsure:  # the earlier attempt may have gone through: don't claim it didn't
        message = (
            f"OK, I won't try to {replies.undone(s.pending)} again. My earlier attempt may or may not have "
            "gone through; check ServiceTitan."
        )
    else:
        message = f"OK, I won't {replies.undone(s.pending)}. Nothing was changed."
    if s.then is not None:
        message += f" I won't do “{s.then['text']}” either."
    s.pending, s.switch_to, s.phase, s.unsure, s.then = None, None, "idle", False, None
    s.token = new_token(s, now, "abandon")
    return [Say(replies.text(message, replaces_card=True))]


def _new_request(
    s: Conversation, intent: str, slots: dict[str, Any], now: datetime, *, dropped: bool = False
) -> list[Effect]:
    """A request of its own. In the middle of another: help and alerts are answered and the request is
    shown again; a look-up is answered; another write asks to switch when dropping this one loses
    anything, and starts at once otherwise or when said instead of it (`dropped`)."""
    p = s.pending
    if p is None or s.phase not in ACTIVE_PHASES:
        return _start(s, intent, slots, now)
    if intent == "help":
        return [_help_lookup(_asker(s))]  # answered, then the request shown again, in _on_loaded
    if intent in GLOBAL_INTENTS:
        return [*_start(s, intent, slots, now), *_reprompt(s, now, "")]
    if intent in READ_INTENTS:
        return _read(s, intent, slots, now)  # a quick look-up mid-dialog doesn't drop the request
    if dropped:  # "actually no, put it on hold instead": the open one goes, as the user said
        said = Say(replies.text(f"OK, I won't {replies.undone(p)}."))
        s.pending, s.phase, s.then = None, "idle", None
        return [said, *_start(s, intent, slots, now)]
    if not _has_progress(p):
        # Nothing worth keeping (e.g. the request was just refused): start the new one without asking.
        s.pending, s.phase = None, "idle"
        return _start(s, intent, slots, now)
    s.switch_to = {"intent": intent, "slots": slots}
    s.phase = "switching"
    s.token = new_token(s, now, "switch")
    doing, other = DOING.get(p.intent, p.intent), DOING.get(intent, intent)
    if intent == p.intent:  # the same write for another job: "rescheduling job 1042 … for appointment 5079"
        doing, other = (
            doing + replies.target_phrase(p),
            other + replies.target_phrase(Pending(intent=intent, slots=slots)),
        )
    return [
        Ask(
            Reply(
                kind="ask",
                text=f"You're in the middle of {doing}. Drop it and start {other} instead?",
                buttons=[
                    Button(action="switch", label=f"Switch to {other}"),
                    Button(action="keep", label="Keep the current one"),
                ],
                token=s.token,
            )
        )
    ]


def _start(
    s: Conversation,
    intent: str,
    slots: dict[str, Any],
    now: datetime,
    *,
    carried: dict[str, Any] | None = None,
) -> list[Effect]:
    """Begin a request; `carried`: values the dialog already settled for it (a reason picked for the first
    of two like requests), beside the parser's slots."""
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
            if asker.role == "technician" and WRITES[intent].for_technicians:
                return _refusal(WRITES[intent].for_technicians)
            return _refusal(
                f"Sorry, only dispatchers and managers can make changes like {DOING[intent]}. "
                "Please ask the office. You can still look things up, e.g. *my appointments today*."
            )
        wanted = {k: v for k, v in slots.items() if k in INTENT_SLOTS[intent]} | (carried or {})
        s.pending, s.then = Pending(intent=intent, slots=wanted, started_at=now), None
        s.phase, s.unsure = "collecting", False
        s.undo = None if s.undo and s.undo.until < now else s.undo
        return advance(s, now)
    if intent in READ_INTENTS:
        if asker.role not in READER_ROLES:
            return _refusal("Sorry, you can't look that up.")
        return _read(s, intent, slots, now)
    if intent in GLOBAL_INTENTS:
        return [
            Say(
                replies.text(
                    "Hold and cancel alerts are posted to the alert channel your admin set up "
                    "(ALERT_CHANNEL); join that channel to follow them."
                )
            )
        ]
    return [_help_lookup(asker, purpose="not_understood")]  # its examples use ids the data has


def _refusal(message: str) -> list[Effect]:
    """A request the asker's role may not make, refused. Read-only: it changes nothing and concerns only
    the asker, so in a channel Slack shows it to them alone (as it does help), not to everyone there."""
    return [Say(replies.text(message, read_only=True))]


def _help_lookup(asker: Asker, purpose: str = "") -> Load:
    """Help's examples come from live data (open jobs), through the runner's cache. `purpose`: help's
    examples for another answer ("Something else", "I didn't understand"; `didyoumean.HELP_PURPOSES`)."""
    args: dict[str, Any] = {"role": asker.role, "technician_id": asker.technician_id or 0, "tz": asker.tz}
    return Load("help", {**args, "purpose": purpose} if purpose else args)


def _fill(s: Conversation, a: Fill, now: datetime) -> list[Effect]:
    p = s.pending
    assert p is not None
    if s.phase == "confirming" and p.plan is not None and a.customer_name is None:
        # If ServiceTitan's data refuses the correction (typed or picked), the card and its pickers come
        # back as they were (settle.restore_card), instead of a question.
        p.card_before = CardBefore(slots=dict(p.slots), plan=p.plan)
    if a.picked:  # the card's date or time picker
        set_slots(p, a.slots)
        return advance(s, now)
    if a.customer_name is not None:
        p.customer_name = a.customer_name  # a customer given by name: look it up (answered in _on_loaded)
        return [Load("customers_named", {"name": a.customer_name})]
    if a.either is not None:
        p.either = a.either
    before, after = p.slots.get("job_id"), a.slots.get("job_id")
    moved = s.phase == "confirming" and before is not None and after is not None and after != before
    set_slots(p, a.slots)
    # a card whose job a correction changed says so plainly: it is another record from the one shown
    note = a.note or (f"This is now job {after}, not job {before}." if moved else "")
    return advance(s, now, problem=note or None)


def _has_progress(p: Pending) -> bool:
    """Whether dropping `p` loses anything: a card or a choice shown, or slots given since a refusal."""
    if p.plan is not None or p.choice is not None:
        return True
    return bool(p.slots) and not p.refused


def _apply_choice(s: Conversation, value: str, now: datetime) -> list[Effect]:
    p = s.pending
    assert p is not None and p.choice is not None
    p.refused = False
    p.slots[p.choice.slot] = int(value) if value.lstrip("-").isdigit() else value
    p.choice = None
    p.plan = None
    return advance(s, now)


def _switch(s: Conversation, now: datetime) -> list[Effect]:
    new = s.switch_to or {}
    s.pending, s.switch_to, s.phase = None, None, "idle"
    return _start(s, str(new.get("intent", "unknown")), dict(new.get("slots") or {}), now)


def _keep(s: Conversation, now: datetime) -> list[Effect]:
    s.switch_to = None
    s.phase = resting_phase(s)
    if s.pending is None:
        return []
    if s.phase == "confirming" and s.pending.plan is not None:
        s.token = new_token(s, now, "keep")
        return [ShowConfirmation(replies.confirmation(s, s.pending.plan))]
    return advance(s, now, problem="OK, let's continue.")


def _reprompt(s: Conversation, now: datetime, prefix: str) -> list[Effect]:
    """Say what went wrong and show the current question or confirmation again."""
    p = s.pending
    assert p is not None
    if s.phase == "confirming" and p.plan is not None:
        reply = replies.confirmation(s, p.plan)
        hint = f"{prefix} Say what to change (e.g. _no, Thursday_), *yes* to confirm, or *cancel*.".strip()
        return [Say(replies.text(hint)), ShowConfirmation(reply)]
    return advance(s, now, problem=prefix)


# ---- results of effects -----------------------------------------------------------------------------------


def _on_loaded(s: Conversation, event: Loaded, now: datetime) -> list[Effect]:
    if event.what == "help" and event.args.get("purpose"):
        return _examples_loaded(event)
    if event.what == "help":
        live = None if event.error or not isinstance(event.data, list) else [str(x) for x in event.data]
        effects: list[Effect] = [Say(replies.help_reply(_asker(s), live))]
        if s.pending is not None and s.phase in ACTIVE_PHASES:
            effects += _reprompt(s, now, "")
        return effects
    if event.what == "read" and event.args.get("purpose") == "why":
        if s.pending is None:
            return []
        s.pending.data[Load(event.what, event.args).key] = {} if event.error else event.data
        return advance(s, now)
    if event.what == "read":
        if event.error:
            said: list[Effect] = [Say(Reply(kind="error", text=event.error))]
        else:
            said = [Say(_read_reply(s, event, now))]
        if s.pending is not None and s.phase in ACTIVE_PHASES:
            said += _reprompt(
                s, now, ""
            )  # a question asked in the middle of a request: then the request again
        return said
    p = s.pending
    if p is None:
        return []
    if event.error:
        p.customer_name = None
        return [Say(Reply(kind="error", text=f"{event.error} Nothing was changed; try again in a moment."))]
    if event.what == "customers_named" and p.customer_name is not None:  # typed for "Which customer?"
        return _on_customers_named(s, event, now)
    p.data[Load(event.what, event.args).key] = event.data
    return advance(s, now)


def _on_customers_named(s: Conversation, event: Loaded, now: datetime) -> list[Effect]:
    """The customers matching a name the user gave for "Which customer?": one fills it, several are a
    choice, none asks again for the number."""
    p = s.pending
    assert p is not None
    name, p.customer_name = p.customer_name, None
    if name is None or p.asked != "customer_id":
        return []  # the conversation moved on while the lookup ran
    rows = [r for r in event.data or [] if isinstance(r, dict) and r.get("id") is not None]
    if len(rows) == 1 and not rows[0].get("cut_down"):  # a shorter spelling's match is offered, not taken
        set_slots(p, {"customer_id": int(rows[0]["id"])})
        return advance(s, now)
    if rows:
        options = [(str(r["id"]), replies.customer_label(r)) for r in rows[:25]]
        return [offer(s, now, Offer("customer_id", f"Which customer did you mean by “{name}”?", options))]
    return advance(s, now, problem=f"I can't find a customer named “{name}”.")


def _on_result(s: Conversation, event: Called | ClaimLost, now: datetime) -> list[Effect]:
    if isinstance(event, ClaimLost):
        return [Say(replies.already(s))]
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
            message = f"I couldn't finish that: {event.error}. It may or may not have gone through. {replies.CHECK_HINT}"
        else:
            message = (
                f"ServiceTitan didn't accept that: {event.error}. Nothing was changed. Press *Try again* "
                "(or the card's button), correct it (e.g. _no, Thursday_), or say *cancel*."
            )
        return [Say(replies.retry(s, message, check=event.uncertain, title=plan.title.rstrip("?")))]
    s.last_done_token = s.token
    intent = s.pending.intent if s.pending is not None else ""
    done_slots = dict(s.pending.slots) if s.pending is not None else {}
    # the job changed is the one in view: "give it to sarah" next
    booked = (
        event.data.get("id") if plan.operation.kind == "book_job" and isinstance(event.data, dict) else None
    )
    records = plan.operation.records() | ({"job_id": int(booked)} if booked else {})
    s.last_read = refer.remember_change(s.last_read, records, done_slots, s.pending.data if s.pending else {})
    s.pending, s.phase = None, "idle"
    s.unsure = False
    s.last_done = plan.done_text
    done = "Done (it had already gone through, so I didn't send it again)." if event.already else "Done."
    facts = replies.result_facts(plan)
    if booked:
        facts.insert(0, ("Job", f"#{booked}"))
    reply = Reply(
        kind="result",
        text=f"{done} {plan.done_text}" + (f" It's job #{booked}." if booked else ""),
        title=plan.title.rstrip("?"),
        facts=replies.facts_beside(facts, plan.changes),
        changes=replies.changes(plan),
        replaces_card=True,
    )
    undo.keep_earlier(s, now)
    after = WRITES[intent].undo_after if intent in WRITES else None
    if plan.undo is None and after is not None and isinstance(event.data, dict):
        plan = plan.model_copy(update={"undo": after(plan, event.data, _asker(s).tz)})
    if plan.undo is not None:
        token = new_token(s, now, "undo-offer")
        s.undo = UndoOffer(plan=plan.undo, until=now + timedelta(minutes=UNDO_MINUTES), token=token)
        reply.buttons = [Button(action="undo", label="Undo")]
        reply.token = token
        reply.footnote = f"Undo is available for {UNDO_MINUTES} minutes."
    elif intent in WRITES:  # no undo: said now, and to a typed "undo" (never an older change's undo)
        why = f": {WRITES[intent].no_undo}." if WRITES[intent].no_undo else "."
        s.no_undo = f"Your last change ({plan.done_text.rstrip('.')}) can't be undone here{why}"
        reply.footnote = f"No undo for this one{why}"
    then, s.then = s.then, None
    if then is not None and then["intent"] in WRITE_INTENTS:  # the second part of "… and assign mike"
        slots = dict(then["slots"])
        same = then["intent"] == intent and slots.get("reason") == done_slots.get("reason")
        # "cancel 1039 and 1069, <why>": the reason picked for the first is the second's too
        carried = {"reason_id": done_slots["reason_id"]} if same and "reason_id" in done_slots else None
        return [Say(reply), *_start(s, str(then["intent"]), slots, now, carried=carried)]
    return [Say(reply)]


def _on_drift(s: Conversation, event: Called, now: datetime) -> list[Effect]:
    """Nothing was sent: ServiceTitan changed since the card was made (another dispatcher, say). An undo is
    refused; any other card is made again from what is there now, for a fresh confirm."""
    p = s.pending
    s.unsure = False
    if p is None or p.intent == "undo":
        s.pending, s.phase = None, "idle"
        s.token = new_token(s, now, "drift")
        message = f"{event.drift} since; undo would overwrite that, so I didn't send it. Nothing was changed."
        return [Say(Reply(kind="error", text=message, replaces_card=True))]
    p.forget_lookups()
    s.phase = "collecting"
    return advance(
        s,
        now,
        problem=f"{event.drift} since this card was made, so I didn't send it. Here it is as it is now:",
    )


# ---- "Did you mean…" (bot/dialog/didyoumean.py) -----------------------------------------------------------


def _leave_offer(s: Conversation, answer: Answer) -> None:
    """Anything but a press of "Did you mean…"'s buttons leaves that question (it is gone, not pending)."""
    if s.offered is not None and not (isinstance(answer, Pick) and answer.token == s.offered.token):
        didyoumean.leave(s)


def _pick_reading(s: Conversation, value: str, now: datetime) -> list[Effect]:
    """A press on "Did you mean…": the reading goes on exactly as if it had been typed (a write to its
    card, roles checked); "Something else" says what can be asked, with examples from the live data."""
    reading = didyoumean.picked(s, value, s.offered.token if s.offered else "")
    didyoumean.leave(s)
    if reading is None:
        return _stale()
    if reading == didyoumean.SOMETHING_ELSE:
        return [_help_lookup(_asker(s), purpose="something_else")]
    assert isinstance(reading, dict)
    if reading["intent"] == "undo":  # "Undo the change to job N" for "cancel that" after a change
        return undo.undo(s, str(dict(reading["slots"]).get("token") or ""), now)
    return _new_request(s, str(reading["intent"]), dict(reading["slots"]), now)


def _examples_loaded(event: Loaded) -> list[Effect]:
    """Help's live examples, loaded for "Something else" or for "I didn't understand"."""
    live = None if event.error or not isinstance(event.data, list) else [str(x) for x in event.data]
    if event.args.get("purpose") == "something_else":
        return [Say(didyoumean.something_else(live))]
    return [Say(didyoumean.not_understood(live))]


# ---- reads ------------------------------------------------------------------------------------------------


def _read(s: Conversation, intent: str, slots: dict[str, Any], now: datetime) -> list[Effect]:
    lookup = read_lookup(_asker(s), intent, slots, now)
    job_id = slots.get("job_id")
    if intent == "list_appointments" or "range" in slots or intent == "find_jobs":
        shown = {k: v for k, v in (s.last_read or {}).items() if k in ("job_id", "appointment_id") and v}
        s.last_read = {"intent": intent, "slots": slots} | shown  # "it" stays the job shown last
    if intent == "show_job" and job_id is not None:
        s.last_read = {**(s.last_read or {}), "job_id": job_id}  # "it", "that job" from now on
    return [Say(lookup)] if isinstance(lookup, Reply) else [lookup]


def _read_reply(s: Conversation, event: Loaded, now: datetime) -> Reply:
    data = event.data if isinstance(event.data, dict) else {}
    reply, pages = first_page(data, token=new_token(s, now, "read"), tz=_asker(s).tz)
    if pages is not None:
        s.read = pages
    if reply.choice is not None:
        # "Which Mike?": picking one runs the same read again with the picked id
        s.last_read = {
            **(s.last_read or {}),
            "choice": {
                "intent": str(event.args.get("intent")),
                "slots": json.loads(str(event.args.get("slots") or "{}")),
                "values": [o.value for o in reply.choice.options],
                "labels": [o.label for o in reply.choice.options],
                "token": reply.token,
            },
        }
    s.last_read = refer.remember_read(
        s.last_read, data
    )  # its items and the job shown, for "it", "the first one"
    return reply


def _read_choice_offered(s: Conversation, value: str, token: str) -> bool:
    offered = (s.last_read or {}).get("choice") or {}
    return bool(offered) and token == offered.get("token") and value in offered.get("values", [])


def _read_choice(s: Conversation, value: str, now: datetime) -> list[Effect]:
    """A pick from a read's "which one?": the read again with the picked id instead of the name."""
    offered = dict((s.last_read or {}).pop("choice"))
    slots = {k: v for k, v in dict(offered["slots"]).items() if k not in NAME_SLOTS}
    slots.update(json.loads(value))
    return _read(s, str(offered["intent"]), slots, now)


# The names a read's pick replaces with an id
NAME_SLOTS = frozenset({"technician", "customer", "project", "location"})


__all__ = ["step"]
