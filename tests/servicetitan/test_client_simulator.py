"""The client against the in-process simulator: every method, pagination, batching, exports and the
job-planning rules surfacing as the documented exceptions."""

from __future__ import annotations

import asyncio
import math
from datetime import timedelta
from typing import Any

import pytest

from bot.servicetitan import ServiceTitanClient
from bot.servicetitan.client import BOOKING_KEY
from bot.servicetitan.errors import Conflict, NotFound, ValidationFailed
from bot.servicetitan.models import (
    Appointment,
    AppointmentCreate,
    DispatchAppointment,
    Job,
    JobUpdate,
)
from tests.servicetitan.conftest import NOW, booking, calls, open_job_with_appointments

ST = tuple[ServiceTitanClient, Any]


# --------------------------------------------------------------------------------------------- reads


async def test_reference_lists(st: ST) -> None:
    client, sim = st
    technicians = [t async for t in client.iter_technicians()]
    assert len(technicians) >= 8 and all(t.active for t in technicians)
    assert (await client.get_technician(technicians[0].id)).name == technicians[0].name
    employees = [e async for e in client.iter_employees()]
    assert any(e.name == "Dana Reyes" and e.role == "Dispatch" for e in employees)
    assert len([b async for b in client.iter_business_units()]) >= 3
    assert len([t async for t in client.iter_job_types()]) >= 10
    hold_reasons = [r async for r in client.iter_job_hold_reasons()]
    cancel_reasons = [r async for r in client.iter_job_cancel_reasons()]
    assert hold_reasons and all(r.active for r in hold_reasons)
    assert cancel_reasons and all(r.active for r in cancel_reasons)
    assert [w async for w in client.iter_arrival_windows()]
    assert [c async for c in client.iter_campaigns()]
    projects = [p async for p in client.iter_projects()]
    assert len(projects) >= 5
    assert (await client.get_project(projects[0].id)).number == projects[0].number
    customers = [c async for c in client.iter_customers()]
    assert len(customers) >= 30
    customer = await client.get_customer(customers[0].id)
    assert customer.address is not None
    locations = [loc async for loc in client.iter_locations(customer_id=customer.id)]
    assert locations and all(loc.customer_id == customer.id for loc in locations)
    assert (await client.get_location(locations[0].id)).customer_id == customer.id


async def test_reason_lists_can_include_inactive(st: ST) -> None:
    client, sim = st
    every = [r async for r in client.iter_job_cancel_reasons(active="Any")]
    active = [r async for r in client.iter_job_cancel_reasons()]
    assert len(every) == len(sim.state.job_cancel_reasons)
    assert len(active) == sum(1 for r in sim.state.job_cancel_reasons.values() if r["active"])


async def test_job_reads(st: ST) -> None:
    client, sim = st
    job_id = min(sim.state.jobs)
    job = await client.get_job(job_id)
    assert isinstance(job, Job) and job.id == job_id and job.created_on.tzinfo is not None
    appointments = [a async for a in client.iter_appointments(job_id=job_id)]
    assert {a.id for a in appointments} == {
        a["id"] for a in sim.state.appointments.values() if a["jobId"] == job_id
    }
    assert (await client.get_appointment(appointments[0].id)).job_id == job_id
    assignments = [a async for a in client.iter_appointment_assignments(job_id=job_id)]
    assert all(a.job_id == job_id for a in assignments)
    assert [e.id for e in await client.get_job_history(job_id)] == [
        e["id"] for e in sim.state.history.get(job_id, [])
    ]
    assert [n.text async for n in client.iter_job_notes(job_id)] == [
        n["text"] for n in sim.state.job_notes(job_id)
    ]
    held = [j async for j in client.iter_jobs(job_status="Hold")]
    assert held and all(j.job_status == "Hold" for j in held)


