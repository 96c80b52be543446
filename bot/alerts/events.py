"""Typed change events, and the pure comparison that turns an export row into them.

Each export row is reduced to a small *snapshot* of the fields the alerts care about. A row is compared
with the snapshot last recorded for its id: the same snapshot again (the recent-changes mode repeats rows)
gives no event. A row with no recorded snapshot (a record first seen after the watcher started) is judged
by its own stamps against the watcher's `origin` (when it first started), so history from before the start
is never reported.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Literal

from bot.servicetitan.models import Appointment, AppointmentAssignment, Job, JobCanceledLog

Kind = Literal[
    "job_hold",
    "job_canceled",
    "job_hold_removed",
    "job_cancel_removed",
    "appointment_hold",
    "appointment_hold_removed",
    "appointment_moved",
    "appointment_added",
    "appointment_deleted",
    "appointment_canceled",
    "technician_assigned",
    "technician_unassigned",
]
KINDS: tuple[str, ...] = Kind.__args__  # type: ignore[attr-defined]

MANAGER_KINDS = frozenset({"job_hold", "job_canceled", "appointment_hold"})
"""What managers are alerted about: holds and cancellations."""
SUBSCRIBABLE = {"hold": frozenset({"job_hold", "appointment_hold"}), "cancel": frozenset({"job_canceled"})}
"""The parser's `kinds` slot values and the events each one covers."""
TECHNICIAN_KINDS = frozenset(KINDS) - {"job_canceled", "job_cancel_removed", "job_hold", "job_hold_removed"}
"""What changes a technician's day: events about one appointment (a job hold or cancel shows on its
appointments, whose own rows change too)."""

Snapshot = dict[str, Any]


@dataclass(frozen=True)
class ChangeEvent:
    """One change noticed in ServiceTitan. `key` is stable across re-reads of the same change."""

    kind: str
    key: str
    job_id: int
    at: str  # ISO UTC time of the change
    appointment_id: int | None = None
    technician_id: int | None = None
    technician_name: str = ""
    reason_id: int | None = None
    memo: str = ""
    actor_id: int | None = None  # ServiceTitan employee who made it, when the row says
    before: Snapshot | None = None
    after: Snapshot | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    @staticmethod
    def from_json(data: dict[str, Any]) -> ChangeEvent:
        return ChangeEvent(**{k: v for k, v in data.items() if k in ChangeEvent.__dataclass_fields__})

    @property
    def when(self) -> datetime:
        return datetime.fromisoformat(self.at)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def job_snapshot(row: Job) -> Snapshot:
    return {"status": row.job_status, "modifiedOn": _iso(row.modified_on)}


def appointment_snapshot(row: Appointment) -> Snapshot:
    return {
        "jobId": row.job_id,
        "start": _iso(row.start),
        "end": _iso(row.end),
        "arrivalWindowStart": _iso(row.arrival_window_start),
        "arrivalWindowEnd": _iso(row.arrival_window_end),
        "status": row.status,
        "active": row.active is not False,
        "createdOn": _iso(row.created_on),
        "modifiedOn": _iso(row.modified_on),
    }


def assignment_snapshot(row: AppointmentAssignment) -> Snapshot:
    return {
        "jobId": row.job_id,
        "appointmentId": row.appointment_id,
        "technicianId": row.technician_id,
        "technicianName": row.technician_name,
        "active": row.active,
        "assignedById": row.assigned_by_id,
        "since": _iso(row.assigned_on or row.created_on or row.modified_on),
        "modifiedOn": _iso(row.modified_on),
    }


def canceled_log_snapshot(row: JobCanceledLog) -> Snapshot:
    return {
        "jobId": row.job_id,
        "reasonId": row.reason_id,
        "memo": row.memo or "",
        "createdById": row.created_by_id,
        "createdOn": _iso(row.created_on),
        "active": row.active,
    }


def _same(prev: Snapshot | None, cur: Snapshot, *, ignore: tuple[str, ...] = ("modifiedOn",)) -> bool:
    if prev is None:
        return False
    return {k: v for k, v in prev.items() if k not in ignore} == {
        k: v for k, v in cur.items() if k not in ignore
    }


def _after(stamp: str | None, origin: str) -> bool:
    return bool(stamp) and datetime.fromisoformat(str(stamp)) >= datetime.fromisoformat(origin)


