"""What people say about their alerts: subscribe, unsubscribe, "my alerts", quiet hours, a pause.

`answer(...)` is the dialog's hook: it returns the reply for an alert request (acting on the store), or
None for anything else, which the dialog then handles as usual. `subscribe_alerts` / `unsubscribe_alerts`
come from the intent parser (with its `kinds` slot); "my alerts", quiet hours ("no alerts between 8pm and
6am", "mute alerts overnight", "dont send me anything after 8pm") and pauses ("pause alerts for the
weekend") are read here. Managers and dispatchers subscribe themselves; a manager speaking in a channel
subscribes the channel. Technicians and guests are told who can.

A request to mute, pause, quiet or snooze alerts never unsubscribes: it sets quiet hours or a pause when it
says when, and otherwise asks (the parser reads "mute alerts" as `unsubscribe_alerts`; that reading is not
taken). Only a message about alerts is read here: one naming a job or appointment number, or not about
alerts at all ("pause 1010", "stop job 1010"), is left to the dialog.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.alerts import corrections
from bot.alerts.subscriptions import Subscription, Subscriptions, describe
from bot.dialog.messages import Asker, ConversationKey, Reply
from bot.store import Store
from intents.api import parse

ROLES = ("manager", "dispatcher")
NIGHT_FROM, NIGHT_TO = time(20, 0), time(6, 0)
"""Quiet hours for "overnight" (and the end of "nothing after 8pm"): said in the answer."""
MORNING = time(6, 0)
"""When a pause "until tomorrow" or "for the weekend" ends."""

_CLOCK = r"(?:\d{1,2}(?::\d{2})?\s*(?:am|pm|a\.m\.|p\.m\.)?|noon|midnight)"
_ALERTS = r"(?:alerts?|notifications?|notifs?|pings?)"
ABOUT_ALERTS = re.compile(
    rf"\b{_ALERTS}\b|\bquiet hours?\b|\b(?:send|message|ping|dm|notify|bother)\s+me\s+(?:anything|nothing|any\w*)\b",
    re.I,
)
"""A message about the asker's alerts (anything else is not read here)."""
LATE_NOTICE = re.compile(r"\b(?:late|behind|delayed|held up|stuck in traffic)\b", re.I)
"""A technician's running-late notice ("let dispatch know i'll be 10 min late"): never an alert request
(bot/dialog/notices.py answers it), unless it says alerts ("alert me when a tech is running late")."""
AN_ID = re.compile(r"(?<![:\d])\d{3,}(?!\s*(?:am|pm|:))", re.I)
"""A job or appointment number: such a message is about that record, not about alerts."""
A_RECORD = re.compile(
    r"\b(?:it|that one|this one|that job|this job|the (?:first|second|third|fourth|fifth|last|next|other)\b"
    r"|the \d{1,2}(?:st|nd|rd|th)\b)",
    re.I,
)
"""Words for a job or visit ("tell me about the first one", "tell me about it"): with no kind of change and
no alert word, such a message is a question about that record (the dialog's), not an alert request."""
SOFT = re.compile(
    r"\b(?:mute|muted|pause|paused|quiet|silence|silent|snooze|hush|for now|for a while|temporarily|"
    r"overnight|weekend|until|till|til|tonight)\b",
    re.I,
)
"""Words of a request to rest alerts for a while: never read as unsubscribing."""
REST = re.compile(
    r"\b(?:mute|pause|quiet|silence|snooze|hush|stop|turn off|switch off|shut off|disable|hold off|no|"
    r"don[’']?t|do not)\b",
    re.I,
)
"""Words that, with a time ("for the weekend", "for 2 hours", "until monday"), ask for a pause."""