async def test_job_history_records_changes(st: ST) -> None:
    client, sim = st
    job = open_job_with_appointments(sim, 1)
    reason = await anext(r async for r in client.iter_job_hold_reasons())
    await client.hold_appointment(job["firstAppointmentId"], reason_id=reason.id, memo="Waiting on a part")
    history = await client.get_job_history(job["id"])
    assert history and all(entry.date.tzinfo is not None for entry in history)
    assert any(entry.memo == f"{reason.name}: Waiting on a part" for entry in history)  # reason, then memo


async def test_canceled_job_reads(st: ST) -> None:
    client, sim = st
    canceled = [j async for j in client.iter_jobs(job_status="Canceled")]
    assert canceled and all(j.job_status == "Canceled" for j in canceled)
    reasons = await client.get_job_cancel_reasons([j.id for j in canceled])
    assert {r.job_id for r in reasons} == {j.id for j in canceled}
    every = await client.get_job_cancel_reasons(range(1001, 1121))  # 120 ids -> 3 calls of <= 50
    assert {r.job_id for r in every} == {j.id for j in canceled}
    assert len(calls(sim, "GET", "/jobs/cancel-reasons")) == 1 + 3
    logs = [log async for log in client.iter_job_canceled_logs(canceled[0].id)]
    assert logs and logs[0].job_id == canceled[0].id


async def test_date_filters_are_sent_under_the_spec_names(st: ST) -> None:
    client, sim = st
    day_after = NOW + timedelta(days=1)
    found = [a async for a in client.iter_appointments(starts_on_or_after=NOW, starts_before=day_after)]
    expected = {a["id"] for a in sim.state.appointments.values() if NOW <= _utc(a["start"]) < day_after}
    assert {a.id for a in found} == expected
    assert all(NOW <= a.start < day_after for a in found)


def _utc(value: Any) -> Any:
    from bot.servicetitan.models import parse_utc

    return parse_utc(value)


async def test_not_found(st: ST) -> None:
    client, _ = st
    with pytest.raises(NotFound):
        await client.get_job(999_999)
    with pytest.raises(NotFound, match="Technician not found"):
        await client.get_technician(999_999)


async def test_pagination_follows_has_more_page_by_page(st: ST) -> None:
    client, sim = st
    jobs = [j async for j in client.iter_jobs(page_size=7)]
    assert sorted(j.id for j in jobs) == sorted(sim.state.jobs)
    assert len(calls(sim, "GET", "/jobs")) == math.ceil(len(sim.state.jobs) / 7)


async def test_ids_lookups_are_split_into_batches_of_50(st: ST) -> None:
    client, sim = st
    wanted = list(range(1001, 1121))  # 120 ids, some of them beyond the demo data
    jobs = await client.get_jobs(wanted)
    assert [j.id for j in jobs] == [i for i in wanted if i in sim.state.jobs]
    assert len(calls(sim, "GET", "/jobs")) == 3


async def test_exports_follow_continue_from_and_resume_from_the_token(st: ST) -> None:
    client, sim = st
    first = await client.export_jobs()
    assert {j.id for j in first.items} == set(sim.state.jobs)
    assert first.continue_from and first.has_more is False
    assert len(calls(sim, "GET", "/export/jobs")) == math.ceil(len(sim.state.jobs) / 50)
    assert all(j.active is not None for j in first.items)

    job_id = min(sim.state.jobs)
    await client.update_job(job_id, JobUpdate(priority="Urgent"))
    changed = await client.export_jobs(first.continue_from, include_recent_changes=True)
    assert [(j.id, j.priority) for j in changed.items] == [(job_id, "Urgent")]
    nothing_new = await client.export_jobs(changed.continue_from, include_recent_changes=True)
    assert nothing_new.items == []


async def test_other_export_feeds(st: ST) -> None:
    client, sim = st
    appointments = await client.export_appointments()
    assert {a.id for a in appointments.items} >= set(sim.state.appointments)
    logs = await client.export_job_canceled_logs()
    assert logs.items and all(log.active is not None for log in logs.items)
    assignments = await client.export_appointment_assignments()
    assert assignments.items and assignments.continue_from


