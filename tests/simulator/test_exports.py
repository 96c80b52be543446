"""Export feeds: opaque continuation tokens, batches, writes showing up, date strings for `from`."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
import pytest

from bot.simulator import SIM_CREDENTIALS, Simulator
from bot.simulator.timeutil import format_ts, parse_ts
from tests.simulator.conftest import DISPATCH, JPM, drain, raw_client


async def test_full_export_then_only_changes(st: httpx.AsyncClient, simulator: Simulator) -> None:
    jobs, token = await drain(st, f"{JPM}/export/jobs")
    assert sorted(j["id"] for j in jobs) == sorted(simulator.state.jobs)
    modified = [parse_ts(j["modifiedOn"]) for j in jobs]
    assert modified == sorted(modified), "exports come in modification order"
    nothing, same = await drain(st, f"{JPM}/export/jobs", token)
    assert nothing == [] and same == token
    job = next(j for j in simulator.state.jobs.values() if j["jobStatus"] == "Scheduled")
    await st.put(f"{JPM}/jobs/{job['id']}/cancel", json={"reasonId": 81, "memo": "Booked twice"})
    changed, _ = await drain(st, f"{JPM}/export/jobs", token)
    assert [(j["id"], j["jobStatus"], j["active"]) for j in changed] == [(job["id"], "Canceled", True)]
    assert (
        parse_ts(changed[0]["modifiedOn"]) > max(modified)
        or parse_ts(changed[0]["modifiedOn"]) >= job["createdOn"]
    )


@pytest.mark.parametrize(
    "feed",
    [
        f"{JPM}/export/appointments",
        f"{JPM}/export/job-canceled-logs",
        f"{DISPATCH}/export/appointment-assignments",
    ],
)
async def test_every_feed_continues_in_batches(
    st: httpx.AsyncClient, simulator: Simulator, feed: str
) -> None:
    simulator.state.export_batch_size = 7
    items, _ = await drain(st, feed)
    ids = [i["id"] for i in items]
    assert len(ids) == len(set(ids)) > 0


async def test_writes_show_in_appointment_and_assignment_feeds(
    st: httpx.AsyncClient, simulator: Simulator
) -> None:
    _, appointments_token = await drain(st, f"{JPM}/export/appointments")
    _, assignments_token = await drain(st, f"{DISPATCH}/export/appointment-assignments")
    _, logs_token = await drain(st, f"{JPM}/export/job-canceled-logs")
    job = next(
        j
        for j in simulator.state.jobs.values()
        if j["jobStatus"] == "Scheduled" and len(simulator.state.job_appointments(j["id"])) == 2
    )
    first, second = simulator.state.job_appointments(job["id"])
    await st.put(f"{JPM}/appointments/{first['id']}/hold", json={"reasonId": 71, "memo": "Waiting on valve"})
    await st.post(
        f"{DISPATCH}/appointment-assignments/assign-technicians",
        json={"jobAppointmentId": second["id"], "technicianIds": [48]},
    )
    await st.delete(f"{JPM}/appointments/{second['id']}")
    await st.put(f"{JPM}/jobs/{job['id']}/cancel", json={"reasonId": 82, "memo": "Sold the house"})
    appointments, _ = await drain(st, f"{JPM}/export/appointments", appointments_token)
    by_id = {a["id"]: a for a in appointments}
    assert by_id[first["id"]]["status"] == "Canceled"
    assert by_id[second["id"]]["active"] is False, "deleted appointments show as inactive"
    assignments, _ = await drain(st, f"{DISPATCH}/export/appointment-assignments", assignments_token)
    assert assignments == [], "the new assignment ended inactive, and the feed shows active ones by default"
    every, _ = await drain(st, f"{DISPATCH}/export/appointment-assignments", assignments_token, active="Any")
    assert any(a["technicianId"] == 48 and a["active"] is False for a in every)
    logs, _ = await drain(st, f"{JPM}/export/job-canceled-logs", logs_token)
    assert [(log["jobId"], log["reasonId"], log["memo"]) for log in logs] == [
        (job["id"], 82, "Sold the house")
    ]


async def test_from_accepts_a_date_string(st: httpx.AsyncClient, fixed_now: datetime) -> None:
    since = fixed_now - timedelta(days=2)
    items, _ = await drain(st, f"{JPM}/export/jobs", since.date().isoformat())
    assert items and all(parse_ts(j["modifiedOn"]) >= since.replace(hour=0) for j in items)
    later, _ = await drain(st, f"{JPM}/export/jobs", format_ts(fixed_now + timedelta(days=1)))
    assert later == []


async def test_bad_token_is_400(st: httpx.AsyncClient) -> None:
    response = await st.get(f"{JPM}/export/jobs", params={"from": "not a token!"})
    assert response.status_code == 400
    assert "from" in response.json()["errors"]


async def test_recent_changes_come_early_and_again_until_they_settle(fixed_now: datetime) -> None:
    current = [fixed_now]
    sim = Simulator(now=fixed_now, clock=lambda: current[0], export_delay_minutes=15)
    headers = {"Authorization": sim.issue_token(), "ST-App-Key": SIM_CREDENTIALS.app_key}
    recent_demo = {
        i for i, j in sim.state.jobs.items() if j["modifiedOn"] > fixed_now - timedelta(minutes=15)
    }
    assert recent_demo, "the demo data has jobs changed in the last 15 minutes"
    async with raw_client(sim, headers) as st:
        # Without includeRecentChanges a change shows 15 minutes late, and the token waits before it.
        settled, token = await drain(st, f"{JPM}/export/jobs")
        assert {j["id"] for j in settled} == set(sim.state.jobs) - recent_demo
        job = next(j for j in sim.state.jobs.values() if j["jobStatus"] == "Scheduled")
        await st.post(f"{JPM}/jobs/{job['id']}/notes", json={"text": "seen later"})
        hidden, same = await drain(st, f"{JPM}/export/jobs", token)
        assert hidden == [] and same == token
        # With it, recent changes come at once, and again on every pass while they are recent.
        recent, after_recent = await drain(st, f"{JPM}/export/jobs", token, includeRecentChanges="true")
        assert sorted(j["id"] for j in recent) == sorted(recent_demo | {job["id"]})
        again, after_again = await drain(st, f"{JPM}/export/jobs", after_recent, includeRecentChanges="true")
        assert again == recent and after_again == after_recent
        current[0] = fixed_now + timedelta(minutes=16)
        st.headers["Authorization"] = sim.issue_token()  # the first one expired with the 15 minutes
        later, after_later = await drain(st, f"{JPM}/export/jobs", after_recent)
        assert sorted(j["id"] for j in later) == sorted(recent_demo | {job["id"]})
        done, _ = await drain(st, f"{JPM}/export/jobs", after_later, includeRecentChanges="true")
        assert done == [], "once settled, a change is not repeated"


async def test_a_pass_over_more_recent_changes_than_a_batch_ends(fixed_now: datetime) -> None:
    sim = Simulator(now=fixed_now, export_delay_minutes=15)
    sim.state.export_batch_size = 2
    headers = {"Authorization": sim.issue_token(), "ST-App-Key": SIM_CREDENTIALS.app_key}
    async with raw_client(sim, headers) as st:
        _, token = await drain(st, f"{JPM}/export/jobs", format_ts(fixed_now))
        jobs = [j for j in sim.state.jobs.values() if j["jobStatus"] == "Scheduled"][:5]
        for job in jobs:
            await st.post(f"{JPM}/jobs/{job['id']}/notes", json={"text": "a change"})
        first, after_first = await drain(st, f"{JPM}/export/jobs", token, includeRecentChanges="true")
        assert [j["id"] for j in first] == [j["id"] for j in jobs]
        second, _ = await drain(st, f"{JPM}/export/jobs", after_first, includeRecentChanges="true")
        assert second == first
