"""JPM jobs (`/jpm/v2/tenant/{tenant}/jobs...`): the rules ServiceTitan enforces on jobs, and their routes.

Jobs are never deleted, only canceled with a reason and memo; a hold needs a reason and memo too; a job's
status follows its appointments unless it is canceled or completed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.simulator.query import (
    MAX_IDS,
    Predicate,
    Query,
    Record,
    application_guid,
    common_filters,
    empty_ok,
    equals,
    ids_filter,
    in_window,
    json_body,
    list_response,
    paginate,
    path_int,
)
from bot.simulator.records import (
    APPOINTMENT_STATUSES,
    CANCELED_LOG_FIELDS,
    JOB_FIELDS,
    JOB_STATUSES,
    MSG_CANNOT_COMPLETE,
    MSG_VALIDATION,
    PRIORITIES,
    Hold,
    SimError,
    normalize,
    render,
    validation_error,
)
from bot.simulator.tenant import TenantData
from bot.simulator.timeutil import parse_ts

NOTE_FIELDS = ("text", "isPinned", "createdById", "createdOn", "modifiedOn")
HISTORY_FIELDS = ("id", "employeeId", "eventType", "date", "usedSchedulingTool", "memo")


class JobRules(TenantData):
    """Booking, updating, canceling, holding and completing jobs, and their notes."""

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
                "createdById": self.actor,
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
            {
                "id": log_id,
                "jobId": job_id,
                "reasonId": reason_id,
                "memo": memo,
                "createdOn": stamp,
                "createdById": self.actor,
            },
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
        # The cancellation no longer holds: its log stays, inactive (export/job-canceled-logs shows the change).
        for log in self.canceled_logs.values():
            if log["jobId"] == job_id and log["active"]:
                log["active"] = False
                self._touch("jobCanceledLogs", log, stamp)
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

    def complete_job(self, job_id: int, body: Mapping[str, Any]) -> None:
        """`PUT /jobs/{id}/complete` `{completedOn}`: the job and its open appointments are done.

        409 when the job is already completed or canceled or nobody is assigned to it (the document's text).
        """
        job = self.get_job(job_id)
        raw = body.get("completedOn")
        if raw is None:
            raise validation_error("CompletedOn", "The CompletedOn field is required.")
        try:
            completed_on = parse_ts(str(raw))
        except ValueError as exc:
            raise validation_error("CompletedOn", f"'{raw}' is not a valid date-time.") from exc
        if job["jobStatus"] in ("Completed", "Canceled") or not self.technician_ids_of_job(job_id):
            raise SimError(409, MSG_CANNOT_COMPLETE)
        stamp = self._stamp()
        for appointment in self.job_appointments(job_id):
            if appointment["status"] not in ("Done", "Canceled"):
                self.holds.pop(appointment["id"], None)
                appointment["status"] = "Done"
                self._touch("appointments", appointment, stamp)
            for assignment in self.active_assignments(appointment["id"]):
                if assignment["status"] != "Done":
                    assignment["status"] = "Done"
                    self._touch("appointmentAssignments", assignment, stamp)
        self.job_holds.pop(job_id, None)
        job["jobStatus"] = "Completed"
        job["completedOn"] = completed_on
        self._history(job_id, "Job Completed", stamp)
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
            "createdById": self.actor,
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


class JobRoutes:
    """The Jobs operations of the JPM document, over the tenant's `JobRules`."""

    def __init__(self, state: JobRules) -> None:
        self.state = state

    def routes(self, jpm: str) -> list[BaseRoute]:
        return [
            Route(f"{jpm}/jobs", self.list_jobs, methods=["GET"]),
            Route(f"{jpm}/jobs", self.create_job, methods=["POST"]),
            Route(f"{jpm}/jobs/cancel-reasons", self.cancel_reasons_of_jobs, methods=["GET"]),
            Route(f"{jpm}/jobs/{{id:int}}", self.get_job, methods=["GET"]),
            Route(f"{jpm}/jobs/{{id:int}}", self.update_job, methods=["PATCH"]),
            Route(f"{jpm}/jobs/{{id:int}}/cancel", self.cancel_job, methods=["PUT"]),
            Route(f"{jpm}/jobs/{{id:int}}/remove-cancellation", self.remove_cancellation, methods=["PUT"]),
            Route(f"{jpm}/jobs/{{id:int}}/hold", self.hold_job, methods=["PUT"]),
            Route(f"{jpm}/jobs/{{id:int}}/complete", self.complete_job, methods=["PUT"]),
            Route(f"{jpm}/jobs/{{id:int}}/notes", self.list_notes, methods=["GET"]),
            Route(f"{jpm}/jobs/{{id:int}}/notes", self.add_note, methods=["POST"]),
            Route(f"{jpm}/jobs/{{id:int}}/canceled-log", self.canceled_log, methods=["GET"]),
            Route(f"{jpm}/jobs/{{id:int}}/history", self.history, methods=["GET"]),
        ]

    def job_in_path(self, request: Request) -> int:
        """The job the path names: a missing one is a 404 before the body is read."""
        job_id = path_int(request)
        self.state.get_job(job_id)
        return job_id

    async def list_jobs(self, request: Request) -> Response:
        q = Query(request.query_params)
        guid = q.text("externalDataApplicationGuid")
        filters = self._job_filters(q) + self._appointment_filters(q) + self._external_data_filters(q, guid)
        return list_response(
            q,
            self.state.jobs,
            filters,
            lambda r: self.state.render_job(r, guid=guid),
            ("Id", "ModifiedOn", "CreatedOn", "Priority"),
        )

    def _job_filters(self, q: Query) -> list[Predicate]:
        """`GET /jobs` filters on the job's own fields."""
        filters = ids_filter(q) + common_filters(q, active_default=None)
        number = q.text("number")
        if number is not None:
            filters.append(lambda r: r["jobNumber"] == number)
        for name in (
            "projectId",
            "bookingId",
            "customerId",
            "locationId",
            "soldById",
            "jobTypeId",
            "campaignId",
            "businessUnitId",
            "invoiceId",
        ):
            filters += equals(q, name)
        job_status = q.enum("jobStatus", JOB_STATUSES)
        if job_status is not None:
            filters.append(lambda r: r["jobStatus"] == job_status)
        priority = q.text("priority")
        if priority is not None:
            filters.append(lambda r: str(r["priority"]).lower() == priority.lower())
        completed = (q.moment("completedOnOrAfter"), q.moment("completedBefore"))
        if completed != (None, None):
            filters.append(lambda r: in_window(r.get("completedOn"), *completed))
        tag_ids = q.ids("tagTypeIds", limit=10_000)
        if tag_ids is not None:
            filters.append(lambda r: bool(tag_ids & set(r.get("tagTypeIds") or [])))
        return filters

    def _appointment_filters(self, q: Query) -> list[Predicate]:
        """`GET /jobs` filters on the job's appointments and their technicians."""
        filters: list[Predicate] = []
        visits = self.state.job_appointments
        appointment_status = q.enum("appointmentStatus", APPOINTMENT_STATUSES)
        if appointment_status is not None:
            filters.append(lambda r: any(a["status"] == appointment_status for a in visits(r["id"])))
        first = (q.moment("firstAppointmentStartsOnOrAfter"), q.moment("firstAppointmentStartsBefore"))
        if first != (None, None):
            filters.append(
                lambda r: (
                    bool(visits(r["id"])) and in_window(min(a["start"] for a in visits(r["id"])), *first)
                )
            )
        any_window = (q.moment("appointmentStartsOnOrAfter"), q.moment("appointmentStartsBefore"))
        if any_window != (None, None):
            filters.append(lambda r: any(in_window(a["start"], *any_window) for a in visits(r["id"])))
        technician_id = q.integer("technicianId")
        if technician_id is not None:
            filters.append(lambda r: technician_id in self.state.technician_ids_of_job(r["id"]))
        unused = q.boolean("hasUnusedAppointments")
        if unused is not None:
            filters.append(lambda r: any(a["unused"] for a in visits(r["id"])) == unused)
        return filters

    def _external_data_filters(self, q: Query, guid: str | None) -> list[Predicate]:
        """`externalDataKey` with `externalDataValues` (both or neither), under `guid` when given."""
        ext_key = q.text("externalDataKey")
        ext_values = q.text("externalDataValues")
        if ext_key is None and ext_values is None:
            return []
        if ext_key is None or ext_values is None:
            q.errors.setdefault("externalDataKey", []).append(
                "'externalDataKey' and 'externalDataValues' must be provided together."
            )
            return []
        values = {v.strip() for v in ext_values.split(",") if v.strip()}
        if len(values) > MAX_IDS:
            q.errors.setdefault("ExternalDataValues", []).append("Lookup should not exceed 50 values")

        def has_external(r: Record) -> bool:
            per_app = self.state.external_data.get(r["id"], {})
            groups = [per_app.get(guid, [])] if guid is not None else list(per_app.values())
            return any(e["key"] == ext_key and e["value"] in values for g in groups for e in g)

        return [has_external]

    async def get_job(self, request: Request) -> Response:
        q = Query(request.query_params)
        job = self.state.get_job(path_int(request))
        return JSONResponse(self.state.render_job(job, guid=q.text("externalDataApplicationGuid")))

    async def create_job(self, request: Request) -> Response:
        body = await json_body(request)
        job = self.state.create_job(body)
        return JSONResponse(self.state.render_job(job, guid=application_guid(body)))

    async def update_job(self, request: Request) -> Response:
        body = await json_body(request)
        job = self.state.update_job(path_int(request), body)
        return JSONResponse(self.state.render_job(job, guid=application_guid(body)))

    async def cancel_job(self, request: Request) -> Response:
        self.state.cancel_job(self.job_in_path(request), await json_body(request))
        return empty_ok()

    async def remove_cancellation(self, request: Request) -> Response:
        self.state.remove_cancellation(path_int(request))
        return empty_ok()

    async def hold_job(self, request: Request) -> Response:
        self.state.hold_job(self.job_in_path(request), await json_body(request))
        return empty_ok()

    async def complete_job(self, request: Request) -> Response:
        self.state.complete_job(self.job_in_path(request), await json_body(request))
        return empty_ok()

    async def list_notes(self, request: Request) -> Response:
        q = Query(request.query_params)
        notes = self.state.job_notes(path_int(request))
        return paginate(q, notes, lambda n: render(n, NOTE_FIELDS))

    async def add_note(self, request: Request) -> Response:
        note = self.state.add_note(self.job_in_path(request), await json_body(request))
        return JSONResponse(render(note, NOTE_FIELDS))

    async def cancel_reasons_of_jobs(self, request: Request) -> Response:
        q = Query(request.query_params)
        ids = q.ids("ids")
        if ids is None:
            q.errors.setdefault("ids", []).append("The ids field is required.")
        q.check()
        assert ids is not None
        rows: list[dict[str, Any]] = []
        for job_id in sorted(ids):
            job = self.state.jobs.get(job_id)
            if job is None or job["jobStatus"] != "Canceled":
                continue
            log = self.state.latest_cancel_log(job_id)
            if log is None:
                continue
            reason = self.state.job_cancel_reasons.get(log["reasonId"])
            rows.append(
                {
                    "jobId": job_id,
                    "reasonId": log["reasonId"],
                    "name": reason["name"] if reason else "",
                    "text": log.get("memo") or "",
                }
            )
        return paginate(q, rows, lambda row: row)

    async def canceled_log(self, request: Request) -> Response:
        q = Query(request.query_params)
        job_id = self.job_in_path(request)
        logs = sorted(
            (log for log in self.state.canceled_logs.values() if log["jobId"] == job_id),
            key=lambda x: x["id"],
        )
        return paginate(q, logs, lambda log: render(log, CANCELED_LOG_FIELDS))

    async def history(self, request: Request) -> Response:
        job_id = self.job_in_path(request)
        entries = self.state.history.get(job_id, [])
        return JSONResponse({"history": [render(e, HISTORY_FIELDS) for e in entries]})
