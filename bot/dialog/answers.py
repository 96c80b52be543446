"""The typed answers `bot.dialog.understand` reads a turn into (see its docstring for what each means);
`bot.dialog.engine` moves between phases on them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal


@dataclass(frozen=True)
class Confirm:
    """Yes to what is shown: the card ("card") or the offer to drop the request for another ("switch")."""

    token: str
    to: Literal["card", "switch"] = "card"


@dataclass(frozen=True)
class Deny:
    """No to what is shown: not yet to the card ("card"), keep the current request ("switch")."""

    token: str
    to: Literal["card", "switch"] = "card"


@dataclass(frozen=True)
class Abandon:
    token: str | None = None  # None: typed, so about whatever is in progress


@dataclass(frozen=True)
class Undo:
    token: str | None = None  # None: typed, so the last change's offer


@dataclass(frozen=True)
class Pick:
    value: str
    token: str


@dataclass(frozen=True)
class Fill:
    """Slot values for the request in progress. `note` is said before what comes next; `customer_name`
    asks for the customers of that name to be looked up (for "Which customer?"); `either` is a number
    given for "Which job or appointment?", tried as an appointment when no job has it."""

    slots: dict[str, Any] = field(default_factory=dict)
    note: str = ""
    customer_name: str | None = None
    either: int | None = None
    picked: bool = False  # from the card's date or time picker
    then: dict[str, Any] | None = None  # a second request in the same message (bot.dialog.compound)


@dataclass(frozen=True)
class NewRequest:
    intent: str
    slots: dict[str, Any] = field(default_factory=dict)
    then: dict[str, Any] | None = None  # a second request in the same message (bot.dialog.compound)
    dropped: bool = False  # said instead of the open request ("actually no, hold it instead"): it goes


@dataclass(frozen=True)
class Unclear:
    """Nothing usable. A message is answered with `problem` and the question or card again; a click on
    something that is gone (`click`) only with `problem`."""

    problem: str
    click: bool = False


@dataclass(frozen=True)
class More:
    token: str


@dataclass(frozen=True)
class Resume:
    pass


@dataclass(frozen=True)
class Unsure:
    """A new request the parser is unsure of: its likely readings ({intent, slots}), most likely first."""

    readings: tuple[dict[str, Any], ...]


Answer = Confirm | Deny | Abandon | Undo | Pick | Fill | NewRequest | Unclear | More | Resume | Unsure
