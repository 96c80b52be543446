"""Fixtures for the simulator's own tests: raw httpx clients over the ASGI app, with or without a token."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from bot.simulator import SIM_CREDENTIALS, Simulator

TENANT = SIM_CREDENTIALS.tenant_id
JPM = f"/jpm/v2/tenant/{TENANT}"
DISPATCH = f"/dispatch/v2/tenant/{TENANT}"
SETTINGS = f"/settings/v2/tenant/{TENANT}"
CRM = f"/crm/v2/tenant/{TENANT}"
MARKETING = f"/marketing/v2/tenant/{TENANT}"


def raw_client(sim: Simulator, headers: dict[str, str] | None = None) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sim.app), base_url="http://simulator.test", headers=headers or {}
    )


# The client-credentials form the simulator's token endpoint accepts.
TOKEN_FORM = {
    "grant_type": "client_credentials",
    "client_id": SIM_CREDENTIALS.client_id,
    "client_secret": SIM_CREDENTIALS.client_secret,
}


async def fetch_token(client: httpx.AsyncClient) -> str:
    response = await client.post("/connect/token", data=TOKEN_FORM)
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


async def drain(
    st: httpx.AsyncClient, path: str, token: str | None = None, **extra: str
) -> tuple[list[dict[str, Any]], str]:
    """Read an export feed from `token` while `hasMore`: (every item, the last continueFrom)."""
    items: list[dict[str, Any]] = []
    calls = 0
    while True:
        params = {"from": token, **extra} if token else dict(extra)
        body = (await st.get(path, params=params)).json()
        items += body["data"]
        token = body["continueFrom"]
        calls += 1
        assert calls < 50, "export never ends"
        if not body["hasMore"]:
            assert token
            return items, token


@pytest.fixture
async def st(simulator: Simulator) -> AsyncIterator[httpx.AsyncClient]:
    """An authenticated client (token from /connect/token, ST-App-Key header) on the demo simulator."""
    async with raw_client(simulator) as client:
        token = await fetch_token(client)
        client.headers.update({"Authorization": f"Bearer {token}", "ST-App-Key": SIM_CREDENTIALS.app_key})
        yield client
