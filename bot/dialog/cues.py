"""What a message must say before the dialog offers a change that takes work off the schedule, and the
requests it says plainly it can't do. Pure.

"Did you mean…" offers the parser's likely readings of an unsure message; a reading that cancels a job,
puts it on hold or deletes a visit is offered only when the message has a word of it ("swap 1041 and 1011
times" never offers *Cancel job 1041*). Words are read after the parser's typo correction ("canel" is
cancel).

"swap 1041 and 1011 times" asks for something no single ServiceTitan call does: the answer says so and
how to do it (two reschedules), instead of guessing another request.
"""

from __future__ import annotations

import re

from intents.text import tokenize
from intents.typos import correct

_OFF = (
    r"off the (?:books|schedule|board|calendar|list)|not (?:needed|necessary|required|coming|happening)|"
    r"no longer|(?:don'?t|doesn'?t|do not|does not|won'?t|will not) need|called off|toast|dead|gone|"
    r"nevermind|never mind|forget|done with"
)
# intent -> what the message must say (after typo correction) for it to be offered
CUES: dict[str, re.Pattern[str]] = {
    "cancel_job": re.compile(rf"\b(?:cancel\w*|call|scrap\w*|kill|nix|void|drop|abort|{_OFF})\b", re.I),
    "hold_job": re.compile(
        r"\b(?:hold|held|on-hold|paus\w*|freez\w*|suspend\w*|park\w*|halt\w*|wait\w*|stall\w*|later)\b", re.I
    ),
    "delete_appointment": re.compile(
        rf"\b(?:delet\w*|remov\w*|drop|scrap\w*|kill|erase|cancel\w*|{_OFF})\b", re.I
    ),
}
CUES["hold_appointment"] = CUES["hold_job"]

_SWAP = re.compile(
    r"\b(?:swap|switch|exchange|trade|flip|interchange)\b.*?(?P<a>\d{3,}).*?\b(?:and|with|&|for)\b\D*?(?P<b>\d{3,})",
    re.I | re.S,
)
_APPOINTMENT = re.compile(r"\b(?:appt|appts|appointment|appointments|visit|visits)\b", re.I)


def _corrected(text: str) -> str:
    return " ".join(t.norm for t in correct(tokenize(text), text))


def may_offer(intent: str, text: str) -> bool:
    """Whether a reading of `intent` may be offered for `text` (a change that takes work off the schedule
    needs words of it in the message: "1007 is off the books" may be a cancel, "swap 1041 and 1011" not)."""
    cue = CUES.get(intent)
    return cue is None or bool(cue.search(text) or cue.search(_corrected(text)))


# Readings of a swap (a note or a reason may say "swap" in its own words: those are left alone)
SWAP_READINGS = frozenset(
    {"unknown", "show_job", "reschedule_appointment", "assign_technician", "reassign_technician"}
)


def unsupported(text: str, intent: str) -> str:
    """What to say to a request the bot can't do in one step ("swap 1041 and 1011 times", read as
    `intent`), or ""."""
    swap = _SWAP.search(text) if intent in SWAP_READINGS else None
    if swap is None:
        return ""
    noun = "appointment " if _APPOINTMENT.search(text) else "job "
    a, b = f"{noun}{swap['a']}", f"{noun}{swap['b']}"
    return (
        f"I can't swap two visits in one step. Reschedule each instead: *reschedule {a} to …* with "
        f"{b}'s time, then *reschedule {b} to …* with {a}'s old time (*show {a}* and *show {b}* give "
        "their times). Nothing was changed."
    )
