"""Slot types: a registry of pure parsers, one per slot name of CONTRACT section 2.

Each type says how a template captures it (a regex over the message skeleton) and how to read a
value, both from a capture inside a sentence and from a short answer to a question about that one
slot (`parse_slot`). Parsers take the local `now` and time zone as arguments, never the wall clock.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from intents import timeparse
from intents.text import tokenize
from intents.vocabulary import office_words, trade_heads, vocabulary

LISTS_FILE = Path(__file__).parent / "data" / "lists.yaml"


def word_set(words: str) -> frozenset[str]:
    """A set of words written as one space-separated string."""
    return frozenset(words.split())


# Words that are never (part of) a technician's name.
NAME_STOPWORDS = word_set(
    "a an the to from on off of for at in with and or is are was be by it this that job jobs appointment "
    "appointments visit technician technicians tech someone somebody anyone anybody everyone nobody "
    "him her them they he she who which what whom please can could would will you your my our us we "
    "today tomorrow tonight yesterday schedule calendar day week month next last all any some "
    "assigned assign unassign remove take put send move also instead as now there here then back note "
    "notes comment instructions hold reason summary priority customer location project over follow up "
    "follow-up followup callback call-back return second another extra new trip revisit check-up checkup "
    "inspection estimate quote service repair maintenance tune-up early late mid asap later earlier sooner "
    "first anytime sometime whenever got have has had doing going working headed heading booked scheduled "
    "gonna should billing bill bill-to invoice account client confirmed unconfirmed verified done complete completed "
    "finished late how why when where whose"
)
# Skeleton words are lower case; entity placeholders (JOB, TIME, ...) are upper case and never words.
# Names and phrases never take in a stopword ("assign {mike} to ...", "a {furnace repair} for ...").
_WORDS = r"(?:(?![A-Z])[^\W\d_][^\s]* )"
_NAME_WORD = r"(?:(?!(?:" + "|".join(sorted(NAME_STOPWORDS, key=len, reverse=True)) + r") )" + _WORDS + ")"
# Words that end a phrase such as a job type: "a {furnace repair} for customer 9 friday".
PHRASE_STOPWORDS = word_set(
    "for at on to with by from in and or please tomorrow today tonight next this asap job call visit "
    "appointment service priority urgent emergency"
)
_PHRASE_WORD = (
    r"(?:(?!(?:" + "|".join(sorted(PHRASE_STOPWORDS, key=len, reverse=True)) + r") )" + _WORDS + ")"
)
# A job type made only of these words names no job type ("a new visit").
_NOT_JOB_TYPES = word_set(
    "new another a an the job jobs visit appointment service call one more extra second follow-up followup "
    "return ticket request work order booking"
)
_CHOICE_RE = re.compile(
    r"^(?:(?:the|number|no|option|choice|#)\s*)?(?:\d+(?:st|nd|rd|th)?|first|second|third|fourth|fifth|"
    r"sixth|seventh|eighth|ninth|tenth|last|top|bottom|other|former|latter)(?:\s+(?:one|option|choice|item))?$",
    re.IGNORECASE,
)
_EDGE_JUNK = " \t\r\n.,;:!?-–—|"
_WRAPPERS = {
    "*": "*",
    "_": "_",
    "~": "~",
    "`": "`",
    '"': '"',
    "'": "'",
    "“": "”",
    "‘": "’",
    "(": ")",
    "[": "]",
}


# What a slot reader returns for a capture that fits the sentence but gives no value ("cancel job 5
# instead"): the template still matches, and the slot is left out. None would reject the match.
SAYS_NOTHING: Any = object()


@dataclass(frozen=True, slots=True)
class Context:
    """What every slot parser may depend on: the local time of the message and the tenant's zone."""

    now_local: datetime
    tz: str

    @property
    def today(self) -> date:
        return self.now_local.date()


