"""The simulator's records: ServiceTitan's response shapes, the errors it answers with, and their rendering.

Records are plain dicts keyed by the OpenAPI field names (datetimes kept as aware `datetime` objects);
`render` turns them into the exact response shapes of the OpenAPI documents and `normalize` fills a seed
record's missing fields. Everything the documents do not expose (holds, timesheets, notes, external data per
application, export sequence numbers) is kept beside the records, never inside them, because the response
schemas forbid additional properties.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.simulator.timeutil import as_utc, format_ts

JOB_STATUSES = ("Scheduled", "Dispatched", "InProgress", "Hold", "Completed", "Canceled")
APPOINTMENT_STATUSES = ("Scheduled", "Dispatched", "Working", "Hold", "Done", "Canceled")
ASSIGNMENT_STATUSES = ("Scheduled", "Dispatched", "Working", "Done")
PRIORITIES = ("Low", "Normal", "High", "Urgent")
# The employee id the API writes as: the integration user of the app.
API_USER_ID = 60

MSG_CANNOT_DELETE = "Appointment is in the state that doesn't allow deletion"
MSG_NOT_ON_HOLD = "Appointment is not on hold"
MSG_ALREADY_CONFIRMED = "Appointment is already confirmed"
MSG_NOT_CONFIRMED = "Appointment was not confirmed"
MSG_CANNOT_COMPLETE = "Job already completed or cancelled or has no assigned technicians"
MSG_VALIDATION = "One or more validation errors occurred."


# Date-time fields per kind of record (parsed from seed strings, rendered back as UTC `Z` strings).
DATE_FIELDS = {
    "createdOn",
    "modifiedOn",
    "completedOn",
    "start",
    "end",
    "arrivalWindowStart",
    "arrivalWindowEnd",
    "assignedOn",
    "startDate",
    "targetCompletionDate",
    "actualCompletionDate",
    "date",
}


class SimError(Exception):
    """A request ServiceTitan would refuse: HTTP status, title and field errors of the problem body."""

    def __init__(self, status: int, title: str, errors: Mapping[str, list[str]] | None = None) -> None:
        super().__init__(f"{status} {title}")
        self.status = status
        self.title = title
        self.errors = dict(errors or {})


def validation_error(field_name: str, message: str) -> SimError:
    return SimError(400, MSG_VALIDATION, {field_name: [message]})


# Response shapes: the fields (in order) of each OpenAPI response schema the simulator serves, with the
# default used when a seed record leaves a field out.
JOB_FIELDS: dict[str, Any] = {
    "id": 0,
    "jobNumber": "",
    "projectId": None,
    "customerId": 0,
    "locationId": 0,
    "jobStatus": "Scheduled",
    "completedOn": None,
    "businessUnitId": 0,
    "jobTypeId": 0,
    "priority": "Normal",
    "campaignId": 0,
    "appointmentCount": 0,
    "firstAppointmentId": 0,
    "lastAppointmentId": 0,
    "recallForId": None,
    "warrantyId": None,
    "jobGeneratedLeadSource": None,
    "noCharge": False,
    "notificationsEnabled": True,
    "createdOn": None,
    "createdById": API_USER_ID,
    "modifiedOn": None,
    "tagTypeIds": [],
    "leadCallId": None,
    "bookingId": None,
    "soldById": None,
    "customerPo": "",
    "invoiceId": 0,
    "membershipId": None,
    "total": None,
    "summary": None,
    "customFields": [],
    "externalData": [],
}
APPOINTMENT_FIELDS: dict[str, Any] = {
    "id": 0,
    "jobId": 0,
    "appointmentNumber": None,
    "start": None,
    "end": None,
    "arrivalWindowStart": None,
    "arrivalWindowEnd": None,
    "status": "Scheduled",
    "specialInstructions": None,
    "createdOn": None,
    "modifiedOn": None,
    "customerId": 0,
    "unused": False,
    "createdById": API_USER_ID,
    "isConfirmed": False,
}
DISPATCH_APPOINTMENT_FIELDS = (
    "id",
    "jobId",
    "appointmentNumber",
    "start",
    "end",
    "arrivalWindowStart",
    "arrivalWindowEnd",
    "status",
    "specialInstructions",
    "createdOn",
    "modifiedOn",
)
ASSIGNMENT_FIELDS: dict[str, Any] = {
    "id": 0,
    "technicianId": 0,
    "technicianName": "",
    "assignedById": API_USER_ID,
    "assignedOn": None,
    "status": "Scheduled",
    "isPaused": False,
    "jobId": 0,
    "appointmentId": 0,
    "createdOn": None,
    "modifiedOn": None,
    "active": True,
}
TECHNICIAN_FIELDS: dict[str, Any] = {
    "id": 0,
    "userId": 0,
    "name": "",
    "roleIds": [],
    "businessUnitId": None,
    "mainZoneId": None,
    "zoneIds": [],
    "createdOn": None,
    "modifiedOn": None,
    "email": None,
    "phoneNumber": None,
    "loginName": None,
    "home": None,
    "dailyGoal": 0.0,
    "isManagedTech": False,
    "customFields": [],
    "active": True,
    "aadUserId": None,
    "burdenRate": 0.0,
    "team": None,
    "jobFilter": None,
    "permissions": [],
    "accountLocked": False,
}
EMPLOYEE_FIELDS: dict[str, Any] = {
    "id": 0,
    "userId": 0,
    "name": "",
    "role": "Dispatch",
    "roleIds": [],
    "businessUnitId": None,
    "createdOn": None,
    "modifiedOn": None,
    "email": None,
    "phoneNumber": None,
    "loginName": None,
    "customFields": [],
    "active": True,
    "aadUserId": None,
    "permissions": [],
    "accountLocked": False,
}
BUSINESS_UNIT_FIELDS: dict[str, Any] = {
    "id": 0,
    "active": True,
    "name": "",
    "officialName": None,
    "email": None,
    "currency": "USD",
    "phoneNumber": None,
    "invoiceHeader": None,
    "invoiceMessage": None,
    "defaultTaxRate": None,
    "authorizationParagraph": None,
    "acknowledgementParagraph": None,
    "address": None,
    "materialSku": None,
    "quickbooksClass": None,
    "accountCode": None,
    "franchiseId": None,
    "conceptCode": None,
    "corporateContractNumber": None,
    "tenant": None,
    "createdOn": None,
    "modifiedOn": None,
    "externalData": [],
}
CUSTOMER_FIELDS: dict[str, Any] = {
    "id": 0,
    "active": True,
    "name": "",
    "type": "Residential",
    "address": None,
    "customFields": [],
    "balance": 0.0,
    "tagTypeIds": [],
    "doNotMail": False,
    "doNotService": False,
    "createdOn": None,
    "createdById": API_USER_ID,
    "modifiedOn": None,
    "mergedToId": None,
    "externalData": [],
}
LOCATION_FIELDS: dict[str, Any] = {
    "id": 0,
    "customerId": 0,
    "active": True,
    "name": "",
    "address": None,
    "customFields": [],
    "createdOn": None,
    "createdById": API_USER_ID,
    "modifiedOn": None,
    "mergedToId": None,
    "zoneId": None,
    "tagTypeIds": [],
    "externalData": [],
    "taxZoneId": None,
}
JOB_TYPE_FIELDS: dict[str, Any] = {
    "id": 0,
    "name": "",
    "businessUnitIds": [],
    "skills": [],
    "tagTypeIds": [],
    "priority": "Normal",
    "duration": 3600,
    "soldThreshold": None,
    "class": "",
    "summary": "",
    "noCharge": False,
    "enforceRecurringServiceEventSelection": False,
    "invoiceSignaturesRequired": False,
    "modifiedOn": None,
    "createdOn": None,
    "externalData": [],
    "active": True,
}
REASON_FIELDS: dict[str, Any] = {"id": 0, "name": "", "active": True, "createdOn": None, "modifiedOn": None}
CAMPAIGN_FIELDS = REASON_FIELDS
PROJECT_FIELDS: dict[str, Any] = {
    "id": 0,
    "number": "",
    "name": None,
    "summary": None,
    "status": None,
    "statusId": None,
    "subStatus": None,
    "subStatusId": None,
    "customerId": 0,
    "locationId": 0,
    "projectTypeId": None,
    "projectManagerIds": [],
    "businessUnitIds": [],
    "startDate": None,
    "targetCompletionDate": None,
    "actualCompletionDate": None,
    "modifiedOn": None,
    "createdOn": None,
    "customFields": [],
    "externalData": [],
    "jobIds": [],
}
ARRIVAL_WINDOW_FIELDS: dict[str, Any] = {
    "id": 0,
    "start": "08:00",
    "duration": "04:00",
    "businessUnitIds": [],
    "active": True,
}
CANCELED_LOG_FIELDS: dict[str, Any] = {
    "id": 0,
    "jobId": 0,
    "reasonId": 0,
    "memo": None,
    "createdOn": None,
    "createdById": API_USER_ID,
    "active": True,
}
# Fields whose schema is a nullable `oneOf`: openapi validators refuse an explicit null there, and the
# real API leaves them out when empty, so null values are dropped from the rendered object.
OMIT_WHEN_NULL = {"jobGeneratedLeadSource", "home", "jobFilter", "address", "tenant"}

# The export feeds and the tables they follow.
FEEDS = ("jobs", "appointments", "jobCanceledLogs", "appointmentAssignments")


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def render(record: Mapping[str, Any], shape: Mapping[str, Any] | Iterable[str]) -> dict[str, Any]:
    """Project a record onto a response shape, rendering datetimes as ServiceTitan UTC strings."""
    out: dict[str, Any] = {}
    for name in shape:
        value = record.get(name)
        if value is None and name in OMIT_WHEN_NULL:
            continue
        out[name] = _to_json(value)
    return out


def _to_json(value: Any) -> Any:
    if isinstance(value, datetime):
        return format_ts(value)
    if isinstance(value, dict):
        return {k: _to_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_to_json(v) for v in value]
    return value


def normalize(record: Mapping[str, Any], shape: Mapping[str, Any], stamp: datetime) -> dict[str, Any]:
    """Fill a seed record's missing fields with defaults and parse its date-time strings."""
    out: dict[str, Any] = {}
    for name, default in shape.items():
        value = record[name] if name in record else _copy(default)
        # Date-time fields default to None; arrival windows' `start` is a TimeSpan string, not a date.
        if name in DATE_FIELDS and default is None and value is not None:
            value = as_utc(value)
        out[name] = value
    for name, value in record.items():
        if name not in out:
            out[name] = value
    if out.get("createdOn") is None and "createdOn" in shape:
        out["createdOn"] = stamp
    if out.get("modifiedOn") is None and "modifiedOn" in shape:
        out["modifiedOn"] = out.get("createdOn") or stamp
    return out


def last_change(record: Mapping[str, Any]) -> datetime:
    """When a record last changed (the export order): its modifiedOn, or createdOn where it has none."""
    changed: datetime = record.get("modifiedOn") or record["createdOn"]
    return changed


@dataclass
class Hold:
    """Why an appointment or a job is on hold, and the status it had before (restored when the hold goes)."""

    reason_id: int
    memo: str
    previous_status: str
