"""The job-planning rules ServiceTitan enforces, as the simulator enforces them over HTTP."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from bot.simulator import Simulator
from bot.simulator.state import MSG_CANNOT_DELETE, MSG_NOT_ON_HOLD
from bot.simulator.timeutil import format_ts, parse_ts
from tests.simulator.conftest import CRM, DISPATCH, JPM


def open_job(sim: Simulator, *, appointments: int) -> dict[str, Any]:
    """A Scheduled job with exactly that many appointments and none with timesheets."""
    for job in sim.state.jobs.values():
        visits = sim.state.job_appointments(job["id"])
        if (
            job["jobStatus"] == "Scheduled"
            and len(visits) == appointments
            and all(a["status"] == "Scheduled" and a["id"] not in sim.state.timesheets for a in visits)
        ):
            return job
    raise AssertionError(f"demo data has no open job with {appointments} appointments")


def job_with_status(sim: Simulator, status: str) -> dict[str, Any]:
    return next(j for j in sim.state.jobs.values() if j["jobStatus"] == status)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"reasonId": 81, "memo": ""}, "Memo"),
        ({"reasonId": 81, "memo": "   "}, "Memo"),
        ({"reasonId": 85, "memo": "inactive reason"}, "ReasonId"),
        ({"reasonId": 9999, "memo": "unknown reason"}, "ReasonId"),
        ({"reasonId": 71, "memo": "a hold reason is not a cancel reason"}, "ReasonId"),
    ],
)
async def test_cancel_needs_an_active_reason_and_a_memo(
    st: httpx.AsyncClient, simulator: Simulator, body: dict[str, Any], field: str
) -> None:
    job = open_job(simulator, appointments=1)
    response = await st.put(f"{JPM}/jobs/{job['id']}/cancel", json=body)
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert simulator.state.jobs[job["id"]]["jobStatus"] == "Scheduled"
    assert simulator.write_count == 0


async def test_cancel_and_remove_cancellation(st: httpx.AsyncClient, simulator: Simulator) -> None:
    job = open_job(simulator, appointments=2)
    job_id = job["id"]
    before = job["modifiedOn"]
    response = await st.put(
        f"{JPM}/jobs/{job_id}/cancel", json={"reasonId": 82, "memo": "Customer sold the house"}
    )
    assert response.status_code == 200 and response.content == b""
    fetched = (await st.get(f"{JPM}/jobs/{job_id}")).json()
    assert fetched["jobStatus"] == "Canceled"
    assert parse_ts(fetched["modifiedOn"]) > before
    visits = (await st.get(f"{JPM}/appointments", params={"jobId": job_id})).json()["data"]
    assert {a["status"] for a in visits} == {"Canceled"}
    reasons = (await st.get(f"{JPM}/jobs/cancel-reasons", params={"ids": str(job_id)})).json()["data"]
    assert reasons == [
        {"jobId": job_id, "reasonId": 82, "name": "Customer canceled", "text": "Customer sold the house"}
    ]
    log = (await st.get(f"{JPM}/jobs/{job_id}/canceled-log")).json()["data"]
    assert [(e["reasonId"], e["memo"]) for e in log] == [(82, "Customer sold the house")]
    again = await st.put(f"{JPM}/jobs/{job_id}/cancel", json={"reasonId": 82, "memo": "twice"})
    assert again.status_code == 400
    assert (await st.put(f"{JPM}/jobs/{job_id}/remove-cancellation")).status_code == 200
    restored = (await st.get(f"{JPM}/jobs/{job_id}")).json()
    assert restored["jobStatus"] == "Scheduled"
    assert (await st.put(f"{JPM}/jobs/{job_id}/remove-cancellation")).status_code == 400
    history = (await st.get(f"{JPM}/jobs/{job_id}/history")).json()["history"]
    assert [h["eventType"] for h in history][-2:] == ["Job Canceled", "Job Cancellation Removed"]
    assert simulator.write_count == 2


async def test_hold_job_needs_reason_and_puts_visits_on_hold(
    st: httpx.AsyncClient, simulator: Simulator
) -> None:
    job = open_job(simulator, appointments=2)
    refused = await st.put(f"{JPM}/jobs/{job['id']}/hold", json={"reasonId": 71, "memo": ""})
    assert refused.status_code == 400 and "Memo" in refused.json()["errors"]
    response = await st.put(f"{JPM}/jobs/{job['id']}/hold", json={"reasonId": 71, "memo": "Part on order"})
    assert response.status_code == 200
    assert (await st.get(f"{JPM}/jobs/{job['id']}")).json()["jobStatus"] == "Hold"
    visits = simulator.state.job_appointments(job["id"])
    # Taking every visit off hold brings the job back: its status follows its appointments.
    for visit in visits:
        assert (await st.delete(f"{JPM}/appointments/{visit['id']}/hold")).status_code == 200
    assert (await st.get(f"{JPM}/jobs/{job['id']}")).json()["jobStatus"] == "Scheduled"


async def test_appointment_hold_and_remove_hold(st: httpx.AsyncClient, simulator: Simulator) -> None:
    job = open_job(simulator, appointments=1)
    appointment_id = job["firstAppointmentId"]
    not_on_hold = await st.delete(f"{JPM}/appointments/{appointment_id}/hold")
    assert not_on_hold.status_code == 409
    assert not_on_hold.json()["title"] == MSG_NOT_ON_HOLD
    inactive = await st.put(f"{JPM}/appointments/{appointment_id}/hold", json={"reasonId": 75, "memo": "old"})
    assert inactive.status_code == 400 and "ReasonId" in inactive.json()["errors"]
    held = await st.put(
        f"{JPM}/appointments/{appointment_id}/hold", json={"reasonId": 72, "memo": "Out of town"}
    )
    assert held.status_code == 200
    appointment = (await st.get(f"{JPM}/appointments/{appointment_id}")).json()
    assert appointment["status"] == "Hold"
    assert (await st.get(f"{JPM}/jobs/{job['id']}")).json()["jobStatus"] == "Hold"
    twice = await st.put(f"{JPM}/appointments/{appointment_id}/hold", json={"reasonId": 72, "memo": "again"})
    assert twice.status_code == 409
    assert (await st.delete(f"{JPM}/appointments/{appointment_id}/hold")).status_code == 200
    assert (await st.get(f"{JPM}/appointments/{appointment_id}")).json()["status"] == "Scheduled"
    assert (await st.get(f"{JPM}/jobs/{job['id']}")).json()["jobStatus"] == "Scheduled"


async def test_only_appointment_cannot_be_deleted(st: httpx.AsyncClient, simulator: Simulator) -> None:
    job = open_job(simulator, appointments=1)
    response = await st.delete(f"{JPM}/appointments/{job['firstAppointmentId']}")
    assert response.status_code == 409
    assert response.json()["title"] == MSG_CANNOT_DELETE
    assert job["firstAppointmentId"] in simulator.state.appointments


async def test_appointment_with_timesheets_cannot_be_deleted(
    st: httpx.AsyncClient, simulator: Simulator
) -> None:
    job = open_job(simulator, appointments=2)
    first, second = simulator.state.job_appointments(job["id"])
    simulator.state.timesheets.add(second["id"])
    response = await st.delete(f"{JPM}/appointments/{second['id']}")
    assert response.status_code == 409
    assert response.json()["title"] == MSG_CANNOT_DELETE
    # The other one may go: the job keeps an appointment.
    assert (await st.delete(f"{JPM}/appointments/{first['id']}")).status_code == 200
    assert (await st.get(f"{JPM}/appointments/{first['id']}")).status_code == 404
    job_now = (await st.get(f"{JPM}/jobs/{job['id']}")).json()
    assert job_now["appointmentCount"] == 1 and job_now["firstAppointmentId"] == second["id"]


async def test_reschedule_moves_the_visit_and_refuses_closed_jobs(
    st: httpx.AsyncClient, simulator: Simulator, fixed_now: datetime
) -> None:
    job = open_job(simulator, appointments=1)
    start = fixed_now + timedelta(days=3)
    body = {
        "start": format_ts(start),
        "end": format_ts(start + timedelta(hours=2)),
        "arrivalWindowStart": format_ts(start),
        "arrivalWindowEnd": format_ts(start + timedelta(hours=4)),
    }
    moved = await st.patch(f"{JPM}/appointments/{job['firstAppointmentId']}/reschedule", json=body)
    assert moved.status_code == 200
    assert parse_ts(moved.json()["start"]) == start
    backwards = await st.patch(
        f"{JPM}/appointments/{job['firstAppointmentId']}/reschedule",
        json={"start": format_ts(start), "end": format_ts(start - timedelta(hours=1))},
    )
    assert backwards.status_code == 400
    for status in ("Canceled", "Completed"):
        closed = job_with_status(simulator, status)
        refused = await st.patch(f"{JPM}/appointments/{closed['firstAppointmentId']}/reschedule", json=body)
        assert refused.status_code == 409, status


async def test_assign_and_unassign_technicians(st: httpx.AsyncClient, simulator: Simulator) -> None:
    job = open_job(simulator, appointments=1)
    appointment_id = job["firstAppointmentId"]
    assigned = await st.post(
        f"{DISPATCH}/appointment-assignments/assign-technicians",
        json={"jobAppointmentId": appointment_id, "technicianIds": [45]},
    )
    assert assigned.status_code == 200 and assigned.json()["id"] == appointment_id
    listed = (
        await st.get(f"{DISPATCH}/appointment-assignments", params={"appointmentIds": str(appointment_id)})
    ).json()
    assert 45 in [a["technicianId"] for a in listed["data"]]
    assert job["id"] in [
        j["id"]
        for j in (await st.get(f"{JPM}/jobs", params={"technicianId": 45, "pageSize": 200})).json()["data"]
    ]
    unassigned = await st.post(
        f"{DISPATCH}/appointment-assignments/unassign-technicians",
        json={"jobAppointmentId": appointment_id, "technicianIds": [45]},
    )
    assert unassigned.status_code == 200
    listed = (
        await st.get(f"{DISPATCH}/appointment-assignments", params={"appointmentIds": str(appointment_id)})
    ).json()
    assert 45 not in [a["technicianId"] for a in listed["data"]]
    inactive = (
        await st.get(
            f"{DISPATCH}/appointment-assignments",
            params={"appointmentIds": str(appointment_id), "active": "False"},
        )
    ).json()
    assert 45 in [a["technicianId"] for a in inactive["data"]]
    unknown_tech = await st.post(
        f"{DISPATCH}/appointment-assignments/assign-technicians",
        json={"jobAppointmentId": appointment_id, "technicianIds": [9999]},
    )
    assert unknown_tech.status_code == 400


async def test_closed_jobs_refuse_assignment(st: httpx.AsyncClient, simulator: Simulator) -> None:
    for status in ("Canceled", "Completed"):
        job = job_with_status(simulator, status)
        response = await st.post(
            f"{DISPATCH}/appointment-assignments/assign-technicians",
            json={"jobAppointmentId": job["firstAppointmentId"], "technicianIds": [41]},
        )
        assert response.status_code == 409, status
    assert simulator.write_count == 0


async def test_book_job_add_visit_note_and_patch(
    st: httpx.AsyncClient, simulator: Simulator, fixed_now: datetime
) -> None:
    customer = (await st.get(f"{CRM}/customers/205")).json()
    location = (await st.get(f"{CRM}/locations", params={"customerId": customer["id"]})).json()["data"][0]
    start = fixed_now + timedelta(days=2)
    created = await st.post(
        f"{JPM}/jobs",
        json={
            "customerId": customer["id"],
            "locationId": location["id"],
            "businessUnitId": 11,
            "jobTypeId": 21,
            "priority": "Normal",
            "campaignId": 31,
            "summary": "Kitchen sink backs up",
            "appointments": [
                {
                    "start": format_ts(start),
                    "end": format_ts(start + timedelta(hours=2)),
                    "technicianIds": [41],
                }
            ],
            "externalData": {
                "applicationGuid": "6f1c5a8e-3c1b-4a55-9d6e-0a1b2c3d4e5f",
                "externalData": [{"key": "slackRequestId", "value": "req-1"}],
            },
        },
    )
    assert created.status_code == 200, created.text
    job = created.json()
    assert job["id"] > 1080 and job["jobStatus"] == "Scheduled" and job["appointmentCount"] == 1
    assert job["externalData"] == [{"key": "slackRequestId", "value": "req-1"}]
    found = await st.get(
        f"{JPM}/jobs",
        params={
            "externalDataApplicationGuid": "6f1c5a8e-3c1b-4a55-9d6e-0a1b2c3d4e5f",
            "externalDataKey": "slackRequestId",
            "externalDataValues": "req-1",
        },
    )
    assert [j["id"] for j in found.json()["data"]] == [job["id"]]
    visit = await st.post(
        f"{JPM}/appointments",
        json={
            "jobId": job["id"],
            "start": format_ts(start + timedelta(days=1)),
            "end": format_ts(start + timedelta(days=1, hours=1)),
            "specialInstructions": "Bring the long snake",
        },
    )
    assert visit.status_code == 200
    note = await st.post(f"{JPM}/jobs/{job['id']}/notes", json={"text": "Dog in the yard", "pinToTop": True})
    assert note.status_code == 200 and note.json()["isPinned"] is True
    patched = await st.patch(
        f"{JPM}/jobs/{job['id']}", json={"priority": "High", "summary": "Sink and disposal"}
    )
    assert patched.status_code == 200 and patched.json()["priority"] == "High"
    final = (await st.get(f"{JPM}/jobs/{job['id']}")).json()
    assert final["appointmentCount"] == 2 and final["lastAppointmentId"] == visit.json()["id"]
    notes = (await st.get(f"{JPM}/jobs/{job['id']}/notes")).json()["data"]
    assert [n["text"] for n in notes] == ["Dog in the yard"]
    assert simulator.write_count == 4


async def test_booking_validates_references(st: httpx.AsyncClient, fixed_now: datetime) -> None:
    start = fixed_now + timedelta(days=1)
    response = await st.post(
        f"{JPM}/jobs",
        json={
            "customerId": 201,
            "locationId": 302,
            "businessUnitId": 11,
            "jobTypeId": 9999,
            "priority": "Whenever",
            "campaignId": 31,
            "appointments": [{"start": format_ts(start), "end": format_ts(start + timedelta(hours=1))}],
        },
    )
    assert response.status_code == 400
    assert {"LocationId", "JobTypeId", "Priority"} <= set(response.json()["errors"])


@pytest.mark.allow_nonconforming_requests
async def test_statuses_cannot_be_set_through_the_api(st: httpx.AsyncClient, simulator: Simulator) -> None:
    # Neither UpdateJobRequest nor AppointmentRescheduleRequest has a status: such fields are ignored.
    job = open_job(simulator, appointments=1)
    patched = await st.patch(f"{JPM}/jobs/{job['id']}", json={"jobStatus": "Completed", "priority": "Urgent"})
    assert patched.status_code == 200
    assert patched.json()["jobStatus"] == "Scheduled" and patched.json()["priority"] == "Urgent"
    appointment = simulator.state.appointments[job["firstAppointmentId"]]
    moved = await st.patch(
        f"{JPM}/appointments/{appointment['id']}/reschedule",
        json={
            "start": format_ts(appointment["start"]),
            "end": format_ts(appointment["end"]),
            "status": "Done",
        },
    )
    assert moved.status_code == 200 and moved.json()["status"] == "Scheduled"


async def test_seeded_jobs_have_a_history(st: httpx.AsyncClient, simulator: Simulator) -> None:
    canceled = job_with_status(simulator, "Canceled")
    history = (await st.get(f"{JPM}/jobs/{canceled['id']}/history")).json()["history"]
    assert [h["eventType"] for h in history] == ["Job Booked", "Job Canceled"]
    log = simulator.state.latest_cancel_log(canceled["id"])
    reason = simulator.state.job_cancel_reasons[log["reasonId"]]["name"]
    assert history[1]["memo"] == f"{reason}: {log['memo']}"

    held = job_with_status(simulator, "Hold")
    history = (await st.get(f"{JPM}/jobs/{held['id']}/history")).json()["history"]
    assert [h["eventType"] for h in history] == ["Job Booked", "Job On Hold"]
    reason_name, _, memo = history[1]["memo"].partition(": ")
    assert reason_name in {r["name"] for r in simulator.state.job_hold_reasons.values()}
    assert len(memo.split()) >= 3  # a dispatcher's words, e.g. "waiting on compressor from supplier"


async def test_writes_record_history_with_the_reason_and_memo(
    st: httpx.AsyncClient, simulator: Simulator
) -> None:
    job = open_job(simulator, appointments=1)
    appointment = job["firstAppointmentId"]
    put = await st.put(
        f"{JPM}/appointments/{appointment}/hold", json={"reasonId": 74, "memo": "ice on the roof"}
    )
    assert put.status_code == 200
    assert (await st.delete(f"{JPM}/appointments/{appointment}/hold")).status_code == 200
    held = await st.put(
        f"{JPM}/jobs/{job['id']}/hold", json={"reasonId": 71, "memo": "waiting on compressor from supplier"}
    )
    assert held.status_code == 200
    history = (await st.get(f"{JPM}/jobs/{job['id']}/history")).json()["history"]
    assert [(h["eventType"], h["memo"]) for h in history][-3:] == [
        ("Appointment On Hold", "Weather delay: ice on the roof"),
        ("Appointment Hold Removed", ""),
        ("Job On Hold", "Waiting for parts: waiting on compressor from supplier"),
    ]


async def test_special_instructions(st: httpx.AsyncClient, simulator: Simulator) -> None:
    job = open_job(simulator, appointments=1)
    response = await st.put(
        f"{JPM}/appointments/{job['firstAppointmentId']}/special-instructions",
        json={"specialInstructions": "Call on arrival"},
    )
    assert response.status_code == 200
    assert response.json()["specialInstructions"] == "Call on arrival"
