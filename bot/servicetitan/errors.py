"""Exceptions raised by the ServiceTitan client, mapped from ServiceTitan's problem bodies.

ServiceTitan answers errors with an RFC 7807-style body (``ApiErrorResponse`` in the OpenAPI documents)::

    {"type": "...", "title": "...", "status": 409, "traceId": "...", "errors": {"Field": ["..."]}, "data": {}}

The client turns every failed call into one exception of this tree; callers catch at the level they care about::

    ServiceTitanError            any failure talking to ServiceTitan (.status, .title, .trace_id, .errors)
    ├── AuthError                401/403, or the token endpoint refused our client credentials
    ├── NotFound                 404: the job, appointment, technician ... does not exist
    ├── Conflict                 409: the state forbids the change; .title is ServiceTitan's own message,
    │                            e.g. "Appointment is in the state that doesn't allow deletion"
    ├── ValidationFailed         400 (and other 4xx): .errors maps field names to messages
    ├── RateLimited              429 that outlasted our retries; .retry_after is the wait in seconds
    └── Unavailable              5xx, timeouts, dropped connections: nothing is known to have changed
        └── OutcomeUnknown       a write that may or may not have been applied: it was sent, no answer said
                                 how it went, and reading the record back could not settle it

``error_from_response`` builds the right exception from an ``httpx.Response``; ``retry_after_seconds`` reads
the wait of a 429 from ``Retry-After`` (seconds or an HTTP date) or from the title ("... in N seconds.").
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

__all__ = [
    "AuthError",
    "Conflict",
    "NotFound",
    "OutcomeUnknown",
    "RateLimited",
    "ServiceTitanError",
    "Unavailable",
    "ValidationFailed",
    "error_from_response",
    "retry_after_seconds",
]


class ServiceTitanError(Exception):
    """A call to ServiceTitan failed. ``status`` is the HTTP status (0 when no response arrived)."""

    def __init__(
        self,
        title: str,
        *,
        status: int = 0,
        trace_id: str | None = None,
        errors: Mapping[str, list[str]] | None = None,
        type_: str | None = None,
    ) -> None:
        self.title = title
        self.status = status
        self.trace_id = trace_id
        self.errors: dict[str, list[str]] = {key: list(value) for key, value in (errors or {}).items()}
        self.type = type_
        super().__init__(self._describe())

    def _describe(self) -> str:
        text = f"{self.status} {self.title}" if self.status else self.title
        if self.errors:
            details = "; ".join(f"{field}: {' '.join(messages)}" for field, messages in self.errors.items())
            text = f"{text} ({details})"
        if self.trace_id:
            text = f"{text} [traceId {self.trace_id}]"
        return text


class AuthError(ServiceTitanError):
    """The credentials or the token were refused (401/403 or the token endpoint said no)."""


class NotFound(ServiceTitanError):
    """The record does not exist (404)."""


class Conflict(ServiceTitanError):
    """The record's state forbids the change (409); ``title`` is ServiceTitan's explanation."""


class ValidationFailed(ServiceTitanError):
    """ServiceTitan rejected the request's content (400); ``errors`` holds the messages per field."""


class RateLimited(ServiceTitanError):
    """Too many requests (429). ``retry_after`` is how long ServiceTitan asked us to wait, in seconds."""

    def __init__(self, title: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        self.retry_after = retry_after
        super().__init__(title, **kwargs)


class Unavailable(ServiceTitanError):
    """ServiceTitan could not be reached or failed (5xx, timeout, connection error)."""


class OutcomeUnknown(Unavailable):
    """A write was sent but whether ServiceTitan applied it is unknown: the call timed out, dropped or
    failed with a 5xx, and reading the record back failed too. Look at ServiceTitan before sending it again."""


_IN_N_SECONDS = re.compile(r"\bin\s+(\d+(?:\.\d+)?)\s+seconds?\b", re.IGNORECASE)


def retry_after_seconds(
    headers: Mapping[str, str], title: str | None, *, now: datetime | None = None
) -> float | None:
    """The wait a 429 asks for: ``Retry-After`` in seconds or as an HTTP date, else "in N seconds" in the title."""
    value = headers.get("retry-after")
    if value:
        value = value.strip()
        try:
            return max(0.0, float(value))
        except ValueError:
            pass
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            when = None
        if when is not None:
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
            return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
    if title:
        match = _IN_N_SECONDS.search(title)
        if match:
            return float(match.group(1))
    return None


def _problem(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _field_errors(raw: object) -> dict[str, list[str]]:
    if not isinstance(raw, dict):
        return {}
    result: dict[str, list[str]] = {}
    for key, value in raw.items():
        if isinstance(value, list):
            result[str(key)] = [str(item) for item in value]
        elif value is not None:
            result[str(key)] = [str(value)]
    return result


def error_from_response(response: httpx.Response, *, now: datetime | None = None) -> ServiceTitanError:
    """The exception for a non-2xx response, built from ServiceTitan's problem body when there is one."""
    status = response.status_code
    body = _problem(response)
    title = str(body.get("title") or response.reason_phrase or f"HTTP {status}")
    kwargs: dict[str, Any] = {
        "status": status,
        "trace_id": body.get("traceId"),
        "errors": _field_errors(body.get("errors")),
        "type_": body.get("type"),
    }
    if status in (401, 403):
        return AuthError(title, **kwargs)
    if status == 404:
        return NotFound(title, **kwargs)
    if status == 409:
        return Conflict(title, **kwargs)
    if status == 429:
        return RateLimited(title, retry_after=retry_after_seconds(response.headers, title, now=now), **kwargs)
    if status >= 500:
        return Unavailable(title, **kwargs)
    return ValidationFailed(title, **kwargs)
