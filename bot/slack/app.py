"""The Bolt app: listeners wired to the dialog, event-retry dedupe, and the one error boundary.

Acknowledgement: Bolt acks events before their listener runs, and the action and command listeners call
`ack()` first; with `process_before_response=False` (the default for a long-running server) the HTTP
answer goes out as soon as `ack()` is called and the dialog and ServiceTitan work continues on the event
loop, so no request nears Slack's 3-second limit however slow ServiceTitan is (shared/slack/README.md
section 3). The error boundary (`app.error`) also sees exceptions raised after the ack.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, runtime_checkable

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings, reveal
from bot.dialog.messages import Dialog
from bot.roles import RoleResolver, StaffSource
from bot.slack.conversation import (
    MAX_TURNS_IN_FLIGHT,
    WHO_DEADLINE_SECONDS,
    WORKING_AFTER_SECONDS,
    Conversations,
    People,
    error_target,
    team_of,
)
from bot.slack.deps import EVENT_DEDUPE_NAMESPACE, EVENT_DEDUPE_TTL_SECONDS, FIRST_DELIVERY, SlackDeps
from bot.slack.listeners import register_all
from bot.slack.retries import retry_handlers, with_ours
from bot.store import Guard, MemoryStore, Store, StoreError

log = logging.getLogger("bot.slack")

# How long an event's listener waits for Redis to say whether it is a repeated delivery (the ack doesn't).
DEDUPE_WAIT_SECONDS = 0.5


class SlackSetupError(Exception):
    """The Slack settings cannot work (e.g. HTTP mode without a signing secret); the message says why."""


def make_web_client(settings: Settings) -> AsyncWebClient:
    """The Web API client: Slack's base URL from settings, retries on rate limits and connection errors."""
    return configure_web_client(AsyncWebClient(token=reveal(settings.slack_bot_token) or None), settings)


def configure_web_client(client: AsyncWebClient, settings: Settings) -> AsyncWebClient:
    """Point a new client at Slack's base URL from settings (SLACK_API_URL), with our retry handlers in
    place of slack_sdk's default (one retry of a dropped connection)."""
    client.base_url = _with_slash(settings.slack_api_url)
    client.retry_handlers = retry_handlers()
    return client


# Connections the shared Slack session keeps open at once (aiohttp's default is 100).
SLACK_CONNECTIONS = 64


def share_session(client: AsyncWebClient) -> aiohttp.ClientSession:
    """Give the client one aiohttp session for all its calls, to be closed by the caller when the bot stops.

    Without one, slack_sdk opens a new session (a new connection, DNS and TLS handshake) for every Web API
    call and closes it afterwards: about 7% of the CPU of a `show job` under load. Made inside the running
    event loop (aiohttp needs one); the time-out is the client's, as slack_sdk gives its own sessions."""
    session = aiohttp.ClientSession(
        timeout=aiohttp.ClientTimeout(total=client.timeout),
        connector=aiohttp.TCPConnector(limit=SLACK_CONNECTIONS),
    )
    client.session = session
    return session


def add_retry_handlers(client: AsyncWebClient) -> None:
    """For a client made elsewhere: 429s and 5xx are not retried by slack_sdk by default (README
    section 5), so ours take the place of its built-in handlers (bot/slack/retries.py)."""
    client.retry_handlers = with_ours(client.retry_handlers)


def _with_slash(url: str) -> str:
    return url if url.endswith("/") else url + "/"


@runtime_checkable
class NamesMentions(Protocol):
    """A dialog that reads Slack mentions as people's names (bot.dialog.service.DialogService does)."""

    mention_names: Callable[[str], Awaitable[str | None]] | None


