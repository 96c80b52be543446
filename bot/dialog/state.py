"""The dialog's data: the stored conversation, the effects `step` asks for and the results fed back to it.

Everything here is plain data (pydantic models and frozen dataclasses) with no Slack, Redis or HTTP in it,
so a conversation can be saved as JSON, and `bot.dialog.engine.step` can be tested with hand-built events.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import Enum
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, Field, model_validator
from pydantic_core import PydanticUndefined

from bot.dialog.messages import Asker, Reply
from bot.servicetitan.operations import AnyOperation

Phase = Literal["idle", "collecting", "choosing", "confirming", "applying", "switching"]
ACTIVE_PHASES: frozenset[str] = frozenset({"collecting", "choosing", "confirming", "switching"})

# 2: Pending's flags are typed fields (card_before, refused, either, either_tried, customer_name, problem);
# version 1 kept them in Pending.data under underscore keys, and is read by moving them over.
# 3: a Plan carries a typed ServiceTitan operation; a plan stored as {"op", "args"} (version 2 and before)
# is not sent: the request or undo holding it is dropped and the user told so (`notice`).
STATE_VERSION = 3
_V1_FLAGS = {
    "_card": "card_before",
    "_refused": "refused",
    "_job_or_appointment": "either",
    "_tried_as_appointment": "either_tried",
    "_customer_name": "customer_name",
    "_problem": "problem",
}


class OfferedChoice(BaseModel):
    """A Choice shown to the user: which slot the picked option fills and the options (value -> label)."""

    slot: str
    prompt: str
    options: list[tuple[str, str]]  # (value, label)


class Guard(BaseModel):
    """What a write expects ServiceTitan to still show, so it never overwrites someone else's change.

    For a confirm: the "before" of the card (checked when the card's data is older than the runner's
    freshness window). For an undo: what the undone change left (always checked)."""

    kind: Literal["appointment", "assignments", "job"]
    id: int  # the appointment's or job's id
    fields: dict[str, Any]  # field -> the value expected (ISO times, sorted technician ids)
    label: str  # "Job 1012", for the message
    tz: str  # for times in the message
    always: bool = False


class Plan(BaseModel):
    """A write ready to confirm: the typed ServiceTitan operation and what the card shows."""

    operation: AnyOperation
    title: str
    verb: str  # label of the primary button, e.g. "Reschedule"
    done_text: str  # the result message after success
    facts: list[tuple[str, str]] = Field(default_factory=list)
    changes: list[tuple[str, str, str]] = Field(default_factory=list)  # (label, before, after)
    warnings: list[str] = Field(default_factory=list)
    date_edit: tuple[str, str | None] | None = None  # (ISO date, "HH:MM") for a datepicker correction
    undo: Plan | None = None  # the plan that restores the previous state, when undo is offered
    guard: Guard | None = None  # re-read before the write: nothing of someone else's is overwritten
    seen_at: datetime | None = None  # when the card's "before" was read from ServiceTitan
    conflict_text: str | None = None  # what to say when ServiceTitan refuses it as a conflict (409)


class CardBefore(BaseModel):
    """The card as it was before a correction, shown again if ServiceTitan's data refuses the correction."""

    slots: dict[str, Any]
    plan: Plan


class Pending(BaseModel):
    """One request being collected, validated and confirmed."""

    intent: str
    slots: dict[str, Any] = Field(default_factory=dict)  # user-given values, in the parser's formats
    data: dict[str, Any] = Field(default_factory=dict)  # ServiceTitan lookups, by `load_key`
    asked: str | None = None  # the slot the last question was about
    choice: OfferedChoice | None = None
    plan: Plan | None = None  # set while confirming / applying
    started_at: datetime | None = None
    card_before: CardBefore | None = None  # while a correction made at the card is checked
    refused: bool = (
        False  # the last thing said about the request was a refusal (nothing to lose by dropping it)
    )
    either: int | None = None  # a number given for "Which job or appointment?" (a job id, if a job has it)
    either_tried: int | None = None  # that number, now tried as an appointment id
    customer_name: str | None = None  # the name a customer lookup is running for
    problem: str = ""  # what to say before the next question, kept while a lookup runs

    @model_validator(mode="before")
    @classmethod
    def _from_version_1(cls, value: Any) -> Any:
        """Version 1 kept the flags in `data` under underscore keys: move them to their fields."""
        if not isinstance(value, dict) or not isinstance(value.get("data"), dict):
            return value
        data = dict(value["data"])
        moved = {field: data.pop(key) for key, field in _V1_FLAGS.items() if key in data}
        if not moved:
            return value
        return {**value, "data": data, **moved}

    def forget_lookups(self) -> None:
        """Drop everything looked up and settled from it, to check the request against ServiceTitan again."""
        self.data, self.plan, self.choice = {}, None, None
        self.card_before, self.refused, self.either, self.either_tried = None, False, None, None
        self.customer_name, self.problem = None, ""


