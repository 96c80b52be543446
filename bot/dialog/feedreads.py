"""How fresh the cached job reads are: the alerts watcher's change feed keeps them so.

A job's reads (the job, its appointments, their technicians: `ReferenceData.job_reads`) are cached in the
store under `jobreads:{job id}`. Each poll of the watcher (bot/alerts/watcher.py) reads what changed in
ServiceTitan since the poll before and, in one round trip:
- replaces the reads of every job that changed with a *drop* (`dropped`): the next read asks ServiceTitan,
  and a read that was on its way when the job changed cannot put its older answer back (the cache replaces
  what it found, or a stand-in it wrote before reading, only by compare-and-set:
  `bot.store.cache.cached(usable=...)`);
- writes the feed's mark (`jobreads:feed`) once every feed was read to its end: every change made before
  `since` (when the poll began) has been dropped.

The mark comes from the watcher's clock and the reads' age from each process's: clocks kept by NTP (a
watcher's clock ahead by S seconds serves reads S seconds longer once it stops).

So a cached read is at most `now - max(read at, mark)` old. A read is served while that is within the
allowed age (`ReadsAge.allowed`: `bot serve` gives a poll interval plus FEED_MARGIN, for the poll itself
and this process's look at the mark, which may be MARK_EVERY old); with no watcher
running (or one that stopped) the mark grows old and each read is served for that long after it was
made, as a plain cache with that TTL would.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from bot.store import Store, StoreError, Write

JOB_READS_NAMESPACE = "jobreads"
FEED_KEY = "feed"  # (job reads' keys are job ids, and `{id}:{what}:{version}` for their extra rows)
READS_KEEP = 1800.0  # how long the store keeps a job's reads (or its drop); the feed keeps them fresh
MARK_KEEP = 86400.0  # the feed's mark; an old one only says the feed stopped
READ_AT = "read_at"  # the moment a job's reads were asked of ServiceTitan (seconds since the epoch)
MARK_EVERY = 5.0  # seconds a process goes by the mark it read before reading it again
# What a read may be behind ServiceTitan beyond a poll interval: the poll's own time (the mark is when the
# poll before began) and MARK_EVERY. A poll slower than that lets reads expire until it ends (asked again).
FEED_MARGIN = 10.0


def dropped(at: float) -> dict[str, Any]:
    """What stands in place of a job's cached reads once it changed (at or before `at`)."""
    return {"dropped": at}


def drop(job_id: int, at: float) -> Write:
    """The write that drops a job's cached reads (it changed at or before `at`); a drop stays as long as
    reads would (READS_KEEP), so that a read on its way finds it there and does not cache its answer."""
    return Write.save(namespace=JOB_READS_NAMESPACE, key=str(job_id), value=dropped(at), ttl=READS_KEEP)


def feed_mark(since: float) -> Write:
    """The write of the feed's mark: every change made before `since` has been dropped."""
    return Write.save(namespace=JOB_READS_NAMESPACE, key=FEED_KEY, value={"since": since}, ttl=MARK_KEEP)


class ReadsAge:
    """Whether a cached job read is fresh enough to serve, from when it was read and the feed's mark
    (read from the store at most every MARK_EVERY seconds per process; unknown while the store fails)."""

    def __init__(self, store: Store, *, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.clock = clock
        self.allowed = (
            0.0  # the age a read may have (0: not cached); `bot serve`: poll interval + FEED_MARGIN
        )
        self.every = MARK_EVERY
        self._mark: float | None = None
        self._next_look = 0.0  # (monotonic)

    async def usable(self) -> Callable[[Any], bool]:
        """A test of cached reads, as of now."""
        mark = await self._feed_mark()
        now = self.clock()
        allowed = self.allowed

        def fresh(data: Any) -> bool:
            read_at = data.get(READ_AT) if isinstance(data, dict) else None
            if not isinstance(read_at, int | float):
                return False
            return now - max(float(read_at), mark or float("-inf")) <= allowed

        return fresh

    async def _feed_mark(self) -> float | None:
        if time.monotonic() < self._next_look:
            return self._mark
        self._next_look = time.monotonic() + self.every  # (before the await: one look at a time)
        try:
            record = await self.store.load(namespace=JOB_READS_NAMESPACE, key=FEED_KEY)
        except StoreError:
            self._mark = None
            return None
        since = record.value.get("since") if record is not None else None
        self._mark = float(since) if isinstance(since, int | float) else None
        return self._mark
