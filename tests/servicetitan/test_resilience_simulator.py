"""Retries and write safety against the in-process simulator: its injected faults (429, 5xx, rate limit)
and a transport that loses responses, so a write's outcome is unknown to the client."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import httpx
import pytest

from bot.servicetitan import ServiceTitanClient
from bot.servicetitan.embedded import embedded_client, simulator_client
from bot.servicetitan.errors import RateLimited, Unavailable
from bot.simulator import Simulator
from bot.simulator.faults import FaultConfig
from tests.servicetitan.conftest import NOW, booking, calls, open_job_with_appointments
from tests.servicetitan.scripted import Sleeps


class LosingTransport(httpx.AsyncBaseTransport):
    """Passes requests to ``inner``; for the ones ``lose`` picks, the simulator processes the request but the
    answer never arrives (``after=True``), or the request is dropped before it arrives (``after=False``)."""

    def __init__(
        self, inner: httpx.AsyncBaseTransport, lose: Callable[[httpx.Request], bool], *, after: bool
    ) -> None:
        self.inner = inner
        self.lose = lose
        self.after = after
        self.lost = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.lose(request):
            self.lose = lambda _request: False  # only the first matching request is lost
            self.lost += 1
            if self.after:
                response = await self.inner.handle_async_request(request)
                await response.aread()
                raise httpx.ReadTimeout("the answer was lost", request=request)
            raise httpx.WriteError("connection dropped while sending", request=request)
        return await self.inner.handle_async_request(request)


def losing_client(
    lose: Callable[[httpx.Request], bool], *, after: bool
) -> tuple[ServiceTitanClient, Simulator, LosingTransport]:
    """A client on a fresh simulator whose transport loses the requests or answers ``lose`` picks."""
    sim = Simulator(now=NOW)
    transport = LosingTransport(httpx.ASGITransport(app=sim.app), lose, after=after)
    client = simulator_client(transport=transport, sleep=Sleeps(), jitter=lambda: 1.0)
    return client, sim, transport


def is_(method: str, suffix: str) -> Callable[[httpx.Request], bool]:
    return lambda request: request.method == method and request.url.path.endswith(suffix)


async def test_reads_retry_5xx_until_max_retries() -> None:
    sleeps = Sleeps()
    client, sim = embedded_client(
        now=NOW,
        faults=FaultConfig(rate_5xx=1.0),
        client_kwargs={"sleep": sleeps, "jitter": lambda: 1.0, "max_retries": 3},
    )
    async with client:
        with pytest.raises(Unavailable):
            await client.get_job(min(sim.state.jobs))
    assert [status for _, _, status in calls(sim, "GET", f"/jobs/{min(sim.state.jobs)}")] == [503] * 4
    assert sleeps.waits == [0.5, 1.0, 2.0]


async def test_writes_are_not_blindly_retried_on_5xx() -> None:
    client, sim = embedded_client(
        now=NOW, faults=FaultConfig(rate_5xx=1.0), client_kwargs={"sleep": Sleeps()}
    )
    job = open_job_with_appointments(sim, 1)
    reason_id = next(r["id"] for r in sim.state.job_cancel_reasons.values() if r["active"])
    async with client:
        with pytest.raises(Unavailable, match="outcome is unknown"):
            await client.cancel_job(job["id"], reason_id=reason_id, memo="no longer needed")
    assert len(calls(sim, "PUT", f"/jobs/{job['id']}/cancel")) == 1
    assert calls(sim, "GET", f"/jobs/{job['id']}")  # it tried to find out


async def test_429_from_the_simulator_is_waited_out() -> None:
    sleeps = Sleeps()
    client, sim = embedded_client(
        now=NOW,
        faults=FaultConfig(rate_429=1.0, retry_after_seconds=2),
        client_kwargs={"sleep": sleeps, "max_retries": 2},
    )
    async with client:
        with pytest.raises(RateLimited) as caught:
            await client.get_job(min(sim.state.jobs))
    assert caught.value.retry_after == 2
    assert sleeps.waits == [2.0, 2.0]
    assert len(calls(sim, "GET", f"/jobs/{min(sim.state.jobs)}")) == 3


async def test_lost_answer_to_an_applied_reschedule_is_settled_by_reading_it_back() -> None:
    client, sim, transport = losing_client(is_("PATCH", "/reschedule"), after=True)
    job = open_job_with_appointments(sim, 1)
    start = NOW + timedelta(days=4)
    async with client:
        result = await client.reschedule_appointment(
            job["firstAppointmentId"], start=start, end=start + timedelta(hours=2)
        )
    assert transport.lost == 1
    assert result.start == start
    assert len(calls(sim, "PATCH", "/reschedule")) == 1  # processed once, never sent again


async def test_dropped_reschedule_that_never_arrived_is_sent_once_more() -> None:
    client, sim, transport = losing_client(is_("PATCH", "/reschedule"), after=False)
    job = open_job_with_appointments(sim, 1)
    start = NOW + timedelta(days=4)
    async with client:
        result = await client.reschedule_appointment(
            job["firstAppointmentId"], start=start, end=start + timedelta(hours=2)
        )
    assert transport.lost == 1 and result.start == start
    assert len(calls(sim, "PATCH", "/reschedule")) == 1  # the simulator saw only the resend
    assert calls(
        sim, "GET", f"/appointments/{job['firstAppointmentId']}"
    )  # after checking it was not applied


async def test_lost_answer_to_a_booking_finds_the_job_instead_of_booking_twice() -> None:
    client, sim, transport = losing_client(is_("POST", "/jobs"), after=True)
    async with client:
        request = await booking(client, sim)
        jobs_before = len(sim.state.jobs)
        job = await client.book_job(request)
    assert transport.lost == 1
    assert len(sim.state.jobs) == jobs_before + 1
    assert job.id in sim.state.jobs
    assert len(calls(sim, "POST", "/jobs")) == 1


@pytest.mark.parametrize("after", [True, False], ids=["answer-lost", "request-lost"])
async def test_note_with_unknown_outcome_is_added_exactly_once(after: bool) -> None:
    client, sim, transport = losing_client(lambda request: False, after=after)
    job_id = open_job_with_appointments(sim, 1)["id"]
    async with client:
        await client.add_job_note(job_id, "Same text twice")  # an identical older note ...
        transport.lose = is_("POST", "/notes")  # ... then the same text again, with its outcome unknown
        note = await client.add_job_note(job_id, "Same text twice")
    assert transport.lost == 1
    assert note.text == "Same text twice"
    assert [n["text"] for n in sim.state.job_notes(job_id)].count("Same text twice") == 2


@pytest.mark.parametrize("after", [True, False], ids=["answer-lost", "request-lost"])
async def test_state_changes_with_unknown_outcome_are_applied_exactly_once(after: bool) -> None:
    client, sim, transport = losing_client(lambda request: False, after=after)
    job = open_job_with_appointments(sim, 1)
    appointment_id = job["firstAppointmentId"]
    hold_reason = next(r["id"] for r in sim.state.job_hold_reasons.values() if r["active"])
    cancel_reason = next(r["id"] for r in sim.state.job_cancel_reasons.values() if r["active"])
    technician = next(t for t in sim.state.technicians if t not in sim.state.technician_ids_of_job(job["id"]))
    async with client:
        transport.lose = is_("PUT", f"/appointments/{appointment_id}/hold")
        await client.hold_appointment(appointment_id, reason_id=hold_reason, memo="parts")
        transport.lose = is_("DELETE", f"/appointments/{appointment_id}/hold")
        await client.remove_appointment_hold(appointment_id)
        transport.lose = is_("PUT", "/special-instructions")
        await client.set_special_instructions(appointment_id, "Call first")
        transport.lose = is_("POST", "/assign-technicians")
        await client.assign_technicians(appointment_id, [technician])
        transport.lose = is_("POST", "/unassign-technicians")
        await client.unassign_technicians(appointment_id, [technician])
        transport.lose = is_("PATCH", f"/jobs/{job['id']}")
        await client.update_job(
            job["id"],
            __import__("bot.servicetitan.models", fromlist=["JobUpdate"]).JobUpdate(priority="High"),
        )
        transport.lose = is_("PUT", f"/jobs/{job['id']}/cancel")
        await client.cancel_job(job["id"], reason_id=cancel_reason, memo="dup?")
        transport.lose = is_("PUT", "/remove-cancellation")
        await client.remove_job_cancellation(job["id"])
    assert transport.lost == 8
    for method, suffix in [
        ("PUT", f"/appointments/{appointment_id}/hold"),
        ("DELETE", f"/appointments/{appointment_id}/hold"),
        ("PUT", "/special-instructions"),
        ("POST", "/assign-technicians"),
        ("POST", "/unassign-technicians"),
        ("PUT", f"/jobs/{job['id']}/cancel"),
        ("PUT", "/remove-cancellation"),
    ]:
        assert [s for _, _, s in calls(sim, method, suffix)] == [200], (method, suffix)
    assert len([log for log in sim.state.canceled_logs.values() if log["jobId"] == job["id"]]) == 1
    assert sim.state.jobs[job["id"]]["priority"] == "High"
    assert sim.state.jobs[job["id"]]["jobStatus"] != "Canceled"
    assert sim.state.appointments[appointment_id]["specialInstructions"] == "Call first"


@pytest.mark.parametrize("call", ["/unassign-technicians", "/assign-technicians"])
@pytest.mark.parametrize("after", [True, False], ids=["answer-lost", "request-lost"])
async def test_a_replacement_with_unknown_outcome_is_applied_exactly_once(after: bool, call: str) -> None:
    client, sim, transport = losing_client(lambda request: False, after=after)
    job = open_job_with_appointments(sim, 1)
    appointment_id = job["firstAppointmentId"]
    old, new = [t for t in sim.state.technicians if t not in sim.state.technician_ids_of_job(job["id"])][:2]
    async with client:
        await client.assign_technicians(appointment_id, [old])
        transport.lose = is_("POST", call)  # the old one coming off, or the new one going on
        await client.replace_technicians(appointment_id, off=[old], on=[new])
        on = {
            a.technician_id
            async for a in client.iter_appointment_assignments(appointment_ids=[appointment_id])
        }
    assert transport.lost == 1
    assert old not in on and new in on
    assert [s for _, _, s in calls(sim, "POST", "/unassign-technicians")] == [200]
    assert [s for _, _, s in calls(sim, "POST", "/assign-technicians")] == [200, 200]  # old, then new


async def test_token_expired_on_the_server_is_refreshed_once_and_the_call_retried() -> None:
    sim_now = [NOW]
    client, sim = embedded_client(clock=lambda: sim_now[0], now=NOW, client_kwargs={"sleep": Sleeps()})
    job_id = min(sim.state.jobs)
    async with client:
        await client.get_job(job_id)
        sim_now[0] += timedelta(seconds=901)  # the server's clock says the token is dead; ours does not
        job = await client.get_job(job_id)
    assert job.id == job_id
    assert [status for _, _, status in calls(sim, "GET", f"/jobs/{job_id}")] == [200, 401, 200]
    assert len(calls(sim, "POST", "/connect/token")) == 2


async def test_the_simulators_rate_limit_is_waited_out_with_its_retry_after() -> None:
    rate_clock = [0.0]
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        rate_clock[0] += seconds  # the wait passes on the simulator's rate clock instead of the wall clock

    client, sim = embedded_client(
        now=NOW, rate_limit_per_second=3, rate_clock=lambda: rate_clock[0], client_kwargs={"sleep": sleep}
    )
    job_ids = sorted(sim.state.jobs)[:7]
    async with client:
        jobs = [await client.get_job(i) for i in job_ids]
    assert [j.id for j in jobs] == job_ids
    statuses = [status for method, path, status in sim.request_log if method == "GET"]
    assert statuses.count(429) == len(waits) >= 2
    assert all(w >= 1 for w in waits)