@dataclass(frozen=True, slots=True)
class Capture:
    """A captured part of a message: its original text and the skeleton items it covers."""

    text: str
    keys: tuple[str, ...]
    payloads: tuple[object, ...]
    cuts: tuple[int, ...] = ()  # end of each item in `text`

    def head(self, count: int) -> Capture:
        """The first `count` items only."""
        if count >= len(self.keys) or len(self.cuts) != len(self.keys):
            return self
        end = self.cuts[count - 1] if count > 0 else 0
        return Capture(self.text[:end], self.keys[:count], self.payloads[:count], self.cuts[:count])

    def tail(self, count: int) -> Capture:
        """Everything after the first `count` items."""
        if count <= 0 or len(self.cuts) != len(self.keys):
            return self
        start = self.cuts[count - 1] if count <= len(self.cuts) else len(self.text)
        return Capture(
            self.text[start:],
            self.keys[count:],
            self.payloads[count:],
            tuple(cut - start for cut in self.cuts[count:]),
        )

    def until(self, stopwords: frozenset[str]) -> Capture:
        """The items before the first stopword or entity placeholder."""
        for index, key in enumerate(self.keys):
            if key in stopwords or key.isupper():
                return self.head(index)
        return self


@dataclass(frozen=True)
class SlotType:
    """How one slot is captured by templates and read from captures and answers."""

    name: str
    pattern: str
    read: Callable[[Capture, Context], object | None]
    answer: Callable[[str, Context], object | None]
    search_pattern: str = ""
    unbounded: bool = False

    def __post_init__(self) -> None:
        if not self.search_pattern:
            object.__setattr__(self, "search_pattern", self.pattern)


# ---------------------------------------------------------------------------------------------- text


def clean_text(text: str) -> str:
    """Trim spaces and punctuation around a phrase, and quotes or Slack formatting (*bold*) that wrap
    all of it; squeeze spaces. Formatting of only a part of the phrase stays as written."""
    cleaned = " ".join(text.split()).strip(_EDGE_JUNK)
    while len(cleaned) >= 2 and _WRAPPERS.get(cleaned[0]) == cleaned[-1]:
        inner = cleaned[1:-1]
        if cleaned[0] in inner and cleaned[0] not in "'(":
            break  # "*a* and *b*": two formatted parts, not one wrapper
        cleaned = inner.strip(_EDGE_JUNK)
    for quote in ('"', "“", "”"):
        if cleaned.count(quote) == 1:
            cleaned = cleaned.replace(quote, "").strip(_EDGE_JUNK)
    return cleaned


def is_choice(text: str) -> bool:
    """ "the 2nd one", "option 3", "first": a pick from a list, which the dialog reads, not a slot."""
    return bool(_CHOICE_RE.match(clean_text(text)))


_LEADING_CONNECTORS = re.compile(
    r"^(?:(?:because|since|as|due to|reason(?: is)?|the reason is|it's|it is|its|that|saying|says|"
    r"with|to say|for|to|of|about|is|being|text|note|summary|to read|reading)\b[\s:,-]*)+",
    re.IGNORECASE,
)


def _free_text(text: str, *, strip_connectors: bool) -> str | None:
    cleaned = clean_text(text)
    if strip_connectors:
        cleaned = clean_text(_LEADING_CONNECTORS.sub("", cleaned))
    return cleaned or None


# A label the user typed before the phrase itself: "cancel job 5 - reason: duplicate".
_LABEL = re.compile(
    r"^(?:the\s+)?(?:reason|note|summary|instructions?|text|memo|comment)\s*(?:is\b|[:=–—-])\s*", re.I
)


def _read_free(capture: Capture, _ctx: Context) -> object | None:
    return _free_text(_LABEL.sub("", capture.text.strip(), count=1), strip_connectors=False)


# Words that trail an order without giving a reason: "cancel job 5 instead", "hold job 5 too, ...".
_ADVERBS = r"(?:instead|too|also|as well|well|now|right now|right away|then|anyway|anyways|again|for now)"
_ONLY_ADVERBS = re.compile(rf"^(?:{_ADVERBS}\b[\s,;:.!-]*)+$", re.IGNORECASE)
# "too" leads a reason only as its own word ("cancel job 5 too, ..."), never in "too expensive"
_LEADING_ADVERBS = re.compile(rf"^(?:(?!too\s+\w){_ADVERBS}\b[\s,;:-]+)+", re.IGNORECASE)


def _read_reason(capture: Capture, ctx: Context) -> object | None:
    text = clean_text(capture.text)
    if _ONLY_ADVERBS.match(text):
        return SAYS_NOTHING
    return _read_free(Capture(_LEADING_ADVERBS.sub("", text), capture.keys, capture.payloads), ctx)


