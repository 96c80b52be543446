"""A job named by its customer, address or type instead of its number: one JOB item in the skeleton.

Dispatchers say "move the panel upgrade for jessica young to next wed", "put elizabeth clark's job on
hold", "hold the drain cleaning at 470 maple ave", "barbara white wants her furnace repair moved to next
friday". The phrase that names the job becomes one JOB item, so every template reads it wherever a job
number may stand (and the templates, hence the fallback classifier's training, stay as they are); its
payload is not an id but the slots it said (CONTRACT section 2's words for them): `customer` (a name as
written), `location` (street words), `job_type` (its words).

The forms (skeleton words; TYPE is one to four words ending in a trade word: "panel upgrade", "ac
tune-up", "drain cleaning"; KIND is job, appointment, appt, visit or call):
- `(the|her|his|their|...) TYPE [KIND] (for|of) [the] NAME` and `the KIND (for|of) [the] NAME`
- `(the|her|...) TYPE [KIND] at ADDR` and `the KIND at ADDR`
- `[the] NAME 's [TYPE] [KIND]` (a TYPE or a KIND must follow), and `[the] NAMEs (TYPE [KIND]|KIND)`
  ("jessica youngs panel upgrade", "the hendersons job": the apostrophe left out; the customer look-up
  drops the s)
- at the start: `NAME (wants|needs|would like|asked for|...) (her|his|their|the) TYPE [KIND]`

Only the write intents that act on a job use the reading (recognizer._read tries the message again without
it for any other): "show me the drain cleaning for ann lee" stays what it was.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from intents.slots import NAME_STOPWORDS, PHRASE_STOPWORDS, word_set
from intents.vocabulary import trade_heads

NAMED = "JOB"  # the item's key: a job, its payload a dict of slots instead of an id
# The requests a named job may stand in (the ones acting on one job or its appointment)
INTENTS = frozenset(
    {
        "reschedule_appointment",
        "hold_job",
        "hold_appointment",
        "remove_appointment_hold",
        "cancel_job",
        "remove_cancellation",
        "assign_technician",
        "unassign_technician",
        "reassign_technician",
        "complete_job",
        "confirm_appointment",
        "delete_appointment",
        "add_appointment",
        "special_instructions",
        "add_note",
    }
)
# The slots a JOB item gives
SLOTS = ("customer", "location", "job_type")

_DETERMINERS = word_set("the her his their its my our that this")
_ARTICLES = word_set("a an")
_KINDS = word_set("job appointment appt visit call one")
_GENERIC_HEADS = word_set("job visit call service work check test")
_WANTS = (
    ("wants",),
    ("want",),
    ("needs",),
    ("need",),
    ("would", "like"),
    ("'d", "like"),
    ("asked", "for"),
    ("asked", "to", "have"),
    ("asked", "to", "get"),
    ("asked", "us", "to", "get"),
    ("wanted",),
    ("requested",),
)
_VERBS = word_set(
    "cancel reschedule hold pause freeze park move push bump shift change unhold confirm complete close "
    "finish delete remove add drop get make set mark keep leave throw stick give hand need needs want wants "
    "assign unassign reassign put take send uncancel un-cancel reinstate restore reopen reactivate resume "
    "unpause release lift note tell show book schedule"
)
# Words that end a name, and words a job type is never made of
_NOT_NAMED = NAME_STOPWORDS | _VERBS
_NOT_TYPE = PHRASE_STOPWORDS | _DETERMINERS | _ARTICLES | _VERBS | word_set("off up out back over")
MAX_NAME = 3
MAX_TYPE = 4


def _plain(key: str) -> bool:
    """A word of the message (placeholders are upper case; punctuation kept in the skeleton is not a word)."""
    return key[:1].isalpha() and key[:1].islower()


def _name(keys: Sequence[str], i: int) -> int:
    """The end (exclusive) of a name starting at i: up to three words that no request word stops."""
    j = i
    while j < len(keys) and j - i < MAX_NAME and _plain(keys[j]) and keys[j] not in _NOT_NAMED:
        j += 1
    return j


def _type_end(keys: Sequence[str], i: int) -> int | None:
    """The end (exclusive) of a job type starting at i: the longest run of up to four words ending in a
    trade word that says what was done ("panel upgrade", not "job")."""
    heads = trade_heads()
    end = None
    j = i
    while j < len(keys) and j - i < MAX_TYPE and _plain(keys[j]) and keys[j] not in _NOT_TYPE:
        if keys[j] in heads and keys[j] not in _GENERIC_HEADS:
            end = j + 1
        j += 1
    return end


def _text(texts: Sequence[str], i: int, j: int) -> str:
    return " ".join(texts[i:j])


def _after_type(keys: Sequence[str], j: int) -> int:
    return j + 1 if j < len(keys) and keys[j] in _KINDS else j


def _whom(
    keys: Sequence[str], texts: Sequence[str], j: int, payloads: Sequence[Any]
) -> tuple[int, dict[str, Any]]:
    """ "for [the] NAME" or "at ADDR" at j: (the end, its slots); (j, {}) when neither is there."""
    if j + 1 < len(keys) and keys[j] in ("for", "of"):
        start = j + 2 if keys[j + 1] == "the" else j + 1
        end = _name(keys, start)
        if end > start:
            return end, {"customer": _text(texts, start, end)}
    if j + 1 < len(keys) and keys[j] == "at" and keys[j + 1] == "ADDR" and isinstance(payloads[j + 1], str):
        return j + 2, {"location": payloads[j + 1]}
    return j, {}


def _possessive(keys: Sequence[str], texts: Sequence[str], i: int) -> tuple[int, dict[str, Any]] | None:
    """ "elizabeth clark 's job", "jessica youngs panel upgrade", "the hendersons job" at item i."""
    name_end = _name(keys, i)
    if name_end == i:
        return None
    if name_end < len(keys) and keys[name_end] == "'s":
        i = max(i, name_end - 2)  # a word of the request may lead the name: its last two words are the name
        type_end = _type_end(keys, name_end + 1)
        end = _after_type(keys, type_end or name_end + 1)
        if end == name_end + 1:
            return None
        slots: dict[str, Any] = {"customer": _text(texts, i, name_end)}
        if type_end:
            slots["job_type"] = _text(texts, name_end + 1, type_end)
        return end, slots
    for k in range(i + 1, name_end + 1):  # the apostrophe left out: a name ending in s, then what
        if not (keys[k - 1].endswith("s") and len(keys[k - 1]) > 2):
            continue
        type_end = _type_end(keys, k)
        if type_end:
            return _after_type(keys, type_end), {
                "customer": _text(texts, i, k),
                "job_type": _text(texts, k, type_end),
            }
        if k < len(keys) and keys[k] in _KINDS:
            return k + 1, {"customer": _text(texts, i, k)}
    return None


def _wants(keys: Sequence[str], texts: Sequence[str]) -> tuple[int, dict[str, Any]] | None:
    """ "barbara white wants her furnace repair ..." at the start of the message."""
    name_end = _name(keys, 0)
    for said in _WANTS if name_end else ():
        j = name_end + len(said)
        if tuple(keys[name_end:j]) == said and j < len(keys) and keys[j] in _DETERMINERS:
            type_end = _type_end(keys, j + 1)
            if type_end:
                slots = {"customer": _text(texts, 0, name_end), "job_type": _text(texts, j + 1, type_end)}
                return _after_type(keys, type_end), slots
    return None


def _at(
    keys: Sequence[str], texts: Sequence[str], payloads: Sequence[Any], i: int
) -> tuple[int, dict[str, Any]] | None:
    """A named job starting at item i: (its end, its slots), or None."""
    start = i + 1 if keys[i] in _DETERMINERS else i
    if start >= len(keys):
        return None
    if keys[i] in _DETERMINERS:
        owned = _possessive(keys, texts, start) if keys[i] == "the" else None  # "the hendersons job"
    else:
        owned = _possessive(keys, texts, i) or (_wants(keys, texts) if i == 0 else None)
    if owned is not None or keys[i] not in _DETERMINERS:
        return owned
    # (the|her|...) TYPE [KIND] (for NAME | at ADDR), the KIND (for NAME | at ADDR)
    type_end = _type_end(keys, start)
    if type_end is None and not (keys[i] == "the" and keys[start] in _KINDS):
        return None
    after = _after_type(keys, type_end or start)
    end, slots = _whom(keys, texts, after, payloads)
    if not slots:
        return None
    if type_end:
        slots["job_type"] = _text(texts, start, type_end)
    return end, slots


def collapse(analysis: Any) -> Any:
    """The skeleton analysis (recognizer.Analysis) with its first named job as one JOB item, or None."""
    items = analysis.items
    texts = [analysis.text[it.start : it.end] for it in items]
    found = find([it.key for it in items], texts, [it.payload for it in items])
    if found is None:
        return None
    first, end, slots = found
    named = type(items[first])(NAMED, items[first].start, items[end - 1].end, slots)
    return type(analysis).of(analysis.text, [*items[:first], named, *items[end:]], analysis.truncated)


def find(
    keys: Sequence[str], texts: Sequence[str], payloads: Sequence[Any]
) -> tuple[int, int, dict[str, Any]] | None:
    """The first named job among the skeleton's items: (first index, end index, its slots)."""
    for i in range(len(keys)):
        if keys[i] not in _DETERMINERS and not _plain(keys[i]):
            continue
        if i > 0 and _plain(keys[i - 1]) and keys[i - 1] not in _NOT_NAMED and keys[i] not in _DETERMINERS:
            continue  # inside a run of words: a name or a type starts at the run's first word
        found = _at(keys, texts, payloads, i)
        if found is not None:
            return i, found[0], found[1]
    return None


def named_alone(analysis: Any) -> dict[str, Any] | None:
    """The slots of a message that is only a job named in words, as an answer to "Which job?": "barbara
    white's furnace repair", "the one at 470 maple ave", or a customer's name alone of two words or more, or
    a family ("barbara white", "the garcias"); None for anything else (a one-word "yes" names no one)."""
    items = analysis.items
    keys = [it.key for it in items]
    texts = [analysis.text[it.start : it.end] for it in items]
    found = find(keys, texts, [it.payload for it in items])
    if found is not None:
        return found[2] if (found[0], found[1]) == (0, len(items)) else None
    start = 1 if keys[:1] == ["the"] else 0
    words = len(keys) - start
    family = start == 1 and words == 1 and keys[-1].endswith("s")  # "the garcias"
    if (family or 2 <= words <= MAX_NAME) and _name(keys, start) == len(keys):
        return {"customer": _text(texts, start, len(keys))}
    return None
