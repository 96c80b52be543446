"""A cancel reason said as a filter of a job search, and the tenant's reasons it names. Pure.

"anything canceled for price reasons in the last 2 weeks", "canceled jobs because of price this month",
"cancellations with reason duplicate booking", and after a list of cancellations "which ones were price
too high": `said_reason` gives the words ("price", "price too high"); `matching` the reasons whose names
have those words (by the words of the name: "price" is "Price too high"). A search for canceled jobs keeps
the jobs canceled for one of them (`bot.dialog.reads.find_jobs`), or says why it could not.
"""

from __future__ import annotations

import re

# Words that end a reason ("price in the last 2 weeks": a time, a status or a list word follows)
_STOP = (
    r"in|on|this|last|next|since|from|between|during|today|yesterday|tomorrow|within|over the|and|or|"
    r"jobs?|cancellations?|canceled|cancelled|please|reasons?|were|was|are|is|that|the|an?|"
    r"scheduled|completed|done|finished|hold|held|assigned|unassigned|open|active|booked|still|now|currently|"
    r"ones?"
)
_WORDS = rf"(?P<words>(?:(?!(?:{_STOP})\b)[a-z][\w'-]*\s*){{1,5}}?)"
_END = rf"(?=\s+(?:{_STOP})\b|\s*[?.!,]|\s*$)"
_SAID = [
    # "for price reasons", "for weather-related reasons"
    re.compile(rf"\bfor\s+(?:the\s+)?{_WORDS}\s*(?:related\s+)?reasons?\b", re.I),
    # "because of price", "because price too high", "due to a duplicate booking", "with reason price too
    # high", "reason: price"
    re.compile(
        rf"\b(?:because(?:\s+of)?|due\s+to|(?:with\s+)?(?:the\s+)?reasons?(?:\s+(?:was|is|were|being|of))?\s*:?)"
        rf"\s+(?:an?\s+|the\s+)?{_WORDS}{_END}",
        re.I,
    ),
    # after a list: "which ones were price too high", "the ones for duplicate booking"
    re.compile(
        rf"^(?:which|what|the)\s+(?:ones|jobs|of them|of those)\s+(?:(?:that\s+)?(?:were|was|are)\s+"
        rf"(?:(?:canceled|cancelled)\s+)?(?:(?:for|because\s+of|due\s+to|over)\s+)?"
        rf"|(?:for|because\s+of|due\s+to|over)\s+){_WORDS}{_END}",
        re.I,
    ),
    # after a list: "only the duplicate ones", "just the price too high ones", "only duplicate booking"
    re.compile(rf"^(?:only|just)\s+(?:the\s+)?(?:ones\s+(?:for|over)\s+)?{_WORDS}(?:\s+ones?)?{_END}", re.I),
]
# Words of a reason phrase that name nothing about the reason
_FILLER = frozenset(
    {"a", "an", "the", "too", "of", "for", "to", "it", "they", "them", "was", "were", "reason"}
)


def said_reason(text: str) -> tuple[str, tuple[int, int]] | None:
    """The reason words said as a filter, and where they are in `text`; None when none is said."""
    for pattern in _SAID:
        found = pattern.search(text.strip())
        if found is not None and found["words"].strip():
            return found["words"].strip(), found.span()
    return None


def _stems(text: str) -> set[str]:
    words = re.findall(r"[a-z]+", text.casefold())
    return {w[:5] for w in words if w not in _FILLER and len(w) > 2}


def matching(words: str, names: dict[int, str]) -> list[int]:
    """The ids of the reasons named by `words`: those whose name has every word said ("price too high"),
    else those sharing a word with them ("price" -> "Price too high")."""
    said = _stems(words)
    if not said:
        return []
    every = [i for i, name in names.items() if said <= _stems(name)]
    return every or [i for i, name in names.items() if said & _stems(name)]
