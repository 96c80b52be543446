"""The simulator's HTTP routes: ServiceTitan's paths, query parameters and envelopes over `SimState`.

Paths are `/{module}/v2/tenant/{tenant}/...` exactly as in the OpenAPI documents (whose `servers` entry
carries the `/{module}/v2` part). Lists use the `page, pageSize, hasMore, totalCount, data` envelope,
exports the `hasMore, continueFrom, data` one. Unknown query parameters are ignored, as the real API does;
documented ones with a bad value are a 400 problem with the parameter named in `errors`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.simulator.state import (
    APPOINTMENT_STATUSES,
    ARRIVAL_WINDOW_FIELDS,
    ASSIGNMENT_FIELDS,
    BUSINESS_UNIT_FIELDS,
    CAMPAIGN_FIELDS,
    CANCELED_LOG_FIELDS,
    CUSTOMER_FIELDS,
    EMPLOYEE_FIELDS,
    JOB_STATUSES,
    JOB_TYPE_FIELDS,
    LOCATION_FIELDS,
    MSG_VALIDATION,
    PROJECT_FIELDS,
    REASON_FIELDS,
    TECHNICIAN_FIELDS,
    SimError,
    SimState,
    render,
    validation_error,
)
from bot.simulator.timeutil import parse_ts

MAX_IDS = 50
MAX_PAGE_SIZE = 5000
DEFAULT_PAGE_SIZE = 50
IDS_MESSAGE = "Simple IDs lookup should not exceed 50 ids"
NOTE_FIELDS = ("text", "isPinned", "createdById", "createdOn", "modifiedOn")

T = TypeVar("T")
Record = dict[str, Any]
Predicate = Callable[[Record], bool]


class Query:
    """Typed access to query parameters; bad values of documented parameters become one 400 problem."""

    def __init__(self, params: Mapping[str, str]) -> None:
        # ServiceTitan (ASP.NET) binds query parameters case-insensitively.
        self._params = {key.lower(): value for key, value in params.items()}
        self.errors: dict[str, list[str]] = {}

    def raw(self, name: str) -> str | None:
        value = self._params.get(name.lower())
        return None if value is None or value == "" else value

    def _bad(self, name: str, value: str) -> None:
        self.errors.setdefault(name, []).append(f"The value '{value}' is not valid.")

    def text(self, name: str) -> str | None:
        return self.raw(name)

    def _converted(self, name: str, convert: Callable[[str], T]) -> T | None:
        value = self.raw(name)
        if value is None:
            return None
        try:
            return convert(value)
        except ValueError:
            self._bad(name, value)
            return None

    def integer(self, name: str) -> int | None:
        return self._converted(name, int)

    def number(self, name: str) -> float | None:
        return self._converted(name, float)

    def boolean(self, name: str) -> bool | None:
        value = self.raw(name)
        if value is None:
            return None
        if value.lower() in ("true", "1"):
            return True
        if value.lower() in ("false", "0"):
            return False
        self._bad(name, value)
        return None

    def moment(self, name: str) -> datetime | None:
        return self._converted(name, parse_ts)

    def enum(self, name: str, allowed: Iterable[str]) -> str | None:
        value = self.raw(name)
        if value is None:
            return None
        for option in allowed:
            if option.lower() == value.lower():
                return option
        self._bad(name, value)
        return None

    def ids(self, name: str, error_key: str | None = None, limit: int = MAX_IDS) -> set[int] | None:
        value = self.raw(name)
        if value is None:
            return None
        parts = [p.strip() for p in value.split(",") if p.strip()]
        result: set[int] = set()
        for part in parts:
            try:
                result.add(int(part))
            except ValueError:
                self._bad(name, value)
                return None
        if len(parts) > limit:
            self.errors.setdefault(error_key or name[0].upper() + name[1:], []).append(IDS_MESSAGE)
        return result

    def active(self, default: str) -> str:
        return self.enum("active", ("True", "Any", "False")) or default

    def check(self) -> None:
        if self.errors:
            raise SimError(400, MSG_VALIDATION, self.errors)


def _in_window(value: datetime | None, on_or_after: datetime | None, before: datetime | None) -> bool:
    """Inclusive lower bound, exclusive upper bound; records without the date never match a bound."""
    if on_or_after is None and before is None:
        return True
    if value is None:
        return False
    if on_or_after is not None and value < on_or_after:
        return False
    return not (before is not None and value >= before)


def _common_filters(query: Query, *, active_default: str | None) -> list[Predicate]:
    """Filters most lists share: created/modified windows and the `active` switch."""
    filters: list[Predicate] = []
    created = (query.moment("createdOnOrAfter"), query.moment("createdBefore"))
    modified = (query.moment("modifiedOnOrAfter"), query.moment("modifiedBefore"))
    if created != (None, None):
        filters.append(lambda r: _in_window(r.get("createdOn"), *created))
    if modified != (None, None):
        filters.append(lambda r: _in_window(r.get("modifiedOn"), *modified))
    if active_default is not None:
        active = query.active(active_default)
        if active == "True":
            filters.append(lambda r: bool(r.get("active", True)))
        elif active == "False":
            filters.append(lambda r: not r.get("active", True))
    return filters


def _ids_filter(query: Query, name: str = "ids", key: str = "id") -> list[Predicate]:
    ids = query.ids(name)
    return [] if ids is None else [lambda r: r.get(key) in ids]


def _contains(query: Query, name: str, key: str | None = None) -> list[Predicate]:
    value = query.text(name)
    if value is None:
        return []
    needle = value.lower()
    field_name = key or name
    return [lambda r: needle in str(r.get(field_name) or "").lower()]


def _equals(query: Query, name: str, key: str | None = None) -> list[Predicate]:
    value = query.integer(name)
    if value is None:
        return []
    field_name = key or name
    return [lambda r: r.get(field_name) == value]


def _address_contains(part: str, value: str) -> Predicate:
    needle = value.lower()
    return lambda r: needle in str((r.get("address") or {}).get(part) or "").lower()


def _address_equals(part: str, number: float) -> Predicate:
    return lambda r: (r.get("address") or {}).get(part) == number


def _date_in_window(key: str, on_or_after: datetime | None, before: datetime | None) -> Predicate:
    return lambda r: _in_window(r.get(key), on_or_after, before)


SORT_FIELDS = {
    "id": "id",
    "modifiedon": "modifiedOn",
    "createdon": "createdOn",
    "priority": "priority",
    "name": "name",
    "targetcompletiondate": "targetCompletionDate",
}


def _sort(records: list[Record], query: Query, allowed: Iterable[str]) -> list[Record]:
    spec = query.raw("sort")
    if spec is None:
        return sorted(records, key=lambda r: r["id"])
    descending = spec.startswith("-")
    name = spec.lstrip("+- ").lower()
    allowed_keys = {a.lower() for a in allowed}
    if name not in allowed_keys or name not in SORT_FIELDS:
        raise validation_error("sort", f"Sorting by '{spec}' is not supported.")
    key = SORT_FIELDS[name]
    return sorted(records, key=lambda r: (r.get(key) is None, r.get(key) or 0, r["id"]), reverse=descending)


def paginate(query: Query, records: list[Any], render_item: Callable[[Any], dict[str, Any]]) -> JSONResponse:
    page = query.integer("page")
    page_size = query.integer("pageSize")
    include_total = query.boolean("includeTotal")
    if page is not None and page < 1:
        query.errors.setdefault("page", []).append("The page must be at least 1.")
    if page_size is not None and page_size < 1:
        query.errors.setdefault("pageSize", []).append("The pageSize must be at least 1.")
    query.check()
    page = page or 1
    page_size = min(page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    start = (page - 1) * page_size
    chunk = records[start : start + page_size]
    return JSONResponse(
        {
            "page": page,
            "pageSize": page_size,
            "hasMore": start + page_size < len(records),
            "totalCount": len(records) if include_total else None,
            "data": [render_item(item) for item in chunk],
        }
    )


def list_response(
    query: Query,
    table: Mapping[int, Record],
    filters: list[Predicate],
    render_item: Callable[[Record], dict[str, Any]],
    sort_fields: Iterable[str] = ("Id", "ModifiedOn", "CreatedOn"),
) -> JSONResponse:
    # Paging parameters are read first so one 400 names every bad parameter.
    query.integer("page"), query.integer("pageSize"), query.boolean("includeTotal")
    query.check()
    records = [r for r in table.values() if all(f(r) for f in filters)]
    records = _sort(records, query, sort_fields)
    return paginate(query, records, render_item)


async def json_body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw:
        raise SimError(400, MSG_VALIDATION, {"": ["A non-empty request body is required."]})
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise SimError(400, MSG_VALIDATION, {"": [f"The request body is not valid JSON: {exc}"]}) from exc
    if not isinstance(body, dict):
        raise SimError(400, MSG_VALIDATION, {"": ["The request body must be a JSON object."]})
    return body


def _application_guid(body: Mapping[str, Any]) -> str | None:
    """The application GUID of a job write's `externalData`, which picks the external data echoed back."""
    external = body.get("externalData")
    return external.get("applicationGuid") if external else None


