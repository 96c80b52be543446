"""Unit tests of the pure `step`: hand-built states, clicks and lookup results; no parser, no ServiceTitan.

Lookups are answered from a dict of hand-written rows the way bot/dialog/runner.py would answer them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bot.dialog.engine import step
from bot.dialog.messages import Asker, Pressed, Reply, Said
from bot.dialog.state import (
    Ask,
    Called,
    CallServiceTitan,
    ClaimLost,
    Conversation,
    Effect,
    Load,
    Loaded,
    Pending,
    Say,
    ShowConfirmation,
)
from bot.servicetitan.operations import CancelJob, RescheduleAppointment

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
ASKER = Asker(user_id="U1", tz="America/Chicago", role="dispatcher")

APPTS = [
    {
        "id": 5002,
        "job_id": 1002,
        "start": "2026-11-26T14:00:00Z",
        "end": "2026-11-26T16:00:00Z",
        "status": "Scheduled",
    },
    {
        "id": 5003,
        "job_id": 1002,
        "start": "2026-11-30T14:00:00Z",
        "end": "2026-11-30T16:00:00Z",
        "status": "Scheduled",
    },
]
ASSIGNED = [
    {"appointment_id": 5002, "technician_id": 43, "technician_name": "Sarah Lopez", "active": True},
    {"appointment_id": 5003, "technician_id": 43, "technician_name": "Sarah Lopez", "active": True},
]
LOOKUPS: dict[str, Any] = {
    "job_types": [{"id": 22, "name": "Water Heater Repair"}],
    "arrival_windows": [{"start": "08:00", "duration": "02:00"}],
    "job_appointments": {"job": None, "appointments": APPTS, "assignments": ASSIGNED},
    "conflicts": [],
    "job_facts": {
        "found": True,
        "id": 1002,
        "job_type": "Water Heater Repair",
        "customer": "Ann Lee (#201)",
        "address": "12 Oak St, Springfield IL 62701",
        "business_unit": "Plumbing",
    },
}
STRAY = {**APPTS[0], "id": 5099, "job_id": 1999}


def lookup(what: str, args: dict[str, Any]) -> Any:
    if what == "references":
        return {name: LOOKUPS[name] for name in args["names"].split(",")}
    if what == "appointment":
        appt = next((a for a in [*APPTS, STRAY] if a["id"] == args["appointment_id"]), None)
        return {"appointment": appt, "assignments": ASSIGNED}
    return LOOKUPS[what]


def drive(
    state: Conversation, event: Any, now: datetime = NOW
) -> tuple[Conversation, list[Reply], list[Effect]]:
    """Step, answering every Load from LOOKUPS, until only replies and writes are left."""
    replies: list[Reply] = []
    others: list[Effect] = []
    queue = [event]
    while queue:
        state, effects = step(state, queue.pop(0), now)
        for effect in effects:
            if isinstance(effect, Load):
                queue.append(Loaded(effect.what, effect.args, data=lookup(effect.what, effect.args)))
            elif isinstance(effect, Ask | Say | ShowConfirmation):
                replies.append(effect.reply)
            else:
                others.append(effect)
    return state, replies, others


def collecting(slots: dict[str, Any]) -> Conversation:
    return Conversation(
        asker=ASKER,
        phase="collecting",
        pending=Pending(intent="reschedule_appointment", slots=slots),
        updated_at=NOW,
    )


def resume(state: Conversation) -> Any:
    """A click that makes the engine re-run resolution (resume of an expired request)."""
    state.expired, state.pending, state.phase = state.pending, None, "idle"
    return state, Pressed(action="resume")


def at_card(idle_minutes: int = 30) -> tuple[Conversation, Reply]:
    """Appointment 5002 of job 1002 to be moved to Friday: the conversation at its confirmation card."""
    state, event = resume(
        collecting({"job_id": 1002, "appointment_id": 5002, "when": {"date": "2026-11-27"}})
    )
    state.idle_minutes = idle_minutes
    state, replies, _ = drive(state, event)
    return state, replies[-1]


def test_a_reschedule_loads_its_reference_lists_in_one_look_up(monkeypatch: Any) -> None:
    asked: list[tuple[str, dict[str, Any]]] = []
    answer = lookup

    def recording(what: str, args: dict[str, Any]) -> Any:
        asked.append((what, args))
        return answer(what, args)

    monkeypatch.setitem(globals(), "lookup", recording)  # what drive() answers the engine's look-ups with
    state, event = resume(
        collecting({"job_id": 1002, "appointment_id": 5002, "when": {"date": "2026-11-27"}})
    )
    state, replies, _ = drive(state, event)

    assert replies[-1].kind == "confirm"
    # the job types and the arrival windows are independent: one look-up fetches both (together)
    assert ("references", {"names": "job_types,arrival_windows"}) in asked
    assert not {"job_types", "arrival_windows"} & {what for what, _ in asked}


def test_several_appointments_offer_a_choice_then_confirm_and_apply_once() -> None:
    state, event = resume(collecting({"job_id": 1002, "when": {"date": "2026-11-27"}}))
    state, replies, _ = drive(state, event)
    assert replies[-1].kind == "choice" and replies[-1].choice is not None
    assert [o.value for o in replies[-1].choice.options] == ["5002", "5003"]
    assert "Sarah Lopez" in replies[-1].choice.options[0].label

    state, replies, _ = drive(state, Pressed(action="choose", value="5003", token=replies[-1].token))
    card = replies[-1]
    assert card.kind == "confirm" and state.phase == "confirming"
    assert card.changes[0].before == "Monday, November 30, 2026, 8:00 AM – 10:00 AM"
    assert card.changes[0].after == "Friday, November 27, 2026, 8:00 AM – 10:00 AM"
    assert [b.action for b in card.buttons if b.style == "primary"] == ["confirm"]

    state, replies, writes = drive(state, Pressed(action="confirm", token=card.token))
    assert state.phase == "applying" and len(writes) == 1 and isinstance(writes[0], CallServiceTitan)
    move = writes[0].plan.operation
    assert isinstance(move, RescheduleAppointment) and move.appointment_id == 5003
    assert move.start == datetime(2026, 11, 27, 14, 0, tzinfo=UTC)

    again, replies, more = drive(state, Pressed(action="confirm", token=card.token))
    assert more == [] and "already" in replies[0].text.lower()

    state, replies, _ = drive(state, Called(writes[0].plan, ok=True))
    assert state.phase == "idle" and replies[0].kind == "result"
    assert [b.action for b in replies[0].buttons] == ["undo"]

    late, replies, more = drive(state, Pressed(action="confirm", token=card.token))
    assert more == [] and replies[0].text.startswith("Already done")

    lost, replies, _ = drive(state, ClaimLost())
    assert replies[0].text.startswith("Already done")


def test_undo_confirms_first_and_expires_after_ten_minutes() -> None:
    state, card = at_card()
    state, _, writes = drive(state, Pressed(action="confirm", token=card.token))
    state, replies, _ = drive(state, Called(writes[0].plan, ok=True))
    undo_token = replies[0].token

    undoing, replies, writes = drive(
        state, Pressed(action="undo", token=undo_token), NOW + timedelta(minutes=9)
    )
    assert writes == [] and replies[0].kind == "confirm"
    assert replies[0].changes[0].after == "Thursday, November 26, 2026, 8:00 AM – 10:00 AM"
    _, _, writes = drive(
        undoing, Pressed(action="confirm", token=replies[0].token), NOW + timedelta(minutes=9)
    )
    back = writes[0].plan.operation
    assert isinstance(back, RescheduleAppointment) and back.start == datetime(2026, 11, 26, 14, 0, tzinfo=UTC)

    _, replies, writes = drive(state, Pressed(action="undo", token=undo_token), NOW + timedelta(minutes=11))
    assert writes == [] and "expired" in replies[0].text


def test_appointment_of_another_job_is_rejected_and_asked_again() -> None:
    state, event = resume(
        collecting({"job_id": 1002, "appointment_id": 5099, "when": {"date": "2026-11-27"}})
    )
    state, replies, _ = drive(state, event)
    assert "Appointment 5099 belongs to job 1999, not job 1002." in replies[-1].text
    assert replies[-1].kind == "choice"  # then the appointments of job 1002 are offered


def test_stale_click_is_ignored() -> None:
    state, _ = at_card()
    state, replies, writes = drive(state, Pressed(action="confirm", token="not-this-card"))
    assert writes == [] and state.phase == "confirming" and "older message" in replies[0].text


def test_idle_conversation_expires_and_offers_resume() -> None:
    state, card = at_card()
    later = NOW + timedelta(minutes=31)
    expired, replies, writes = drive(state, Pressed(action="confirm", token=card.token), later)
    assert writes == [] and expired.phase == "idle" and expired.expired is not None
    assert "expired after 30 minutes" in replies[0].text and [b.action for b in replies[0].buttons] == [
        "resume"
    ]
    resumed, replies, _ = drive(expired, Pressed(action="resume", token=replies[0].token), later)
    assert resumed.phase == "confirming" and replies[-1].kind == "confirm"


def test_idle_minutes_are_configurable() -> None:
    state, card = at_card(idle_minutes=5)
    still, replies, writes = drive(
        state, Pressed(action="confirm", token=card.token), NOW + timedelta(minutes=4)
    )
    assert len(writes) == 1 and still.phase == "applying"
    expired, replies, writes = drive(
        state, Pressed(action="confirm", token=state.token), NOW + timedelta(minutes=6)
    )
    assert writes == [] and "expired after 5 minutes" in replies[0].text


def test_a_failed_write_goes_back_to_the_card_and_the_same_confirm_retries() -> None:
    state, card = at_card()
    state, _, writes = drive(state, Pressed(action="confirm", token=card.token))

    state, replies, _ = drive(
        state, Called(writes[0].plan, ok=False, error="Appointment is Working", status=409)
    )
    assert state.phase == "confirming" and state.pending is not None and not state.unsure
    assert replies[0].kind == "error" and "Appointment is Working" in replies[0].text
    assert not replies[0].replaces_card  # the card and its buttons stay
    assert [b.action for b in replies[0].buttons] == ["confirm", "abandon"]
    assert replies[0].token == card.token

    state, replies, writes = drive(state, Pressed(action="confirm", token=card.token))
    assert len(writes) == 1 and isinstance(writes[0], CallServiceTitan) and not writes[0].check_first


def test_an_unknown_outcome_makes_the_next_confirm_check_first() -> None:
    state, card = at_card()
    state, _, writes = drive(state, Pressed(action="confirm", token=card.token))
    state, replies, _ = drive(
        state, Called(writes[0].plan, ok=False, error="the outcome is unknown", uncertain=True)
    )
    assert state.phase == "confirming" and state.unsure
    assert "may or may not have gone through" in replies[0].text
    assert [b.label for b in replies[0].buttons] == ["Check & retry", "Never mind"]

    state, _, writes = drive(state, Pressed(action="confirm", token=card.token))
    assert len(writes) == 1 and isinstance(writes[0], CallServiceTitan) and writes[0].check_first

    state, replies, _ = drive(state, Called(writes[0].plan, ok=True, already=True))
    assert state.phase == "idle" and not state.unsure
    assert replies[0].kind == "result" and "already gone through" in replies[0].text


def test_while_a_write_is_applying_only_its_result_moves_the_conversation() -> None:
    """The card's buttons (Never mind too), a typed "cancel", however late: "already being done". A turn
    that died is settled by DialogService re-reading ServiceTitan, never by the clock here."""
    state, card = at_card()
    state, _, writes = drive(state, Pressed(action="confirm", token=card.token))
    assert state.phase == "applying"
    later = NOW + timedelta(minutes=6)
    for event in (
        Pressed(action="abandon", token=card.token),
        Pressed(action="confirm", token=card.token),
        Said(text="cancel"),
    ):
        still, replies, writes = drive(state, event, later)
        assert still.phase == "applying" and writes == [], event
        assert "already being done" in replies[-1].text, event
    done, replies, _ = drive(state, Called(state.pending.plan, ok=True), later)  # type: ignore[union-attr]
    assert done.phase == "idle" and replies[0].kind == "result"


def test_the_button_that_drops_a_request_is_never_labelled_cancel() -> None:
    from bot.dialog.replies import confirmation
    from bot.dialog.state import Plan

    state = Conversation(asker=ASKER, token="t")
    cancel = CancelJob(job_id=1007, reason_id=1, memo="")
    plan = Plan(operation=cancel, title="Cancel job 1007?", verb="Cancel job", done_text="")
    labels = [b.label for b in confirmation(state, plan).buttons]
    assert labels == ["Cancel job", "Never mind"]


def _booking_asking_customer() -> Conversation:
    return Conversation(
        asker=ASKER,
        phase="collecting",
        pending=Pending(intent="book_job", slots={}, asked="customer_id"),
        updated_at=NOW,
    )


def test_a_customer_name_is_looked_up_and_several_matches_are_a_choice() -> None:
    from bot.dialog.messages import Said

    state, effects = step(_booking_asking_customer(), Said(text="Lee"), NOW)
    assert effects == [Load("customers_named", {"name": "Lee"})]
    rows = [
        {"id": 201, "name": "Ann Lee", "address": {"street": "12 Oak St", "city": "Chicago"}},
        {"id": 205, "name": "Lee Park", "address": None},
    ]
    state, effects = step(state, Loaded("customers_named", {"name": "Lee"}, data=rows), NOW)
    assert len(effects) == 1 and isinstance(effects[0], Ask) and effects[0].reply.choice is not None
    assert [o.label for o in effects[0].reply.choice.options] == [
        "Ann Lee · 12 Oak St, Chicago (#201)",
        "Lee Park (#205)",
    ]
    state, _ = step(state, Pressed(action="choose", value="205", token=effects[0].reply.token), NOW)
    assert state.pending is not None and state.pending.slots["customer_id"] == 205


def test_one_customer_of_a_shorter_spelling_of_the_name_is_offered_not_taken() -> None:
    from bot.dialog.messages import Said

    state, _ = step(_booking_asking_customer(), Said(text="frances"), NOW)
    rows = [{"id": 207, "name": "Francis Young", "address": None, "cut_down": True}]  # found as "franc"
    state, effects = step(state, Loaded("customers_named", {"name": "frances"}, data=rows), NOW)
    assert len(effects) == 1 and isinstance(effects[0], Ask) and effects[0].reply.choice is not None
    assert state.pending is not None and "customer_id" not in state.pending.slots


def test_a_name_the_parser_guesses_a_write_from_is_still_the_customer_asked_for(monkeypatch: Any) -> None:
    """The fallback classifier may read a lone name as a write with nothing of it said ("Lee" looks like
    the technicians' names of assign_technician's examples); for "Which customer?" it is the name."""
    from bot.dialog import understand
    from bot.dialog.messages import Said

    monkeypatch.setattr(
        understand, "parse_text", lambda text, now, tz: {"intent": "assign_technician", "slots": {}}
    )
    _, effects = step(_booking_asking_customer(), Said(text="Lee"), NOW)
    assert effects == [Load("customers_named", {"name": "Lee"})]


def test_a_day_given_for_the_customer_is_not_looked_up_as_a_name() -> None:
    from bot.dialog.messages import Said

    state, effects = step(_booking_asking_customer(), Said(text="tomorrow 9am"), NOW)
    assert not any(isinstance(e, Load) and e.what == "customers_named" for e in effects)
    assert state.pending is not None and state.pending.slots.get("when") == {
        "date": "2026-11-25",
        "start": "09:00",
    }


def test_dropping_a_request_whose_outcome_is_unknown_does_not_claim_it_was_not_done() -> None:
    state, card = at_card()
    state, _, writes = drive(state, Pressed(action="confirm", token=card.token))
    state, _, _ = drive(state, Called(writes[0].plan, ok=False, error="no answer", uncertain=True))
    state, replies, _ = drive(state, Pressed(action="abandon", token=card.token))
    assert replies[0].text == (
        "OK, I won't try to reschedule job 1002 again. My earlier attempt may or may not have gone through; "
        "check ServiceTitan."
    )
    assert state.pending is None


def test_step_leaves_the_state_it_is_given_unless_handed_over() -> None:
    """`step` works on a copy; a caller that hands the state over (a conversation it just loaded and never
    uses again) gets it changed in place, with the same transition."""
    state = Conversation(asker=ASKER)
    before = state.model_dump()
    copied, effects = step(state, Said(text="move job 1002 to friday 2pm"), NOW)
    assert state.model_dump() == before and copied is not state
    given = Conversation(asker=ASKER)
    moved, same_effects = step(given, Said(text="move job 1002 to friday 2pm"), NOW, handed_over=True)
    assert moved is given and moved.model_dump() == copied.model_dump() != before
    assert same_effects == effects
