"""The Slack calls alerts and day plans make: post, open a DM, a user's time zone, a user by e-mail.

Users' time zones and e-mail look-ups are cached in the store (6 hours). DMs go to the channel
`conversations.open` returns (CONTRACT section 6).
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.store import Store, cached

log = logging.getLogger("bot.alerts")

USER_NAMESPACE = "alert-slack-user"
EMAIL_NAMESPACE = "alert-slack-email"
DM_NAMESPACE = "alert-slack-dm"
TTL_SECONDS = 6 * 3600
# Slack answers that no retry will change: the message is dropped (logged), not retried forever.
PERMANENT_ERRORS = frozenset(
    {"channel_not_found", "not_in_channel", "is_archived", "user_not_found", "users_not_found",
     "cannot_dm_bot", "user_disabled", "invalid_blocks", "msg_too_long", "no_text"}
)  # fmt: skip


class SlackOut:
    def __init__(self, client: AsyncWebClient, store: Store, *, default_tz: str) -> None:
        self.client = client
        self.store = store
        self.default_tz = default_tz

    async def post(self, channel: str, text: str, blocks: list[dict[str, Any]]) -> bool:
        """Post a message; False (logged) when Slack refuses it for good, raises when it may work later."""
        try:
            await self.client.chat_postMessage(channel=channel, text=text, blocks=blocks, unfurl_links=False)
        except SlackApiError as exc:
            error = str(exc.response.get("error", ""))
            if error in PERMANENT_ERRORS:
                log.warning("alerts: Slack refused a message to %s: %s", channel, error)
                return False
            raise
        return True

    async def dm_channel(self, user: str) -> str:
        async def load() -> dict[str, Any]:
            answer = await self.client.conversations_open(users=user)
            return {"channel": str((answer.get("channel") or {}).get("id") or "")}

        data = await cached(self.store, namespace=DM_NAMESPACE, key=user, ttl=TTL_SECONDS, load=load)
        return str(data["channel"])

    async def dm(self, user: str, text: str, blocks: list[dict[str, Any]]) -> bool:
        return await self.post(await self.dm_channel(user), text, blocks)

    async def tz_of(self, user: str) -> str:
        async def load() -> dict[str, Any]:
            try:
                answer = await self.client.users_info(user=user)
            except SlackApiError as exc:
                log.warning("alerts: users.info for %s failed: %s", user, exc.response.get("error"))
                return {"tz": None}
            return {"tz": (answer.get("user") or {}).get("tz")}

        data = await cached(self.store, namespace=USER_NAMESPACE, key=user, ttl=TTL_SECONDS, load=load)
        return str(data.get("tz") or self.default_tz)

    async def user_by_email(self, email: str) -> dict[str, Any] | None:
        """{"id", "tz", "name"} of the Slack user with this e-mail, or None."""

        async def load() -> dict[str, Any]:
            try:
                answer = await self.client.users_lookupByEmail(email=email)
            except SlackApiError as exc:
                if str(exc.response.get("error", "")) == "users_not_found":
                    return {"user": None}
                raise
            user = answer.get("user") or {}
            if not user.get("id"):
                return {"user": None}
            return {"user": {"id": user["id"], "tz": user.get("tz"), "name": user.get("real_name") or ""}}

        key = email.strip().lower()
        data = await cached(self.store, namespace=EMAIL_NAMESPACE, key=key, ttl=TTL_SECONDS, load=load)
        user = data.get("user")
        return dict(user) if user else None