# --------------------------------------------------------------------------------------------- writes


async def test_book_job_marks_it_so_it_can_be_found_again(st: ST) -> None:
    client, sim = st
    request = await booking(client, sim)
    job = await client.book_job(request)
    assert job.job_status == "Scheduled" and job.appointment_count == 1
    marker = next(e for e in job.external_data if e.key == BOOKING_KEY)
    found = [
        j
        async for j in client.iter_jobs(
            external_data_application_guid=client.application_guid,
            external_data_key=BOOKING_KEY,
            external_data_values=[marker.value],
        )
    ]
    assert [j.id for j in found] == [job.id]
    appointment = await client.get_appointment(job.first_appointment_id)
    assert appointment.start == request.appointments[0].start
    assigned = [
        a.technician_id async for a in client.iter_appointment_assignments(appointment_ids=[appointment.id])
    ]
    assert assigned == request.appointments[0].technician_ids


async def test_book_job_with_unknown_customer_is_a_validation_error(st: ST) -> None:
    client, sim = st
    request = (await booking(client, sim)).model_copy(update={"customer_id": 999_999})
    with pytest.raises(ValidationFailed) as caught:
        await client.book_job(request)
    assert caught.value.errors


async def test_update_job(st: ST) -> None:
    client, sim = st
    job = open_job_with_appointments(sim, 1)
    updated = await client.update_job(job["id"], JobUpdate(priority="High", summary="Bring a ladder"))
    assert (updated.priority, updated.summary) == ("High", "Bring a ladder")
    assert updated.modified_on > _utc(job["modifiedOn"]) or updated.modified_on == NOW


async def test_cancel_then_remove_cancellation(st: ST) -> None:
    client, sim = st
    job = open_job_with_appointments(sim, 1)
    reason = await anext(r async for r in client.iter_job_cancel_reasons())
    await client.cancel_job(job["id"], reason_id=reason.id, memo="Customer found another company")
    assert (await client.get_job(job["id"])).job_status == "Canceled"
    [why] = await client.get_job_cancel_reasons([job["id"]])
    assert (why.reason_id, why.text) == (reason.id, "Customer found another company")
    assert [log.reason_id async for log in client.iter_job_canceled_logs(job["id"])] == [reason.id]
    await client.remove_job_cancellation(job["id"])
    assert (await client.get_job(job["id"])).job_status != "Canceled"


async def test_cancel_needs_an_active_reason_and_a_memo(st: ST) -> None:
    client, sim = st
    job = open_job_with_appointments(sim, 1)
    inactive = [r async for r in client.iter_job_cancel_reasons(active="False")]
    active = await anext(r async for r in client.iter_job_cancel_reasons())
    assert inactive, "demo data should have an inactive cancel reason"
    with pytest.raises(ValidationFailed):
        await client.cancel_job(job["id"], reason_id=inactive[0].id, memo="old reason")
    with pytest.raises(ValidationFailed):
        await client.cancel_job(job["id"], reason_id=active.id, memo="")
    assert (await client.get_job(job["id"])).job_status == "Scheduled"


async def test_hold_job(st: ST) -> None:
    client, sim = st
    job = open_job_with_appointments(sim, 1)
    reason = await anext(r async for r in client.iter_job_hold_reasons())
    await client.hold_job(job["id"], reason_id=reason.id, memo="Waiting for parts")
    assert (await client.get_job(job["id"])).job_status == "Hold"


async def test_job_notes(st: ST) -> None:
    client, sim = st
    job_id = open_job_with_appointments(sim, 1)["id"]
    note = await client.add_job_note(job_id, "Gate code 4411", pin_to_top=True)
    assert note.text == "Gate code 4411" and note.is_pinned
    assert "Gate code 4411" in [n.text async for n in client.iter_job_notes(job_id)]


