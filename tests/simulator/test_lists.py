"""Lists: envelope and paging, filters with inclusive/exclusive UTC bounds, ids limits, unknown params."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
import pytest

from bot.simulator import Simulator
from bot.simulator.timeutil import format_ts, parse_ts
from tests.simulator.conftest import CRM, DISPATCH, JPM, SETTINGS


async def test_pages_follow_has_more_and_default_to_50(st: httpx.AsyncClient, simulator: Simulator) -> None:
    first = (await st.get(f"{JPM}/jobs")).json()
    assert first["pageSize"] == 50 and len(first["data"]) == 50 and first["hasMore"] is True
    assert first["totalCount"] is None
    second = (await st.get(f"{JPM}/jobs", params={"page": 2, "includeTotal": True})).json()
    assert second["hasMore"] is False and second["totalCount"] == len(simulator.state.jobs)
    ids = [j["id"] for j in first["data"] + second["data"]]
    assert ids == sorted(simulator.state.jobs)


async def test_page_size_is_echoed_and_pages_do_not_overlap(st: httpx.AsyncClient) -> None:
    seen: list[int] = []
    page = 1
    while True:
        body = (await st.get(f"{JPM}/appointments", params={"page": page, "pageSize": 30})).json()
        assert body["pageSize"] == 30 and len(body["data"]) <= 30
        seen += [a["id"] for a in body["data"]]
        if not body["hasMore"]:
            break
        page += 1
    assert len(seen) == len(set(seen)) > 60


async def test_starts_window_is_inclusive_then_exclusive(st: httpx.AsyncClient, simulator: Simulator) -> None:
    appointment = simulator.state.appointments[5001]
    start = appointment["start"]
    inclusive = await st.get(
        f"{JPM}/appointments",
        params={"startsOnOrAfter": format_ts(start), "startsBefore": format_ts(start + timedelta(seconds=1))},
    )
    assert 5001 in [a["id"] for a in inclusive.json()["data"]]
    exclusive = await st.get(f"{JPM}/appointments", params={"startsBefore": format_ts(start)})
    assert all(parse_ts(a["start"]) < start for a in exclusive.json()["data"])
    assert 5001 not in [a["id"] for a in exclusive.json()["data"]]


async def test_offsets_are_read_as_utc(st: httpx.AsyncClient, simulator: Simulator) -> None:
    start = simulator.state.appointments[5001]["start"]
    local = start.astimezone(parse_ts("2026-01-01T00:00:00-06:00").tzinfo)
    response = await st.get(
        f"{JPM}/appointments", params={"startsOnOrAfter": local.isoformat(), "pageSize": 500}
    )
    starts = [parse_ts(a["start"]) for a in response.json()["data"]]
    assert starts and min(starts) >= start


async def test_technician_filter_uses_active_assignments(st: httpx.AsyncClient, simulator: Simulator) -> None:
    response = await st.get(f"{JPM}/appointments", params={"technicianId": 41, "pageSize": 500})
    ids = {a["id"] for a in response.json()["data"]}
    expected = {
        a["appointmentId"]
        for a in simulator.state.assignments.values()
        if a["technicianId"] == 41 and a["active"]
    }
    assert ids == expected and ids


@pytest.mark.parametrize("status", ["Hold", "Canceled", "Completed", "Scheduled"])
async def test_job_status_filter(st: httpx.AsyncClient, status: str) -> None:
    jobs = (await st.get(f"{JPM}/jobs", params={"jobStatus": status, "pageSize": 200})).json()["data"]
    assert jobs and all(j["jobStatus"] == status for j in jobs)


async def test_reason_lists_include_inactive_by_default_but_technicians_do_not(
    st: httpx.AsyncClient, simulator: Simulator
) -> None:
    reasons = (await st.get(f"{JPM}/job-hold-reasons")).json()["data"]
    assert any(not r["active"] for r in reasons)
    active = (await st.get(f"{JPM}/job-hold-reasons", params={"active": "True"})).json()["data"]
    assert active and all(r["active"] for r in active)
    simulator.state.technicians[49]["active"] = False
    technicians = (await st.get(f"{SETTINGS}/technicians")).json()["data"]
    assert 49 not in [t["id"] for t in technicians]
    everyone = (await st.get(f"{SETTINGS}/technicians", params={"active": "Any"})).json()["data"]
    assert 49 in [t["id"] for t in everyone]


async def test_name_filter_is_case_insensitive_contains(st: httpx.AsyncClient) -> None:
    mikes = (await st.get(f"{SETTINGS}/technicians", params={"name": "mike"})).json()["data"]
    assert sorted(t["name"] for t in mikes) == ["Mike Carter", "Mike Chen"]


async def test_customer_phone_and_location_filters(st: httpx.AsyncClient) -> None:
    customers = (await st.get(f"{CRM}/customers", params={"phone": "312-555-2000"})).json()["data"]
    assert [c["id"] for c in customers] == [201]
    locations = (await st.get(f"{CRM}/locations", params={"customerId": 201})).json()["data"]
    assert [loc["id"] for loc in locations] == [301]


async def test_ids_lookup_and_limit(st: httpx.AsyncClient) -> None:
    ok = await st.get(f"{JPM}/jobs", params={"ids": "1001,1002,1003"})
    assert [j["id"] for j in ok.json()["data"]] == [1001, 1002, 1003]
    too_many = await st.get(f"{JPM}/jobs", params={"ids": ",".join(str(1001 + i) for i in range(51))})
    assert too_many.status_code == 400
    assert too_many.json()["errors"]["Ids"] == ["Simple IDs lookup should not exceed 50 ids"]
    fifty = await st.get(f"{JPM}/jobs", params={"ids": ",".join(str(1001 + i) for i in range(50))})
    assert fifty.status_code == 200 and len(fifty.json()["data"]) == 50


async def test_unknown_query_parameters_are_ignored(st: httpx.AsyncClient) -> None:
    plain = (await st.get(f"{DISPATCH}/appointment-assignments")).json()
    odd = (await st.get(f"{DISPATCH}/appointment-assignments", params={"technicianId": 41})).json()
    assert odd == plain


@pytest.mark.allow_nonconforming_requests
async def test_bad_values_of_documented_parameters_are_400(st: httpx.AsyncClient) -> None:
    response = await st.get(f"{JPM}/jobs", params={"pageSize": "lots", "modifiedOnOrAfter": "yesterday"})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"pageSize", "modifiedOnOrAfter"}


@pytest.mark.allow_nonconforming_requests
async def test_wrong_verb_is_405_and_jobs_cannot_be_deleted(
    st: httpx.AsyncClient, simulator: Simulator
) -> None:
    deleted = await st.delete(f"{JPM}/jobs/1001")
    assert deleted.status_code == 405
    assert "GET" in deleted.headers["allow"]
    post_cancel = await st.post(f"{JPM}/jobs/1001/cancel", json={"reasonId": 81, "memo": "wrong verb"})
    assert post_cancel.status_code == 405
    assert 1001 in simulator.state.jobs and simulator.state.jobs[1001]["jobStatus"] != "Canceled"
    assert simulator.write_count == 0


async def test_unknown_record_is_404_problem(st: httpx.AsyncClient) -> None:
    response = await st.get(f"{JPM}/jobs/999999")
    assert response.status_code == 404
    assert response.json()["title"] == "Job was not found"


async def test_timestamps_are_utc_with_z(st: httpx.AsyncClient, fixed_now: datetime) -> None:
    job = (await st.get(f"{JPM}/jobs/1001")).json()
    for key in ("createdOn", "modifiedOn"):
        assert job[key].endswith("Z")
        assert parse_ts(job[key]) <= fixed_now


async def test_reads_never_change_state(st: httpx.AsyncClient, simulator: Simulator) -> None:
    before = (simulator.state.seq, {k: dict(v) for k, v in simulator.state.jobs.items()})
    for path in (f"{JPM}/jobs", f"{JPM}/appointments", f"{JPM}/export/jobs", f"{JPM}/jobs/1001/history"):
        assert (await st.get(path)).status_code == 200
    assert (simulator.state.seq, simulator.state.jobs) == before
    assert simulator.write_count == 0
