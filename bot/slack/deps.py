"""What the Slack listeners need, passed in explicitly (no module-level singletons)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from slack_sdk.web.async_client import AsyncWebClient

from bot.dialog.messages import Dialog
from bot.slack.conversation import Conversations, People
from bot.store import Store

COMMAND = "/st"
EVENT_DEDUPE_NAMESPACE = "slack-event"
EVENT_DEDUPE_TTL_SECONDS = 10 * 60  # Slack retries after ~0 s, 1 min and 5 min


@dataclass(frozen=True)
class SlackDeps:
    dialog: Dialog
    store: Store
    client: AsyncWebClient
    people: People
    conversations: Conversations
    logger: logging.Logger
