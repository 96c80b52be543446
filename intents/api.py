"""The public functions of the package: parse a message, parse an answer about one slot."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from intents.recognizer import recognize
from intents.slots import SLOT_TYPES, Context, read_answer
from intents.timeparse import local_now

log = logging.getLogger(__name__)

# Longest answer parse_slot reads (a reason or note); a longer one is not an answer to a question.
MAX_ANSWER = 100_000


def _check_tz(tz: str) -> None:
    ZoneInfo(tz)  # raises ZoneInfoNotFoundError (a KeyError) / ValueError for a bad zone name


def parse(text: str, *, now: datetime, tz: str) -> dict[str, Any]:
    """The intent and slots of one message, as CONTRACT section 2's JSON object. Never raises for
    any text; an invalid `tz` is a caller's error (ValueError/KeyError)."""
    _check_tz(tz)
    if not isinstance(text, str) or not text.strip():
        return {"intent": "unknown", "slots": {}}
    try:
        # any length is fine: the tokenizer reads at most MAX_TOKENS tokens (intents.text)
        return recognize(text, now=now, tz=tz)
    except Exception:  # a parser bug must not take the bot down: log it, answer "unknown"
        log.exception("intent parser failed on a %d-character message", len(text))
        return {"intent": "unknown", "slots": {}}


def parse_slot(slot: str, text: str, *, now: datetime, tz: str) -> object | None:
    """Read an answer to a question about one slot ("friday 2pm" for `when`, "Mike C" for
    `technician`, "1234" for `job_id`), in parse()'s value format; None if it is no such value.
    A pick from a list ("the 2nd one") is never a slot value: the dialog reads those."""
    _check_tz(tz)
    if slot not in SLOT_TYPES or not isinstance(text, str) or not text.strip() or len(text) > MAX_ANSWER:
        return None
    ctx = Context(local_now(now, tz), tz)
    try:
        return read_answer(slot, text, ctx)
    except Exception:  # same reasoning as parse()
        log.exception("slot parser %s failed", slot)
        return None
