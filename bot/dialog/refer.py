"""What "it", "that job", "the first one" and "#2" refer to, from what the conversation showed last. Pure.

A list answer leaves its items in order (`items`: jobs, or appointments with their job); a job shown, a
technician's next visit or a confirmed change leaves "the job in view" (`job_id`, and `appointment_id` when
one visit was shown). Both ride in `Conversation.last_read`. A message with no id of its own that refers to
one of them is read again with the id said in place of the words ("put derek on the first one" is read as
"put derek on job 1010"); the parser's reading of it is kept only when it takes that id as its record, and
never when the id lands in free text (a note's or a reason's words).

Questions about the job in view that no request of the parser covers are read here too: who else is on it,
how to get there (its address and a maps link), the customer's phone, and the next visit after this one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from bot.dialog.catalog import INTENT_SLOTS, READ_INTENTS, WRITE_INTENTS
from bot.dialog.reads.asking import look_up, parse_text
from bot.dialog.reads.wording import INSTRUCTIONS
from bot.dialog.state import Pending

_WORD_ORDINALS = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
    "last": -1,
    "top": 1,
    "bottom": -1,
}
_NOUN = r"(?:one|job|appointment|appt|visit|call|item|stop|entry)"
_PLACE = r"(?:on|in|from|of)\s+(?:the|that|this|your)\s+list"
# "the first one", "the 2nd job", "the last", "last one", "#2", "number 3", "no. 2", "item 4"
_ORDINAL = re.compile(
    r"(?P<lead>\bthe\s+)?\b(?P<word>first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|last|top|bottom"
    rf"|(?P<digits>\d{{1,2}})(?:st|nd|rd|th))\b(?P<noun>\s+{_NOUN}\b)?(?:\s+{_PLACE}\b)?"
    r"|(?<![\w#])#\s?(?P<hash>\d{1,2})\b|\b(?:number|no\.|item|option)\s*(?P<number>\d{1,2})\b",
    re.IGNORECASE,
)
# "the last few days", "the last 2 weeks", "the last month": a time
_LAST_DAYS = re.compile(
    r"\s+(?:(?:few|couple(?:\s+of)?|several|\d+|two|three|four|five|six|seven)\s+)?"
    r"(?:days?|weeks?|months?|hours?|years?|night|time|while)\b",
    re.I,
)
# A day of the month, not a place in a list: "on the 3rd", "by the 12th"
_DAY_BEFORE = re.compile(r"\b(?:on|by|until|till|from|before|after|for|of|since|through|thru)\s+$", re.I)
# What "its" leads into: "delete its appointment", "whats its address"
_PART = r"(?:appointment|appt|visit|address|notes|customer|status|special instructions|instructions|technician|tech)"
# "it", "its visit", "that job", "this one", "the same job"; "that" or "this" alone only where it ends the message or
# leads into where the job goes ("cancel that", "move that to friday"), never "a note that ..."
_PRONOUN = re.compile(
    rf"\b(?:its\s+(?P<part>{_PART})|(?:that|this|the same|same)\s+{_NOUN}|it(?!['’]s?\b)|(?:that|this)(?=\s*[?.!]*\s*$|\s+(?:to|on|for|"
    r"back|off|until|till|from|over)\b))\b",
    re.IGNORECASE,
)
# Questions about the job in view (or a job named) that the parser covers with no request of its own.
_CREW = re.compile(
    r"\bwho(?:'?s| is| are| am i| else)?\s+(?:else\s+)?(?:(?:am|is|are)\s+)?(?:i\s+)?(?:on|with|working|assigned to|"
    r"coming|going|helping|paired|teamed)\b|\bwho else\b|\b(?:crew|partner|helper)\b"
    r"|\bwho(?:'?s| is| are)?\s+the\s+other\s+(?:tech|techs|technicians?|guys?|person|people)\b",
    re.IGNORECASE,
)
_DIRECTIONS = re.compile(
    r"\bhow (?:do|can|should|would|will) (?:i|we) (?:get|go|drive) (?:there|to)\b|\bdirections?\b|\bnavigate\b|\bmaps?\b"
    r"|\bwhere (?:is|am|do) (?:it|that|i (?:go|going|headed))\b|\bwhere(?:'s| is) (?:the|this|that) (?:job|visit|house)\b",
    re.IGNORECASE,
)
# Since when the job is as it is: "how long has it been like that", "since when", "how long ago"
_SINCE = re.compile(r"\bhow long\b.*\bbeen\b|\bsince when\b|\bhow long ago\b", re.I)
_JOB_NUMBER = re.compile(r"(?<![\w#])(?:job\s*)?#?\s*(\d{3,})\b", re.I)
_CONTACT = re.compile(
    r"\bwho (?:do|should|can|would) (?:i|we) (?:call|contact|ask|talk to|speak to|text|reach|ring)\b"
    r"|\bwho(?:'?s| is| was)? (?:dispatching|the dispatcher)\b|\bwho dispatched\b",
    re.IGNORECASE,
)
_THEIR = re.compile(
    r"\b(?:the\s+)?(?:customer|client|homeowner|owner)(?:'?s|s'?)?\b|\b(?:their|his|her)\b", re.I
)
_PHONE = re.compile(
    r"\bphone\b|\bcell\b|\b(?:customer|client|homeowner|their)(?:'?s|s'?)?\s+(?:number|#|contact)\b"
    r"|\bnumber to call\b|\b(?:call|reach|text) the (?:customer|client|homeowner)\b",
    re.IGNORECASE,
)
_AFTER = re.compile(
    r"\b(?:after|following)\s+(?:this|that|it|the one|this one|that one|this job|that job|this visit|that visit)\b"
    r"|\bthen what\b|\band after that\b|\bafter that\b",
    re.IGNORECASE,
)
# What may follow an ordinal with no noun of its own that stands for a record ("move the 2nd to friday")
_AFTER_PLACE = re.compile(
    rf"(?:{_PLACE}|to|at|on|for|from|in|into|by|with|and|then|please|instead|tomorrow|today|tonight)\b", re.I
)
# A verb after "the first visit": a clause about it ("the first visit was too early"), not the record meant
_CLAUSE_VERB = re.compile(
    r"(?:was|is|were|are|should|will|would|can|could|has|had|have|needs?|got|went|did|does|do|must|might|may)\b",
    re.I,
)
_SMALL_HASH = re.compile(r"(?<![\w#])#\s?\d{1,2}\b")  # "#2": a place in a list (no real job has such an id)
_LOOSE = frozenset({"it", "that", "this"})  # words that refer to the job only where nothing else is asked
_ABOUT_A_JOB = frozenset({"unknown", "help", "show_job"})  # readings a question about the job may get
_QUESTION = re.compile(
    r"^\s*(?:who|whos|who's|what|whats|what's|why|when|where|how|which|is|are|does|did|do)\b", re.I
)
_CANCEL_IT = re.compile(r"cancel (?:it|that|this|that job|this job|that one|this one)", re.I)


def cancels_in_view(said: str, last: dict[str, Any] | None) -> bool:
    """ "cancel that" with a job in view: that job is to be canceled (not a request dropped: none is open)."""
    return bool(_CANCEL_IT.fullmatch(said.strip())) and _in_view(last or {}) is not None


def takes_record(intent: str) -> bool:
    """Whether the intent acts on a job or an appointment (so "it" may name one for it)."""
    if intent in {"show_job", "list_notes", "list_appointments"}:
        return True
    return bool(INTENT_SLOTS.get(intent, frozenset()) & {"job_id", "appointment_id"})


def _place(text: str, count: int, *, lone_hash: bool) -> tuple[int, re.Match[str]] | None:
    """The 0-based place in a list of `count` items the text names, and the words that name it."""
    for place, found in _places(text, lone_hash=lone_hash):
        index = count - 1 if place == -1 else place - 1
        if 0 <= index < count:
            return index, found
    return None


def no_list_for(last: dict[str, Any] | None, text: str, intent: str, slots: dict[str, Any]) -> str:
    """Why "who is on the first one" with no list shown names no job ("" when it names one, or something
    else): a look-up or an unread message that picks from a list nobody was shown is asked about, never
    answered with a list of its own."""
    last = last or {}
    if last.get("items") or last.get("choice") or intent not in READ_INTENTS | {"unknown"}:
        return ""
    if set(slots) - {"focus"}:
        return ""  # a look-up with filters of its own
    found = next(
        (words for _, words in _places(text, lone_hash=False) if words["lead"] or words["noun"]), None
    )
    if found is None:
        return ""
    return (
        f"There's no list here to pick “{found[0].strip()}” from. Which job? Say its number (e.g. _show job "
        "1001_), or look up a list first (e.g. _today's appointments_)."
    )


def _places(text: str, *, lone_hash: bool) -> Iterator[tuple[int, re.Match[str]]]:
    """Each 1-based place in a list the text names (-1: the last), with the words that name it."""
    for found in _ORDINAL.finditer(text):
        number = found["hash"] or found["number"]
        if number is not None:
            place = int(number)
        else:
            word = found["word"].casefold()
            if found["digits"]:
                if not found["lead"] and not found["noun"]:
                    continue  # "3rd" alone: a day more likely than a place
                if not found["noun"] and _DAY_BEFORE.search(text[: found.start()]):
                    continue  # "jobs on the 3rd": a day of the month
                place = int(found["digits"])
            else:
                if not found["lead"] and not found["noun"]:
                    continue  # "first thing tomorrow"
                if _LAST_DAYS.match(text[found.end() :]):
                    continue  # "put on hold in the last few days": a time, not the list's last item
                place = _WORD_ORDINALS[word]
        if found["hash"] and not lone_hash:
            continue
        if number is None and not _names_a_record(text[found.end() :], bool(found["noun"])):
            continue  # "the first thing tomorrow", "the second tech should ...", "the first visit was early"
        yield place, found


_WEEKDAY_ONE = re.compile(
    rf"\b(?:the|his|her|their|my)\s+(?P<day>mon|tue|wed|thu|fri|sat|sun)[a-z]*(?:'?s)?\s+{_NOUN}\b",
    re.IGNORECASE,
)
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _weekday_place(text: str, items: list[dict[str, Any]]) -> tuple[int, re.Match[str]] | None:
    """ "the monday one": the one item of the list on that weekday (items carry `weekday`, 0 = Monday)."""
    found = _WEEKDAY_ONE.search(text)
    if found is None:
        return None
    day = _WEEKDAYS.index(found["day"].casefold())
    places = [n for n, item in enumerate(items) if item.get("weekday") == day]
    return (places[0], found) if len(places) == 1 else None


def _names_a_record(after: str, noun: bool) -> bool:
    """Whether an ordinal stands in the record's place of the sentence, from what follows it: with its noun
    ("the first one to friday"), anything but a verb of a clause ("the first visit was too early"); without
    one ("the 2nd", "the last"), only the end of the message or a word leading into the rest of a request
    ("the 2nd to friday"), never another noun ("the first thing tomorrow", "the second tech")."""
    after = after.strip()
    if not after or after[0] in "?.!,:;":
        return True
    if noun:
        return not _CLAUSE_VERB.match(after)
    return bool(_AFTER_PLACE.match(after))


# A number said as a record's id: "job 1234", "appt #5016", "#1009"; or after the first word ("move 1009 ...")
_ID_SAID = re.compile(
    r"(?:\b(?:job|jobs|appointment|appt|apt|visit|wo|ticket|order)\s*#?\s*|#\s*)(\d+)\b", re.I
)
_ID_SECOND = re.compile(r"\W*\w+\s+(\d+)\b")


def _said_with_noun(text: str, slots: dict[str, Any]) -> bool:
    """Whether the record's id is said as one ("job 1234", "appt 5016", "1009" leading the request), not a
    number in the words that a reference names the record of ("a note to the second one: gate code 1234").
    (One pattern for every id, compiled once: a pattern with the id in it was compiled for each message.)"""
    values = {str(slots[slot]) for slot in ("job_id", "appointment_id") if slots.get(slot) is not None}
    if not values:
        return False
    second = _ID_SECOND.match(text)
    return (second is not None and second[1] in values) or any(
        m[1] in values for m in _ID_SAID.finditer(text)
    )


def _record_words(item: dict[str, Any]) -> str:
    if item.get("appointment_id") is not None:
        return f"appointment {int(item['appointment_id'])}"
    return f"job {int(item['job_id'])}"


def _ids(item: dict[str, Any]) -> dict[str, int]:
    return {k: int(item[k]) for k in ("job_id", "appointment_id") if item.get(k) is not None}


def _list_latest(last: dict[str, Any]) -> bool:
    """Whether the list is the latest thing shown: a job shown or changed after it that is none of its items
    makes "the first one" ambiguous (the list's first, or the job's first visit?), so it names nothing."""
    return last.get("latest") != "job"


def _latest(out: dict[str, Any], job: int) -> str:
    """What is shown last once `job` is shown or changed: still the list when it is one of its items."""
    items = out.get("items") or []
    return "list" if any(i.get("job_id") == job for i in items if isinstance(i, dict)) else "job"


def _in_view(last: dict[str, Any]) -> dict[str, Any] | None:
    """The job in view ("it"): the one shown or changed last."""
    if last.get("job_id") is None:
        return None
    return {"job_id": last["job_id"]}


def referred(
    last: dict[str, Any] | None, text: str, intent: str, slots: dict[str, Any], now: datetime, tz: str
) -> tuple[str, dict[str, Any]] | None:
    """The request the message makes once its words for a job or a visit are the id they refer to; None
    when it refers to nothing shown (or says its own id), so it is read as it is."""
    last = last or {}
    since = intent in _ABOUT_A_JOB and _SINCE.search(text) is not None  # "how long has 1005 been on hold"
    if since or (slots.get("job_id") is None and slots.get("appointment_id") is None):
        about = _about(last, text, intent, slots, now, tz)
        if about is not None:
            return about  # "how do i get there", "who else is on it", "my next job after this one"
    items = [i for i in last.get("items") or [] if isinstance(i, dict) and i.get("job_id") is not None]
    has_id = slots.get("job_id") is not None or slots.get("appointment_id") is not None
    lone_hash = (
        bool(re.fullmatch(r"\s*#\s?\d{1,2}\s*[?.!]*\s*", text)) or intent in READ_INTENTS | WRITE_INTENTS
    )
    # "#2" after a list is its second item: a one- or two-digit job id is no real job's
    small_hash = has_id and _SMALL_HASH.search(text) is not None
    if has_id and not small_hash and _said_with_noun(text, slots):
        return _about(last, text, intent, slots, now, tz)
    # (an alert request that names no kind of change may be "tell me about the first one": read again)
    vague_alert = intent == "subscribe_alerts" and not slots.get("kinds")
    if not (intent in {"unknown", "cancel_dialog"} or vague_alert or takes_record(intent) or small_hash):
        return None
    if intent in READ_INTENTS and not small_hash and set(slots) - {"focus"}:
        return None  # a look-up with filters of its own ("today's schedule, is it busy"): not about the job
    listed = items and not last.get("choice") and _list_latest(last)
    place = _place(text, len(items), lone_hash=lone_hash) if listed else None
    if place is None and listed:
        place = _weekday_place(text, items)  # "move the monday one to 9am"
    words: re.Match[str] | None = _PRONOUN.search(text)
    target: dict[str, Any] | None = _in_view(last)
    if place is not None and (words is None or target is None or place[1].start() < words.start()):
        words, target = place[1], items[place[0]]  # "it" said first wins: "add a note to it: the second tech"
    if words is None or target is None:
        return None
    return _read_with(last, text, words, target, now, tz)


def _read_with(
    last: dict[str, Any], text: str, words: re.Match[str], target: dict[str, Any], now: datetime, tz: str
) -> tuple[str, dict[str, Any]] | None:
    """The message read with the record in place of the words naming it: a visit as "appointment N" first,
    then as its job ("notes on the third one" of a list of visits is about that visit's job)."""
    for record in _records(target):
        named = _record_words(record)
        part = words.groupdict().get("part")
        said = f"{text[: words.start()]}{f'the {part} of {named}' if part else named}{text[words.end() :]}"
        if said.strip(" ?.!").casefold() == named:
            said = f"show {said}"  # "#2", "the first one" alone: show it
        reading = _reading(said, record, now, tz)
        if reading is None or (_QUESTION.match(text) and reading[0] not in READ_INTENTS):
            continue  # "who put it on hold" asks; it is no request to put it on hold
        if (
            words[0].casefold() in _LOOSE
            and reading[0] in READ_INTENTS
            and set(reading[1]) - {*record, "focus"}
        ):
            continue  # "whats on today, is it busy": a look-up of its own, with a stray "it"
        return _about(last, said, reading[0], reading[1], now, tz) or reading
    return None


def _records(target: dict[str, Any]) -> list[dict[str, Any]]:
    if target.get("appointment_id") is None:
        return [target]
    return [target, {"job_id": target["job_id"]}]


def _reading(said: str, target: dict[str, Any], now: datetime, tz: str) -> tuple[str, dict[str, Any]] | None:
    """The parser's reading of the message with the id in place, kept when that id is its record."""
    parsed = parse_text(said, now, tz)
    intent = str(parsed.get("intent", "unknown"))
    slots = dict(parsed.get("slots") or {})
    intent, slots = look_up(said, intent, slots, None, now, tz)
    if intent == "unknown" or not takes_record(intent):
        return None
    ids = _ids(target)
    given = {k: slots.get(k) for k in ("job_id", "appointment_id") if slots.get(k) is not None}
    if not given or any(ids.get(k) != v for k, v in given.items()):
        return None
    words = _record_words(target)
    if any(isinstance(v, str) and words in v.casefold() for v in slots.values()):
        return None  # the id landed in a note's or a reason's words: not what was meant
    return intent, slots


def _about(
    last: dict[str, Any], text: str, intent: str, slots: dict[str, Any], now: datetime, tz: str
) -> tuple[str, dict[str, Any]] | None:
    """A question about a job (named, or the one in view): who else is on it, how to get there, the
    customer's phone, or the technician's next visit after the one shown."""
    if intent in {"list_appointments", "unknown"} and _AFTER.search(text) and _after_next(last, text):
        shown = last.get("appointment_id")
        if shown is None:
            return None
        kept = {k: v for k, v in slots.items() if k in {"technician"}}
        before = dict(last.get("slots") or {}) if last.get("intent") == "list_appointments" else {}
        who = kept.get("technician") or before.get("technician") or "me"
        return "list_appointments", {"technician": who, "next": True, "after": int(shown)}
    if intent not in _ABOUT_A_JOB and not (intent == "list_appointments" and _PRONOUN.search(text)):
        return None
    job = slots.get("job_id")
    if job is None and _SINCE.search(text) and (named := _JOB_NUMBER.search(text)):
        job = int(named[1])  # "how long has 1025 been on hold": read by the parser as no request
    target = {"job_id": job} if job is not None else _in_view(last)
    if target is None and slots.get("appointment_id") is None and _CONTACT.search(text):
        return "show_job", {"focus": "contact"}  # "who do i call about it" with no job in view: which job?
    if target is None or (job is None and slots.get("appointment_id") is not None):
        return None
    found = (
        ("contact", _CONTACT),
        ("phone", _PHONE),
        ("directions", _DIRECTIONS),
        ("crew", _CREW),
        ("instructions", INSTRUCTIONS),
        ("since", _SINCE),
    )
    for focus, pattern in found:
        if pattern.search(text) and (job is not None or _of_the_job_in_view(focus, text)):
            if focus == "crew":  # its visits with who is on each
                return "list_appointments", {"job_id": int(target["job_id"])}
            return "show_job", {"job_id": int(target["job_id"]), "focus": focus}
    return None


def _after_next(last: dict[str, Any], text: str) -> bool:
    """ "my next job after this one", or "and after that" while a visit is in view (a next-visit answer)."""
    return bool(re.search(r"\bnext\b", text, re.I)) or last.get("appointment_id") is not None


def _of_the_job_in_view(focus: str, text: str) -> bool:
    """Whether a question with no job named is about the job in view: said of it ("it", "the customer's"),
    or one only a visit in view can mean ("how do i get there"); never one naming someone or some place."""
    if any(ch.isdigit() for ch in text):
        return False
    if focus == "phone":
        return bool(_PRONOUN.search(text) or _THEIR.search(text))
    if focus == "crew":
        return bool(_PRONOUN.search(text) or re.search(r"\bwith me\b", text, re.I))
    return True


_LEAD = re.compile(
    r"^\W*(?:(?:no|nope|nah|actually|sorry|oops|wait|i meant|i mean|make it|make that|rather|instead|how about"
    r"|what about|use|take|do|pick|go with|it's|its|it is|that's|thats|that is|the one)\b\W*)*$",
    re.IGNORECASE,
)


def in_request(
    last: dict[str, Any] | None,
    pending: Pending,
    phase: str,
    text: str,
    slots: dict[str, Any],
    now: datetime,
    tz: str,
) -> tuple[str, dict[str, Any]] | None:
    """A place in the last list said in the middle of a request (`pending`). Alone or as a correction ("the
    first one" for "Which job?", "no, the second one") it is the request's record: ("fill", its ids); a
    look-up of one ("whats the address of the first one") or another request with one is that request,
    answered or offered as any other. "it" is the request's own job, except as the answer to "Which job?"
    ("that one", "the same job": the job in view). While a choice is shown (`phase` "choosing"), a place is
    one of its options."""
    last = last or {}
    items = [i for i in last.get("items") or [] if isinstance(i, dict) and i.get("job_id") is not None]
    said_id = slots.get("job_id") is not None or slots.get("appointment_id") is not None
    if last.get("choice") or (said_id and not _SMALL_HASH.search(text)):
        return None  # an id said is that id ("#2" is a place)
    accepted = INTENT_SLOTS.get(pending.intent, frozenset())
    place = _place(text, len(items), lone_hash=True) if items and _list_latest(last) else None
    if place is not None and phase == "confirming" and not _clearly_named(text, place[1]):
        return None  # a correction at a card changes its job only when it plainly names another record
    if place is None:
        it = _PRONOUN.search(text) if phase == "collecting" and pending.asked == "job_id" else None
        in_view = _in_view(last)
        if it is not None and in_view is not None and _alone(text, it):
            return "fill", in_view  # "that one" for "Which job?": the job just shown or changed
        return None
    index, words = place
    target = items[index]
    if _alone(text, words) and phase == "choosing":
        return None  # "the first one" while a choice is shown: its first option
    if _alone(text, words):
        return "fill", {k: v for k, v in _ids(target).items() if k in accepted or k == "job_id"}
    reading = _read_with(last, text, words, target, now, tz)
    if reading is None:
        return None
    if reading[0] == pending.intent:  # "no, the second one at 3pm": a correction of the request
        return "fill", {k: v for k, v in reading[1].items() if k in accepted}
    return reading


def place_unsure(last: dict[str, Any] | None, phase: str, text: str) -> bool:
    """Whether the message names a place in a list that is no longer the latest thing shown ("the first one"
    after a job was shown since): the list's item, or something of the job? Asked, never guessed."""
    last = last or {}
    items = [i for i in last.get("items") or [] if isinstance(i, dict) and i.get("job_id") is not None]
    if phase == "choosing" or not items or _list_latest(last) or last.get("choice"):
        return False
    return _place(text, len(items), lone_hash=True) is not None


def _clearly_named(text: str, words: re.Match[str]) -> bool:
    """Whether the words plainly name a record of the list: alone ("no, the first one"), with their noun
    ("the second one at 3pm") or as a number ("#2", "number 3")."""
    return _alone(text, words) or bool(words["noun"] or words["hash"] or words["number"])


def _alone(text: str, words: re.Match[str]) -> bool:
    """Whether the words naming a record are all the message says (after "no", "i meant", "use")."""
    return bool(_LEAD.fullmatch(text[: words.start()])) and not text[words.end() :].strip(" ?.!")


def remember_read(last: dict[str, Any] | None, data: dict[str, Any]) -> dict[str, Any]:
    """`last_read` after a read's answer: its items in order (for "the first one") and the one visit shown
    (for "the next one after this one")."""
    out = dict(last or {})
    items = data.get("items")
    if isinstance(items, list):
        out["items"] = [
            {**_ids(i), **({"weekday": i["weekday"]} if isinstance(i.get("weekday"), int) else {})}
            for i in items
            if isinstance(i, dict) and i.get("job_id") is not None
        ]
        visits = [i for i in out["items"] if i.get("appointment_id") is not None]
        if data.get("job_id") is None and len(visits) == len(out["items"]) == 1:
            out.update(_ids(visits[0]))  # a list of one visit ("when do i start tuesday"): "it" is that visit
        out["latest"] = "list"
    elif data.get("rows") and data.get("job_id") is None:
        out.pop("items", None)  # another list: "the first one" is no longer the old list's
    if isinstance(data.get("job_id"), int):
        shown = data.get("appointment_id")
        same = out.get("job_id") == data["job_id"]  # more about the same job keeps the visit shown
        out["appointment_id"] = (
            shown if isinstance(shown, int) else out.get("appointment_id") if same else None
        )
        out["job_id"] = data["job_id"]
        if not isinstance(items, list):
            out["latest"] = _latest(out, data["job_id"])
    return out


def forget_records(last: dict[str, Any] | None) -> dict[str, Any] | None:
    """`last_read` after the conversation sat idle longer than its minutes: what was shown is no longer what
    "it" or "the first one" means (a write would act on a record the user no longer has in mind)."""
    if last is None:
        return None
    return {k: v for k, v in last.items() if k not in {"items", "job_id", "appointment_id", "latest"}}


def remember_change(
    last: dict[str, Any] | None, records: dict[str, int], slots: dict[str, Any], data: dict[str, Any]
) -> dict[str, Any]:
    """`last_read` after a confirmed change: its job is the one in view ("give it to sarah" next). `records`
    are the change's job and appointment ids, `slots` the request's; an appointment's job is otherwise found
    in what the request looked up."""
    out = dict(last or {})
    job = records.get("job_id") or slots.get("job_id")
    appointment = records.get("appointment_id")
    if job is None and appointment is not None:
        rows = [
            v.get("appointment") if isinstance(v, dict) and "appointment" in v else v for v in data.values()
        ]
        job = next(
            (
                int(row["job_id"])
                for row in rows
                if isinstance(row, dict) and row.get("id") == appointment and row.get("job_id") is not None
            ),
            None,
        )
    if job is not None:
        out["job_id"], out["appointment_id"] = int(job), appointment
        out["latest"] = _latest(out, int(job))
    return out
