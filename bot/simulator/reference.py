"""JPM reference data: job types, job hold and cancel reasons, and projects (lists and single reads)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.simulator.query import (
    SORT_FIELDS,
    Predicate,
    Query,
    common_filters,
    contains,
    date_in_window,
    equals,
    ids_filter,
    paginate,
    simple_get,
    simple_list,
    table_routes,
)
from bot.simulator.records import JOB_TYPE_FIELDS, PROJECT_FIELDS, REASON_FIELDS, render, validation_error
from bot.simulator.tenant import TenantData


def job_type_filters(q: Query) -> list[Predicate]:
    filters = ids_filter(q) + contains(q, "name")
    min_duration, max_duration = q.integer("minDuration"), q.integer("maxDuration")
    if min_duration is not None:
        filters.append(lambda r: r["duration"] >= min_duration)
    if max_duration is not None:
        filters.append(lambda r: r["duration"] <= max_duration)
    priority = q.text("priority")
    if priority is not None:
        filters.append(lambda r: str(r["priority"]).lower() == priority.lower())
    return filters


class ReferenceRoutes:
    """Job types, hold and cancel reasons and projects of the JPM document."""

    def __init__(self, state: TenantData) -> None:
        self.state = state

    def routes(self, jpm: str) -> list[BaseRoute]:
        return [
            Route(
                f"{jpm}/job-hold-reasons",
                simple_list(lambda: self.state.job_hold_reasons, REASON_FIELDS, active_default="Any"),
                methods=["GET"],
            ),
            Route(
                f"{jpm}/job-cancel-reasons",
                simple_list(lambda: self.state.job_cancel_reasons, REASON_FIELDS, active_default="Any"),
                methods=["GET"],
            ),
            Route(f"{jpm}/job-types", self.list_job_types, methods=["GET"]),
            Route(
                f"{jpm}/job-types/{{id:int}}",
                simple_get(lambda: self.state.job_types, JOB_TYPE_FIELDS, "Job type was not found"),
                methods=["GET"],
            ),
            *table_routes(
                f"{jpm}/projects",
                lambda: self.state.projects,
                PROJECT_FIELDS,
                "Project was not found",
                active_default=None,
                extra=self.project_filters,
                sort_fields=("Id", "ModifiedOn", "CreatedOn", "Name", "TargetCompletionDate"),
            ),
        ]

    async def list_job_types(self, request: Request) -> Response:
        q = Query(request.query_params)
        filters = common_filters(q, active_default="True") + job_type_filters(q)
        q.check()
        records = [r for r in self.state.job_types.values() if all(f(r) for f in filters)]
        order_by = (q.raw("orderBy") or "id").lower()
        if order_by not in ("id", "modifiedon", "createdon"):
            raise validation_error("orderBy", f"Ordering by '{q.raw('orderBy')}' is not supported.")
        direction = (q.raw("orderByDirection") or "asc").lower()
        if direction not in ("asc", "ascending", "desc", "descending"):
            raise validation_error("orderByDirection", f"'{q.raw('orderByDirection')}' is not a direction.")
        key = SORT_FIELDS[order_by]
        records.sort(key=lambda r: (r[key], r["id"]), reverse=direction.startswith("desc"))
        return paginate(q, records, lambda r: render(r, JOB_TYPE_FIELDS))

    def project_filters(self, q: Query) -> list[Predicate]:
        filters = ids_filter(q)
        filters += equals(q, "customerId") + equals(q, "locationId") + equals(q, "projectTypeId")
        job_id = q.integer("jobId")
        if job_id is not None:
            filters.append(lambda r: job_id in r["jobIds"])
        appointment_id = q.integer("appointmentId")
        if appointment_id is not None:
            appointment = self.state.appointments.get(appointment_id)
            filters.append(lambda r: appointment is not None and appointment["jobId"] in r["jobIds"])
        technician_id = q.integer("technicianId")
        if technician_id is not None:
            filters.append(
                lambda r: any(technician_id in self.state.technician_ids_of_job(j) for j in r["jobIds"])
            )
        managers = q.ids("projectManagerIds", limit=10_000)
        if managers is not None:
            filters.append(lambda r: bool(managers & set(r["projectManagerIds"])))
        units = q.ids("businessUnitIds", limit=10_000)
        if units is not None:
            filters.append(lambda r: bool(units & set(r["businessUnitIds"])))
        statuses = q.text("status")
        if statuses is not None:
            wanted = {s.strip().lower() for s in statuses.split(",")}
            filters.append(lambda r: str(r.get("status") or "None").lower() in wanted)
        for prefix, key in (
            ("starts", "startDate"),
            ("completed", "actualCompletionDate"),
            ("targetCompletionDate", "targetCompletionDate"),
        ):
            window = (q.moment(f"{prefix}OnOrAfter"), q.moment(f"{prefix}Before"))
            if window != (None, None):
                filters.append(date_in_window(key, *window))
        return filters
