"""What the Slack listeners need, passed in explicitly (no module-level singletons)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.dialog.messages import Dialog
from bot.slack.conversation import Conversations, People
from bot.store import Guard, Store

COMMAND = "/st"
EVENT_DEDUPE_NAMESPACE = "slack-event"
EVENT_DEDUPE_TTL_SECONDS = 10 * 60  # Slack retries after ~0 s, 1 min and 5 min
# In the Bolt context of an event: whether this is the event's first delivery (an asyncio future that
# bot.slack.app's middleware starts, the ack doesn't wait for it): None for a repeated delivery, else the
# delivery's guard (DeliveryDedupe.delivery), settled with the turn's first write or on its own.
FIRST_DELIVERY = "first_delivery"


@dataclass(frozen=True)
class SlackDeps:
    dialog: Dialog
    store: Store
    client: AsyncWebClient
    people: People
    conversations: Conversations
    logger: logging.Logger


async def repeated_delivery(
    context: Any, body: dict[str, Any], logger: logging.Logger, *, now: bool = False
) -> bool:
    """Whether this event was delivered before (Slack re-delivers an event it thinks failed): asked by the
    event listeners after the ack, so the ack never waits on Redis for the answer. What this process saw
    and a retried delivery are answered here; a first delivery is settled by its turn (`delivery_guard`),
    or here with `now` (a listener that shows something without a turn)."""
    first: asyncio.Future[Guard | None] | None = context.get(FIRST_DELIVERY) if context is not None else None
    if first is None:
        return False
    guard = await first
    if guard is not None and (not now or await guard.settle()):
        return False
    logger.info("skipped a repeated delivery of event %s", body.get("event_id"))
    return True


def delivery_guard(context: Any) -> Guard | None:
    """The guard of this event's delivery (after `repeated_delivery` said it is no repeat), for its turn:
    the turn's first write carries it (`Conversations.turn`)."""
    first: asyncio.Future[Guard | None] | None = context.get(FIRST_DELIVERY) if context is not None else None
    return first.result() if first is not None and first.done() else None
