"""The Web API client the app builds: Slack's base URL from settings, and retries on dropped connections,
never posting a message twice (bot/slack/retries.py)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
import pytest

from bot.slack.app import make_web_client, share_session
from bot.slack.retries import post_message
from tests.slack.harness import make_settings


@asynccontextmanager
async def dropping(drops: int, seen: list[bytes]) -> AsyncIterator[str]:
    """A Web API on a port that reads each request and drops the first `drops` connections without an
    answer (Slack may or may not have done the work); conversations.history shows no message."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            (
                int(line.split(b":")[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length")
            ),
            0,
        )
        await reader.readexactly(length)
        line = head.split(b"\r\n")[0]
        verb, path, _ = line.split(b" ")
        seen.append(verb + b" " + path.split(b"?")[0])
        if b"conversations.history" in line:
            body = json.dumps({"ok": True, "messages": [], "has_more": False}).encode()
        elif len(seen) > drops:
            body = json.dumps({"ok": True, "channel": "C1", "ts": "1.0"}).encode()
        else:
            writer.close()
            return
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n"
                     b"connection: close\r\n\r\n%s" % (len(body), body))  # fmt: skip
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield f"http://127.0.0.1:{port}/api"  # no trailing slash given


async def test_a_dropped_connection_is_retried() -> None:
    seen: list[bytes] = []
    async with dropping(2, seen) as url:
        client = make_web_client(make_settings(url))
        response = await client.chat_update(channel="C1", ts="1.0", text="hello")
    assert response["ok"] is True
    assert seen == [b"POST /api/chat.update"] * 3  # slack_sdk's default retries once


async def test_a_post_whose_connection_dropped_is_not_sent_blindly_again() -> None:
    seen: list[bytes] = []
    async with dropping(1, seen) as url:
        client = make_web_client(make_settings(url))
        with pytest.raises(aiohttp.ServerDisconnectedError):
            await client.chat_postMessage(channel="C1", text="hello")  # Slack may have posted it
        assert seen == [b"POST /api/chat.postMessage"]

        seen.clear()
        answer = await post_message(client, channel="C1", text="hello")  # looks first, then posts again
    assert answer["ok"] is True and answer["ts"] == "1.0"
    assert seen == [
        b"POST /api/chat.postMessage",
        b"GET /api/conversations.history",
        b"POST /api/chat.postMessage",
    ]


async def test_a_shared_session_keeps_one_connection_for_many_calls() -> None:
    """share_session: the client's calls reuse one kept-alive connection instead of a session each."""
    connections = 0
    requests: list[bytes] = []

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError:
                break
            length = next(
                (
                    int(x.split(b":")[1])
                    for x in head.split(b"\r\n")
                    if x.lower().startswith(b"content-length")
                ),
                0,
            )
            await reader.readexactly(length)
            requests.append(head.split(b"\r\n")[0])
            body = json.dumps({"ok": True, "channel": "C1", "ts": "1.0"}).encode()
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n"
                         b"\r\n%s" % (len(body), body))  # fmt: skip
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        client = make_web_client(make_settings(f"http://127.0.0.1:{port}/api"))
        session = share_session(client)
        try:
            for text in ("one", "two", "three"):
                assert (await client.chat_postMessage(channel="C1", text=text))["ok"] is True
            assert not session.closed  # slack_sdk closes only the sessions it made itself
        finally:
            await session.close()
    assert requests == [b"POST /api/chat.postMessage HTTP/1.1"] * 3
    assert connections == 1
