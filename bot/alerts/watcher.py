"""The change feed: one place that notices what changed in ServiceTitan (servicetitan/README.md §2.2, §9).

Every `poll_seconds` the watcher reads the four export feeds with `includeRecentChanges=true` (the client
follows `continueFrom` while `hasMore`), turns their rows into `ChangeEvent`s by comparing each with the
snapshot last recorded for its id (bot.alerts.events), and hands the events of the cycle to the sink.
Only after the sink returned (every event delivered) are the new snapshots and continuation tokens saved,
so a crash in between re-reads the same rows and the sink's delivery records keep the repeat silent.

State lives in the store (Redis with REDIS_URL): `alert-feed:cursor:{feed}` (tokens, no expiry),
`alert-feed:origin` (when the watcher first started, no expiry) and `alert-seen:{feed}:{id}` (snapshots).
On the very first start the watcher records the feeds' recent rows as its baseline without reporting them
and begins at their current end; a restart resumes from the saved tokens and reports what changed while
it was down. With several processes only the holder of the `watcher` lease polls (bot.alerts.lease).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.alerts.events import (
    ChangeEvent,
    Snapshot,
    appointment_snapshot,
    assignment_snapshot,
    canceled_log_snapshot,
    diff_appointment,
    diff_assignment,
    diff_canceled_log,
    diff_job,
    job_snapshot,
)
from bot.alerts.lease import Lease
from bot.dialog.feedreads import drop, feed_mark
from bot.servicetitan import ServiceTitanClient
from bot.servicetitan.errors import ServiceTitanError
from bot.servicetitan.models import Job
from bot.store import Store, StoreError, Write

log = logging.getLogger("bot.alerts")

FEED_NAMESPACE = "alert-feed"
SEEN_NAMESPACE = "alert-seen"
WRITE_BATCH = 200  # snapshot saves (or cached reads dropped) sent to the store in one round trip
SEEN_TTL_SECONDS = 90 * 24 * 3600  # refreshed by every change of the record
BASELINE_DAYS = 60  # the first start records rows changed this recently as "how things are now"
LEASE_NAME = "watcher"

Sink = Callable[[list[ChangeEvent]], Awaitable[None]]
"""Delivers a cycle's events; returns only when all were delivered (raises otherwise)."""


@dataclass(frozen=True)
class Feed:
    name: str
    read: Callable[[ServiceTitanClient, str | None], Awaitable[Any]]
    snapshot: Callable[[Any], Snapshot]
    diff: Callable[[int, Snapshot | None, Snapshot, str], list[ChangeEvent]]


async def _jobs(client: ServiceTitanClient, token: str | None) -> Any:
    return await client.export_jobs(token, include_recent_changes=True)


async def _appointments(client: ServiceTitanClient, token: str | None) -> Any:
    return await client.export_appointments(token, include_recent_changes=True)


async def _canceled_logs(client: ServiceTitanClient, token: str | None) -> Any:
    return await client.export_job_canceled_logs(token, include_recent_changes=True)


async def _assignments(client: ServiceTitanClient, token: str | None) -> Any:
    # The feed shows active rows only by default; an unassignment is a row turning inactive.
    return await client.export_appointment_assignments(token, include_recent_changes=True, active="Any")


FEEDS: tuple[Feed, ...] = (
    # Canceled logs first: a cancel's log row and its job row arrive in the same cycle.
    Feed("job-canceled-logs", _canceled_logs, canceled_log_snapshot, diff_canceled_log),
    Feed("jobs", _jobs, job_snapshot, diff_job),
    Feed("appointments", _appointments, appointment_snapshot, diff_appointment),
    Feed("appointment-assignments", _assignments, assignment_snapshot, diff_assignment),
)


def utc_now() -> datetime:
    return datetime.now(UTC)


