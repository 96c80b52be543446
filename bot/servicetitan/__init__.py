"""ServiceTitan API client: ``ServiceTitanClient``, its models (``models``) and exceptions (``errors``).

``embedded.embedded_client()`` wires a client to the in-process simulator for demos and tests.
"""

from __future__ import annotations

from bot.servicetitan.client import ServiceTitanClient
from bot.servicetitan.errors import (
    AuthError,
    Conflict,
    NotFound,
    OutcomeUnknown,
    RateLimited,
    ServiceTitanError,
    Unavailable,
    ValidationFailed,
)

__all__ = [
    "AuthError",
    "Conflict",
    "NotFound",
    "OutcomeUnknown",
    "RateLimited",
    "ServiceTitanClient",
    "ServiceTitanError",
    "Unavailable",
    "ValidationFailed",
]
