"""Export feeds (`export/jobs`, `export/appointments`, `export/job-canceled-logs`,
`export/appointment-assignments`): ServiceTitan's change feeds over the tenant's change log.

Every write `_touch`es its records, giving each a new place in the change log; a feed lists the records whose
last change is after the caller's `from`, oldest first, in batches, with an opaque `continueFrom` token.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from datetime import datetime
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


def encode_token(seq: int) -> str:
    """The opaque `continueFrom` token: a sequence number in the change log, base64-wrapped."""
    return base64.urlsafe_b64encode(f"st-sim:{seq}".encode()).decode().rstrip("=")


def decode_from(value: str) -> tuple[int | None, datetime | None]:
    """Read an export `from`: our token (-> sequence number) or a date string (-> modifiedOn bound)."""
    text = value.strip()
    try:
        padded = text + "=" * (-len(text) % 4)
        raw = base64.urlsafe_b64decode(padded.encode()).decode()
        if raw.startswith("st-sim:"):
            return int(raw.split(":", 1)[1]), None
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
        """Changes after `from`, oldest first: ([(seq, id)], continueFrom token, hasMore).

        With `export_delay` set, changes younger than it stay out of the feed (and the token does not pass
        them) unless `include_recent`, like ServiceTitan's 15-minute export freshness.
        """
        after_seq = 0
        since: datetime | None = None
        if from_value:
            decoded_seq, since = decode_from(from_value)
            after_seq = decoded_seq or 0
        rows = sorted((seq, record_id) for record_id, seq in self.change_seq[feed].items() if seq > after_seq)
        if since is not None:
            rows = [(s, i) for s, i in rows if self._changed_on(feed, i) >= since]
        if self.export_delay and not include_recent:
            cutoff = self.clock() - self.export_delay
            visible: list[tuple[int, int]] = []
            for seq, record_id in rows:
                if self._changed_on(feed, record_id) > cutoff:
                    break
                visible.append((seq, record_id))
            rows = visible
        batch = rows[: self.export_batch_size]
        has_more = len(rows) > len(batch)
        last = batch[-1][0] if batch else (after_seq or (max((s for s, _ in rows), default=0)))
        if not batch and since is not None:
            last = self.seq
        return batch, encode_token(last), has_more

    def _feed_record(self, feed: str, record_id: int) -> dict[str, Any]:
        """The record behind a feed row; deleted appointments stay in their feed."""
        record = self.table(feed).get(record_id)
        if record is None and feed == "appointments":
            record = self.deleted_appointments[record_id]
        assert record is not None
        return record

    def _changed_on(self, feed: str, record_id: int) -> datetime:
        return last_change(self._feed_record(feed, record_id))

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
