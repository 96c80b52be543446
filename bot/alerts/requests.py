"""What people say about their alerts: subscribe, unsubscribe, "my alerts", quiet hours.

`answer(...)` is the dialog's hook: it returns the reply for an alert request (acting on the store), or
None for anything else, which the dialog then handles as usual. `subscribe_alerts` / `unsubscribe_alerts`
come from the intent parser (with its `kinds` slot); "my alerts" and "no alerts between 8pm and 6am" are
read here. Managers and dispatchers subscribe themselves; a manager speaking in a channel subscribes the
channel. Technicians and guests are told who can.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time
from typing import Any

from bot.alerts.subscriptions import Subscriptions, describe
from bot.dialog.messages import Asker, ConversationKey, Reply
from bot.store import Store
from intents.api import parse

MY_ALERTS = re.compile(
    r"^\s*(?:what are |show(?: me)? |list )?my (?:alerts|alert subscriptions?)\s*[?.!]?\s*$", re.I
)
QUIET = re.compile(
    r"^\s*(?:no|quiet|mute|pause|silence)\b.*\balerts?\b.*?\b(?:between|from)\s+(?P<a>\d{1,2}(?::\d{2})?\s*(?:am|pm)?)"
    r"\s+(?:and|to|until|-)\s+(?P<b>\d{1,2}(?::\d{2})?\s*(?:am|pm)?)\s*[.!]?\s*$",
    re.I,
)
NO_QUIET = re.compile(r"^\s*(?:no|remove|clear|stop)\s+(?:my\s+)?quiet hours\s*[.!]?\s*$", re.I)
ROLES = ("manager", "dispatcher")


def _clock(text: str) -> time | None:
    match = re.fullmatch(r"(\d{1,2})(?::(\d{2}))?\s*(am|pm)?", text.strip(), re.I)
    if not match:
        return None
    hour, minute, half = int(match[1]), int(match[2] or 0), (match[3] or "").lower()
    if half == "pm" and hour < 12:
        hour += 12
    if half == "am" and hour == 12:
        hour = 0
    return time(hour, minute) if hour < 24 and minute < 60 else None


def _reply(text: str) -> Reply:
    return Reply(kind="text", text=text, read_only=True)


async def answer(store: Store, asker: Asker, key: ConversationKey, text: str) -> Reply | None:
    intent: str | None = None
    slots: dict[str, Any] = {}
    quiet = QUIET.match(text)
    if MY_ALERTS.match(text):
        intent = "my_alerts"
    elif quiet:
        intent = "quiet_hours"
    elif NO_QUIET.match(text):
        intent = "no_quiet_hours"
    else:
        parsed = parse(text, now=datetime.now(UTC), tz=asker.tz)
        if parsed["intent"] in ("subscribe_alerts", "unsubscribe_alerts"):
            intent, slots = parsed["intent"], parsed.get("slots") or {}
    if intent is None:
        return None
    if asker.role not in ROLES:
        return _reply("Hold and cancel alerts are for managers and dispatchers.")
    subs = Subscriptions(store)
    in_channel = not key.channel.startswith("D") and bool(key.channel)
    target = (
        key.channel
        if in_channel and asker.role == "manager" and intent.endswith("_alerts")
        else asker.user_id
    )
    whose = "This channel gets" if target != asker.user_id else "You get"
    kinds = list(slots.get("kinds") or []) or None
    if intent == "subscribe_alerts":
        sub = await subs.subscribe(target, kinds)
    elif intent == "unsubscribe_alerts":
        sub = await subs.unsubscribe(target, kinds)
    elif intent == "quiet_hours" and quiet:
        start, end = _clock(quiet["a"]), _clock(quiet["b"])
        if start is None or end is None or start == end:
            return _reply("I couldn't read those hours; try “no alerts between 8pm and 6am”.")
        sub = await subs.set_quiet(asker.user_id, start, end)
    elif intent == "no_quiet_hours":
        sub = await subs.set_quiet(asker.user_id, None, None)
    else:
        sub = await subs.of(asker.user_id)
    said = describe(sub)
    if target != asker.user_id:
        said = said.replace("You're not", "This channel is not").replace("You get", whose)
    return _reply(said)
