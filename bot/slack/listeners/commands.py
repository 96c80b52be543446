"""The slash command `/st TEXT` (`/st` alone or `/st help` shows what the bot can do)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.dialog.messages import Said
from bot.slack.conversation import clean_text, command_target
from bot.slack.deps import COMMAND, SlackDeps


def register(app: AsyncApp, deps: SlackDeps) -> None:
    async def on_command(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()  # at once: the answer comes as a message after the dialog and ServiceTitan are done
        text = clean_text(str(body.get("text") or "")) or "help"
        key, target = command_target(body)
        await deps.conversations.turn(key, target, Said(text=text))

    app.command(COMMAND)(on_command)
