"""How the bot's Slack calls retry: dropped connections, rate limits (429) and Slack's server errors (5xx),
without ever posting a message twice.

slack_sdk retries only a dropped connection by default (shared/slack/README.md section 5). One failed
chat.postMessage must not lose a reply, so every Web API and response_url client of the bot gets the
handlers of `retry_handlers`, and messages are posted through `post_message`.

What is safe to retry:
- A 429 (Slack did nothing; retried after Retry-After) and a connection that could not be opened (nothing
  was sent): any method.
- A 5xx, or a connection dropped or timed out after the request went out: Slack may have done the work.
  That is harmless for what can be done twice with the same result (chat.update, chat.delete,
  views.publish, reads, a response_url replacing its message), which the handlers retry. chat.postMessage
  has no idempotency key (Slack offers none), so a retry after Slack posted would post the reply again:
  the handlers leave it to `post_message`, which marks each message in its metadata (Slack's message
  metadata, `event_type`/`event_payload`, returned by conversations.history and conversations.replies
  with `include_all_metadata`) and, before posting again, reads the channel or thread back for that mark.
  When the history can't be read (a scope or membership missing), it posts again: a rare duplicate is
  better than a reply lost. An ephemeral message can't be read back, and one seen twice by its reader
  (gone on reload) is better than none, so chat.postEphemeral and response_url posts are retried too.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger("bot.slack")

RATE_LIMIT_RETRIES = 5  # each after Slack's Retry-After
CONNECTION_RETRIES = 2
SERVER_ERROR_RETRIES = 3  # after about 0.2, 0.4 and 0.8 s
BACKOFF = 0.2
# Methods that would do their work again when repeated: a 5xx or a connection lost after sending is not
# retried blindly (chat.postMessage is retried by `post_message`, which looks first).
NOT_REPEATABLE = frozenset({"chat.postMessage", "chat.scheduleMessage", "chat.meMessage"})
MARK_TYPE = "stbot_message"  # the metadata event_type of a message that had none of its own
MARK_KEY = "stbot_post"  # the key in event_payload holding the message's mark
HISTORY_LEEWAY = 60.0  # seconds before the first attempt searched, for clocks that disagree
HISTORY_PAGES = 3  # pages of 100 messages read back (only messages since the first attempt count)


def _method(url: str) -> str:
    """The Web API method of a request URL (…/api/chat.postMessage -> chat.postMessage)."""
    return urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]


class AsyncServerErrorsRetryHandler(AsyncServerErrorRetryHandler):
    """Retries a 5xx (slack_sdk's handler retries 500 and 503 only; Slack's gateways answer 502 and 504
    too), except for the methods in NOT_REPEATABLE."""

    def __init__(self, max_retry_count: int = SERVER_ERROR_RETRIES) -> None:
        super().__init__(max_retry_count, BackoffRetryIntervalCalculator(backoff_factor=BACKOFF))

    async def _can_retry_async(
        self, *, state: Any, request: Any, response: Any = None, error: Any = None
    ) -> bool:
        if _method(request.url) in NOT_REPEATABLE:
            return False
        return response is not None and 500 <= response.status_code < 600


class AsyncConnectionErrorsRetryHandler(AsyncConnectionErrorRetryHandler):
    """Retries a dropped connection; for the methods in NOT_REPEATABLE only one that could not be opened
    (nothing reached Slack)."""

    def __init__(self, max_retry_count: int = CONNECTION_RETRIES) -> None:
        super().__init__(max_retry_count=max_retry_count)

    async def _can_retry_async(
        self, *, state: Any, request: Any, response: Any = None, error: Any = None
    ) -> bool:
        if _method(request.url) in NOT_REPEATABLE:
            return isinstance(error, aiohttp.ClientConnectorError)
        return await super()._can_retry_async(state=state, request=request, response=response, error=error)


def retry_handlers() -> list[AsyncRetryHandler]:
    """Ours, in place of slack_sdk's default (one retry of a dropped connection): dropped connections,
    rate limits (429, after Retry-After) and Slack's server errors (5xx), each where it is safe."""
    return [
        AsyncConnectionErrorsRetryHandler(),
        AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
        AsyncServerErrorsRetryHandler(),
    ]


