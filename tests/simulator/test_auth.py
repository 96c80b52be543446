"""Auth: client-credentials tokens, bearer tokens with or without the prefix, expiry, the ST-App-Key."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
import pytest

from bot.simulator import SIM_CREDENTIALS, Simulator
from tests.simulator.conftest import JPM, TOKEN_FORM, fetch_token, raw_client


async def test_token_endpoint_issues_900_second_bearer_tokens(simulator: Simulator) -> None:
    async with raw_client(simulator) as client:
        response = await client.post("/connect/token", data=TOKEN_FORM)
    assert response.status_code == 200
    body = response.json()
    assert body["expires_in"] == 900
    assert body["token_type"] == "Bearer"
    assert body["access_token"]
    assert simulator.tokens_issued == 1


@pytest.mark.parametrize(
    ("form", "status", "error"),
    [
        (
            {"grant_type": "client_credentials", "client_id": "nope", "client_secret": "x"},
            401,
            "invalid_client",
        ),
        ({"grant_type": "password", "client_id": "a", "client_secret": "b"}, 400, "unsupported_grant_type"),
    ],
)
async def test_token_endpoint_refuses_bad_credentials(
    simulator: Simulator, form: dict[str, str], status: int, error: str
) -> None:
    async with raw_client(simulator) as client:
        response = await client.post("/connect/token", data=form)
    assert response.status_code == status
    assert response.json()["error"] == error
    assert simulator.tokens_issued == 0


async def test_token_endpoint_wants_a_form_body(simulator: Simulator) -> None:
    async with raw_client(simulator) as client:
        response = await client.post("/connect/token", json={"grant_type": "client_credentials"})
    assert response.status_code == 400


@pytest.mark.parametrize("prefix", ["Bearer ", "bearer ", ""])
async def test_bearer_prefix_is_optional(simulator: Simulator, prefix: str) -> None:
    async with raw_client(simulator) as client:
        token = await fetch_token(client)
        response = await client.get(
            f"{JPM}/jobs/1001",
            headers={"Authorization": prefix + token, "ST-App-Key": SIM_CREDENTIALS.app_key},
        )
    assert response.status_code == 200
    assert response.json()["id"] == 1001


async def test_missing_and_unknown_tokens_are_401_problems(simulator: Simulator) -> None:
    async with raw_client(simulator, {"ST-App-Key": SIM_CREDENTIALS.app_key}) as client:
        missing = await client.get(f"{JPM}/jobs/1001")
        unknown = await client.get(f"{JPM}/jobs/1001", headers={"Authorization": "Bearer made-up"})
    for response in (missing, unknown):
        assert response.status_code == 401
        body = response.json()
        assert set(body) == {"type", "title", "status", "traceId", "errors", "data"}
        assert body["status"] == 401


async def test_expired_token_is_refused(fixed_now: datetime) -> None:
    current = [fixed_now]
    sim = Simulator(now=fixed_now, clock=lambda: current[0])
    async with raw_client(sim, {"ST-App-Key": SIM_CREDENTIALS.app_key}) as client:
        token = await fetch_token(client)
        auth = {"Authorization": f"Bearer {token}"}
        current[0] = fixed_now + timedelta(seconds=899)
        assert (await client.get(f"{JPM}/jobs/1001", headers=auth)).status_code == 200
        current[0] = fixed_now + timedelta(seconds=900)
        expired = await client.get(f"{JPM}/jobs/1001", headers=auth)
    assert expired.status_code == 401
    assert "expired" in expired.json()["title"]


@pytest.mark.allow_nonconforming_requests
async def test_missing_app_key_is_refused(simulator: Simulator) -> None:
    token = simulator.issue_token()
    async with raw_client(simulator, {"Authorization": f"Bearer {token}"}) as client:
        response = await client.get(f"{JPM}/jobs/1001")
        wrong = await client.get(f"{JPM}/jobs/1001", headers={"ST-App-Key": "someone-else"})
    assert response.status_code == 401
    assert "ST-App-Key" in response.json()["title"]
    assert wrong.status_code == 401


async def test_app_key_may_come_as_query_parameter(simulator: Simulator) -> None:
    token = simulator.issue_token()
    async with raw_client(simulator, {"Authorization": f"Bearer {token}"}) as client:
        response = await client.get(
            f"{JPM}/jobs/1001", params={"servicetitanapplicationkey": SIM_CREDENTIALS.app_key}
        )
    assert response.status_code == 200


async def test_other_tenant_is_forbidden(simulator: Simulator) -> None:
    token = simulator.issue_token()
    headers = {"Authorization": f"Bearer {token}", "ST-App-Key": SIM_CREDENTIALS.app_key}
    async with raw_client(simulator, headers) as client:
        response = await client.get("/jpm/v2/tenant/999/jobs/1001")
    assert response.status_code == 403


async def test_auth_failures_are_not_writes(simulator: Simulator) -> None:
    async with raw_client(simulator, {"ST-App-Key": SIM_CREDENTIALS.app_key}) as client:
        response = await client.put(f"{JPM}/jobs/1001/cancel", json={"reasonId": 81, "memo": "x"})
    assert response.status_code == 401
    assert simulator.write_count == 0
    assert simulator.state.jobs[1001]["jobStatus"] != "Canceled"
    assert simulator.request_log == [("PUT", f"{JPM}/jobs/1001/cancel", 401)]


async def test_st_fixture_is_authenticated(st: httpx.AsyncClient) -> None:
    assert (await st.get(f"{JPM}/jobs/1001")).status_code == 200