MY_ALERTS = re.compile(
    r"^\s*(?:(?:what are |show(?: me)? |list |check )?my (?:alerts?|alert (?:subscriptions?|settings))"
    r"|what (?:alerts|notifications) (?:do i (?:get|have)|am i (?:getting|subscribed to|signed up for))"
    r"|which (?:alerts|notifications) (?:do i (?:get|have)|am i (?:getting|subscribed to|signed up for))"
    r"|am i (?:subscribed|signed up) (?:to|for) (?:any )?(?:alerts|notifications)"
    r"|am i (?:subscribed|signed up)(?: to (?:anything|something|them|it))?"
    r"|what (?:am i|are we) (?:subscribed|signed up) (?:to|for)(?: (?:right now|now|currently|at the moment))?"
    r"|what (?:alerts|notifications) (?:are|have) (?:i|we) (?:got|set up|on)"
    r"|(?:do|did) i have any (?:alerts|notifications|alert subscriptions)(?: set up| on)?"
    r"|what(?:'?s| is) my (?:alert|notification) (?:status|setup|set up))\s*[?.!]*\s*$",
    re.I,
)
NO_QUIET = re.compile(
    r"^\s*(?:no|remove|clear|stop|cancel|delete|turn off|end)\s+(?:my\s+|the\s+)?quiet hours\s*[.!]?\s*$",
    re.I,
)
UNPAUSE = re.compile(
    rf"^\s*(?:(?:un-?pause|resume|restart|unmute|un-?snooze)\s+(?:my\s+|the\s+)?{_ALERTS}"
    rf"|(?:turn|switch)\s+(?:my\s+)?{_ALERTS}\s+back\s+on)\s*[.!]?\s*$",
    re.I,
)
RANGE = re.compile(
    rf"(?P<lead>\b(?:between|from)\s+)?(?P<a>{_CLOCK})\s*(?:and|to|until|till|til|through|-|–)\s*(?P<b>{_CLOCK})\b",
    re.I,
)
AFTER = re.compile(rf"\bafter\s+(?P<a>{_CLOCK})(?!\s*(?:and|to|-))", re.I)
OVERNIGHT = re.compile(r"\b(?:overnight|at night|nights|nightly|every night|during the night)\b", re.I)
WEEKEND = re.compile(r"\b(?:for|over|during|this|on)\s+(?:the\s+)?weekends?\b", re.I)
FOR_SPAN = re.compile(
    r"\bfor\s+(?:the\s+next\s+)?(?P<n>\d{1,3}|an?|one|two|three|four|five|six|twelve)\s*"
    r"(?P<unit>min(?:ute)?s?|h(?:ou)?rs?|hours?|days?)\b",
    re.I,
)
REST_OF_DAY = re.compile(r"\b(?:for (?:the rest of )?(?:the day|today)|today|tonight|for tonight)\b", re.I)
UNTIL = re.compile(r"\b(?:until|till|til|through)\s+(?P<what>.+?)\s*[.!]?\s*$", re.I)
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "twelve": 12}

HOW_TO_SUBSCRIBE = "To get them, say *alert me when a job is canceled or put on hold*."
ASK = (
    "Do you want quiet hours every night (“quiet hours 8pm to 6am”), a pause until a time (“pause alerts "
    "until monday 6am”, “pause alerts for 2 hours”), or to stop them for good (“stop all alerts”)? "
    "I haven't changed anything."
)


def _clock(text: str) -> time | None:
    text = text.strip().lower().replace(".", "")
    if text in ("noon", "midnight"):
        return time(12, 0) if text == "noon" else time(0, 0)
    match = re.fullmatch(r"(\d{1,2})(?::(\d{2}))?\s*(am|pm)?", text)
    if not match:
        return None
    hour, minute, half = int(match[1]), int(match[2] or 0), (match[3] or "").lower()
    if half and not 1 <= hour <= 12:
        return None
    if half == "pm" and hour < 12:
        hour += 12
    if half == "am" and hour == 12:
        hour = 0
    return time(hour, minute) if hour < 24 and minute < 60 else None


def _has_half(text: str) -> bool:
    return bool(re.search(r"(?:am|pm|a\.m\.|p\.m\.|noon|midnight)\s*$", text.strip(), re.I))


def _quiet_range(a: str, b: str) -> tuple[time | None, time | None]:
    """Two clock times said as quiet hours; a bare evening hour ("between 10 and 6") is read as p.m."""
    start, end = _clock(a), _clock(b)
    if start is not None and not _has_half(a) and 5 <= start.hour < 12 and not _has_half(b):
        start = start.replace(hour=start.hour + 12)
    return start, end


def _ampm(value: time) -> str:
    return value.strftime("%-I:%M %p")


def _when(moment: datetime) -> str:
    return moment.strftime("%a %b %-d, %-I:%M %p")


def _at(day: datetime, clock: time) -> datetime:
    return day.replace(hour=clock.hour, minute=clock.minute, second=0, microsecond=0)


def _until(what: str, local: datetime) -> datetime | None:
    """The end of a pause said as "until X": tomorrow (morning), a weekday (and clock), or a clock time."""
    what = what.strip().lower()
    what = re.sub(r"^(?:next|this)\s+", "", what)
    clock_match = re.search(rf"(?:at\s+)?({_CLOCK})\s*$", what)
    clock = _clock(clock_match[1]) if clock_match and re.search(r"\d|noon|midnight", clock_match[1]) else None
    day_words = what[: clock_match.start()].strip() if clock_match and clock is not None else what
    day_words = re.sub(r"\s+(?:morning|am)$", "", day_words).strip()
    if day_words in ("", "later"):
        if clock is None:
            return None
        end = _at(local, clock)
        return end if end > local else end + timedelta(days=1)
    if day_words in ("tomorrow", "tmrw", "tomorow", "the morning", "morning"):
        day = local + timedelta(days=1) if day_words.startswith("to") or local.time() >= MORNING else local
        return _at(day, clock or MORNING)
    short = {w[:3]: i for i, w in enumerate(WEEKDAYS)}
    word = day_words.rstrip("s")
    index = WEEKDAYS.index(word) if word in WEEKDAYS else short.get(word[:3]) if len(word) == 3 else None
    if index is None:
        return None
    ahead = (index - local.weekday()) % 7 or 7
    return _at(local + timedelta(days=ahead), clock or MORNING)


