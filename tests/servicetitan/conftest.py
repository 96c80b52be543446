"""Fixtures: a client wired to a fresh in-process simulator with a fixed clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.servicetitan import ServiceTitanClient
from bot.servicetitan.embedded import embedded_client
from tests.servicetitan.scripted import Sleeps

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


class SimClock:
    """The simulator's clock; the client's injected sleep advances it instead of waiting."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
async def st(sleeps: Sleeps) -> AsyncIterator[tuple[ServiceTitanClient, Any]]:
    client, simulator = embedded_client(now=NOW, client_kwargs={"sleep": sleeps, "jitter": lambda: 1.0})
    async with client:
        yield client, simulator
