"""HTTP helpers every module's routes share: query parameters, filters, list envelopes, request bodies.

Lists use the `page, pageSize, hasMore, totalCount, data` envelope. Unknown query parameters are ignored, as
the real API does; documented ones with a bad value are a 400 problem with the parameter named in `errors`.
`table_routes` serves a reference table as `GET path` (filtered list) and `GET path/{id}`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.simulator.records import MSG_VALIDATION, SimError, render, validation_error
from bot.simulator.timeutil import parse_ts

MAX_IDS = 50
MAX_PAGE_SIZE = 5000
DEFAULT_PAGE_SIZE = 50
IDS_MESSAGE = "Simple IDs lookup should not exceed 50 ids"

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


def in_window(value: datetime | None, on_or_after: datetime | None, before: datetime | None) -> bool:
    """Inclusive lower bound, exclusive upper bound; records without the date never match a bound."""
    if on_or_after is None and before is None:
        return True
    if value is None:
        return False
    if on_or_after is not None and value < on_or_after:
        return False
    return not (before is not None and value >= before)


def common_filters(query: Query, *, active_default: str | None) -> list[Predicate]:
    """Filters most lists share: created/modified windows and the `active` switch."""
    filters: list[Predicate] = []
    created = (query.moment("createdOnOrAfter"), query.moment("createdBefore"))
    modified = (query.moment("modifiedOnOrAfter"), query.moment("modifiedBefore"))
    if created != (None, None):
        filters.append(lambda r: in_window(r.get("createdOn"), *created))
    if modified != (None, None):
        filters.append(lambda r: in_window(r.get("modifiedOn"), *modified))
    if active_default is not None:
        active = query.active(active_default)
        if active == "True":
            filters.append(lambda r: bool(r.get("active", True)))
        elif active == "False":
            filters.append(lambda r: not r.get("active", True))
    return filters


def ids_filter(query: Query, name: str = "ids", key: str = "id") -> list[Predicate]:
    ids = query.ids(name)
    return [] if ids is None else [lambda r: r.get(key) in ids]


def contains(query: Query, name: str, key: str | None = None) -> list[Predicate]:
    value = query.text(name)
    if value is None:
        return []
    needle = value.lower()
    field_name = key or name
    return [lambda r: needle in str(r.get(field_name) or "").lower()]


def equals(query: Query, name: str, key: str | None = None) -> list[Predicate]:
    value = query.integer(name)
    if value is None:
        return []
    field_name = key or name
    return [lambda r: r.get(field_name) == value]


def address_contains(part: str, value: str) -> Predicate:
    needle = value.lower()
    return lambda r: needle in str((r.get("address") or {}).get(part) or "").lower()


def address_equals(part: str, number: float) -> Predicate:
    return lambda r: (r.get("address") or {}).get(part) == number


def date_in_window(key: str, on_or_after: datetime | None, before: datetime | None) -> Predicate:
    return lambda r: in_window(r.get(key), on_or_after, before)


SORT_FIELDS = {
    "id": "id",
    "modifiedon": "modifiedOn",
    "createdon": "createdOn",
    "priority": "priority",
    "name": "name",
    "targetcompletiondate": "targetCompletionDate",
}


def sort_records(records: list[Record], query: Query, allowed: Iterable[str]) -> list[Record]:
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
    records = sort_records(records, query, sort_fields)
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


def application_guid(body: Mapping[str, Any]) -> str | None:
    """The application GUID of a job write's `externalData`, which picks the external data echoed back."""
    external = body.get("externalData")
    return external.get("applicationGuid") if external else None


def path_int(request: Request, name: str = "id") -> int:
    return int(request.path_params[name])


def empty_ok() -> Response:
    return Response(status_code=200)


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
        filters = common_filters(q, active_default=active_default)
        if extra is not None:
            filters += extra(q)
        return list_response(q, table(), filters, lambda r: render(r, shape), sort_fields)

    return endpoint


def simple_get(table: Callable[[], Mapping[int, Record]], shape: Mapping[str, Any], title: str) -> Any:
    async def endpoint(request: Request) -> Response:
        record = table().get(path_int(request))
        if record is None:
            raise SimError(404, title)
        return JSONResponse(render(record, shape))

    return endpoint


def table_routes(
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
            simple_list(table, shape, active_default=active_default, extra=extra, sort_fields=sort_fields),
            methods=["GET"],
        ),
        Route(f"{path}/{{id:int}}", simple_get(table, shape, not_found), methods=["GET"]),
    ]
