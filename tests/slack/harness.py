"""Scenario harness: the real app served over HTTP on a port, a fake Slack Web API, signed requests.

`running_bot(...)` starts both servers and yields a `SlackHarness` that sends what Slack would send
(events, `/st`, clicks and picker changes on the cards the bot posted), signed with the signing secret.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import httpx
from slack_sdk.models.blocks import Block
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings
from bot.dialog.messages import Asker, ConversationKey, Dialog, Event, Reply
from bot.dialog.service import DialogService
from bot.roles import StaffSource
from bot.servicetitan.embedded import embedded_client, simulator_client
from bot.simulator import Simulator
from bot.slack.app import build_app
from bot.slack.server import EVENTS_PATH, build_http_app
from bot.store import MemoryStore, Store
from tests.slack.fake_slack import BOT_TOKEN, BOT_USER_ID, TEAM_ID, FakeSlack, serve, serve_all

SIGNING_SECRET = "test-signing-secret"
NO_WORKING_MESSAGE = 3600.0
JSON = dict[str, Any]


def make_settings(slack_api_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "slack_bot_token": BOT_TOKEN,
        "slack_signing_secret": SIGNING_SECRET,
        "slack_app_token": None,
        "slack_api_url": slack_api_url,
        "st_client_id": None,
        "st_client_secret": None,
        "st_app_key": None,
        "st_tenant_id": None,
        "st_timezone": "America/Chicago",
        "redis_url": None,
        "role_dispatchers": None,
        "role_managers": None,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def assert_valid_blocks(blocks: list[JSON], *, limit: int = 50) -> None:
    """slack_sdk's own validation, Slack's block limit and unique action ids / block ids."""
    assert 0 < len(blocks) <= limit, f"{len(blocks)} blocks"
    parsed = Block.parse_all(blocks)
    assert all(block is not None for block in parsed), "an unknown block type"
    assert [block.to_dict() for block in parsed if block is not None]
    action_ids = [element["action_id"] for element in interactive_elements(blocks)]
    assert len(action_ids) == len(set(action_ids)), f"duplicate action ids: {action_ids}"
    block_ids = [block["block_id"] for block in blocks if "block_id" in block]
    assert len(block_ids) == len(set(block_ids)), f"duplicate block ids: {block_ids}"


def interactive_elements(blocks: list[JSON]) -> list[JSON]:
    """Every control of a message, each with the block_id of its block."""
    found = []
    for block in blocks:
        elements = block.get("elements", []) if block["type"] == "actions" else [block.get("accessory")]
        for element in elements:
            if element and "action_id" in element:
                found.append({**element, "block_id": block.get("block_id")})
    return found


def block_text(message: JSON) -> str:
    """All the text of a message's blocks (for asserting on what the user sees)."""
    parts = [str(message.get("text") or "")]
    for block in message.get("blocks") or []:
        for key in ("text",):
            if isinstance(block.get(key), dict):
                parts.append(block[key]["text"])
        for field in block.get("fields") or []:
            parts.append(field["text"])
        for element in block.get("elements") or []:
            if isinstance(element.get("text"), dict):
                parts.append(element["text"]["text"])
            elif isinstance(element.get("text"), str):
                parts.append(element["text"])
    return "\n".join(parts)


