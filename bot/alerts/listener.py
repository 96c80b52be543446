"""The alert cards' buttons in Slack: *Show job* and *Remove hold* / *Un-cancel*.

A press feeds the dialog the equivalent request ("show job 1011", "remove hold on job 1011") through the
usual conversation turn, so the write intents' own confirmation card follows and roles apply (a
technician or a guest is refused by the dialog as if they had typed it). The alert itself stays as it
is: the answer goes under it in a thread (in a channel) or below it (in a DM).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.alerts.cards import ALERT_ACTION_PATTERN, button_request
from bot.dialog.messages import Said
from bot.slack.conversation import action_target
from bot.slack.deps import SlackDeps


def register(app: AsyncApp, deps: SlackDeps) -> None:
    async def on_alert_button(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        request = button_request(str(action.get("action_id") or ""), action.get("value"))
        if request is None:
            deps.logger.warning("ignored an alert button with an unexpected value")
            return
        key, target = action_target(body)
        alert_ts = (body.get("message") or {}).get("ts") or (body.get("container") or {}).get("message_ts")
        thread = target.thread_ts or (None if target.is_dm else alert_ts)
        key = key.model_copy(update={"thread": thread or ""})
        target = dataclasses.replace(target, thread_ts=thread, card_ts=None, card_is_ephemeral=False)
        await deps.conversations.turn(key, target, Said(text=request))

    app.action(ALERT_ACTION_PATTERN)(on_alert_button)