def _read_phrase(capture: Capture, _ctx: Context) -> object | None:
    capture = capture.until(PHRASE_STOPWORDS)
    if all(k in _NOT_JOB_TYPES for k in capture.keys) or not office_words().isdisjoint(capture.keys):
        return None
    return _free_text(capture.text, strip_connectors=False)


def _answer_free(text: str, _ctx: Context) -> object | None:
    if is_choice(text):
        return None
    return _free_text(text, strip_connectors=True)


# ---------------------------------------------------------------------------------------------- ids

ID_NOUNS: dict[str, str] = {
    "job": "JOB",
    "jobs": "JOB",
    "work-order": "JOB",
    "order": "JOB",
    "invoice": "JOB",
    "appointment": "APPT",
    "appointments": "APPT",
    "visit": "APPT",
    "customer": "CUST",
    "client": "CUST",
    "account": "CUST",
    "location": "LOC",
    "site": "LOC",
    "property": "LOC",
    "project": "PROJ",
    "projects": "PROJ",
}
ID_SEPARATORS = frozenset({"#", "no", "no.", "number", "num", "nr", "id", ":", "."})
PLACEHOLDER_OF_SLOT = {
    "job_id": "JOB",
    "appointment_id": "APPT",
    "customer_id": "CUST",
    "location_id": "LOC",
    "project_id": "PROJ",
}
_ANSWER_FILLER = frozenset(
    [
        "it's",
        "its",
        "it",
        "is",
        "the",
        "for",
        "on",
        "please",
        "pls",
        "thanks",
        "ok",
        "okay",
        "yes",
        "yeah",
        "yep",
        "that",
        "this",
        "one",
        "try",
        "use",
        "with",
    ]
)


def _read_id(capture: Capture, _ctx: Context) -> object | None:
    for payload in capture.payloads:
        if isinstance(payload, int):
            return payload
    return None


def _answer_id(slot: str) -> Callable[[str, Context], object | None]:
    own = PLACEHOLDER_OF_SLOT[slot]

    def answer(text: str, _ctx: Context) -> object | None:
        tokens = tokenize(text, max_tokens=20)
        number: int | None = None
        for i, tok in enumerate(tokens):
            if tok.kind == "num":
                if number is not None:
                    return None
                number = tok.value if isinstance(tok.value, int) else None
            elif tok.kind == "word":
                noun = ID_NOUNS.get(tok.norm)
                if noun is not None and noun != own:
                    return None
                if noun is None and tok.norm not in ID_SEPARATORS and tok.norm not in _ANSWER_FILLER:
                    return None
            elif (
                tok.kind == "punct"
                and tok.norm not in ("#", ".", ":", "!", ",", "-")
                or tok.kind not in ("punct", "num", "word")
            ):
                return None
            del i
        return number

    return answer


# ---------------------------------------------------------------------------------------------- time


def _time_of(capture: Capture, ctx: Context) -> timeparse.Resolved | None:
    atoms = [a for p in capture.payloads if isinstance(p, timeparse.TimeExpr) for a in p.atoms]
    if not atoms:
        return None
    return timeparse.combine(atoms, ctx.today)


def _read_when(capture: Capture, ctx: Context) -> object | None:
    res = _time_of(capture, ctx)
    return timeparse.to_when(res, ctx.now_local, undated=True) if res else None


def _read_range(capture: Capture, ctx: Context) -> object | None:
    res = _time_of(capture, ctx)
    return timeparse.to_range(res) if res else None


_DAY_OF_MONTH = re.compile(
    r"(?:(?:on\s+)?the\s+)?\d{1,2}(?:st|nd|rd|th)|(?:on\s+)?the\s+(?:"
    + "|".join(timeparse.ORDINAL_WORDS)
    + ")",
    re.IGNORECASE,
)


def _is_choice_not_date(text: str) -> bool:
    """A pick from a list; "the 30th" alone is a day of the month, not a pick."""
    return is_choice(text) and not _DAY_OF_MONTH.fullmatch(clean_text(text))


def _answer_when(text: str, ctx: Context) -> object | None:
    if _is_choice_not_date(text):
        return None
    return timeparse.parse_when(text, now=ctx.now_local, tz=ctx.tz) or _long_tail(text, ctx, "when")


