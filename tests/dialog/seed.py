"""The small tenant the conversation transcripts run against (CONTRACT section 4 seed format).

Times are chosen in America/Chicago (UTC-6 in late November) around the fixed now, Tuesday 2026-11-24
15:00 UTC = 9:00 AM local, so the transcripts can say "Friday 2pm" and mean 20:00 UTC.

| job  | status    | appointments (local)                                  | technicians   |
|------|-----------|-------------------------------------------------------|---------------|
| 1001 | Scheduled | 5001 Wed Nov 25 2–4 PM (window 12–4 PM)               | Mike Carter   |
| 1002 | Scheduled | 5002 Thu Nov 26 8–10 AM, 5003 Mon Nov 30 8–10 AM      | Sarah Lopez   |
| 1003 | Completed | 5004 Mon Nov 23 8–10 AM (Done)                        | Mike Chen     |
| 1004 | Canceled  | 5005 Wed Nov 25 10–12 (Canceled), reason "customer moved" | —         |
| 1005 | Scheduled | 5006 Fri Nov 27 1–3 PM (only appointment)             | nobody        |
| 1006 | Hold      | 5007 Thu Nov 26 1–3 PM (Hold)                         | James Wilson  |
| 1007 | Scheduled | 5008 Fri Nov 27 2–4 PM                                | Mike Carter   |
| 1008 | Scheduled | 5009 Wed Nov 25 9–11 AM                               | Mike Chen, James Wilson |
| 1010.. 1021 | Scheduled | one visit each next week, 8–10 AM               | Sarah Lopez   |
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

CREATED = "2026-01-05T12:00:00Z"


def _z(local: str) -> str:
    """'2026-11-25 14:00' (Chicago, CST = UTC-6) as UTC ISO."""
    moment = datetime.fromisoformat(local) + timedelta(hours=6)
    return moment.replace(tzinfo=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _appointment(
    appt_id: int,
    job_id: int,
    start: str,
    end: str,
    status: str = "Scheduled",
    window: tuple[str, str] | None = None,
) -> dict[str, Any]:
    window = window or (start, end)
    return {
        "id": appt_id,
        "jobId": job_id,
        "appointmentNumber": f"{job_id}-{appt_id}",
        "start": _z(start),
        "end": _z(end),
        "arrivalWindowStart": _z(window[0]),
        "arrivalWindowEnd": _z(window[1]),
        "status": status,
        "customerId": 201,
        "createdById": 61,
        "createdOn": CREATED,
        "modifiedOn": CREATED,
    }


def _job(job_id: int, status: str, job_type: int = 21, customer: int = 201, unit: int = 11) -> dict[str, Any]:
    return {
        "id": job_id,
        "jobNumber": str(job_id),
        "customerId": customer,
        "locationId": 301 if customer == 201 else 302,
        "jobStatus": status,
        "businessUnitId": unit,
        "jobTypeId": job_type,
        "priority": "Normal",
        "campaignId": 31,
        "summary": f"Job {job_id} work",
        "createdById": 61,
        "createdOn": CREATED,
        "modifiedOn": CREATED,
        "projectId": 801 if job_id in (1001, 1002) else None,
    }


def _address(street: str) -> dict[str, Any]:
    return {"street": street, "city": "Chicago", "state": "IL", "zip": "60601", "country": "USA"}


def build_seed() -> dict[str, Any]:
    technicians = [
        (41, "Mike Carter"),
        (42, "Mike Chen"),
        (43, "Sarah Lopez"),
        (44, "James Wilson"),
    ]
    jobs = [
        _job(1001, "Scheduled"),
        _job(1002, "Scheduled", job_type=22),
        _job(1003, "Completed"),
        _job(1004, "Canceled"),
        _job(1005, "Scheduled"),
        _job(1006, "Hold", job_type=25, unit=12),
        _job(1007, "Scheduled"),
        _job(1008, "Scheduled", job_type=25, unit=12),
    ]
    appointments = [
        _appointment(
            5001,
            1001,
            "2026-11-25 14:00",
            "2026-11-25 16:00",
            window=("2026-11-25 12:00", "2026-11-25 16:00"),
        ),
        _appointment(5002, 1002, "2026-11-26 08:00", "2026-11-26 10:00"),
        _appointment(5003, 1002, "2026-11-30 08:00", "2026-11-30 10:00"),
        _appointment(5004, 1003, "2026-11-23 08:00", "2026-11-23 10:00", status="Done"),
        _appointment(5005, 1004, "2026-11-25 10:00", "2026-11-25 12:00", status="Canceled"),
        _appointment(5006, 1005, "2026-11-27 13:00", "2026-11-27 15:00"),
        _appointment(5007, 1006, "2026-11-26 13:00", "2026-11-26 15:00", status="Hold"),
        _appointment(5008, 1007, "2026-11-27 14:00", "2026-11-27 16:00"),
        _appointment(5009, 1008, "2026-11-25 09:00", "2026-11-25 11:00"),
    ]
    assigned = [
        (5001, 41),
        (5002, 43),
        (5003, 43),
        (5004, 42),
        (5007, 44),
        (5008, 41),
        (5009, 42),
        (5009, 44),
    ]
    for n in range(12):
        job_id, appt_id = 1010 + n, 5010 + n
        jobs.append(_job(job_id, "Scheduled"))
        day = f"2026-12-0{1 + n % 5}"
        appointments.append(_appointment(appt_id, job_id, f"{day} 08:00", f"{day} 10:00"))
        assigned.append((appt_id, 43))
    names = dict(technicians)
    assignments = [
        {
            "id": 7001 + i,
            "technicianId": tech,
            "technicianName": names[tech],
            "assignedById": 61,
            "assignedOn": CREATED,
            "status": "Scheduled",
            "isPaused": False,
            "jobId": next(a["jobId"] for a in appointments if a["id"] == appt),
            "appointmentId": appt,
            "createdOn": CREATED,
            "modifiedOn": CREATED,
            "active": True,
        }
        for i, (appt, tech) in enumerate(assigned)
    ]
    return {
        "technicians": [
            {
                "id": tid,
                "userId": 1000 + tid,
                "name": name,
                "active": True,
                "createdOn": CREATED,
                "modifiedOn": CREATED,
            }
            for tid, name in technicians
        ]
        + [
            {
                "id": 49,
                "userId": 1049,
                "name": "Mike Old",
                "active": False,
                "createdOn": CREATED,
                "modifiedOn": CREATED,
            }
        ],
        "employees": [
            {"id": 61, "userId": 2061, "name": "Dana Reyes", "role": "Dispatch", "email": "dana@example.com"},
        ],
        "businessUnits": [
            {"id": 11, "name": "Plumbing", "active": True},
            {"id": 12, "name": "HVAC", "active": True},
        ],
        "customers": [
            {
                "id": 201,
                "name": "Ann Lee",
                "type": "Residential",
                "active": True,
                "address": _address("12 Oak St"),
            },
            {
                "id": 202,
                "name": "Bob Stone",
                "type": "Commercial",
                "active": True,
                "address": _address("1 Main St"),
            },
            {
                "id": 203,
                "name": "Sarah King",  # shares a first name with technician Sarah Lopez
                "type": "Residential",
                "active": True,
                "address": _address("40 Elm St"),
            },
        ],
        "locations": [
            {
                "id": 301,
                "customerId": 201,
                "name": "Ann Lee home",
                "active": True,
                "address": _address("12 Oak St"),
            },
            {
                "id": 302,
                "customerId": 202,
                "name": "Stone HQ",
                "active": True,
                "address": _address("1 Main St"),
            },
            {
                "id": 303,
                "customerId": 202,
                "name": "Stone Warehouse",
                "active": True,
                "address": _address("9 Dock Rd"),
            },
        ],
        "jobTypes": [
            {"id": 21, "name": "Drain Cleaning", "businessUnitIds": [11], "duration": 5400, "active": True},
            {
                "id": 22,
                "name": "Water Heater Repair",
                "businessUnitIds": [11],
                "duration": 7200,
                "active": True,
            },
            {"id": 25, "name": "AC Tune-Up", "businessUnitIds": [12], "duration": 3600, "active": True},
        ],
        "campaigns": [
            {"id": 35, "name": "Old Mailer", "active": False},
            {"id": 31, "name": "Google Ads", "active": True},
            {"id": 32, "name": "Referral", "active": True},
        ],
        "jobHoldReasons": [
            {"id": 71, "name": "Waiting for parts", "active": True},
            {"id": 72, "name": "Customer requested", "active": True},
            {"id": 73, "name": "Awaiting approval", "active": True},
            {"id": 75, "name": "Old: Permit pending", "active": False},
        ],
        "jobCancelReasons": [
            {"id": 81, "name": "Duplicate booking", "active": True},
            {"id": 82, "name": "Customer canceled", "active": True},
            {"id": 83, "name": "Price too high", "active": True},
        ],
        "projects": [
            {
                "id": 801,
                "number": "P-801",
                "name": "Lee remodel",
                "status": "In Progress",
                "customerId": 201,
                "locationId": 301,
                "startDate": "2026-11-20T00:00:00Z",
                "targetCompletionDate": "2026-12-20T00:00:00Z",
                "jobIds": [1001, 1002],
                "createdOn": CREATED,
            }
        ],
        "jobs": jobs,
        "appointments": appointments,
        "appointmentAssignments": assignments,
        "arrivalWindows": [
            {"id": 91, "start": "08:00", "duration": "04:00", "businessUnitIds": [11, 12], "active": True},
            {"id": 92, "start": "12:00", "duration": "04:00", "businessUnitIds": [11, 12], "active": True},
            {"id": 94, "start": "08:00", "duration": "02:00", "businessUnitIds": [11, 12], "active": True},
            {"id": 95, "start": "10:00", "duration": "02:00", "businessUnitIds": [11, 12], "active": True},
        ],
        "timesheets": [],
        "customerPhones": {"201": ["(312) 555-0101"], "203": ["(312) 555-0303"]},
        "jobCanceledLogs": [
            {
                "id": 9001,
                "jobId": 1004,
                "reasonId": 82,
                "memo": "customer moved",
                "createdOn": CREATED,
                "createdById": 61,
                "active": True,
            }
        ],
        "notes": {
            "1001": [{"text": "Dog in the yard", "isPinned": True, "createdById": 61, "createdOn": CREATED}]
        },
    }