def _pause(text: str, now: datetime, tz: str) -> tuple[datetime | None, datetime] | None:
    """(start or None for now, end) of a pause said in `text`, in UTC; None when it says no time."""
    local = now.astimezone(ZoneInfo(tz))
    if WEEKEND.search(text):
        days_to_saturday = (5 - local.weekday()) % 7
        start = None if local.weekday() >= 5 else _at(local + timedelta(days=days_to_saturday), time(0, 0))
        monday = local + timedelta(days=(7 - local.weekday()) % 7 or 7)
        return (start.astimezone(UTC) if start else None), _at(monday, MORNING).astimezone(UTC)
    span = FOR_SPAN.search(text)
    if span:
        count = int(span["n"]) if span["n"].isdigit() else NUMBERS[span["n"].lower()]
        unit = span["unit"].lower()
        delta = (
            timedelta(minutes=count)
            if unit.startswith("m")
            else timedelta(days=count)
            if unit.startswith("d")
            else timedelta(hours=count)
        )
        return (None, now + delta) if delta > timedelta(0) else None
    until = UNTIL.search(text)
    if until:
        end = _until(until["what"], local)
        return (None, end.astimezone(UTC)) if end is not None and end > local else None
    if REST_OF_DAY.search(text):
        return None, _at(local + timedelta(days=1), MORNING).astimezone(UTC)
    return None


def _once(start: time, end: time, now: datetime, tz: str) -> tuple[datetime | None, datetime]:
    """A pause "from 2pm to 4pm": the next such window (now when it has begun), in UTC."""
    local = now.astimezone(ZoneInfo(tz))
    first = _at(local, start)
    last = _at(local, end)
    if last <= first:
        last += timedelta(days=1)
    if last <= local:
        first, last = first + timedelta(days=1), last + timedelta(days=1)
    return (first.astimezone(UTC) if first > local else None), last.astimezone(UTC)


def _stopped(before: Subscription | None, after: Subscription | None, whose: str) -> str:
    """What an unsubscribe stopped, said before what is left: never "not subscribed" alone for a stop."""
    stopped = sorted(set(before.kinds if before else ()) - set(after.kinds if after else ()))
    if not stopped:
        return "There was nothing to stop. "
    return f"Stopped {whose.lower() if whose == 'Your' else whose} alerts for {corrections.kinds_text(stopped)}. "


def _reply(text: str) -> Reply:
    return Reply(kind="text", text=text, read_only=True)


def read(text: str, now: datetime, tz: str) -> tuple[str, dict[str, Any]] | None:
    """What an alert-settings message asks, read here (no parser): ("my_alerts" | "no_quiet_hours" |
    "unpause" | "quiet_hours" {start, end, said} | "pause" {start, end} | "ask"), or None when it is not
    one (the parser's subscribe/unsubscribe readings are then looked at)."""
    if MY_ALERTS.match(text):
        return "my_alerts", {}
    if NO_QUIET.match(text):
        return "no_quiet_hours", {}
    if UNPAUSE.match(text):
        return "unpause", {}
    if not ABOUT_ALERTS.search(text) or AN_ID.search(text):
        return None
    quiet_words = re.search(
        r"\bquiet hours?\b|\bno\b|\bdon[’']?t\b|\bdo not\b|\bmute|\bsilence|\bquiet\b", text, re.I
    )
    span = RANGE.search(text)
    if span and (span["lead"] or quiet_words or _has_half(span["a"]) or _has_half(span["b"])):
        start, end = _quiet_range(span["a"], span["b"])
        if start is None or end is None or start == end:
            return "ask", {"why": "hours"}
        if re.search(r"\b(?:pause|snooze)", text, re.I) and not re.search(
            r"\bquiet hours?\b|\bevery\b", text, re.I
        ):
            return "pause", dict(zip(("start", "end"), _once(start, end, now, tz), strict=True))
        return "quiet_hours", {"start": start, "end": end, "said": "hours"}
    after = AFTER.search(text)
    if after and not UNTIL.search(text):
        start = _clock(after["a"])
        if start is not None and not _has_half(after["a"]) and 5 <= start.hour < 12:
            start = start.replace(hour=start.hour + 12)
        if start is None or start == NIGHT_TO:
            return "ask", {"why": "hours"}
        return "quiet_hours", {"start": start, "end": NIGHT_TO, "said": "after"}
    if OVERNIGHT.search(text):
        return "quiet_hours", {"start": NIGHT_FROM, "end": NIGHT_TO, "said": "overnight"}
    if re.search(r"\bquiet hours?\b", text, re.I):
        return "ask", {}
    pause = _pause(text, now, tz) if REST.search(text) else None
    if pause is not None:
        return "pause", {"start": pause[0], "end": pause[1]}
    if SOFT.search(text) and REST.search(text):
        return "ask", {}
    return None


