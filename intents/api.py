"""The public functions of the package: parse a message, parse an answer about one slot."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from intents import named_jobs
from intents.grammar import load_grammar
from intents.recognizer import analyse, recognize
from intents.slots import SLOT_TYPES, Context, read_answer
from intents.timeparse import local_now

log = logging.getLogger(__name__)

# Longest answer parse_slot reads (a reason or note); a longer one is not an answer to a question.
MAX_ANSWER = 100_000


def _check_tz(tz: str) -> None:
    ZoneInfo(tz)  # raises ZoneInfoNotFoundError (a KeyError) / ValueError for a bad zone name


# The last messages parsed, by (text, now, tz): a message is read more than once at the same moment (the bot
# asks whether it is an alert request, then its dialog reads it), and parse is a function of those three.
_RECENT: dict[tuple[str, datetime, str], dict[str, Any]] = {}
RECENT_PARSES = 64


def parse(text: str, *, now: datetime, tz: str) -> dict[str, Any]:
    """The intent and slots of one message, as CONTRACT section 2's JSON object. Never raises for
    any text; an invalid `tz` is a caller's error (ValueError/KeyError). Each call gets its own object."""
    _check_tz(tz)
    if not isinstance(text, str) or not text.strip():
        return {"intent": "unknown", "slots": {}}
    key = (text, now, tz)
    parsed = _RECENT.get(key)
    if parsed is None:
        parsed = _parse(text, now=now, tz=tz)
        if len(_RECENT) >= RECENT_PARSES:
            del _RECENT[next(iter(_RECENT))]  # the oldest
        _RECENT[key] = parsed
    return _copy(parsed)


def _copy(value: Any) -> Any:
    """A copy of a JSON value (dicts and lists copied all the way down)."""
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _parse(text: str, *, now: datetime, tz: str) -> dict[str, Any]:
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


def parse_named_job(text: str, *, now: datetime, tz: str) -> dict[str, Any] | None:
    """An answer to "Which job?" that names the job in words (intents.named_jobs): "barbara white's furnace
    repair", "the one at 470 maple ave", "the garcias" -> its `customer`, `location` and `job_type` slots;
    None when the text is anything else."""
    _check_tz(tz)
    if not isinstance(text, str) or not text.strip() or len(text) > 200:
        return None
    try:
        return named_jobs.named_alone(analyse(text, local_now(now, tz).date(), load_grammar()))
    except Exception:  # same reasoning as parse()
        log.exception("named job parser failed")
        return None
