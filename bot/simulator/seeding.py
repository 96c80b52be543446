"""Loading a seed into the simulated tenant (CONTRACT section 4) and deriving what a seed leaves implicit.

A seed is a mapping of the CONTRACT's keys to lists of records with the OpenAPI field names; the built-in demo
data adds a few extras (`EXTRA_SEED_KEYS`). Missing fields get the response schemas' defaults, jobs on hold or
canceled get their reason and history, and the export feeds start in modification order.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bot.simulator.records import (
    APPOINTMENT_FIELDS,
    ARRIVAL_WINDOW_FIELDS,
    ASSIGNMENT_FIELDS,
    BUSINESS_UNIT_FIELDS,
    CAMPAIGN_FIELDS,
    CANCELED_LOG_FIELDS,
    CUSTOMER_FIELDS,
    EMPLOYEE_FIELDS,
    FEEDS,
    JOB_FIELDS,
    JOB_TYPE_FIELDS,
    LOCATION_FIELDS,
    PROJECT_FIELDS,
    REASON_FIELDS,
    TECHNICIAN_FIELDS,
    Hold,
    last_change,
    normalize,
)
from bot.simulator.tenant import TenantData

SEED_KEYS = (
    "technicians",
    "employees",
    "businessUnits",
    "customers",
    "locations",
    "jobTypes",
    "campaigns",
    "jobHoldReasons",
    "jobCancelReasons",
    "projects",
    "jobs",
    "appointments",
    "appointmentAssignments",
    "arrivalWindows",
    "timesheets",
)

# Optional extras the built-in demo data uses (not part of CONTRACT section 4).
EXTRA_SEED_KEYS = ("customerPhones", "notes", "jobCanceledLogs", "jobHolds")


def populate(state: TenantData, seed: Mapping[str, Any]) -> None:
    """Load a seed (CONTRACT section 4 keys, plus the demo data's extras) into an empty tenant."""
    unknown = sorted(set(seed) - set(SEED_KEYS) - set(EXTRA_SEED_KEYS))
    if unknown:
        raise ValueError(f"unknown seed keys: {', '.join(unknown)} (expected some of {', '.join(SEED_KEYS)})")
    stamp = state.clock()
    tables: list[tuple[str, dict[int, dict[str, Any]], Mapping[str, Any]]] = [
        ("technicians", state.technicians, TECHNICIAN_FIELDS),
        ("employees", state.employees, EMPLOYEE_FIELDS),
        ("businessUnits", state.business_units, BUSINESS_UNIT_FIELDS),
        ("customers", state.customers, CUSTOMER_FIELDS),
        ("locations", state.locations, LOCATION_FIELDS),
        ("jobTypes", state.job_types, JOB_TYPE_FIELDS),
        ("campaigns", state.campaigns, CAMPAIGN_FIELDS),
        ("jobHoldReasons", state.job_hold_reasons, REASON_FIELDS),
        ("jobCancelReasons", state.job_cancel_reasons, REASON_FIELDS),
        ("projects", state.projects, PROJECT_FIELDS),
        ("arrivalWindows", state.arrival_windows, ARRIVAL_WINDOW_FIELDS),
    ]
    for key, table, shape in tables:
        for raw in seed.get(key) or []:
            record = normalize(raw, shape, stamp)
            table[int(record["id"])] = record
    for raw in seed.get("jobs") or []:
        record = normalize(raw, JOB_FIELDS, stamp)
        job_id = int(record["id"])
        if not record.get("jobNumber"):
            record["jobNumber"] = str(job_id)
        external = record.get("externalData") or []
        if external:
            state.external_data[job_id] = {None: [dict(e) for e in external]}
        record["externalData"] = []
        state.jobs[job_id] = record
    for raw in seed.get("appointments") or []:
        record = normalize(raw, APPOINTMENT_FIELDS, stamp)
        job = state.jobs.get(int(record["jobId"]))
        if job is not None and not record.get("customerId"):
            record["customerId"] = job["customerId"]
        state.appointments[int(record["id"])] = record
    for raw in seed.get("appointmentAssignments") or []:
        record = normalize(raw, ASSIGNMENT_FIELDS, stamp)
        if not record.get("technicianName"):
            tech = state.technicians.get(int(record["technicianId"]))
            record["technicianName"] = tech["name"] if tech else f"Technician {record['technicianId']}"
        if record.get("assignedOn") is None:
            record["assignedOn"] = record["createdOn"]
        if not record.get("jobId"):
            appointment = state.appointments.get(int(record["appointmentId"]))
            record["jobId"] = appointment["jobId"] if appointment else 0
        state.assignments[int(record["id"])] = record
    for raw in seed.get("jobCanceledLogs") or []:
        record = normalize(raw, CANCELED_LOG_FIELDS, stamp)
        state.canceled_logs[int(record["id"])] = record
    # Why held jobs are on hold (an addition to CONTRACT section 4: [{jobId, reasonId, memo}]).
    for raw in seed.get("jobHolds") or []:
        state.job_holds[int(raw["jobId"])] = Hold(
            int(raw["reasonId"]), str(raw.get("memo") or ""), "Scheduled"
        )
    state.timesheets = {int(a) for a in seed.get("timesheets") or []}
    for customer_id, phones in (seed.get("customerPhones") or {}).items():
        state.customer_phones[int(customer_id)] = [str(p) for p in phones]
    for job_id, notes in (seed.get("notes") or {}).items():
        state.notes[int(job_id)] = [
            normalize(n, {"createdOn": None, "modifiedOn": None}, stamp) for n in notes
        ]
    _derive_after_seed(state)


def _derive_after_seed(state: TenantData) -> None:
    """What a seed leaves implicit: hold reasons, cancel logs, job counts, history, the export order."""
    default_hold = next((r for r, row in state.job_hold_reasons.items() if row.get("active", True)), 0)
    for job_id, job in state.jobs.items():
        if job["jobStatus"] == "Hold" and job_id not in state.job_holds:
            state.job_holds[job_id] = Hold(default_hold, "", "Scheduled")
        if job["jobStatus"] == "Canceled":
            reason = next(iter(state.job_cancel_reasons), 0)
            if not any(log["jobId"] == job_id for log in state.canceled_logs.values()):
                log_id = state.next_id("canceled_logs", 1)
                state.canceled_logs[log_id] = normalize(
                    {"id": log_id, "jobId": job_id, "reasonId": reason, "createdOn": job["modifiedOn"]},
                    CANCELED_LOG_FIELDS,
                    job["modifiedOn"],
                )
        state._refresh_job_counts(job_id)
        if job_id not in state.history:
            _seed_history(state, job)
    for appointment_id, appointment in state.appointments.items():
        if appointment["status"] == "Hold" and appointment_id not in state.holds:
            held = state.job_holds.get(int(appointment["jobId"]))
            state.holds[appointment_id] = held or Hold(default_hold, "", "Scheduled")
    # Initial export order follows modification time, as ServiceTitan's feeds do.
    rows: list[tuple[datetime, str, int]] = []
    for feed in FEEDS:
        for record_id, record in state.table(feed).items():
            rows.append((last_change(record), feed, record_id))
    for _, feed, record_id in sorted(rows):
        state.seq += 1
        state.change_seq[feed][record_id] = state.seq


def _seed_history(state: TenantData, job: dict[str, Any]) -> None:
    """A plausible history for a seeded job: booked, and then canceled, held or completed."""
    job_id = job["id"]
    state._history(job_id, "Job Booked", job["createdOn"], employee_id=job.get("createdById"))
    closing = {"Canceled": "Job Canceled", "Hold": "Job On Hold", "Completed": "Job Completed"}
    event = closing.get(str(job["jobStatus"]))
    if event is not None:
        memo = ""
        if event == "Job Canceled":
            log = state.latest_cancel_log(job_id)
            if log:
                memo = state.reason_memo(state.job_cancel_reasons, log.get("reasonId"), log.get("memo"))
        elif event == "Job On Hold" and job_id in state.job_holds:
            held = state.job_holds[job_id]
            memo = state.reason_memo(state.job_hold_reasons, held.reason_id, held.memo)
        when = job.get("completedOn") or job["modifiedOn"]
        state._history(job_id, event, when, memo, employee_id=job.get("createdById"))
