"""Clicks on cards: buttons, choice menus and the date/time pickers, each turned into a dialog event."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.slack.blocks import ACTION_ID_PATTERN, PICKER_ACTION_IDS, event_from_action
from bot.slack.conversation import action_target
from bot.slack.deps import SlackDeps

PICKER_PATTERN = re.compile("^(?:" + "|".join(PICKER_ACTION_IDS) + ")$")


def register(app: AsyncApp, deps: SlackDeps) -> None:
    async def on_action(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()  # at once; the card is replaced (chat.update) when the dialog has answered
        event = event_from_action(action, ((body.get("state") or {}).get("values")) or {})
        if event is None:
            deps.logger.warning("ignored an action the bot did not draw: %s", action.get("action_id"))
            return
        key, target = action_target(body)
        await deps.conversations.turn(key, target, event)

    app.action(ACTION_ID_PATTERN)(on_action)
    app.action(PICKER_PATTERN)(on_action)
