"""Seed files (CONTRACT section 4) and the built-in demo data."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from bot.simulator import SIM_CREDENTIALS, Simulator, load_seed
from bot.simulator.demo_data import DEMO_TIMEZONE, build_demo_seed
from bot.simulator.seed import SeedError
from tests.simulator.conftest import CRM, JPM, SETTINGS, raw_client

SEED = {
    "technicians": [{"id": 1, "userId": 11, "name": "Ada Tech", "email": "ada@example.com"}],
    "businessUnits": [{"id": 2, "name": "Plumbing"}],
    "customers": [
        {
            "id": 3,
            "name": "Grace Hopper",
            "address": {
                "street": "1 Main St",
                "city": "Chicago",
                "state": "IL",
                "zip": "60601",
                "country": "USA",
            },
        }
    ],
    "locations": [
        {
            "id": 4,
            "customerId": 3,
            "name": "Home",
            "address": {
                "street": "1 Main St",
                "city": "Chicago",
                "state": "IL",
                "zip": "60601",
                "country": "USA",
            },
        }
    ],
    "jobTypes": [{"id": 5, "name": "Drain Cleaning"}],
    "campaigns": [{"id": 6, "name": "Referral"}],
    "jobCancelReasons": [{"id": 7, "name": "Duplicate"}],
    "jobs": [
        {
            "id": 100,
            "customerId": 3,
            "locationId": 4,
            "businessUnitId": 2,
            "jobTypeId": 5,
            "campaignId": 6,
            "jobStatus": "Scheduled",
            "createdOn": "2026-11-20T10:00:00Z",
            "modifiedOn": "2026-11-20T10:00:00.1234567Z",
        }
    ],
    "appointments": [
        {"id": 200, "jobId": 100, "start": "2026-11-25T14:00:00Z", "end": "2026-11-25T16:00:00Z"},
        {"id": 201, "jobId": 100, "start": "2026-11-26T14:00:00Z", "end": "2026-11-26T16:00:00Z"},
    ],
    "appointmentAssignments": [{"id": 300, "technicianId": 1, "appointmentId": 200}],
    "timesheets": [201],
}


def write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "seed.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


async def test_seed_file_is_served_with_missing_keys_empty(tmp_path: Path, fixed_now: datetime) -> None:
    seed = load_seed(write(tmp_path, SEED))
    assert seed["employees"] == [] and seed["projects"] == []
    sim = Simulator(seed, now=fixed_now)
    token = sim.issue_token()
    async with raw_client(sim, {"Authorization": token, "ST-App-Key": SIM_CREDENTIALS.app_key}) as client:
        job = (await client.get(f"{JPM}/jobs/100")).json()
        assert job["appointmentCount"] == 2 and job["firstAppointmentId"] == 200 and job["jobNumber"] == "100"
        assert job["modifiedOn"] == "2026-11-20T10:00:00.1234560Z"
        assignment = (
            await client.get(f"/dispatch/v2/tenant/{SIM_CREDENTIALS.tenant_id}/appointment-assignments")
        ).json()
        assert assignment["data"][0]["technicianName"] == "Ada Tech" and assignment["data"][0]["jobId"] == 100
        assert (await client.get(f"{SETTINGS}/employees")).json()["data"] == []
        assert (await client.get(f"{CRM}/customers/3")).json()["name"] == "Grace Hopper"
        # Appointment 201 has timesheets, 200 is then the only deletable one.
        refused = await client.delete(f"{JPM}/appointments/201")
        assert refused.status_code == 409
        assert (await client.delete(f"{JPM}/appointments/200")).status_code == 200


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[]", "JSON object"),
        ("{not json", "not valid JSON"),
        ('{"wizards": []}', "unknown keys"),
        ('{"jobs": [{"name": "no id"}]}', "integer id"),
        ('{"timesheets": ["a"]}', "appointment ids"),
    ],
)
def test_bad_seed_files_are_explained(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "seed.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(SeedError, match=message):
        load_seed(path)


def test_missing_seed_file(tmp_path: Path) -> None:
    with pytest.raises(SeedError, match="cannot read"):
        load_seed(tmp_path / "absent.json")


def test_demo_data_has_what_a_dispatcher_expects(simulator: Simulator, fixed_now: datetime) -> None:
    state = simulator.state
    assert len(state.technicians) >= 8
    first_names = Counter(t["name"].split()[0] for t in state.technicians.values())
    assert first_names["Mike"] == 2
    assert {t["name"] for t in state.technicians.values()} >= {"Mike Carter", "Mike Chen"}
    assert state.technicians[41]["email"] == "mike.carter@example.com"
    assert len(state.business_units) == 3 and min(state.business_units) == 11
    assert len(state.customers) == 30 and min(state.customers) == 201
    assert len(state.locations) == 30 and min(state.locations) == 301
    assert len(state.job_types) == 10 and min(state.job_types) == 21
    assert {"Drain Cleaning", "Water Heater Repair", "AC Tune-Up"} <= {
        j["name"] for j in state.job_types.values()
    }
    assert {"Waiting for parts", "Customer requested", "Awaiting approval"} <= {
        r["name"] for r in state.job_hold_reasons.values()
    }
    assert {"Duplicate booking", "Customer canceled"} <= {
        r["name"] for r in state.job_cancel_reasons.values()
    }
    assert min(state.job_hold_reasons) == 71 and min(state.job_cancel_reasons) == 81
    assert min(state.arrival_windows) == 91 and state.arrival_windows[91]["start"] == "08:00"
    assert min(state.campaigns) == 31 and len(state.projects) == 5 and min(state.projects) == 801
    employees = {e["name"]: e for e in state.employees.values()}
    assert (
        employees["Dana Reyes"]["role"] == "Dispatch"
        and employees["Dana Reyes"]["email"] == "dana@example.com"
    )
    assert employees["Morgan Blake"]["role"] == "FieldManager"
    assert len(state.jobs) == 80 and min(state.jobs) == 1001 and min(state.appointments) == 5001
    statuses = Counter(j["jobStatus"] for j in state.jobs.values())
    assert statuses["Hold"] and statuses["Canceled"] and statuses["Completed"] and statuses["Scheduled"]
    assert any(j["appointmentCount"] > 1 for j in state.jobs.values())
    assert state.timesheets and state.assignments
    assert {log["jobId"] for log in state.canceled_logs.values()} == {
        j["id"] for j in state.jobs.values() if j["jobStatus"] == "Canceled"
    }
    starts = [a["start"] for a in state.appointments.values()]
    assert min(starts) >= fixed_now - timedelta(days=8) and max(starts) <= fixed_now + timedelta(days=12)
    assert any(a["start"].date() == fixed_now.date() for a in state.appointments.values())


def test_demo_data_is_deterministic_for_a_given_now(fixed_now: datetime) -> None:
    one, two = Simulator(now=fixed_now), Simulator(now=fixed_now)
    assert one.state.jobs == two.state.jobs and one.state.appointments == two.state.appointments
    later = Simulator(now=fixed_now + timedelta(days=7))
    assert later.state.appointments[5001]["start"] == one.state.appointments[5001]["start"] + timedelta(
        days=7
    )


async def test_campaigns_list(st: httpx.AsyncClient) -> None:
    body = (await st.get(f"/marketing/v2/tenant/{SIM_CREDENTIALS.tenant_id}/campaigns")).json()
    assert [c["name"] for c in body["data"]][:2] == ["Google Ads", "Repeat Customer"]
    assert set(body["data"][0]) == {"id", "name", "active", "createdOn", "modifiedOn"}


ACTIVE_APPOINTMENT_STATUSES = {"Scheduled", "Dispatched", "Working", "Hold"}


def _parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


@pytest.mark.parametrize("hours_later", range(0, 7 * 24, 5))
def test_demo_board_never_double_books_a_technician(fixed_now: datetime, hours_later: int) -> None:
    now = fixed_now + timedelta(hours=hours_later)
    seed = build_demo_seed(now)
    zone = ZoneInfo(DEMO_TIMEZONE)
    appointments = {a["id"]: a for a in seed["appointments"]}
    visits: dict[int, list[tuple[datetime, datetime, int, str]]] = defaultdict(list)
    for assignment in seed["appointmentAssignments"]:
        appointment = appointments[assignment["appointmentId"]]
        visits[assignment["technicianId"]].append(
            (
                _parse(appointment["start"]),
                _parse(appointment["end"]),
                appointment["id"],
                appointment["status"],
            )
        )
    assert len(visits) >= 8  # the work is spread over the crew, not piled on a few
    for technician_id, booked in visits.items():
        active = sorted(v for v in booked if v[3] in ACTIVE_APPOINTMENT_STATUSES)
        for earlier, later in zip(active, active[1:], strict=False):
            assert later[0] >= earlier[1], (
                f"technician {technician_id}: {earlier} overlaps {later} (now {now})"
            )
        per_day = Counter(start.astimezone(zone).date() for start, *_ in booked)
        assert max(per_day.values()) <= 4, (technician_id, per_day)
        for start, end, *_ in booked:
            local_start, local_end = start.astimezone(zone), end.astimezone(zone)
            assert local_start.date() == local_end.date() and local_start.hour >= 7 and local_end.hour <= 18
