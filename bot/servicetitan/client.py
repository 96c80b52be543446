"""The ServiceTitan REST client: typed methods over jpm, dispatch, settings, crm and marketing (async).

One ``ServiceTitanClient`` per tenant. It builds every URL as ``{api_base}/{module}/v2/tenant/{tenant}/...``,
authenticates with ``ClientCredentialsAuth`` and turns failures into ``bot.servicetitan.errors``.

Retries:
- Reads retry on 429 (waiting as ServiceTitan asks), on 5xx, timeouts and dropped connections, up to
  ``max_retries`` times with capped exponential backoff and jitter.
- Writes are never blindly retried. A write that was certainly not processed (429, no connection, token
  endpoint down) is retried like a read. A write whose outcome is unknown (timeout or dropped connection after
  sending, 5xx) is settled by reading the record back: if the change is there the call reports success, if it
  is clearly not there the write is sent once more, and otherwise ``OutcomeUnknown`` says the outcome is unknown.
  Each write is an operation of ``bot.servicetitan.operations`` whose ``applied`` does that read-back (the
  same check the dialog makes before sending a write again). Creates are found again by a marker:
  ``book_job`` stores an ``externalData`` key (added automatically when the caller gives none);
  ``add_appointment`` and ``add_job_note`` read the job's appointments / notes first so a new record can be
  told apart from an identical older one.

Lists are async iterators that follow ``hasMore`` page by page; ``ids``-style filters with more than 50 values
are split into batches of 50. Filters are keyword arguments in snake_case, sent under the API's camelCase
names (``job_status`` -> ``jobStatus``); datetimes go out as UTC ``Z`` strings, lists as comma lists.
Exports follow ``continueFrom`` while ``hasMore`` and return the rows with the token to persist.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

import httpx
from pydantic import BaseModel

from bot.config import reveal
from bot.servicetitan.auth import ClientCredentialsAuth
from bot.servicetitan.errors import (
    AuthError,
    Conflict,
    OutcomeUnknown,
    RateLimited,
    ServiceTitanError,
    Unavailable,
    error_from_response,
)
from bot.servicetitan.models import (
    Appointment,
    AppointmentAssignment,
    AppointmentCreate,
    ArrivalWindow,
    BusinessUnit,
    Campaign,
    Customer,
    DispatchAppointment,
    Employee,
    ExportBatch,
    Job,
    JobCanceledLog,
    JobCancelReason,
    JobCancelReasonOfJob,
    JobCreate,
    JobHistoryEntry,
    JobHoldReason,
    JobNote,
    JobType,
    JobUpdate,
    Location,
    Page,
    Project,
    Technician,
    read_model,
)
from bot.servicetitan.operations import BOOKING_KEY as BOOKING_KEY  # where booking markers are kept
from bot.servicetitan.operations import (
    AddAppointment,
    AddJobNote,
    AssignTechnicians,
    BookJob,
    CancelJob,
    CompleteJob,
    ConfirmAppointment,
    DeleteAppointment,
    HoldAppointment,
    HoldJob,
    RemoveAppointmentConfirmation,
    RemoveAppointmentHold,
    RemoveJobCancellation,
    ReplaceTechnicians,
    RescheduleAppointment,
    SetSpecialInstructions,
    UnassignTechnicians,
    UpdateJob,
)
from bot.servicetitan.query import build_query

if TYPE_CHECKING:
    from bot.config import Settings

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)
R = TypeVar("R")

DEFAULT_PAGE_SIZE = 200  # ServiceTitan's default is 50; client authors report 500 as the safe ceiling.
MAX_PAGE_SIZE = 500
MAX_IDS_PER_CALL = 50  # "Simple IDs lookup should not exceed 50 ids"
# The connection pool: ServiceTitan allows 60 requests/s per tenant, so a few dozen connections carry every
# request in flight; a bounded pool makes a burst wait for a connection instead of opening hundreds.
HTTP_LIMITS = httpx.Limits(max_connections=32, max_keepalive_connections=32, keepalive_expiry=30.0)


def http_transport() -> httpx.AsyncBaseTransport:
    """The HTTP transport to ServiceTitan with the client's pool limits (wrap it, e.g. in a rate limit):
    aiohttp's pool under httpx's interface (bot.servicetitan.transport: 0.37 against 1.34 ms of CPU
    per request with 20 in flight)."""
    from bot.servicetitan.transport import AiohttpTransport

    return AiohttpTransport(HTTP_LIMITS)


MAX_EXPORT_CALLS = 1000  # a runaway feed stops here and returns has_more=True so the caller can resume
BATCHED_FILTERS = frozenset({"ids", "appointment_ids", "user_ids", "external_data_values"})
# The application GUID under which the bot stores its own externalData on jobs (request ids for booking).
BOT_APPLICATION_GUID = "5f0c2b8e-3c1d-4f3a-9a56-7d2f1c0b9e41"


def _batches(values: Sequence[Any], size: int = MAX_IDS_PER_CALL) -> Iterable[list[Any]]:
    for start in range(0, len(values), size):
        yield list(values[start : start + size])


def _json(response: httpx.Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError as exc:
        raise ServiceTitanError(
            f"ServiceTitan answered {response.request.method} {response.request.url.path} with a body "
            f"that is not JSON",
            status=response.status_code,
        ) from exc


class _NotSent(Exception):
    """The request never reached ServiceTitan (no connection, or no token), so sending again is safe."""

    def __init__(self, error: ServiceTitanError) -> None:
        self.error = error


class ServiceTitanClient:
    """Typed async client for one ServiceTitan tenant.

    ``transport`` lets tests inject the simulator (``httpx.ASGITransport``) or an ``httpx.MockTransport``.
    ``sleep``, ``clock`` (wall clock, for ``Retry-After`` dates), ``monotonic`` (token expiry) and ``jitter``
    are injectable so retry tests need not wait.
    """

    def __init__(
        self,
        *,
        api_base: str,
        auth_base: str,
        client_id: str,
        client_secret: str,
        app_key: str,
        tenant_id: int,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 100.0,
        max_retries: int = 3,
        page_size: int = DEFAULT_PAGE_SIZE,
        backoff_base: float = 0.5,
        backoff_cap: float = 30.0,
        max_retry_wait: float = 60.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], datetime] | None = None,
        monotonic: Callable[[], float] | None = None,
        jitter: Callable[[], float] = random.random,
        application_guid: str = BOT_APPLICATION_GUID,
    ) -> None:
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be 1..{MAX_PAGE_SIZE}, not {page_size}")
        self.api_base = api_base.rstrip("/")
        self.tenant_id = int(tenant_id)
        self.max_retries = max_retries
        self.page_size = page_size
        self.application_guid = application_guid
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        self._max_retry_wait = max_retry_wait
        self._sleep = sleep
        self._clock = clock or (lambda: datetime.now(UTC))
        self._jitter = jitter
        self._http = httpx.AsyncClient(transport=transport, timeout=timeout, limits=HTTP_LIMITS)
        auth_kwargs: dict[str, Any] = {"clock": monotonic} if monotonic is not None else {}
        self.auth = ClientCredentialsAuth(
            token_url=f"{auth_base.rstrip('/')}/connect/token",
            client_id=client_id,
            client_secret=client_secret,
            app_key=app_key,
            token_client=self._http,
            **auth_kwargs,
        )

    @classmethod
    def from_settings(
        cls, settings: Settings, transport: httpx.AsyncBaseTransport | None = None
    ) -> ServiceTitanClient:
        """A client for the tenant in ``settings`` (use ``embedded_client`` when it has no credentials)."""
        if settings.use_simulator or settings.st_tenant_id is None:
            raise ValueError(
                "no ServiceTitan credentials in the settings; use bot.servicetitan.embedded.embedded_client()"
            )
        return cls(
            api_base=settings.st_api_base,
            auth_base=settings.st_auth_base,
            client_id=settings.st_client_id or "",
            client_secret=reveal(settings.st_client_secret),
            app_key=reveal(settings.st_app_key),
            tenant_id=settings.st_tenant_id,
            transport=transport,
        )

    async def __aenter__(self) -> ServiceTitanClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # -----------------------------------------------------------------------------------------------------
    # Transport, retries and error mapping

    def _url(self, module: str, resource: str) -> str:
        return f"{self.api_base}/{module}/v2/tenant/{self.tenant_id}/{resource}"

    def _backoff(self, attempt: int) -> float:
        ceiling = min(self._backoff_cap, self._backoff_base * (2**attempt))
        return ceiling * (0.5 + self._jitter() / 2)

    async def _send_once(
        self, method: str, url: str, *, params: Mapping[str, str] | None, json: Any
    ) -> httpx.Response:
        """One HTTP exchange. Raises ``_NotSent`` when ServiceTitan surely did not receive the request,
        ``Unavailable`` for a transport failure after sending; returns any HTTP response."""
        try:
            return await self._http.request(method, url, params=params, json=json, auth=self.auth)
        except AuthError:
            raise
        except ServiceTitanError as exc:  # the token endpoint failed: our call was never sent
            raise _NotSent(exc) from exc
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise _NotSent(Unavailable(f"could not connect to ServiceTitan: {exc!r}")) from exc
        except httpx.TimeoutException as exc:
            raise Unavailable(f"ServiceTitan did not answer {method} {url} in time") from exc
        except httpx.TransportError as exc:
            raise Unavailable(f"connection to ServiceTitan failed during {method} {url}: {exc!r}") from exc

    def _wait_for(self, error: ServiceTitanError, attempt: int) -> float:
        if isinstance(error, RateLimited) and error.retry_after is not None:
            return error.retry_after
        return self._backoff(attempt)

    async def _retry_wait(self, error: ServiceTitanError, attempt: int) -> None:
        """Sleep before retry number ``attempt + 1``, or raise ``error`` when we should give up."""
        wait = self._wait_for(error, attempt)
        if attempt >= self.max_retries or wait > self._max_retry_wait:
            raise error
        log.warning(
            "ServiceTitan call failed (%s); retry %d of %d in %.1f s",
            error,
            attempt + 1,
            self.max_retries,
            wait,
        )
        await self._sleep(wait)

    async def _read(self, module: str, resource: str, params: Mapping[str, str] | None = None) -> Any:
        """GET with retries on 429, 5xx, timeouts and connection errors; returns the JSON body."""
        url = self._url(module, resource)
        attempt = 0
        while True:
            try:
                response = await self._send_once("GET", url, params=params, json=None)
            except _NotSent as exc:
                error = exc.error
            except Unavailable as exc:
                error = exc
            else:
                if response.is_success:
                    return _json(response)
                error = error_from_response(response, now=self._clock())
                if not isinstance(error, RateLimited | Unavailable):
                    raise error
            await self._retry_wait(error, attempt)
            attempt += 1

    async def _write(
        self,
        method: str,
        module: str,
        resource: str,
        *,
        body: Any = None,
        parse: Callable[[Any], R],
        verify: Callable[[], Awaitable[R | None]],
        what: str,
    ) -> R:
        """A state-changing call. ``verify`` reads the record back and returns the result when the change is
        in place, None when it clearly is not; it settles calls whose outcome is unknown."""
        url = self._url(module, resource)
        attempt = 0
        resent_after_unknown = False
        while True:
            try:
                response = await self._send_once(method, url, params=None, json=body)
            except _NotSent as exc:
                await self._retry_wait(exc.error, attempt)
                attempt += 1
                continue
            except Unavailable as exc:
                unknown: ServiceTitanError = exc
            else:
                if response.is_success:
                    return parse(_json(response))
                error = error_from_response(response, now=self._clock())
                if isinstance(error, RateLimited):  # throttled calls are rejected before any processing
                    await self._retry_wait(error, attempt)
                    attempt += 1
                    continue
                if isinstance(error, Unavailable) or (isinstance(error, Conflict) and resent_after_unknown):
                    # 5xx: may or may not have been applied. A 409 on our resend may mean the first one was.
                    unknown = error
                else:
                    raise error
            log.warning("%s: outcome unknown (%s); reading it back", what, unknown)
            try:
                result = await verify()
            except ServiceTitanError as exc:
                raise OutcomeUnknown(
                    f"{what}: the outcome is unknown ({unknown}) and it could not be checked ({exc}); "
                    "look at ServiceTitan before trying again",
                    status=unknown.status,
                    trace_id=unknown.trace_id,
                ) from exc
            if result is not None:
                return result
            log.warning(
                "%s: %s",
                what,
                "still not applied" if resent_after_unknown else "not applied; sending it again",
            )
            if resent_after_unknown:
                if isinstance(unknown, Conflict):
                    raise unknown
                raise Unavailable(
                    f"{what} failed: ServiceTitan did not apply it after a second try ({unknown})",
                    status=unknown.status,
                    trace_id=unknown.trace_id,
                )
            resent_after_unknown = True

    async def _get_model(self, model: type[M], module: str, resource: str, **filters: Any) -> M:
        return read_model(model, await self._read(module, resource, build_query(filters)))

    async def _iter_pages(
        self, model: type[M], module: str, resource: str, filters: Mapping[str, Any]
    ) -> AsyncIterator[M]:
        query = build_query({k: v for k, v in filters.items() if k not in ("page", "page_size")})
        page_size = min(int(filters.get("page_size") or self.page_size), MAX_PAGE_SIZE)
        page_number = int(filters.get("page") or 1)
        page_model = Page[model]  # type: ignore[valid-type]
        while True:
            body = await self._read(
                module, resource, {**query, "page": str(page_number), "pageSize": str(page_size)}
            )
            page = read_model(page_model, body)
            for item in page.data:
                yield item
            if not page.has_more or not page.data:
                return
            page_number += 1

    async def _iter_list(
        self, model: type[M], module: str, resource: str, filters: Mapping[str, Any]
    ) -> AsyncIterator[M]:
        """Every item of a paginated list, splitting ``ids``-style filters into batches of 50."""
        for key in BATCHED_FILTERS:
            values = filters.get(key)
            if values is None or isinstance(values, str | bytes):
                continue
            ordered = list(dict.fromkeys(values))  # any iterable (range, generator, set) of ids, deduplicated
            if not ordered:
                return  # a lookup of no ids finds nothing (an empty `ids` would match everything)
            filters = {**filters, key: ordered}
            if len(ordered) > MAX_IDS_PER_CALL:
                for batch in _batches(ordered):
                    async for item in self._iter_list(model, module, resource, {**filters, key: batch}):
                        yield item
                return
        async for item in self._iter_pages(model, module, resource, filters):
            yield item

    async def _export(
        self,
        model: type[M],
        module: str,
        resource: str,
        from_token: str | None,
        include_recent_changes: bool,
        **extra: Any,
    ) -> ExportBatch[M]:
        items: list[M] = []
        token = from_token
        for _ in range(MAX_EXPORT_CALLS):
            params = build_query({**extra, "include_recent_changes": include_recent_changes or None})
            if token:
                params["from"] = token
            body = await self._read(module, resource, params)
            items.extend(read_model(model, row) for row in body.get("data") or [])
            token = body.get("continueFrom") or token
            if not body.get("hasMore"):
                return ExportBatch[model](items=items, continue_from=token, has_more=False)  # type: ignore[valid-type]
        return ExportBatch[model](items=items, continue_from=token, has_more=True)  # type: ignore[valid-type]

    # -----------------------------------------------------------------------------------------------------
    # Jobs

    def iter_jobs(self, **filters: Any) -> AsyncIterator[Job]:
        """``GET /jobs`` with the spec's filters (job_status, appointment_starts_on_or_after, ids, ...)."""
        return self._iter_list(Job, "jpm", "jobs", filters)

    async def get_job(self, job_id: int) -> Job:
        return await self._get_model(Job, "jpm", f"jobs/{int(job_id)}")

    async def get_jobs(self, ids: Iterable[int]) -> list[Job]:
        """The jobs with these ids, in the order asked (missing ids are left out); 50 per call."""
        wanted = list(dict.fromkeys(int(i) for i in ids))
        if not wanted:
            return []
        found = {job.id: job async for job in self.iter_jobs(ids=wanted)}
        return [found[i] for i in wanted if i in found]

    async def book_job(self, job: JobCreate) -> Job:
        """``POST /jobs``. Without ``external_data`` the client adds a request id under its application GUID,
        so that a booking whose outcome is unknown can be found again instead of booked twice."""
        return await BookJob(job=job).send(self)

    async def update_job(self, job_id: int, update: JobUpdate) -> Job:
        """``PATCH /jobs/{id}``: only the fields set on ``update`` are sent."""
        return await UpdateJob(job_id=job_id, update=update).send(self)

    async def cancel_job(self, job_id: int, *, reason_id: int, memo: str) -> None:
        """``PUT /jobs/{id}/cancel`` with an active cancel reason and a memo."""
        await CancelJob(job_id=job_id, reason_id=reason_id, memo=memo).send(self)

    async def remove_job_cancellation(self, job_id: int) -> None:
        """``PUT /jobs/{id}/remove-cancellation``: bring a canceled job back."""
        await RemoveJobCancellation(job_id=job_id).send(self)

    async def hold_job(self, job_id: int, *, reason_id: int, memo: str) -> None:
        """``PUT /jobs/{id}/hold`` (2025 API) with an active hold reason and a memo."""
        await HoldJob(job_id=job_id, reason_id=reason_id, memo=memo).send(self)

    async def complete_job(self, job_id: int, *, completed_on: datetime) -> None:
        """``PUT /jobs/{id}/complete`` (409 when closed already or nobody is assigned)."""
        await CompleteJob(job_id=job_id, completed_on=completed_on).send(self)

    def iter_job_notes(self, job_id: int) -> AsyncIterator[JobNote]:
        return self._iter_list(JobNote, "jpm", f"jobs/{int(job_id)}/notes", {})

    async def add_job_note(self, job_id: int, text: str, *, pin_to_top: bool = False) -> JobNote:
        """``POST /jobs/{id}/notes``. Reads the job's notes first: notes have no id, and an identical older
        note must not be mistaken for this one if the outcome of the call turns out unknown."""
        note = AddJobNote(job_id=job_id, text=text, pin_to_top=pin_to_top)
        return await (await note.prepare(self)).send(self)

    async def get_job_cancel_reasons(self, job_ids: Iterable[int]) -> list[JobCancelReasonOfJob]:
        """``GET /jobs/cancel-reasons?ids=``: why each of these jobs was canceled (50 ids per call)."""
        wanted = list(dict.fromkeys(int(i) for i in job_ids))
        result: list[JobCancelReasonOfJob] = []
        for batch in _batches(wanted):
            # The operation takes only `ids` (no paging parameters); one page holds the rows of <= 50 jobs.
            body = await self._read("jpm", "jobs/cancel-reasons", build_query({"ids": batch}))
            result.extend(read_model(Page[JobCancelReasonOfJob], body).data)
        return result

    def iter_job_canceled_logs(self, job_id: int) -> AsyncIterator[JobCanceledLog]:
        return self._iter_list(JobCanceledLog, "jpm", f"jobs/{int(job_id)}/canceled-log", {})

    async def get_job_history(self, job_id: int) -> list[JobHistoryEntry]:
        body = await self._read("jpm", f"jobs/{int(job_id)}/history")
        return [read_model(JobHistoryEntry, row) for row in (body or {}).get("history") or []]

    # -----------------------------------------------------------------------------------------------------
    # Appointments

    def iter_appointments(self, **filters: Any) -> AsyncIterator[Appointment]:
        """``GET /appointments`` (job_id, technician_id, starts_on_or_after, starts_before, status, ids, ...)."""
        return self._iter_list(Appointment, "jpm", "appointments", filters)

    async def get_appointment(self, appointment_id: int) -> Appointment:
        return await self._get_model(Appointment, "jpm", f"appointments/{int(appointment_id)}")

    async def add_appointment(self, appointment: AppointmentCreate) -> Appointment:
        """``POST /appointments``: another visit on an existing job."""
        return await (await AddAppointment(appointment=appointment).prepare(self)).send(self)

    async def reschedule_appointment(
        self,
        appointment_id: int,
        *,
        start: datetime,
        end: datetime,
        arrival_window_start: datetime | None = None,
        arrival_window_end: datetime | None = None,
    ) -> Appointment:
        """``PATCH /appointments/{id}/reschedule`` (aware datetimes; sent as UTC)."""
        return await RescheduleAppointment(
            appointment_id=appointment_id,
            start=start,
            end=end,
            arrival_window_start=arrival_window_start,
            arrival_window_end=arrival_window_end,
        ).send(self)

    async def set_special_instructions(self, appointment_id: int, text: str) -> Appointment:
        """``PUT /appointments/{id}/special-instructions``."""
        return await SetSpecialInstructions(appointment_id=appointment_id, text=text).send(self)

    async def hold_appointment(self, appointment_id: int, *, reason_id: int, memo: str) -> None:
        """``PUT /appointments/{id}/hold`` with an active hold reason (``/job-hold-reasons``) and a memo."""
        await HoldAppointment(appointment_id=appointment_id, reason_id=reason_id, memo=memo).send(self)

    async def remove_appointment_hold(self, appointment_id: int) -> None:
        """``DELETE /appointments/{id}/hold`` (409 "Appointment is not on hold" when it is not)."""
        await RemoveAppointmentHold(appointment_id=appointment_id).send(self)

    async def confirm_appointment(self, appointment_id: int, *, confirmed: bool = True) -> None:
        """``PUT`` (or, ``confirmed=False``, ``DELETE``) ``/appointments/{id}/confirmation``."""
        kind = ConfirmAppointment if confirmed else RemoveAppointmentConfirmation
        await kind(appointment_id=appointment_id).send(self)

    async def delete_appointment(self, appointment_id: int) -> None:
        """``DELETE /appointments/{id}`` (409 for a job's only appointment or one with timesheets)."""
        await DeleteAppointment(appointment_id=appointment_id).send(self)

    # -----------------------------------------------------------------------------------------------------
    # Dispatch

    def iter_appointment_assignments(
        self, *, appointment_ids: Iterable[int] | None = None, job_id: int | None = None, **filters: Any
    ) -> AsyncIterator[AppointmentAssignment]:
        """``GET /appointment-assignments`` (active only unless ``active="Any"``); no technician filter exists."""
        ids = list(appointment_ids) if appointment_ids is not None else None
        return self._iter_list(
            AppointmentAssignment,
            "dispatch",
            "appointment-assignments",
            {**filters, "appointment_ids": ids, "job_id": job_id},
        )

    async def assign_technicians(
        self, appointment_id: int, technician_ids: Iterable[int]
    ) -> DispatchAppointment:
        """``POST /appointment-assignments/assign-technicians``."""
        ids = [int(t) for t in technician_ids]
        return await AssignTechnicians(appointment_id=appointment_id, technician_ids=ids).send(self)

    async def unassign_technicians(
        self, appointment_id: int, technician_ids: Iterable[int]
    ) -> DispatchAppointment:
        """``POST /appointment-assignments/unassign-technicians``."""
        ids = [int(t) for t in technician_ids]
        return await UnassignTechnicians(appointment_id=appointment_id, technician_ids=ids).send(self)

    async def replace_technicians(
        self, appointment_id: int, *, off: Iterable[int], on: Iterable[int]
    ) -> DispatchAppointment:
        """Take ``off`` off the appointment and put ``on`` on it instead: unassign first, then assign (two
        calls; ServiceTitan has no single one), so nobody new joins while the old technician stays."""
        replace = ReplaceTechnicians(
            appointment_id=appointment_id, off=[int(t) for t in off], on=[int(t) for t in on]
        )
        return await replace.send(self)

    def iter_arrival_windows(self, **filters: Any) -> AsyncIterator[ArrivalWindow]:
        return self._iter_list(ArrivalWindow, "dispatch", "arrival-windows", filters)

    # -----------------------------------------------------------------------------------------------------
    # Reference data

    def iter_job_types(self, **filters: Any) -> AsyncIterator[JobType]:
        return self._iter_list(JobType, "jpm", "job-types", filters)

    def iter_job_hold_reasons(self, **filters: Any) -> AsyncIterator[JobHoldReason]:
        """Hold reasons; active ones unless ``active="Any"``/``False`` (the API's own default is both)."""
        return self._iter_list(JobHoldReason, "jpm", "job-hold-reasons", {"active": "True", **filters})

    def iter_job_cancel_reasons(self, **filters: Any) -> AsyncIterator[JobCancelReason]:
        """Cancel reasons; active ones unless ``active="Any"``/``False`` (the API's own default is both)."""
        return self._iter_list(JobCancelReason, "jpm", "job-cancel-reasons", {"active": "True", **filters})

    def iter_projects(self, **filters: Any) -> AsyncIterator[Project]:
        return self._iter_list(Project, "jpm", "projects", filters)

    async def get_project(self, project_id: int) -> Project:
        return await self._get_model(Project, "jpm", f"projects/{int(project_id)}")

    def iter_technicians(self, **filters: Any) -> AsyncIterator[Technician]:
        return self._iter_list(Technician, "settings", "technicians", filters)

    async def get_technician(self, technician_id: int) -> Technician:
        return await self._get_model(Technician, "settings", f"technicians/{int(technician_id)}")

    def iter_employees(self, **filters: Any) -> AsyncIterator[Employee]:
        return self._iter_list(Employee, "settings", "employees", filters)

    def iter_business_units(self, **filters: Any) -> AsyncIterator[BusinessUnit]:
        return self._iter_list(BusinessUnit, "settings", "business-units", filters)

    def iter_campaigns(self, **filters: Any) -> AsyncIterator[Campaign]:
        return self._iter_list(Campaign, "marketing", "campaigns", filters)

    # -----------------------------------------------------------------------------------------------------
    # CRM

    async def get_customer(self, customer_id: int) -> Customer:
        return await self._get_model(Customer, "crm", f"customers/{int(customer_id)}")

    def iter_customers(self, **filters: Any) -> AsyncIterator[Customer]:
        return self._iter_list(Customer, "crm", "customers", filters)

    async def get_location(self, location_id: int) -> Location:
        return await self._get_model(Location, "crm", f"locations/{int(location_id)}")

    def iter_locations(self, **filters: Any) -> AsyncIterator[Location]:
        return self._iter_list(Location, "crm", "locations", filters)

    # -----------------------------------------------------------------------------------------------------
    # Export feeds

    async def export_jobs(
        self, from_token: str | None = None, *, include_recent_changes: bool = False
    ) -> ExportBatch[Job]:
        """``GET /export/jobs`` from ``from_token`` (a previous ``continue_from`` or a date) to the end."""
        return await self._export(Job, "jpm", "export/jobs", from_token, include_recent_changes)

    async def export_appointments(
        self, from_token: str | None = None, *, include_recent_changes: bool = False
    ) -> ExportBatch[Appointment]:
        return await self._export(
            Appointment, "jpm", "export/appointments", from_token, include_recent_changes
        )

    async def export_job_canceled_logs(
        self, from_token: str | None = None, *, include_recent_changes: bool = False
    ) -> ExportBatch[JobCanceledLog]:
        return await self._export(
            JobCanceledLog, "jpm", "export/job-canceled-logs", from_token, include_recent_changes
        )

    async def export_appointment_assignments(
        self,
        from_token: str | None = None,
        *,
        include_recent_changes: bool = False,
        active: str | None = None,
    ) -> ExportBatch[AppointmentAssignment]:
        return await self._export(
            AppointmentAssignment,
            "dispatch",
            "export/appointment-assignments",
            from_token,
            include_recent_changes,
            active=active,
        )
