"""Running the bot: Socket Mode, or HTTP with `POST /slack/events` and `GET /healthz` (CONTRACT section 3).

`run_bot` builds everything the app needs (ServiceTitan client or the embedded simulator, the store, the
dialog service), checks the Slack credentials for the chosen mode with a clear message, and serves until
stopped. `build_http_app` is the Starlette app of HTTP mode (the tests serve it on a local port).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import sys
from collections.abc import Awaitable, Callable, Coroutine
from contextlib import AsyncExitStack
from typing import Any, Literal

from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler, to_starlette_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.alerts.slackout import SlackOut
from bot.config import Settings, reveal
from bot.dialog.feedreads import FEED_MARGIN
from bot.slack.blocks import escape_mrkdwn
from bot.slack.payloads import problem_with_envelope, read_body

log = logging.getLogger("bot.slack.server")

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"


class StartupError(Exception):
    """The bot cannot start with these settings; the message names what to set."""


def check_credentials(settings: Settings, mode: Literal["http", "socket"]) -> None:
    missing = []
    if not reveal(settings.slack_bot_token):
        missing.append("SLACK_BOT_TOKEN (the xoxb- bot token from OAuth & Permissions)")
    if mode == "http" and not reveal(settings.slack_signing_secret):
        missing.append("SLACK_SIGNING_SECRET (Basic Information → App Credentials)")
    if mode == "socket" and not reveal(settings.slack_app_token):
        missing.append("SLACK_APP_TOKEN (an xapp- app-level token with connections:write)")
    if missing:
        raise StartupError(f"cannot start the Slack bot in {mode} mode; set " + " and ".join(missing))
    if reveal(settings.slack_bot_token) and not reveal(settings.slack_bot_token).startswith("xoxb-"):
        raise StartupError("SLACK_BOT_TOKEN must be a bot token (it starts with xoxb-)")
    app_token = reveal(settings.slack_app_token)
    if mode == "socket" and app_token and not app_token.startswith("xapp-"):
        raise StartupError("SLACK_APP_TOKEN must be an app-level token (it starts with xapp-)")


class ParsedBoltRequest(AsyncBoltRequest):
    """Bolt's request of an HTTP request whose body the edge check parsed already, as Bolt parses it
    (`bot.slack.payloads.read_body`); the raw body is kept for the signature check."""

    def __init__(self, *, raw_body: str, body: dict[str, Any], query: Any, headers: Any) -> None:
        super().__init__(body=body, query=query, headers=headers, mode="socket_mode")  # a parsed body
        self.raw_body = raw_body
        self.mode = "http"


def build_http_app(bolt_app: AsyncApp) -> Starlette:
    """Slack's events, `/st` and interactivity at one URL, plus a health check."""
    handler = AsyncSlackRequestHandler(bolt_app)

    async def slack_events(request: Request) -> Response:
        body = await request.body()  # Starlette keeps it: Bolt's handler reads the same bytes
        problem, parsed = read_body(body, request.headers.get("content-type", ""))
        if problem is not None:
            # One line, no body: the request may be hostile, huge, or carry whatever it likes.
            log.warning("refused a malformed request to %s (HTTP 400): %s", EVENTS_PATH, problem[:300])
            return Response(status_code=413 if problem.startswith("body of") else 400)
        if parsed is None:
            return await handler.handle(request)
        # as the handler does, with the body parsed once (a button's payload is the whole card, URL-encoded)
        checked = ParsedBoltRequest(
            raw_body=body.decode("utf-8"), body=parsed, query=request.query_params, headers=request.headers
        )
        return to_starlette_response(await bolt_app.async_dispatch(checked))

    async def healthz(request: Request) -> Response:
        return JSONResponse({"ok": True})

    return Starlette(
        routes=[
            Route(EVENTS_PATH, slack_events, methods=["POST"]),
            Route(HEALTH_PATH, healthz, methods=["GET"]),
        ]
    )


async def build_bot(settings: Settings, stack: AsyncExitStack, *, socket_mode: bool) -> AsyncApp:
    """The app with its dependencies; everything that must be closed is pushed onto `stack`."""
    from bot.dialog.service import DialogService
    from bot.servicetitan import ServiceTitanClient
    from bot.servicetitan.client import http_transport
    from bot.servicetitan.ratelimit import RateLimitedTransport, TenantRateLimiter
    from bot.slack.app import build_app, share_session
    from bot.store import open_store
    from bot.store.audit import open_audit

    if settings.use_simulator:
        from bot.servicetitan.embedded import embedded_client

        client, _simulator = embedded_client(rate_limited=True)
        log.warning("no ServiceTitan credentials: using the embedded simulator with its demo data")
    else:
        # ServiceTitan's 60 requests/s per tenant, counted by every process together (in Redis)
        limiter = TenantRateLimiter(settings.redis_url, per_second=settings.st_rate_limit)
        transport = RateLimitedTransport(http_transport(), limiter)
        client = ServiceTitanClient.from_settings(settings, transport=transport)
    stack.push_async_callback(client.aclose)
    store = open_store(settings.redis_url)
    stack.push_async_callback(store.aclose)
    audit = open_audit(store)  # its records go to Redis with the conversation's saves
    stack.push_async_callback(audit.aclose)
    dialog = DialogService(
        client=client,
        store=store,
        tz=settings.st_timezone,
        idle_minutes=settings.dialog_ttl_minutes,
        alert_channel=settings.alert_channel,
        audit=audit,
    )
    # reads of a job served from a cache the alert watcher's change feed keeps fresh (it drops what
    # changed): at most a poll interval behind, plus the poll itself (bot/dialog/feedreads.py)
    dialog.runner.refdata.reads_ttl = settings.alert_poll_seconds + FEED_MARGIN
    app = build_app(settings, dialog=dialog, store=store, servicetitan=client, socket_mode=socket_mode)
    stack.push_async_callback(share_session(app.client).close)  # one Slack session, not one per call
    dialog.late.send = slack_sender(SlackOut(app.client, store, default_tz=settings.st_timezone))
    from bot.alerts.runtime import start_alerts  # the watcher of ServiceTitan's changes (CONTRACT section 6)

    await start_alerts(settings, stack, client=client, store=store, slack=app.client)
    tune_gc()
    return app


