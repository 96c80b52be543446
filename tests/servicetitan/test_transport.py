"""The bot's HTTP transport to ServiceTitan (httpx over aiohttp's pool): what each failure means to the
client. Only a request that surely did not go out is a connect error (safe to send again)."""

from __future__ import annotations

import asyncio
import gzip
import socket
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest

from bot.servicetitan.client import HTTP_LIMITS
from bot.servicetitan.transport import AiohttpTransport

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def _read_request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(
        (int(x.split(b":")[1]) for x in head.split(b"\r\n") if x.lower().startswith(b"content-length")), 0
    )
    return head + await reader.readexactly(length)


async def _serve(handler: Handler) -> AsyncIterator[str]:
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield f"http://127.0.0.1:{port}"


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=AiohttpTransport(HTTP_LIMITS), timeout=1.0) as http:
        yield http


async def test_an_answer_comes_back_whole_and_decompressed(client: httpx.AsyncClient) -> None:
    seen: list[bytes] = []
    body = gzip.compress(b'{"ok": true}')

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append(await _read_request(reader))
        writer.write(b"HTTP/1.1 201 Created\r\ncontent-type: application/json\r\ncontent-encoding: gzip\r\n"
                     b"x-thing: 1\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body))  # fmt: skip
        await writer.drain()
        writer.close()

    async for url in _serve(answer):
        response = await client.post(
            url + "/x",
            params={"a": "1", "ids": "1,2", "modifiedOnOrAfter": "2026-12-05T09:00:00Z", "q": "a+b c"},
            json={"name": "Ann"},
            headers={"ST-App-Key": "k"},
        )
    assert response.status_code == 201
    assert response.json() == {"ok": True}
    assert response.headers["x-thing"] == "1"
    request = seen[0].decode()
    sent = httpx.Request("POST", "http://h/x", params=response.request.url.params).url.raw_path.decode()
    assert request.startswith(f"POST {sent} HTTP/1.1"), (request, sent)  # the query exactly as httpx wrote it
    assert "%2B" in sent
    assert "st-app-key: k" in request.lower() and request.endswith('{"name":"Ann"}')


async def test_no_server_is_a_connect_error(client: httpx.AsyncClient) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(httpx.ConnectError):
        await client.get(f"http://127.0.0.1:{port}/x")


async def test_a_connection_closed_after_the_request_is_an_unknown_outcome(client: httpx.AsyncClient) -> None:
    async def close(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        writer.close()

    async for url in _serve(close):
        with pytest.raises(httpx.ReadError):
            await client.patch(url + "/jobs/1", json={"priority": "Urgent"})


async def test_no_answer_in_time_is_a_read_timeout(client: httpx.AsyncClient) -> None:
    done = asyncio.Event()

    async def never(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        await done.wait()
        writer.close()

    async for url in _serve(never):
        with pytest.raises(httpx.ReadTimeout):
            await client.get(url + "/x", timeout=httpx.Timeout(0.3))
        done.set()
