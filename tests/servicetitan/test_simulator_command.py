"""The shipped `python -m bot simulator` command serving the client on a free 127.0.0.1 port."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import httpx

from bot.servicetitan.embedded import simulator_client

REPO = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_the_simulator_command_serves_the_client() -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ST_")}
    process = subprocess.Popen(  # noqa: ASYNC220 - started once, then only polled over HTTP
        [sys.executable, "-m", "bot", "simulator", "--host", "127.0.0.1", "--port", str(port)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        async with httpx.AsyncClient() as probe:
            while True:
                try:
                    await probe.post(f"{base}/connect/token", data={})
                    break
                except httpx.TransportError:
                    if time.monotonic() > deadline or process.poll() is not None:
                        raise AssertionError("`python -m bot simulator` did not start") from None
                    await asyncio.sleep(0.05)
        async with simulator_client(base) as st:
            technicians = [t async for t in st.iter_technicians()]
            appointment = await anext(a async for a in st.iter_appointments(status="Scheduled"))
            start = appointment.start + timedelta(days=1)
            moved = await st.reschedule_appointment(
                appointment.id, start=start, end=start + timedelta(hours=1)
            )
        assert len(technicians) >= 8
        assert moved.start == start
    finally:
        process.terminate()
        process.wait(timeout=10)