def _answer_range(text: str, ctx: Context) -> object | None:
    if _is_choice_not_date(text):
        return None
    return timeparse.parse_range(text, now=ctx.now_local, tz=ctx.tz) or _long_tail(text, ctx, "range")


def _long_tail(text: str, ctx: Context, kind: str) -> object | None:
    """Absolute dates the fast path does not know ("December the 3rd, 2026 at 4:15pm")."""
    cleaned = clean_text(text)
    if not cleaned or len(cleaned) > 60 or not any(ch.isdigit() for ch in cleaned):
        return None
    if not timeparse.in_calendar(ctx.today):  # like the fast path: no dates around year 1 or 9999
        return None
    import dateparser  # imported lazily: it takes ~100 ms and is rarely needed

    try:
        found = dateparser.parse(
            cleaned,
            languages=["en"],
            settings={"DATE_ORDER": "MDY", "PREFER_DATES_FROM": "future", "RELATIVE_BASE": ctx.now_local},
        )
    except Exception:  # dateparser raises assorted errors on odd input; that means "no date"
        return None
    if found is None:
        return None
    day = found.date().isoformat()
    if kind == "range":
        return {"from": day, "to": day}
    when = {"date": day}
    if (found.hour, found.minute) != (0, 0) and re.search(r"\d:\d|\d\s*[ap]\.?m|noon", cleaned, re.I):
        when["start"] = f"{found.hour:02d}:{found.minute:02d}"
    return when


# ---------------------------------------------------------------------------------------------- names


# The asker, as a technician: "me", and "I" in "I'll take job 12", "I've got appt 5".
_ME_WORDS = word_set("me myself i mine my i'll i'm i'd i've")


def technician_value(text: str) -> str | None:
    """A technician as the user wrote it: a name, `me`, or a Slack mention."""
    cleaned = clean_text(text)
    mention = re.search(r"<@[A-Z0-9]+(?:\|[^<>]*)?>", text)
    if mention:
        return mention.group(0)
    lowered = cleaned.lower()
    if lowered.replace("’", "'") in _ME_WORDS or lowered == "me myself":
        return "me"
    if not cleaned or is_choice(cleaned) or any(ch.isdigit() for ch in cleaned):
        return None
    words = cleaned.split()
    if len(words) > 4 or all(w.lower().strip(".,") in NAME_STOPWORDS for w in words):
        return None
    if lowered.endswith("'s") or lowered.endswith("’s"):
        cleaned = cleaned[:-2]
    return cleaned or None


def _read_technician(capture: Capture, _ctx: Context) -> object | None:
    for key, payload in zip(capture.keys, capture.payloads, strict=False):
        if key == "MENTION" and isinstance(payload, str):
            return payload
    if capture.keys[:1] == ("me",):
        if len(capture.keys) == 1 or capture.keys[1] == "myself":
            return "me"
        capture = capture.tail(1)  # "show me Ana's schedule": the name comes after "me"
    if capture.keys[:1] == ("about",) and len(capture.keys) > 1:
        capture = capture.tail(1)  # "what about angela on monday": the name comes after "about"
    capture = capture.until(NAME_STOPWORDS)
    if not capture.keys:
        return None
    return technician_value(capture.text)


_HONORIFICS = word_set("mr mr. mrs mrs. ms ms. miss dr dr. mister")


def _read_proper_name(capture: Capture, ctx: Context) -> object | None:
    """A technician after a weak cue ("put a visit on job 5 for Carlos"): a mention, `me`, or the
    words written with a capital ("for Sarah Lee on friday"); "for warranty work" names nobody,
    and "for Mrs Patel" is a customer."""
    value = _read_technician(capture, ctx)
    if not isinstance(value, str) or value == "me" or value.startswith("<@"):
        return value
    words: list[str] = []
    for word in value.split():
        if not word[:1].isupper():
            break
        words.append(word)
    if not words or words[0].lower() in _HONORIFICS:
        return None
    return " ".join(words)


def _read_name(capture: Capture, _ctx: Context) -> object | None:
    """A customer or project named in words ("for customer Bob Stone", "the Riverside Remodel project")."""
    capture = capture.until(NAME_STOPWORDS - _HONORIFICS)
    value = technician_value(capture.text) if capture.keys else None
    if value is None or value == "me" or value.startswith("<@"):
        return None
    return value


