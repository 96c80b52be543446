"""Typed pydantic models of the ServiceTitan requests and responses the bot uses.

Field names follow ServiceTitan's OpenAPI documents (``shared/servicetitan/openapi`` beside the repo): attributes are
snake_case, aliases are the API's camelCase, and unknown fields are kept (``extra="allow"``) because the live
API adds fields over time. Every timestamp is an aware UTC ``datetime``: the API's strings with up to 7
fractional digits ("2021-07-19T20:35:38.2876004Z") are parsed, and datetimes are sent back as UTC ISO-8601
with a ``Z``. Naive datetimes are refused when building a request, so local wall-clock times cannot slip
through as UTC by accident.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Generic, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
)
from pydantic.alias_generators import to_camel

from bot.servicetitan.errors import ServiceTitanError

_FRACTION = re.compile(r"(\.\d{6})\d+")


def parse_utc(value: Any) -> datetime:
    """An aware UTC datetime from the API's ISO strings (any number of fraction digits) or a datetime."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("datetime must be timezone-aware (ServiceTitan speaks UTC)")
        return value.astimezone(UTC)
    if isinstance(value, str):
        text = _FRACTION.sub(r"\1", value.strip())
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        parsed = datetime.fromisoformat(text)
        # The API documents every timestamp as UTC; a string without an offset is UTC.
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    raise ValueError(f"not a date-time: {value!r}")


def format_utc(value: datetime) -> str:
    """``value`` as the API expects it: UTC, ISO-8601, ``Z`` suffix, microseconds only when present."""
    if value.tzinfo is None:
        raise ValueError("datetime must be timezone-aware (ServiceTitan speaks UTC)")
    value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(timespec="microseconds" if value.microsecond else "seconds") + "Z"