def _path_int(request: Request, name: str = "id") -> int:
    return int(request.path_params[name])


def empty_ok() -> Response:
    return Response(status_code=200)


def build_routes(state: SimState) -> list[BaseRoute]:
    """All ServiceTitan routes of the simulator, bound to one tenant state."""

    # The job or appointment a route names in its path: a missing one is a 404 before the body is read.
    def job_in_path(request: Request) -> int:
        job_id = _path_int(request)
        state.get_job(job_id)
        return job_id

    def appointment_in_path(request: Request) -> int:
        appointment_id = _path_int(request)
        state.get_appointment(appointment_id)
        return appointment_id

    # ------------------------------------------------------------------ JPM: jobs

    async def jobs_list(request: Request) -> Response:
        q = Query(request.query_params)
        guid = q.text("externalDataApplicationGuid")
        filters = _ids_filter(q) + _common_filters(q, active_default=None)
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
            filters += _equals(q, name)
        job_status = q.enum("jobStatus", JOB_STATUSES)
        if job_status is not None:
            filters.append(lambda r: r["jobStatus"] == job_status)
        appointment_status = q.enum("appointmentStatus", APPOINTMENT_STATUSES)
        if appointment_status is not None:
            filters.append(
                lambda r: any(a["status"] == appointment_status for a in state.job_appointments(r["id"]))
            )
        priority = q.text("priority")
        if priority is not None:
            filters.append(lambda r: str(r["priority"]).lower() == priority.lower())
        first = (q.moment("firstAppointmentStartsOnOrAfter"), q.moment("firstAppointmentStartsBefore"))
        if first != (None, None):

            def first_starts(r: Record) -> bool:
                appointments = state.job_appointments(r["id"])
                if not appointments:
                    return False
                return _in_window(min(a["start"] for a in appointments), *first)

            filters.append(first_starts)
        any_window = (q.moment("appointmentStartsOnOrAfter"), q.moment("appointmentStartsBefore"))
        if any_window != (None, None):
            filters.append(
                lambda r: any(_in_window(a["start"], *any_window) for a in state.job_appointments(r["id"]))
            )
        completed = (q.moment("completedOnOrAfter"), q.moment("completedBefore"))
        if completed != (None, None):
            filters.append(lambda r: _in_window(r.get("completedOn"), *completed))
        technician_id = q.integer("technicianId")
        if technician_id is not None:
            filters.append(lambda r: technician_id in state.technician_ids_of_job(r["id"]))
        tag_ids = q.ids("tagTypeIds", limit=10_000)
        if tag_ids is not None:
            filters.append(lambda r: bool(tag_ids & set(r.get("tagTypeIds") or [])))
        unused = q.boolean("hasUnusedAppointments")
        if unused is not None:
            filters.append(lambda r: any(a["unused"] for a in state.job_appointments(r["id"])) == unused)
        ext_key = q.text("externalDataKey")
        ext_values = q.text("externalDataValues")
        if ext_key is not None or ext_values is not None:
            if ext_key is None or ext_values is None:
                q.errors.setdefault("externalDataKey", []).append(
                    "'externalDataKey' and 'externalDataValues' must be provided together."
                )
            else:
                values = {v.strip() for v in ext_values.split(",") if v.strip()}
                if len(values) > MAX_IDS:
                    q.errors.setdefault("ExternalDataValues", []).append("Lookup should not exceed 50 values")

                def has_external(r: Record) -> bool:
                    per_app = state.external_data.get(r["id"], {})
                    groups = [per_app.get(guid, [])] if guid is not None else list(per_app.values())
                    return any(e["key"] == ext_key and e["value"] in values for g in groups for e in g)

                filters.append(has_external)
        return list_response(
            q,
            state.jobs,
            filters,
            lambda r: state.render_job(r, guid=guid),
            ("Id", "ModifiedOn", "CreatedOn", "Priority"),
        )

    async def jobs_get(request: Request) -> Response:
        q = Query(request.query_params)
        job = state.get_job(_path_int(request))
        return JSONResponse(state.render_job(job, guid=q.text("externalDataApplicationGuid")))

    async def jobs_create(request: Request) -> Response:
        body = await json_body(request)
        job = state.create_job(body)
        return JSONResponse(state.render_job(job, guid=_application_guid(body)))

    async def jobs_update(request: Request) -> Response:
        body = await json_body(request)
        job = state.update_job(_path_int(request), body)
        return JSONResponse(state.render_job(job, guid=_application_guid(body)))

    async def jobs_cancel(request: Request) -> Response:
        state.cancel_job(job_in_path(request), await json_body(request))
        return empty_ok()

    async def jobs_remove_cancellation(request: Request) -> Response:
        state.remove_cancellation(_path_int(request))
        return empty_ok()

    async def jobs_hold(request: Request) -> Response:
        state.hold_job(job_in_path(request), await json_body(request))
        return empty_ok()

    async def jobs_notes(request: Request) -> Response:
        q = Query(request.query_params)
        notes = state.job_notes(_path_int(request))
        return paginate(q, notes, lambda n: render(n, NOTE_FIELDS))

    async def jobs_add_note(request: Request) -> Response:
        note = state.add_note(job_in_path(request), await json_body(request))
        return JSONResponse(render(note, NOTE_FIELDS))

    async def jobs_cancel_reasons(request: Request) -> Response:
        q = Query(request.query_params)
        ids = q.ids("ids")
        if ids is None:
            q.errors.setdefault("ids", []).append("The ids field is required.")
        q.check()
        assert ids is not None
        rows: list[dict[str, Any]] = []
        for job_id in sorted(ids):
            job = state.jobs.get(job_id)
            if job is None or job["jobStatus"] != "Canceled":
                continue
            log = state.latest_cancel_log(job_id)
            if log is None:
                continue
            reason = state.job_cancel_reasons.get(log["reasonId"])
            rows.append(
                {
                    "jobId": job_id,
                    "reasonId": log["reasonId"],
                    "name": reason["name"] if reason else "",
                    "text": log.get("memo") or "",
                }
            )
        return paginate(q, rows, lambda row: row)

    async def jobs_canceled_log(request: Request) -> Response:
        q = Query(request.query_params)
        job_id = job_in_path(request)
        logs = sorted(
            (log for log in state.canceled_logs.values() if log["jobId"] == job_id), key=lambda x: x["id"]
        )
        return paginate(q, logs, lambda log: render(log, CANCELED_LOG_FIELDS))

    async def jobs_history(request: Request) -> Response:
        job_id = job_in_path(request)
        entries = state.history.get(job_id, [])
        fields = ("id", "employeeId", "eventType", "date", "usedSchedulingTool", "memo")
        return JSONResponse({"history": [render(e, fields) for e in entries]})

    # ------------------------------------------------------------------ JPM: appointments

    async def appointments_list(request: Request) -> Response:
        q = Query(request.query_params)
        filters = _ids_filter(q) + _common_filters(q, active_default=None)
        filters += _equals(q, "jobId") + _equals(q, "customerId")
        project_id = q.integer("projectId")
        if project_id is not None:
            filters.append(lambda r: state.jobs.get(r["jobId"], {}).get("projectId") == project_id)
        number = q.text("number")
        if number is not None:
            filters.append(lambda r: r.get("appointmentNumber") == number)
        status = q.enum("status", APPOINTMENT_STATUSES)
        if status is not None:
            filters.append(lambda r: r["status"] == status)
        window = (q.moment("startsOnOrAfter"), q.moment("startsBefore"))
        if window != (None, None):
            filters.append(lambda r: _in_window(r["start"], *window))
        technician_id = q.integer("technicianId")
        if technician_id is not None:
            filters.append(
                lambda r: any(a["technicianId"] == technician_id for a in state.active_assignments(r["id"]))
            )
        unused = q.boolean("unused")
        if unused is not None:
            filters.append(lambda r: bool(r["unused"]) == unused)
        return list_response(q, state.appointments, filters, state.render_appointment)

    async def appointments_get(request: Request) -> Response:
        return JSONResponse(state.render_appointment(state.get_appointment(_path_int(request))))

    async def appointments_add(request: Request) -> Response:
        appointment = state.add_appointment(await json_body(request))
        return JSONResponse(state.render_appointment(appointment))

    async def appointments_reschedule(request: Request) -> Response:
        appointment = state.reschedule(appointment_in_path(request), await json_body(request))
        return JSONResponse(state.render_appointment(appointment))

    async def appointments_special_instructions(request: Request) -> Response:
        appointment = state.set_special_instructions(appointment_in_path(request), await json_body(request))
        return JSONResponse(state.render_appointment(appointment))

    async def appointments_hold(request: Request) -> Response:
        state.hold_appointment(appointment_in_path(request), await json_body(request))
        return empty_ok()

    async def appointments_remove_hold(request: Request) -> Response:
        state.remove_hold(_path_int(request))
        return empty_ok()

    async def appointments_delete(request: Request) -> Response:
        state.delete_appointment(_path_int(request))
        return empty_ok()

    # ------------------------------------------------------------------ JPM: reference data

    def simple_list(
        table: Callable[[], Mapping[int, Record]],
        shape: Mapping[str, Any],
        *,
        active_default: str | None,
        extra: Callable[[Query], list[Predicate]] | None = None,
        sort_fields: Iterable[str] = ("Id", "ModifiedOn", "CreatedOn"),
    ) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            q = Query(request.query_params)
            filters = _common_filters(q, active_default=active_default)
            if extra is not None:
                filters += extra(q)
            return list_response(q, table(), filters, lambda r: render(r, shape), sort_fields)

        return endpoint

    def simple_get(table: Callable[[], Mapping[int, Record]], shape: Mapping[str, Any], title: str) -> Any:
        async def endpoint(request: Request) -> Response:
            record = table().get(_path_int(request))
            if record is None:
                raise SimError(404, title)
            return JSONResponse(render(record, shape))

        return endpoint

    def list_and_get(
        path: str,
        table: Callable[[], Mapping[int, Record]],
        shape: Mapping[str, Any],
        not_found: str,
        *,
        active_default: str | None,
        extra: Callable[[Query], list[Predicate]] | None = None,
        sort_fields: Iterable[str] = ("Id", "ModifiedOn", "CreatedOn"),
    ) -> list[BaseRoute]:
        """`GET path` (a filtered list) and `GET path/{id}` of one reference table."""
        return [
            Route(
                path,
                simple_list(
                    table, shape, active_default=active_default, extra=extra, sort_fields=sort_fields
                ),
                methods=["GET"],
            ),
            Route(f"{path}/{{id:int}}", simple_get(table, shape, not_found), methods=["GET"]),
        ]

    def job_type_filters(q: Query) -> list[Predicate]:
        filters = _ids_filter(q) + _contains(q, "name")
        min_duration, max_duration = q.integer("minDuration"), q.integer("maxDuration")
        if min_duration is not None:
            filters.append(lambda r: r["duration"] >= min_duration)
        if max_duration is not None:
            filters.append(lambda r: r["duration"] <= max_duration)
        priority = q.text("priority")
        if priority is not None:
            filters.append(lambda r: str(r["priority"]).lower() == priority.lower())
        return filters

    async def job_types_list(request: Request) -> Response:
        q = Query(request.query_params)
        filters = _common_filters(q, active_default="True") + job_type_filters(q)
        q.check()
        records = [r for r in state.job_types.values() if all(f(r) for f in filters)]
        order_by = (q.raw("orderBy") or "id").lower()
        if order_by not in ("id", "modifiedon", "createdon"):
            raise validation_error("orderBy", f"Ordering by '{q.raw('orderBy')}' is not supported.")
        direction = (q.raw("orderByDirection") or "asc").lower()
        if direction not in ("asc", "ascending", "desc", "descending"):
            raise validation_error("orderByDirection", f"'{q.raw('orderByDirection')}' is not a direction.")
        key = SORT_FIELDS[order_by]
        records.sort(key=lambda r: (r[key], r["id"]), reverse=direction.startswith("desc"))
        return paginate(q, records, lambda r: render(r, JOB_TYPE_FIELDS))

    def project_filters(q: Query) -> list[Predicate]:
        filters = _ids_filter(q)
        filters += _equals(q, "customerId") + _equals(q, "locationId") + _equals(q, "projectTypeId")
        job_id = q.integer("jobId")
        if job_id is not None:
            filters.append(lambda r: job_id in r["jobIds"])
        appointment_id = q.integer("appointmentId")
        if appointment_id is not None:
            appointment = state.appointments.get(appointment_id)
            filters.append(lambda r: appointment is not None and appointment["jobId"] in r["jobIds"])
        technician_id = q.integer("technicianId")
        if technician_id is not None:
            filters.append(
                lambda r: any(technician_id in state.technician_ids_of_job(j) for j in r["jobIds"])
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
                filters.append(_date_in_window(key, *window))
        return filters

    # ------------------------------------------------------------------ dispatch

    async def assignments_list(request: Request) -> Response:
        q = Query(request.query_params)
        filters = _ids_filter(q) + _common_filters(q, active_default="True") + _equals(q, "jobId")
        appointment_ids = q.ids("appointmentIds")
        if appointment_ids is not None:
            filters.append(lambda r: r["appointmentId"] in appointment_ids)
        return list_response(q, state.assignments, filters, lambda r: render(r, ASSIGNMENT_FIELDS))

    async def assign(request: Request) -> Response:
        appointment = state.assign_technicians(await json_body(request))
        return JSONResponse(state.render_dispatch_appointment(appointment))

    async def unassign(request: Request) -> Response:
        appointment = state.unassign_technicians(await json_body(request))
        return JSONResponse(state.render_dispatch_appointment(appointment))

    # ------------------------------------------------------------------ settings and CRM

    def technician_filters(q: Query) -> list[Predicate]:
        return _ids_filter(q) + _ids_filter(q, "userIds", "userId") + _contains(q, "name")

    def employee_filters(q: Query) -> list[Predicate]:
        filters = technician_filters(q)
        email = q.text("email")
        if email is not None:
            filters.append(lambda r: str(r.get("email") or "").lower() == email.lower())
        return filters

    def address_filters(q: Query) -> list[Predicate]:
        filters: list[Predicate] = []
        for part in ("street", "unit", "city", "state", "zip", "country"):
            value = q.text(part)
            if value is not None:
                filters.append(_address_contains(part, value))
        for part in ("latitude", "longitude"):
            number = q.number(part)
            if number is not None:
                filters.append(_address_equals(part, number))
        return filters

    def customer_filters(q: Query) -> list[Predicate]:
        filters = _ids_filter(q) + _contains(q, "name") + address_filters(q)
        phone = q.text("phone")
        if phone is not None:
            digits = "".join(c for c in phone if c.isdigit())

            def has_phone(r: Record) -> bool:
                for number in state.customer_phones.get(r["id"], []):
                    own = "".join(c for c in number if c.isdigit())
                    if digits and (own.endswith(digits) or digits.endswith(own)):
                        return True
                return False

            filters.append(has_phone)
        return filters

    def location_filters(q: Query) -> list[Predicate]:
        return _ids_filter(q) + _contains(q, "name") + _equals(q, "customerId") + address_filters(q)

    def bu_filters(q: Query) -> list[Predicate]:
        return _ids_filter(q) + _contains(q, "name")

    # ------------------------------------------------------------------ exports

    def export_endpoint(
        feed: str, render_item: Callable[[int], dict[str, Any]], active_default: str | None = None
    ) -> Any:
        async def endpoint(request: Request) -> Response:
            q = Query(request.query_params)
            include_recent = bool(q.boolean("includeRecentChanges"))
            active = q.active(active_default) if active_default is not None else "Any"
            q.check()
            batch, token, has_more = state.export(feed, q.text("from"), include_recent=include_recent)
            data = [render_item(record_id) for _, record_id in batch]
            if active != "Any":
                data = [item for item in data if item["active"] == (active == "True")]
            return JSONResponse({"hasMore": has_more, "continueFrom": token, "data": data})

        return endpoint

    def export_job(record_id: int) -> dict[str, Any]:
        return state.render_job(state.jobs[record_id], export=True)

    def export_appointment(record_id: int) -> dict[str, Any]:
        return state.render_appointment(state.export_record("appointments", record_id), export=True)

    def export_canceled_log(record_id: int) -> dict[str, Any]:
        return render(state.canceled_logs[record_id], CANCELED_LOG_FIELDS)

    def export_assignment(record_id: int) -> dict[str, Any]:
        return render(state.assignments[record_id], ASSIGNMENT_FIELDS)

    jpm = "/jpm/v2/tenant/{tenant:int}"
    dispatch = "/dispatch/v2/tenant/{tenant:int}"
    settings = "/settings/v2/tenant/{tenant:int}"
    crm = "/crm/v2/tenant/{tenant:int}"
    marketing = "/marketing/v2/tenant/{tenant:int}"
    return [
        Route(f"{jpm}/jobs", jobs_list, methods=["GET"]),
        Route(f"{jpm}/jobs", jobs_create, methods=["POST"]),
        Route(f"{jpm}/jobs/cancel-reasons", jobs_cancel_reasons, methods=["GET"]),
        Route(f"{jpm}/jobs/{{id:int}}", jobs_get, methods=["GET"]),
        Route(f"{jpm}/jobs/{{id:int}}", jobs_update, methods=["PATCH"]),
        Route(f"{jpm}/jobs/{{id:int}}/cancel", jobs_cancel, methods=["PUT"]),
        Route(f"{jpm}/jobs/{{id:int}}/remove-cancellation", jobs_remove_cancellation, methods=["PUT"]),
        Route(f"{jpm}/jobs/{{id:int}}/hold", jobs_hold, methods=["PUT"]),
        Route(f"{jpm}/jobs/{{id:int}}/notes", jobs_notes, methods=["GET"]),
        Route(f"{jpm}/jobs/{{id:int}}/notes", jobs_add_note, methods=["POST"]),
        Route(f"{jpm}/jobs/{{id:int}}/canceled-log", jobs_canceled_log, methods=["GET"]),
        Route(f"{jpm}/jobs/{{id:int}}/history", jobs_history, methods=["GET"]),
        Route(f"{jpm}/appointments", appointments_list, methods=["GET"]),
        Route(f"{jpm}/appointments", appointments_add, methods=["POST"]),
        Route(f"{jpm}/appointments/{{id:int}}", appointments_get, methods=["GET"]),
        Route(f"{jpm}/appointments/{{id:int}}", appointments_delete, methods=["DELETE"]),
        Route(f"{jpm}/appointments/{{id:int}}/reschedule", appointments_reschedule, methods=["PATCH"]),
        Route(
            f"{jpm}/appointments/{{id:int}}/special-instructions",
            appointments_special_instructions,
            methods=["PUT"],
        ),
        Route(f"{jpm}/appointments/{{id:int}}/hold", appointments_hold, methods=["PUT"]),
        Route(f"{jpm}/appointments/{{id:int}}/hold", appointments_remove_hold, methods=["DELETE"]),
        Route(
            f"{jpm}/job-hold-reasons",
            simple_list(lambda: state.job_hold_reasons, REASON_FIELDS, active_default="Any"),
            methods=["GET"],
        ),
        Route(
            f"{jpm}/job-cancel-reasons",
            simple_list(lambda: state.job_cancel_reasons, REASON_FIELDS, active_default="Any"),
            methods=["GET"],
        ),
        Route(f"{jpm}/job-types", job_types_list, methods=["GET"]),
        Route(
            f"{jpm}/job-types/{{id:int}}",
            simple_get(lambda: state.job_types, JOB_TYPE_FIELDS, "Job type was not found"),
            methods=["GET"],
        ),
        *list_and_get(
            f"{jpm}/projects",
            lambda: state.projects,
            PROJECT_FIELDS,
            "Project was not found",
            active_default=None,
            extra=project_filters,
            sort_fields=("Id", "ModifiedOn", "CreatedOn", "Name", "TargetCompletionDate"),
        ),
        Route(f"{jpm}/export/jobs", export_endpoint("jobs", export_job), methods=["GET"]),
        Route(
            f"{jpm}/export/appointments", export_endpoint("appointments", export_appointment), methods=["GET"]
        ),
        Route(
            f"{jpm}/export/job-canceled-logs",
            export_endpoint("jobCanceledLogs", export_canceled_log),
            methods=["GET"],
        ),
        Route(f"{dispatch}/appointment-assignments", assignments_list, methods=["GET"]),
        Route(f"{dispatch}/appointment-assignments/assign-technicians", assign, methods=["POST"]),
        Route(f"{dispatch}/appointment-assignments/unassign-technicians", unassign, methods=["POST"]),
        Route(
            f"{dispatch}/export/appointment-assignments",
            export_endpoint("appointmentAssignments", export_assignment, active_default="True"),
            methods=["GET"],
        ),
        *list_and_get(
            f"{dispatch}/arrival-windows",
            lambda: state.arrival_windows,
            ARRIVAL_WINDOW_FIELDS,
            "Arrival window was not found",
            active_default="True",
        ),
        *list_and_get(
            f"{settings}/technicians",
            lambda: state.technicians,
            TECHNICIAN_FIELDS,
            "Technician not found",
            active_default="True",
            extra=technician_filters,
        ),
        *list_and_get(
            f"{settings}/employees",
            lambda: state.employees,
            EMPLOYEE_FIELDS,
            "Employee not found",
            active_default="True",
            extra=employee_filters,
        ),
        *list_and_get(
            f"{settings}/business-units",
            lambda: state.business_units,
            BUSINESS_UNIT_FIELDS,
            "Business unit not found",
            active_default="True",
            extra=bu_filters,
        ),
        *list_and_get(
            f"{crm}/customers",
            lambda: state.customers,
            CUSTOMER_FIELDS,
            "Customer not found",
            active_default="True",
            extra=customer_filters,
        ),
        *list_and_get(
            f"{crm}/locations",
            lambda: state.locations,
            LOCATION_FIELDS,
            "Location not found",
            active_default="True",
            extra=location_filters,
        ),
        Route(
            f"{marketing}/campaigns",
            simple_list(lambda: state.campaigns, CAMPAIGN_FIELDS, active_default="True", extra=bu_filters),
            methods=["GET"],
        ),
    ]
