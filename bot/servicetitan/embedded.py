"""A ServiceTitan client wired to an in-process simulator (no network): for the demo, tests and benchmarks."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

import httpx

from bot.servicetitan.client import ServiceTitanClient

if TYPE_CHECKING:
    from bot.simulator import Simulator

SIM_API_BASE = "http://simulator.local"
EMBEDDED_PER_SECOND = 30  # half the simulator's limit (see `embedded_client`)


def simulator_client(
    base_url: str = SIM_API_BASE,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    **client_kwargs: Any,
) -> ServiceTitanClient:
    """A ``ServiceTitanClient`` holding the simulator's credentials (``SIM_CREDENTIALS``) for a simulator at
    ``base_url`` (API and token endpoint alike); ``client_kwargs`` go to the client."""
    from bot.simulator import SIM_CREDENTIALS

    return ServiceTitanClient(
        api_base=base_url,
        auth_base=base_url,
        client_id=SIM_CREDENTIALS.client_id,
        client_secret=SIM_CREDENTIALS.client_secret,
        app_key=SIM_CREDENTIALS.app_key,
        tenant_id=SIM_CREDENTIALS.tenant_id,
        transport=transport,
        **client_kwargs,
    )


def embedded_client(
    seed: dict[str, Any] | None = None,
    *,
    now: datetime | None = None,
    clock: Callable[[], datetime] | None = None,
    client_kwargs: dict[str, Any] | None = None,
    rate_limited: bool = False,
    **sim_kwargs: Any,
) -> tuple[ServiceTitanClient, Simulator]:
    """A ``ServiceTitanClient`` talking to a fresh ``Simulator`` through ``httpx.ASGITransport``.

    ``seed``/``now``/``clock``/``sim_kwargs`` go to the simulator (None seed = built-in demo data);
    ``client_kwargs`` go to the client (e.g. ``sleep`` or ``max_retries`` for tests). ``rate_limited``
    keeps the client under the simulator's 60 requests/s as the bot does with ServiceTitan (in this process
    only): the demo and a bot served on the simulator send no request that would be answered 429. In process
    the simulator answers one request at a time, so requests sent in one second can reach it during the
    next; at half its limit, two seconds' worth arriving in one still fit.
    """
    from bot.simulator import Simulator

    simulator = Simulator(seed, now=now, clock=clock, **sim_kwargs)
    transport: httpx.AsyncBaseTransport = httpx.ASGITransport(app=simulator.app)
    if rate_limited:
        from bot.servicetitan.ratelimit import RateLimitedTransport, TenantRateLimiter

        transport = RateLimitedTransport(transport, TenantRateLimiter(None, per_second=EMBEDDED_PER_SECOND))
    client = simulator_client(transport=transport, **(client_kwargs or {}))
    return client, simulator
