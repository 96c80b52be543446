"""The client against the simulator served by uvicorn on a free 127.0.0.1 port: real sockets, real
timeouts, httpx's default transport and the bot's (aiohttp's pool); plus the shipped `python -m bot simulator` command once."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest
import uvicorn

from bot.config import Settings
from bot.servicetitan import ServiceTitanClient
from bot.servicetitan.client import http_transport
from bot.servicetitan.embedded import simulator_client
from bot.servicetitan.models import JobUpdate
from bot.simulator import SIM_CREDENTIALS, Exchange, Simulator
from tests.servicetitan.conftest import NOW, booking, calls, open_job_with_appointments
from tests.servicetitan.scripted import Sleeps


class LateAnswers:
    """ASGI middleware: the simulator processes every request, but answers to the requests ``late`` picks
    are held back ``delay`` seconds, long enough for the client's read timeout to fire first."""

    def __init__(self, app: Any, delay: float) -> None:
        self.app = app
        self.delay = delay
        self.late: Callable[[str, str], bool] = lambda method, path: False

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not self.late(scope["method"], scope["path"]):
            await self.app(scope, receive, send)
            return

        async def send_late(message: Any) -> None:
            if message["type"] == "http.response.start":
                await asyncio.sleep(self.delay)  # the slow network under test, not a wait for work
            await send(message)

        await self.app(scope, receive, send_late)


class CountingTransport(httpx.AsyncBaseTransport):
    """The default network transport, recording what the client sent. (The simulator logs an exchange only
    after its answer has gone out, so over a real socket its log may lag behind the client by a moment.)"""

    def __init__(self, inner: httpx.AsyncBaseTransport | None = None) -> None:
        self.inner = inner or httpx.AsyncHTTPTransport()
        self.sent: list[tuple[str, str]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append((request.method, request.url.path))
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()

    def count(self, method: str, suffix: str) -> int:
        return sum(1 for m, path in self.sent if m == method and path.endswith(suffix))


class ServedSimulator:
    def __init__(self, simulator: Simulator, app: Any) -> None:
        self.simulator = simulator
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.base_url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        config = uvicorn.Config(app, log_level="warning", lifespan="off", timeout_graceful_shutdown=2)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=lambda: asyncio.run(self.server.serve(sockets=[self.sock])))

    def __enter__(self) -> ServedSimulator:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the simulator server did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()


@pytest.fixture
def served() -> Iterator[tuple[ServedSimulator, LateAnswers]]:
    simulator = Simulator(now=NOW)
    late = LateAnswers(
        simulator.app, delay=1.6
    )  # well past the 1 s client timeout below, even on a loaded CI machine
    with ServedSimulator(simulator, late) as server:
        yield server, late


@pytest.fixture(params=["httpx", "bot"])
def wire(request: pytest.FixtureRequest) -> CountingTransport:
    """httpx's own transport, and the one `bot serve` uses (aiohttp's pool: bot.servicetitan.transport)."""
    return CountingTransport(http_transport() if request.param == "bot" else None)


@pytest.fixture
async def client(
    served: tuple[ServedSimulator, LateAnswers], wire: CountingTransport
) -> AsyncIterator[ServiceTitanClient]:
    server, _ = served
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        st_client_id=SIM_CREDENTIALS.client_id,
        st_client_secret=SIM_CREDENTIALS.client_secret,
        st_app_key=SIM_CREDENTIALS.app_key,
        st_tenant_id=SIM_CREDENTIALS.tenant_id,
        st_api_url=server.base_url,
        st_auth_url=server.base_url,
    )
    async with ServiceTitanClient.from_settings(settings, transport=wire) as st:
        yield st


async def test_reads_writes_and_paging_over_a_real_socket(
    served: tuple[ServedSimulator, LateAnswers], client: ServiceTitanClient, wire: CountingTransport
) -> None:
    sim = served[0].simulator
    jobs = [j async for j in client.iter_jobs(page_size=30)]
    assert sorted(j.id for j in jobs) == sorted(sim.state.jobs)
    assert wire.count("GET", "/jobs") == 3
    job = await client.book_job(await booking(client, sim))
    assert (await client.get_job(job.id)).job_status == "Scheduled"
    exported = await client.export_jobs()
    assert job.id in {j.id for j in exported.items}


async def test_concurrent_callers_share_one_token_over_a_real_socket(
    served: tuple[ServedSimulator, LateAnswers], client: ServiceTitanClient, wire: CountingTransport
) -> None:
    sim = served[0].simulator
    ids = sorted(sim.state.jobs)[:12]
    jobs = await asyncio.wait_for(asyncio.gather(*(client.get_job(i) for i in ids)), timeout=10)
    assert [j.id for j in jobs] == ids
    assert wire.count("POST", "/connect/token") == 1
    assert sim.tokens_issued == 1


async def test_write_whose_answer_times_out_is_checked_not_resent(
    served: tuple[ServedSimulator, LateAnswers], wire: CountingTransport
) -> None:
    server, late = served
    sim = server.simulator
    job = open_job_with_appointments(sim, 1)
    late.late = lambda method, path: method == "PATCH" and path.endswith(f"/jobs/{job['id']}")
    loop = asyncio.get_running_loop()
    patch_logged = asyncio.Event()

    def on_exchange(exchange: Exchange) -> None:  # runs in the server's thread
        if exchange.method == "PATCH":
            loop.call_soon_threadsafe(patch_logged.set)

    sim.observers.append(on_exchange)
    async with simulator_client(server.base_url, timeout=1.0, sleep=Sleeps(), transport=wire) as st:
        updated = await st.update_job(job["id"], JobUpdate(priority="Urgent"))
    assert updated.priority == "Urgent"
    # The simulator logs an exchange once its (late) answer has gone out.
    await asyncio.wait_for(patch_logged.wait(), timeout=5)
    assert len(calls(sim, "PATCH", f"/jobs/{job['id']}")) == 1
    assert wire.count("PATCH", f"/jobs/{job['id']}") == 1  # sent once: the timeout was settled by a read
    assert wire.count("GET", f"/jobs/{job['id']}") == 1


async def test_read_whose_answer_times_out_is_retried(served: tuple[ServedSimulator, LateAnswers]) -> None:
    server, late = served
    sim = server.simulator
    job_id = min(sim.state.jobs)
    answered_late: list[str] = []

    def first_only(method: str, path: str) -> bool:
        if method == "GET" and path.endswith(f"/jobs/{job_id}") and not answered_late:
            answered_late.append(path)
            return True
        return False

    late.late = first_only
    sleeps = Sleeps()
    async with simulator_client(server.base_url, timeout=1.0, sleep=sleeps) as st:
        job = await st.get_job(job_id)
    assert job.id == job_id
    assert len(sleeps.waits) == 1