def _holds_untyped_plan(value: Any) -> bool:
    """Whether a stored part of a conversation holds a plan of version 2 or before ({"op", "args"})."""
    if isinstance(value, dict):
        if "op" in value and "args" in value and "operation" not in value:
            return True
        return any(_holds_untyped_plan(v) for v in value.values())
    if isinstance(value, list):
        return any(_holds_untyped_plan(v) for v in value)
    return False


def _dropped_request_notice(pending: Any, phase: Any, unsure: Any) -> str:
    slots = pending.get("slots") if isinstance(pending, dict) else None
    slots = slots if isinstance(slots, dict) else {}
    what = "your request"
    for slot, noun in (("job_id", "job"), ("appointment_id", "appointment")):
        if isinstance(slots.get(slot), int):
            what += f" about {noun} {slots[slot]}"
            break
    if phase == "applying" or unsure:
        return (
            f"I was updated while {what} was being sent, so I can't tell whether it went through: "
            "please check it in ServiceTitan before asking again."
        )
    return f"I was updated while {what} was open, so I dropped it; nothing was changed. Please ask again."


class OfferedReadings(BaseModel):
    """ "Did you mean…": the readings of an unsure parse shown as buttons ({intent, slots, label}), and the
    token of that message (bot/dialog/didyoumean.py)."""

    token: str
    readings: list[dict[str, Any]]


class UndoOffer(BaseModel):
    plan: Plan
    until: datetime
    token: str


class ReadPages(BaseModel):
    """Rows of the last read answer, for the "more" button."""

    title: str
    rows: list[str]
    shown: int
    token: str


class Conversation(BaseModel):
    """The stored state of one conversation (ConversationKey)."""

    version: int = STATE_VERSION
    phase: Phase = "idle"
    pending: Pending | None = None
    switch_to: dict[str, Any] | None = None  # a parsed new request waiting for switch/keep
    token: str = ""  # token of the card whose buttons are live
    updated_at: datetime | None = None
    asker: Asker | None = None
    idle_minutes: int = 30
    campaign_id: int | None = None  # the campaign new jobs are booked under; None: the first active one
    expired: Pending | None = None  # the request that expired, offered for resume
    undo: UndoOffer | None = None  # the last change's undo: what a typed "undo" acts on
    # earlier changes' undos, still pressable on their own messages within their minutes (newest last)
    earlier_undos: list[UndoOffer] = Field(default_factory=list)
    read: ReadPages | None = None
    last_read: dict[str, Any] | None = (
        None  # the last day-list look-up ({intent, slots}), for "what about friday"
    )
    last_done: str | None = None  # what the last confirmed write did ("already done" answers)
    last_done_token: str = ""
    unsure: bool = False  # the pending plan was sent but its outcome is unknown: check before sending again
    then: dict[str, Any] | None = None  # the second request of the message ({intent, slots, text}), next
    no_undo: str | None = None  # the last change has no undo: what it was and why, for a typed "undo"
    notice: str | None = None  # said at the start of the next turn (e.g. a request dropped by an update)
    # While applying: the token of the turn that claimed the conversation for its write, and when (that
    # process's clock). Only a save holding this token may end the claim (bot/dialog/claims.py).
    claim: str = ""
    claimed_at: datetime | None = None

    @model_validator(mode="before")
    @classmethod
    def _drop_untyped_plans(cls, value: Any) -> Any:
        """Version 2 and before stored plans as {"op", "args"}: the request (or the undo, or the expired
        request) holding one is dropped, never sent, and the next turn says so."""
        if not isinstance(value, dict):
            return value
        value = dict(value)
        notices: list[str] = []
        if _holds_untyped_plan(value.get("pending")) or _holds_untyped_plan(value.get("switch_to")):
            if value.get("pending") is not None:
                notices.append(
                    _dropped_request_notice(value["pending"], value.get("phase"), value.get("unsure"))
                )
            value.update(pending=None, switch_to=None, phase="idle", unsure=False, token="")
        if _holds_untyped_plan(value.get("expired")):
            value["expired"] = None
        if _holds_untyped_plan(value.get("undo")):
            value["undo"] = None
            notices.append("The undo offered for your last change is no longer available after an update.")
        if _holds_untyped_plan(value.get("earlier_undos")):
            value["earlier_undos"] = []
        if notices:
            value["notice"] = " ".join([*filter(None, [value.get("notice")]), *notices])
        return value

    offered: OfferedReadings | None = None  # "Did you mean…" shown, waiting in `choosing` with no request

    @model_validator(mode="after")
    def _current_version(self) -> Conversation:
        self.version = STATE_VERSION  # an older stored version is read into the current fields (Pending)
        return self