# Allocations between two collections of the youngest generation (CPython's default is 700).
GC_YOUNG_THRESHOLD = 10_000


def tune_gc() -> None:
    """Garbage collection for a long-running server, once it is built: what exists now (modules, settings,
    the app) is moved out of the collector's sight (`gc.freeze`: the full collections no longer walk it
    again and again), and the youngest generation is collected after GC_YOUNG_THRESHOLD allocations instead
    of 700 (each collection walks the objects of the requests in flight, whatever the threshold; a
    request's objects are mostly freed by reference counting before any collection sees them). Reference
    cycles are still collected, less often."""
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, older, oldest)


def slack_sender(out: SlackOut) -> Callable[[str, str], Awaitable[bool]]:
    """The dialog's way to tell someone else (a technician's running-late notice): a DM to a user id,
    else a post to the channel; the text escaped for Slack."""

    async def send(target: str, text: str) -> bool:
        safe = escape_mrkdwn(text)
        blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": safe}}]
        if target[:1] in ("U", "W"):
            return await out.dm(target, safe, blocks)
        return await out.post(target, safe, blocks)

    return send


def run_loop(main: Coroutine[Any, Any, None]) -> None:
    """Run the bot's event loop: uvloop's when it is installed (a dependency of the bot: `show job` at
    40/s costs 4.1 instead of 4.3-4.7 ms CPU per event, python -m benchmarks load), else asyncio's."""
    try:
        import uvloop
    except ImportError:
        asyncio.run(main)
        return
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(main)


def configure_logging() -> None:
    """The bot's log: INFO lines of its own; httpx's and httpcore's only from WARNING up (a line per HTTP
    request to ServiceTitan or Slack costs CPU under load and says nothing the bot doesn't log itself)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # Bolt and slack_sdk log through the logger the app is given (bot.slack) and build their debug lines
    # (every Web API call's headers and body, every middleware) whenever that logger has no level of its own:
    # they test `logger.level <= DEBUG`, and an unset level is 0
    logging.getLogger("bot.slack").setLevel(logging.INFO)


def run_bot(
    settings: Settings, *, mode: Literal["http", "socket"], host: str = "0.0.0.0", port: int = 3000
) -> int:
    """Serve the bot until stopped; 2 with a message on stderr when the settings cannot work."""
    configure_logging()
    try:
        check_credentials(settings, mode)
    except StartupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        if mode == "socket":
            run_loop(_serve_socket_mode(settings))
        else:
            _serve_http(settings, host=host, port=port)
    except KeyboardInterrupt:
        pass
    return 0


def checked_socket_mode_handler(app: AsyncApp, app_token: str | None) -> Any:
    """Bolt's Socket Mode handler, with the same edge checks as HTTP mode: an envelope whose payload the
    bot can't read is acknowledged (so Slack doesn't send it again), logged in one line and dropped."""
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
    from slack_sdk.socket_mode.response import SocketModeResponse

    class CheckedSocketModeHandler(AsyncSocketModeHandler):
        async def handle(self, client: Any, req: Any) -> None:
            problem = problem_with_envelope(str(req.type), req.payload)
            if problem is None:
                await super().handle(client, req)
                return
            log.warning("refused a malformed Socket Mode envelope: %s", problem[:300])
            await client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id))

    return CheckedSocketModeHandler(app, app_token)


async def _serve_socket_mode(settings: Settings) -> None:
    async with AsyncExitStack() as stack:
        app = await build_bot(settings, stack, socket_mode=True)
        handler = checked_socket_mode_handler(app, reveal(settings.slack_app_token))
        log.info("connecting to Slack in Socket Mode")
        await handler.start_async()


def _serve_http(settings: Settings, *, host: str, port: int) -> None:
    import uvicorn

    async def serve() -> None:
        async with AsyncExitStack() as stack:
            app = await build_bot(settings, stack, socket_mode=False)
            # no access log: a line per request is CPU the bot's own log lines (one per message) don't need
            config = uvicorn.Config(
                build_http_app(app), host=host, port=port, log_level="info", access_log=False
            )
            log.info("serving Slack at http://%s:%d%s", host, port, EVENTS_PATH)
            await uvicorn.Server(config).serve()

    run_loop(serve())
