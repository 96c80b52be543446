"""The simulator served by uvicorn on a free 127.0.0.1 port, spoken to over real HTTP."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta

import httpx
import pytest
import uvicorn

from bot.simulator import SIM_CREDENTIALS, Simulator
from bot.simulator.server import build_simulator
from tests.simulator.conftest import JPM, fetch_token


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def served(fixed_now: datetime) -> Iterator[tuple[str, Simulator]]:
    sim = Simulator(now=fixed_now)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(sim.app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        ready = threading.Event()
        for _ in range(200):
            if server.started:
                ready.set()
                break
            threading.Event().wait(0.025)
        assert ready.is_set(), "uvicorn did not start within 5 s"
        yield f"http://127.0.0.1:{port}", sim
    finally:
        server.should_exit = True
        thread.join(timeout=5)
        assert not thread.is_alive()


async def test_real_server_round_trip(served: tuple[str, Simulator]) -> None:
    base, sim = served
    async with httpx.AsyncClient(base_url=base, timeout=5) as client:
        headers = {
            "Authorization": f"Bearer {await fetch_token(client)}",
            "ST-App-Key": SIM_CREDENTIALS.app_key,
        }
        jobs = await client.get(f"{JPM}/jobs", params={"pageSize": 5}, headers=headers)
        assert jobs.status_code == 200 and len(jobs.json()["data"]) == 5
        job = next(j for j in sim.state.jobs.values() if j["jobStatus"] == "Scheduled")
        note = await client.post(
            f"{JPM}/jobs/{job['id']}/notes", json={"text": "Over the wire"}, headers=headers
        )
        assert note.status_code == 200
        results = await asyncio.gather(
            *(client.get(f"{JPM}/jobs/{job['id']}", headers=headers) for _ in range(5))
        )
        assert {r.status_code for r in results} == {200}
    assert sim.write_count == 1
    assert sim.state.notes[job["id"]][-1]["text"] == "Over the wire"


def test_cli_builder_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ST_SIM_ADMIN", "1")
    monkeypatch.setenv("ST_SIM_FAULT_429", "0.25")
    sim = build_simulator(None)
    assert sim.admin and len(sim.state.jobs) == 80
    assert sim.faults.rate_429 == 0.25
    monkeypatch.delenv("ST_SIM_ADMIN")
    monkeypatch.delenv("ST_SIM_FAULT_429")
    assert not build_simulator(None).admin


def test_cli_builder_reads_the_export_delay(monkeypatch: pytest.MonkeyPatch) -> None:
    assert build_simulator(None).state.export_delay == timedelta(0)
    monkeypatch.setenv("ST_SIM_EXPORT_DELAY_MINUTES", "15")
    assert build_simulator(None).state.export_delay == timedelta(minutes=15)
    for bad in ("soon", "-1"):
        monkeypatch.setenv("ST_SIM_EXPORT_DELAY_MINUTES", bad)
        with pytest.raises(ValueError, match="ST_SIM_EXPORT_DELAY_MINUTES"):
            build_simulator(None)
