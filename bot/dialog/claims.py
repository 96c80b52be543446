"""A conversation's claim while its write is sent, and what a turn that outlived its claim may still say.

A confirm moves the stored conversation from confirming to applying with a compare-and-set, stamped with
a claim: a random token and the time it was taken (`stamp`). Only the turn holding the claim ends it: its
last save goes through only while the stored conversation still carries its token (`save_held`); the
engine answers every other event in applying with "That's already being done".

A claim older than the claim timeout (`DialogService.claim_timeout`: the write deadline, the re-read
after it and a margin) belongs to a turn that died (its process stopped, Redis failed before the outcome was saved) or hangs:
the next turn re-reads ServiceTitan and settles it, telling the user what it found. If the old turn ends
after all, its save is refused instead of overwriting what happened since, and it says only what the user
was not told yet (`late_replies`): a write it knows went through, or a sure refusal where the re-read could
not tell. Its buttons are dropped (their tokens were never stored); a later Check & retry on the card reads
ServiceTitan before sending, so nothing is written twice.
"""

from __future__ import annotations

import dataclasses
import logging
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from bot.dialog.messages import Reply
from bot.dialog.state import Called, Conversation
from bot.store import Entry, Store, Write
from bot.store.base import check_rev

log = logging.getLogger("bot.dialog")

SAVE_ATTEMPTS = 3  # a read answered meanwhile (a list paged) moves the revision, never the claim
LATE_NOTE = "I finished this after our conversation had moved on, so this message has no buttons."


def stamp(state: Conversation, at: datetime) -> str:
    """Claim `state` for this turn's write (saved by the caller's compare-and-set); the claim's token."""
    state.claim, state.claimed_at = uuid.uuid4().hex, at
    return state.claim


def release(state: Conversation) -> None:
    """Forget the claim once the conversation has left applying."""
    if state.phase != "applying":
        state.claim, state.claimed_at = "", None


def claimed_since(state: Conversation) -> datetime | None:
    """When the conversation was claimed (a claim stored before claims were stamped: its last activity)."""
    return state.claimed_at or state.updated_at


def holds(value: dict[str, Any], token: str) -> bool:
    """Whether a stored conversation is still applying under the claim `token`."""
    return bool(token) and value.get("phase") == "applying" and value.get("claim") == token


async def save_held(
    store: Store,
    write: Write,
    *,
    token: str,
    rev: int = 0,
    entry: tuple[Entry, Callable[[str], None]] | None = None,
) -> tuple[int, dict[str, Any] | None]:
    """Apply `write` (a save of the conversation, its value encoded once for every attempt) only while the
    stored conversation holds the claim `token`: a compare-and-set on `rev`,
    the revision the claim was saved at (no read needed: that revision carries the claim), else on the
    revision read. (the new revision, None) when saved; otherwise (0, the stored conversation, None when
    there is none). `entry`: the write's audit record, sent with the first compare-and-set whether it
    succeeds or not, and what to tell its id ('' when a retry found it added) once it is sent."""

    async def save_at(expected: int) -> int:
        nonlocal entry
        attempt = dataclasses.replace(write, expected_rev=check_rev(expected))
        if entry is None:
            return await store.write_now(attempt)
        (logged, sent), entry = entry, None
        saved, entry_id = await store.write_now_logged(attempt, logged)
        sent(entry_id)
        return saved

    if rev and (saved := await save_at(rev)):
        return saved, None
    stored: dict[str, Any] | None = None
    for _ in range(SAVE_ATTEMPTS):
        record = await store.load(namespace=write.namespace, key=write.key)
        stored = record.value if record is not None else None
        if record is None or not holds(record.value, token):
            return 0, stored
        if saved := await save_at(record.rev):
            return saved, None
    return 0, stored


def late_replies(fresh: Conversation | None, outcome: list[Reply], called: Called, card: str) -> list[Reply]:
    """What a turn whose claim was settled by another turn still tells the user about its write.

    `fresh`: the conversation as stored now (None: lost, e.g. Redis restarted empty, so nobody told the
    user anything yet); `outcome`: the replies this turn made of `called`; `card`: the token of the card
    confirmed. The turn that settled the claim told the user what a re-read of ServiceTitan showed; this
    turn adds only what it knows for sure and that re-read may have missed."""
    if fresh is None:
        return [_lost(outcome, called)]
    if called.ok:  # done: news unless the settling turn found it done too
        if fresh.last_done_token == card or not outcome:
            return []
        return [_without_buttons(outcome[0])]
    if called.uncertain or not (fresh.phase == "confirming" and fresh.unsure and fresh.token == card):
        return []  # an unknown outcome is no news after that re-read; nor is anything once the user moved on
    if called.drift is not None or not outcome:
        return [_nothing_sent(called)]
    return [outcome[0]]  # a sure refusal, with the card's own buttons (its token is still the card's)


def _lost(outcome: list[Reply], called: Called) -> Reply:
    """The outcome, told to a user whose conversation was lost meanwhile (no button can work)."""
    title = called.plan.title.rstrip("?")
    if called.ok:
        return _without_buttons(outcome[0]) if outcome else Reply(kind="result", text=f"Done: {title}.")
    if called.uncertain:
        text = (
            f"I couldn't finish that ({title}): {called.error or 'no answer'}. It may or may not have gone "
            "through, and our conversation was lost meanwhile: please check it in ServiceTitan before "
            "asking again."
        )
        return Reply(kind="error", text=text)
    return _nothing_sent(called)


def _nothing_sent(called: Called) -> Reply:
    title = called.plan.title.rstrip("?")
    if called.drift is not None:
        text = f"{called.drift} since the card was made, so I didn't send it ({title}). Nothing was changed."
    else:
        text = f"ServiceTitan didn't accept that ({title}): {called.error}. Nothing was changed."
    return Reply(kind="error", text=text, footnote=LATE_NOTE)


def _without_buttons(reply: Reply) -> Reply:
    footnote = f"{reply.footnote} · {LATE_NOTE}" if reply.footnote else LATE_NOTE
    if reply.buttons and reply.footnote and "Undo" in reply.footnote:
        footnote = LATE_NOTE  # "Undo is available for 10 minutes": not from this message
    return reply.model_copy(update={"buttons": [], "token": "", "footnote": footnote})
