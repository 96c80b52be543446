"""What the dialog says and hears: the one interface between the dialog engine and its surfaces.

The dialog engine (bot/dialog) turns `Event`s into `Reply`s. Surfaces (the Slack app in bot/slack, the
console demo in bot/demo) only translate: Slack messages, clicks and menu choices into events, and replies
into Block Kit (bot/slack/blocks.py) or terminal text. Nothing here knows about Slack, Redis or HTTP.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from typing import Literal, Protocol

from pydantic import BaseModel, Field

Role = Literal["dispatcher", "technician", "manager", "guest"]

# ---- mentions the bot builds --------------------------------------------------------------------------
# Every string in a Reply is shown as text: a surface escapes it, so `<!channel>` typed by a user or stored
# in ServiceTitan never pings anyone. A mention the bot means to make is written with `mention()`: a marker
# around the user id carrying a key chosen at random when the process starts, so text from users or
# ServiceTitan cannot forge one. Replies are drawn in the process that made them.
MENTION_OPEN, MENTION_CLOSE = "\ue000", "\ue001"
_MENTION_KEY = secrets.token_hex(8)
_SLACK_USER_ID = re.compile(r"^[UW][A-Z0-9]{1,20}$")
BOT_MENTION = re.compile(
    re.escape(MENTION_OPEN) + _MENTION_KEY + r":(?P<user>[UW][A-Z0-9]{1,20})" + re.escape(MENTION_CLOSE)
)


def mention(user_id: str) -> str:
    """A live mention of a Slack user, for text the bot itself writes (never for a user's or ServiceTitan's
    words); a surface shows it as `<@U123>` (Slack) or `@U123` (the console)."""
    if not _SLACK_USER_ID.match(user_id):
        raise ValueError(f"not a Slack user id: {user_id!r}")
    return f"{MENTION_OPEN}{_MENTION_KEY}:{user_id}{MENTION_CLOSE}"


def without_mention_markers(text: str) -> str:
    """Text from outside (a user, ServiceTitan) with the characters `mention()` uses removed."""
    return text.replace(MENTION_OPEN, "").replace(MENTION_CLOSE, "")


# Actions a reply can offer. A surface shows each as a button (or a menu option for `choose`) and sends
# back `Pressed(action=..., value=...)` when it is used. `value` is opaque to the surface.
ActionName = Literal[
    "confirm",  # apply the change shown on the card (the one primary button)
    "abandon",  # drop the pending change
    "choose",  # pick one option of a Choice
    "undo",  # undo the change just applied
    "more",  # next page of a read answer
    "resume",  # resume an expired conversation
    "switch",  # drop the current conversation for the new request
    "keep",  # keep the current conversation, ignore the new request
    "retry",  # send a request again that ServiceTitan was too slow to answer (value: the event, as JSON)
]


class ConversationKey(BaseModel, frozen=True):
    """One conversation: two dispatchers in one channel or thread never share one."""

    team: str
    channel: str
    thread: str  # the thread's ts, or "" for a DM / the console
    user: str

    def as_path(self) -> str:
        return f"{self.team}:{self.channel}:{self.thread or '-'}:{self.user}"


class Asker(BaseModel, frozen=True):
    """Who is talking, as the surface knows them."""

    user_id: str
    tz: str  # IANA zone the user's dates are shown and parsed in
    role: Role = "dispatcher"
    name: str | None = None
    technician_id: int | None = None  # ServiceTitan technician linked to this user, if any


# ---- events: what the user did -------------------------------------------------------------------


class Said(BaseModel):
    kind: Literal["said"] = "said"
    text: str


class Pressed(BaseModel):
    """A button press or a menu choice. `token` ties it to the reply that offered it (stale clicks)."""

    kind: Literal["pressed"] = "pressed"
    action: ActionName
    value: str = ""
    token: str = ""


class PickedDate(BaseModel):
    """A datepicker/timepicker on a confirmation card was changed (a correction)."""

    kind: Literal["picked_date"] = "picked_date"
    date: dt.date | None = None  # `dt.`: a field named `date` would shadow the type in the class body
    time: dt.time | None = None
    token: str = ""


Event = Said | Pressed | PickedDate


# ---- replies: what the bot shows ------------------------------------------------------------------


class Fact(BaseModel):
    """A labelled fact on a card: Job #123 / Drain cleaning / Ann Lee / 12 Oak St."""

    label: str
    value: str


class Change(BaseModel):
    """One thing that will change (or changed): before → after, already formatted for the user."""

    label: str
    before: str
    after: str


class Button(BaseModel):
    action: ActionName
    label: str
    value: str = ""
    style: Literal["primary", "danger"] | None = None


class Option(BaseModel):
    value: str
    label: str  # short (≤75 chars): shown in a menu
    description: str | None = None


class Choice(BaseModel):
    """Pick one: shown as a static_select menu (or buttons when there are few)."""

    prompt: str
    options: list[Option] = Field(default_factory=list)


class DateEdit(BaseModel):
    """Offer a datepicker (and timepicker) to correct the date of a pending change."""

    date: dt.date
    time: dt.time | None = None


class Reply(BaseModel):
    """One message from the bot. `text` is always a complete plain-text version of it."""

    kind: Literal["text", "ask", "choice", "confirm", "result", "error", "list"] = "text"
    text: str
    title: str | None = None
    facts: list[Fact] = Field(default_factory=list)
    changes: list[Change] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    lines: list[str] = Field(default_factory=list)  # rows of a read answer (job list, notes, a day)
    choice: Choice | None = None
    date_edit: DateEdit | None = None
    buttons: list[Button] = Field(default_factory=list)
    footnote: str | None = None  # e.g. "Times in America/Chicago"
    token: str = ""  # echoed back in Pressed/PickedDate from this reply's controls
    read_only: bool = False  # answers a read request: may be ephemeral in a channel
    replaces_card: bool = False  # replaces the card that was clicked (chat.update) rather than a new post


class Dialog(Protocol):
    """What a surface needs from the dialog engine (bot/dialog/service.py implements it)."""

    async def handle(self, key: ConversationKey, asker: Asker, event: Event) -> list[Reply]:
        """Take one user event in one conversation and return the replies to show, in order."""
        ...

    async def home(self, asker: Asker) -> Reply:
        """The App Home / start screen for this user: their role and, for a technician, today's work."""
        ...
