"""The Slack calls alerts and day plans make: post, open a DM, a user's time zone, a user by e-mail, and
read a channel's history back to find a post whose sender died before recording it (`has_batch`).

Users' time zones and e-mail look-ups are cached in the store (6 hours). DMs go to the channel
`conversations.open` returns (CONTRACT section 6).
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.retries import post_message
from bot.store import Store, cached

log = logging.getLogger("bot.alerts")

USER_NAMESPACE = "alert-slack-user"
EMAIL_NAMESPACE = "alert-slack-email"
DM_NAMESPACE = "alert-slack-dm"
TTL_SECONDS = 6 * 3600
METADATA_TYPE = "stbot_alert"  # the event_type of our alert messages' metadata (carries the batch id)
HISTORY_PAGES = 10  # pages of 200 messages read back to find an earlier post (has_batch)
HISTORY_UNREADABLE = frozenset({"missing_scope", "not_allowed_token_type", "access_denied"})
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

    async def post(
        self, channel: str, text: str, blocks: list[dict[str, Any]], *, batch: str | None = None
    ) -> bool:
        """Post a message; False (logged) when Slack refuses it for good, raises when it may work later.

        `batch` goes into the message's metadata, so `has_batch` can find the post again."""
        metadata = {"event_type": METADATA_TYPE, "event_payload": {"batch": batch}} if batch else None
        try:
            await post_message(
                self.client, channel=channel, text=text, blocks=blocks, unfurl_links=False, metadata=metadata
            )
        except SlackApiError as exc:
            error = str(exc.response.get("error", ""))
            if error in PERMANENT_ERRORS:
                log.warning("alerts: Slack refused a message to %s: %s", channel, error)
                return False
            raise
        return True

    async def has_batch(self, channel: str, batch: str, *, since: float) -> bool | None:
        """Whether the channel has a message of ours posted with this `batch` since `since` (epoch seconds).

        None when the history cannot be read (a scope or membership missing): the caller cannot tell."""
        cursor = None
        for _ in range(HISTORY_PAGES):
            try:
                answer = await self.client.conversations_history(
                    channel=channel,
                    oldest=f"{since - 60:.6f}",  # a minute of leeway for clocks that disagree
                    include_all_metadata=True,
                    limit=200,
                    cursor=cursor,
                )
            except SlackApiError as exc:
                error = str(exc.response.get("error", ""))
                if error in PERMANENT_ERRORS or error in HISTORY_UNREADABLE:
                    log.warning("alerts: cannot read the history of %s to check a post: %s", channel, error)
                    return None
                raise
            for message in answer.get("messages") or []:
                metadata = message.get("metadata") or {}
                payload = metadata.get("event_payload") or {}
                if metadata.get("event_type") == METADATA_TYPE and payload.get("batch") == batch:
                    return True
            cursor = (answer.get("response_metadata") or {}).get("next_cursor")
            if not answer.get("has_more") or not cursor:
                return False
        return False

    async def dm_channel(self, user: str) -> str | None:
        """The DM channel with `user`; None (logged) when Slack refuses it for good (a deactivated user, a
        bot): that recipient is dropped. Raises when it may work later. A refusal is not cached, so a
        user reactivated gets messages again."""

        async def load() -> dict[str, Any]:
            answer = await self.client.conversations_open(users=user)
            return {"channel": str((answer.get("channel") or {}).get("id") or "")}

        try:
            data = await cached(self.store, namespace=DM_NAMESPACE, key=user, ttl=TTL_SECONDS, load=load)
        except SlackApiError as exc:
            error = str(exc.response.get("error", ""))
            if error in PERMANENT_ERRORS:
                log.warning("alerts: Slack refused a DM with %s: %s", user, error)
                return None
            raise
        return str(data["channel"]) or None

    async def dm(
        self, user: str, text: str, blocks: list[dict[str, Any]], *, batch: str | None = None
    ) -> bool:
        channel = await self.dm_channel(user)
        return False if channel is None else await self.post(channel, text, blocks, batch=batch)

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
