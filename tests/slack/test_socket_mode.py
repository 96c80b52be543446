"""Socket Mode (the manifest's default): the app behind Bolt's Socket Mode handler, against a local fake.

A fake Socket Mode endpoint (aiohttp websockets on 127.0.0.1) hands the client envelopes the way Slack does
and records the client's acknowledgements; the Web API is the usual fake (apps.connections.open answers
with the fake endpoint's URL).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import WSMsgType, web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot.dialog.messages import Button, Pressed, Reply, Said
from bot.slack.app import build_app
from bot.slack.blocks import ACTION_CONFIRM
from bot.slack.server import checked_socket_mode_handler
from bot.store import MemoryStore
from tests.slack.fake_slack import APP_TOKEN, BOT_TOKEN, FakeSlack, serve
from tests.slack.harness import DANA, FakeDialog, make_settings


class FakeSocketMode:
    """One websocket connection at a time; `send` pushes an envelope, `acks` collects the answers."""

    def __init__(self) -> None:
        self.acks: list[dict[str, Any]] = []
        self.socket: web.WebSocketResponse | None = None

    async def link(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        await socket.send_json(
            {"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A0TEST"}}
        )
        self.socket = socket
        async for message in socket:
            if message.type == WSMsgType.TEXT:
                self.acks.append(json.loads(message.data))
        return socket

    async def send(self, envelope: dict[str, Any]) -> None:
        assert self.socket is not None
        await self.socket.send_json(envelope)

    def acked(self, envelope_id: str) -> list[dict[str, Any]]:
        return [ack for ack in self.acks if ack.get("envelope_id") == envelope_id]


@asynccontextmanager
async def socket_endpoint(fake_socket: FakeSocketMode) -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_get("/link", fake_socket.link)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"ws://127.0.0.1:{port}/link"
    finally:
        await runner.cleanup()


def event_envelope(
    envelope_id: str, event_id: str, event: dict[str, Any], *, retry: int = 0
) -> dict[str, Any]:
    body = {"type": "event_callback", "team_id": "T0TEST", "api_app_id": "A0TEST", "event_id": event_id,
            "event_time": 1, "event": event}  # fmt: skip
    return {"envelope_id": envelope_id, "type": "events_api", "accepts_response_payload": False,
            "retry_attempt": retry, "retry_reason": "timeout" if retry else "", "payload": body}  # fmt: skip


async def test_socket_mode_events_and_clicks_with_retried_envelopes_deduplicated() -> None:
    fake = FakeSlack()
    fake.add_user(DANA, name="Dana Reyes", email=None)
    fake_socket = FakeSocketMode()

    def script(key: Any, asker: Any, event: Any) -> list[Reply]:
        if isinstance(event, Pressed):
            return [Reply(text="Done.", replaces_card=True)]
        return [
            Reply(
                kind="confirm", text="Apply?", buttons=[Button(action="confirm", label="Apply")], token="tS"
            )
        ]

    dialog = FakeDialog(script)
    async with serve(fake.app()) as slack_url, socket_endpoint(fake_socket) as socket_url:
        fake.base_url, fake.socket_url = slack_url, socket_url
        settings = make_settings(slack_url + "/api/", slack_signing_secret=None, slack_app_token=APP_TOKEN)
        client = AsyncWebClient(token=BOT_TOKEN, base_url=slack_url + "/api/")
        app = build_app(settings, dialog=dialog, store=MemoryStore(), web_client=client, socket_mode=True)
        handler = AsyncSocketModeHandler(app, APP_TOKEN)
        await handler.connect_async()
        try:
            await fake.wait_for(lambda: fake_socket.socket is not None, what="the socket connection")
            dm = {"type": "message", "channel": "D0DANA", "channel_type": "im", "user": DANA, "text": "apply it",
                  "ts": "1.000001"}  # fmt: skip
            await fake_socket.send(event_envelope("env-1", "Ev0SOCK", dm))
            await fake.wait_for(lambda: fake_socket.acked("env-1"), what="the ack of env-1")
            (post,) = await fake.wait_calls("chat.postMessage", 1)

            # Slack re-sends the envelope (retry_attempt 1): acknowledged, but no second turn
            await fake_socket.send(event_envelope("env-2", "Ev0SOCK", dm, retry=1))
            await fake.wait_for(lambda: fake_socket.acked("env-2"), what="the ack of env-2")

            card = fake.messages[post.answer["ts"]]
            button = card["blocks"][-1]["elements"][0]
            click = {"type": "block_actions", "team": {"id": "T0TEST"}, "user": {"id": DANA},
                     "container": {"type": "message", "message_ts": card["ts"], "channel_id": "D0DANA"},
                     "channel": {"id": "D0DANA"}, "message": {"ts": card["ts"], "blocks": card["blocks"]},
                     "actions": [{**button, "block_id": card["blocks"][-1]["block_id"], "action_ts": "2"}],
                     "state": {"values": {}}}  # fmt: skip
            assert button["action_id"] == ACTION_CONFIRM
            await fake_socket.send({"envelope_id": "env-3", "type": "interactive", "accepts_response_payload": False,
                                    "payload": click})  # fmt: skip
            await fake.wait_for(lambda: fake_socket.acked("env-3"), what="the ack of the click")
            (update,) = await fake.wait_calls("chat.update", 1)
            assert update.params["ts"] == card["ts"] and update.params["text"] == "Done."
            assert [turn[2] for turn in dialog.turns] == [
                Said(text="apply it"),
                Pressed(action="confirm", value="", token="tS"),
            ]
            assert len(fake.of("chat.postMessage")) == 1
        finally:
            await handler.close_async()


async def test_a_malformed_envelope_is_acknowledged_logged_and_dropped(caplog: Any) -> None:
    fake = FakeSlack()
    fake.add_user(DANA, name="Dana Reyes", email=None)
    fake_socket = FakeSocketMode()
    dialog = FakeDialog()
    async with serve(fake.app()) as slack_url, socket_endpoint(fake_socket) as socket_url:
        fake.base_url, fake.socket_url = slack_url, socket_url
        settings = make_settings(slack_url + "/api/", slack_signing_secret=None, slack_app_token=APP_TOKEN)
        client = AsyncWebClient(token=BOT_TOKEN, base_url=slack_url + "/api/")
        app = build_app(settings, dialog=dialog, store=MemoryStore(), web_client=client, socket_mode=True)
        handler = checked_socket_mode_handler(app, APP_TOKEN)
        await handler.connect_async()
        try:
            await fake.wait_for(lambda: fake_socket.socket is not None, what="the socket connection")
            bad = {
                "type": "message",
                "channel": "D0DANA",
                "channel_type": "im",
                "user": 0,
                "text": "hi",
                "ts": "1.1",
            }
            await fake_socket.send(event_envelope("env-bad", "Ev0BAD", bad))
            await fake_socket.send({"envelope_id": "env-bad2", "type": "interactive", "accepts_response_payload": False,
                                    "payload": {"type": "block_actions", "user": {"id": DANA}, "actions": [],
                                                "channel": "x"}})  # fmt: skip
            await fake.wait_for(
                lambda: fake_socket.acked("env-bad") and fake_socket.acked("env-bad2"), what="acks"
            )
            good = {"type": "message", "channel": "D0DANA", "channel_type": "im", "user": DANA, "text": "hi",
                    "ts": "1.2"}  # fmt: skip
            await fake_socket.send(event_envelope("env-good", "Ev0GOOD", good))
            await fake.wait_calls("chat.postMessage", 1)
            assert [turn[2] for turn in dialog.turns] == [Said(text="hi")]
            refused = [
                r.getMessage() for r in caplog.records if "malformed Socket Mode envelope" in r.getMessage()
            ]
            assert len(refused) == 2
            assert not [r for r in caplog.records if "Task exception was never retrieved" in r.getMessage()]
        finally:
            await handler.close_async()