async def test_appointment_lifecycle(st: ST) -> None:
    client, sim = st
    job = open_job_with_appointments(sim, 1)
    start = NOW + timedelta(days=3)
    added = await client.add_appointment(
        AppointmentCreate(
            job_id=job["id"], start=start, end=start + timedelta(hours=1), special_instructions="Side door"
        )
    )
    assert isinstance(added, Appointment) and added.job_id == job["id"] and added.start == start

    later = start + timedelta(days=1)
    moved = await client.reschedule_appointment(
        added.id,
        start=later,
        end=later + timedelta(hours=2),
        arrival_window_start=later,
        arrival_window_end=later + timedelta(hours=1),
    )
    assert (moved.start, moved.end, moved.arrival_window_start) == (later, later + timedelta(hours=2), later)

    instructed = await client.set_special_instructions(added.id, "Dog in the yard")
    assert instructed.special_instructions == "Dog in the yard"

    reason = await anext(r async for r in client.iter_job_hold_reasons())
    await client.hold_appointment(added.id, reason_id=reason.id, memo="Parts on order")
    assert (await client.get_appointment(added.id)).status == "Hold"
    await client.remove_appointment_hold(added.id)
    assert (await client.get_appointment(added.id)).status != "Hold"

    await client.delete_appointment(added.id)
    with pytest.raises(NotFound):
        await client.get_appointment(added.id)


async def test_deleting_a_jobs_only_appointment_is_a_conflict(st: ST) -> None:
    client, sim = st
    job = open_job_with_appointments(sim, 1)
    with pytest.raises(Conflict) as caught:
        await client.delete_appointment(job["firstAppointmentId"])
    assert caught.value.status == 409
    assert caught.value.title == "Appointment is in the state that doesn't allow deletion"
    assert await client.get_appointment(job["firstAppointmentId"])


async def test_removing_a_hold_that_is_not_there_is_a_conflict(st: ST) -> None:
    client, sim = st
    job = open_job_with_appointments(sim, 1)
    with pytest.raises(Conflict) as caught:
        await client.remove_appointment_hold(job["firstAppointmentId"])
    assert caught.value.title == "Appointment is not on hold"


async def test_hold_needs_a_memo(st: ST) -> None:
    client, sim = st
    job = open_job_with_appointments(sim, 1)
    reason = await anext(r async for r in client.iter_job_hold_reasons())
    with pytest.raises(ValidationFailed):
        await client.hold_appointment(job["firstAppointmentId"], reason_id=reason.id, memo="")


async def test_canceled_job_cannot_be_put_on_hold(st: ST) -> None:
    client, sim = st
    canceled = await anext(j async for j in client.iter_jobs(job_status="Canceled"))
    reason = await anext(r async for r in client.iter_job_hold_reasons())
    with pytest.raises(ValidationFailed) as caught:  # Jobs_Hold declares 400, not 409
        await client.hold_job(canceled.id, reason_id=reason.id, memo="too late")
    assert "canceled" in caught.value.title


async def test_an_appointment_with_timesheets_cannot_be_deleted(st: ST) -> None:
    client, sim = st
    appointment_id = next(
        a
        for a in sorted(sim.state.timesheets)
        if len(sim.state.job_appointments(sim.state.appointments[a]["jobId"])) > 1
    )
    with pytest.raises(Conflict) as caught:
        await client.delete_appointment(appointment_id)
    assert caught.value.title == "Appointment is in the state that doesn't allow deletion"
    assert (await client.get_appointment(appointment_id)).id == appointment_id


async def test_hold_needs_an_active_reason(st: ST) -> None:
    client, sim = st
    job = open_job_with_appointments(sim, 1)
    inactive = [r async for r in client.iter_job_hold_reasons(active="False")]
    assert inactive, "demo data should have an inactive hold reason"
    with pytest.raises(ValidationFailed) as caught:
        await client.hold_job(job["id"], reason_id=inactive[0].id, memo="old reason")
    assert "ReasonId" in caught.value.errors
    with pytest.raises(ValidationFailed):
        await client.hold_appointment(job["firstAppointmentId"], reason_id=inactive[0].id, memo="old reason")


