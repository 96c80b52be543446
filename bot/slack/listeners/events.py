"""Events other than DMs: mentions in channels (answered in a thread) and the App Home tab."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext

from bot.dialog.messages import Said
from bot.slack.blocks import render_home
from bot.slack.conversation import clean_text, mention_target, team_of
from bot.slack.deps import SlackDeps, delivery_guard, repeated_delivery


def register(app: AsyncApp, deps: SlackDeps) -> None:
    async def on_mention(body: dict[str, Any], event: dict[str, Any], context: AsyncBoltContext) -> None:
        if (
            event.get("bot_id")
            or not event.get("user")
            or await repeated_delivery(context, body, deps.logger)
        ):
            return
        text = clean_text(str(event.get("text") or ""), context.bot_user_id) or "help"
        key, target = mention_target(body, event)
        await deps.conversations.turn(key, target, Said(text=text), guard=delivery_guard(context))

    async def on_home_opened(body: dict[str, Any], event: dict[str, Any], context: AsyncBoltContext) -> None:
        if event.get("tab", "home") != "home" or await repeated_delivery(
            context, body, deps.logger, now=True
        ):
            return
        user = str(event["user"])
        asker = await deps.people.asker(team_of(body), user)
        reply = await deps.dialog.home(asker)
        await deps.client.views_publish(user_id=user, view=render_home(reply))

    app.event("app_mention")(on_mention)
    app.event("app_home_opened")(on_home_opened)
