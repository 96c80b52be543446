"""The ServiceTitan simulator: an ASGI app with ServiceTitan's auth, rate limit, faults and data.

`Simulator(...).app` is what uvicorn serves (`bot.simulator.server`) and what `httpx.ASGITransport` wraps
in tests and the embedded bot. Around the routes of `bot.simulator.api` it adds, in order: the token
endpoint (`POST /connect/token`), the admin endpoint (`/_admin/faults`, only with `admin=True`), the
`ST-App-Key` and bearer-token checks, the per app-and-tenant rate limit, fault injection, and a record of
every exchange for tests (`request_log`, `write_count`, observers).

Observers are callables given each finished `Exchange` (request and response bytes). They are how the test
suite checks every request and response against the OpenAPI documents: `Simulator.global_observers` is a
class-level list that tests/conftest.py fills for the duration of each test, so even simulators built
elsewhere (for example by `bot.servicetitan.embedded.embedded_client`) are checked.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import secrets
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.simulator.api import build_routes
from bot.simulator.demo_data import DEMO_TIMEZONE, build_demo_seed
from bot.simulator.faults import FaultConfig, FaultConfigError, FaultInjector
from bot.simulator.state import SimError, SimState

TOKEN_LIFETIME_SECONDS = 900
API_PREFIXES = ("/jpm/", "/dispatch/", "/settings/", "/crm/", "/marketing/")
WRITE_PREFIXES = ("/jpm/", "/dispatch/", "/settings/", "/crm/")
SCOPES = (
    "tn.jpm.jobs:r tn.jpm.jobs:w tn.jpm.appointments:r tn.jpm.appointments:w tn.jpm.jobcancelreasons:r "
    "tn.jpm.jobholdreasons:r tn.jpm.jobtypes:r tn.jpm.projects:r tn.dis.appointmentassignments:r "
    "tn.dis.appointmentassignments:w tn.dis.arrivalwindows:r tn.stt.technicians:r tn.stt.employees:r "
    "tn.stt.businessunits:r tn.crm.customers:r tn.crm.locations:r tn.mkt.campaigns:r"
)
PROBLEM_TYPES = {
    400: "https://tools.ietf.org/html/rfc7231#section-6.5.1",
    401: "https://tools.ietf.org/html/rfc7235#section-3.1",
    403: "https://tools.ietf.org/html/rfc7231#section-6.5.3",
    404: "https://tools.ietf.org/html/rfc7231#section-6.5.4",
    405: "https://tools.ietf.org/html/rfc7231#section-6.5.5",
    409: "https://tools.ietf.org/html/rfc7231#section-6.5.8",
    429: "https://tools.ietf.org/html/rfc6585#section-4",
    500: "https://tools.ietf.org/html/rfc7231#section-6.6.1",
    503: "https://tools.ietf.org/html/rfc7231#section-6.6.4",
    504: "https://tools.ietf.org/html/rfc7231#section-6.6.5",
}


@dataclass(frozen=True)
class SimCredentials:
    """Credentials the simulator accepts (the embedded bot and the tests use them)."""

    client_id: str
    client_secret: str
    app_key: str
    tenant_id: int


SIM_CREDENTIALS = SimCredentials(
    client_id="cid.simulator-client",
    client_secret="cs1.simulator-secret",
    app_key="ak1.simulator-app-key",
    tenant_id=1234567,
)


@dataclass(frozen=True)
class Exchange:
    """One finished request and its response, as seen on the wire (for observers)."""

    method: str
    path: str
    query_string: str
    headers: Mapping[str, str]
    body: bytes
    status: int
    response_headers: Mapping[str, str]
    response_body: bytes


Observer = Callable[[Exchange], None]


@dataclass
class _Token:
    client_id: str
    tenant_id: int
    expires_at: datetime


@dataclass
class RateLimiter:
    """At most `limit` requests in any rolling second per key (app key, tenant); clock in seconds."""

    limit: int | None
    clock: Callable[[], float]
    _windows: dict[tuple[str, int], deque[float]] = field(default_factory=dict)

    def admit(self, key: tuple[str, int]) -> int | None:
        """None if the request may go on, else the whole seconds to wait before retrying."""
        if not self.limit:
            return None
        now = self.clock()
        window = self._windows.setdefault(key, deque())
        while window and window[0] <= now - 1.0:
            window.popleft()
        if len(window) >= self.limit:
            return max(1, math.ceil(window[0] + 1.0 - now))
        window.append(now)
        return None


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Simulator:
    """An in-memory ServiceTitan tenant behind ServiceTitan's HTTP API (see the module docstring)."""

    global_observers: ClassVar[list[Observer]] = []

    def __init__(
        self,
        seed: Mapping[str, Any] | None = None,
        *,
        now: datetime | None = None,
        clock: Callable[[], datetime] | None = None,
        rate_limit_per_second: int | None = 60,
        faults: FaultConfig | None = None,
        admin: bool = False,
        observers: Sequence[Observer] = (),
        rate_clock: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        credentials: SimCredentials = SIM_CREDENTIALS,
        demo_timezone: str = DEMO_TIMEZONE,
        export_delay_minutes: float = 0,
    ) -> None:
        if clock is None:
            if now is not None:
                fixed = now if now.tzinfo else now.replace(tzinfo=UTC)
                clock = lambda: fixed  # noqa: E731 - a fixed clock for deterministic tests
            else:
                clock = _utc_now
        self.clock: Callable[[], datetime] = clock
        self.credentials = credentials
        base_now = now if now is not None else clock()
        data = seed if seed is not None else build_demo_seed(base_now, demo_timezone)
        self.state = SimState.from_seed(data, clock=clock, tenant_id=credentials.tenant_id)
        # ServiceTitan shows a change in export/* 15 minutes late unless includeRecentChanges=true; 0 = at once.
        self.state.export_delay = timedelta(minutes=export_delay_minutes)
        self.admin = admin
        self.faults = faults if faults is not None else FaultConfig.from_env()
        self._injector = FaultInjector(self.faults)
        self.rate_limiter = RateLimiter(rate_limit_per_second, rate_clock or time.monotonic)
        self._sleep = sleep or asyncio.sleep
        self.observers: list[Observer] = list(observers)
        self.request_log: list[tuple[str, str, int]] = []
        self.write_count = 0
        self._tokens: dict[str, _Token] = {}
        self._trace_counter = 0
        # The ASGI app: ServiceTitan's routes behind the gateway (token, admin, auth, limits, faults, records).
        self.app = Starlette(
            routes=build_routes(self.state),
            exception_handlers={SimError: self._sim_error_handler, HTTPException: self._http_error_handler},
            middleware=[Middleware(_Gateway, simulator=self)],
        )

    # ------------------------------------------------------------------ public helpers

    @contextmanager
    def acting_as(self, employee_id: int) -> Iterator[None]:
        """Writes inside the block are made by that employee, as if in ServiceTitan's own UI.

        The employee becomes the `createdById` of what they create (jobs, appointments, canceled logs, notes),
        the `assignedById` of their assignments and the `employeeId` of the job history entries; outside the
        block the app's integration user writes (`API_USER_ID`).
        """
        before = self.state.actor
        self.state.actor = employee_id
        try:
            yield
        finally:
            self.state.actor = before

    def set_faults(self, faults: FaultConfig) -> None:
        self.faults = faults
        self._injector.reconfigure(faults)

    @property
    def tokens_issued(self) -> int:
        """How many access tokens the simulator has issued (every token is kept until the simulator goes)."""
        return len(self._tokens)

    def issue_token(self, *, lifetime_seconds: int = TOKEN_LIFETIME_SECONDS) -> str:
        """A valid access token without the HTTP round trip (for tests that need one quickly)."""
        token = "sim." + secrets.token_urlsafe(24)
        expires = self.clock() + timedelta(seconds=lifetime_seconds)
        self._tokens[token] = _Token(self.credentials.client_id, self.credentials.tenant_id, expires)
        return token

    def problem(
        self,
        status: int,
        title: str,
        errors: Mapping[str, list[str]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> JSONResponse:
        self._trace_counter += 1
        digest = hashlib.sha256(f"trace-{self._trace_counter}".encode()).hexdigest()
        body = {
            "type": PROBLEM_TYPES.get(status, "about:blank"),
            "title": title,
            "status": status,
            "traceId": f"00-{digest[:32]}-{digest[32:48]}-00",
            "errors": dict(errors or {}),
            "data": {},
        }
        return JSONResponse(body, status_code=status, headers=dict(headers or {}))

    # ------------------------------------------------------------------ ASGI

    async def _handle(self, scope: Scope, receive: Receive, send: Send, routes: ASGIApp) -> None:
        if scope["type"] != "http":
            await routes(scope, receive, send)
            return
        body = await _read_body(receive)
        replay = _replay(body)
        method: str = scope["method"]
        path: str = scope["path"]
        status_holder = {"status": 0}
        forwarded = await self._dispatch(scope, replay, body, status_holder, routes)
        status = status_holder["status"]
        # Recorded before the answer goes out, so a caller that has the answer also finds it in the log.
        self.request_log.append((method, path, status))
        for message in forwarded:
            await send(message)
        exchange = Exchange(
            method=method,
            path=path,
            query_string=scope.get("query_string", b"").decode("latin-1"),
            headers={k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])},
            body=body,
            status=status,
            response_headers=_headers_of(forwarded),
            response_body=b"".join(
                m.get("body", b"") for m in forwarded if m["type"] == "http.response.body"
            ),
        )
        for observer in (*self.observers, *Simulator.global_observers):
            observer(exchange)

    async def _dispatch(
        self, scope: Scope, receive: Receive, body: bytes, status_holder: dict[str, int], routes: ASGIApp
    ) -> list[Message]:
        """Run the request through auth, limits and faults; return the response messages to send."""
        path: str = scope["path"]
        method: str = scope["method"]
        if path == "/connect/token":
            response = await self._token_endpoint(method, scope, body)
            return await self._finish(response, scope, status_holder)
        if path.startswith("/_admin"):
            response = await self._admin_endpoint(method, path, body)
            return await self._finish(response, scope, status_holder)
        if not path.startswith(API_PREFIXES):
            return await self._finish(self.problem(404, "Not Found"), scope, status_holder)
        request = Request(scope)
        app_key = request.headers.get("st-app-key") or self._query_app_key(request)
        tenant = self._path_tenant(path)
        refusal = self._authenticate(request, app_key, tenant)
        if refusal is not None:
            return await self._finish(refusal, scope, status_holder)
        wait = self.rate_limiter.admit((app_key, tenant))
        if wait is not None:
            return await self._finish(self._too_many(wait), scope, status_holder)
        fault = self._injector.draw()
        if self.faults.latency_ms:
            await self._sleep(self.faults.latency_ms / 1000)
        if fault == "rate_limit":
            return await self._finish(self._too_many(self.faults.retry_after_seconds), scope, status_holder)
        if fault == "server_error":
            return await self._finish(self.problem(503, "Service Unavailable"), scope, status_holder)
        messages: list[Message] = []

        async def collect(message: Message) -> None:
            messages.append(message)

        await routes(scope, receive, collect)
        status = _status_of(messages)
        # Counted as soon as it is done: a write whose answer is then withheld (timeout fault) still happened.
        if method != "GET" and 200 <= status < 300 and path.startswith(WRITE_PREFIXES):
            self.write_count += 1
        if fault == "timeout":
            # Processed, but the answer never arrives within the caller's timeout.
            await self._sleep(self.faults.timeout_seconds)
            return await self._finish(self.problem(504, "Gateway Timeout"), scope, status_holder)
        status_holder["status"] = status
        return messages

    async def _finish(self, response: Response, scope: Scope, status_holder: dict[str, int]) -> list[Message]:
        messages: list[Message] = []

        async def collect(message: Message) -> None:
            messages.append(message)

        await response(scope, _replay(b""), collect)
        status_holder["status"] = response.status_code
        return messages

    # ------------------------------------------------------------------ auth and limits

    def _query_app_key(self, request: Request) -> str:
        for key, value in request.query_params.items():
            if key.lower() == "servicetitanapplicationkey":
                return value
        return ""

    def _path_tenant(self, path: str) -> int:
        parts = path.split("/")
        # /{module}/v2/tenant/{tenant}/...
        if len(parts) > 4 and parts[3] == "tenant" and parts[4].isdigit():
            return int(parts[4])
        return -1

    def _authenticate(self, request: Request, app_key: str, tenant: int) -> Response | None:
        """A 401/403 problem for a call without a valid app key, bearer token or access to ``tenant``."""
        if not app_key:
            return self.problem(401, "The ST-App-Key header is missing.")
        if app_key != self.credentials.app_key:
            return self.problem(401, "The ST-App-Key is not valid.")
        authorization = request.headers.get("authorization", "").strip()
        if not authorization:
            return self.problem(401, "The access token is missing.")
        token_text = (
            authorization[7:].strip() if authorization.lower().startswith("bearer ") else authorization
        )
        token = self._tokens.get(token_text)
        if token is None:
            return self.problem(401, "The access token is not valid.")
        if self.clock() >= token.expires_at:
            return self.problem(401, "The access token has expired.")
        if tenant != token.tenant_id:
            return self.problem(403, "Provided authentication is insufficient to grant access")
        return None

    def _too_many(self, wait: int) -> Response:
        limit = self.rate_limiter.limit or 60
        return self.problem(
            429,
            f"Too many requests: the limit is {limit} requests per second. Try again in {wait} seconds.",
            headers={"Retry-After": str(wait)},
        )

    async def _token_endpoint(self, method: str, scope: Scope, body: bytes) -> Response:
        if method != "POST":
            return JSONResponse({"error": "invalid_request"}, status_code=405, headers={"Allow": "POST"})
        request = Request(scope)
        content_type = request.headers.get("content-type", "")
        if "application/x-www-form-urlencoded" not in content_type:
            return JSONResponse(
                {"error": "invalid_request", "error_description": "Use application/x-www-form-urlencoded"},
                status_code=400,
            )
        form = {k: v[0] for k, v in parse_qs(body.decode("utf-8")).items()}
        if form.get("grant_type") != "client_credentials":
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
        if (
            form.get("client_id") != self.credentials.client_id
            or form.get("client_secret") != self.credentials.client_secret
        ):
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        token = self.issue_token()
        return JSONResponse(
            {
                "access_token": token,
                "expires_in": TOKEN_LIFETIME_SECONDS,
                "token_type": "Bearer",
                "scope": SCOPES,
            }
        )

    async def _admin_endpoint(self, method: str, path: str, body: bytes) -> Response:
        if not self.admin:
            return self.problem(404, "Not Found")
        if path != "/_admin/faults":
            return self.problem(404, "Not Found")
        if method == "GET":
            return JSONResponse(self.faults.to_admin())
        if method != "POST":
            return self.problem(405, "Method Not Allowed", headers={"Allow": "GET, POST"})
        try:
            payload = json.loads(body or b"{}")
            if not isinstance(payload, dict):
                raise FaultConfigError("the body must be a JSON object")
            self.set_faults(FaultConfig.from_admin(self.faults, payload))
        except (ValueError, FaultConfigError) as exc:
            return self.problem(400, "Invalid fault settings", {"faults": [str(exc)]})
        return JSONResponse(self.faults.to_admin())

    # ------------------------------------------------------------------ error bodies

    async def _sim_error_handler(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, SimError)
        return self.problem(exc.status, exc.title, exc.errors)

    async def _http_error_handler(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        titles = {404: "Not Found", 405: "Method Not Allowed"}
        return self.problem(exc.status_code, titles.get(exc.status_code, exc.detail), headers=exc.headers)


class _Gateway:
    """The outermost layer of `Simulator.app`, handing every request to the simulator's gateway logic."""

    def __init__(self, app: ASGIApp, simulator: Simulator) -> None:
        self.app = app
        self.simulator = simulator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.simulator._handle(scope, receive, send, self.app)


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.request":
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        elif message["type"] == "http.disconnect":
            break
    return b"".join(chunks)


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        # Never called in practice: our handlers read the body once. Wait like a live connection would.
        await asyncio.Event().wait()
        return {"type": "http.disconnect"}

    return receive


def _status_of(messages: list[Message]) -> int:
    for message in messages:
        if message["type"] == "http.response.start":
            return int(message["status"])
    return 500


def _headers_of(messages: list[Message]) -> dict[str, str]:
    for message in messages:
        if message["type"] == "http.response.start":
            return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in message.get("headers", [])}
    return {}