def build_app(
    settings: Settings,
    *,
    dialog: Dialog,
    store: Store,
    web_client: AsyncWebClient | None = None,
    servicetitan: StaffSource | None = None,
    socket_mode: bool = False,
    logger: logging.Logger | None = None,
    working_after: float = WORKING_AFTER_SECONDS,
    who_deadline: float = WHO_DEADLINE_SECONDS,
    max_in_flight: int = MAX_TURNS_IN_FLIGHT,
) -> AsyncApp:
    """The Slack app for one workspace. `servicetitan` links Slack users to staff by e-mail (roles)."""
    logger = logger or log
    if not socket_mode and not reveal(settings.slack_signing_secret):
        raise SlackSetupError("SLACK_SIGNING_SECRET is required to verify requests from Slack in HTTP mode")
    options: dict[str, Any] = {
        "signing_secret": reveal(settings.slack_signing_secret),
        "request_verification_enabled": not socket_mode,
        "process_before_response": False,
        "logger": logger,
        # no AI-assistant threads: the listeners of events need no assistant utilities (say_stream,
        # set_status, suggested prompts) that this middleware builds for every DM event
        "attaching_conversation_kwargs_enabled": False,
    }
    if web_client is not None:
        add_retry_handlers(web_client)
        app = AsyncApp(client=web_client, **options)
    else:
        # Bolt makes the client from the one token given here. Handed a client of ours instead, Bolt would
        # still read SLACK_BOT_TOKEN from the environment and warn that `token` will be unused.
        if not reveal(settings.slack_bot_token):
            raise SlackSetupError("SLACK_BOT_TOKEN (the xoxb- bot token) is required")
        app = AsyncApp(token=reveal(settings.slack_bot_token), **options)
        configure_web_client(app.client, settings)
    client = app.client

    async def group_members(group: str) -> list[str]:
        answer = await client.usergroups_users_list(usergroup=group)
        return [str(user) for user in answer.get("users") or []]

    roles = RoleResolver(
        store=store,
        staff_source=servicetitan,
        dispatchers=Settings.id_list(settings.role_dispatchers),
        managers=Settings.id_list(settings.role_managers),
        group_members=group_members,
    )
    people = People(client=client, store=store, roles=roles, default_tz=settings.st_timezone)
    if isinstance(dialog, NamesMentions) and dialog.mention_names is None:
        # "assign <@U77> to job 1009": the dialog asks for the mentioned person's name to match a technician
        dialog.mention_names = people.name_of
    conversations = Conversations(
        dialog=dialog,
        people=people,
        client=client,
        logger=logger,
        working_after=working_after,
        who_deadline=who_deadline,
        max_in_flight=max_in_flight,
    )
    deps = SlackDeps(
        dialog=dialog, store=store, client=client, people=people, conversations=conversations, logger=logger
    )
    register_middleware(app, deps)
    register_all(app, deps)
    register_error_boundary(app, deps)
    return app