def with_ours(handlers: list[AsyncRetryHandler]) -> list[AsyncRetryHandler]:
    """A client's handlers with ours in place of slack_sdk's built-in kinds (its default connection
    handler would retry chat.postMessage after the request went out); handlers of other kinds are kept."""
    builtin = (
        AsyncConnectionErrorRetryHandler,
        AsyncRateLimitErrorRetryHandler,
        AsyncServerErrorRetryHandler,
    )
    return [*retry_handlers(), *(h for h in handlers if not isinstance(h, builtin))]


async def post_message(client: AsyncWebClient, **message: Any) -> dict[str, Any]:
    """chat.postMessage (the same arguments), retried after a 5xx or a connection lost after sending only
    when the channel (or thread) does not show the message: Slack's answer, or the message found there
    ({"ok", "channel", "ts", "message"}). Raises what the last attempt raised."""
    mark = uuid.uuid4().hex
    message["metadata"] = _marked(message.get("metadata"), mark)
    since = time.time()
    for attempt in range(SERVER_ERROR_RETRIES + 1):
        try:
            answer = await client.chat_postMessage(**message)
            return dict(answer.data) if isinstance(answer.data, dict) else {"ok": True}
        except (SlackApiError, aiohttp.ClientError, TimeoutError) as exc:
            if not _may_have_posted(exc) or attempt == SERVER_ERROR_RETRIES:
                raise
            why = exc.response.status_code if isinstance(exc, SlackApiError) else type(exc).__name__
        # (a moment first: a message Slack was still posting when it failed shows in the history after it)
        await asyncio.sleep(BACKOFF * 2**attempt)
        found = await _find(client, message, mark, since)
        if found is not None:
            log.info("chat.postMessage answered %s but the message was posted; not posting it again", why)
            return {"ok": True, "channel": message.get("channel"), "ts": found.get("ts"), "message": found}
        log.info("chat.postMessage answered %s and the message is not there; posting it again", why)
    raise AssertionError("unreachable")  # the last attempt returned or raised


def _marked(metadata: Any, mark: str) -> dict[str, Any]:
    """The message's metadata with its mark added (a message's own metadata is kept as it is)."""
    if isinstance(metadata, dict) and metadata.get("event_type"):
        payload = dict(metadata.get("event_payload") or {})
        return {**metadata, "event_payload": {**payload, MARK_KEY: mark}}
    return {"event_type": MARK_TYPE, "event_payload": {MARK_KEY: mark}}


def _may_have_posted(exc: BaseException) -> bool:
    """Whether Slack may have posted the message although the call failed: a 5xx, or a connection lost
    (or timed out) after the request went out. A refusal (4xx, 200 with ok: false) posted nothing."""
    if isinstance(exc, SlackApiError):
        return exc.response is not None and 500 <= exc.response.status_code < 600
    return not isinstance(exc, aiohttp.ClientConnectorError)


async def _find(
    client: AsyncWebClient, message: dict[str, Any], mark: str, since: float
) -> dict[str, Any] | None:
    """The message carrying `mark` in its channel or thread, posted since `since`; None when it is not
    there or the history can't be read."""
    channel, thread = str(message.get("channel") or ""), message.get("thread_ts")
    cursor: str | None = None
    for _ in range(HISTORY_PAGES):
        history: dict[str, Any] = {
            "channel": channel,
            "oldest": f"{since - HISTORY_LEEWAY:.6f}",
            "include_all_metadata": True,
            "limit": 100,
            "cursor": cursor,
        }
        try:
            if thread:
                answer = await client.conversations_replies(ts=str(thread), **history)
            else:
                answer = await client.conversations_history(**history)
        except (SlackApiError, aiohttp.ClientError, TimeoutError) as exc:
            log.warning("could not read %s back to look for a message (%s)", channel, type(exc).__name__)
            return None
        for found in answer.get("messages") or []:
            payload = (found.get("metadata") or {}).get("event_payload") or {}
            if payload.get(MARK_KEY) == mark:
                return dict(found)
        cursor = (answer.get("response_metadata") or {}).get("next_cursor") or None
        if not answer.get("has_more") or not cursor:
            return None
    return None