def _from_date(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Watcher:
    def __init__(
        self,
        *,
        client: ServiceTitanClient,
        store: Store,
        sink: Sink,
        poll_seconds: float = 20.0,
        clock: Callable[[], datetime] = utc_now,
        feeds: Sequence[Feed] = FEEDS,
        owner: str | None = None,
        on_cycle: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.client = client
        self.store = store
        self.sink = sink
        self.poll_seconds = poll_seconds
        self.clock = clock
        self.feeds = tuple(feeds)
        # Held while renewed; a dead holder's lease runs out after 1.2 intervals and the next check (every
        # quarter of the TTL) of another process takes it: a takeover within two poll intervals.
        self.lease = Lease(store, name=LEASE_NAME, ttl=poll_seconds * 1.2, owner=owner)
        self.on_cycle = on_cycle  # extra work of the active watcher each cycle (digests, day plans)
        self.active = False
        self.cycles = 0

    # ---------------------------------------------------------------------------------------------------
    # state

    async def _token(self, feed: str) -> str | None:
        record = await self.store.load(namespace=FEED_NAMESPACE, key=f"cursor:{feed}")
        return str(record.value["token"]) if record is not None and record.value.get("token") else None

    async def _save_token(self, feed: str, token: str | None) -> None:
        if token:
            await self.store.save(
                namespace=FEED_NAMESPACE, key=f"cursor:{feed}", value={"token": token}, ttl=None
            )

    async def origin(self) -> str | None:
        record = await self.store.load(namespace=FEED_NAMESPACE, key="origin")
        return str(record.value["at"]) if record is not None else None

    async def _seen(self, feed: str, record_id: int) -> Snapshot | None:
        record = await self.store.load(namespace=SEEN_NAMESPACE, key=f"{feed}:{record_id}")
        return record.value if record is not None else None

    async def _remember(self, feed: str, snapshots: dict[int, Snapshot]) -> None:
        await self._write_in_batches(
            [
                Write.save(namespace=SEEN_NAMESPACE, key=f"{feed}:{rid}", value=snap, ttl=SEEN_TTL_SECONDS)
                for rid, snap in snapshots.items()
            ]
        )

    async def _write_in_batches(self, writes: list[Write]) -> None:
        """`writes` in batches of WRITE_BATCH, one round trip (and one pooled connection) each: one save
        per record held a connection each, and a hundred at once emptied the pool that users' requests
        share ("Too many connections"), then a few at a time cost a round trip per record."""
        for start in range(0, len(writes), WRITE_BATCH):
            await self.store.write_many(writes[start : start + WRITE_BATCH])

    # ---------------------------------------------------------------------------------------------------
    # cycles

    async def start_fresh(self) -> str:
        """First start: record the feeds' recent rows as the baseline and begin at their current end."""
        now = self.clock()
        since = _from_date(now - timedelta(days=BASELINE_DAYS))
        for feed in self.feeds:
            batch = await feed.read(self.client, since)
            snaps = {int(row.id): feed.snapshot(row) for row in batch.items}
            await self._remember(feed.name, snaps)
            await self._save_token(feed.name, batch.continue_from)
        at = now.astimezone(UTC).isoformat()
        await self.store.save(namespace=FEED_NAMESPACE, key="origin", value={"at": at}, ttl=None)
        log.info("alerts: first start; watching ServiceTitan's changes from %s", at)
        return at

    async def poll_once(self) -> list[ChangeEvent]:
        """One cycle: read every feed from its token, deliver the events, then save state and tokens."""
        origin = await self.origin() or await self.start_fresh()
        began = self.clock().timestamp()  # every change before it is in what this cycle reads
        tokens = [await self._token(feed.name) for feed in self.feeds]
        batches = await asyncio.gather(
            *(feed.read(self.client, token) for feed, token in zip(self.feeds, tokens, strict=True))
        )
        events: list[ChangeEvent] = []
        updates: list[tuple[Feed, dict[int, Snapshot], str | None]] = []
        for feed, batch in zip(self.feeds, batches, strict=True):
            latest: dict[int, Snapshot] = {}
            for row in batch.items:
                rid = int(row.id)
                snap = feed.snapshot(row)
                prev = latest[rid] if rid in latest else await self._seen(feed.name, rid)
                events.extend(feed.diff(rid, prev, snap, origin))
                latest[rid] = snap
            updates.append((feed, latest, batch.continue_from))
        await self._forget_job_reads(batches, began)
        if events:
            await self.sink(events)
        for feed, latest, token in updates:
            await self._remember(feed.name, latest)
            await self._save_token(feed.name, token)
        self.cycles += 1
        return events

    async def _forget_job_reads(self, batches: Sequence[Any], began: float) -> None:
        """The jobs whose rows changed lose their cached reads (bot.dialog.refdata.job_reads), and the feed's
        mark says every change before `began` is dropped: a cached read is at most a poll behind
        ServiceTitan (bot/dialog/feedreads.py)."""
        jobs = {
            int(job_id)
            for batch in batches
            for row in batch.items
            if (job_id := getattr(row, "job_id", None) or _job_row_id(row)) is not None
        }
        # the mark only when every feed was read to its end (an export cut short after an outage still has
        # changes to drop: the reads stay on their own age until a later cycle catches up)
        caught_up = not any(getattr(batch, "has_more", False) for batch in batches)
        mark = [feed_mark(began)] if caught_up else []
        await self._write_in_batches([*(drop(job_id, began) for job_id in sorted(jobs)), *mark])

    async def _keep_lease(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                self.active = await self.lease.acquire()
            except StoreError as exc:
                self.active = False
                log.warning("alerts: cannot reach the store for the watcher lease: %s", exc)
            await _wait(stop, self.lease.ttl / 4)

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Poll while holding the lease, until `stop` is set; standby processes keep trying for the lease.

        The lease is renewed by its own task every quarter of its TTL, also while a cycle runs."""
        stop = stop or asyncio.Event()
        keeper = asyncio.create_task(self._keep_lease(stop))
        try:
            while not stop.is_set():
                if not self.active:
                    await _wait(stop, self.lease.ttl / 4)
                    continue
                try:
                    await self.poll_once()
                    if self.on_cycle is not None:
                        await self.on_cycle()
                except (ServiceTitanError, StoreError) as exc:
                    log.warning("alerts: this cycle failed and will be retried: %s", exc)
                except Exception:
                    log.exception("alerts: this cycle failed and will be retried")
                await _wait(stop, self.poll_seconds)
        finally:
            stop.set()
            await keeper
            if self.active:
                self.active = False
                await self.lease.release()


def _job_row_id(row: Any) -> int | None:
    """A jobs feed row's id (other feeds' rows name their job in `job_id`)."""
    return int(row.id) if isinstance(row, Job) else None


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), timeout=max(seconds, 0.01))
    except TimeoutError:
        pass