class DeliveryDedupe:
    """Whether a delivery of an event is its first: Slack re-delivers an event it thinks failed.

    Asked while the event is acknowledged (the ack never waits for it), and never waits on Redis for long:
    the store (shared by every process) has DEDUPE_WAIT_SECONDS to answer. This process also remembers the events it saw, so when Redis is down,
    or came back empty, a re-delivery to this process is still known; and while Redis doesn't answer, a
    delivery Slack marks as a retry (X-Slack-Retry-Num) counts as a repeat: the first one was
    acknowledged (every request is), so it is being answered, apology included.

    A first delivery (no retry header) doesn't ask the store on its own (`delivery`): its question rides on
    the turn's first write (a `Guard`, bot/store/base.py), which is applied only if no other process has
    the event; a turn that writes nothing asks before its replies go out.
    """

    def __init__(self, store: Store, *, wait: float = DEDUPE_WAIT_SECONDS) -> None:
        self.store = store
        self.seen = MemoryStore()
        self.wait = wait

    async def delivery(self, key: str, *, retried: bool) -> Guard | None:
        """None for a repeated delivery; else the delivery's guard, already settled for a retried one
        (asked at once, `first`), to be settled with the turn's first write for a first one."""
        if retried:
            if not await self.first(key, retried=True):
                return None
        elif not await self._first_here(key):
            return None
        guard = Guard(
            self.store,
            namespace=EVENT_DEDUPE_NAMESPACE,
            key=key,
            ttl=EVENT_DEDUPE_TTL_SECONDS,
            wait=self.wait,
        )
        if retried:
            guard.passed = True
        return guard

    async def first(self, key: str, *, retried: bool) -> bool:
        """Whether this is the event's first delivery, the store asked at once."""
        if not await self._first_here(key):
            # this process has it already; not asking the store again keeps a delivery and its retry
            # arriving together from racing there (the retry's question could reach Redis first, and then
            # neither counted as the first)
            return False
        # Asked twice at most, with one token: when the first question reached Redis but its answer came
        # late or got lost, the second finds the record that question made and counts it as this one's
        # (taken for a repeat, the event would go unanswered: the first delivery's guard finds it too).
        writer = uuid.uuid4().hex
        for attempt in range(2):
            try:
                return await asyncio.wait_for(
                    self.store.add_once(
                        namespace=EVENT_DEDUPE_NAMESPACE, key=key, ttl=EVENT_DEDUPE_TTL_SECONDS, writer=writer
                    ),
                    self.wait,
                )
            except (StoreError, TimeoutError) as exc:
                if attempt == 1:
                    log.warning("event dedupe without Redis (%s): %s", type(exc).__name__, str(exc)[:200])
        return not retried

    async def _first_here(self, key: str) -> bool:
        return await self.seen.add_once(
            namespace=EVENT_DEDUPE_NAMESPACE, key=key, ttl=EVENT_DEDUPE_TTL_SECONDS
        )


class SkipRepeatedEvents(AsyncMiddleware):
    """Slack re-delivers an event it thinks failed; the first delivery of an event_id wins. It is asked
    while the event is acknowledged, not before (`DeliveryDedupe.delivery`: a first delivery's question to
    the store rides on its turn's first write): the listeners wait for the answer (`repeated_delivery`),
    the ack doesn't. (A middleware class: Bolt calls a middleware function through
    its argument injection, which builds every argument it offers on each request.)"""

    def __init__(self, dedupe: DeliveryDedupe) -> None:
        self.dedupe = dedupe

    async def async_process(
        self, *, req: AsyncBoltRequest, resp: BoltResponse, next: Callable[[], Awaitable[BoltResponse]]
    ) -> BoltResponse | None:
        body = req.body
        event_id = body.get("event_id")
        if body.get("type") == "event_callback" and event_id:
            retried = bool((req.headers or {}).get("x-slack-retry-num"))
            first = asyncio.ensure_future(
                self.dedupe.delivery(f"{team_of(body)}:{event_id}", retried=retried)
            )
            first.add_done_callback(_retrieved)
            req.context[FIRST_DELIVERY] = first
        await next()
        return None

    @property
    def name(self) -> str:
        return "SkipRepeatedEvents"


def register_middleware(app: AsyncApp, deps: SlackDeps) -> None:
    app.use(SkipRepeatedEvents(DeliveryDedupe(deps.store)))


def _retrieved(done: asyncio.Future[Guard | None]) -> None:
    """An event no listener asks about still has its answer retrieved (no "never retrieved" warning)."""
    if not done.cancelled() and done.exception() is not None:
        log.warning("event dedupe failed: %s", done.exception())


def register_error_boundary(app: AsyncApp, deps: SlackDeps) -> None:
    """Errors outside a conversation turn (middleware, App Home, the store) end here; turns end in
    `Conversations.fail` themselves, which this shares."""

    async def on_error(error: Exception, body: dict[str, Any]) -> None:
        event = body.get("event") or {}
        home_user = (
            str(event["user"]) if event.get("type") == "app_home_opened" and event.get("user") else None
        )
        await deps.conversations.fail(error, error_target(body), home_user=home_user)

    app.error(on_error)
