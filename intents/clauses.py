"""A message as clauses: where a request may start, and side clauses that only add a slot.

Dispatchers put context around a request ("homeowner rang, wants job 4120 pushed to thursday",
"heads up - cancel 3307, they sold the house") and name the technician in a clause of its own
("..., give it to Mike", "put Sarah on it", "I'll take it", "send <@U02TECH9>"). The recognizer reads
the whole message first; these helpers give it the later clause starts to try when the whole is no
request, and cut a trailing technician clause off before the request is read.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from intents.slots import NAME_STOPWORDS

# Where a clause may start: after punctuation that ends one, a spaced dash, or a joining word.
_BOUNDARY = re.compile(
    r"(?:[,;:!?]|\.(?=\s)|\s[-–—]+|\s\.\.\.)\s*"
    r"|\b(?P<joiner>so|and|but|then|anyway|fyi|heads[- ]up|btw|also)\b[\s,:-]*"
    # what someone wants done, said of them: "the Garcias want to un-cancel job 5120"
    r"|\b(?:wants?|needs?|would like|'d like|asked|asks|is asking|are asking|told)(?:\s+(?:us|me|you|them))?"
    r"\s+to\b\s*",
    re.IGNORECASE,
)
# "hold and cancel alerts", "completed and canceled jobs": an "and" inside a list joins no clauses
_LISTED_BEFORE = re.compile(
    r"\b(?:hold|holds|cancel|cancels|canceled|cancelled|cancellations?|completed|scheduled|open|"
    r"low|normal|high|urgent|jobs?|appointments?|visits?|notes?)\s*$",
    re.IGNORECASE,
)
_MAX_CLAUSES = 8
# A clause that may carry a request starts with a word or a mention and has a second word:
# "friday between 8 and 10" has no clause "10".
_CLAUSE_START = re.compile(r"(?:[^\W\d_]|<@)\S*\s+\S", re.UNICODE)

_MENTION = r"<@[A-Z0-9]+(?:\|[^<>]{0,80})?>"
_WORD = r"[^\W\d_][\w'.-]*"
_CAP_WORD = r"(?-i:[A-Z])[\w'.-]*"
_NAME = rf"(?P<name>{_MENTION}|{_WORD}(?:\s+{_CAP_WORD})?)"
_IT = r"(?:it|this|that|this one|that one|the job|the visit|the call|the appointment|them)"
_TAKE = r"(?:take|do|handle|cover|grab|run|get|have)"
_SIDE_TECHNICIAN = [
    r"(?P<me>mine|i(?:'ve|’ve)?\s+got\s+(?:it|this|that|this one|that one)|i'm on it|i am on it|i’m on it)",
    rf"(?P<me>i(?:'ll|’ll| will| can|'m gonna| am gonna| am going to|'m going to|ll| got| could)\s+{_TAKE}\s+{_IT})",
    rf"(?:give|hand|assign|send|pass)\s+{_IT}\s+(?:to|over to)\s+{_NAME}",
    rf"(?:put|get|stick|throw|slot)\s+{_NAME}\s+on\s+{_IT}",
    rf"(?:assign|send|dispatch)\s+{_NAME}(?:\s+(?:to|on)\s+{_IT})?",
    rf"(?:have|let|get)\s+{_NAME}\s+{_TAKE}\s+{_IT}",
    rf"{_NAME}\s+(?:can|will|should|could|is going to|is gonna|gets to)\s+{_TAKE}\s+{_IT}",
    rf"{_NAME}\s+(?:is|'s)\s+(?:taking|doing|handling|covering)\s+{_IT}",
    rf"(?:tech|technician)\s*(?:is|:|=|-)\s*{_NAME}",
]
_SIDE_RES = tuple(
    re.compile(
        r"(?:^|[,;]\s*|\s+(?:and|then)\s+|\s+[-–—]+\s*|[.!]\s+)(?:and\s+|then\s+|just\s+|please\s+)?"
        + pattern
        + r"\s*(?:[,.!]*\s*(?:thanks|thx|ty|please|pls|cheers)?)?\W*$",
        re.IGNORECASE,
    )
    for pattern in _SIDE_TECHNICIAN
)


class SideClause(NamedTuple):
    """A trailing clause that names the technician, and the message without it."""

    rest: str
    technician: str


def side_technician(text: str) -> SideClause | None:
    """A trailing "give it to Mike" / "put Sarah on it" / "I'll take it" clause, if the message has one."""
    for regex in _SIDE_RES:
        m = regex.search(text)
        if m is None or m.start() == 0:
            continue
        groups = m.groupdict()
        name = "me" if groups.get("me") else (groups.get("name") or "").strip()
        if name.lower() == "i":
            name = "me"
        words = name.lower().split()
        if not name or (not name.startswith("<@") and any(w in NAME_STOPWORDS - {"me"} for w in words)):
            continue
        rest = text[: m.start()].rstrip(" ,;-–—")
        if rest:
            return SideClause(rest, name)
    return None


def clause_starts(text: str) -> list[int]:
    """Offsets after the first where a clause may start, in order (at most a few)."""
    starts: list[int] = []
    for m in _BOUNDARY.finditer(text):
        end = m.end()
        if (
            m.group("joiner")
            and m.group("joiner").lower() == "and"
            and _LISTED_BEFORE.search(text[: m.start()])
        ):
            continue
        if 0 < end < len(text) and (not starts or end > starts[-1]) and _CLAUSE_START.match(text, end):
            starts.append(end)
            if len(starts) >= _MAX_CLAUSES:
                break
    return starts