def _read_proper_words(capture: Capture, ctx: Context) -> object | None:
    """A name after a weak cue, only as far as it is written with capitals ("for Bob Stone friday")."""
    value = _read_name(capture, ctx)
    if not isinstance(value, str):
        return None
    words: list[str] = []
    for word in value.split():
        if not word[:1].isupper():
            break
        words.append(word)
    return " ".join(words) or None


def _read_full_name(capture: Capture, ctx: Context) -> object | None:
    """A customer after "jobs for": a name of two words or more ("Barbara White", "maple street bakery");
    one word ("jobs for Mike") is left to the technician's reader."""
    value = _read_name(capture, ctx)
    return value if isinstance(value, str) and len(value.split()) >= 2 else None


@cache
def _known_words() -> frozenset[str]:
    """Ordinary words and the trade's own: a name written in lower case is made of none of them."""
    words = vocabulary()
    return frozenset(words["common"]) | frozenset(words["keywords"]) | trade_heads() | office_words()


def _read_booked_for(capture: Capture, ctx: Context) -> object | None:
    """The customer after "book a tune-up for", whatever its case ("for maria garcia friday"); in lower
    case only words that are no ordinary words ("for warranty work" names nobody)."""
    value = _read_full_name(capture, ctx)
    if not isinstance(value, str):
        return None
    if value == value.lower() and any(w in _known_words() for w in value.split()):
        return None
    return value


def _read_family(capture: Capture, ctx: Context) -> object | None:
    """A customer after "jobs for the": a family ("the Garcias", "the stones") or a longer name."""
    value = _read_name(capture, ctx)
    if not isinstance(value, str):
        return None
    words = value.split()
    return value if len(words) >= 2 or value[:1].isupper() or value.lower().endswith("s") else None


def _answer_name(text: str, _ctx: Context) -> object | None:
    value = technician_value(text)
    return None if value is None or value == "me" or value.startswith("<@") else value


def _read_location(capture: Capture, _ctx: Context) -> object | None:
    for payload in capture.payloads:
        if isinstance(payload, str):
            return payload
    return None


def _answer_location(text: str, _ctx: Context) -> object | None:
    cleaned = clean_text(text)
    return cleaned if STREET_RE.search(cleaned) else None


# A street address: "12 Oak St", "4410 N Western Avenue" (the number, up to four words, a street word).
STREET_WORDS = word_set(
    "st st. street ave ave. avenue rd rd. road dr dr. drive ln lane blvd blvd. boulevard way ct ct. court "
    "pl pl. place pkwy parkway hwy highway cir circle ter terrace trl trail sq square"
)
STREET_RE = re.compile(
    r"\b\d{1,6}\s+(?:[^\W\d_][\w'.-]*\s+){1,4}?(?:"
    + "|".join(re.escape(w) for w in sorted(STREET_WORDS))
    + r")(?![\w])",
    re.IGNORECASE,
)


# Words that make a comma-separated aside something other than a description.
_ASIDE_LEADS = word_set("with for at on to by and or in from assign assigned tech technician")
_ASIDE_FILLER = word_set("priority prio job call please thanks")


def _read_aside(capture: Capture, ctx: Context) -> object | None:
    """A description given only as a comma-separated aside ("..., AC not cooling, urgent"): it needs
    words of its own, not only a time, an id, a priority, or a phrase led by with/for/at."""
    if not capture.keys or capture.keys[0] in _ASIDE_LEADS:
        return None
    priorities = lists()["priority"]
    own = [
        k
        for k in capture.keys
        if not k.isupper() and k not in priorities and k not in _ASIDE_FILLER and k not in _EDGE_JUNK
    ]
    if not own:
        return None
    return _read_free(capture, ctx)


# Readers a template may pick instead of the slot's own: `{technician:proper}`.
# words ending in "s" that are no one's name said without its apostrophe ("his jobs", "techs schedule")
_NOT_POSSESSIVE = word_set(
    "his hers its theirs ours yours whats thats lets techs technicians others everyones customers clients "
    "todays tomorrows yesterdays this thus plus bus gas yes was is has does goes us always days weeks "
    "jobs appointments visits calls hours minutes mins hrs status address"
)


