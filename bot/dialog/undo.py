"""Undo: a typed "undo" acts on the conversation's last change; an earlier change's Undo button on its own
change, within its minutes (the undo plan's guard refuses it if a later change touched the same record)."""

from __future__ import annotations

from datetime import datetime

from bot.dialog import replies
from bot.dialog.catalog import UNDO_MINUTES
from bot.dialog.settle import new_token
from bot.dialog.state import ACTIVE_PHASES, Conversation, Effect, Pending, Say, ShowConfirmation

# How many earlier changes keep a pressable Undo (each within its UNDO_MINUTES)
EARLIER_UNDOS = 5


def keep_earlier(s: Conversation, now: datetime) -> None:
    """Before a new change's offer: the last change's offer joins the earlier ones still within their time."""
    live = [o for o in [*s.earlier_undos, *([s.undo] if s.undo else [])] if o.until >= now]
    s.earlier_undos, s.undo, s.no_undo = live[-EARLIER_UNDOS:], None, None


def undo(s: Conversation, token: str | None, now: datetime) -> list[Effect]:
    offer = s.undo
    if token is None:  # typed "undo": the last change's offer, if there is one
        if offer is None and s.no_undo:
            return [Say(replies.text(s.no_undo))]
        if offer is None:
            return [
                Say(
                    replies.text(
                        "There's no recent change of yours to undo. Undo is offered on the message of a "
                        f"change for {UNDO_MINUTES} minutes after it is made."
                    )
                )
            ]
        token = offer.token
    if offer is None or token != offer.token:
        # the Undo button of an earlier change's message acts on that change, whatever came since
        offer = next((o for o in s.earlier_undos if o.token == token), None)
        if offer is None:
            return [Say(replies.text("There's nothing to undo from that message."))]
        s.earlier_undos = [o for o in s.earlier_undos if o.token != token]
    else:
        s.undo = None
    if now > offer.until:
        return [Say(replies.text(f"Undo was only available for {UNDO_MINUTES} minutes; it has expired."))]
    dropped = s.pending if s.pending is not None and s.phase in ACTIVE_PHASES else None
    s.pending, s.then = Pending(intent="undo", plan=offer.plan, started_at=now), None
    s.phase = "confirming"
    s.token = new_token(s, now, "undo")
    effects: list[Effect] = [ShowConfirmation(replies.confirmation(s, offer.plan))]
    if dropped is not None and dropped.intent != "undo":  # undo replaces it: say so, never silently
        what = replies.undone(dropped)
        effects.insert(
            0, Say(replies.text(f"I dropped your request to {what}; ask again after this if needed."))
        )
    return effects
