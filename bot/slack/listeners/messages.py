"""Direct messages to the bot (`message.im`): each one is a turn of the DM's conversation."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext

from bot.dialog.messages import Said
from bot.slack.conversation import clean_text, message_target
from bot.slack.deps import SlackDeps, delivery_guard, repeated_delivery

# Message subtypes that are something a person said; edits, deletions, joins, bot posts and the rest
# are not new turns (bolt-python #778).
SPOKEN_SUBTYPES = frozenset({None, "file_share", "thread_broadcast"})


def is_spoken_dm(event: dict[str, Any]) -> bool:
    return (
        event.get("channel_type") == "im"
        and event.get("subtype") in SPOKEN_SUBTYPES
        and not event.get("bot_id")
        and bool(event.get("user"))
    )


def register(app: AsyncApp, deps: SlackDeps) -> None:
    async def on_message(body: dict[str, Any], event: dict[str, Any], context: AsyncBoltContext) -> None:
        # Events are acknowledged by Bolt before this runs; nothing here delays the HTTP answer.
        if not is_spoken_dm(event) or await repeated_delivery(context, body, deps.logger):
            return
        text = clean_text(str(event.get("text") or ""), context.bot_user_id)
        if not text:
            return
        key, target = message_target(body, event)
        await deps.conversations.turn(key, target, Said(text=text), guard=delivery_guard(context))

    # One listener for every message event, so subtypes are acknowledged (200) and ignored rather than
    # left unhandled (404), which Slack would retry.
    app.event("message")(on_message)
