"""A correction of the alert setting just made: "ping me when anything gets put on hold", then "actually
only cancellations" (the setting becomes cancellations only) or "and cancellations too" (added).

Only right after an alert subscription changed in the same conversation (`remember` notes it for
`RECENT_SECONDS`), and only a message that is nothing but such a correction: "only cancellations" alone
at another time is a search, left to the dialog.
"""

from __future__ import annotations

import re
from typing import Literal

from bot.dialog.messages import ConversationKey
from bot.store import Store

NAMESPACE = "alert-last-change"
RECENT_SECONDS = 10 * 60
KIND_NAMES = {"hold": "holds", "cancel": "cancellations"}

_KINDS = {
    "hold": r"holds?|on[\s-]hold|held|hold alerts",
    "cancel": r"cancell?ations?|cancels?|cancell?ed|cancel(?:l)?ation alerts",
    "both": r"both|all|everything|all of them|both of them",
}
_ANY_KIND = "|".join(f"(?:{words})" for words in _KINDS.values())
_LEAD = (
    r"(?:no|nope|nah|actually|wait|sorry|oh|hmm|i meant|i mean|make (?:it|that)|change (?:it|that) to|"
    r"switch (?:it|that) to|instead|rather|ok|okay)"
)
_ADD_LEAD = r"(?:and|also|plus|add)"
_CORRECTION = re.compile(
    rf"^\s*(?P<lead>(?:{_LEAD}[\s,.!:;-]*)+)?(?P<add>{_ADD_LEAD}\s+)?(?P<only>(?:only|just)\s+)?(?:for\s+)?"
    rf"(?P<kinds>(?:{_ANY_KIND})(?:\s*(?:,|and|&|\+)\s*(?:{_ANY_KIND}))?)"
    rf"(?:\s+(?P<tail>only|instead|too|as well|also))?\s*(?:alerts?|please|pls)?\s*[.!]*\s*$",
    re.I,
)


def read(text: str) -> tuple[Literal["set", "add"], list[str]] | None:
    """("set", kinds) for "actually only cancellations", ("add", kinds) for "and holds too"; None when the
    message is not only such a correction (it needs a correction's word: "actually", "only", "too", …)."""
    found = _CORRECTION.match(text)
    if found is None or not (found["lead"] or found["add"] or found["only"] or found["tail"]):
        return None
    said = {kind for kind, words in _KINDS.items() if re.search(rf"\b(?:{words})\b", found["kinds"], re.I)}
    kinds = sorted(set(KIND_NAMES) if "both" in said else said)
    adds = bool(found["add"]) or (found["tail"] or "").casefold() in ("too", "as well", "also")
    return ("add" if adds and not found["only"] else "set"), kinds


async def remember(store: Store, key: ConversationKey, target: str) -> None:
    """Note that `target`'s alert subscription was just changed in this conversation."""
    await store.save(namespace=NAMESPACE, key=key.as_path(), value={"target": target}, ttl=RECENT_SECONDS)


async def recent(store: Store, key: ConversationKey) -> str | None:
    """The target whose subscription this conversation changed in the last minutes, if any."""
    record = await store.load(namespace=NAMESPACE, key=key.as_path())
    target = record.value.get("target") if record is not None else None
    return str(target) if target else None


def kinds_text(kinds: list[str] | tuple[str, ...]) -> str:
    return " and ".join(KIND_NAMES[k] for k in sorted(kinds) if k in KIND_NAMES)
