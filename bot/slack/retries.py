"""How the bot's Slack clients retry: dropped connections, rate limits (429) and Slack's server errors (5xx).

slack_sdk retries only a dropped connection by default (shared/slack/README.md section 5). One failed
chat.postMessage must not lose a reply, so every Web API and response_url client of the bot gets these.
"""

from __future__ import annotations

from typing import Any

from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator

RATE_LIMIT_RETRIES = 5  # each after Slack's Retry-After
CONNECTION_RETRIES = 2
SERVER_ERROR_RETRIES = 3  # after about 0.2, 0.4 and 0.8 s


class AsyncServerErrorsRetryHandler(AsyncServerErrorRetryHandler):
    """slack_sdk's handler retries 500 and 503 only; Slack's gateways answer 502 and 504 too."""

    def __init__(self, max_retry_count: int = SERVER_ERROR_RETRIES) -> None:
        super().__init__(max_retry_count, BackoffRetryIntervalCalculator(backoff_factor=0.2))

    async def _can_retry_async(
        self, *, state: Any, request: Any, response: Any = None, error: Any = None
    ) -> bool:
        return response is not None and 500 <= response.status_code < 600


def retry_handlers() -> list[AsyncRetryHandler]:
    """Ours, in place of slack_sdk's default (one retry of a dropped connection): dropped connections,
    rate limits (429, after Retry-After) and Slack's server errors (5xx)."""
    return [
        AsyncConnectionErrorRetryHandler(max_retry_count=CONNECTION_RETRIES),
        AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
        AsyncServerErrorsRetryHandler(),
    ]