async def test_a_completed_job_cannot_be_canceled(st: ST) -> None:
    client, sim = st
    completed = await anext(j async for j in client.iter_jobs(job_status="Completed"))
    reason = await anext(r async for r in client.iter_job_cancel_reasons())
    with pytest.raises(ValidationFailed, match="completed"):
        await client.cancel_job(completed.id, reason_id=reason.id, memo="too late")
    assert (await client.get_job(completed.id)).job_status == "Completed"


async def test_filters_apply_on_every_page(st: ST) -> None:
    client, sim = st
    scheduled = [j async for j in client.iter_jobs(job_status="Scheduled", page_size=5)]
    assert sorted(j.id for j in scheduled) == sorted(
        j["id"] for j in sim.state.jobs.values() if j["jobStatus"] == "Scheduled"
    )
    assert len(scheduled) > 5


async def test_assign_and_unassign_technicians(st: ST) -> None:
    client, sim = st
    job = open_job_with_appointments(sim, 1)
    appointment_id = job["firstAppointmentId"]
    on_it = {
        a.technician_id async for a in client.iter_appointment_assignments(appointment_ids=[appointment_id])
    }
    newcomer = await anext(t.id async for t in client.iter_technicians() if t.id not in on_it)

    result = await client.assign_technicians(appointment_id, [newcomer])
    assert isinstance(result, DispatchAppointment) and result.id == appointment_id
    after = {
        a.technician_id async for a in client.iter_appointment_assignments(appointment_ids=[appointment_id])
    }
    assert after == on_it | {newcomer}

    await client.unassign_technicians(appointment_id, [newcomer])
    again = {
        a.technician_id async for a in client.iter_appointment_assignments(appointment_ids=[appointment_id])
    }
    assert again == on_it


async def test_unassigning_a_technician_who_is_not_there_is_a_validation_error(st: ST) -> None:
    client, sim = st
    job = open_job_with_appointments(sim, 1)
    on_it = {a.technician_id async for a in client.iter_appointment_assignments(job_id=job["id"])}
    stranger = await anext(t.id async for t in client.iter_technicians() if t.id not in on_it)
    with pytest.raises(ValidationFailed):
        await client.unassign_technicians(job["firstAppointmentId"], [stranger])


async def _on(client: ServiceTitanClient, appointment_id: int) -> set[int]:
    return {
        a.technician_id async for a in client.iter_appointment_assignments(appointment_ids=[appointment_id])
    }


async def _one_on_one_off(st: ST) -> tuple[int, int, int]:
    """An appointment with technician `old` on it and `new` not: (appointment id, old, new)."""
    client, sim = st
    appointment_id = open_job_with_appointments(sim, 1)["firstAppointmentId"]
    on_it = await _on(client, appointment_id)
    old, new = [t.id async for t in client.iter_technicians() if t.id not in on_it][:2]
    await client.assign_technicians(appointment_id, [old])
    return appointment_id, old, new


async def test_replacing_a_technician_takes_the_old_one_off_and_puts_the_new_one_on(st: ST) -> None:
    client, _ = st
    appointment_id, old, new = await _one_on_one_off(st)
    before = await _on(client, appointment_id)

    result = await client.replace_technicians(appointment_id, off=[old], on=[new])
    assert isinstance(result, DispatchAppointment) and result.id == appointment_id
    assert await _on(client, appointment_id) == before - {old} | {new}


async def test_a_refused_replacement_puts_the_old_technician_back(st: ST) -> None:
    client, sim = st
    appointment_id, old, _ = await _one_on_one_off(st)
    before = await _on(client, appointment_id)
    with pytest.raises(ValidationFailed):
        await client.replace_technicians(appointment_id, off=[old], on=[987654])  # no such technician
    assert await _on(client, appointment_id) == before
    assert len(calls(sim, "POST", "/unassign-technicians")) == 1  # the old one came off first ...
    assert len(calls(sim, "POST", "/assign-technicians")) == 3  # ... and went back on after the refusal


