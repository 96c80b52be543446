"""Benchmark: the bot under load, through its HTTP endpoint, against a bare Bolt app as the floor.

Simulated users send signed Slack requests to ``POST /slack/events`` of one or more bot processes (each
started as ``python -m bot serve`` builds the bot: benchmarks/loadproc.py), round robin as a load balancer
would. Everything runs on 127.0.0.1: the ServiceTitan simulator over HTTP in its own process, a fake Slack
Web API (tests/slack/fake_slack.py) in this process, and the real Redis (``REDIS_URL``, default
127.0.0.1:6379) under a unique key prefix per row, deleted afterwards.

Scenarios (each user has at most one conversation at a time; conversations start at a fixed rate, open
loop, whatever the answers take):
- ``show``: a DM "show job N"; done when the job's card is posted (1 event).
- ``reschedule``: a DM "reschedule job N to <its own day> 10am/2pm" -> the confirmation card -> a click
  on its confirm button -> the card updated to "Done" (2 events).

Each row runs a short warm-up (every user once), then ``--duration`` seconds of load and at most
``--drain`` seconds for the last answers, then stops its processes. Columns: events offered and answered
per second; conversations completed of those started ("busy": arrivals that found every user still
waiting for an answer); ack latency (request -> HTTP answer) and reply latency (request -> the post at
Slack) p50/p99/max; ServiceTitan requests and Redis round trips per conversation; CPU of the bot
processes per event; peak RSS of the largest process; CPU use of the bot, the simulator and this driver
(100% = one core); ERROR lines in the bot's log. The ``bare`` rows are a Bolt app doing nothing but the
ack and one post (or one update) per event, served the same way.

``--show-jobs N`` makes ``show`` cycle over N jobs (a tenant's working set, warm after the warm-up) instead
of every job; ``--cpu-per-process C`` caps each app process at C cores (benchmarks/cpucap.py), so that
two processes fit beside the driver and the simulator on a small machine and the row shows how they scale.

Usage: ``python -m benchmarks load [--scenario show,reschedule] [--rate 50] [--duration 10]
[--processes 1,2] [--no-floor] [--show-jobs N] [--cpu-per-process C]``; ``--help`` lists the rest.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import itertools
import json
import os
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import uvicorn

from benchmarks.cpucap import CpuCap
from benchmarks.loadproc import listen_socket
from bot.slack.conversation import BUSY_TEXT
from tests.slack.fake_slack import BOT_TOKEN, FakeSlack
from tests.slack.harness import SIGNING_SECRET, SlackHarness, make_settings

REPO = Path(__file__).resolve().parent.parent
CONFIRM_ACTION = "st_confirm"
MOVE_HOURS = ("10am", "2pm", "4pm")
EVENTS_PER_CONVERSATION = {"show": 1, "reschedule": 2}
SCENARIOS = tuple(EVENTS_PER_CONVERSATION)
APPS = ("bot", "bare")
# Notes while the answer is on its way, not the answer: "Working on it…", and "Busy…, one moment" when the
# process already works on as many turns as it takes (the answer follows: nothing is lost).
PROGRESS_PREFIXES = ("working on it", BUSY_TEXT.lower()[:20])


@dataclass(frozen=True)
class Options:
    scenarios: Sequence[str] = SCENARIOS
    rates: Sequence[float] = (50.0,)
    duration: float = 10.0
    processes: Sequence[int] = (1, 2)
    floor: bool = True
    users: int = 200
    drain: float = 10.0
    redis_url: str = "redis://127.0.0.1:6379/0"
    st_latency_ms: int = 0
    st_rate_limit: int | None = None
    # ServiceTitan requests/s the bot allows itself (ST_RATE_LIMIT), a row each; None: off (capacity) when
    # the simulator's limit is off, else the bot's default (the tenant's budget)
    bot_rate_limits: Sequence[int | None] = (None,)
    job_copies: int = 20
    show_jobs: int | None = None  # the jobs `show` cycles over (the first N; None: every job)
    cpu_per_process: float | None = None  # each app process capped at this many cores (None: no cap)
    logs: str | None = None  # a directory that keeps each process's log
    breakdown: bool = False  # print the calls per conversation by kind under the table


@dataclass
class Row:
    scenario: str
    app: str
    processes: int
    offered: float  # events/s
    bot_rate_limit: int | None = None  # the bot's ST_RATE_LIMIT (None: the bot's default; bare: none)
    answered: float = 0.0  # events/s
    conversations: int = 0
    completed: int = 0
    busy: int = 0
    acks: list[float] = field(default_factory=list)  # ms
    replies: list[float] = field(default_factory=list)  # ms
    http_errors: int = 0
    st_per_conversation: float = 0.0
    redis_per_conversation: float = 0.0
    cpu_ms_per_event: float = 0.0
    rss_mb: float = 0.0
    app_cpu: float = 0.0  # percent of one core, all processes of the app together
    app_waited: float = 0.0  # percent of the time its processes were ready to run but had no core
    sim_cpu: float = 0.0
    driver_cpu: float = 0.0
    log_errors: int = 0
    top_error: str = ""
    calls: dict[str, float] = field(
        default_factory=dict
    )  # per conversation: "ST GET /jpm/...", "store load x"
    prefix: str = ""  # of the row's Redis keys (deleted at the end of the row)
    failures: list[str] = field(default_factory=list)  # a few failed conversations: what was said, the answer


# ---- the processes ------------------------------------------------------------------------------------


class Child:
    """One process of benchmarks/loadproc.py; its stderr goes to a log file, stopped by `stop`."""

    def __init__(self, role: str, env: dict[str, str], workdir: Path) -> None:
        self.role = role
        self.env = env
        self.workdir = workdir
        self.log_path = workdir / f"{role}-{uuid.uuid4().hex[:6]}.log"
        self.proc: asyncio.subprocess.Process | None = None
        self.info: dict[str, Any] = {}

    async def start(self, within: float = 60.0) -> dict[str, Any]:
        log = os.open(self.log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "benchmarks.loadproc", self.role,
                cwd=self.workdir, env=self.env, stdout=asyncio.subprocess.PIPE, stderr=log,
            )  # fmt: skip
        finally:
            os.close(log)
        assert self.proc.stdout is not None
        try:
            line = await asyncio.wait_for(self.proc.stdout.readline(), within)
        except TimeoutError:
            line = b""
        if not line:
            await self.stop()
            tail = self.log_path.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"the {self.role} process did not start; its log ends:\n{tail}")
        self.info = json.loads(line)
        return self.info

    @property
    def url(self) -> str:
        return str(self.info["url"])

    def cpu_seconds(self) -> float:
        """CPU time of the process so far, in nanoseconds' precision (utime/stime count 10 ms ticks)."""
        assert self.proc is not None
        return int(Path(f"/proc/{self.proc.pid}/schedstat").read_text().split()[0]) / 1e9

    def runqueue_seconds(self) -> float:
        """Time this process was ready to run but waited for a core (the machine's other work)."""
        assert self.proc is not None
        return int(Path(f"/proc/{self.proc.pid}/schedstat").read_text().split()[1]) / 1e9

    def peak_rss_mb(self) -> float:
        assert self.proc is not None
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def log_errors(self) -> tuple[int, str]:
        """ERROR lines and tracebacks in the log, and the most common ERROR message."""
        lines = self.log_path.read_text(errors="replace").splitlines() if self.log_path.exists() else []
        errors = [line.split(" ERROR ", 1)[1] for line in lines if " ERROR " in line]
        top = collections.Counter(e[:120] for e in errors).most_common(1)
        return len(errors), (top[0][0] if top else "")

    async def stop(self) -> None:
        if self.proc is None or self.proc.returncode is not None:
            return
        self.proc.terminate()
        try:
            await asyncio.wait_for(self.proc.wait(), 15)
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()


