"""Shared pytest fixtures for the whole suite.

- `fixed_now`: Tuesday 2026-11-24 15:00 UTC, the "now" of every deterministic test.
- `simulator`: a ServiceTitan simulator with the built-in demo data at `fixed_now`.
- OpenAPI conformance (autouse): every request reaching any `Simulator` during a test, and every response it
  gives, is validated against ServiceTitan's OpenAPI documents (tests/openapi_conformance.py); the test fails
  on any violation. Mark a test `@pytest.mark.allow_nonconforming_requests` when it sends invalid requests on
  purpose (missing app key, wrong verb, bad parameter values); its responses are still checked.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import redis.asyncio as aioredis

from bot.simulator import Simulator
from tests.openapi_conformance import ConformanceChecker

FIXED_NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
# The real Redis the tests of the store, the dialog and the alerts use (.ci/with-redis sets it).
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")


async def drop_prefix(prefix: str) -> None:
    """Delete every key a test wrote under its own `prefix`."""
    raw = aioredis.from_url(REDIS_URL)
    try:
        keys = [k async for k in raw.scan_iter(match=f"{prefix}:*")]
        if keys:
            await raw.delete(*keys)
    finally:
        await raw.aclose()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "allow_nonconforming_requests: the test sends requests outside the OpenAPI documents on purpose",
    )


@pytest.fixture
def fixed_now() -> datetime:
    return FIXED_NOW


@pytest.fixture
def simulator(fixed_now: datetime) -> Simulator:
    return Simulator(now=fixed_now)


@pytest.fixture(autouse=True)
def openapi_conformance(request: pytest.FixtureRequest) -> Iterator[ConformanceChecker]:
    """Validate every exchange with any Simulator during the test; fail the test on a violation."""
    allow = request.node.get_closest_marker("allow_nonconforming_requests") is not None
    checker = ConformanceChecker(allow_nonconforming_requests=allow)
    Simulator.global_observers.append(checker)
    try:
        yield checker
    finally:
        Simulator.global_observers.remove(checker)
    if checker.violations:
        pytest.fail(
            f"{len(checker.violations)} exchange(s) with the simulator do not conform to ServiceTitan's "
            f"OpenAPI documents:\n{checker.report()}",
            pytrace=False,
        )