# --------------------------------------------------------------------------------------------- auth


async def test_concurrent_first_calls_share_one_token(st: ST) -> None:
    client, sim = st
    job_ids = sorted(sim.state.jobs)[:10]
    jobs = await asyncio.wait_for(asyncio.gather(*(client.get_job(i) for i in job_ids)), timeout=10)
    assert [j.id for j in jobs] == job_ids
    assert len(calls(sim, "POST", "/connect/token")) == 1


async def test_the_clients_requests_are_checked_against_the_openapi_documents(
    st: ST, openapi_conformance: Any
) -> None:
    client, sim = st
    await client.get_job(min(sim.state.jobs))
    [
        j
        async for j in client.iter_jobs(
            job_status="Scheduled", appointment_starts_on_or_after=NOW, page_size=10
        )
    ]
    await client.get_jobs(sorted(sim.state.jobs)[:3])
    api_calls = [entry for entry in sim.request_log if entry[1] != "/connect/token"]
    assert len(api_calls) >= 3
    assert openapi_conformance.checked == len(api_calls)
    assert openapi_conformance.violations == []


def test_from_settings_needs_credentials() -> None:
    from bot.config import Settings

    with pytest.raises(ValueError, match="embedded_client"):
        ServiceTitanClient.from_settings(Settings(_env_file=None))  # type: ignore[call-arg]


def test_benchmark_command_prints_its_table(capsys: pytest.CaptureFixture[str]) -> None:
    from benchmarks.__main__ import main

    assert main(["client", "--iterations", "3", "--warmup", "1"]) == 0
    table = capsys.readouterr().out
    assert "get_job" in table and "iter_jobs" in table and "overhead p50" in table
    assert main([]) == 0 and "client" in capsys.readouterr().out
    assert main(["nope"]) == 2


async def test_ids_may_be_any_iterable_and_none_finds_nothing(st: ST) -> None:
    client, sim = st
    ids = (i for i in (1003, 1001, 1003))
    assert sorted([j.id async for j in client.iter_jobs(ids=ids)]) == [1001, 1003]
    assert [j async for j in client.iter_jobs(ids=[])] == []
    assert await client.get_jobs([]) == []
    assert [a async for a in client.iter_appointment_assignments(appointment_ids=[])] == []


async def test_complete_job_and_confirm_appointment(st: ST) -> None:
    client, sim = st
    job = next(
        j
        for j in open_jobs(sim)
        if any(a["appointmentId"] == j["firstAppointmentId"] for a in sim.state.assignments.values())
    )
    await client.complete_job(job["id"], completed_on=NOW)
    assert (await client.get_job(job["id"])).job_status == "Completed"
    assert calls(sim, "PUT", f"/jobs/{job['id']}/complete")
    with pytest.raises(Conflict):
        await client.complete_job(job["id"], completed_on=NOW)  # already completed: refused, not repeated

    appointment_id = next(a["id"] for a in sim.state.appointments.values() if not a["isConfirmed"])
    await client.confirm_appointment(appointment_id)
    assert (await client.get_appointment(appointment_id)).is_confirmed
    await client.confirm_appointment(appointment_id, confirmed=False)
    assert not (await client.get_appointment(appointment_id)).is_confirmed
    assert [m for m, *_ in calls(sim, "PUT", f"/appointments/{appointment_id}/confirmation")] == ["PUT"]
    assert [m for m, *_ in calls(sim, "DELETE", f"/appointments/{appointment_id}/confirmation")] == ["DELETE"]


def open_jobs(sim: Any) -> list[dict[str, Any]]:
    return [
        j for j in sorted(sim.state.jobs.values(), key=lambda j: j["id"]) if j["jobStatus"] == "Scheduled"
    ]
