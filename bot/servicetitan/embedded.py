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
    **sim_kwargs: Any,
) -> tuple[ServiceTitanClient, Simulator]:
    """A ``ServiceTitanClient`` talking to a fresh ``Simulator`` through ``httpx.ASGITransport``.

    ``seed``/``now``/``clock``/``sim_kwargs`` go to the simulator (None seed = built-in demo data);
    ``client_kwargs`` go to the client (e.g. ``sleep`` or ``max_retries`` for tests).
    """
    from bot.simulator import Simulator

    simulator = Simulator(seed, now=now, clock=clock, **sim_kwargs)
    client = simulator_client(transport=httpx.ASGITransport(app=simulator.app), **(client_kwargs or {}))
    return client, simulator