# ---- effects: what step asks the boundary (bot/dialog/runner.py) to do -----------------------------------


@dataclass(frozen=True)
class Ask:
    """Ask the user for a slot (a question, maybe with a Choice)."""

    reply: Reply


@dataclass(frozen=True)
class ShowConfirmation:
    reply: Reply


@dataclass(frozen=True)
class Say:
    """Any other reply: a result, an error, a read answer, help."""

    reply: Reply


@dataclass(frozen=True)
class Load:
    """Look something up in ServiceTitan (reference data through the cache); answered by `Loaded`."""

    what: str
    args: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return load_key(self.what, self.args)


@dataclass(frozen=True)
class CallServiceTitan:
    """Perform a confirmed write; answered by `Called`. The boundary claims the conversation first.

    `check_first`: an earlier attempt's outcome is unknown, so read ServiceTitan first and send the write
    only when the change is not there yet (never a blind second write)."""

    plan: Plan
    check_first: bool = False


Effect = Ask | ShowConfirmation | Say | Load | CallServiceTitan


# ---- internal events: results fed back into step ---------------------------------------------------------


@dataclass(frozen=True)
class Loaded:
    what: str
    args: dict[str, Any]
    data: Any = None
    error: str | None = None  # a message for the user when the lookup failed


@dataclass(frozen=True)
class Called:
    plan: Plan
    ok: bool
    data: Any = None
    error: str | None = None
    status: int | None = None
    uncertain: bool = False  # ServiceTitan may have applied it (timeout, 5xx) and it couldn't be checked
    already: bool = False  # a check found the change already in place (an earlier attempt went through)
    drift: str | None = None  # not sent: ServiceTitan changed since the card ("Job 1012 has been moved to …")


@dataclass(frozen=True)
class ClaimLost:
    """The conversation was claimed by another delivery of the same confirm (compare-and-set failed)."""


def load_key(what: str, args: dict[str, Any]) -> str:
    parts = ",".join(f"{k}={args[k]}" for k in sorted(args))
    return f"{what}:{parts}"


# ---- copies --------------------------------------------------------------------------------------------

_M = TypeVar("_M", bound=BaseModel)
_SHARED = (str, int, float, bool, type(None), datetime, date, time, timedelta)  # immutable: not copied


def copied(model: _M) -> _M:
    """A deep copy of a model of plain data (`model.model_copy(deep=True)`, as pydantic makes it) made
    without `copy.deepcopy`'s bookkeeping: dicts, lists and models are copied all the way down, immutable
    values shared, anything else deep-copied. A turn copies its conversation at each step, and the
    conversation carries the rows it read (~4% of a reschedule's CPU through `copy.deepcopy`). Objects the
    model holds twice are copied twice (the stored conversation, JSON, holds nothing twice either)."""
    return _copied(model)


def _copied(value: Any) -> Any:
    kind = type(value)
    if kind in _SHARED or isinstance(value, Enum):
        return value
    if kind is dict:
        return {k: _copied(v) for k, v in value.items()}
    if kind is list:
        return [_copied(v) for v in value]
    if kind is tuple:
        return tuple(_copied(v) for v in value)
    if isinstance(value, BaseModel):
        model = type(value)
        made = model.__new__(model)
        object.__setattr__(made, "__dict__", _copied(value.__dict__))
        object.__setattr__(made, "__pydantic_extra__", _copied(value.__pydantic_extra__))
        object.__setattr__(made, "__pydantic_fields_set__", set(value.__pydantic_fields_set__))
        private = getattr(value, "__pydantic_private__", None)
        if private is not None:  # as pydantic copies it
            private = copy.deepcopy({k: v for k, v in private.items() if v is not PydanticUndefined})
        object.__setattr__(made, "__pydantic_private__", private)
        return made
    return copy.deepcopy(value)
