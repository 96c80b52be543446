"""Auth flow and retry policy against a scripted ServiceTitan (httpx.MockTransport)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from bot.servicetitan.errors import (
    AuthError,
    Conflict,
    NotFound,
    OutcomeUnknown,
    RateLimited,
    ServiceTitanError,
    Unavailable,
)
from bot.servicetitan.models import ExternalData, ExternalDataCreate, JobAppointmentCreate, JobCreate
from tests.servicetitan.scripted import (
    APPOINTMENT,
    JOB,
    TENANT,
    ScriptedServiceTitan,
    body_of,
    page,
    problem,
    scripted_client,
)

BOOKED_START = datetime(2026, 11, 26, 15, tzinfo=UTC)


def booking(**extra: Any) -> JobCreate:
    """A two-hour visit for customer 201 at location 301, plus ``extra`` fields."""
    return JobCreate(
        customer_id=201,
        location_id=301,
        business_unit_id=11,
        job_type_id=21,
        campaign_id=31,
        appointments=[JobAppointmentCreate(start=BOOKED_START, end=BOOKED_START + timedelta(hours=2))],
        **extra,
    )


async def test_every_call_carries_bearer_app_key_and_tenant_path() -> None:
    fake = ScriptedServiceTitan()
    fake.on("GET", "jobs/1001", httpx.Response(200, json=JOB))
    client, _ = scripted_client(fake)
    async with client:
        job = await client.get_job(1001)
    assert job.id == 1001
    token_request, call = fake.requests
    assert token_request.url == "https://auth.example.test/connect/token"
    assert token_request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert token_request.content == b"grant_type=client_credentials&client_id=cid&client_secret=secret"
    assert str(call.url) == f"https://api.example.test/jpm/v2/tenant/{TENANT}/jobs/1001"
    assert call.headers["authorization"] == "Bearer token-1"
    assert call.headers["st-app-key"] == "app-key"


async def test_token_is_cached_until_60_seconds_before_expiry() -> None:
    now = [1000.0]
    fake = ScriptedServiceTitan(token_lifetime=900)
    fake.on("GET", "jobs/1001", httpx.Response(200, json=JOB))
    client, _ = scripted_client(fake, monotonic=lambda: now[0])
    async with client:
        await client.get_job(1001)
        now[0] += 839
        await client.get_job(1001)
        assert fake.tokens_issued == 1
        now[0] += 2  # 841 s after issue: inside the 60 s safety margin
        await client.get_job(1001)
        assert fake.tokens_issued == 2


async def test_concurrent_callers_share_one_token_request() -> None:
    fake = ScriptedServiceTitan(token_gate=asyncio.Event())
    fake.on("GET", "jobs/1001", httpx.Response(200, json=JOB))
    client, _ = scripted_client(fake)
    async with client:
        calls = [asyncio.create_task(client.get_job(1001)) for _ in range(20)]
        # The first caller is now inside the token request; every other caller queues behind it.
        await asyncio.wait_for(fake.token_requested.wait(), timeout=5)
        fake.token_gate.set()  # type: ignore[union-attr]
        jobs = await asyncio.wait_for(asyncio.gather(*calls), timeout=5)
    assert [job.id for job in jobs] == [1001] * 20
    assert len([r for r in fake.requests if r.url.path == "/connect/token"]) == 1
    assert client.auth.tokens_fetched == 1


async def test_401_refreshes_once_and_retries() -> None:
    fake = ScriptedServiceTitan()
    seen: list[str] = []

    def job(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["authorization"])
        return httpx.Response(200, json=JOB)

    fake.on("GET", "jobs/1001", job)
    client, _ = scripted_client(fake)
    async with client:
        await client.get_job(1001)
        fake.valid_tokens.clear()  # the server revokes token-1: the next call gets a 401 first
        again = await client.get_job(1001)
    assert again.id == 1001
    assert fake.tokens_issued == 2
    assert seen == ["Bearer token-1", "Bearer token-2"]
    assert len(fake.calls("GET", "jobs/1001")) == 3


async def test_persistent_401_raises_auth_error_after_one_refresh() -> None:
    fake = ScriptedServiceTitan()
    fake.on("GET", "jobs/1001", problem(401, "Unauthorized"))
    client, _ = scripted_client(fake)
    async with client:
        with pytest.raises(AuthError):
            await client.get_job(1001)
    assert fake.tokens_issued == 2
    assert len(fake.calls("GET", "jobs/1001")) == 2


async def test_bad_credentials_raise_auth_error() -> None:
    fake = ScriptedServiceTitan(token_replies=[httpx.Response(400, json={"error": "invalid_client"})])
    client, _ = scripted_client(fake)
    async with client:
        with pytest.raises(AuthError, match="refused the client credentials"):
            await client.get_job(1001)


@pytest.mark.parametrize(
    ("throttle", "expected_wait"),
    [
        (problem(429, "Too many requests", **{"Retry-After": "3"}), 3.0),
        (problem(429, "Too many requests", **{"Retry-After": "Tue, 24 Nov 2026 12:00:05 GMT"}), 5.0),
        (problem(429, "Rate limit is exceeded. Try again in 2 seconds."), 2.0),
    ],
    ids=["header-seconds", "header-http-date", "title-in-n-seconds"],
)
async def test_reads_wait_as_told_on_429(throttle: httpx.Response, expected_wait: float) -> None:
    fake = ScriptedServiceTitan()
    fake.on("GET", "jobs/1001", throttle, httpx.Response(200, json=JOB))
    client, sleeps = scripted_client(fake, clock=lambda: datetime(2026, 11, 24, 12, 0, 0, tzinfo=UTC))
    async with client:
        job = await client.get_job(1001)
    assert job.id == 1001
    assert sleeps.waits == [expected_wait]


async def test_429_beyond_retries_raises_rate_limited_with_the_wait() -> None:
    fake = ScriptedServiceTitan()
    fake.on("GET", "jobs/1001", problem(429, "Too many requests", **{"Retry-After": "1"}))
    client, sleeps = scripted_client(fake, max_retries=2)
    async with client:
        with pytest.raises(RateLimited) as caught:
            await client.get_job(1001)
    assert caught.value.retry_after == 1.0
    assert sleeps.waits == [1.0, 1.0]
    assert len(fake.calls("GET", "jobs/1001")) == 3


async def test_reads_retry_5xx_and_timeouts_with_capped_exponential_backoff() -> None:
    fake = ScriptedServiceTitan()
    fake.on(
        "GET",
        "jobs/1001",
        problem(503, "Service Unavailable"),
        httpx.ReadTimeout("slow"),
        problem(500, "Internal"),
        httpx.Response(200, json=JOB),
    )
    client, sleeps = scripted_client(fake, backoff_base=1.0, backoff_cap=3.0, max_retries=3)
    async with client:
        job = await client.get_job(1001)
    assert job.id == 1001
    assert sleeps.waits == [1.0, 2.0, 3.0]  # jitter pinned to the top of the range; capped at 3 s


async def test_jitter_spreads_backoff_between_half_and_full() -> None:
    fake = ScriptedServiceTitan()
    fake.on("GET", "jobs/1001", problem(503, "down"), httpx.Response(200, json=JOB))
    client, sleeps = scripted_client(fake, backoff_base=2.0, jitter=lambda: 0.0)
    async with client:
        await client.get_job(1001)
    assert sleeps.waits == [1.0]


async def test_reads_give_up_after_max_retries() -> None:
    fake = ScriptedServiceTitan()
    fake.on("GET", "jobs/1001", problem(502, "Bad gateway"))
    client, sleeps = scripted_client(fake, max_retries=1)
    async with client:
        with pytest.raises(Unavailable):
            await client.get_job(1001)
    assert len(fake.calls("GET", "jobs/1001")) == 2


async def test_404_is_not_retried() -> None:
    fake = ScriptedServiceTitan()
    fake.on("GET", "jobs/9", problem(404, "Job not found"))
    client, sleeps = scripted_client(fake)
    async with client:
        with pytest.raises(NotFound, match="Job not found"):
            await client.get_job(9)
    assert sleeps.waits == []


async def test_write_5xx_is_reread_and_reported_done_when_applied() -> None:
    fake = ScriptedServiceTitan()
    moved = {**APPOINTMENT, "start": "2026-11-25T15:00:00Z", "end": "2026-11-25T17:00:00Z"}
    fake.on("PATCH", "appointments/5001/reschedule", problem(500, "Internal"))
    fake.on("GET", "appointments/5001", httpx.Response(200, json=moved))
    client, _ = scripted_client(fake)
    start = datetime(2026, 11, 25, 15, tzinfo=UTC)
    async with client:
        result = await client.reschedule_appointment(5001, start=start, end=start + timedelta(hours=2))
    assert result.start == start
    assert len(fake.calls("PATCH", "appointments/5001/reschedule")) == 1


async def test_write_timeout_not_applied_is_sent_once_more() -> None:
    fake = ScriptedServiceTitan()
    moved = {**APPOINTMENT, "start": "2026-11-25T15:00:00Z", "end": "2026-11-25T17:00:00Z"}
    fake.on(
        "PATCH", "appointments/5001/reschedule", httpx.ReadTimeout("lost"), httpx.Response(200, json=moved)
    )
    fake.on("GET", "appointments/5001", httpx.Response(200, json=APPOINTMENT))
    client, _ = scripted_client(fake)
    start = datetime(2026, 11, 25, 15, tzinfo=UTC)
    async with client:
        result = await client.reschedule_appointment(5001, start=start, end=start + timedelta(hours=2))
    assert result.start == start
    assert len(fake.calls("PATCH", "appointments/5001/reschedule")) == 2
    assert len(fake.calls("GET", "appointments/5001")) == 1


async def test_write_that_keeps_failing_is_unavailable_not_retried_blindly() -> None:
    fake = ScriptedServiceTitan()
    fake.on("PUT", "jobs/1001/cancel", problem(503, "down"))
    fake.on("GET", "jobs/1001", httpx.Response(200, json=JOB))
    client, _ = scripted_client(fake, max_retries=5)
    async with client:
        with pytest.raises(Unavailable, match="did not apply it after a second try") as raised:
            await client.cancel_job(1001, reason_id=81, memo="customer called")
    assert not isinstance(raised.value, OutcomeUnknown)  # read back: it is certainly not applied
    assert len(fake.calls("PUT", "jobs/1001/cancel")) == 2  # not max_retries + 1


async def test_write_with_unknown_outcome_and_unreadable_state_says_so() -> None:
    fake = ScriptedServiceTitan()
    fake.on("PUT", "appointments/5001/hold", httpx.ReadTimeout("lost"))
    fake.on("GET", "appointments/5001", problem(503, "down"))
    client, _ = scripted_client(fake, max_retries=1)
    async with client:
        with pytest.raises(OutcomeUnknown, match="outcome is unknown"):
            await client.hold_appointment(5001, reason_id=71, memo="parts")
    assert len(fake.calls("PUT", "appointments/5001/hold")) == 1


async def test_write_conflict_after_unknown_outcome_is_checked_again() -> None:
    fake = ScriptedServiceTitan()
    fake.on(
        "DELETE",
        "appointments/5001/hold",
        httpx.ReadTimeout("lost"),
        problem(409, "Appointment is not on hold"),
    )
    fake.on(
        "GET",
        "appointments/5001",
        httpx.Response(200, json={**APPOINTMENT, "status": "Hold"}),
        httpx.Response(200, json=APPOINTMENT),
    )
    client, _ = scripted_client(fake)
    async with client:
        await client.remove_appointment_hold(5001)  # the first call had worked after all
    assert len(fake.calls("DELETE", "appointments/5001/hold")) == 2


async def test_write_429_is_retried_because_it_was_not_processed() -> None:
    fake = ScriptedServiceTitan()
    fake.on("PUT", "jobs/1001/cancel", problem(429, "slow down", **{"Retry-After": "1"}), httpx.Response(200))
    client, sleeps = scripted_client(fake)
    async with client:
        await client.cancel_job(1001, reason_id=81, memo="dup")
    assert sleeps.waits == [1.0]
    assert body_of(fake.calls("PUT", "jobs/1001/cancel")[0]) == {"reasonId": 81, "memo": "dup"}
    assert fake.calls("GET", "jobs/1001") == []


async def test_write_not_sent_because_connection_failed_is_retried() -> None:
    fake = ScriptedServiceTitan()
    fake.on(
        "POST",
        "jobs/1001/notes",
        httpx.ConnectError("refused"),
        httpx.Response(
            200,
            json={
                "text": "hi",
                "isPinned": False,
                "createdById": 1,
                "createdOn": "2026-11-24T10:00:00Z",
                "modifiedOn": "2026-11-24T10:00:00Z",
            },
        ),
    )
    fake.on("GET", "jobs/1001/notes", page([]))
    client, sleeps = scripted_client(fake)
    async with client:
        note = await client.add_job_note(1001, "hi")
    assert note.text == "hi"
    assert len(sleeps.waits) == 1


async def test_retry_after_longer_than_we_wait_raises_at_once() -> None:
    fake = ScriptedServiceTitan()
    fake.on("GET", "jobs/1001", problem(429, "Try again in 600 seconds."))
    client, sleeps = scripted_client(fake, max_retry_wait=30)
    async with client:
        with pytest.raises(RateLimited) as caught:
            await client.get_job(1001)
    assert caught.value.retry_after == 600
    assert sleeps.waits == []


async def test_conflict_on_first_write_is_raised_unchanged() -> None:
    fake = ScriptedServiceTitan()
    fake.on(
        "DELETE", "appointments/5001", problem(409, "Appointment is in the state that doesn't allow deletion")
    )
    client, _ = scripted_client(fake)
    async with client:
        with pytest.raises(Conflict) as caught:
            await client.delete_appointment(5001)
    assert caught.value.title == "Appointment is in the state that doesn't allow deletion"


async def test_a_body_of_the_wrong_shape_is_a_servicetitan_error() -> None:
    fake = ScriptedServiceTitan()
    fake.on("GET", "jobs/1001", httpx.Response(200, json={"id": 1001}))
    fake.on("GET", "jobs/1002", httpx.Response(200, text="<html>maintenance</html>"))
    client, _ = scripted_client(fake)
    async with client:
        with pytest.raises(ServiceTitanError, match="cannot read"):
            await client.get_job(1001)
        with pytest.raises(ServiceTitanError, match="not JSON"):
            await client.get_job(1002)


async def test_many_callers_refused_at_once_share_one_new_token() -> None:
    fake = ScriptedServiceTitan()
    fake.on("GET", "jobs/1001", httpx.Response(200, json=JOB))
    client, _ = scripted_client(fake)
    async with client:
        await client.get_job(1001)
        fake.valid_tokens.clear()  # token-1 is revoked: every caller below is refused once
        fake.token_gate = asyncio.Event()
        fake.token_requested.clear()
        calls = [asyncio.create_task(client.get_job(1001)) for _ in range(10)]
        await asyncio.wait_for(fake.token_requested.wait(), timeout=5)
        fake.token_gate.set()
        jobs = await asyncio.wait_for(asyncio.gather(*calls), timeout=5)
    assert [job.id for job in jobs] == [1001] * 10
    assert fake.tokens_issued == 2
    # Callers that went out with the revoked token were refused once and retried; the others waited for
    # the new token instead of sending a request bound to fail.
    assert fake.refused >= 1
    assert len(fake.calls("GET", "jobs/1001")) == 1 + 10 + fake.refused


async def test_booking_with_unknown_outcome_is_looked_up_by_the_callers_external_data() -> None:
    fake = ScriptedServiceTitan()
    booked = {**JOB, "id": 1200, "externalData": [{"key": "slackRequestId", "value": "T1-C1-42"}]}
    fake.on("POST", "jobs", problem(504, "Gateway Timeout"))
    fake.on("GET", "jobs", page([booked]))
    client, _ = scripted_client(fake)
    request = booking(
        external_data=ExternalDataCreate(
            application_guid="0f8fad5b-d9cb-469f-a165-70867728950e",
            external_data=[ExternalData(key="slackRequestId", value="T1-C1-42")],
        ),
    )
    async with client:
        job = await client.book_job(request)
    assert job.id == 1200
    [post] = fake.calls("POST", "jobs")
    assert body_of(post)["externalData"] == {
        "applicationGuid": "0f8fad5b-d9cb-469f-a165-70867728950e",
        "externalData": [{"key": "slackRequestId", "value": "T1-C1-42"}],
    }
    [lookup] = fake.calls("GET", "jobs")
    assert dict(lookup.url.params) == {
        "externalDataApplicationGuid": "0f8fad5b-d9cb-469f-a165-70867728950e",
        "externalDataKey": "slackRequestId",
        "externalDataValues": "T1-C1-42",
        "page": "1",
        "pageSize": "200",
    }


async def test_booking_without_external_data_gets_the_clients_marker() -> None:
    fake = ScriptedServiceTitan()
    fake.on("POST", "jobs", lambda request: httpx.Response(200, json=JOB))
    client, _ = scripted_client(fake)
    request = booking()
    async with client:
        await client.book_job(request)
        await client.book_job(request)
    first, second = (body_of(r)["externalData"] for r in fake.calls("POST", "jobs"))
    assert first["applicationGuid"] == client.application_guid
    assert first["externalData"][0]["key"] == "stbotRequestId"
    assert first["externalData"][0]["value"] != second["externalData"][0]["value"]  # one marker per booking
