"""Bolt listeners, one module per kind; each has `register(app, deps)` (the starter template's layout)."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.slack.deps import SlackDeps
from bot.slack.listeners import actions, commands, events, messages

# Bot events the listeners subscribe to; manifest.yml must list exactly these (tests/slack check it).
BOT_EVENTS = ("app_home_opened", "app_mention", "message.im")


def register_all(app: AsyncApp, deps: SlackDeps) -> None:
    messages.register(app, deps)
    events.register(app, deps)
    commands.register(app, deps)
    actions.register(app, deps)
