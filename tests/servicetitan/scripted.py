"""A scripted stand-in for ServiceTitan on ``httpx.MockTransport``, for edge cases the simulator cannot stage
on demand (a ``Retry-After`` date, a timeout after the request was sent, a token endpoint that is slow)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from bot.servicetitan import ServiceTitanClient

API = "https://api.example.test"
AUTH = "https://auth.example.test"
TENANT = 777

Reply = httpx.Response | Exception
Handler = Callable[[httpx.Request], Reply | Awaitable[Reply]]


def problem(
    status: int, title: str, *, errors: dict[str, list[str]] | None = None, **headers: str
) -> httpx.Response:
    body = {
        "type": "https://httpstatuses.io/" + str(status),
        "title": title,
        "status": status,
        "traceId": "trace-1",
        "errors": errors or {},
        "data": {},
    }
    return httpx.Response(status, json=body, headers=headers)


@dataclass
class ScriptedServiceTitan:
    """Routes ``(METHOD, path-after-tenant)`` to queued replies; records every request."""

    token_lifetime: int = 900
    token_replies: list[Reply] = field(default_factory=list)
    routes: dict[tuple[str, str], list[Reply | Handler]] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)
    tokens_issued: int = 0
    refused: int = 0  # calls answered 401 because their token was not (or no longer) valid
    valid_tokens: set[str] = field(default_factory=set)
    token_gate: asyncio.Event | None = None  # when set up, token requests wait for it
    token_requested: asyncio.Event = field(default_factory=asyncio.Event)

    def on(self, method: str, path: str, *replies: Reply | Handler) -> None:
        self.routes.setdefault((method, path), []).extend(replies)

    def calls(self, method: str, path: str) -> list[httpx.Request]:
        return [
            r for r in self.requests if r.method == method and r.url.path.endswith(f"/tenant/{TENANT}/{path}")
        ]

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path == "/connect/token":
            self.token_requested.set()
            if self.token_gate is not None:
                await self.token_gate.wait()
            if self.token_replies:
                reply = self.token_replies.pop(0)
                if isinstance(reply, Exception):
                    raise reply
                return reply
            self.tokens_issued += 1
            token = f"token-{self.tokens_issued}"
            self.valid_tokens.add(token)
            return httpx.Response(
                200,
                json={
                    "access_token": token,
                    "expires_in": self.token_lifetime,
                    "token_type": "Bearer",
                    "scope": "tn.jpm.jobs:r",
                },
            )
        auth = request.headers.get("authorization", "").removeprefix("Bearer ")
        if auth not in self.valid_tokens:
            self.refused += 1
            return problem(401, "Unauthorized")
        path = request.url.path.split(f"/tenant/{TENANT}/", 1)[-1]
        queue = self.routes.get((request.method, path))
        if not queue:
            return problem(404, f"no script for {request.method} {path}")
        reply = queue.pop(0) if len(queue) > 1 else queue[0]
        if callable(reply) and not isinstance(reply, httpx.Response):
            reply = reply(request)
            if hasattr(reply, "__await__"):
                reply = await reply  # type: ignore[misc]
        if isinstance(reply, Exception):
            raise reply
        return reply  # type: ignore[return-value]


class Sleeps:
    """An injectable ``sleep`` that records the waits instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def scripted_client(fake: ScriptedServiceTitan, **kwargs: Any) -> tuple[ServiceTitanClient, Sleeps]:
    sleeps = Sleeps()
    options: dict[str, Any] = {"sleep": sleeps, "jitter": lambda: 1.0, "transport": httpx.MockTransport(fake)}
    options.update(kwargs)
    client = ServiceTitanClient(
        api_base=API,
        auth_base=AUTH,
        client_id="cid",
        client_secret="secret",
        app_key="app-key",
        tenant_id=TENANT,
        **options,
    )
    return client, sleeps


def body_of(request: httpx.Request) -> Any:
    return json.loads(request.content) if request.content else None


JOB = {
    "id": 1001,
    "jobNumber": "1001",
    "customerId": 201,
    "locationId": 301,
    "jobStatus": "Scheduled",
    "businessUnitId": 11,
    "jobTypeId": 21,
    "priority": "Normal",
    "campaignId": 31,
    "appointmentCount": 1,
    "firstAppointmentId": 5001,
    "lastAppointmentId": 5001,
    "noCharge": False,
    "notificationsEnabled": True,
    "createdOn": "2021-07-19T20:35:38.2876004Z",
    "createdById": 61,
    "modifiedOn": "2021-07-19T20:35:38.2876004Z",
    "tagTypeIds": [],
    "customerPo": "",
    "invoiceId": 0,
    "customFields": [],
    "externalData": [],
}
APPOINTMENT = {
    "id": 5001,
    "jobId": 1001,
    "appointmentNumber": "1001-1",
    "start": "2026-11-24T15:00:00Z",
    "end": "2026-11-24T17:00:00Z",
    "arrivalWindowStart": None,
    "arrivalWindowEnd": None,
    "status": "Scheduled",
    "specialInstructions": None,
    "createdOn": "2026-11-20T10:00:00Z",
    "modifiedOn": "2026-11-20T10:00:00Z",
    "customerId": 201,
    "unused": False,
    "createdById": 61,
    "isConfirmed": False,
}


def page(
    data: list[Any], *, page_number: int = 1, page_size: int = 50, has_more: bool = False
) -> httpx.Response:
    return httpx.Response(
        200,
        json={
            "page": page_number,
            "pageSize": page_size,
            "hasMore": has_more,
            "totalCount": None,
            "data": data,
        },
    )
