"""Rate limit (60/s per app per tenant, 429 + Retry-After) and fault injection, on injected clocks."""

from __future__ import annotations

import asyncio
from datetime import datetime

import httpx
import pytest

from bot.simulator import SIM_CREDENTIALS, FaultConfig, FaultConfigError, Simulator
from tests.simulator.conftest import JPM, raw_client


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def authed(sim: Simulator) -> httpx.AsyncClient:
    return raw_client(
        sim, {"Authorization": f"Bearer {sim.issue_token()}", "ST-App-Key": SIM_CREDENTIALS.app_key}
    )


async def test_61st_request_in_a_second_is_429(fixed_now: datetime) -> None:
    clock = FakeMonotonic()
    sim = Simulator(now=fixed_now, rate_clock=clock)
    async with authed(sim) as client:
        for _ in range(60):
            assert (await client.get(f"{JPM}/job-types")).status_code == 200
        clock.now += 0.4
        limited = await client.get(f"{JPM}/job-types")
        assert limited.status_code == 429
        assert limited.headers["Retry-After"] == "1"
        body = limited.json()
        assert body["status"] == 429 and body["title"].endswith("Try again in 1 seconds.")
        assert set(body) == {"type", "title", "status", "traceId", "errors", "data"}
        clock.now += 0.6
        assert (await client.get(f"{JPM}/job-types")).status_code == 200


async def test_limit_is_configurable_and_can_be_off(fixed_now: datetime) -> None:
    clock = FakeMonotonic()
    small = Simulator(now=fixed_now, rate_limit_per_second=3, rate_clock=clock)
    async with authed(small) as client:
        statuses = [(await client.get(f"{JPM}/job-types")).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    unlimited = Simulator(now=fixed_now, rate_limit_per_second=None, rate_clock=clock)
    async with authed(unlimited) as client:
        statuses = [(await client.get(f"{JPM}/job-types")).status_code for _ in range(80)]
    assert set(statuses) == {200}


async def test_rate_limited_writes_do_nothing(fixed_now: datetime) -> None:
    sim = Simulator(now=fixed_now, rate_limit_per_second=1, rate_clock=FakeMonotonic())
    async with authed(sim) as client:
        await client.get(f"{JPM}/job-types")
        response = await client.put(f"{JPM}/jobs/1002/cancel", json={"reasonId": 81, "memo": "x"})
    assert response.status_code == 429
    assert sim.state.jobs[1002]["jobStatus"] != "Canceled" and sim.write_count == 0


async def test_fault_shares_are_reproducible_for_a_seed(fixed_now: datetime) -> None:
    async def run() -> list[int]:
        sim = Simulator(
            now=fixed_now, rate_limit_per_second=None, faults=FaultConfig(rate_429=0.2, rate_5xx=0.2, seed=7)
        )
        async with authed(sim) as client:
            return [(await client.get(f"{JPM}/jobs/1001")).status_code for _ in range(60)]

    first, second = await run(), await run()
    assert first == second
    assert {200, 429, 503} == set(first)
    assert 5 <= first.count(429) <= 20 and 5 <= first.count(503) <= 20


async def test_injected_5xx_and_429_do_not_change_state(fixed_now: datetime) -> None:
    sim = Simulator(now=fixed_now, faults=FaultConfig(rate_5xx=1.0))
    async with authed(sim) as client:
        response = await client.put(f"{JPM}/jobs/1001/cancel", json={"reasonId": 81, "memo": "x"})
    assert response.status_code == 503 and response.json()["status"] == 503
    assert sim.write_count == 0


async def test_latency_uses_the_injected_sleep(fixed_now: datetime) -> None:
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)

    sim = Simulator(now=fixed_now, faults=FaultConfig(latency_ms=250), sleep=fake_sleep)
    async with authed(sim) as client:
        assert (await client.get(f"{JPM}/jobs/1001")).status_code == 200
    assert slept == [0.25]


async def test_timeout_fault_withholds_the_answer_after_processing(fixed_now: datetime) -> None:
    sim = Simulator(now=fixed_now, faults=FaultConfig(rate_timeout=1.0, timeout_seconds=30))
    job_id = next(j["id"] for j in sim.state.jobs.values() if j["jobStatus"] == "Scheduled")
    async with authed(sim) as client:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(
                client.put(f"{JPM}/jobs/{job_id}/cancel", json={"reasonId": 81, "memo": "lost answer"}),
                timeout=0.2,
            )
    # The write happened although the caller never heard back: it must re-read to find out.
    assert sim.state.jobs[job_id]["jobStatus"] == "Canceled"
    assert sim.write_count == 1


async def test_timeout_fault_ends_with_504_when_the_caller_waits(fixed_now: datetime) -> None:
    async def no_wait(seconds: float) -> None:
        return None

    sim = Simulator(now=fixed_now, faults=FaultConfig(rate_timeout=1.0), sleep=no_wait)
    async with authed(sim) as client:
        response = await client.get(f"{JPM}/jobs/1001")
    assert response.status_code == 504


def test_fault_config_from_env_and_validation() -> None:
    config = FaultConfig.from_env(
        {
            "ST_SIM_FAULT_429": "0.1",
            "ST_SIM_FAULT_5XX": "0.05",
            "ST_SIM_LATENCY_MS": "20",
            "ST_SIM_FAULT_TIMEOUT": "0.01",
        }
    )
    assert (config.rate_429, config.rate_5xx, config.latency_ms, config.rate_timeout) == (0.1, 0.05, 20, 0.01)
    assert FaultConfig.from_env({}) == FaultConfig()
    with pytest.raises(FaultConfigError, match="ST_SIM_FAULT_429"):
        FaultConfig.from_env({"ST_SIM_FAULT_429": "lots"})
    with pytest.raises(FaultConfigError):
        FaultConfig(rate_429=1.5)


async def test_simulator_reads_faults_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, fixed_now: datetime
) -> None:
    monkeypatch.setenv("ST_SIM_FAULT_5XX", "1")
    sim = Simulator(now=fixed_now)
    async with authed(sim) as client:
        assert (await client.get(f"{JPM}/jobs/1001")).status_code == 503


async def test_admin_endpoint_is_off_by_default(fixed_now: datetime) -> None:
    sim = Simulator(now=fixed_now)
    async with raw_client(sim) as client:
        response = await client.post("/_admin/faults", json={"rate5xx": 1})
    assert response.status_code == 404
    assert sim.faults == FaultConfig()


async def test_admin_endpoint_switches_faults(fixed_now: datetime) -> None:
    sim = Simulator(now=fixed_now, admin=True)
    async with authed(sim) as client:
        on = await client.post("/_admin/faults", json={"rate5xx": 1.0})
        assert on.status_code == 200 and on.json()["rate5xx"] == 1.0
        assert (await client.get(f"{JPM}/jobs/1001")).status_code == 503
        off = await client.post("/_admin/faults", json={"rate5xx": 0})
        assert off.status_code == 200
        assert (await client.get(f"{JPM}/jobs/1001")).status_code == 200
        bad = await client.post("/_admin/faults", json={"rate5xx": 2})
        assert bad.status_code == 400
        unknown = await client.post("/_admin/faults", json={"explode": True})
        assert unknown.status_code == 400
        assert (await client.get("/_admin/faults")).json()["rate5xx"] == 0