# given names that end in "s" themselves: "thomas schedule" is Thomas's, not Thoma's
_NAMES_ENDING_IN_S = word_set(
    "thomas carlos chris james luis marcus nicholas lucas douglas jesus andres francis curtis travis "
    "dennis lewis doris agnes frances gladys lois iris delores dolores mercedes marcos matias tobias "
    "elias jonas silas amos nikolas demetrius cletus rufus phyllis alexis paris"
)


def _read_possessive(capture: Capture, _ctx: Context) -> object | None:
    """A one-word name whose apostrophe was left out: "sarahs appointments" is Sarah's."""
    if len(capture.keys) != 1:
        return None
    word = capture.text.strip()
    low = word.lower()
    if (
        not word.isalpha()
        or len(word) < 4
        or not low.endswith("s")
        or low.endswith("ss")
        or low in _NOT_POSSESSIVE
        or low in NAME_STOPWORDS
        or low[:-1] in NAME_STOPWORDS
    ):
        return None
    return technician_value(word if low in _NAMES_ENDING_IN_S else word[:-1])


def _read_bare_hour(capture: Capture, _ctx: Context) -> object | None:
    """A bare hour after "move ... to": "move 1070 to 8" is 08:00, "to 3" is 15:00 (CONTRACT's convention)."""
    if capture.keys != ("NUM",) or not isinstance(capture.payloads[0], int):
        return None
    hour = capture.payloads[0]
    if not 1 <= hour <= 12:
        return None
    resolved = timeparse.resolve_hour(hour, 0, None)
    return None if resolved is None else {"start": timeparse.fmt_time(resolved)}


def _read_bare_minutes(capture: Capture, _ctx: Context) -> object | None:
    """A number right by "late"/"behind" with no noun: "running 15 late", "running late 20"."""
    if capture.keys != ("NUM",) or not isinstance(capture.payloads[0], int):
        return None
    minutes = capture.payloads[0]
    return minutes if 1 <= minutes <= 180 else None


_BY_MINUTES = re.compile(r"(?:by|about|around|roughly|like|maybe)\s+(\d{1,3})", re.IGNORECASE)


def _read_by_minutes(capture: Capture, _ctx: Context) -> object | None:
    """ "late by 10", "about 20 behind": a number after "by" or "about" (read as a time phrase, "by 10
    o'clock") is minutes late."""
    found = _BY_MINUTES.fullmatch(capture.text.strip()) if capture.keys == ("TIME",) else None
    minutes = int(found[1]) if found else 0
    return minutes if 1 <= minutes <= 180 else None


# what a variant matches when it is not the slot's own pattern: a bare number, a time phrase
VARIANT_PATTERNS: dict[tuple[str, str], str] = {
    ("when", "hour"): "NUM ",
    ("minutes", "bare"): "NUM ",
    ("minutes", "by"): "TIME ",
}

VARIANT_READERS: dict[tuple[str, str], Callable[[Capture, Context], object | None]] = {
    ("technician", "possessive"): _read_possessive,
    ("when", "hour"): _read_bare_hour,
    ("minutes", "bare"): _read_bare_minutes,
    ("minutes", "by"): _read_by_minutes,
    ("technician", "proper"): _read_proper_name,
    ("summary", "aside"): _read_aside,
    ("customer", "proper"): _read_proper_words,
    ("customer", "full"): _read_full_name,
    ("customer", "booked"): _read_booked_for,
    ("customer", "family"): _read_family,
    ("project", "proper"): _read_proper_words,
}


_NAME_ANSWER_LEAD = re.compile(
    r"^(?:(?:let's|lets|how about|go with|use|try|send|assign|give it to|put|maybe|ok|okay|"
    r"it's|its|it should be|should be|to)\b[\s,]*)+",
    re.IGNORECASE,
)


def _answer_technician(text: str, _ctx: Context) -> object | None:
    if is_choice(text):
        return None
    answer = _NAME_ANSWER_LEAD.sub("", clean_text(text))
    words = answer.split()
    # the name ends before the first word that is never part of one: "Mike has it" is Mike
    for index, word in enumerate(words[1:], start=1):
        if word.lower().strip(".,!?") in NAME_STOPWORDS:
            answer = " ".join(words[:index])
            break
    return technician_value(answer)