async def answer(
    store: Store, asker: Asker, key: ConversationKey, text: str, *, now: datetime | None = None
) -> Reply | None:
    now = now or datetime.now(UTC)
    intent: str | None = None
    slots: dict[str, Any] = {}
    mine = read(text, now, asker.tz)
    if mine is not None:
        intent, slots = mine
    else:
        parsed = parse(text, now=now, tz=asker.tz)
        late = LATE_NOTICE.search(text) and not ABOUT_ALERTS.search(text)  # "let dispatch know i'm late"
        vague = not (parsed.get("slots") or {}).get("kinds") and not ABOUT_ALERTS.search(text)
        about_a_record = vague and A_RECORD.search(text) is not None  # "tell me about the first one"
        if parsed["intent"] in ("subscribe_alerts", "unsubscribe_alerts") and not late and not about_a_record:
            intent, slots = parsed["intent"], parsed.get("slots") or {}
            if intent == "unsubscribe_alerts" and SOFT.search(text):
                intent, slots = "ask", {}  # "mute alerts": a rest, not an unsubscribe; which one is asked
    fix = corrections.read(text) if intent is None else None
    fixed = await corrections.recent(store, key) if fix is not None else None
    if fix is not None and fixed is not None:  # "actually only cancellations" right after subscribing
        intent, slots = f"{fix[0]}_kinds", {"kinds": fix[1]}
    if intent is None:
        return None
    if asker.role not in ROLES:
        return _reply("Hold and cancel alerts are for managers and dispatchers.")
    if intent == "ask":
        return _reply(
            "I couldn't read those hours; try “quiet hours 8pm to 6am”. " + ASK
            if slots.get("why") == "hours"
            else ASK
        )
    subs = Subscriptions(store)
    in_channel = not key.channel.startswith("D") and bool(key.channel)
    target = (
        key.channel
        if in_channel and asker.role == "manager" and intent.endswith("_alerts")
        else asker.user_id
    )
    target = fixed or target  # a correction changes the subscription just changed
    whose = "This channel gets" if target != asker.user_id else "You get"
    kinds = list(slots.get("kinds") or []) or None
    lead = ""
    if intent in ("subscribe_alerts", "add_kinds"):
        sub = await subs.subscribe(target, kinds)
    elif intent == "set_kinds":
        await subs.unsubscribe(target, [k for k in corrections.KIND_NAMES if k not in (kinds or [])])
        sub = await subs.subscribe(target, kinds)
        lead = "Changed. "
    elif intent == "unsubscribe_alerts":
        before = await subs.of(target)
        sub = await subs.unsubscribe(target, kinds)
        lead = _stopped(before, sub, "This channel's" if target != asker.user_id else "Your")
    elif intent == "quiet_hours":
        start, end = slots["start"], slots["end"]
        sub = await subs.set_quiet(asker.user_id, start, end)
        hours = f"{_ampm(start)} to {_ampm(end)}"
        lead = {
            "overnight": f"Quiet hours set overnight, {hours} every night (say “quiet hours 10pm to 6am” "
            "for other hours). ",
            "after": f"Quiet hours set from {_ampm(start)} until {_ampm(end)} the next morning. ",
        }.get(slots["said"], f"Quiet hours set, {hours}. ")
    elif intent == "no_quiet_hours":
        sub = await subs.set_quiet(asker.user_id, None, None)
    elif intent == "pause":
        sub = await subs.pause(asker.user_id, slots["start"], slots["end"])
        lead = "Alerts paused (your subscriptions stay). "
    elif intent == "unpause":
        sub = await subs.pause(asker.user_id, None, None)
        lead = "Alerts resumed. "
    else:
        sub = await subs.of(asker.user_id)
    if intent in ("subscribe_alerts", "unsubscribe_alerts", "set_kinds", "add_kinds"):
        await corrections.remember(store, key, target)
    said = describe(sub, tz=asker.tz, now=now)
    if lead.startswith("Stopped"):
        said = said.replace("You're not subscribed to any alerts.", "You get no alerts now.")
    if intent == "my_alerts" and (sub is None or not sub.kinds):
        said += f" {HOW_TO_SUBSCRIBE}"
    if target != asker.user_id:
        said = said.replace("You're not", "This channel is not").replace("You get", whose)
    return _reply(lead + said)
