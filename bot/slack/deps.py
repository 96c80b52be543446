"""What the Slack listeners need, passed in explicitly (no module-level singletons)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.dialog.messages import Dialog
from bot.slack.conversation import Conversations, People
from bot.store import Store

COMMAND = "/st"
EVENT_DEDUPE_NAMESPACE = "slack-event"
EVENT_DEDUPE_TTL_SECONDS = 10 * 60  # Slack retries after ~0 s, 1 min and 5 min
# In the Bolt context of an event: whether this is the event's first delivery (an asyncio future that
# bot.slack.app's middleware starts; the ack doesn't wait for it).
FIRST_DELIVERY = "first_delivery"


@dataclass(frozen=True)
class SlackDeps:
    dialog: Dialog
    store: Store
    client: AsyncWebClient
    people: People
    conversations: Conversations
    logger: logging.Logger


async def repeated_delivery(context: Any, body: dict[str, Any], logger: logging.Logger) -> bool:
    """Whether this event was delivered before (Slack re-delivers an event it thinks failed): asked by the
    event listeners after the ack, so the ack never waits on Redis for the answer."""
    first: asyncio.Future[bool] | None = context.get(FIRST_DELIVERY) if context is not None else None
    if first is None or await first:
        return False
    logger.info("skipped a repeated delivery of event %s", body.get("event_id"))
    return True