def child_env(extra: dict[str, str]) -> dict[str, str]:
    """The environment of a child: ours without any bot setting, plus `extra` (no .env: cwd is a temp dir)."""
    prefixes = ("SLACK_", "ST_", "REDIS_", "ROLE_", "ALERT_", "DAY_PLAN", "DIALOG_", "BENCH_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p)
    env.update(extra)
    return env


@contextlib.asynccontextmanager
async def children(
    roles: list[tuple[str, dict[str, str]]], workdir: Path, cap: float | None = None
) -> AsyncIterator[list[Child]]:
    """The processes of `roles`, started together; each capped at `cap` cores when given (benchmarks/cpucap.py)."""
    started = [Child(role, child_env(env), workdir) for role, env in roles]
    caps = CpuCap(cap) if cap else None
    try:
        # they import the bot in parallel; every start is awaited before a failure stops them all
        for result in await asyncio.gather(*(child.start() for child in started), return_exceptions=True):
            if isinstance(result, BaseException):
                raise result
        if caps is not None:
            for child in started:
                assert child.proc is not None
                caps.put(child.proc.pid)
        yield started
    finally:
        await asyncio.gather(*(child.stop() for child in started))
        if caps is not None:
            caps.close()


async def get_json(http: aiohttp.ClientSession, url: str) -> dict[str, Any]:
    async with http.get(url) as response:
        response.raise_for_status()
        return dict(await response.json())


# ---- Slack ------------------------------------------------------------------------------------------


@dataclass
class LoadSlack(FakeSlack):
    """The fake Slack Web API, also handing each post or update to whoever waits on that channel."""

    inbox: dict[str, asyncio.Queue[tuple[float, str, dict[str, Any], dict[str, Any]]]] = field(
        default_factory=dict
    )

    def _answer(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        answer = super()._answer(method, params)
        queue = self.inbox.get(str(params.get("channel")))
        if queue is not None and method in ("chat.postMessage", "chat.update") and answer.get("ok"):
            queue.put_nowait((time.perf_counter(), method, params, answer))
        return answer


@contextlib.asynccontextmanager
async def serve_here(app: Any) -> AsyncIterator[str]:
    """Serve an ASGI app (the fake Slack) in this process on a free port with TCP_NODELAY; yields its URL."""
    sock = listen_socket()
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        give_up = time.monotonic() + 10
        while not server.started:
            if task.done():
                task.result()
            if time.monotonic() > give_up:
                raise RuntimeError("the fake Slack did not start")
            await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 10)
        sock.close()


class AiohttpPoster:
    """What SlackHarness needs of an HTTP client (`post` and a status code), on aiohttp: lighter than httpx,
    so the driver takes less of the machine's CPU from the processes it measures."""

    @dataclass
    class Answer:
        status_code: int

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self.session = session

    async def post(self, url: str, *, content: bytes, headers: dict[str, str]) -> AiohttpPoster.Answer:
        async with self.session.post(url, data=content, headers=headers) as response:
            await response.read()
            return AiohttpPoster.Answer(response.status)


# ---- one row ----------------------------------------------------------------------------------------


@dataclass
class MovableJob:
    id: int
    day: str  # "december 7"
    hour: str  # where its appointment starts now, as the driver knows it: "2pm"
    usable: bool = True


class JobBook:
    """The jobs the reschedule conversations move (one book for the whole run: rows share the simulator)."""

    def __init__(self, movable: list[list[Any]]) -> None:
        self.jobs = collections.deque(MovableJob(int(j), str(day), str(hour)) for j, day, hour in movable)

    def take(self) -> MovableJob:
        for _ in range(len(self.jobs)):
            job = self.jobs[0]
            self.jobs.rotate(-1)
            if job.usable:
                return job
        raise RuntimeError("no job left to reschedule")


@dataclass
class User:
    id: str
    channel: str
    queue: asyncio.Queue[tuple[float, str, dict[str, Any], dict[str, Any]]]


class Drive:
    """The simulated users of one row and what they measured."""

    def __init__(
        self,
        scenario: str,
        app: str,
        bots: list[SlackHarness],
        slack: LoadSlack,
        sim: dict[str, Any],
        book: JobBook,
        show_jobs: int | None = None,
    ) -> None:
        self.scenario = scenario
        self.app = app
        self.bots = bots
        self.slack = slack
        self.turn = itertools.count()
        self.jobs = collections.deque(sim["jobs"][:show_jobs] if show_jobs else sim["jobs"])
        self.book = book
        self.acks: list[float] = []
        self.replies: list[float] = []
        self.http_errors = 0
        self.completed = 0
        self.events = 0
        self.last_answer = 0.0
        self.failures: list[str] = []

    def bot(self) -> SlackHarness:
        return self.bots[next(self.turn) % len(self.bots)]

    async def send_and_wait(self, user: User, send: Any, deadline: float) -> dict[str, Any] | None:
        """Send one request, then wait for the bot's answer in the user's channel (after progress notes)."""
        started = time.perf_counter()
        self.events += 1
        try:
            response = await send()
        except (aiohttp.ClientError, TimeoutError):
            self.http_errors += 1
            return None
        self.acks.append((time.perf_counter() - started) * 1000)
        if response.status_code >= 300:
            self.http_errors += 1
            return None
        while True:
            left = deadline - time.perf_counter()
            if left <= 0:
                return None
            try:
                at, method, params, answer = await asyncio.wait_for(user.queue.get(), left)
            except TimeoutError:
                return None
            text = str(params.get("text") or "").strip().lower()
            if not text.startswith(PROGRESS_PREFIXES):
                self.replies.append((at - started) * 1000)
                self.last_answer = max(self.last_answer, at)
                return {**params, "ts": answer.get("ts") or params.get("ts"), "method": method}

    async def conversation(self, user: User, deadline: float) -> bool:
        while not user.queue.empty():  # anything left over from an earlier, failed conversation
            user.queue.get_nowait()
        bot = self.bot()
        if self.scenario == "show":
            job = self.jobs[0]
            self.jobs.rotate(-1)
            reply = await self.send_and_wait(user, lambda: bot.dm(user.id, f"show job {job}"), deadline)
            if reply is not None and (self.app == "bare" or f"job {job}" in _all_text(reply).lower()):
                return True
            self.note_failure(f"show job {job}", reply)
            return False
        movable = self.book.take()
        job, day = movable.id, movable.day
        hour = next(h for h in MOVE_HOURS if h != movable.hour)  # another hour of the same day
        card = await self.send_and_wait(
            user, lambda: bot.dm(user.id, f"reschedule job {job} to {day} {hour}"), deadline
        )
        if card is None or CONFIRM_ACTION not in json.dumps(card.get("blocks") or []):
            self.note_failure(f"reschedule job {job} to {day} {hour}", card)
            return False
        message = {"channel": card["channel"], "ts": card["ts"], "text": card.get("text"),
                   "blocks": card.get("blocks") or []}  # fmt: skip
        # Until "Done" arrives, where the job is now is not known (a click can be cut off by the deadline
        # after the write): later conversations leave it alone.
        # (The bare app moves nothing, so its rows leave the book as it is.)
        moves = self.app == "bot"
        movable.usable = not moves
        done = await self.send_and_wait(
            user, lambda: self.bot().click(user.id, message, CONFIRM_ACTION), deadline
        )
        if done is not None and done["method"] == "chat.update" and "done" in _all_text(done).lower():
            movable.usable = True
            if moves:
                movable.hour = hour
            return True
        self.note_failure(f"confirm job {job}", done)
        return False

    def note_failure(self, what: str, answer: dict[str, Any] | None) -> None:
        said = "no answer" if answer is None else repr(str(answer.get("text") or "")[:100])
        self.failures.append(f"{what}: {said}")

    async def run_user(self, user: User, deadline: float, idle: collections.deque[User]) -> None:
        try:
            if await self.conversation(user, deadline):
                self.completed += 1
        finally:
            idle.append(user)


def _all_text(message: dict[str, Any]) -> str:
    return str(message.get("text") or "") + json.dumps(message.get("blocks") or [])


def _p(samples: list[float], q: float) -> float:
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


async def run_row(
    options: Options,
    scenario: str,
    app: str,
    processes: int,
    rate: float,
    bot_rate_limit: int | None,
    sim: Child,
    book: JobBook,
    workdir: Path,
    http: aiohttp.ClientSession,
) -> Row:
    prefix = f"stbot-bench-{uuid.uuid4().hex[:10]}"
    row = Row(scenario, app, processes, offered=rate, bot_rate_limit=bot_rate_limit, prefix=prefix)
    per_conversation = EVENTS_PER_CONVERSATION[scenario]
    slack = LoadSlack()
    users = []
    for n in range(options.users):
        user_id = f"U0LOAD{n:04d}"
        slack.add_user(user_id, name=f"Load User {n}", email=sim.info["dispatcher"])
        user = User(id=user_id, channel=f"D{user_id[1:]}", queue=asyncio.Queue())
        slack.inbox[user.channel] = user.queue
        users.append(user)
    try:
        async with serve_here(slack.app()) as slack_url:
            slack.base_url = slack_url
            env = {
                "SLACK_BOT_TOKEN": BOT_TOKEN,
                "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                "SLACK_API_URL": slack_url + "/api/",
                "ST_API_URL": sim.url,
                "ST_AUTH_URL": sim.url,
                "ST_CLIENT_ID": "cid.simulator-client",
                "ST_CLIENT_SECRET": "cs1.simulator-secret",
                "ST_APP_KEY": "ak1.simulator-app-key",
                "ST_TENANT_ID": "1234567",
                "REDIS_URL": options.redis_url,
                "DAY_PLAN_AT": "off",
                "BENCH_REDIS_PREFIX": prefix,
            }
            if bot_rate_limit is not None:
                env["ST_RATE_LIMIT"] = str(bot_rate_limit)
            async with children([(app, env)] * processes, workdir, options.cpu_per_process) as apps:
                settings = make_settings(slack_url + "/api/")
                poster = AiohttpPoster(http)
                bots = [
                    SlackHarness(fake=slack, bot_url=child.url, http=poster, settings=settings)  # type: ignore[arg-type]
                    for child in apps
                ]
                for bot in bots[1:]:
                    bot._ids = bots[0]._ids  # one sequence of event ids and message ts across processes
                drive = Drive(scenario, app, bots, slack, sim.info, book, options.show_jobs)
                idle = collections.deque(users)

                # warm-up: every user once (Slack profiles, staff lists, tokens, connections), not measured
                warm = Drive("show", app, bots, slack, sim.info, book, options.show_jobs)
                deadline = time.perf_counter() + 30
                for start in range(0, len(users), 20):
                    await asyncio.gather(*(warm.conversation(u, deadline) for u in users[start : start + 20]))

                if app == "bot":
                    await _watcher_settled(apps, sim, http)
                before = await _sample(apps, sim, http)
                total = int(rate / per_conversation * options.duration)
                started = time.perf_counter()
                send_deadline = started + options.duration
                deadline = send_deadline + options.drain
                tasks = []
                for n in range(total):
                    wait = started + n * per_conversation / rate - time.perf_counter()
                    if wait > 0:
                        await asyncio.sleep(wait)
                    if not idle:
                        row.busy += 1
                        continue
                    user = idle.popleft()
                    tasks.append(asyncio.create_task(drive.run_user(user, deadline, idle)))
                if tasks:
                    await asyncio.wait(tasks, timeout=max(0.1, deadline - time.perf_counter()))
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                after = await _sample(apps, sim, http)
                row.conversations = total
                row.completed = drive.completed
                row.failures = drive.failures[:3]
                row.acks, row.replies, row.http_errors = drive.acks, drive.replies, drive.http_errors
                # answered events over the time from the first request to the last answer (at least the run)
                row.answered = len(drive.replies) / max(options.duration, drive.last_answer - started)
                started_conversations = max(1, total - row.busy)
                row.st_per_conversation = (after["st"] - before["st"]) / started_conversations
                row.redis_per_conversation = (after["redis"] - before["redis"]) / started_conversations
                row.calls = {
                    name: n / started_conversations
                    for name, n in sorted((after["calls"] - before["calls"]).items())
                }
                cpu = after["cpu"] - before["cpu"]
                row.cpu_ms_per_event = cpu * 1000 / max(1, drive.events)
                wall = after["at"] - before["at"]
                row.app_cpu = 100 * cpu / wall
                row.app_waited = 100 * (after["waited"] - before["waited"]) / wall
                row.sim_cpu = 100 * (after["sim_cpu"] - before["sim_cpu"]) / wall
                row.driver_cpu = 100 * (after["driver_cpu"] - before["driver_cpu"]) / wall
                row.rss_mb = max(child.peak_rss_mb() for child in apps)
                counted = [child.log_errors() for child in apps]
                if options.logs:
                    for n, child in enumerate(apps):
                        keep = Path(options.logs) / f"{scenario}-{app}-x{processes}-{int(rate)}-{n}.log"
                        keep.write_bytes(child.log_path.read_bytes())
                row.log_errors = sum(n for n, _ in counted)
                row.top_error = next((top for _, top in counted if top), "")
    finally:
        keys = await cleanup_redis(options.redis_url, prefix)
    if app == "bot" and keys == 0:
        raise RuntimeError(f"the bot wrote no Redis key under the benchmark's prefix {prefix}")
    return row


async def _sample(apps: list[Child], sim: Child, http: aiohttp.ClientSession) -> dict[str, Any]:
    redis = 0
    calls: collections.Counter[str] = collections.Counter()
    for child in apps:
        stats = await get_json(http, child.url + "/_bench/stats")
        redis += int(stats["redis"])
        calls.update(
            {
                name if name.startswith("redis ") else f"store {name}": n
                for name, n in stats.get("calls", {}).items()
            }
        )
    sim_stats = await get_json(http, sim.url + "/_bench/stats")
    calls.update({f"ST {name}": n for name, n in sim_stats["calls"].items()})
    return {
        "at": time.perf_counter(),
        "redis": redis,
        "st": int(sim_stats["requests"]),
        "calls": calls,
        "cpu": sum(child.cpu_seconds() for child in apps),
        "waited": sum(child.runqueue_seconds() for child in apps),
        "sim_cpu": sim.cpu_seconds(),
        "driver_cpu": time.process_time(),
    }


async def _watcher_settled(apps: list[Child], sim: Child, http: aiohttp.ClientSession) -> None:
    """Wait (at most 20 s) until the alert watcher's first cycle is over: started with the process, it
    reads every job's changes once, which is not the load being measured."""
    give_up = time.perf_counter() + 20
    last: dict[str, int] = {}
    while time.perf_counter() < give_up:
        calls = (await _sample(apps, sim, http))["calls"]
        now = {name: n for name, n in calls.items() if "alert-" in name or "/export/" in name}
        if now and now == last:
            return
        last = now
        await asyncio.sleep(0.5)


async def cleanup_redis(url: str, prefix: str) -> int:
    """Delete every key under `prefix`; returns how many there were."""
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(url)
    try:
        keys = [key async for key in client.scan_iter(match=f"{prefix}:*", count=1000)]
        for start in range(0, len(keys), 500):
            await client.delete(*keys[start : start + 500])
        return len(keys)
    finally:
        await client.aclose()


# ---- the whole run ----------------------------------------------------------------------------------


async def run(options: Options, *, progress: Any = None) -> list[Row]:
    rows: list[Row] = []
    if options.logs:
        os.makedirs(options.logs, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="stbot-load-") as tmp:
        workdir = Path(tmp)
        sim_env = {
            "BENCH_JOB_COPIES": str(options.job_copies),
            "BENCH_ST_LATENCY_MS": str(options.st_latency_ms),
        }
        if options.st_rate_limit:
            sim_env["BENCH_ST_RATE_LIMIT"] = str(options.st_rate_limit)
        connector = aiohttp.TCPConnector(limit=0, limit_per_host=0)
        timeout = aiohttp.ClientTimeout(total=options.duration + options.drain + 30)
        async with (
            children([("sim", sim_env)], workdir) as (sim,),
            aiohttp.ClientSession(connector=connector, timeout=timeout) as http,
        ):
            apps = APPS if options.floor else ("bot",)
            book = JobBook(sim.info["movable"])
            for scenario in options.scenarios:
                for rate in options.rates:
                    for processes in options.processes:
                        for app, limit in [(a, x) for a in apps for x in _limits(options, a)]:
                            row = await run_row(
                                options, scenario, app, processes, rate, limit, sim, book, workdir, http
                            )
                            rows.append(row)
                            if progress:
                                progress(row)
    return rows


def _limits(options: Options, app: str) -> list[int | None]:
    """The bot's ST_RATE_LIMIT per row: off (`OFF_LIMIT`) for capacity when the simulator's limit is off."""
    if app != "bot":
        return [None]
    off = None if options.st_rate_limit else OFF_LIMIT
    return list(dict.fromkeys(off if x is None else x for x in options.bot_rate_limits))


OFF_LIMIT = 100_000  # the bot's ServiceTitan limit when it is "off" (what one process manages is the cap)

COLUMNS = [
    ("scenario", 10), ("app", 4), ("procs", 5), ("ST lim", 6), ("offered/s", 9), ("answered/s", 10), ("conv ok", 11),
    ("busy", 5), ("ack p50", 7), ("p99", 6), ("max", 6), ("reply p50", 9), ("p99", 6), ("max", 6),
    ("ST/conv", 7), ("Redis/conv", 10), ("CPU ms/ev", 9), ("app CPU%", 8), ("no core%", 8), ("RSS MB", 6),
    ("sim CPU%", 8), ("drv CPU%", 8), ("errors", 6),
]  # fmt: skip


def format_row(row: Row) -> list[str]:
    return [
        row.scenario, row.app, str(row.processes), _limit_text(row), f"{row.offered:.0f}", f"{row.answered:.1f}",
        f"{row.completed}/{row.conversations}", str(row.busy),
        f"{_p(row.acks, 0.5):.1f}", f"{_p(row.acks, 0.99):.0f}", f"{max(row.acks, default=float('nan')):.0f}",
        f"{_p(row.replies, 0.5):.0f}", f"{_p(row.replies, 0.99):.0f}",
        f"{max(row.replies, default=float('nan')):.0f}",
        f"{row.st_per_conversation:.1f}", f"{row.redis_per_conversation:.1f}", f"{row.cpu_ms_per_event:.2f}",
        f"{row.app_cpu:.0f}", f"{row.app_waited:.0f}", f"{row.rss_mb:.0f}", f"{row.sim_cpu:.0f}", f"{row.driver_cpu:.0f}",
        str(row.log_errors + row.http_errors),
    ]  # fmt: skip


def _limit_text(row: Row) -> str:
    if row.app != "bot":
        return "-"
    return "off" if row.bot_rate_limit == OFF_LIMIT else str(row.bot_rate_limit or "55")


def format_table(rows: list[Row], *, breakdown: bool = False) -> str:
    header = " ".join(f"{name:>{width}}" for name, width in COLUMNS)
    lines = [header, "-" * len(header)]
    for row in rows:
        lines.append(
            " ".join(f"{cell:>{width}}" for cell, (_, width) in zip(format_row(row), COLUMNS, strict=True))
        )
    notes = [f"  {r.scenario} {r.app} x{r.processes}: {r.top_error}" for r in rows if r.top_error]
    if notes:
        lines += ["most common ERROR line per row:", *notes]
    if breakdown:
        for r in rows:
            if r.calls:
                lines.append(
                    f"calls per conversation, {r.scenario} {r.app} x{r.processes} at {r.offered:g}/s"
                    f" (ST limit {_limit_text(r)}):"
                )
                lines += [f"  {n:6.2f}  {name}" for name, n in sorted(r.calls.items(), key=lambda c: -c[1])]
    failed = [f"  {r.scenario} {r.app} x{r.processes}: {f}" for r in rows for f in r.failures]
    if failed:
        lines += ["failed conversations (up to 3 per row):", *failed]
    return "\n".join(lines)


def _floats(text: str) -> list[float]:
    return [float(x) for x in text.split(",") if x.strip()]


def parse_args(argv: list[str]) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks load",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--scenario", default=",".join(SCENARIOS), help="show, reschedule or both (comma list)"
    )
    parser.add_argument("--rate", default="50", help="events per second offered, per row (comma list)")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of load per row (1-120)")
    parser.add_argument("--processes", default="1,2", help="bot processes per row (comma list, 1-4)")
    parser.add_argument("--no-floor", action="store_true", help="skip the bare Bolt app's rows")
    parser.add_argument(
        "--users", type=int, default=200, help="simulated users (each one conversation at a time)"
    )
    parser.add_argument(
        "--show-jobs",
        type=int,
        default=None,
        help="the jobs `show` cycles over: the first N (a tenant's working set; default every job, 600 or so)",
    )
    parser.add_argument(
        "--cpu-per-process",
        type=float,
        default=None,
        help="cap each bot (and bare) process at this many cores, e.g. 0.5, so that two fit beside the driver"
        " and the simulator on a small machine (a cgroup each: needs root)",
    )
    parser.add_argument(
        "--drain", type=float, default=10.0, help="seconds to wait for the last answers (1-60)"
    )
    parser.add_argument("--redis", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    parser.add_argument("--st-latency-ms", type=int, default=0, help="added to every ServiceTitan request")
    parser.add_argument(
        "--st-rate-limit", type=int, default=None, help="ServiceTitan requests/s (off by default)"
    )
    parser.add_argument(
        "--bot-rate-limit",
        default="",
        help="ServiceTitan requests/s the bot allows itself (ST_RATE_LIMIT), a row each (comma list;"
        " 'off' or empty: off when the simulator's limit is off, else the bot's default 55: the tenant's"
        " budget); e.g. off,55 for a row at capacity and one at the tenant's budget",
    )
    parser.add_argument(
        "--breakdown", action="store_true", help="also list ServiceTitan requests and store calls by kind"
    )
    parser.add_argument("--logs", default=None, help="a directory to keep the processes' logs in")
    args = parser.parse_args(argv)
    scenarios = [s.strip() for s in args.scenario.split(",") if s.strip()]
    for scenario in scenarios:
        if scenario not in SCENARIOS:
            parser.error(f"unknown scenario {scenario!r}; known: {', '.join(SCENARIOS)}")
    processes = [int(p) for p in _floats(args.processes)]
    if not processes or not all(1 <= p <= 4 for p in processes):
        parser.error("--processes takes 1 to 4")
    try:
        limits = [None if x.strip() in ("", "off") else int(x) for x in args.bot_rate_limit.split(",")]
    except ValueError:
        parser.error("--bot-rate-limit takes requests per second (comma list) or off")
    if args.show_jobs is not None and args.show_jobs < 1:
        parser.error("--show-jobs takes 1 or more jobs")
    if args.cpu_per_process is not None:
        if not 0.05 <= args.cpu_per_process <= 64:
            parser.error("--cpu-per-process takes 0.05 to 64 cores")
        if why := CpuCap.check():
            parser.error(f"--cpu-per-process: {why}")
    if not all(x is None or 1 <= x <= OFF_LIMIT for x in limits):
        parser.error(f"--bot-rate-limit takes 1 to {OFF_LIMIT} requests per second")
    rates = _floats(args.rate)
    if not rates or not all(0 < r <= 2000 for r in rates):
        parser.error("--rate takes events per second from 0 to 2000")
    if not 1 <= args.duration <= 120 or not 1 <= args.drain <= 60 or not 1 <= args.users <= 2000:
        parser.error("--duration 1-120 s, --drain 1-60 s, --users 1-2000")
    return Options(
        scenarios=scenarios, rates=rates, duration=args.duration, processes=processes,
        floor=not args.no_floor, users=args.users, drain=args.drain, redis_url=args.redis,
        st_latency_ms=args.st_latency_ms, st_rate_limit=args.st_rate_limit, bot_rate_limits=limits, logs=args.logs, breakdown=args.breakdown,
        show_jobs=args.show_jobs, cpu_per_process=args.cpu_per_process,
    )  # fmt: skip


def main(argv: list[str]) -> int:
    options = parse_args(argv)
    print(
        f"Load: signed Slack requests to POST /slack/events, {options.duration:g} s per row, {options.users} users,"
        f" Redis {options.redis_url}, simulator over HTTP (latency {options.st_latency_ms} ms,"
        f" rate limit {options.st_rate_limit or 'off'}); latencies in ms"
        + (
            f"; each app process capped at {options.cpu_per_process:g} cores"
            if options.cpu_per_process
            else ""
        ),
        flush=True,
    )
    rows = asyncio.run(
        run(
            options,
            progress=lambda row: print(
                f"  done: {' '.join(format_row(row)[:7])}", file=sys.stderr, flush=True
            ),
        )
    )
    print(format_table(rows, breakdown=options.breakdown))
    return 0
