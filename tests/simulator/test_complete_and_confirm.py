"""`PUT /jobs/{id}/complete` and `PUT|DELETE /appointments/{id}/confirmation`, as the JPM document gives them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from bot.simulator import Simulator
from bot.simulator.records import MSG_ALREADY_CONFIRMED, MSG_CANNOT_COMPLETE, MSG_NOT_CONFIRMED
from bot.simulator.timeutil import format_ts, parse_ts
from tests.simulator.conftest import DISPATCH, JPM, drain


def assigned_open_job(sim: Simulator) -> dict[str, Any]:
    """A Scheduled job with at least one technician on it and every appointment Scheduled."""
    for job in sim.state.jobs.values():
        visits = sim.state.job_appointments(job["id"])
        if (
            job["jobStatus"] == "Scheduled"
            and sim.state.technician_ids_of_job(job["id"])
            and all(a["status"] == "Scheduled" for a in visits)
        ):
            return job
    raise AssertionError("demo data has no open job with a technician")


async def test_complete_job_marks_it_and_its_visits_done_in_reads_and_feeds(
    st: httpx.AsyncClient, simulator: Simulator, fixed_now: datetime
) -> None:
    job = assigned_open_job(simulator)
    job_id = job["id"]
    _, jobs_token = await drain(st, f"{JPM}/export/jobs")
    _, appointments_token = await drain(st, f"{JPM}/export/appointments")
    _, assignments_token = await drain(st, f"{DISPATCH}/export/appointment-assignments")
    done_at = fixed_now - timedelta(minutes=30)

    response = await st.put(f"{JPM}/jobs/{job_id}/complete", json={"completedOn": format_ts(done_at)})

    assert response.status_code == 200 and response.content == b""
    read = (await st.get(f"{JPM}/jobs/{job_id}")).json()
    assert read["jobStatus"] == "Completed"
    assert parse_ts(read["completedOn"]) == done_at
    visits = (await st.get(f"{JPM}/appointments", params={"jobId": job_id})).json()["data"]
    assert visits and {a["status"] for a in visits} == {"Done"}
    changed_jobs, _ = await drain(st, f"{JPM}/export/jobs", jobs_token)
    assert [(j["id"], j["jobStatus"]) for j in changed_jobs] == [(job_id, "Completed")]
    assert parse_ts(changed_jobs[0]["modifiedOn"]) >= fixed_now
    changed_visits, _ = await drain(st, f"{JPM}/export/appointments", appointments_token)
    assert {(a["id"], a["status"]) for a in changed_visits} == {(a["id"], "Done") for a in visits}
    changed_assignments, _ = await drain(st, f"{DISPATCH}/export/appointment-assignments", assignments_token)
    assert changed_assignments and {a["status"] for a in changed_assignments} == {"Done"}
    assert {a["jobId"] for a in changed_assignments} == {job_id}
    history = (await st.get(f"{JPM}/jobs/{job_id}/history")).json()["history"]
    assert history[-1]["eventType"] == "Job Completed"


@pytest.mark.parametrize("status", ["Canceled", "Completed"])
async def test_a_canceled_or_completed_job_cannot_be_completed(
    st: httpx.AsyncClient, simulator: Simulator, fixed_now: datetime, status: str
) -> None:
    job = next(j for j in simulator.state.jobs.values() if j["jobStatus"] == status)
    before = dict(job)
    response = await st.put(f"{JPM}/jobs/{job['id']}/complete", json={"completedOn": format_ts(fixed_now)})
    assert response.status_code == 409
    assert response.json()["title"] == MSG_CANNOT_COMPLETE
    assert simulator.state.jobs[job["id"]] == before
    assert simulator.write_count == 0


async def test_a_job_nobody_is_assigned_to_cannot_be_completed(
    st: httpx.AsyncClient, simulator: Simulator, fixed_now: datetime
) -> None:
    job = assigned_open_job(simulator)
    for appointment in simulator.state.job_appointments(job["id"]):
        technicians = [a["technicianId"] for a in simulator.state.active_assignments(appointment["id"])]
        if technicians:
            unassigned = await st.post(
                f"{DISPATCH}/appointment-assignments/unassign-technicians",
                json={"jobAppointmentId": appointment["id"], "technicianIds": technicians},
            )
            assert unassigned.status_code == 200
    response = await st.put(f"{JPM}/jobs/{job['id']}/complete", json={"completedOn": format_ts(fixed_now)})
    assert response.status_code == 409
    assert response.json()["title"] == MSG_CANNOT_COMPLETE
    assert simulator.state.jobs[job["id"]]["jobStatus"] == "Scheduled"


@pytest.mark.allow_nonconforming_requests
@pytest.mark.parametrize("body", [{}, {"completedOn": "yesterday-ish"}])
async def test_complete_needs_a_completed_on_date(
    st: httpx.AsyncClient, simulator: Simulator, body: dict[str, Any]
) -> None:
    job = assigned_open_job(simulator)
    response = await st.put(f"{JPM}/jobs/{job['id']}/complete", json=body)
    assert response.status_code == 400
    assert "CompletedOn" in response.json()["errors"]
    assert simulator.state.jobs[job["id"]]["jobStatus"] == "Scheduled"


async def test_complete_an_unknown_job_is_404(st: httpx.AsyncClient, fixed_now: datetime) -> None:
    response = await st.put(f"{JPM}/jobs/999999/complete", json={"completedOn": format_ts(fixed_now)})
    assert response.status_code == 404


async def test_confirmation_shows_in_reads_and_the_feed_and_can_be_removed(
    st: httpx.AsyncClient, simulator: Simulator, fixed_now: datetime
) -> None:
    appointment = next(
        a
        for a in simulator.state.appointments.values()
        if a["status"] == "Scheduled" and not a["isConfirmed"]
    )
    appointment_id = appointment["id"]
    _, token = await drain(st, f"{JPM}/export/appointments")

    confirmed = await st.put(f"{JPM}/appointments/{appointment_id}/confirmation")

    assert confirmed.status_code == 200 and confirmed.content == b""
    assert (await st.get(f"{JPM}/appointments/{appointment_id}")).json()["isConfirmed"] is True
    rows, token = await drain(st, f"{JPM}/export/appointments", token)
    assert [(r["id"], r["isConfirmed"], r["active"]) for r in rows] == [(appointment_id, True, True)]
    assert parse_ts(rows[0]["modifiedOn"]) >= fixed_now
    again = await st.put(f"{JPM}/appointments/{appointment_id}/confirmation")
    assert again.status_code == 409 and again.json()["title"] == MSG_ALREADY_CONFIRMED

    removed = await st.delete(f"{JPM}/appointments/{appointment_id}/confirmation")

    assert removed.status_code == 200
    assert (await st.get(f"{JPM}/appointments/{appointment_id}")).json()["isConfirmed"] is False
    rows, _ = await drain(st, f"{JPM}/export/appointments", token)
    assert [(r["id"], r["isConfirmed"]) for r in rows] == [(appointment_id, False)]
    twice = await st.delete(f"{JPM}/appointments/{appointment_id}/confirmation")
    assert twice.status_code == 409 and twice.json()["title"] == MSG_NOT_CONFIRMED


async def test_confirm_an_unknown_appointment_is_404(st: httpx.AsyncClient) -> None:
    response = await st.put(f"{JPM}/appointments/999999/confirmation")
    assert response.status_code == 404
    assert response.json()["title"] == "Appointment was not found"
