"""Bolt listeners, one module per kind; each has `register(app, deps)` (the starter template's layout)."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.alerts import listener as alert_buttons
from bot.slack.deps import SlackDeps
from bot.slack.listeners import actions, commands, events, messages

# Bot events the listeners subscribe to; manifest.yml must list exactly these (tests/slack check it).
BOT_EVENTS = ("app_home_opened", "app_mention", "message.im")
# Bot scopes the app needs, and why; manifest.yml must grant exactly these.
BOT_SCOPES = {
    "app_mentions:read": "app_mention events",
    "chat:write": "chat.postMessage, chat.update, chat.postEphemeral, chat.delete",
    "commands": "the /st command",
    "im:history": "message.im events (direct messages to the bot)",
    "users:read": "users.info: time zone and name",
    "users:read.email": "users.info profile.email: linking to ServiceTitan staff",
    "usergroups:read": "usergroups.users.list: roles given as user groups",
    "im:write": "conversations.open: DMs of alerts and technicians' day plans (bot/alerts)",
    "channels:history": "conversations.history: an alert posted just before a crash is found (bot/alerts)",
    "groups:history": "conversations.history in a private ALERT_CHANNEL (bot/alerts)",
}


def register_all(app: AsyncApp, deps: SlackDeps) -> None:
    # Bolt tries the listeners in this order, each matcher call building all of its injected arguments; the
    # kinds never match each other's requests, so the busiest come first: DMs, then buttons (a click went
    # through four matchers before its own)
    messages.register(app, deps)
    actions.register(app, deps)
    alert_buttons.register(app, deps)
    events.register(app, deps)
    commands.register(app, deps)