# ---------------------------------------------------------------------------------------------- lists


@cache
def lists() -> dict[str, dict[str, str]]:
    """Synonym phrase -> value, per list slot (status, priority, kinds), from data/lists.yaml."""
    import yaml  # imported lazily: `import intents` stays light

    with LISTS_FILE.open(encoding="utf-8") as fh:
        data: dict[str, dict[str, list[str]]] = yaml.safe_load(fh)
    table: dict[str, dict[str, str]] = {}
    for slot, values in data.items():
        table[slot] = {phrase: value for value, phrases in values.items() for phrase in [value, *phrases]}
    return table


@cache
def list_regex(slot: str) -> re.Pattern[str]:
    phrases = sorted(lists()[slot], key=len, reverse=True)
    return re.compile(r"(?<!\S)(" + "|".join(re.escape(p) for p in phrases) + r")(?!\S)")


def scan_list(slot: str, skeleton: str) -> list[str]:
    """Every value of a list slot mentioned in a skeleton, in order, without repeats."""
    table = lists()[slot]
    found: list[str] = []
    for m in list_regex(slot).finditer(skeleton):
        value = table[m.group(1)]
        if value not in found:
            found.append(value)
    return found


def _read_list(slot: str, many: bool) -> Callable[[Capture, Context], object | None]:
    def read(capture: Capture, _ctx: Context) -> object | None:
        found = scan_list(slot, " ".join(capture.keys))
        if not found:
            return None
        return alert_kinds(found) if many else found[0]

    return read


def _answer_list(slot: str, many: bool) -> Callable[[str, Context], object | None]:
    def answer(text: str, _ctx: Context) -> object | None:
        keys = " ".join(t.norm for t in tokenize(text, max_tokens=40))
        found = scan_list(slot, keys)
        if not found:
            return None
        return alert_kinds(found) if many else found[0]

    return answer


KIND_ORDER = ("hold", "cancel")


def alert_kinds(found: list[str]) -> list[str] | None:
    """Alert kinds in the contract's order; "all"/"both" means every kind unless some are named."""
    named = [k for k in KIND_ORDER if k in found]
    if not named and "both" in found:
        return list(KIND_ORDER)
    return named or None


# ---------------------------------------------------------------------------------------------- registry


# ------------------------------------------------------------------------------------------ minutes

_MINUTE_UNITS = word_set("minutes minute mins min m")
_HOUR_UNITS = word_set("hour hours")
_MORE_NUMBERS = {
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "forty-five": 45,
    "fifty": 50,
    "sixty": 60,
}
_MINUTES_PATTERN = (
    r"(?:(?:NUM |TIME |- |to |or |half |an |a |one |two |three |four |five |ten |fifteen |twenty |thirty |forty |"
    r"forty-five |fifty |sixty |couple |few |of |more |extra ){1,5}(?:minutes |minute |mins |min |m |hour |hours )"
    r"(?:and (?:a half |NUM (?:minutes |mins |min )))?)"
)


def minutes_of(keys: Sequence[str], payloads: Sequence[object]) -> int | None:
    """Minutes said as "20 min", "15-20 minutes" (the larger), "half an hour", "an hour and a half"."""
    total = 0
    amount: float | None = None
    said = False
    for key, payload in zip(keys, payloads, strict=False):
        if key == "NUM" and isinstance(payload, int):
            amount = float(payload) if amount is None or payload > amount else amount
        elif key in timeparse.COUNT_WORDS or key in _MORE_NUMBERS:
            value = timeparse.COUNT_WORDS.get(key) or _MORE_NUMBERS[key]
            amount = float(value) if amount is None or key not in ("a", "an") else amount
        elif key == "half":
            amount = 0.5 if amount is None or amount == 1 else amount + 0.5
        elif key in _MINUTE_UNITS or key in _HOUR_UNITS:
            if amount is not None:
                total += round(amount * (60 if key in _HOUR_UNITS else 1))
                said = True
            amount = None
        elif key == "and" and said and total >= 60:
            amount = None
    if "half" in keys and said and keys[-1] == "half":  # "an hour and a half"
        total += 30
    if not said or total <= 0 or total > 24 * 60:
        return None
    return total


