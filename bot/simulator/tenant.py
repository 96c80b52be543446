"""The simulated tenant's data and the steps the rules of every ServiceTitan module share.

Every write goes through `_stamp` (a strictly later `modifiedOn` for each write) and `_touch` (the record's
place in the export change log), so each change shows in later reads and in `export/*`. A job's status
follows its appointments (`_after_appointment_change`) unless it is canceled or completed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.simulator.records import (
    API_USER_ID,
    APPOINTMENT_FIELDS,
    ASSIGNMENT_FIELDS,
    ASSIGNMENT_STATUSES,
    DISPATCH_APPOINTMENT_FIELDS,
    FEEDS,
    JOB_FIELDS,
    MSG_VALIDATION,
    Hold,
    SimError,
    normalize,
    render,
)
from bot.simulator.timeutil import parse_ts


@dataclass
class TenantData:
    """All data of the simulated tenant and the steps every module's rules share.

    Tables are dicts id -> record (OpenAPI field names). The rules of each ServiceTitan module are mixins on
    this class (`JobRules`, `AppointmentRules`, `DispatchRules`, `ExportFeeds`), joined in `SimState`.
    """

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
    # Export change log: feed -> id -> sequence number and time of its last change (seeded rows: no time).
    change_seq: dict[str, dict[int, int]] = field(default_factory=lambda: {feed: {} for feed in FEEDS})
    change_stamp: dict[str, dict[int, datetime]] = field(default_factory=lambda: {feed: {} for feed in FEEDS})
    seq: int = 0
    export_batch_size: int = 50
    export_delay: timedelta = timedelta(0)
    last_stamp: datetime | None = None
    # Who writes: the app's integration user through the API, or an employee (`Simulator.acting_as`) for a
    # change made as if in ServiceTitan's own UI. It becomes createdById, assignedById and history employeeId.
    actor: int = API_USER_ID
    _next_ids: dict[str, int] = field(default_factory=dict)

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
        self.change_stamp[feed][int(record["id"])] = stamp

    def _history(
        self, job_id: int, event: str, stamp: datetime, memo: str = "", *, employee_id: int | None = None
    ) -> None:
        entries = self.history.setdefault(job_id, [])
        entries.append(
            {
                "id": job_id * 1000 + len(entries) + 1,
                "employeeId": employee_id if employee_id is not None else self.actor,
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

    # ------------------------------------------------------------------ checks shared by writes

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

    def latest_cancel_log(self, job_id: int) -> dict[str, Any] | None:
        logs = [log for log in self.canceled_logs.values() if log["jobId"] == job_id]
        return max(logs, key=lambda log: (log["createdOn"], log["id"])) if logs else None

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
                "createdById": self.actor,
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
                "assignedById": self.actor,
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