def diff_job(record_id: int, prev: Snapshot | None, cur: Snapshot, origin: str) -> list[ChangeEvent]:
    """Job status changes: put on hold, hold removed, cancellation removed (a cancel comes from its log)."""
    if _same(prev, cur):
        return []
    status = cur["status"]
    before = prev["status"] if prev else None
    at = str(cur["modifiedOn"])
    key = f"job:{record_id}:{at}"
    if prev is None and not _after(at, origin):
        return []
    if status == "Hold" and before != "Hold":
        # prev None: changed after the start and on hold now; the hold's own time is checked by the
        # enrichment against the job's history, so an older hold with a later edit is not reported.
        return [ChangeEvent("job_hold", key, record_id, at, extra={"unverified": prev is None})]
    if before == "Hold" and status not in ("Hold", "Canceled"):
        return [ChangeEvent("job_hold_removed", key, record_id, at)]
    if before == "Canceled" and status != "Canceled":
        return [ChangeEvent("job_cancel_removed", key, record_id, at)]
    return []


def diff_appointment(record_id: int, prev: Snapshot | None, cur: Snapshot, origin: str) -> list[ChangeEvent]:
    if _same(prev, cur):
        return []
    at = str(cur["modifiedOn"])
    key = f"appointment:{record_id}:{at}"
    job_id = int(cur["jobId"])

    def event(kind: str, **more: Any) -> ChangeEvent:
        return ChangeEvent(kind, f"{key}:{kind}", job_id, at, appointment_id=record_id, after=cur, **more)

    if prev is None:
        if not _after(at, origin):
            return []
        if _after(cur.get("createdOn"), origin):
            return [event("appointment_added")] if cur["active"] else []
        if not cur["active"]:
            return [event("appointment_deleted")]
        if cur["status"] == "Hold":
            return [event("appointment_hold", extra={"unverified": True})]
        return []
    events: list[ChangeEvent] = []
    if prev["active"] and not cur["active"]:
        return [event("appointment_deleted", before=prev)]
    if not prev["active"] and cur["active"]:
        return [event("appointment_added")]
    if cur["status"] != prev["status"]:
        if cur["status"] == "Hold":
            events.append(event("appointment_hold", before=prev))
        elif prev["status"] == "Hold" and cur["status"] != "Canceled":
            events.append(event("appointment_hold_removed", before=prev))
        elif cur["status"] == "Canceled":
            events.append(event("appointment_canceled", before=prev))
    times = ("start", "end", "arrivalWindowStart", "arrivalWindowEnd")
    if any(prev.get(k) != cur.get(k) for k in times):
        events.append(event("appointment_moved", before=prev))
    return events


def diff_assignment(record_id: int, prev: Snapshot | None, cur: Snapshot, origin: str) -> list[ChangeEvent]:
    if _same(prev, cur):
        return []
    at = str(cur["modifiedOn"])
    was_active = bool(prev and prev["active"])
    if prev is None and not (_after(at, origin) or _after(cur.get("since"), origin)):
        return []
    kind = None
    if cur["active"] and not was_active and (prev is not None or _after(cur.get("since"), origin)):
        kind = "technician_assigned"
    elif not cur["active"] and (was_active or prev is None):
        kind = "technician_unassigned"
    if kind is None:
        return []
    return [
        ChangeEvent(
            kind,
            f"assignment:{record_id}:{at}:{kind}",
            int(cur["jobId"]),
            at,
            appointment_id=int(cur["appointmentId"]),
            technician_id=int(cur["technicianId"]),
            technician_name=str(cur.get("technicianName") or ""),
            actor_id=cur.get("assignedById") if kind == "technician_assigned" else None,
        )
    ]


def diff_canceled_log(record_id: int, prev: Snapshot | None, cur: Snapshot, origin: str) -> list[ChangeEvent]:
    """A new (active) canceled-log row is a job cancellation, with its reason, memo and author."""
    if prev is not None or not cur["active"] or not _after(cur.get("createdOn"), origin):
        return []
    return [
        ChangeEvent(
            "job_canceled",
            f"canceled-log:{record_id}",
            int(cur["jobId"]),
            str(cur["createdOn"]),
            reason_id=cur.get("reasonId"),
            memo=str(cur.get("memo") or ""),
            actor_id=cur.get("createdById"),
        )
    ]
