"""Fixtures: a client wired to a fresh in-process simulator with a fixed clock; helpers that find demo data
in it and read its request log."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.servicetitan import ServiceTitanClient
from bot.servicetitan.embedded import embedded_client
from bot.servicetitan.models import JobAppointmentCreate, JobCreate
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


def calls(sim: Any, method: str, path_suffix: str) -> list[tuple[str, str, int]]:
    return [entry for entry in sim.request_log if entry[0] == method and entry[1].endswith(path_suffix)]


def open_job_with_appointments(sim: Any, count: int) -> dict[str, Any]:
    for job in sorted(sim.state.jobs.values(), key=lambda j: j["id"]):
        appointments = [a for a in sim.state.appointments.values() if a["jobId"] == job["id"]]
        if (
            job["jobStatus"] == "Scheduled"
            and len(appointments) == count
            and all(a["status"] == "Scheduled" for a in appointments)
        ):
            return job
    raise AssertionError(f"demo data has no scheduled job with {count} appointment(s)")


async def booking(client: ServiceTitanClient, sim: Any) -> JobCreate:
    location = next(iter(sim.state.locations.values()))
    job_type = await anext(t async for t in client.iter_job_types())
    campaign = await anext(c async for c in client.iter_campaigns())
    technician = await anext(t async for t in client.iter_technicians())
    unit = (
        job_type.business_unit_ids[0] if job_type.business_unit_ids else next(iter(sim.state.business_units))
    )
    start = (NOW + timedelta(days=2)).replace(hour=15, minute=0)
    return JobCreate(
        customer_id=location["customerId"],
        location_id=location["id"],
        business_unit_id=unit,
        job_type_id=job_type.id,
        campaign_id=campaign.id,
        summary="No heat in the upstairs bedrooms",
        appointments=[
            JobAppointmentCreate(start=start, end=start + timedelta(hours=2), technician_ids=[technician.id])
        ],
    )