def _refuse_naive(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is None:
        raise ValueError("datetime must be timezone-aware (ServiceTitan speaks UTC)")
    return value


def _as_utc(value: datetime) -> datetime:
    # Strings are parsed by pydantic's own (fast) parser, which keeps 6 of 7 fraction digits; a string
    # without an offset is UTC, as the API documents every timestamp.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


UtcDateTime = Annotated[
    datetime,
    BeforeValidator(_refuse_naive),
    AfterValidator(_as_utc),
    PlainSerializer(format_utc, return_type=str),
]

_M = TypeVar("_M", bound=BaseModel)


def read_model(model: type[_M], data: Any) -> _M:
    """``data`` from ServiceTitan as ``model``; a body of the wrong shape is a ``ServiceTitanError`` too."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ServiceTitanError(
            f"ServiceTitan sent a {model.__name__} the client cannot read: {exc}"
        ) from exc


class JobStatus(StrEnum):
    """``jobStatus`` values (the field itself is a plain string in the API)."""

    SCHEDULED = "Scheduled"
    DISPATCHED = "Dispatched"
    IN_PROGRESS = "InProgress"
    HOLD = "Hold"
    COMPLETED = "Completed"
    CANCELED = "Canceled"


class AppointmentStatus(StrEnum):
    """``Jpm.V2.AppointmentStatus``."""

    SCHEDULED = "Scheduled"
    DISPATCHED = "Dispatched"
    WORKING = "Working"
    HOLD = "Hold"
    DONE = "Done"
    CANCELED = "Canceled"


class STModel(BaseModel):
    """Base of every model: snake_case attributes, camelCase aliases, unknown fields kept."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="allow")

    def to_api(self, *, exclude_unset: bool = False) -> dict[str, Any]:
        """The JSON body ServiceTitan expects (aliases, UTC ``Z`` datetimes). Optional fields left at None
        are omitted; with ``exclude_unset`` (PATCH) exactly the fields set are sent, so an explicit None
        clears a nullable field."""
        if exclude_unset:
            return self.model_dump(mode="json", by_alias=True, exclude_unset=True)
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


# ---------------------------------------------------------------------------------------------------------
# Shared pieces


class ExternalData(STModel):
    """``Jpm.V2.ExternalDataModel``: one key/value stored under an application GUID."""

    key: str
    value: str | None = None


class ExternalDataCreate(STModel):
    """``Jpm.V2.ExternalDataCreateRequest``."""

    application_guid: str
    external_data: list[ExternalData]


class ExternalDataUpdate(STModel):
    """``Jpm.V2.ExternalDataUpdateRequest``; ``patch_mode`` is "Replace" (default) or "Merge"."""

    patch_mode: str | None = None
    application_guid: str
    external_data: list[ExternalData]


class CustomField(STModel):
    """``CustomFieldApiModel`` in responses (``name`` given) and ``CustomFieldModel`` in requests."""

    type_id: int
    name: str | None = None
    value: str | None = None


class JobGeneratedLeadSource(STModel):
    job_id: int | None = None
    employee_id: int | None = None


class Address(STModel):
    """``Crm.V2.Customers.CustomerAddress``."""

    street: str
    unit: str | None = None
    city: str
    state: str
    zip: str
    country: str
    latitude: float | None = None
    longitude: float | None = None


# ---------------------------------------------------------------------------------------------------------
# Job planning (jpm)


class Job(STModel):
    """``Jpm.V2.JobResponse`` (``active`` is set on export rows)."""

    id: int
    job_number: str
    project_id: int | None = None
    customer_id: int
    location_id: int
    job_status: str
    completed_on: UtcDateTime | None = None
    business_unit_id: int
    job_type_id: int
    priority: str
    campaign_id: int
    appointment_count: int
    first_appointment_id: int
    last_appointment_id: int
    recall_for_id: int | None = None
    warranty_id: int | None = None
    job_generated_lead_source: JobGeneratedLeadSource | None = None
    no_charge: bool = False
    notifications_enabled: bool = False
    created_on: UtcDateTime
    created_by_id: int
    modified_on: UtcDateTime
    tag_type_ids: list[int] = Field(default_factory=list)
    lead_call_id: int | None = None
    booking_id: int | None = None
    sold_by_id: int | None = None
    customer_po: str | None = None
    invoice_id: int | None = None
    membership_id: int | None = None
    total: float | None = None
    summary: str | None = None
    custom_fields: list[CustomField] = Field(default_factory=list)
    external_data: list[ExternalData] = Field(default_factory=list)
    active: bool | None = None


class Appointment(STModel):
    """``Jpm.V2.AppointmentResponse`` (``active`` is set on export rows). It carries no technician ids."""

    id: int
    job_id: int
    appointment_number: str | None = None
    start: UtcDateTime
    end: UtcDateTime
    arrival_window_start: UtcDateTime | None = None
    arrival_window_end: UtcDateTime | None = None
    status: str
    special_instructions: str | None = None
    created_on: UtcDateTime
    modified_on: UtcDateTime
    customer_id: int
    unused: bool = False
    created_by_id: int
    is_confirmed: bool = False
    active: bool | None = None


class JobNote(STModel):
    """``Jpm.V2.NoteResponse``; job notes have no id of their own."""

    text: str
    is_pinned: bool = False
    created_by_id: int
    created_on: UtcDateTime
    modified_on: UtcDateTime


class JobCancelReasonOfJob(STModel):
    """``Jpm.V2.CancelReasonResponse``: why a given job was canceled."""

    job_id: int
    reason_id: int
    name: str
    text: str


class JobCanceledLog(STModel):
    """``Jpm.V2.JobCanceledLogResponse`` / ``ExportJobCanceledLogResponse``."""

    id: int
    job_id: int
    reason_id: int
    memo: str | None = None
    created_on: UtcDateTime
    created_by_id: int
    active: bool = True


class JobHistoryEntry(STModel):
    """``Jpm.Jobs.JobHistoryItemModel``."""

    id: int
    employee_id: int | None = None
    event_type: str
    date: UtcDateTime
    used_scheduling_tool: str | None = None
    memo: str | None = None


class _Reason(STModel):
    """A tenant's named reason for holding or canceling: both response schemas have exactly these fields."""

    id: int
    name: str
    active: bool
    created_on: UtcDateTime
    modified_on: UtcDateTime


class JobHoldReason(_Reason):
    """``Jpm.V2.JobHoldReasonResponse``."""


class JobCancelReason(_Reason):
    """``Jpm.V2.JobCancelReasonResponse``."""


class JobType(STModel):
    """``Jpm.V2.JobTypeResponse``; ``duration`` is in seconds."""

    id: int
    name: str
    business_unit_ids: list[int] = Field(default_factory=list)
    skills: list[str] = Field(default_factory=list)
    tag_type_ids: list[int] = Field(default_factory=list)
    priority: str | None = None
    duration: int | None = None
    sold_threshold: float | None = None
    class_: str | None = Field(default=None, alias="class")
    summary: str | None = None
    no_charge: bool = False
    enforce_recurring_service_event_selection: bool | None = None
    invoice_signatures_required: bool = False
    modified_on: UtcDateTime
    created_on: UtcDateTime
    external_data: list[ExternalData] = Field(default_factory=list)
    active: bool = True


class Project(STModel):
    """``Jpm.V2.ProjectResponse``."""

    id: int
    number: str
    name: str | None = None
    summary: str | None = None
    status: str | None = None
    status_id: int | None = None
    sub_status: str | None = None
    sub_status_id: int | None = None
    customer_id: int
    location_id: int
    project_type_id: int | None = None
    project_manager_ids: list[int] = Field(default_factory=list)
    business_unit_ids: list[int] = Field(default_factory=list)
    start_date: UtcDateTime | None = None
    target_completion_date: UtcDateTime | None = None
    actual_completion_date: UtcDateTime | None = None
    modified_on: UtcDateTime | None = None
    created_on: UtcDateTime
    custom_fields: list[CustomField] = Field(default_factory=list)
    external_data: list[ExternalData] = Field(default_factory=list)
    job_ids: list[int] = Field(default_factory=list)


class JobAppointmentCreate(STModel):
    """``Jpm.V2.AppointmentInformation``: an appointment booked together with its job."""

    start: UtcDateTime
    end: UtcDateTime
    arrival_window_start: UtcDateTime | None = None
    arrival_window_end: UtcDateTime | None = None
    technician_ids: list[int] | None = None


class JobCreate(STModel):
    """``Jpm.V2.JobCreateRequest`` (``POST /jobs``)."""

    customer_id: int
    location_id: int
    project_id: int | None = None
    business_unit_id: int
    job_generated_lead_source: JobGeneratedLeadSource | None = None
    job_type_id: int
    priority: str = "Normal"
    campaign_id: int
    appointments: list[JobAppointmentCreate] = Field(min_length=1)
    summary: str | None = None
    custom_fields: list[CustomField] | None = None
    tag_type_ids: list[int] | None = None
    external_data: ExternalDataCreate | None = None
    invoice_signature_is_required: bool | None = None
    customer_po: str | None = None
    sold_by_id: int | None = None


class JobUpdate(STModel):
    """``Jpm.V2.UpdateJobRequest`` (``PATCH /jobs/{id}``): only the fields you set are sent.

    ``custom_fields`` and ``tag_type_ids`` replace the whole list on the server.
    """

    customer_id: int | None = None
    location_id: int | None = None
    business_unit_id: int | None = None
    job_generated_lead_source: JobGeneratedLeadSource | None = None
    job_type_id: int | None = None
    priority: str | None = None
    campaign_id: int | None = None
    summary: str | None = None
    should_update_invoice_items: bool | None = None
    custom_fields: list[CustomField] | None = None
    tag_type_ids: list[int] | None = None
    external_data: ExternalDataUpdate | None = None
    customer_po: str | None = None
    sold_by_id: int | None = None


class AppointmentCreate(STModel):
    """``Jpm.V2.AppointmentAddRequest`` (``POST /appointments``)."""

    job_id: int
    start: UtcDateTime
    end: UtcDateTime
    arrival_window_start: UtcDateTime | None = None
    arrival_window_end: UtcDateTime | None = None
    technician_ids: list[int] | None = None
    special_instructions: str | None = None


# ---------------------------------------------------------------------------------------------------------
# Dispatch


class AppointmentAssignment(STModel):
    """``Dispatch.V2.AppointmentAssignmentResponse``: one technician on one appointment."""

    id: int
    technician_id: int
    technician_name: str
    assigned_by_id: int | None = None
    assigned_on: UtcDateTime | None = None
    status: str
    is_paused: bool = False
    job_id: int
    appointment_id: int
    created_on: UtcDateTime | None = None
    modified_on: UtcDateTime
    active: bool = True


class DispatchAppointment(STModel):
    """``Dispatch.V2.AppointmentResponse``: the smaller appointment shape returned by (un)assign."""

    id: int
    job_id: int
    appointment_number: str | None = None
    start: UtcDateTime
    end: UtcDateTime
    arrival_window_start: UtcDateTime | None = None
    arrival_window_end: UtcDateTime | None = None
    status: str
    special_instructions: str | None = None
    created_on: UtcDateTime
    modified_on: UtcDateTime


class ArrivalWindow(STModel):
    """``Dispatch.V2.ArrivalWindowResponse``; ``start`` and ``duration`` are .NET TimeSpan strings ("09:00")."""

    id: int
    start: str
    duration: str
    business_unit_ids: list[int] = Field(default_factory=list)
    active: bool = True


# ---------------------------------------------------------------------------------------------------------
# Settings


class Technician(STModel):
    """``TenantSettings.V2.TechnicianResponse``."""

    id: int
    user_id: int
    name: str
    role_ids: list[int] | None = None
    business_unit_id: int | None = None
    main_zone_id: int | None = None
    zone_ids: list[int] | None = None
    created_on: UtcDateTime
    modified_on: UtcDateTime
    email: str | None = None
    phone_number: str | None = None
    login_name: str | None = None
    daily_goal: float = 0
    is_managed_tech: bool = False
    active: bool = True
    aad_user_id: str | None = None
    burden_rate: float = 0
    team: str | None = None
    account_locked: bool | None = None


class Employee(STModel):
    """``TenantSettings.V2.EmployeeResponse`` (office staff: dispatchers, managers)."""

    id: int
    user_id: int
    name: str
    role: str
    role_ids: list[int] | None = None
    business_unit_id: int | None = None
    created_on: UtcDateTime
    modified_on: UtcDateTime
    email: str | None = None
    phone_number: str | None = None
    login_name: str | None = None
    active: bool = True
    aad_user_id: str | None = None
    account_locked: bool | None = None


class BusinessUnit(STModel):
    """``TenantSettings.V2.BusinessUnitResponse`` (the fields the bot reads; the rest are kept as extras)."""

    id: int
    active: bool = True
    name: str
    official_name: str | None = None
    email: str | None = None
    phone_number: str | None = None
    created_on: UtcDateTime
    modified_on: UtcDateTime


# ---------------------------------------------------------------------------------------------------------
# CRM and marketing


class Customer(STModel):
    """``Crm.V2.Customers.CustomerResponse``."""

    id: int
    active: bool = True
    name: str
    type: str
    address: Address | None = None
    custom_fields: list[CustomField] = Field(default_factory=list)
    balance: float | None = None
    tag_type_ids: list[int] = Field(default_factory=list)
    do_not_mail: bool = False
    do_not_service: bool = False
    created_on: UtcDateTime
    created_by_id: int | None = None
    modified_on: UtcDateTime
    merged_to_id: int | None = None
    external_data: list[ExternalData] = Field(default_factory=list)


class Location(STModel):
    """``Crm.V2.Locations.LocationResponse``."""

    id: int
    customer_id: int
    active: bool = True
    name: str
    address: Address | None = None
    custom_fields: list[CustomField] = Field(default_factory=list)
    created_on: UtcDateTime
    created_by_id: int | None = None
    modified_on: UtcDateTime
    merged_to_id: int | None = None
    zone_id: int | None = None
    tag_type_ids: list[int] = Field(default_factory=list)
    external_data: list[ExternalData] = Field(default_factory=list)
    tax_zone_id: int | None = None


class Campaign(STModel):
    """A marketing campaign (``/marketing/v2/tenant/{tenant}/campaigns``); job creation needs one."""

    id: int
    name: str
    active: bool = True
    created_on: UtcDateTime | None = None
    modified_on: UtcDateTime | None = None


# ---------------------------------------------------------------------------------------------------------
# Envelopes

T = TypeVar("T")


class Page(STModel, Generic[T]):
    """``PaginatedResponse_Of_*``: one page of a list."""

    page: int
    page_size: int
    has_more: bool
    total_count: int | None = None
    data: list[T]


class ExportBatch(STModel, Generic[T]):
    """The rows of an export feed and the ``continue_from`` token to persist for the next call."""

    items: list[T]
    continue_from: str | None
    has_more: bool = False
