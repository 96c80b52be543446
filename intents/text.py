"""Tokenizer for chat messages: one linear pass, canonical spellings, original offsets kept.

Every token keeps its character span in the original message, so free-text slots can be cut from
what the user actually typed (case, punctuation inside the phrase) while matching works on
canonical lower-case words ("tmrw" -> "tomorrow", "appt" -> "appointment").
"""

from __future__ import annotations

import re
from typing import NamedTuple

# Longest messages we read in full. Beyond this the tail is ignored for matching, which keeps every
# later step bounded however large the input is; a free-text slot that runs to the cut-off still
# takes the rest of the original text.
MAX_TOKENS = 300

_TOKEN_RE = re.compile(
    r"""
    (?P<link><?https?://[^\s<>]{1,2000}>?)
  | (?P<wslash>\bw/(?=[\s\w<]))
  | (?P<word>[^\W\d_]+(?:['’-][^\W\d_]+)*)
  | (?P<num>\d{1,12})(?![\d:/.\-]|(?:st|nd|rd|th)\b|\s?[ap]\.?m\b|[ap]\b)
  | (?P<markup><[@#!][^<>\s|]{1,80}(?:\|[^<>]{0,120})?>)
  | (?P<slashes>\d+(?:/\d+){3,})
  | (?P<date>\d{1,4}[./-]\d{1,2}[./-]\d{1,4}(?![\d./-])|\d{1,2}/\d{1,2}(?![\d/]))
  | (?P<clock>(?P<ch>\d{1,2}):(?P<cm>\d{2})(?:\s?(?P<cmer>[ap])\.?m\b\.?|(?P<cmer1>[ap])\b)?)
  | (?P<ord>(?P<ordn>\d{1,2})(?:st|nd|rd|th)\b)
  | (?P<hour>(?P<hh>\d{1,2})(?:\s?(?P<hmer>[ap])\.?m\b\.?|(?P<hmer1>[ap])\b))
  | (?P<num2>\d{1,12})(?!\d)
  | (?P<longnum>\d+)
  | (?P<poss>['’]s\b)
  | (?P<punct>\S)
    """,
    re.VERBOSE,
)

# Canonical spellings: abbreviations and frequent misspellings of the words the grammar relies on.
SPELLING: dict[str, str] = {
    # days
    "tmrw": "tomorrow",
    "tmr": "tomorrow",
    "tmrow": "tomorrow",
    "tmw": "tomorrow",
    "tomorow": "tomorrow",
    "tommorow": "tomorrow",
    "tommorrow": "tomorrow",
    "tomorrw": "tomorrow",
    "tomm": "tomorrow",
    "2morrow": "tomorrow",
    "2moro": "tomorrow",
    "tomoro": "tomorrow",
    "tomrrow": "tomorrow",
    "tdy": "today",
    "2day": "today",
    "todya": "today",
    "yday": "yesterday",
    "yest": "yesterday",
    "tonite": "tonight",
    "2nite": "tonight",
    "mon": "monday",
    "mo": "monday",
    "tue": "tuesday",
    "tues": "tuesday",
    "tu": "tuesday",
    "wed": "wednesday",
    "weds": "wednesday",
    "wednsday": "wednesday",
    "wensday": "wednesday",
    "wedensday": "wednesday",
    "thu": "thursday",
    "thur": "thursday",
    "thurs": "thursday",
    "thr": "thursday",
    "thursay": "thursday",
    "fri": "friday",
    "firday": "friday",
    "fryday": "friday",
    "sat": "saturday",
    "sun": "sunday",
    "wk": "week",
    "wks": "weeks",
    "mnth": "month",
    "hr": "hour",
    "hrs": "hours",
    "aftn": "afternoon",
    "arvo": "afternoon",
    "eve": "evening",
    "nite": "night",
    "mornin": "morning",
    "morn": "morning",
    "nxt": "next",
    "thru": "through",
    "til": "until",
    "till": "until",
    # nouns
    "appt": "appointment",
    "appts": "appointments",
    "apt": "appointment",
    "apts": "appointments",
    "appoinment": "appointment",
    "appointmnet": "appointment",
    "apointment": "appointment",
    "appointmet": "appointment",
    "appoitment": "appointment",
    "cust": "customer",
    "custmer": "customer",
    "costumer": "customer",
    "loc": "location",
    "proj": "project",
    "projs": "projects",
    "tech": "technician",
    "techs": "technicians",
    "jobs#": "jobs",
    "wo": "job",
    "ticket": "job",
    "tickets": "jobs",
    # verbs
    "resched": "reschedule",
    "reschedul": "reschedule",
    "reshcedule": "reschedule",
    "rescheudle": "reschedule",
    "reschule": "reschedule",
    "mv": "move",
    "tak": "take",
    "tkae": "take",
    "hld": "hold",
    "hodl": "hold",
    "halp": "help",
    "hlep": "help",
    "hepl": "help",
    "mve": "move",
    "moev": "move",
    "cancl": "cancel",
    "cancek": "cancel",
    "reshedule": "reschedule",
    "rescedule": "reschedule",
    "reschedual": "reschedule",
    "rescheduel": "reschedule",
    "reschdule": "reschedule",
    "reschd": "reschedule",
    "rs": "reschedule",
    "cancelled": "canceled",
    "cancelld": "canceled",
    "canceld": "canceled",
    "cancle": "cancel",
    "cancell": "cancel",
    "cancellation": "cancellation",
    "cancelation": "cancellation",
    "cancelations": "cancellations",
    "cancels": "cancellations",
    "un-cancel": "uncancel",
    "un-hold": "unhold",
    "un-assign": "unassign",
    "unasign": "unassign",
    "asign": "assign",
    "assing": "assign",
    "sched": "schedule",
    "shedule": "schedule",
    "schedual": "schedule",
    "schedul": "schedule",
    # filler and chat shorthand
    "pls": "please",
    "plz": "please",
    "plez": "please",
    "pleas": "please",
    "u": "you",
    "ur": "your",
    "thx": "thanks",
    "ty": "thanks",
    "thanx": "thanks",
    "b/c": "because",
    "bc": "because",
    "cuz": "because",
    "cause": "because",
    "coz": "because",
    "w/": "with",
    "abt": "about",
    "nvm": "nevermind",
    "whats": "what's",
    "whos": "who's",
    "wats": "what's",
    "im": "i'm",
}

