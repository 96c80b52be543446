"""Problem bodies -> exception tree, Retry-After parsing, and the models' UTC/alias handling."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from bot.servicetitan.errors import (
    AuthError,
    Conflict,
    NotFound,
    RateLimited,
    ServiceTitanError,
    Unavailable,
    ValidationFailed,
    error_from_response,
    retry_after_seconds,
)
from bot.servicetitan.models import (
    Appointment,
    AppointmentCreate,
    ExportBatch,
    Job,
    JobAppointmentCreate,
    JobCreate,
    JobUpdate,
    Page,
    format_utc,
    parse_utc,
)
from tests.servicetitan.scripted import APPOINTMENT, JOB, problem


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, ValidationFailed),
        (401, AuthError),
        (403, AuthError),
        (404, NotFound),
        (409, Conflict),
        (422, ValidationFailed),
        (429, RateLimited),
        (500, Unavailable),
        (503, Unavailable),
    ],
)
def test_status_maps_to_exception(status: int, kind: type[ServiceTitanError]) -> None:
    error = error_from_response(problem(status, "Something"))
    assert type(error) is kind
    assert isinstance(error, ServiceTitanError)
    assert error.status == status
    assert error.trace_id == "trace-1"


def test_conflict_keeps_servicetitans_message() -> None:
    error = error_from_response(problem(409, "Appointment is in the state that doesn't allow deletion"))
    assert isinstance(error, Conflict)
    assert error.title == "Appointment is in the state that doesn't allow deletion"
    assert "doesn't allow deletion" in str(error)


def test_validation_carries_field_errors() -> None:
    response = problem(
        400,
        "One or more validation errors occurred.",
        errors={"Ids": ["Simple IDs lookup should not exceed 50 ids"]},
    )
    error = error_from_response(response)
    assert isinstance(error, ValidationFailed)
    assert error.errors == {"Ids": ["Simple IDs lookup should not exceed 50 ids"]}
    assert "Ids: Simple IDs lookup" in str(error)


def test_error_without_problem_body_uses_reason_phrase() -> None:
    error = error_from_response(httpx.Response(502, text="<html>bad gateway</html>"))
    assert isinstance(error, Unavailable)
    assert error.title == "Bad Gateway"


def test_retry_after_in_seconds() -> None:
    assert retry_after_seconds({"retry-after": "7"}, None) == 7.0


def test_retry_after_as_http_date() -> None:
    now = datetime(2026, 11, 24, 12, 0, 0, tzinfo=UTC)
    headers = {"retry-after": "Tue, 24 Nov 2026 12:00:12 GMT"}
    assert retry_after_seconds(headers, None, now=now) == 12.0
    # A date in the past means "now".
    assert retry_after_seconds(headers, None, now=now + timedelta(minutes=1)) == 0.0


def test_retry_after_from_title() -> None:
    assert retry_after_seconds({}, "Rate limit is exceeded. Try again in 23 seconds.") == 23.0
    assert retry_after_seconds({}, "Too many requests") is None


def test_rate_limited_reads_wait_from_title_without_header() -> None:
    error = error_from_response(problem(429, "Rate limit is exceeded. Try again in 4 seconds."))
    assert isinstance(error, RateLimited)
    assert error.retry_after == 4.0


def test_seven_digit_fractions_parse_to_aware_utc() -> None:
    parsed = parse_utc("2021-07-19T20:35:38.2876004Z")
    assert parsed == datetime(2021, 7, 19, 20, 35, 38, 287600, tzinfo=UTC)
    assert parse_utc("2021-07-19T00:00:00") == datetime(2021, 7, 19, tzinfo=UTC)
    assert parse_utc("2021-07-19T01:00:00+01:00") == datetime(2021, 7, 19, tzinfo=UTC)


def test_datetimes_are_sent_as_utc_with_z() -> None:
    chicago_like = timezone(timedelta(hours=-6))
    assert format_utc(datetime(2026, 11, 24, 9, 0, tzinfo=chicago_like)) == "2026-11-24T15:00:00Z"
    assert format_utc(datetime(2026, 11, 24, 9, 0, 0, 250000, tzinfo=UTC)) == "2026-11-24T09:00:00.250000Z"
    with pytest.raises(ValueError, match="timezone-aware"):
        format_utc(datetime(2026, 11, 24, 9, 0))


def test_job_parses_with_snake_case_and_keeps_unknown_fields() -> None:
    job = Job.model_validate({**JOB, "isAutoDispatched": True})
    assert job.job_status == "Scheduled"
    assert job.created_on.tzinfo is not None and job.created_on.microsecond == 287600
    assert job.model_extra == {"isAutoDispatched": True}
    assert Job(**{**job.model_dump()}).id == 1001  # populate_by_name


def test_appointment_round_trip() -> None:
    appointment = Appointment.model_validate(APPOINTMENT)
    assert appointment.start == datetime(2026, 11, 24, 15, tzinfo=UTC)
    assert appointment.to_api()["start"] == "2026-11-24T15:00:00Z"


def test_request_models_refuse_naive_datetimes() -> None:
    with pytest.raises(ValidationError, match="timezone-aware"):
        AppointmentCreate(job_id=1, start=datetime(2026, 1, 1, 9), end=datetime(2026, 1, 1, 10))


def test_job_create_body_uses_api_names() -> None:
    start = datetime(2026, 11, 24, 15, tzinfo=UTC)
    body = JobCreate(
        customer_id=201,
        location_id=301,
        business_unit_id=11,
        job_type_id=21,
        campaign_id=31,
        appointments=[JobAppointmentCreate(start=start, end=start + timedelta(hours=2), technician_ids=[41])],
    ).to_api()
    assert body == {
        "customerId": 201,
        "locationId": 301,
        "businessUnitId": 11,
        "jobTypeId": 21,
        "priority": "Normal",
        "campaignId": 31,
        "appointments": [
            {"start": "2026-11-24T15:00:00Z", "end": "2026-11-24T17:00:00Z", "technicianIds": [41]}
        ],
    }


def test_job_create_needs_an_appointment() -> None:
    with pytest.raises(ValidationError):
        JobCreate(
            customer_id=1, location_id=1, business_unit_id=1, job_type_id=1, campaign_id=1, appointments=[]
        )


def test_job_update_sends_only_set_fields() -> None:
    assert JobUpdate(priority="High").to_api(exclude_unset=True) == {"priority": "High"}
    assert JobUpdate(sold_by_id=None).to_api(exclude_unset=True) == {"soldById": None}  # clears the field


def test_envelopes() -> None:
    page = Page[Job].model_validate(
        {"page": 1, "pageSize": 50, "hasMore": True, "totalCount": None, "data": [JOB]}
    )
    assert page.has_more and page.data[0].id == 1001
    batch = ExportBatch[Job](items=[page.data[0]], continue_from="abc")
    assert batch.continue_from == "abc" and batch.has_more is False


@settings(max_examples=50)
@given(st.datetimes(min_value=datetime(1900, 1, 2), max_value=datetime(2200, 1, 1), timezones=st.timezones()))
def test_any_aware_datetime_survives_the_round_trip_as_utc(value: datetime) -> None:
    sent = format_utc(value)
    assert sent.endswith("Z")
    instant = value.astimezone(UTC)  # (wall times in a DST gap or fold never compare equal across zones)
    back = parse_utc(sent)
    assert back == instant and back.tzinfo is UTC
    assert Appointment.model_validate({**APPOINTMENT, "start": sent}).start == instant


@given(st.integers(min_value=0, max_value=9_999_999))
def test_seven_digit_fractions_keep_their_microseconds(ticks: int) -> None:
    text = f"2021-07-19T20:35:38.{ticks:07d}Z"
    assert parse_utc(text).microsecond == ticks // 10
    assert Job.model_validate({**JOB, "modifiedOn": text}).modified_on.microsecond == ticks // 10


@given(st.integers(min_value=0, max_value=86_400))
def test_retry_after_forms_agree(seconds: int) -> None:
    now = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    as_date = format_datetime(now + timedelta(seconds=seconds), usegmt=True)
    assert retry_after_seconds({"retry-after": str(seconds)}, None) == seconds
    assert retry_after_seconds({"retry-after": as_date}, None, now=now) == seconds
    assert retry_after_seconds({}, f"Rate limit is exceeded. Try again in {seconds} seconds.") == seconds
