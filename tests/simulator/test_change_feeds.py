"""The four export feeds a change watcher reads, write by write (servicetitan README §2.2, §9).

Each write a dispatcher makes (hold, cancel, remove hold or cancellation, reschedule, add or delete an
appointment, assign or unassign) must show as a changed row, with a later `modifiedOn` and the fields the
documents give, on a feed read from where the watcher left off; a feed read from "now" starts at its end.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx

from bot.simulator import Simulator
from bot.simulator.records import API_USER_ID
from bot.simulator.timeutil import format_ts, parse_ts
from tests.simulator.conftest import DISPATCH, JPM, drain

FEEDS = {
    "jobs": f"{JPM}/export/jobs",
    "appointments": f"{JPM}/export/appointments",
    "logs": f"{JPM}/export/job-canceled-logs",
    "assignments": f"{DISPATCH}/export/appointment-assignments",
}
MANAGER = 62  # Morgan Blake in the demo data


@dataclass
class Watcher:
    """Reads every feed from its last token, with `includeRecentChanges=true` and every assignment."""

    st: httpx.AsyncClient
    tokens: dict[str, str] = field(default_factory=dict)

    async def start_at_end(self, now: datetime) -> dict[str, list[dict[str, Any]]]:
        return await self._read(lambda name: format_ts(now))

    async def changes(self) -> dict[str, list[dict[str, Any]]]:
        return await self._read(lambda name: self.tokens[name])

    async def _read(self, start: Any) -> dict[str, list[dict[str, Any]]]:
        rows: dict[str, list[dict[str, Any]]] = {}
        for name, path in FEEDS.items():
            extra = {"includeRecentChanges": "true"}
            if name == "assignments":
                extra["active"] = "Any"
            rows[name], self.tokens[name] = await drain(self.st, path, start(name), **extra)
        return rows


def two_visit_job(sim: Simulator) -> dict[str, Any]:
    for job in sim.state.jobs.values():
        visits = sim.state.job_appointments(job["id"])
        if (
            job["jobStatus"] == "Scheduled"
            and len(visits) == 2
            and all(a["status"] == "Scheduled" and a["id"] not in sim.state.timesheets for a in visits)
        ):
            return job
    raise AssertionError("demo data has no open job with two appointments")


def free_technician(sim: Simulator, job_id: int) -> int:
    busy = sim.state.technician_ids_of_job(job_id)
    return next(t for t in sorted(sim.state.technicians) if t not in busy)


async def test_a_feed_read_from_now_starts_at_its_end(st: httpx.AsyncClient, fixed_now: datetime) -> None:
    watcher = Watcher(st)
    assert await watcher.start_at_end(fixed_now) == {name: [] for name in FEEDS}
    assert await watcher.changes() == {name: [] for name in FEEDS}, "nothing changed, nothing comes"


async def test_every_write_shows_as_a_changed_row(
    st: httpx.AsyncClient, simulator: Simulator, fixed_now: datetime
) -> None:
    job = two_visit_job(simulator)
    job_id = job["id"]
    first, second = (a["id"] for a in simulator.state.job_appointments(job_id))
    technician = free_technician(simulator, job_id)
    watcher = Watcher(st)
    await watcher.start_at_end(fixed_now)
    seen: list[datetime] = [fixed_now - timedelta(microseconds=1)]  # the first write is stamped at now

    def later(row: dict[str, Any], key: str = "modifiedOn") -> dict[str, Any]:
        """The row's change time comes after every earlier one."""
        moment = parse_ts(row[key])
        assert moment > seen[-1]
        seen.append(moment)
        return row

    # Put one appointment on hold, then lift the hold.
    await st.put(f"{JPM}/appointments/{first}/hold", json={"reasonId": 71, "memo": "valve on order"})
    rows = await watcher.changes()
    assert [(a["id"], a["status"]) for a in rows["appointments"]] == [(first, "Hold")]
    later(rows["appointments"][0])
    assert [j["id"] for j in rows["jobs"]] == [job_id] and rows["logs"] == rows["assignments"] == []
    await st.delete(f"{JPM}/appointments/{first}/hold")
    rows = await watcher.changes()
    assert [(a["id"], a["status"]) for a in later_all(rows["appointments"], later)] == [(first, "Scheduled")]

    # Reschedule it.
    start = fixed_now + timedelta(days=3)
    end = start + timedelta(hours=2)
    await st.patch(
        f"{JPM}/appointments/{first}/reschedule", json={"start": format_ts(start), "end": format_ts(end)}
    )
    rows = await watcher.changes()
    moved = later_all(rows["appointments"], later)
    assert [(a["id"], parse_ts(a["start"]), parse_ts(a["end"])) for a in moved] == [(first, start, end)]

    # Add an appointment with a technician: a new appointment row and a new assignment row.
    added = await st.post(
        f"{JPM}/appointments",
        json={
            "jobId": job_id,
            "start": format_ts(start + timedelta(days=1)),
            "end": format_ts(end + timedelta(days=1)),
            "technicianIds": [technician],
        },
    )
    new_id = added.json()["id"]
    rows = await watcher.changes()
    assert [(a["id"], a["active"], a["createdById"]) for a in rows["appointments"]] == [
        (new_id, True, API_USER_ID)
    ]
    assert [
        (a["appointmentId"], a["technicianId"], a["active"], a["assignedById"]) for a in rows["assignments"]
    ] == [(new_id, technician, True, API_USER_ID)]

    # Assign and unassign the technician on the second appointment.
    await st.post(
        f"{DISPATCH}/appointment-assignments/assign-technicians",
        json={"jobAppointmentId": second, "technicianIds": [technician]},
    )
    rows = await watcher.changes()
    assigned = later_all(rows["assignments"], later)
    assert [(a["appointmentId"], a["technicianId"], a["active"]) for a in assigned] == [
        (second, technician, True)
    ]
    assert parse_ts(assigned[0]["assignedOn"]) == parse_ts(assigned[0]["modifiedOn"])
    await st.post(
        f"{DISPATCH}/appointment-assignments/unassign-technicians",
        json={"jobAppointmentId": second, "technicianIds": [technician]},
    )
    rows = await watcher.changes()
    unassigned = later_all(rows["assignments"], later)
    assert [(a["id"], a["active"]) for a in unassigned] == [(assigned[0]["id"], False)]

    # Delete the added appointment: it stays in its feed as inactive, with its assignment.
    await st.delete(f"{JPM}/appointments/{new_id}")
    rows = await watcher.changes()
    assert [(a["id"], a["active"]) for a in later_all(rows["appointments"], later)] == [(new_id, False)]
    assert [(a["appointmentId"], a["active"]) for a in rows["assignments"]] == [(new_id, False)]

    # Hold the job: the job and both appointments; the reason and who are in the job's history.
    await st.put(f"{JPM}/jobs/{job_id}/hold", json={"reasonId": 73, "memo": "landlord must approve"})
    rows = await watcher.changes()
    assert [(j["id"], j["jobStatus"]) for j in later_all(rows["jobs"], later)] == [(job_id, "Hold")]
    assert sorted((a["id"], a["status"]) for a in rows["appointments"]) == [(first, "Hold"), (second, "Hold")]
    held = (await st.get(f"{JPM}/jobs/{job_id}/history")).json()["history"][-1]
    assert (held["eventType"], held["memo"], held["employeeId"]) == (
        "Job On Hold",
        "Awaiting approval: landlord must approve",
        API_USER_ID,
    )

    # Cancel it: the job, its appointments, and a canceled-log row with the reason, memo and who.
    await st.put(f"{JPM}/jobs/{job_id}/cancel", json={"reasonId": 83, "memo": "went with a competitor"})
    rows = await watcher.changes()
    assert [(j["id"], j["jobStatus"]) for j in later_all(rows["jobs"], later)] == [(job_id, "Canceled")]
    assert {a["status"] for a in rows["appointments"]} == {"Canceled"}
    assert [
        (log["jobId"], log["reasonId"], log["memo"], log["createdById"], log["active"])
        for log in rows["logs"]
    ] == [(job_id, 83, "went with a competitor", API_USER_ID, True)]
    assert parse_ts(rows["logs"][0]["createdOn"]) == parse_ts(rows["jobs"][0]["modifiedOn"])
    log_id = rows["logs"][0]["id"]

    # Remove the cancellation: the job comes back, and its canceled log turns inactive.
    await st.put(f"{JPM}/jobs/{job_id}/remove-cancellation")
    rows = await watcher.changes()
    assert [(j["id"], j["jobStatus"]) for j in later_all(rows["jobs"], later)] == [(job_id, "Scheduled")]
    assert {a["status"] for a in rows["appointments"]} == {"Scheduled"}
    assert [(log["id"], log["active"]) for log in rows["logs"]] == [(log_id, False)]
    log_read = (await st.get(f"{JPM}/jobs/{job_id}/canceled-log")).json()["data"]
    assert [(log["id"], log["active"]) for log in log_read] == [(log_id, False)]

    assert await watcher.changes() == {name: [] for name in FEEDS}, "nothing more changed"


