"""A local fake of Slack's Web API (on a 127.0.0.1 port) that records every call, like bolt-python's tests.

Answers the methods the bot uses with Slack's shapes (auth.test, chat.postMessage, chat.update,
chat.postEphemeral, users.info, views.publish, usergroups.users.list, conversations.open, and
conversations.history / conversations.replies over what was posted, with the messages' metadata), answers
any other method `{"ok": true}`, receives `response_url` posts at `/response/...`, and can be told to answer
the next calls of a method with HTTP 429 and a Retry-After header, the next or every call of a method with
an error, or the next calls with an error after doing the work (`fail_after_work`: Slack posted, then
answered 500). Also serves a Starlette app on a port for tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import socket
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

TEAM_ID = "T0TEST"
BOT_USER_ID = "U0BOT"
BOT_ID = "B0BOT"
BOT_TOKEN = "xoxb-test-token"
APP_TOKEN = "xapp-1-A0TEST-1-test"


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    status: int
    answer: dict[str, Any] = field(default_factory=dict)


@dataclass
class FakeSlack:
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    usergroups: dict[str, list[str]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    responses: list[dict[str, Any]] = field(default_factory=list)  # bodies posted to response_url
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)  # ts -> the message as it is now
    _rate_limited: dict[str, list[int]] = field(default_factory=dict)  # method -> Retry-After per next call
    _failing: dict[str, tuple[int, str]] = field(default_factory=dict)  # method -> (HTTP status, error)
    _failing_next: dict[str, list[tuple[int, str]]] = field(default_factory=dict)  # the same, per next call
    _failing_after: dict[str, list[int]] = field(
        default_factory=dict
    )  # method -> HTTP status, after the work
    _ts: itertools.count = field(default_factory=lambda: itertools.count(1))
    base_url: str = ""
    socket_url: str = ""  # where apps.connections.open sends a Socket Mode client

    def add_user(self, user_id: str, *, name: str, email: str | None, tz: str = "America/Chicago") -> None:
        profile: dict[str, Any] = {"real_name": name, "display_name": name.split()[0]}
        if email:
            profile["email"] = email
        self.users[user_id] = {"id": user_id, "team_id": TEAM_ID, "name": name.lower(), "real_name": name,
                               "tz": tz, "tz_offset": -21600, "is_bot": False, "profile": profile}  # fmt: skip

    def rate_limit(self, method: str, *, times: int = 1, retry_after: int = 0) -> None:
        """The next `times` calls of `method` answer 429 with `Retry-After: retry_after`."""
        self._rate_limited.setdefault(method, []).extend([retry_after] * times)

    def fail(self, method: str, error: str, *, status: int = 200) -> None:
        """Every call of `method` answers `{"ok": false, "error": error}` with this HTTP status until `heal`."""
        self._failing[method] = (status, error)

    def heal(self, method: str) -> None:
        self._failing.pop(method, None)

    def fail_next(
        self, method: str, *, times: int = 1, status: int = 500, error: str = "internal_error"
    ) -> None:
        """The next `times` calls of `method` answer `{"ok": false, "error": error}` with this HTTP status."""
        self._failing_next.setdefault(method, []).extend([(status, error)] * times)

    def fail_after_work(self, method: str, *, times: int = 1, status: int = 500) -> None:
        """The next `times` calls of `method` do their work (post the message) and then answer
        `{"ok": false, "error": "internal_error"}` with this HTTP status, as Slack may."""
        self._failing_after.setdefault(method, []).extend([status] * times)

    # ---- what tests look at ----

    def attempts(self, method: str) -> list[Call]:
        """Every call of `method`, whatever it was answered (`of` keeps only the HTTP 200 ones)."""
        return [c for c in self.calls if c.method == method]

    def of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method and c.status == 200]

    def posted(self) -> list[dict[str, Any]]:
        """Every message the bot showed: posts, ephemeral posts, updates and response_url posts, in order."""
        shown = ("chat.postMessage", "chat.postEphemeral", "chat.update")
        return [c.params for c in self.calls if c.method in shown and c.status == 200] + self.responses

    async def wait_for(self, predicate: Callable[[], Any], *, within: float = 10.0, what: str = "") -> Any:
        """Poll until `predicate()` is truthy (returning it), failing after `within` seconds."""
        deadline = time.monotonic() + within
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                methods = [f"{c.method}:{c.status}" for c in self.calls]
                raise AssertionError(f"timed out waiting for {what or predicate}; calls so far: {methods}")
            await asyncio.sleep(0.01)

    async def wait_calls(self, method: str, count: int, *, within: float = 10.0) -> list[Call]:
        await self.wait_for(lambda: len(self.of(method)) >= count, within=within, what=f"{count}x {method}")
        return self.of(method)

    # ---- the API ----

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/api/{method}", self._api, methods=["GET", "POST"]),
                Route("/response/{hook}", self._response_url, methods=["POST"]),
            ]
        )

    async def _api(self, request: Request) -> Response:
        method = request.path_params["method"]
        params: dict[str, Any] = dict(request.query_params)
        raw = await request.body()
        if raw:
            if request.headers.get("content-type", "").startswith("application/json"):
                params.update(json.loads(raw))
            else:
                params.update(parse_qsl(raw.decode()))
        for name in ("blocks", "view"):  # form-encoded calls send these as JSON strings
            if isinstance(params.get(name), str):
                params[name] = json.loads(params[name])
        if (
            method == "apps.connections.open"
            and request.headers.get("authorization") == f"Bearer {APP_TOKEN}"
        ):
            self.calls.append(Call(method, params, 200))
            return JSONResponse({"ok": True, "url": self.socket_url})
        if request.headers.get("authorization") != f"Bearer {BOT_TOKEN}":
            self.calls.append(Call(method, params, 200))
            return JSONResponse({"ok": False, "error": "invalid_auth"})
        queue = self._rate_limited.get(method)
        if queue:
            retry_after = queue.pop(0)
            self.calls.append(Call(method, params, 429))
            return JSONResponse({"ok": False, "error": "ratelimited"}, status_code=429,
                                headers={"Retry-After": str(retry_after)})  # fmt: skip
        if method in self._failing or self._failing_next.get(method):
            queued = self._failing_next.get(method)
            status, error = queued.pop(0) if queued else self._failing[method]
            failure = {"ok": False, "error": error}
            self.calls.append(Call(method, params, status, failure))
            return JSONResponse(failure, status_code=status)
        answer = self._answer(method, params)
        after = self._failing_after.get(method)
        if after:
            status, failure = after.pop(0), {"ok": False, "error": "internal_error"}
            self.calls.append(Call(method, params, status, failure))
            return JSONResponse(failure, status_code=status)
        self.calls.append(Call(method, params, 200, answer))
        return JSONResponse(answer)

    def _answer(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {"ok": True, "url": "https://test.slack.com/", "team": "Test", "user": "stbot",
                    "team_id": TEAM_ID, "user_id": BOT_USER_ID, "bot_id": BOT_ID, "is_enterprise_install": False}  # fmt: skip
        if method == "chat.postMessage":
            ts = f"1700000000.{next(self._ts):06d}"
            message = {"type": "message", "ts": ts, "text": params.get("text"), "bot_id": BOT_ID}
            if params.get("thread_ts"):
                message["thread_ts"] = params["thread_ts"]
            self.messages[ts] = {
                **message,
                "channel": params.get("channel"),
                "blocks": params.get("blocks") or [],
            }
            metadata = params.get("metadata")
            if metadata:
                self.messages[ts]["metadata"] = (
                    json.loads(metadata) if isinstance(metadata, str) else metadata
                )
            return {"ok": True, "channel": params.get("channel"), "ts": ts, "message": message}
        if method == "chat.update":
            if params.get("ts") not in self.messages:
                return {"ok": False, "error": "message_not_found"}
            self.messages[params["ts"]].update(text=params.get("text"), blocks=params.get("blocks") or [])
            return {
                "ok": True,
                "channel": params.get("channel"),
                "ts": params.get("ts"),
                "text": params.get("text"),
            }
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": f"1700000000.{next(self._ts):06d}"}
        if method == "users.info":
            user = self.users.get(str(params.get("user")))
            return {"ok": True, "user": user} if user else {"ok": False, "error": "user_not_found"}
        if method == "usergroups.users.list":
            return {"ok": True, "users": self.usergroups.get(str(params.get("usergroup")), [])}
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": "D" + str(params.get("users", "X"))[1:]}}
        if method in ("conversations.history", "conversations.replies"):
            return self._history(
                params, thread=params.get("ts") if method == "conversations.replies" else None
            )
        return {"ok": True}

    def _history(self, params: dict[str, Any], *, thread: Any = None) -> dict[str, Any]:
        """A channel's messages (or one thread's: its parent and replies), newest first, in pages of
        `limit` (the cursor is an offset). The fake's ts are counters, not times, so `oldest` is not
        applied."""
        channel = params.get("channel")
        found = [
            dict(m)
            for m in reversed(self.messages.values())
            if m.get("channel") == channel and (thread is None or thread in (m.get("ts"), m.get("thread_ts")))
        ]
        if str(params.get("include_all_metadata")).lower() not in ("1", "true"):
            for message in found:
                message.pop("metadata", None)
        start, limit = int(params.get("cursor") or 0), int(params.get("limit") or 100)
        page, rest = found[start : start + limit], found[start + limit :]
        more = {"next_cursor": str(start + limit) if rest else ""}
        return {"ok": True, "messages": page, "has_more": bool(rest), "response_metadata": more}

    async def _response_url(self, request: Request) -> Response:
        self.responses.append(json.loads(await request.body()))
        return Response("ok")


def free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@contextlib.asynccontextmanager
async def serve(app: Any) -> AsyncIterator[str]:
    """Serve an ASGI app on a free 127.0.0.1 port for the duration; yields its base URL."""
    async with serve_all(app) as (url,):
        yield url


@contextlib.asynccontextmanager
async def serve_all(*apps: Any) -> AsyncIterator[tuple[str, ...]]:
    """Serve ASGI apps on free 127.0.0.1 ports; they are stopped together (uvicorn takes ~0.2 s each)."""
    servers: list[tuple[uvicorn.Server, asyncio.Task[None], socket.socket]] = []
    try:
        for app in apps:
            sock = free_socket()
            server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
            servers.append((server, asyncio.create_task(server.serve(sockets=[sock])), sock))
        deadline = time.monotonic() + 10
        for server, task, _ in servers:
            while not server.started:
                if task.done():
                    task.result()
                if time.monotonic() > deadline:
                    raise RuntimeError("a test server did not start")
                await asyncio.sleep(0.01)
        yield tuple(f"http://127.0.0.1:{sock.getsockname()[1]}" for _, _, sock in servers)
    finally:
        for server, _, _ in servers:
            server.should_exit = True
        for _, task, sock in servers:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(task, 10)
            sock.close()
