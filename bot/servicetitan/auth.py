"""OAuth2 client-credentials auth for ServiceTitan as an ``httpx.Auth`` flow.

ServiceTitan issues a bearer token from ``{auth_base}/connect/token`` (form-encoded ``grant_type=
client_credentials``); there is no refresh token and new tokens are throttled, so the token is cached until
60 s before ``expires_in`` runs out, concurrent callers share one token request (single flight), and a 401 on
a call drops the token, fetches a new one and retries that call once. Every call also carries ``ST-App-Key``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass

import httpx

from bot.servicetitan.errors import AuthError, ServiceTitanError, Unavailable, error_from_response

REFRESH_MARGIN_SECONDS = 60.0


@dataclass(frozen=True)
class AccessToken:
    """A bearer token and the monotonic time after which we stop using it."""

    value: str
    use_until: float


class ClientCredentialsAuth(httpx.Auth):
    """Adds ``Authorization: Bearer`` and ``ST-App-Key`` to each request, fetching tokens as needed.

    ``token_client`` is the ``httpx.AsyncClient`` used for the token endpoint (the service client passes one
    built on the same transport); ``clock`` is a monotonic clock in seconds, injectable for tests.
    """

    requires_response_body = False

    def __init__(
        self,
        *,
        token_url: str,
        client_id: str,
        client_secret: str,
        app_key: str,
        token_client: httpx.AsyncClient,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.token_url = token_url
        self._client_id = client_id
        self._client_secret = client_secret
        self._app_key = app_key
        self._token_client = token_client
        self._clock = clock
        self._token: AccessToken | None = None
        self._lock = asyncio.Lock()
        self.tokens_fetched = 0

    def sync_auth_flow(self, request: httpx.Request):  # type: ignore[no-untyped-def]
        raise RuntimeError("ClientCredentialsAuth is async only; use httpx.AsyncClient")

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        token = await self.token()
        self._sign(request, token)
        response = yield request
        if response.status_code == 401:
            # The token may have been revoked or expired early: get a new one and try exactly once more.
            await response.aread()
            token = await self.token(stale=token)
            self._sign(request, token)
            yield request

    def _sign(self, request: httpx.Request, token: AccessToken) -> None:
        request.headers["Authorization"] = f"Bearer {token.value}"
        request.headers["ST-App-Key"] = self._app_key

    async def token(self, *, stale: AccessToken | None = None) -> AccessToken:
        """A valid token; ``stale`` is one the server refused, which must not be handed out again."""
        current = self._usable(stale)
        if current is not None:
            return current
        async with self._lock:
            # Whoever held the lock before us may already have fetched a fresh token.
            current = self._usable(stale)
            if current is not None:
                return current
            self._token = None
            self._token = await self._fetch()
            return self._token

    def _usable(self, stale: AccessToken | None) -> AccessToken | None:
        """The cached token if it is neither the refused one nor past its use-by time."""
        current = self._token
        if current is not None and current is not stale and self._clock() < current.use_until:
            return current
        return None

    def invalidate(self) -> None:
        self._token = None

    async def _fetch(self) -> AccessToken:
        form = {
            "grant_type": "client_credentials",
            "client_id": self._client_id,
            "client_secret": self._client_secret,
        }
        try:
            response = await self._token_client.post(self.token_url, data=form)
        except httpx.TransportError as exc:
            raise Unavailable(f"could not reach the ServiceTitan token endpoint: {exc!r}") from exc
        self.tokens_fetched += 1
        if response.status_code != 200:
            error = error_from_response(response)
            if response.status_code in (400, 401, 403):
                raise AuthError(
                    f"ServiceTitan refused the client credentials: {error.title}",
                    status=response.status_code,
                    trace_id=error.trace_id,
                    errors=error.errors,
                )
            raise error
        try:
            body = response.json()
            value = str(body["access_token"])
            expires_in = float(body.get("expires_in", 900))
        except (ValueError, KeyError, TypeError) as exc:
            raise ServiceTitanError(f"malformed token response from ServiceTitan: {exc!r}") from exc
        return AccessToken(
            value=value, use_until=self._clock() + max(0.0, expires_in - REFRESH_MARGIN_SECONDS)
        )