class SlackHarness:
    def __init__(self, *, fake: FakeSlack, bot_url: str, http: httpx.AsyncClient, settings: Settings) -> None:
        self.fake = fake
        self.bot_url = bot_url
        self.http = http
        self.settings = settings
        self.verifier = SignatureVerifier(SIGNING_SECRET)
        self._ids = itertools.count(1)

    # ---- raw requests ----

    async def send(
        self,
        body: str,
        content_type: str,
        *,
        timestamp: int | None = None,
        signature: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        ts = str(timestamp if timestamp is not None else int(time.time()))
        all_headers = {
            "content-type": content_type,
            "x-slack-request-timestamp": ts,
            "x-slack-signature": signature or self.verifier.generate_signature(timestamp=ts, body=body),
            **(headers or {}),
        }
        return await self.http.post(self.bot_url + EVENTS_PATH, content=body.encode(), headers=all_headers)

    def next_ts(self) -> str:
        return f"1800000000.{next(self._ids):06d}"

    def event_body(self, event: JSON, *, event_id: str | None = None) -> str:
        return json.dumps(
            {
                "token": "legacy",
                "team_id": TEAM_ID,
                "api_app_id": "A0TEST",
                "type": "event_callback",
                "event_id": event_id or f"Ev{next(self._ids):08d}",
                "event_time": int(time.time()),
                "event": event,
                "authorizations": [{"team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": True}],
            }
        )

    async def event(
        self, event: JSON, *, event_id: str | None = None, retry_num: int | None = None
    ) -> httpx.Response:
        headers = (
            {"x-slack-retry-num": str(retry_num), "x-slack-retry-reason": "http_timeout"}
            if retry_num
            else None
        )
        return await self.send(self.event_body(event, event_id=event_id), "application/json", headers=headers)

    # ---- what people do ----

    async def dm(self, user: str, text: str, *, channel: str | None = None, **extra: Any) -> httpx.Response:
        event = {"type": "message", "channel": channel or f"D{user[1:]}", "channel_type": "im", "user": user,
                 "text": text, "ts": self.next_ts(), **extra}  # fmt: skip
        return await self.event(event)

    async def mention(
        self, user: str, text: str, *, channel: str = "C0GENERAL", thread_ts: str | None = None
    ) -> tuple[httpx.Response, str]:
        ts = self.next_ts()
        event = {
            "type": "app_mention",
            "channel": channel,
            "user": user,
            "text": f"<@{BOT_USER_ID}> {text}",
            "ts": ts,
        }
        if thread_ts:
            event["thread_ts"] = thread_ts
        return await self.event(event), ts

    async def command(self, user: str, text: str, *, channel: str = "C0GENERAL") -> httpx.Response:
        form = {"token": "legacy", "team_id": TEAM_ID, "team_domain": "test", "channel_id": channel,
                "channel_name": "general", "user_id": user, "user_name": user.lower(), "command": "/st",
                "text": text, "api_app_id": "A0TEST", "response_url": f"{self.fake.base_url}/response/{next(self._ids)}",
                "trigger_id": "1.2.3"}  # fmt: skip
        return await self.send(urlencode(form), "application/x-www-form-urlencoded")

    async def click(
        self,
        user: str,
        message: JSON,
        action_id: str,
        *,
        option_label: str | None = None,
        picked_date: str | None = None,
        picked_time: str | None = None,
        ephemeral: bool = False,
    ) -> httpx.Response:
        """Use one control of a posted message: press a button, pick a menu option or change a picker."""
        blocks = message.get("blocks") or []
        element = next((e for e in interactive_elements(blocks) if e["action_id"] == action_id), None)
        assert element is not None, (
            f"no control {action_id} in {[e['action_id'] for e in interactive_elements(blocks)]}"
        )
        action: JSON = {"type": element["type"], "action_id": action_id, "block_id": element["block_id"],
                        "action_ts": str(time.time())}  # fmt: skip
        state: JSON = {}
        if element["type"] == "button":
            action.update(value=element.get("value"), text=element["text"])
        elif element["type"] == "static_select":
            option = next(o for o in element["options"] if o["text"]["text"] == option_label)
            action["selected_option"] = option
        elif element["type"] in ("datepicker", "timepicker"):
            pickers = {
                e["action_id"]: e
                for e in interactive_elements(blocks)
                if e["block_id"] == element["block_id"]
            }
            values: JSON = {}
            for picker_id, picker in pickers.items():
                if picker["type"] == "datepicker":
                    values[picker_id] = {
                        "type": "datepicker",
                        "selected_date": picked_date or picker.get("initial_date"),
                    }
                else:
                    values[picker_id] = {
                        "type": "timepicker",
                        "selected_time": picked_time or picker.get("initial_time"),
                    }
            state = {element["block_id"]: values}
            action.update(values[action_id])
        channel = message.get("channel")
        container: JSON = {"type": "message", "message_ts": message.get("ts"), "channel_id": channel,
                           "is_ephemeral": ephemeral}  # fmt: skip
        payload: JSON = {
            "type": "block_actions",
            "team": {"id": TEAM_ID, "domain": "test"},
            "user": {"id": user, "team_id": TEAM_ID},
            "api_app_id": "A0TEST",
            "token": "legacy",
            "container": container,
            "trigger_id": "1.2.3",
            "channel": {"id": channel},
            "response_url": f"{self.fake.base_url}/response/{next(self._ids)}",
            "actions": [action],
            "state": {"values": state},
        }
        if not ephemeral:
            payload["message"] = {"type": "message", "ts": message.get("ts"), "text": message.get("text"),
                                  "blocks": blocks, **({"thread_ts": message["thread_ts"]} if message.get("thread_ts") else {})}  # fmt: skip
        return await self.send(
            urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"
        )


class LateApp:
    """An ASGI app whose target is set once its server runs (the bot is built after the fake's URL is known)."""

    def __init__(self) -> None:
        self.target: Any = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.target(scope, receive, send)


@contextlib.asynccontextmanager
async def running_bot(
    *,
    dialog: Dialog,
    store: Store,
    servicetitan: StaffSource | None = None,
    fake: FakeSlack | None = None,
    working_after: float | None = None,
    who_deadline: float = 10.0,
    max_in_flight: int = 200,
    **settings_overrides: Any,
) -> AsyncIterator[SlackHarness]:
    fake = fake or FakeSlack()
    bot_app = LateApp()
    async with serve_all(fake.app(), bot_app) as (slack_url, bot_url):
        fake.base_url = slack_url
        settings = make_settings(slack_url + "/api/", **settings_overrides)
        web_client = AsyncWebClient(token=BOT_TOKEN, base_url=slack_url + "/api/")
        # "Working on it…" only where a test looks for it: on a busy machine a turn may take seconds, and
        # other tests count the messages posted.
        app = build_app(
            settings,
            dialog=dialog,
            store=store,
            web_client=web_client,
            servicetitan=servicetitan,
            working_after=NO_WORKING_MESSAGE if working_after is None else working_after,
            who_deadline=who_deadline,
            max_in_flight=max_in_flight,
        )
        bot_app.target = build_http_app(app)
        async with httpx.AsyncClient(timeout=10) as http:
            yield SlackHarness(fake=fake, bot_url=bot_url, http=http, settings=settings)


# ---- the scenario world: the bot, the fake Slack and the ServiceTitan simulator ----------------------------

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # Tue Nov 24, 9:00 AM in America/Chicago
DANA, MORGAN, MIKE = "U0DANA", "U0MORGAN", "U0MIKE"
DANA_DM = "D0DANA"


async def no_wait(_seconds: float) -> None:
    await asyncio.sleep(0)


@dataclass
class World:
    bot: SlackHarness
    fake: FakeSlack
    sim: Simulator
    store: Store
    dialog: DialogService

    def appointment(self, appointment_id: int) -> dict[str, Any]:
        return self.sim.state.appointments[appointment_id]

    def card(self, ts: str) -> dict[str, Any]:
        return self.fake.messages[ts]

    def check_everything_shown(self) -> None:
        for message in self.fake.posted():
            assert message.get("text"), "every message has a plain-text fallback"
            assert_valid_blocks(message["blocks"])
        for call in self.fake.of("views.publish"):
            assert_valid_blocks(call.params["view"]["blocks"], limit=100)


@asynccontextmanager
async def world(
    store: Store | None = None,
    *,
    http_simulator: bool = False,
    dialog_kwargs: dict[str, Any] | None = None,
    working_after: float | None = None,
    who_deadline: float = 10.0,
    **client_kwargs: Any,
) -> AsyncIterator[World]:
    """The bot, the fake Slack and the simulator. `http_simulator` serves the simulator on a local port
    (so the client's time-outs apply, which an in-process transport ignores); `client_kwargs` go to the
    ServiceTitan client, `dialog_kwargs` to the DialogService."""
    client, sim = embedded_client(now=NOW, client_kwargs={"sleep": no_wait, **client_kwargs})
    async with contextlib.AsyncExitStack() as stack:
        if http_simulator:
            await client.aclose()
            url = await stack.enter_async_context(serve(sim.app))
            client = simulator_client(url, sleep=no_wait, **client_kwargs)
        store = store or MemoryStore()
        fake = FakeSlack()
        fake.add_user(DANA, name="Dana Reyes", email="dana@example.com", tz="America/Chicago")
        fake.add_user(MORGAN, name="Morgan Blake", email="morgan@example.com", tz="America/Chicago")
        fake.add_user(MIKE, name="Mike Carter", email="mike.carter@example.com", tz="America/Chicago")
        async with client:
            options: dict[str, Any] = {"clock": lambda: NOW, **(dialog_kwargs or {})}
            dialog = DialogService(client=client, store=store, tz="America/Chicago", **options)
            async with running_bot(
                dialog=dialog,
                store=store,
                servicetitan=client,
                fake=fake,
                working_after=working_after,
                who_deadline=who_deadline,
            ) as bot:
                w = World(bot=bot, fake=fake, sim=sim, store=store, dialog=dialog)
                yield w
                w.check_everything_shown()  # every payload of every scenario


async def posted_card(w: World, count: int, *, method: str = "chat.postMessage") -> dict[str, Any]:
    """The `count`-th message posted (1-based), as it is now in the fake (after any updates)."""
    call = (await w.fake.wait_calls(method, count))[count - 1]
    return w.card(call.answer["ts"])


Script = Callable[[ConversationKey, Asker, Event], list[Reply]]


class FakeDialog:
    """Records every turn and answers from a script (by default a one-line echo)."""

    def __init__(self, script: Script | None = None) -> None:
        self.turns: list[tuple[ConversationKey, Asker, Event]] = []
        self.script = script or (lambda key, asker, event: [Reply(text=f"heard {event.kind}")])
        self.gate: asyncio.Event | None = None  # when set, turns wait for it (a slow ServiceTitan)

    async def handle(self, key: ConversationKey, asker: Asker, event: Event) -> list[Reply]:
        self.turns.append((key, asker, event))
        if self.gate is not None:
            await self.gate.wait()
        return self.script(key, asker, event)

    async def home(self, asker: Asker) -> Reply:
        return Reply(text=f"You are a {asker.role}.", title="ServiceTitan bot", lines=["09:00 Job #1001"])