def _read_minutes(capture: Capture, _ctx: Context) -> object | None:
    if any(k in ("few", "couple") for k in capture.keys) and "NUM" not in capture.keys:
        return SAYS_NOTHING  # "a few minutes late": late, but by no said amount
    if "TIME" in capture.keys:  # "15-20 min" reads as a range of hours: the larger number of minutes
        numbers = [int(n) for n in re.findall(r"\d{1,4}", capture.text)]
        capture = Capture(capture.text, ("NUM", *capture.keys[-1:]), (max(numbers, default=0), None))
    found = minutes_of(capture.keys, capture.payloads)
    return SAYS_NOTHING if found is None else found


def _answer_minutes(text: str, _ctx: Context) -> object | None:
    tokens = tokenize(text)
    keys = ["NUM" if t.kind == "num" else t.norm for t in tokens]
    found = minutes_of(keys, [t.value for t in tokens])
    if found is None and len(tokens) == 1 and tokens[0].kind == "num" and isinstance(tokens[0].value, int):
        return tokens[0].value if 0 < tokens[0].value <= 24 * 60 else None  # "20" to "how many minutes?"
    return found


def _registry() -> dict[str, SlotType]:
    types: dict[str, SlotType] = {}
    for slot, placeholder in PLACEHOLDER_OF_SLOT.items():
        accepted = placeholder if slot == "appointment_id" else f"(?:{placeholder}|NUM)"
        types[slot] = SlotType(slot, f"{accepted} ", _read_id, _answer_id(slot))
    for slot in ("when",):
        types[slot] = SlotType(slot, "TIME ", _read_when, _answer_when)
    for slot in ("range", "starts", "completes"):
        types[slot] = SlotType(slot, "TIME ", _read_range, _answer_range)
    for slot in ("technician", "from_technician"):  # from_technician: who comes off (reassigning)
        types[slot] = SlotType(
            slot,
            f"(?:MENTION |{_NAME_WORD}{{1,3}})",
            _read_technician,
            _answer_technician,
            search_pattern=f"(?:MENTION |{_NAME_WORD}{{1,3}})",
        )
    for slot in ("reason", "text", "summary"):
        types[slot] = SlotType(
            slot,
            r"(?:\S+ )+?",
            _read_reason if slot == "reason" else _read_free,
            _answer_free,
            search_pattern=r"(?:(?![,;] )\S+ )+",
            unbounded=True,
        )
    for slot in ("customer", "project"):
        name = f"(?:{_NAME_WORD}{{1,4}})"
        types[slot] = SlotType(slot, name, _read_name, _answer_name, search_pattern=name)
    types["location"] = SlotType("location", "ADDR ", _read_location, _answer_location)
    types["minutes"] = SlotType("minutes", _MINUTES_PATTERN, _read_minutes, _answer_minutes)
    for slot in ("job_type", "business_unit"):
        types[slot] = SlotType(
            slot,
            f"{_PHRASE_WORD}{{1,5}}",
            _read_phrase,
            _answer_free,
            search_pattern=f"{_PHRASE_WORD}{{1,4}}",
        )
    for slot, many in (("status", False), ("priority", False), ("kinds", True)):
        types[slot] = SlotType(slot, f"{_WORDS}{{1,3}}?", _read_list(slot, many), _answer_list(slot, many))
    return types


SLOT_TYPES: dict[str, SlotType] = _registry()
LIST_SLOTS = ("status", "priority", "kinds")
TIME_SLOTS = ("when", "range", "starts", "completes")
ID_SLOTS = tuple(PLACEHOLDER_OF_SLOT)


def read_capture(slot: str, capture: Capture, ctx: Context, variant: str = "") -> object | None:
    if variant:
        return VARIANT_READERS[slot, variant](capture, ctx)
    return SLOT_TYPES[slot].read(capture, ctx)


def read_answer(slot: str, text: str, ctx: Context) -> object | None:
    slot_type = SLOT_TYPES.get(slot)
    if slot_type is None:
        return None
    return slot_type.answer(text, ctx)


def payload_ints(payloads: Sequence[Any]) -> list[int]:
    return [p for p in payloads if isinstance(p, int)]
