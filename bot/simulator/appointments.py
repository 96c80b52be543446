"""JPM appointments (`/jpm/v2/tenant/{tenant}/appointments...`): their rules and routes.

A job's only appointment cannot be deleted, nor one with timesheets or already worked; a single appointment
can be put on hold (with a reason and memo) but not canceled; its status is never set through the API.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.simulator.query import (
    Query,
    common_filters,
    empty_ok,
    equals,
    ids_filter,
    in_window,
    json_body,
    list_response,
    path_int,
)
from bot.simulator.records import (
    APPOINTMENT_STATUSES,
    MSG_ALREADY_CONFIRMED,
    MSG_CANNOT_DELETE,
    MSG_NOT_CONFIRMED,
    MSG_NOT_ON_HOLD,
    MSG_VALIDATION,
    Hold,
    SimError,
    validation_error,
)
from bot.simulator.tenant import TenantData
from bot.simulator.timeutil import format_ts


class AppointmentRules(TenantData):
    """Adding, rescheduling, holding, confirming and deleting appointments, and their special instructions."""

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

    def confirm(self, appointment_id: int) -> None:
        """`PUT /appointments/{id}/confirmation`: the customer confirmed the visit (409 if already confirmed)."""
        self._set_confirmed(appointment_id, True, MSG_ALREADY_CONFIRMED)

    def remove_confirmation(self, appointment_id: int) -> None:
        """`DELETE /appointments/{id}/confirmation` (409 if it was not confirmed)."""
        self._set_confirmed(appointment_id, False, MSG_NOT_CONFIRMED)

    def _set_confirmed(self, appointment_id: int, confirmed: bool, conflict: str) -> None:
        appointment = self.get_appointment(appointment_id)
        if bool(appointment["isConfirmed"]) == confirmed:
            raise SimError(409, conflict)
        stamp = self._stamp()
        appointment["isConfirmed"] = confirmed
        self._touch("appointments", appointment, stamp)
        event = "Appointment Confirmed" if confirmed else "Appointment Confirmation Removed"
        self._history(appointment["jobId"], event, stamp)
        self._after_appointment_change(appointment["jobId"], stamp)

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


class AppointmentRoutes:
    """The Appointments operations of the JPM document, over the tenant's `AppointmentRules`."""

    def __init__(self, state: AppointmentRules) -> None:
        self.state = state

    def routes(self, jpm: str) -> list[BaseRoute]:
        one = f"{jpm}/appointments/{{id:int}}"
        return [
            Route(f"{jpm}/appointments", self.list_appointments, methods=["GET"]),
            Route(f"{jpm}/appointments", self.add_appointment, methods=["POST"]),
            Route(one, self.get_appointment, methods=["GET"]),
            Route(one, self.delete_appointment, methods=["DELETE"]),
            Route(f"{one}/reschedule", self.reschedule, methods=["PATCH"]),
            Route(f"{one}/special-instructions", self.set_special_instructions, methods=["PUT"]),
            Route(f"{one}/hold", self.hold_appointment, methods=["PUT"]),
            Route(f"{one}/hold", self.remove_hold, methods=["DELETE"]),
            Route(f"{one}/confirmation", self.confirm, methods=["PUT"]),
            Route(f"{one}/confirmation", self.remove_confirmation, methods=["DELETE"]),
        ]

    def appointment_in_path(self, request: Request) -> int:
        """The appointment the path names: a missing one is a 404 before the body is read."""
        appointment_id = path_int(request)
        self.state.get_appointment(appointment_id)
        return appointment_id

    async def list_appointments(self, request: Request) -> Response:
        q = Query(request.query_params)
        filters = ids_filter(q) + common_filters(q, active_default=None)
        filters += equals(q, "jobId") + equals(q, "customerId")
        project_id = q.integer("projectId")
        if project_id is not None:
            filters.append(lambda r: self.state.jobs.get(r["jobId"], {}).get("projectId") == project_id)
        number = q.text("number")
        if number is not None:
            filters.append(lambda r: r.get("appointmentNumber") == number)
        status = q.enum("status", APPOINTMENT_STATUSES)
        if status is not None:
            filters.append(lambda r: r["status"] == status)
        window = (q.moment("startsOnOrAfter"), q.moment("startsBefore"))
        if window != (None, None):
            filters.append(lambda r: in_window(r["start"], *window))
        technician_id = q.integer("technicianId")
        if technician_id is not None:
            filters.append(
                lambda r: any(
                    a["technicianId"] == technician_id for a in self.state.active_assignments(r["id"])
                )
            )
        unused = q.boolean("unused")
        if unused is not None:
            filters.append(lambda r: bool(r["unused"]) == unused)
        return list_response(q, self.state.appointments, filters, self.state.render_appointment)

    async def get_appointment(self, request: Request) -> Response:
        return JSONResponse(self.state.render_appointment(self.state.get_appointment(path_int(request))))

    async def add_appointment(self, request: Request) -> Response:
        appointment = self.state.add_appointment(await json_body(request))
        return JSONResponse(self.state.render_appointment(appointment))

    async def reschedule(self, request: Request) -> Response:
        appointment = self.state.reschedule(self.appointment_in_path(request), await json_body(request))
        return JSONResponse(self.state.render_appointment(appointment))

    async def set_special_instructions(self, request: Request) -> Response:
        appointment = self.state.set_special_instructions(
            self.appointment_in_path(request), await json_body(request)
        )
        return JSONResponse(self.state.render_appointment(appointment))

    async def hold_appointment(self, request: Request) -> Response:
        self.state.hold_appointment(self.appointment_in_path(request), await json_body(request))
        return empty_ok()

    async def remove_hold(self, request: Request) -> Response:
        self.state.remove_hold(path_int(request))
        return empty_ok()

    async def confirm(self, request: Request) -> Response:
        self.state.confirm(path_int(request))
        return empty_ok()

    async def remove_confirmation(self, request: Request) -> Response:
        self.state.remove_confirmation(path_int(request))
        return empty_ok()

    async def delete_appointment(self, request: Request) -> Response:
        self.state.delete_appointment(path_int(request))
        return empty_ok()
