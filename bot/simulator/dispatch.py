"""Dispatch (`/dispatch/v2/tenant/{tenant}/...`): technicians' assignments to appointments, arrival windows.

Assigning adds an active assignment per technician; unassigning makes it inactive (it stays in the export
feed with `active: false`). The appointment's status is never set through the API.
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
    equals,
    ids_filter,
    json_body,
    list_response,
    table_routes,
)
from bot.simulator.records import (
    ARRIVAL_WINDOW_FIELDS,
    ASSIGNMENT_FIELDS,
    MSG_VALIDATION,
    SimError,
    render,
    validation_error,
)
from bot.simulator.tenant import TenantData


class DispatchRules(TenantData):
    """Assigning and unassigning technicians."""

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


class DispatchRoutes:
    """The appointment-assignment and arrival-window operations of the Dispatch document."""

    def __init__(self, state: DispatchRules) -> None:
        self.state = state

    def routes(self, dispatch: str) -> list[BaseRoute]:
        assignments = f"{dispatch}/appointment-assignments"
        return [
            Route(assignments, self.list_assignments, methods=["GET"]),
            Route(f"{assignments}/assign-technicians", self.assign, methods=["POST"]),
            Route(f"{assignments}/unassign-technicians", self.unassign, methods=["POST"]),
            *table_routes(
                f"{dispatch}/arrival-windows",
                lambda: self.state.arrival_windows,
                ARRIVAL_WINDOW_FIELDS,
                "Arrival window was not found",
                active_default="True",
            ),
        ]

    async def list_assignments(self, request: Request) -> Response:
        q = Query(request.query_params)
        filters = ids_filter(q) + common_filters(q, active_default="True") + equals(q, "jobId")
        appointment_ids = q.ids("appointmentIds")
        if appointment_ids is not None:
            filters.append(lambda r: r["appointmentId"] in appointment_ids)
        return list_response(q, self.state.assignments, filters, lambda r: render(r, ASSIGNMENT_FIELDS))

    async def assign(self, request: Request) -> Response:
        appointment = self.state.assign_technicians(await json_body(request))
        return JSONResponse(self.state.render_dispatch_appointment(appointment))

    async def unassign(self, request: Request) -> Response:
        appointment = self.state.unassign_technicians(await json_body(request))
        return JSONResponse(self.state.render_dispatch_appointment(appointment))