def later_all(rows: list[dict[str, Any]], later: Any) -> list[dict[str, Any]]:
    return [later(row) for row in sorted(rows, key=lambda row: parse_ts(row["modifiedOn"]))]


async def test_a_change_made_as_an_employee_names_them(
    st: httpx.AsyncClient, simulator: Simulator, fixed_now: datetime
) -> None:
    job = two_visit_job(simulator)
    first = simulator.state.job_appointments(job["id"])[0]
    technician = free_technician(simulator, job["id"])
    watcher = Watcher(st)
    await watcher.start_at_end(fixed_now)
    with simulator.acting_as(MANAGER):
        await st.post(
            f"{DISPATCH}/appointment-assignments/assign-technicians",
            json={"jobAppointmentId": first["id"], "technicianIds": [technician]},
        )
        await st.put(f"{JPM}/jobs/{job['id']}/cancel", json={"reasonId": 82, "memo": "moving away"})
    await st.post(f"{JPM}/jobs/{job['id']}/notes", json={"text": "written through the API"})
    rows = await watcher.changes()
    assert [log["createdById"] for log in rows["logs"]] == [MANAGER]
    assert [a["assignedById"] for a in rows["assignments"]] == [MANAGER]
    history = (await st.get(f"{JPM}/jobs/{job['id']}/history")).json()["history"]
    assert [(h["eventType"], h["employeeId"]) for h in history[-2:]] == [
        ("Technician Assigned", MANAGER),
        ("Job Canceled", MANAGER),
    ]
    notes = (await st.get(f"{JPM}/jobs/{job['id']}/notes")).json()["data"]
    assert notes[-1]["createdById"] == API_USER_ID, "outside the block the app writes again"
