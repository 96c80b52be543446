"""The processes of the load benchmark (benchmarks/load.py starts them; not meant to be run by hand).

``python -m benchmarks.loadproc ROLE``, configured by the environment, listens on a free 127.0.0.1 port and
prints one JSON line on stdout once it serves (``{"url": ...}`` plus what the driver needs), then logs to
stderr only. Roles:

- ``sim``: the ServiceTitan simulator over HTTP (as ``python -m bot simulator``), with ServiceTitan's
  60 requests/s limit off unless ``BENCH_ST_RATE_LIMIT`` is set and ``BENCH_ST_LATENCY_MS`` added to each
  request. Its line lists the jobs to show and reschedule and a dispatcher's e-mail.
  ``GET /_bench/stats`` answers how many requests it served.
- ``bot``: the bot as ``python -m bot serve`` builds and serves it (``build_bot`` + ``build_http_app`` under
  uvicorn with the access log, logging at INFO), with settings from the environment. Its Redis keys get the
  prefix ``BENCH_REDIS_PREFIX`` (the production prefix is never touched). ``GET /_bench/stats`` answers
  its Redis round trips (every command or pipeline sent counts once).
- ``bare``: the floor: a bare Bolt ``AsyncApp`` served the same way, answering each DM with one
  ``chat.postMessage`` (a card with a button) and each button click with one ``chat.update``.
"""

from __future__ import annotations

import asyncio
import collections
import json
import logging
import os
import re
import signal
import socket
import sys
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import uvicorn
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

STATS_PATH = "/_bench/stats"
CONFIRM_ACTION = "st_confirm"  # the bare app's button shares the bot's confirm action id