# Possessives we split into name + "'s"; these common contractions stay one word.
_CONTRACTIONS = frozenset(
    {
        "it's",
        "what's",
        "that's",
        "who's",
        "where's",
        "there's",
        "here's",
        "let's",
        "how's",
        "he's",
        "she's",
        "when's",
        "why's",
    }
)


class Token(NamedTuple):
    """One token: canonical text, kind, span in the original message, and a parsed value."""

    norm: str
    kind: str  # markup, link, date, clock, ord, hour, num, word, punct
    start: int
    end: int
    value: object = None


def _meridiem(letter: str | None) -> str | None:
    if not letter:
        return None
    return "am" if letter.lower() == "a" else "pm"


def tokenize(text: str, max_tokens: int = MAX_TOKENS) -> list[Token]:
    """Split a message into tokens (at most max_tokens), canonicalising words."""
    tokens: list[Token] = []
    append = tokens.append
    new = tuple.__new__  # builds a Token without the Python-level __new__: this loop is hot
    lowered = text.lower()
    if len(lowered) != len(text):  # a few characters lower-case to two ("İ"): keep offsets exact
        lowered = "".join(ch if len(ch.lower()) != 1 else ch.lower() for ch in text)
    for m in _TOKEN_RE.finditer(lowered):
        kind = m.lastgroup or "punct"
        start = m.start()
        end = m.end()
        if kind == "word":
            word = m.group(0)
            if "’" in word:
                word = word.replace("’", "'")
            word = SPELLING.get(word, word)
            if word.endswith("'s") and len(word) > 2 and word not in _CONTRACTIONS:
                cut = end - 2
                append(new(Token, (word[:-2], "word", start, cut, None)))
                append(new(Token, ("'s", "word", cut, end, None)))
            else:
                append(new(Token, (word, "word", start, end, None)))
        elif kind == "wslash":  # "w/ Mike": with
            append(new(Token, ("with", "word", start, end, None)))
        elif kind == "num" or kind == "num2":
            raw = m.group(0)
            append(new(Token, (raw, "num", start, end, int(raw))))
        elif kind == "punct":
            append(new(Token, (text[start:end], "punct", start, end, None)))
        elif kind == "clock":
            mer = _meridiem(m.group("cmer") or m.group("cmer1"))
            append(new(Token, (m.group(0), kind, start, end, (int(m.group("ch")), int(m.group("cm")), mer))))
        elif kind == "hour":
            mer = _meridiem(m.group("hmer") or m.group("hmer1"))
            append(new(Token, (m.group(0), kind, start, end, (int(m.group("hh")), 0, mer))))
        elif kind == "ord":
            append(new(Token, (m.group(0), "ord", start, end, int(m.group("ordn")))))
        elif kind == "longnum" or kind == "slashes":  # "1/1/1/1" is no date and no numbers
            append(new(Token, (m.group(0), "punct", start, end, None)))
        elif kind == "poss":
            append(new(Token, ("'s", "word", start, end, None)))
        else:  # markup and links keep their case: a mention is kept as written
            append(new(Token, (text[start:end], kind, start, end, None)))
        if len(tokens) >= max_tokens:
            break
    return tokens


_SAME_AS = (("same", "time", "as"), ("same", "slot", "as"), ("same", "day", "and", "time", "as"))


def referenced(tokens: list[Token]) -> set[int]:
    """Indices of the other job in "the same time as [job] 1041": a time given by reference (the dialog
    reads it, bot.dialog.relative), never the job the request is about."""
    found: set[int] = set()
    for i in range(len(tokens)):
        for words in _SAME_AS:
            j = i + len(words)
            if tuple(t.norm for t in tokens[i:j]) != words:
                continue
            if j < len(tokens) and tokens[j].norm in ("job", "#"):
                j += 1
            if j < len(tokens) and tokens[j].kind == "num":
                found.update(range(i, j + 1))
    return found
