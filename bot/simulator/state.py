"""The simulator's in-memory tenant data and the job-planning rules ServiceTitan enforces on it.

Records are plain dicts keyed by the OpenAPI field names (datetimes kept as aware `datetime` objects);
`render_*` turns them into the exact response shapes of the OpenAPI documents. Everything the documents do
not expose (holds, timesheets, notes, external data per application, export sequence numbers) is kept beside
the records, never inside them, because the response schemas forbid additional properties.

Every operation that changes data goes through `SimState`, raises `SimError` with ServiceTitan's status and
message when a rule forbids it, and stamps `modifiedOn` so the change shows in reads and in `export/*`.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.simulator.timeutil import as_utc, format_ts, parse_ts

JOB_STATUSES = ("Scheduled", "Dispatched", "InProgress", "Hold", "Completed", "Canceled")
APPOINTMENT_STATUSES = ("Scheduled", "Dispatched", "Working", "Hold", "Done", "Canceled")
ASSIGNMENT_STATUSES = ("Scheduled", "Dispatched", "Working", "Done")
PRIORITIES = ("Low", "Normal", "High", "Urgent")
# The employee id the API writes as: the integration user of the app.
API_USER_ID = 60

MSG_CANNOT_DELETE = "Appointment is in the state that doesn't allow deletion"
MSG_NOT_ON_HOLD = "Appointment is not on hold"
MSG_VALIDATION = "One or more validation errors occurred."

SEED_KEYS = (
    "technicians",
    "employees",
    "businessUnits",
    "customers",
    "locations",
    "jobTypes",
    "campaigns",
    "jobHoldReasons",
    "jobCancelReasons",
    "projects",
    "jobs",
    "appointments",
    "appointmentAssignments",
    "arrivalWindows",
    "timesheets",
)

# Optional extras the built-in demo data uses (not part of CONTRACT section 4).
EXTRA_SEED_KEYS = ("customerPhones", "notes", "jobCanceledLogs", "jobHolds")

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


def encode_token(seq: int) -> str:
    """The opaque `continueFrom` token: a sequence number in the change log, base64-wrapped."""
    return base64.urlsafe_b64encode(f"st-sim:{seq}".encode()).decode().rstrip("=")


def decode_from(value: str) -> tuple[int | None, datetime | None]:
    """Read an export `from`: our token (-> sequence number) or a date string (-> modifiedOn bound)."""
    text = value.strip()
    try:
        padded = text + "=" * (-len(text) % 4)
        raw = base64.urlsafe_b64decode(padded.encode()).decode()
        if raw.startswith("st-sim:"):
            return int(raw.split(":", 1)[1]), None
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    try:
        return None, parse_ts(text)
    except ValueError as exc:
        raise validation_error("from", f"'{value}' is not a valid continuation token or date") from exc


@dataclass
class Hold:
    reason_id: int
    memo: str
    previous_status: str


@dataclass
class SimState:
    """All data of the simulated tenant. Tables are dicts id -> record (OpenAPI field names)."""

    clock: Callable[[], datetime]
    tenant_id: int
    technicians: dict[int, dict[str, Any]] = field(default_factory=dict)
    employees: dict[int, dict[str, Any]] = field(default_factory=dict)
    business_units: dict[int, dict[str, Any]] = field(default_factory=dict)
    customers: dict[int, dict[str, Any]] = field(default_factory=dict)
    locations: dict[int, dict[str, Any]] = field(default_factory=dict)
    job_types: dict[int, dict[str, Any]] = field(default_factory=dict)
    campaigns: dict[int, dict[str, Any]] = field(default_factory=dict)
    job_hold_reasons: dict[int, dict[str, Any]] = field(default_factory=dict)
    job_cancel_reasons: dict[int, dict[str, Any]] = field(default_factory=dict)
    projects: dict[int, dict[str, Any]] = field(default_factory=dict)
    jobs: dict[int, dict[str, Any]] = field(default_factory=dict)
    appointments: dict[int, dict[str, Any]] = field(default_factory=dict)
    assignments: dict[int, dict[str, Any]] = field(default_factory=dict)
    arrival_windows: dict[int, dict[str, Any]] = field(default_factory=dict)
    canceled_logs: dict[int, dict[str, Any]] = field(default_factory=dict)
    timesheets: set[int] = field(default_factory=set)
    # Beside the records: what the response schemas do not carry.
    holds: dict[int, Hold] = field(default_factory=dict)
    job_holds: dict[int, Hold] = field(default_factory=dict)
    notes: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    history: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    external_data: dict[int, dict[str | None, list[dict[str, str]]]] = field(default_factory=dict)
    customer_phones: dict[int, list[str]] = field(default_factory=dict)
    deleted_appointments: dict[int, dict[str, Any]] = field(default_factory=dict)
    # Export change log: feed -> id -> sequence number of its last change.
    change_seq: dict[str, dict[int, int]] = field(default_factory=lambda: {feed: {} for feed in FEEDS})
    seq: int = 0
    export_batch_size: int = 50
    export_delay: timedelta = timedelta(0)
    last_stamp: datetime | None = None
    _next_ids: dict[str, int] = field(default_factory=dict)

    # ------------------------------------------------------------------ loading

    @classmethod
    def from_seed(cls, seed: Mapping[str, Any], *, clock: Callable[[], datetime], tenant_id: int) -> SimState:
        unknown = sorted(set(seed) - set(SEED_KEYS) - set(EXTRA_SEED_KEYS))
        if unknown:
            raise ValueError(
                f"unknown seed keys: {', '.join(unknown)} (expected some of {', '.join(SEED_KEYS)})"
            )
        state = cls(clock=clock, tenant_id=tenant_id)
        stamp = clock()
        tables: list[tuple[str, dict[int, dict[str, Any]], Mapping[str, Any]]] = [
            ("technicians", state.technicians, TECHNICIAN_FIELDS),
            ("employees", state.employees, EMPLOYEE_FIELDS),
            ("businessUnits", state.business_units, BUSINESS_UNIT_FIELDS),
            ("customers", state.customers, CUSTOMER_FIELDS),
            ("locations", state.locations, LOCATION_FIELDS),
            ("jobTypes", state.job_types, JOB_TYPE_FIELDS),
            ("campaigns", state.campaigns, CAMPAIGN_FIELDS),
            ("jobHoldReasons", state.job_hold_reasons, REASON_FIELDS),
            ("jobCancelReasons", state.job_cancel_reasons, REASON_FIELDS),
            ("projects", state.projects, PROJECT_FIELDS),
            ("arrivalWindows", state.arrival_windows, ARRIVAL_WINDOW_FIELDS),
        ]
        for key, table, shape in tables:
            for raw in seed.get(key) or []:
                record = normalize(raw, shape, stamp)
                table[int(record["id"])] = record
        for raw in seed.get("jobs") or []:
            record = normalize(raw, JOB_FIELDS, stamp)
            job_id = int(record["id"])
            if not record.get("jobNumber"):
                record["jobNumber"] = str(job_id)
            external = record.get("externalData") or []
            if external:
                state.external_data[job_id] = {None: [dict(e) for e in external]}
            record["externalData"] = []
            state.jobs[job_id] = record
        for raw in seed.get("appointments") or []:
            record = normalize(raw, APPOINTMENT_FIELDS, stamp)
            job = state.jobs.get(int(record["jobId"]))
            if job is not None and not record.get("customerId"):
                record["customerId"] = job["customerId"]
            state.appointments[int(record["id"])] = record
        for raw in seed.get("appointmentAssignments") or []:
            record = normalize(raw, ASSIGNMENT_FIELDS, stamp)
            if not record.get("technicianName"):
                tech = state.technicians.get(int(record["technicianId"]))
                record["technicianName"] = tech["name"] if tech else f"Technician {record['technicianId']}"
            if record.get("assignedOn") is None:
                record["assignedOn"] = record["createdOn"]
            if not record.get("jobId"):
                appointment = state.appointments.get(int(record["appointmentId"]))
                record["jobId"] = appointment["jobId"] if appointment else 0
            state.assignments[int(record["id"])] = record
        for raw in seed.get("jobCanceledLogs") or []:
            record = normalize(raw, CANCELED_LOG_FIELDS, stamp)
            state.canceled_logs[int(record["id"])] = record
        # Why held jobs are on hold (an addition to CONTRACT section 4: [{jobId, reasonId, memo}]).
        for raw in seed.get("jobHolds") or []:
            state.job_holds[int(raw["jobId"])] = Hold(
                int(raw["reasonId"]), str(raw.get("memo") or ""), "Scheduled"
            )
        state.timesheets = {int(a) for a in seed.get("timesheets") or []}
        for customer_id, phones in (seed.get("customerPhones") or {}).items():
            state.customer_phones[int(customer_id)] = [str(p) for p in phones]
        for job_id, notes in (seed.get("notes") or {}).items():
            state.notes[int(job_id)] = [
                normalize(n, {"createdOn": None, "modifiedOn": None}, stamp) for n in notes
            ]
        state._derive_after_seed()
        return state

    def _derive_after_seed(self) -> None:
        default_hold = next((r for r, row in self.job_hold_reasons.items() if row.get("active", True)), 0)
        for job_id, job in self.jobs.items():
            if job["jobStatus"] == "Hold" and job_id not in self.job_holds:
                self.job_holds[job_id] = Hold(default_hold, "", "Scheduled")
            if job["jobStatus"] == "Canceled":
                reason = next(iter(self.job_cancel_reasons), 0)
                if not any(log["jobId"] == job_id for log in self.canceled_logs.values()):
                    log_id = self.next_id("canceled_logs", 1)
                    self.canceled_logs[log_id] = normalize(
                        {"id": log_id, "jobId": job_id, "reasonId": reason, "createdOn": job["modifiedOn"]},
                        CANCELED_LOG_FIELDS,
                        job["modifiedOn"],
                    )
            self._refresh_job_counts(job_id)
            if job_id not in self.history:
                self._seed_history(job)
        for appointment_id, appointment in self.appointments.items():
            if appointment["status"] == "Hold" and appointment_id not in self.holds:
                held = self.job_holds.get(int(appointment["jobId"]))
                self.holds[appointment_id] = held or Hold(default_hold, "", "Scheduled")
        # Initial export order follows modification time, as ServiceTitan's feeds do.
        rows: list[tuple[datetime, str, int]] = []
        for feed in FEEDS:
            for record_id, record in self.table(feed).items():
                rows.append((last_change(record), feed, record_id))
        for _, feed, record_id in sorted(rows):
            self.seq += 1
            self.change_seq[feed][record_id] = self.seq

    def _seed_history(self, job: dict[str, Any]) -> None:
        """A plausible history for a seeded job: booked, and then canceled, held or completed."""
        job_id = job["id"]
        self._history(job_id, "Job Booked", job["createdOn"], employee_id=job.get("createdById"))
        closing = {"Canceled": "Job Canceled", "Hold": "Job On Hold", "Completed": "Job Completed"}
        event = closing.get(str(job["jobStatus"]))
        if event is not None:
            memo = ""
            if event == "Job Canceled":
                log = self.latest_cancel_log(job_id)
                if log:
                    memo = self.reason_memo(self.job_cancel_reasons, log.get("reasonId"), log.get("memo"))
            elif event == "Job On Hold" and job_id in self.job_holds:
                held = self.job_holds[job_id]
                memo = self.reason_memo(self.job_hold_reasons, held.reason_id, held.memo)
            when = job.get("completedOn") or job["modifiedOn"]
            self._history(job_id, event, when, memo, employee_id=job.get("createdById"))

    @staticmethod
    def reason_memo(table: dict[int, dict[str, Any]], reason_id: Any, memo: Any) -> str:
        """A history entry's memo for a hold or cancel: the reason's name, then the user's memo."""
        reason = table.get(int(reason_id)) if isinstance(reason_id, int) else None
        name = str(reason["name"]) if reason else ""
        words = str(memo or "").strip()
        return f"{name}: {words}" if name and words else name or words

    # ------------------------------------------------------------------ helpers

    def table(self, feed: str) -> dict[int, dict[str, Any]]:
        return {
            "jobs": self.jobs,
            "appointments": self.appointments,
            "jobCanceledLogs": self.canceled_logs,
            "appointmentAssignments": self.assignments,
        }[feed]

    def next_id(self, kind: str, first: int) -> int:
        current = self._next_ids.get(kind)
        if current is None:
            # First id of a kind: one past the largest seeded id. Later ids count on from the last one.
            existing = {
                "jobs": self.jobs.keys(),
                "appointments": self.appointments.keys() | self.deleted_appointments.keys(),
                "assignments": self.assignments.keys(),
                "canceled_logs": self.canceled_logs.keys(),
            }.get(kind, set())
            current = max([first - 1, *existing]) + 1
        self._next_ids[kind] = current + 1
        return current

    def _stamp(self) -> datetime:
        """The time of a write: the clock, nudged forward so every write has a later modifiedOn."""
        moment = self.clock()
        if self.last_stamp is not None and moment <= self.last_stamp:
            moment = self.last_stamp + timedelta(microseconds=1)
        self.last_stamp = moment
        return moment

    def _touch(self, feed: str, record: dict[str, Any], stamp: datetime) -> None:
        if "modifiedOn" in record:
            record["modifiedOn"] = stamp
        self.seq += 1
        self.change_seq[feed][int(record["id"])] = self.seq

    def _history(
        self, job_id: int, event: str, stamp: datetime, memo: str = "", *, employee_id: int | None = None
    ) -> None:
        entries = self.history.setdefault(job_id, [])
        entries.append(
            {
                "id": job_id * 1000 + len(entries) + 1,
                "employeeId": employee_id if employee_id is not None else API_USER_ID,
                "eventType": event,
                "date": stamp,
                "usedSchedulingTool": "Manual",
                "memo": memo,
            }
        )

    def get_job(self, job_id: int) -> dict[str, Any]:
        job = self.jobs.get(job_id)
        if job is None:
            raise SimError(404, "Job was not found")
        return job

    def get_appointment(self, appointment_id: int) -> dict[str, Any]:
        appointment = self.appointments.get(appointment_id)
        if appointment is None:
            raise SimError(404, "Appointment was not found")
        return appointment

    def job_appointments(self, job_id: int) -> list[dict[str, Any]]:
        return sorted((a for a in self.appointments.values() if a["jobId"] == job_id), key=lambda a: a["id"])

    def active_assignments(self, appointment_id: int) -> list[dict[str, Any]]:
        return [a for a in self.assignments.values() if a["appointmentId"] == appointment_id and a["active"]]

    def technician_ids_of_job(self, job_id: int) -> set[int]:
        return {a["technicianId"] for a in self.assignments.values() if a["jobId"] == job_id and a["active"]}

    def _refresh_job_counts(self, job_id: int) -> None:
        job = self.jobs[job_id]
        appointments = self.job_appointments(job_id)
        job["appointmentCount"] = len(appointments)
        if appointments:
            job["firstAppointmentId"] = min(a["id"] for a in appointments)
            job["lastAppointmentId"] = max(a["id"] for a in appointments)

    def _derive_job_status(self, job: dict[str, Any]) -> str:
        """A job's status follows its appointments unless it is canceled or completed."""
        if job["jobStatus"] in ("Canceled", "Completed"):
            return str(job["jobStatus"])
        statuses = [a["status"] for a in self.job_appointments(job["id"])]
        if job["id"] in self.job_holds and not any(
            s in ("Working", "Dispatched", "Scheduled") for s in statuses
        ):
            return "Hold"
        for status, job_status in (
            ("Working", "InProgress"),
            ("Dispatched", "Dispatched"),
            ("Scheduled", "Scheduled"),
        ):
            if status in statuses:
                return job_status
        if "Hold" in statuses:
            return "Hold"
        if statuses and all(s == "Done" for s in statuses):
            return "Completed"
        return str(job["jobStatus"])

    def _after_appointment_change(self, job_id: int, stamp: datetime) -> None:
        job = self.jobs[job_id]
        self._refresh_job_counts(job_id)
        status = self._derive_job_status(job)
        if status != "Hold":
            self.job_holds.pop(job_id, None)
        job["jobStatus"] = status
        self._touch("jobs", job, stamp)

    def _require_open_job(self, job: dict[str, Any], action: str, status: int = 409) -> None:
        if job["jobStatus"] == "Canceled":
            raise SimError(status, f"The job is canceled and doesn't allow {action}")
        if job["jobStatus"] == "Completed":
            raise SimError(status, f"The job is completed and doesn't allow {action}")

    def _check_reason(self, table: dict[int, dict[str, Any]], reason_id: Any, memo: Any) -> tuple[int, str]:
        errors: dict[str, list[str]] = {}
        if not isinstance(reason_id, int) or isinstance(reason_id, bool):
            errors["ReasonId"] = ["The ReasonId field is required."]
        else:
            reason = table.get(reason_id)
            if reason is None:
                errors["ReasonId"] = [f"Reason with id {reason_id} was not found."]
            elif not reason["active"]:
                errors["ReasonId"] = [f"Reason with id {reason_id} is inactive."]
        if not isinstance(memo, str) or not memo.strip():
            errors["Memo"] = ["The Memo field is required."]
        if errors:
            raise SimError(400, MSG_VALIDATION, errors)
        return int(reason_id), str(memo)

    # ------------------------------------------------------------------ rendering

    def render_job(
        self, job: dict[str, Any], *, guid: str | None = None, export: bool = False
    ) -> dict[str, Any]:
        body = render(job, JOB_FIELDS)
        body["externalData"] = [dict(e) for e in self.external_data.get(job["id"], {}).get(guid, [])]
        if export:
            body["active"] = True
        return body

    def render_appointment(self, appointment: dict[str, Any], *, export: bool = False) -> dict[str, Any]:
        body = render(appointment, APPOINTMENT_FIELDS)
        if export:
            body["active"] = appointment["id"] not in self.deleted_appointments
        return body

    def render_dispatch_appointment(self, appointment: dict[str, Any]) -> dict[str, Any]:
        return render(appointment, DISPATCH_APPOINTMENT_FIELDS)

    # ------------------------------------------------------------------ jobs

    def create_job(self, body: Mapping[str, Any]) -> dict[str, Any]:
        errors: dict[str, list[str]] = {}
        required = ("customerId", "locationId", "businessUnitId", "jobTypeId", "priority", "campaignId")
        for name in required:
            if body.get(name) is None:
                errors[name[0].upper() + name[1:]] = [f"The {name[0].upper() + name[1:]} field is required."]
        appointments_in = body.get("appointments")
        if not isinstance(appointments_in, list) or not appointments_in:
            errors["Appointments"] = ["At least one appointment is required."]
        if errors:
            raise SimError(400, MSG_VALIDATION, errors)
        self._check_references(body, errors)
        if body.get("priority") not in PRIORITIES:
            errors["Priority"] = [f"Priority must be one of {', '.join(PRIORITIES)}."]
        assert isinstance(appointments_in, list)
        windows = [
            self._appointment_window(a, errors, f"Appointments[{i}]") for i, a in enumerate(appointments_in)
        ]
        for i, appointment_in in enumerate(appointments_in):
            self._check_technicians(
                appointment_in.get("technicianIds") or [], errors, f"Appointments[{i}].TechnicianIds"
            )
        if errors:
            raise SimError(400, MSG_VALIDATION, errors)
        stamp = self._stamp()
        job_id = self.next_id("jobs", 1001)
        job = normalize(
            {
                "id": job_id,
                "jobNumber": str(job_id),
                "customerId": body["customerId"],
                "locationId": body["locationId"],
                "projectId": body.get("projectId"),
                "businessUnitId": body["businessUnitId"],
                "jobTypeId": body["jobTypeId"],
                "priority": body["priority"],
                "campaignId": body["campaignId"],
                "summary": body.get("summary"),
                "tagTypeIds": list(body.get("tagTypeIds") or []),
                "customFields": self._custom_fields(body.get("customFields")),
                "customerPo": body.get("customerPo") or "",
                "soldById": body.get("soldById"),
                "jobGeneratedLeadSource": body.get("jobGeneratedLeadSource"),
                "createdOn": stamp,
                "modifiedOn": stamp,
            },
            JOB_FIELDS,
            stamp,
        )
        self.jobs[job_id] = job
        external = body.get("externalData")
        guid: str | None = None
        if isinstance(external, Mapping):
            guid = str(external.get("applicationGuid"))
            self.external_data.setdefault(job_id, {})[guid] = [
                {"key": str(e["key"]), "value": str(e["value"])} for e in external.get("externalData") or []
            ]
        if body.get("projectId") is not None and body["projectId"] in self.projects:
            project = self.projects[body["projectId"]]
            project["jobIds"] = [*project["jobIds"], job_id]
        self._history(job_id, "Job Booked", stamp)
        for appointment_in, (start, end, window_start, window_end) in zip(
            appointments_in, windows, strict=True
        ):
            self._insert_appointment(job, start, end, window_start, window_end, None, stamp)
            appointment_id = job["lastAppointmentId"]
            for technician_id in appointment_in.get("technicianIds") or []:
                self._assign(self.appointments[appointment_id], int(technician_id), stamp)
        self._after_appointment_change(job_id, stamp)
        return job

    def _custom_fields(self, fields_in: Any) -> list[dict[str, Any]]:
        return [
            {"typeId": int(f["typeId"]), "name": f"Custom field {f['typeId']}", "value": f.get("value") or ""}
            for f in fields_in or []
        ]

    def _check_references(self, body: Mapping[str, Any], errors: dict[str, list[str]]) -> None:
        checks = (
            ("customerId", self.customers, "Customer"),
            ("locationId", self.locations, "Location"),
            ("businessUnitId", self.business_units, "Business unit"),
            ("jobTypeId", self.job_types, "Job type"),
            ("campaignId", self.campaigns, "Campaign"),
            ("projectId", self.projects, "Project"),
            ("soldById", self.technicians, "Technician"),
        )
        for name, table, label in checks:
            value = body.get(name)
            if value is not None and value not in table:
                errors[name[0].upper() + name[1:]] = [f"{label} with id {value} was not found."]
        customer_id, location_id = body.get("customerId"), body.get("locationId")
        location = self.locations.get(location_id) if location_id is not None else None
        if location is not None and customer_id is not None and location["customerId"] != customer_id:
            errors["LocationId"] = [f"Location {location_id} does not belong to customer {customer_id}."]

    def _appointment_window(
        self, data: Mapping[str, Any], errors: dict[str, list[str]], prefix: str
    ) -> tuple[datetime, datetime, datetime | None, datetime | None]:
        parsed: dict[str, datetime | None] = {}
        for name in ("start", "end", "arrivalWindowStart", "arrivalWindowEnd"):
            raw = data.get(name)
            if raw is None:
                parsed[name] = None
                continue
            try:
                parsed[name] = parse_ts(str(raw))
            except ValueError:
                errors[f"{prefix}.{name[0].upper() + name[1:]}"] = [f"'{raw}' is not a valid date-time."]
                parsed[name] = None
        start, end = parsed["start"], parsed["end"]
        if start is None or end is None:
            errors.setdefault(f"{prefix}.Start", ["Start and End are required."])
            return (self.clock(), self.clock(), None, None)
        if end <= start:
            errors[f"{prefix}.End"] = ["End must be after Start."]
        window_start, window_end = parsed["arrivalWindowStart"], parsed["arrivalWindowEnd"]
        if window_start is not None and window_end is not None and window_end < window_start:
            errors[f"{prefix}.ArrivalWindowEnd"] = ["ArrivalWindowEnd must not be before ArrivalWindowStart."]
        return start, end, window_start, window_end

    def _check_technicians(
        self, technician_ids: Iterable[Any], errors: dict[str, list[str]], name: str
    ) -> None:
        for technician_id in technician_ids:
            technician = self.technicians.get(technician_id) if isinstance(technician_id, int) else None
            if technician is None:
                errors.setdefault(name, []).append(f"Technician with id {technician_id} was not found.")
            elif not technician["active"]:
                errors.setdefault(name, []).append(f"Technician with id {technician_id} is inactive.")

    def update_job(self, job_id: int, body: Mapping[str, Any]) -> dict[str, Any]:
        job = self.get_job(job_id)
        errors: dict[str, list[str]] = {}
        merged = {**job, **{k: v for k, v in body.items() if k in ("customerId", "locationId")}}
        self._check_references(
            {**body, "customerId": merged["customerId"], "locationId": merged["locationId"]}, errors
        )
        if "priority" in body and body["priority"] not in PRIORITIES:
            errors["Priority"] = [f"Priority must be one of {', '.join(PRIORITIES)}."]
        if errors:
            raise SimError(400, MSG_VALIDATION, errors)
        stamp = self._stamp()
        simple = (
            "customerId",
            "locationId",
            "businessUnitId",
            "jobTypeId",
            "priority",
            "campaignId",
            "summary",
            "customerPo",
            "soldById",
            "jobGeneratedLeadSource",
        )
        for name in simple:
            if name in body:
                job[name] = body[name]
        if "tagTypeIds" in body:
            job["tagTypeIds"] = list(body["tagTypeIds"] or [])
        if "customFields" in body:
            job["customFields"] = self._custom_fields(body["customFields"])
        external = body.get("externalData")
        if isinstance(external, Mapping):
            guid = str(external.get("applicationGuid"))
            current = {e["key"]: e["value"] for e in self.external_data.get(job_id, {}).get(guid, [])}
            if external.get("patchMode") == "Merge":
                for entry in external.get("externalData") or []:
                    if entry.get("value") is None:
                        current.pop(entry["key"], None)
                    else:
                        current[entry["key"]] = str(entry["value"])
            else:
                current = {e["key"]: str(e.get("value") or "") for e in external.get("externalData") or []}
            self.external_data.setdefault(job_id, {})[guid] = [
                {"key": k, "value": v} for k, v in current.items()
            ]
        for appointment in self.job_appointments(job_id):
            appointment["customerId"] = job["customerId"]
        self._history(job_id, "Job Updated", stamp)
        self._touch("jobs", job, stamp)
        return job

    def cancel_job(self, job_id: int, body: Mapping[str, Any]) -> None:
        job = self.get_job(job_id)
        reason_id, memo = self._check_reason(self.job_cancel_reasons, body.get("reasonId"), body.get("memo"))
        if job["jobStatus"] == "Canceled":
            raise SimError(400, "Job is already canceled")
        if job["jobStatus"] == "Completed":
            raise SimError(400, "Job is completed and cannot be canceled")
        stamp = self._stamp()
        for appointment in self.job_appointments(job_id):
            if appointment["status"] != "Done":
                self.holds.pop(appointment["id"], None)
                appointment["status"] = "Canceled"
                self._touch("appointments", appointment, stamp)
        self.job_holds.pop(job_id, None)
        log_id = self.next_id("canceled_logs", 1)
        log = normalize(
            {"id": log_id, "jobId": job_id, "reasonId": reason_id, "memo": memo, "createdOn": stamp},
            CANCELED_LOG_FIELDS,
            stamp,
        )
        self.canceled_logs[log_id] = log
        self._touch("jobCanceledLogs", log, stamp)
        job["jobStatus"] = "Canceled"
        self._history(
            job_id, "Job Canceled", stamp, self.reason_memo(self.job_cancel_reasons, reason_id, memo)
        )
        self._touch("jobs", job, stamp)

    def remove_cancellation(self, job_id: int) -> None:
        job = self.get_job(job_id)
        if job["jobStatus"] != "Canceled":
            raise SimError(400, "Job is not canceled")
        stamp = self._stamp()
        job["jobStatus"] = "Scheduled"
        for appointment in self.job_appointments(job_id):
            if appointment["status"] == "Canceled":
                appointment["status"] = "Scheduled"
                self._touch("appointments", appointment, stamp)
        self._history(job_id, "Job Cancellation Removed", stamp)
        self._after_appointment_change(job_id, stamp)

    def hold_job(self, job_id: int, body: Mapping[str, Any]) -> None:
        job = self.get_job(job_id)
        reason_id, memo = self._check_reason(self.job_hold_reasons, body.get("reasonId"), body.get("memo"))
        if job["jobStatus"] in ("Canceled", "Completed"):
            raise SimError(400, f"Job is {job['jobStatus'].lower()} and cannot be put on hold")
        if job["jobStatus"] == "Hold":
            raise SimError(400, "Job is already on hold")
        if job["jobStatus"] == "InProgress":
            raise SimError(400, "Job is in progress and cannot be put on hold")
        stamp = self._stamp()
        for appointment in self.job_appointments(job_id):
            if appointment["status"] in ("Scheduled", "Dispatched"):
                self.holds[appointment["id"]] = Hold(reason_id, memo, appointment["status"])
                appointment["status"] = "Hold"
                self._touch("appointments", appointment, stamp)
        self.job_holds[job_id] = Hold(reason_id, memo, str(job["jobStatus"]))
        job["jobStatus"] = "Hold"
        self._history(job_id, "Job On Hold", stamp, self.reason_memo(self.job_hold_reasons, reason_id, memo))
        self._touch("jobs", job, stamp)

    def add_note(self, job_id: int, body: Mapping[str, Any]) -> dict[str, Any]:
        job = self.get_job(job_id)
        text = body.get("text")
        if not isinstance(text, str) or not text.strip():
            raise validation_error("Text", "The Text field is required.")
        stamp = self._stamp()
        note = {
            "text": text,
            "isPinned": bool(body.get("pinToTop")),
            "createdById": API_USER_ID,
            "createdOn": stamp,
            "modifiedOn": stamp,
        }
        self.notes.setdefault(job_id, []).append(note)
        self._touch("jobs", job, stamp)
        return note

    def job_notes(self, job_id: int) -> list[dict[str, Any]]:
        self.get_job(job_id)
        notes = self.notes.get(job_id, [])
        return [n for n in notes if n["isPinned"]] + [n for n in notes if not n["isPinned"]]

    def latest_cancel_log(self, job_id: int) -> dict[str, Any] | None:
        logs = [log for log in self.canceled_logs.values() if log["jobId"] == job_id]
        return max(logs, key=lambda log: (log["createdOn"], log["id"])) if logs else None

    # ------------------------------------------------------------------ appointments

    def _insert_appointment(
        self,
        job: dict[str, Any],
        start: datetime,
        end: datetime,
        window_start: datetime | None,
        window_end: datetime | None,
        special_instructions: str | None,
        stamp: datetime,
    ) -> dict[str, Any]:
        appointment_id = self.next_id("appointments", 5001)
        number = len(self.job_appointments(job["id"])) + 1
        appointment = normalize(
            {
                "id": appointment_id,
                "jobId": job["id"],
                "appointmentNumber": f"{job['jobNumber']}-{number}",
                "start": start,
                "end": end,
                "arrivalWindowStart": window_start,
                "arrivalWindowEnd": window_end,
                "specialInstructions": special_instructions,
                "customerId": job["customerId"],
                "createdOn": stamp,
                "modifiedOn": stamp,
            },
            APPOINTMENT_FIELDS,
            stamp,
        )
        self.appointments[appointment_id] = appointment
        self._touch("appointments", appointment, stamp)
        self._refresh_job_counts(job["id"])
        return appointment

    def add_appointment(self, body: Mapping[str, Any]) -> dict[str, Any]:
        job_id = body.get("jobId")
        if not isinstance(job_id, int):
            raise validation_error("JobId", "The JobId field is required.")
        job = self.get_job(job_id)
        errors: dict[str, list[str]] = {}
        start, end, window_start, window_end = self._appointment_window(body, errors, "Appointment")
        self._check_technicians(body.get("technicianIds") or [], errors, "TechnicianIds")
        if errors:
            raise SimError(400, MSG_VALIDATION, errors)
        self._require_open_job(job, "adding appointments")
        stamp = self._stamp()
        appointment = self._insert_appointment(
            job, start, end, window_start, window_end, body.get("specialInstructions"), stamp
        )
        for technician_id in body.get("technicianIds") or []:
            self._assign(appointment, int(technician_id), stamp)
        self._history(job_id, "Appointment Added", stamp)
        self._after_appointment_change(job_id, stamp)
        return appointment

    def reschedule(self, appointment_id: int, body: Mapping[str, Any]) -> dict[str, Any]:
        appointment = self.get_appointment(appointment_id)
        job = self.jobs[appointment["jobId"]]
        errors: dict[str, list[str]] = {}
        data = {
            "start": body.get("start") or format_ts(appointment["start"]),
            "end": body.get("end") or format_ts(appointment["end"]),
            "arrivalWindowStart": body.get("arrivalWindowStart"),
            "arrivalWindowEnd": body.get("arrivalWindowEnd"),
        }
        start, end, window_start, window_end = self._appointment_window(data, errors, "Appointment")
        if errors:
            raise SimError(400, MSG_VALIDATION, errors)
        self._require_open_job(job, "rescheduling")
        if appointment["status"] in ("Working", "Done", "Canceled"):
            raise SimError(409, f"Appointment is {appointment['status']} and cannot be rescheduled")
        stamp = self._stamp()
        appointment.update(
            {"start": start, "end": end, "arrivalWindowStart": window_start, "arrivalWindowEnd": window_end}
        )
        self._touch("appointments", appointment, stamp)
        self._history(job["id"], "Appointment Rescheduled", stamp)
        self._after_appointment_change(job["id"], stamp)
        return appointment

    def set_special_instructions(self, appointment_id: int, body: Mapping[str, Any]) -> dict[str, Any]:
        appointment = self.get_appointment(appointment_id)
        text = body.get("specialInstructions")
        if not isinstance(text, str):
            raise validation_error("SpecialInstructions", "The SpecialInstructions field is required.")
        stamp = self._stamp()
        appointment["specialInstructions"] = text
        self._touch("appointments", appointment, stamp)
        self._after_appointment_change(appointment["jobId"], stamp)
        return appointment

    def hold_appointment(self, appointment_id: int, body: Mapping[str, Any]) -> None:
        appointment = self.get_appointment(appointment_id)
        reason_id, memo = self._check_reason(self.job_hold_reasons, body.get("reasonId"), body.get("memo"))
        job = self.jobs[appointment["jobId"]]
        self._require_open_job(job, "holds")
        if appointment["status"] == "Hold":
            raise SimError(409, "Appointment is already on hold")
        if appointment["status"] not in ("Scheduled", "Dispatched"):
            raise SimError(409, f"Appointment is {appointment['status']} and cannot be put on hold")
        stamp = self._stamp()
        self.holds[appointment_id] = Hold(reason_id, memo, appointment["status"])
        appointment["status"] = "Hold"
        self._touch("appointments", appointment, stamp)
        self._history(
            job["id"], "Appointment On Hold", stamp, self.reason_memo(self.job_hold_reasons, reason_id, memo)
        )
        self._after_appointment_change(job["id"], stamp)

    def remove_hold(self, appointment_id: int) -> None:
        appointment = self.get_appointment(appointment_id)
        if appointment["status"] != "Hold":
            raise SimError(409, MSG_NOT_ON_HOLD)
        stamp = self._stamp()
        hold = self.holds.pop(appointment_id, None)
        appointment["status"] = hold.previous_status if hold else "Scheduled"
        self._touch("appointments", appointment, stamp)
        job = self.jobs[appointment["jobId"]]
        self._history(job["id"], "Appointment Hold Removed", stamp)
        self._after_appointment_change(job["id"], stamp)

    def delete_appointment(self, appointment_id: int) -> None:
        appointment = self.get_appointment(appointment_id)
        siblings = self.job_appointments(appointment["jobId"])
        if (
            len(siblings) <= 1
            or appointment_id in self.timesheets
            or appointment["status"] in ("Working", "Done")
        ):
            raise SimError(409, MSG_CANNOT_DELETE)
        stamp = self._stamp()
        del self.appointments[appointment_id]
        self.holds.pop(appointment_id, None)
        self.deleted_appointments[appointment_id] = appointment
        self._touch("appointments", appointment, stamp)
        for assignment in self.active_assignments(appointment_id):
            assignment["active"] = False
            self._touch("appointmentAssignments", assignment, stamp)
        self._history(appointment["jobId"], "Appointment Deleted", stamp)
        self._after_appointment_change(appointment["jobId"], stamp)

    # ------------------------------------------------------------------ dispatch

    def _assign(self, appointment: dict[str, Any], technician_id: int, stamp: datetime) -> None:
        if any(a["technicianId"] == technician_id for a in self.active_assignments(appointment["id"])):
            return
        technician = self.technicians[technician_id]
        assignment_id = self.next_id("assignments", 7001)
        status = appointment["status"] if appointment["status"] in ASSIGNMENT_STATUSES else "Scheduled"
        assignment = normalize(
            {
                "id": assignment_id,
                "technicianId": technician_id,
                "technicianName": technician["name"],
                "assignedOn": stamp,
                "status": status,
                "jobId": appointment["jobId"],
                "appointmentId": appointment["id"],
                "createdOn": stamp,
                "modifiedOn": stamp,
            },
            ASSIGNMENT_FIELDS,
            stamp,
        )
        self.assignments[assignment_id] = assignment
        self._touch("appointmentAssignments", assignment, stamp)

    def _dispatch_request(self, body: Mapping[str, Any]) -> tuple[dict[str, Any], list[int]]:
        appointment_id = body.get("jobAppointmentId")
        technician_ids = body.get("technicianIds")
        errors: dict[str, list[str]] = {}
        if not isinstance(appointment_id, int):
            errors["JobAppointmentId"] = ["The JobAppointmentId field is required."]
        if not isinstance(technician_ids, list) or not technician_ids:
            errors["TechnicianIds"] = ["At least one technician id is required."]
        if errors:
            raise SimError(400, MSG_VALIDATION, errors)
        assert isinstance(appointment_id, int) and isinstance(technician_ids, list)
        appointment = self.get_appointment(appointment_id)
        return appointment, technician_ids

    def assign_technicians(self, body: Mapping[str, Any]) -> dict[str, Any]:
        appointment, technician_ids = self._dispatch_request(body)
        errors: dict[str, list[str]] = {}
        self._check_technicians(technician_ids, errors, "TechnicianIds")
        if errors:
            raise SimError(400, MSG_VALIDATION, errors)
        job = self.jobs[appointment["jobId"]]
        self._require_open_job(job, "assigning technicians")
        if appointment["status"] in ("Done", "Canceled"):
            raise SimError(
                409, f"Appointment is {appointment['status']} and doesn't allow assigning technicians"
            )
        stamp = self._stamp()
        for technician_id in technician_ids:
            self._assign(appointment, int(technician_id), stamp)
        self._touch("appointments", appointment, stamp)
        self._history(job["id"], "Technician Assigned", stamp)
        self._after_appointment_change(job["id"], stamp)
        return appointment

    def unassign_technicians(self, body: Mapping[str, Any]) -> dict[str, Any]:
        appointment, technician_ids = self._dispatch_request(body)
        job = self.jobs[appointment["jobId"]]
        assigned = {a["technicianId"]: a for a in self.active_assignments(appointment["id"])}
        missing = [t for t in technician_ids if t not in assigned]
        if missing:
            raise validation_error(
                "TechnicianIds",
                f"Technicians {', '.join(map(str, missing))} are not assigned to appointment {appointment['id']}.",
            )
        if appointment["status"] in ("Done", "Canceled") or job["jobStatus"] in ("Completed", "Canceled"):
            raise SimError(
                400, f"Appointment is {appointment['status']} and doesn't allow unassigning technicians"
            )
        stamp = self._stamp()
        for technician_id in technician_ids:
            assignment = assigned[technician_id]
            assignment["active"] = False
            self._touch("appointmentAssignments", assignment, stamp)
        self._touch("appointments", appointment, stamp)
        self._history(job["id"], "Technician Unassigned", stamp)
        self._after_appointment_change(job["id"], stamp)
        return appointment

    # ------------------------------------------------------------------ exports

    def export(
        self, feed: str, from_value: str | None, *, include_recent: bool = False
    ) -> tuple[list[tuple[int, int]], str, bool]:
        """Changes after `from`, oldest first: ([(seq, id)], continueFrom token, hasMore).

        With `export_delay` set, changes younger than it stay out of the feed (and the token does not pass
        them) unless `include_recent`, like ServiceTitan's 15-minute export freshness.
        """
        after_seq = 0
        since: datetime | None = None
        if from_value:
            decoded_seq, since = decode_from(from_value)
            after_seq = decoded_seq or 0
        rows = sorted((seq, record_id) for record_id, seq in self.change_seq[feed].items() if seq > after_seq)
        if since is not None:
            rows = [(s, i) for s, i in rows if self._changed_on(feed, i) >= since]
        if self.export_delay and not include_recent:
            cutoff = self.clock() - self.export_delay
            visible: list[tuple[int, int]] = []
            for seq, record_id in rows:
                if self._changed_on(feed, record_id) > cutoff:
                    break
                visible.append((seq, record_id))
            rows = visible
        batch = rows[: self.export_batch_size]
        has_more = len(rows) > len(batch)
        last = batch[-1][0] if batch else (after_seq or (max((s for s, _ in rows), default=0)))
        if not batch and since is not None:
            last = self.seq
        return batch, encode_token(last), has_more

    def _feed_record(self, feed: str, record_id: int) -> dict[str, Any]:
        """The record behind a feed row; deleted appointments stay in their feed."""
        record = self.table(feed).get(record_id)
        if record is None and feed == "appointments":
            record = self.deleted_appointments[record_id]
        assert record is not None
        return record

    def _changed_on(self, feed: str, record_id: int) -> datetime:
        return last_change(self._feed_record(feed, record_id))

    def export_record(self, feed: str, record_id: int) -> dict[str, Any]:
        return dict(self._feed_record(feed, record_id))