def listen_socket() -> socket.socket:
    """A listening socket on a free 127.0.0.1 port. Made with IPPROTO_TCP: asyncio sets TCP_NODELAY only on
    sockets whose proto says TCP, and without it an answer written in two parts waits ~40 ms for the
    client's delayed ACK (what `uvicorn --port` does by itself)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(2048)  # before the announcement: early requests wait in the backlog until uvicorn accepts
    return sock


def _announce(sock: socket.socket, **extra: Any) -> None:
    """The one line on stdout the driver waits for; afterwards stdout goes to stderr (no pipe to fill)."""
    line = json.dumps({"url": f"http://127.0.0.1:{sock.getsockname()[1]}", "pid": os.getpid(), **extra})
    sys.stdout.write(line + "\n")
    sys.stdout.flush()
    os.dup2(2, 1)


async def _serve(app: Any, sock: socket.socket, *, log_level: str) -> None:
    # no access log, as `python -m bot serve` serves the bot (the bare floor the same way)
    config = uvicorn.Config(app, log_level=log_level, lifespan="off", access_log=False)
    await uvicorn.Server(config).serve(sockets=[sock])


# ---- sim ---------------------------------------------------------------------------------------------


def _with_copies(seed: dict[str, Any], copies: int) -> dict[str, Any]:
    """The demo data with each scheduled single-appointment job copied `copies - 1` more times (new ids,
    its appointment a week later per copy), so that concurrent conversations need not share a job."""
    appointments_of: dict[int, list[dict[str, Any]]] = {}
    for appointment in seed["appointments"]:
        appointments_of.setdefault(int(appointment["jobId"]), []).append(appointment)
    originals = [
        job
        for job in seed["jobs"]
        if job["jobStatus"] == "Scheduled" and len(appointments_of[job["id"]]) == 1
    ]
    for k in range(1, copies):
        offset, shift = k * 100_000, timedelta(days=7 * k)
        for job in originals:
            appointment = appointments_of[job["id"]][0]
            seed["jobs"].append({**job, "id": job["id"] + offset, "jobNumber": str(job["id"] + offset)})
            moved = {
                name: _iso(datetime.fromisoformat(appointment[name]) + shift)
                for name in ("start", "end", "arrivalWindowStart", "arrivalWindowEnd")
            }
            seed["appointments"].append(
                {**appointment, **moved, "id": appointment["id"] + offset, "jobId": job["id"] + offset,
                 "appointmentNumber": f"{job['id'] + offset}-1"}
            )  # fmt: skip
            for assignment in seed["appointmentAssignments"]:
                if assignment["appointmentId"] == appointment["id"]:
                    seed["appointmentAssignments"].append(
                        {**assignment, "id": assignment["id"] + offset, "jobId": job["id"] + offset,
                         "appointmentId": appointment["id"] + offset}
                    )  # fmt: skip
    return seed


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def run_sim() -> None:
    from starlette.applications import Starlette
    from starlette.routing import Mount, Route

    from bot.simulator import FaultConfig, Simulator
    from bot.simulator.demo_data import DEMO_TIMEZONE, build_demo_seed

    rate = os.environ.get("BENCH_ST_RATE_LIMIT", "").strip()
    latency = int(os.environ.get("BENCH_ST_LATENCY_MS", "0") or 0)
    copies = max(1, int(os.environ.get("BENCH_JOB_COPIES", "1") or 1))
    now = datetime.now(UTC)
    sim = Simulator(
        _with_copies(build_demo_seed(now, DEMO_TIMEZONE), copies),
        rate_limit_per_second=int(rate) if rate else 10**9,
        faults=FaultConfig(latency_ms=latency) if latency else None,
    )
    state = sim.state
    zone = ZoneInfo(DEMO_TIMEZONE)
    appointments_of: dict[int, list[dict[str, Any]]] = {}
    for appointment in state.appointments.values():
        appointments_of.setdefault(int(appointment["jobId"]), []).append(appointment)
    # Reschedulable: scheduled, one appointment, in the future; with the local date and hour of that appointment
    # (the driver moves it within its own day, so that the runs do not pile every job onto one day).
    movable = [
        [
            job_id,
            *appointments_of[job_id][0]["start"].astimezone(zone).strftime("%B %-d|%-I%p").lower().split("|"),
        ]
        for job_id, job in sorted(state.jobs.items())
        if job["jobStatus"] == "Scheduled"
        and len(appointments_of.get(job_id, [])) == 1
        and appointments_of[job_id][0]["start"] > now
    ]
    dispatcher = next(
        str(e["email"])
        for e in state.employees.values()
        if e.get("email") and str(e.get("role", "")).startswith("Dispatch")
    )

    async def stats(request: Request) -> Response:
        served = sim.request_log
        calls = collections.Counter(f"{verb} {re.sub(r'/[0-9]+', '/N', path)}" for verb, path, _ in served)
        return JSONResponse({"requests": len(served), "calls": dict(calls)})

    app = Starlette(routes=[Route(STATS_PATH, stats), Mount("/", app=sim.app)])
    sock = listen_socket()
    _announce(sock, jobs=sorted(state.jobs), movable=movable, dispatcher=dispatcher)
    asyncio.run(_serve(app, sock, log_level="warning"))


# ---- bot ---------------------------------------------------------------------------------------------

_redis_round_trips = 0
_redis_kinds: collections.Counter[str] = collections.Counter()


def _redis_kind(command: Any) -> str:
    """What a round trip was, for --breakdown: its first command and the namespace of its first key
    (`EVALSHA dialog`, `GET jobreads`, `EVALSHA st-rate`), `pipeline NAME` when it sent several commands."""
    chunks = [command] if isinstance(command, bytes | bytearray | memoryview) else list(command)
    head = bytes(chunks[0])[:400].split(b"\r\n")
    commands = sum(len(re.findall(rb"\r\n\*[0-9]", bytes(c))) for c in chunks) + 1
    name = head[2].decode(errors="replace").upper() if len(head) > 2 else "?"
    if commands > 1:
        return f"pipeline {name}"
    key_at = {"EVALSHA": 8, "EVAL": 8}.get(name, 4)  # EVALSHA sha numkeys key...
    key = head[key_at].decode(errors="replace") if len(head) > key_at else ""
    parts = key.split(":")
    if parts[-1] == "_revs":  # the store's write_many: the revision counter comes first, then the records
        return f"{name} write_many"
    return f"{name} {parts[1] if len(parts) > 1 else ''}".strip()


def _count_redis_round_trips() -> None:
    """Count every write of a command or pipeline to Redis (one round trip each) in this process."""
    from redis.asyncio.connection import AbstractConnection

    send = AbstractConnection.send_packed_command

    async def counted(self: Any, command: Any, check_health: bool = True) -> None:
        global _redis_round_trips
        _redis_round_trips += 1
        _redis_kinds[_redis_kind(command)] += 1
        await send(self, command, check_health)

    AbstractConnection.send_packed_command = counted  # type: ignore[method-assign]


_store_calls: collections.Counter[str] = collections.Counter()


def _count_store_calls() -> None:
    """Count the store's calls by method and namespace (`load slack-user`), for --breakdown."""
    from bot.store import RedisStore

    for name in ("load", "save", "delete", "compare_and_set", "add_once"):
        method = getattr(RedisStore, name)

        async def counted(
            self: Any, *args: Any, _name: str = name, _method: Any = method, **kwargs: Any
        ) -> Any:
            _store_calls[f"{_name} {kwargs.get('namespace')}"] += 1
            return await _method(self, *args, **kwargs)

        setattr(RedisStore, name, counted)


