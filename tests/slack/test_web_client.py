"""The Web API client the app builds: Slack's base URL from settings, and retries on dropped connections."""

from __future__ import annotations

import asyncio
import json

from bot.slack.app import make_web_client, share_session
from tests.slack.harness import make_settings


async def test_a_dropped_connection_is_retried() -> None:
    connections: list[bytes] = []

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
        connections.append(head.split(b"\r\n")[0])
        if len(connections) > 2:  # the first two connections are dropped without an answer
            body = json.dumps({"ok": True, "channel": "C1", "ts": "1.0"}).encode()
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n"
                         b"connection: close\r\n\r\n%s" % (len(body), body))  # fmt: skip
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        client = make_web_client(make_settings(f"http://127.0.0.1:{port}/api"))  # no trailing slash given
        response = await client.chat_postMessage(channel="C1", text="hello")
    assert response["ok"] is True
    assert connections == [b"POST /api/chat.postMessage HTTP/1.1"] * 3  # slack_sdk's default retries once


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
