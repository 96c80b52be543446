"""Export feeds (`export/jobs`, `export/appointments`, `export/job-canceled-logs`,
`export/appointment-assignments`): ServiceTitan's change feeds over the tenant's change log.

Every write `_touch`es its records, giving each a new place in the change log; a feed lists the records whose
last change is after the caller's `from`, oldest first, in batches of `export_batch_size`, with `hasMore` and
an opaque `continueFrom` token (servicetitan README §2.2, §9):

- no `from`: from the first record; a date string: the changes after that moment, so the current time gives
  the feed's current end (a watcher's first start); a token: where the previous call stopped.
- `Simulator(export_delay_minutes=15)` models ServiceTitan's freshness: a change younger than that is left out
  unless `includeRecentChanges=true`, and then it comes again on every pass until it is older (callers dedupe
  by id and modifiedOn). The default, 0, shows every change at once and never repeats one.
- Deleted appointments, unassigned technicians and canceled logs whose cancellation was removed stay in their
  feeds with `active: false`; the assignments feed, as documented, lists only active rows unless `active=Any`.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from itertools import takewhile
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.simulator.query import Query
from bot.simulator.records import (
    ASSIGNMENT_FIELDS,
    CANCELED_LOG_FIELDS,
    last_change,
    render,
    validation_error,
)
from bot.simulator.tenant import TenantData
from bot.simulator.timeutil import parse_ts

TOKEN_PREFIX = "st-sim:"


@dataclass(frozen=True)
class Cursor:
    """A place in one feed's change log, carried in the opaque `continueFrom` token.

    `settled` is the last change read that is older than the recent-changes window: the next pass starts after
    it. `read` is the last change this pass has returned; it runs ahead of `settled` once a recent change
    (younger than `export_delay`) has been read with `includeRecentChanges=true`, and falls back to `settled`
    when the pass ends, so recent changes come again on the next pass, as ServiceTitan warns they may.
    """

    settled: int
    read: int

    def token(self) -> str:
        text = f"{TOKEN_PREFIX}{self.settled}:{self.read}"
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_from(value: str) -> tuple[Cursor | None, datetime | None]:
    """Read an export `from`: our token (a `Cursor`) or a date string (changes after that moment)."""
    text = value.strip()
    try:
        padded = text + "=" * (-len(text) % 4)
        raw = base64.urlsafe_b64decode(padded.encode()).decode()
        if raw.startswith(TOKEN_PREFIX):
            numbers = [int(part) for part in raw[len(TOKEN_PREFIX) :].split(":")]
            if len(numbers) == 1:
                return Cursor(numbers[0], numbers[0]), None
            if len(numbers) == 2 and 0 <= numbers[0] <= numbers[1]:
                return Cursor(numbers[0], numbers[1]), None
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    try:
        return None, parse_ts(text)
    except ValueError as exc:
        raise validation_error("from", f"'{value}' is not a valid continuation token or date") from exc


class ExportFeeds(TenantData):
    """The change log read as ServiceTitan's export feeds."""

    def export(
        self, feed: str, from_value: str | None, *, include_recent: bool = False
    ) -> tuple[list[tuple[int, int]], str, bool]:
        """The changes after `from`, oldest first: ([(seq, id)], continueFrom token, hasMore).

        `from` is a token from an earlier `continueFrom`, a date string (the changes after that moment; the
        current time gives the feed's current end), or absent (from the first record). A change younger than
        `export_delay` (ServiceTitan's 15-minute freshness; 0 by default) is left out unless `include_recent`;
        with it, such a change comes on every pass until it is older than the delay.
        """
        cursor = Cursor(0, 0)
        since: datetime | None = None
        if from_value:
            decoded, since = decode_from(from_value)
            cursor = decoded or cursor
        rows = sorted(
            (seq, record_id) for record_id, seq in self.change_seq[feed].items() if seq > cursor.read
        )
        if since is not None:
            rows = [(s, i) for s, i in rows if self._changed_on(feed, i) > since]
            start = rows[0][0] - 1 if rows else self.seq
            cursor = Cursor(start, start)
        horizon = self.clock() - self.export_delay if self.export_delay else None

        def recent(row: tuple[int, int]) -> bool:
            return horizon is not None and self._changed_on(feed, row[1]) > horizon

        if not include_recent:
            rows = list(takewhile(lambda row: not recent(row), rows))
        batch = rows[: self.export_batch_size]
        has_more = len(rows) > len(batch)
        settled, read = cursor.settled, cursor.read
        for row in batch:
            if settled == read and not recent(row):
                settled = row[0]
            read = row[0]
        # At the end of a pass the next one starts after the settled changes, repeating the recent ones.
        return batch, Cursor(settled, read if has_more else settled).token(), has_more

    def _feed_record(self, feed: str, record_id: int) -> dict[str, Any]:
        """The record behind a feed row; deleted appointments stay in their feed."""
        record = self.table(feed).get(record_id)
        if record is None and feed == "appointments":
            record = self.deleted_appointments[record_id]
        assert record is not None
        return record

    def _changed_on(self, feed: str, record_id: int) -> datetime:
        """When the row last changed: its last write, else (seeded rows) its modifiedOn or createdOn."""
        stamp = self.change_stamp[feed].get(record_id)
        return stamp if stamp is not None else last_change(self._feed_record(feed, record_id))

    def export_record(self, feed: str, record_id: int) -> dict[str, Any]:
        return dict(self._feed_record(feed, record_id))


class ExportRoutes:
    """The four export feeds a change watcher reads (JPM jobs, appointments, canceled logs; Dispatch assignments)."""

    def __init__(self, state: ExportFeeds) -> None:
        self.state = state

    def routes(self, jpm: str, dispatch: str) -> list[BaseRoute]:
        return [
            Route(f"{jpm}/export/jobs", self.feed("jobs", self.job), methods=["GET"]),
            Route(f"{jpm}/export/appointments", self.feed("appointments", self.appointment), methods=["GET"]),
            Route(
                f"{jpm}/export/job-canceled-logs",
                self.feed("jobCanceledLogs", self.canceled_log),
                methods=["GET"],
            ),
            Route(
                f"{dispatch}/export/appointment-assignments",
                self.feed("appointmentAssignments", self.assignment, active_default="True"),
                methods=["GET"],
            ),
        ]

    def feed(
        self, feed: str, render_item: Callable[[int], dict[str, Any]], active_default: str | None = None
    ) -> Callable[[Request], Any]:
        """The endpoint of one feed; `active_default` where the feed takes `active` (assignments only)."""

        async def endpoint(request: Request) -> Response:
            q = Query(request.query_params)
            include_recent = bool(q.boolean("includeRecentChanges"))
            active = q.active(active_default) if active_default is not None else "Any"
            q.check()
            batch, token, has_more = self.state.export(feed, q.text("from"), include_recent=include_recent)
            data = [render_item(record_id) for _, record_id in batch]
            if active != "Any":
                data = [item for item in data if item["active"] == (active == "True")]
            return JSONResponse({"hasMore": has_more, "continueFrom": token, "data": data})

        return endpoint

    def job(self, record_id: int) -> dict[str, Any]:
        return self.state.render_job(self.state.jobs[record_id], export=True)

    def appointment(self, record_id: int) -> dict[str, Any]:
        return self.state.render_appointment(self.state.export_record("appointments", record_id), export=True)

    def canceled_log(self, record_id: int) -> dict[str, Any]:
        return render(self.state.canceled_logs[record_id], CANCELED_LOG_FIELDS)

    def assignment(self, record_id: int) -> dict[str, Any]:
        return render(self.state.assignments[record_id], ASSIGNMENT_FIELDS)