def _store_under_prefix(prefix: str) -> None:
    """`build_bot` opens the store with the production prefix; the benchmark's keys get their own."""
    import bot.store
    from bot.store import Store

    production = bot.store.open_store

    def open_store(redis_url: str | None, **_: Any) -> Store:
        if not redis_url:
            raise RuntimeError("the load benchmark needs REDIS_URL")
        return production(redis_url, prefix=prefix)  # as production opens it (local cache included)

    bot.store.open_store = open_store  # type: ignore[assignment]


def run_bot() -> None:
    from bot.config import load_settings
    from bot.slack.server import build_bot, build_http_app, configure_logging, run_loop

    _count_redis_round_trips()
    _count_store_calls()
    _store_under_prefix(os.environ["BENCH_REDIS_PREFIX"])
    configure_logging()  # as bot.slack.server.run_bot sets it up
    settings = load_settings()

    async def stats(request: Request) -> Response:
        calls = {**dict(_store_calls), **{f"redis {k}": n for k, n in _redis_kinds.items()}}
        return JSONResponse({"redis": _redis_round_trips, "calls": calls})

    async def serve() -> None:
        async with AsyncExitStack() as stack:
            app = await build_bot(settings, stack, socket_mode=False)
            http_app = build_http_app(app)
            http_app.add_route(STATS_PATH, stats, methods=["GET"])
            sock = listen_socket()
            _announce(sock)
            await _serve(http_app, sock, log_level="info")

    run_loop(serve())


# ---- bare --------------------------------------------------------------------------------------------


def run_bare() -> None:
    from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
    from slack_bolt.async_app import AsyncApp
    from starlette.applications import Starlette
    from starlette.routing import Route

    from bot.slack.server import EVENTS_PATH, run_loop

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = AsyncApp(token=os.environ["SLACK_BOT_TOKEN"], signing_secret=os.environ["SLACK_SIGNING_SECRET"])
    app.client.base_url = os.environ["SLACK_API_URL"]
    card = [
        {"type": "section", "text": {"type": "mrkdwn", "text": "Reschedule?"}},
        {"type": "actions", "block_id": "st_buttons", "elements": [
            {"type": "button", "action_id": CONFIRM_ACTION, "text": {"type": "plain_text", "text": "Go"}}]},
    ]  # fmt: skip

    @app.event("message")
    async def on_message(event: dict[str, Any], client: Any) -> None:
        await client.chat_postMessage(channel=event["channel"], text=f"echo {event.get('text')}", blocks=card)

    @app.action(CONFIRM_ACTION)
    async def on_click(ack: Any, body: dict[str, Any], client: Any) -> None:
        await ack()
        container = body["container"]
        await client.chat_update(channel=container["channel_id"], ts=container["message_ts"], text="Done.")

    handler = AsyncSlackRequestHandler(app)

    async def events(request: Request) -> Response:
        return await handler.handle(request)

    async def stats(request: Request) -> Response:
        return JSONResponse({"redis": 0})

    http_app = Starlette(routes=[Route(EVENTS_PATH, events, methods=["POST"]), Route(STATS_PATH, stats)])
    sock = listen_socket()
    _announce(sock)
    run_loop(_serve(http_app, sock, log_level="info"))


def _die_with_parent() -> None:
    """Linux: SIGTERM this process when the driver dies (even by SIGKILL), so no server is left behind."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() == 1:
        sys.exit(1)


ROLES = {"sim": run_sim, "bot": run_bot, "bare": run_bare}

if __name__ == "__main__":
    _die_with_parent()
    ROLES[sys.argv[1]]()
