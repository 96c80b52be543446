"""Settling a pending write against ServiceTitan's data, and saying the next thing: its next question, a
choice, its card, or why it stops. `advance` runs `bot.dialog.resolve.resolve` as far as the data looked up
so far allows and asks for the next look-up (a `Load`) when it needs one.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from bot.dialog import replies
from bot.dialog.catalog import DEPENDENTS, INTENT_QUESTIONS, QUESTIONS, WRITE_STEPS, WRITES
from bot.dialog.messages import Asker, Choice, Option, Reply
from bot.dialog.outcomes import AskFor, NeedLoad, Offer, Ready, Reject, Stop
from bot.dialog.resolve import resolve
from bot.dialog.state import Ask, Conversation, Effect, Load, OfferedChoice, Pending, Say, ShowConfirmation


def new_token(s: Conversation, now: datetime, salt: str) -> str:
    seed = f"{s.token}|{now.isoformat()}|{salt}|{s.pending.model_dump_json() if s.pending else ''}"
    return hashlib.sha256(seed.encode()).hexdigest()[:16]


def question_for(intent: str, slot: str) -> tuple[str, str]:
    return INTENT_QUESTIONS.get((intent, slot)) or QUESTIONS.get(slot) or (f"What's the {slot}?", "")


# A visit given by the user is its own job's: the job named before goes ("no, appt 5079" at job 1042's card).
# (Not a dependent for every clear: a visit refused as another job's leaves the job to pick one of its own.)
GIVEN_DEPENDENTS = {**DEPENDENTS, "appointment_id": (*DEPENDENTS.get("appointment_id", ()), "job_id")}


def set_slots(p: Pending, changed: dict[str, Any]) -> None:
    p.refused = False  # the user answered: what they give now is progress again
    for slot, value in changed.items():
        p.slots[slot] = value
        for dependent in GIVEN_DEPENDENTS.get(slot, ()):
            if dependent not in changed:
                p.slots.pop(dependent, None)
    p.plan = None
    p.choice = None


def advance(s: Conversation, now: datetime, problem: str | None = None) -> list[Effect]:
    """Resolve the pending write as far as the data allows and say the next thing."""
    p = s.pending
    assert p is not None
    asker = s.asker or Asker(user_id="?", tz="UTC", role="guest")
    problems = [problem] if problem else []
    for _ in range(20):  # each Reject clears a slot, so this ends; the bound guards a bad table
        outcome = resolve(p, asker, now, campaign_id=s.campaign_id)
        if isinstance(outcome, Reject):
            if p.either is not None and p.slots.get("job_id") == p.either and _no_such_job(p, p.either):
                # "Which job or appointment?" 5073: no job has that number, so try the appointment
                p.slots.pop("job_id")
                p.slots["appointment_id"] = p.either_tried = p.either
                p.either = None
                continue
            already = _already_there(p)
            if already is not None:
                # "cancel job 1006" when it is canceled: say so, with why, and how to undo it
                why = _why_load(already, asker.tz)
                if why.key not in p.data:
                    if problems:
                        p.problem = " ".join(problems)
                    return [why]
                said = replies.already_there(p.intent, already, p.data.pop(why.key))
                outcome = Reject(outcome.clear, said, final=True)
            if outcome.final and p.card_before is None:
                outcome = Stop(outcome.problem)  # "already confirmed": nothing to ask; the request ends
                break
            tried, p.either_tried = p.either_tried, None
            if (
                tried is not None
                and "appointment_id" in outcome.clear
                and p.slots.get("appointment_id") == tried
            ):
                outcome = Reject(outcome.clear, f"I can't find a job or an appointment {tried}.")
            problems.append(outcome.problem)
            if p.card_before is not None:
                return restore_card(s, now, " ".join(problems))
            p.refused = True
            for slot in outcome.clear:
                p.slots.pop(slot, None)
                for dependent in DEPENDENTS.get(slot, ()):
                    p.slots.pop(dependent, None)
            continue
        break
    prefix = " ".join(problems)
    if isinstance(outcome, NeedLoad):
        if prefix:
            p.problem = prefix
        return [outcome.load]
    tried = p.either_tried
    found = p.data.get(Load("appointment", {"appointment_id": tried}).key) if tried is not None else None
    appt = found.get("appointment") if isinstance(found, dict) else None
    if isinstance(appt, dict) and p.slots.get("appointment_id") == tried:
        problems.append(
            f"No job has number {tried}, so I took appointment {tried} (job {appt.get('job_id')})."
        )
    p.card_before, p.either, p.either_tried = None, None, None
    prefix = " ".join(x for x in (p.problem, *problems) if x)
    p.problem = ""
    if isinstance(outcome, AskFor):
        p.asked, p.choice, p.plan = outcome.slot, None, None
        s.phase = "collecting"
        return [Ask(Reply(kind="ask", text=question_text(p, outcome.slot, prefix)))]
    if isinstance(outcome, Offer):
        return [offer(s, now, outcome, prefix)]
    if isinstance(outcome, Stop):
        s.pending, s.phase = None, "idle"
        return [
            Say(Reply(kind="error", text=f"{prefix} {outcome.problem}".strip() + " Nothing was changed."))
        ]
    assert isinstance(outcome, Ready)
    p.plan, p.asked, p.choice = outcome.plan, None, None
    s.phase = "confirming"
    s.token = new_token(s, now, "confirm")
    effects: list[Effect] = []
    if prefix:
        effects.append(Say(replies.text(prefix)))
    effects.append(ShowConfirmation(replies.confirmation(s, outcome.plan)))
    return effects


def _already_there(p: Pending) -> int | None:
    """The job id when the job is already as the request would leave it (cancel a canceled job, hold a
    job on hold: the write's `leaves`)."""
    leaves = WRITES[p.intent].leaves if p.intent in WRITES else None
    job_id = p.slots.get("job_id")
    found = p.data.get(Load("job", {"job_id": job_id}).key) if job_id is not None else None
    job = found.get("job") if isinstance(found, dict) else None
    if leaves is not None and isinstance(job, dict) and job.get("job_status") == leaves.value:
        return int(job["id"])
    return None


def _why_load(job_id: int, tz: str) -> Load:
    """The job look-up that says why it is canceled or on hold (the same read as *show job*)."""
    slots = json.dumps({"job_id": job_id}, sort_keys=True)
    return Load("read", {"intent": "show_job", "slots": slots, "tz": tz, "purpose": "why"})


def _no_such_job(p: Pending, job_id: Any) -> bool:
    """Whether the lookup of `job_id` found neither the job nor any appointment of it."""
    found = p.data.get(Load("job_appointments", {"job_id": job_id}).key)
    return isinstance(found, dict) and found.get("job") is None and not found.get("appointments")


def offer(s: Conversation, now: datetime, offer: Offer, prefix: str = "") -> Ask:
    """Show a choice among options; the picked option's value fills `offer.slot`."""
    p = s.pending
    assert p is not None
    p.asked, p.plan = None, None
    p.choice = OfferedChoice(slot=offer.slot, prompt=offer.prompt, options=offer.options)
    s.phase = "choosing"
    s.token = new_token(s, now, "choice")
    return Ask(choice_reply(p.choice, s.token, prefix))


def choice_reply(choice: OfferedChoice, token: str, prefix: str = "") -> Reply:
    """A choice as shown (numbered options and their buttons)."""
    numbered = "\n".join(f"{i}. {label}" for i, (_, label) in enumerate(choice.options, 1))
    return Reply(
        kind="choice",
        text=f"{prefix} {choice.prompt}".strip() + "\n" + numbered,
        choice=Choice(
            prompt=choice.prompt,
            options=[Option(value=v, label=label[:75]) for v, label in choice.options],
        ),
        token=token,
    )


def question_text(p: Pending, slot: str, prefix: str = "") -> str:
    """The question for `slot` of the request, with an example."""
    question, example = question_for(p.intent, slot)
    if slot == "job_id" and "target" in WRITE_STEPS.get(p.intent, ()):
        question, example = "Which job or appointment?", "1001, or appointment 5001"
    if slot == "job_changes" and p.slots.get("job_id") is not None:
        question = f"What should change on job {p.slots['job_id']}?"
    return f"{prefix} {question}".strip() + (f" (e.g. _{example}_)" if example else "")


def restore_card(s: Conversation, now: datetime, problem: str) -> list[Effect]:
    """A correction at the card was refused ("It's already at …", a past time, an unknown id): the card
    comes back as it was, with why, instead of dropping it and asking again."""
    p = s.pending
    assert p is not None and p.card_before is not None
    before, p.card_before, p.problem = p.card_before, None, ""
    p.slots = dict(before.slots)
    p.plan = before.plan
    p.asked, p.choice = None, None
    s.phase = "confirming"
    s.token = new_token(s, now, "restore")
    return [
        Say(replies.text(f"{problem} I left the card as it was.")),
        ShowConfirmation(replies.confirmation(s, p.plan)),
    ]
