"""Built-in demo data: a small plumbing and HVAC company a dispatcher would recognise.

`build_demo_seed(now)` returns a seed in the CONTRACT section 4 format (plus customer phone numbers),
generated relative to `now` and fully deterministic for a given `now`: 80 jobs spread over the two weeks
around it, some with several visits, some on hold, some canceled (with canceled-logs), some completed,
technicians assigned, a few appointments with timesheets. Ids follow the ranges in briefs/interfaces.md.
Visits are planned on a board as a dispatcher would: each goes to a technician of the job's trade who is free
then, so no technician is booked twice at once and nobody has more than four two-hour visits a day.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

# (id, name, e-mail, business unit, team)
TECHNICIANS: list[tuple[int, str, str, int, str]] = [
    (41, "Mike Carter", "mike.carter@example.com", 11, "Plumbing"),
    (42, "Mike Chen", "mike.chen@example.com", 12, "HVAC"),
    (43, "Sarah Lopez", "sarah.lopez@example.com", 11, "Plumbing"),
    (44, "James Wilson", "james.wilson@example.com", 12, "HVAC"),
    (45, "Priya Patel", "priya.patel@example.com", 13, "Electrical"),
    (46, "Tom Becker", "tom.becker@example.com", 11, "Plumbing"),
    (47, "Luis Ortega", "luis.ortega@example.com", 12, "HVAC"),
    (48, "Angela Brooks", "angela.brooks@example.com", 13, "Electrical"),
    (49, "Derek Nguyen", "derek.nguyen@example.com", 11, "Plumbing"),
]

# (id, name, role, e-mail); roles from TenantSettings.V2.EmployeeUserRole.
EMPLOYEES: list[tuple[int, str, str, str]] = [
    (61, "Dana Reyes", "Dispatch", "dana@example.com"),
    (62, "Morgan Blake", "FieldManager", "morgan@example.com"),
    (63, "Chris Howard", "CSR", "chris.howard@example.com"),
    (64, "Pat Kim", "Admin", "pat.kim@example.com"),
]

BUSINESS_UNITS: list[tuple[int, str]] = [
    (11, "Plumbing - Residential"),
    (12, "HVAC - Service"),
    (13, "Electrical"),
]

# (id, name, business unit, duration in minutes, priority)
JOB_TYPES: list[tuple[int, str, int, int, str]] = [
    (21, "Drain Cleaning", 11, 90, "Normal"),
    (22, "Water Heater Repair", 11, 120, "High"),
    (23, "Water Heater Install", 11, 240, "Normal"),
    (24, "Leak Repair", 11, 90, "High"),
    (25, "AC Tune-Up", 12, 60, "Normal"),
    (26, "AC Repair", 12, 120, "High"),
    (27, "Furnace Repair", 12, 120, "High"),
    (28, "Furnace Maintenance", 12, 60, "Low"),
    (29, "Panel Upgrade", 13, 240, "Normal"),
    (30, "Outlet and Wiring Repair", 13, 90, "Normal"),
]

HOLD_REASONS: list[tuple[int, str, bool]] = [
    (71, "Waiting for parts", True),
    (72, "Customer requested", True),
    (73, "Awaiting approval", True),
    (74, "Weather delay", True),
    (75, "Old: Permit pending", False),
]

CANCEL_REASONS: list[tuple[int, str, bool]] = [
    (81, "Duplicate booking", True),
    (82, "Customer canceled", True),
    (83, "Went with another company", True),
    (84, "Price too high", True),
    (85, "Old: No show", False),
]

# (id, start, duration) as .NET TimeSpan strings.
ARRIVAL_WINDOWS: list[tuple[int, str, str]] = [
    (91, "08:00", "04:00"),
    (92, "12:00", "04:00"),
    (93, "16:00", "04:00"),
    (94, "08:00", "02:00"),
    (95, "10:00", "02:00"),
]

CAMPAIGNS: list[tuple[int, str, bool]] = [
    (31, "Google Ads", True),
    (32, "Repeat Customer", True),
    (33, "Referral", True),
    (34, "Yelp", True),
    (35, "Spring Mailer 2025", False),
]

CUSTOMER_NAMES = [
    "Alice Johnson",
    "Robert Smith",
    "Maria Garcia",
    "David Brown",
    "Linda Martinez",
    "James Anderson",
    "Patricia Thomas",
    "Michael Jackson",
    "Barbara White",
    "William Harris",
    "Elizabeth Clark",
    "Richard Lewis",
    "Susan Robinson",
    "Joseph Walker",
    "Jessica Young",
    "Thomas Allen",
    "Sarah King",
    "Charles Wright",
    "Karen Scott",
    "Daniel Green",
    "Nancy Adams",
    "Matthew Baker",
    "Lisa Nelson",
    "Anthony Hill",
    "Betty Campbell",
    "Maple Street Bakery",
    "Lakeside Dental Clinic",
    "Oak Ridge Apartments",
    "Riverside Grill",
    "Northside Fitness",
]

STREETS = [
    "Maple Ave",
    "Oak St",
    "Cedar Ln",
    "Elm St",
    "Pine Rd",
    "Birch Dr",
    "Willow Way",
    "Lakeview Blvd",
    "Hillcrest Rd",
    "Sunset Dr",
]
# (city, zip, latitude, longitude) around Chicago.
CITIES = [
    ("Chicago", "60614", 41.9214, -87.6513),
    ("Evanston", "60201", 42.0451, -87.6877),
    ("Oak Park", "60302", 41.8850, -87.7845),
    ("Skokie", "60076", 42.0324, -87.7416),
    ("Naperville", "60540", 41.7508, -88.1535),
]

PROJECTS: list[tuple[int, str, str]] = [
    (801, "Whole-home repipe", "In Progress"),
    (802, "HVAC replacement, Oak Ridge Apartments", "In Progress"),
    (803, "Restaurant kitchen plumbing", "Not Started"),
    (804, "Basement finishing electrical", "In Progress"),
    (805, "Water heater fleet upgrade", "Completed"),
]

# Two-hour visits between 8 AM and 4 PM local: a technician fits at most four in a day.
APPOINTMENT_SLOTS = [(8, 10), (10, 12), (12, 14), (14, 16), (9, 11), (13, 15)]
# How far (in days) a visit may move from the day it was asked for when nobody is free then.
DAY_SHIFTS = [0, 1, -1, 2, -2, 3, -3, 4, -4]

JOB_COUNT = 80
# (reason id, memo): what a dispatcher writes when a job goes on hold
HOLD_WORDS: list[tuple[int, str]] = [
    (71, "waiting on compressor from supplier"),
    (73, "landlord has to approve the quote first"),
    (72, "customer is traveling until next week"),
    (71, "special-order valve, ETA Friday"),
    (74, "roof access unsafe until the ice clears"),
]


# The demo company works in Chicago (the bot's default ST_TIMEZONE); hours below are local.
DEMO_TIMEZONE = "America/Chicago"


def _ts(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _technicians_of(business_unit: int) -> list[int]:
    return [tid for tid, _, _, bu, _ in TECHNICIANS if bu == business_unit]


class _Board:
    """The dispatch board while the demo is generated: which hours each technician already has, per day.

    Every visit (done, canceled or planned) takes its technician's hours, so no technician is ever booked twice
    at once and nobody gets more visits in a day than the working hours hold.
    """

    def __init__(self) -> None:
        self._taken: dict[tuple[int, date], list[tuple[int, int]]] = {}

    def free(self, technician_id: int, day: date, slot: tuple[int, int]) -> bool:
        return all(
            slot[1] <= start or end <= slot[0] for start, end in self._taken.get((technician_id, day), [])
        )

    def take(self, technician_id: int, day: date, slot: tuple[int, int]) -> None:
        self._taken.setdefault((technician_id, day), []).append(slot)

    def plan(
        self, index: int, first_day: date, slot: tuple[int, int], visits: int, business_unit: int, crew: int
    ) -> tuple[date, tuple[int, int], list[int]]:
        """The first day, slot and technicians for a job, as close to what was asked as the board allows.

        Like a dispatcher: keep the customer's day and time if someone of the trade is free for every visit
        (the job's usual technician first), else another time that day, else a nearby day.
        """
        trade = _technicians_of(business_unit)
        usual = index % len(trade)
        trade = trade[usual:] + trade[:usual]
        helpers = [tid for tid, *_ in TECHNICIANS if tid not in trade]
        preferred = APPOINTMENT_SLOTS.index(slot)
        slots = APPOINTMENT_SLOTS[preferred:] + APPOINTMENT_SLOTS[:preferred]
        for shift in DAY_SHIFTS:
            day = first_day + timedelta(days=shift)
            days = [day + timedelta(days=visit * 2) for visit in range(visits)]
            for candidate in slots:
                available = [
                    tid for tid in trade + helpers if all(self.free(tid, d, candidate) for d in days)
                ]
                if not available or available[0] not in trade or len(available) < crew:
                    continue
                chosen = available[:crew]
                for technician_id in chosen:
                    for d in days:
                        self.take(technician_id, d, candidate)
                return day, candidate, chosen
        raise RuntimeError(f"no free technician for demo job {1001 + index}")  # the demo is far from full


def build_demo_seed(now: datetime, tz: str = DEMO_TIMEZONE) -> dict[str, Any]:
    """The demo tenant as a seed dict; the same `now` always gives the same data.

    Visits are planned in working hours of the company's time zone `tz` and stored in UTC, as ServiceTitan does.
    """
    now = now.astimezone(UTC) if now.tzinfo else now.replace(tzinfo=UTC)
    book = _Booking(now, ZoneInfo(tz))
    for index in range(JOB_COUNT):
        book.job(index)
    created = _ts(book.setup)
    reference = _reference_data(created)
    customers, locations, phones = _customers(created)
    return {
        "technicians": reference["technicians"],
        "employees": reference["employees"],
        "businessUnits": reference["businessUnits"],
        "customers": customers,
        "locations": locations,
        "jobTypes": reference["jobTypes"],
        "campaigns": reference["campaigns"],
        "jobHoldReasons": reference["jobHoldReasons"],
        "jobCancelReasons": reference["jobCancelReasons"],
        "projects": _projects(book, created),
        "jobs": book.jobs,
        "appointments": book.appointments,
        "appointmentAssignments": book.assignments,
        "arrivalWindows": reference["arrivalWindows"],
        "timesheets": book.timesheets,
        "customerPhones": phones,
        "notes": _notes(book.jobs),
        "jobCanceledLogs": _canceled_logs(book.jobs),
        "jobHolds": _job_holds(book.jobs),
    }


def _reference_data(created: str) -> dict[str, list[dict[str, Any]]]:
    """Technicians, office employees, business units, job types, reasons, arrival windows and campaigns."""
    technicians = [
        {
            "id": tid,
            "userId": 1000 + tid,
            "name": name,
            "email": email,
            "loginName": email.split("@")[0],
            "phoneNumber": f"312555{tid:04d}",
            "businessUnitId": bu,
            "team": team,
            "roleIds": [2],
            "dailyGoal": 1500.0,
            "burdenRate": 35.0,
            "isManagedTech": True,
            "active": True,
            "createdOn": created,
            "modifiedOn": created,
        }
        for tid, name, email, bu, team in TECHNICIANS
    ]
    employees = [
        {
            "id": eid,
            "userId": 2000 + eid,
            "name": name,
            "role": role,
            "email": email,
            "loginName": email.split("@")[0],
            "active": True,
            "createdOn": created,
            "modifiedOn": created,
        }
        for eid, name, role, email in EMPLOYEES
    ]
    business_units = [
        {
            "id": bid,
            "name": name,
            "officialName": f"Lakeshore Home Services - {name}",
            "email": "office@example.com",
            "phoneNumber": "3125550100",
            "currency": "USD",
            "active": True,
            "createdOn": created,
            "modifiedOn": created,
        }
        for bid, name in BUSINESS_UNITS
    ]
    job_types = [
        {
            "id": jid,
            "name": name,
            "businessUnitIds": [bu],
            "priority": priority,
            "duration": minutes * 60,
            "class": "Service",
            "summary": f"{name} visit",
            "active": True,
            "createdOn": created,
            "modifiedOn": created,
        }
        for jid, name, bu, minutes, priority in JOB_TYPES
    ]

    def named(rows: list[tuple[int, str, bool]]) -> list[dict[str, Any]]:
        return [
            {"id": i, "name": n, "active": a, "createdOn": created, "modifiedOn": created} for i, n, a in rows
        ]

    arrival_windows = [
        {"id": wid, "start": start, "duration": duration, "businessUnitIds": [11, 12, 13], "active": True}
        for wid, start, duration in ARRIVAL_WINDOWS
    ]
    return {
        "technicians": technicians,
        "employees": employees,
        "businessUnits": business_units,
        "jobTypes": job_types,
        "campaigns": named(CAMPAIGNS),
        "jobHoldReasons": named(HOLD_REASONS),
        "jobCancelReasons": named(CANCEL_REASONS),
        "arrivalWindows": arrival_windows,
    }


def _customers(created: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, list[str]]]:
    """Customers, their one location each, and their phone numbers (keyed by customer id as text)."""
    customers: list[dict[str, Any]] = []
    locations: list[dict[str, Any]] = []
    phones: dict[str, list[str]] = {}
    for index, name in enumerate(CUSTOMER_NAMES):
        customer_id = 201 + index
        city, zip_code, lat, lon = CITIES[index % len(CITIES)]
        address = {
            "street": f"{100 + 37 * index} {STREETS[index % len(STREETS)]}",
            "unit": None,
            "city": city,
            "state": "IL",
            "zip": zip_code,
            "country": "USA",
            "latitude": round(lat + 0.001 * index, 6),
            "longitude": round(lon - 0.001 * index, 6),
        }
        commercial = index >= 25
        customers.append(
            {
                "id": customer_id,
                "name": name,
                "type": "Commercial" if commercial else "Residential",
                "address": address,
                "active": True,
                "createdOn": created,
                "modifiedOn": created,
            }
        )
        locations.append(
            {
                "id": 301 + index,
                "customerId": customer_id,
                "name": name if not commercial else f"{name} - Main",
                "address": dict(address),
                "active": True,
                "createdOn": created,
                "modifiedOn": created,
            }
        )
        phones[str(customer_id)] = [f"(312) 555-{2000 + index:04d}"]
    return customers, locations, phones


class _Booking:
    """The demo's jobs booked one by one on the dispatch board: jobs, visits, assignments, timesheets."""

    def __init__(self, now: datetime, zone: ZoneInfo) -> None:
        self.now = now
        self.zone = zone
        self.rng = random.Random(int(now.replace(minute=0, second=0, microsecond=0).timestamp()))
        self.today_local = now.astimezone(zone).date()
        self.today = self.at(self.today_local, 0)
        self.setup = self.today - timedelta(days=400)
        self.board = _Board()
        self.jobs: list[dict[str, Any]] = []
        self.appointments: list[dict[str, Any]] = []
        self.assignments: list[dict[str, Any]] = []
        self.timesheets: list[int] = []
        self.project_jobs: dict[int, list[int]] = {pid: [] for pid, _, _ in PROJECTS}
        self.next_appointment = 5001
        self.next_assignment = 7001

    def at(self, day: date, hour: int) -> datetime:
        return datetime.combine(day, time(hour), self.zone).astimezone(UTC)

    def job(self, index: int) -> None:
        """Book demo job `1001 + index`: plan it on the board, decide what became of it, add its visits."""
        now = self.now
        job_id = 1001 + index
        customer_index = index % len(CUSTOMER_NAMES)
        job_type = JOB_TYPES[(index * 7) % len(JOB_TYPES)]
        visits = 3 if index % 10 == 3 else 2 if index % 6 == 1 else 1
        first_day, slot, technicians_here = self.board.plan(
            index,
            first_day=self.today_local + timedelta(days=(index % 15) - 7),  # -7 .. +7 days around today
            slot=APPOINTMENT_SLOTS[(index + index // 15) % len(APPOINTMENT_SLOTS)],
            visits=visits,
            business_unit=job_type[2],
            crew=2 if index % 9 == 4 else 1,
        )
        booked = self.at(first_day, 8) - timedelta(days=3 + index % 5, hours=self.rng.randint(0, 8))
        outcome = self._outcome(index, first_day, slot, visits)
        project_id = PROJECTS[index % 5][0] if index % 8 == 0 else None
        if project_id is not None:
            self.project_jobs[project_id].append(job_id)
        for visit in range(visits):
            day = first_day + timedelta(days=visit * 2)
            self._visit(index, job_id, visit, day, slot, outcome, booked, technicians_here)
        last_change = booked
        if outcome == "Completed":
            last_change = min(now, self.at(first_day + timedelta(days=(visits - 1) * 2), slot[1]))
        elif outcome in ("Canceled", "Hold"):
            last_change = min(now, booked + timedelta(days=1))
        self.jobs.append(
            {
                "id": job_id,
                "jobNumber": str(job_id),
                "customerId": 201 + customer_index,
                "locationId": 301 + customer_index,
                "projectId": project_id,
                "jobStatus": outcome,
                "completedOn": _ts(last_change) if outcome == "Completed" else None,
                "businessUnitId": job_type[2],
                "jobTypeId": job_type[0],
                "priority": job_type[4],
                "campaignId": CAMPAIGNS[index % 4][0],
                "summary": f"{job_type[1]} for {CUSTOMER_NAMES[customer_index]}",
                "createdById": 61,
                "createdOn": _ts(booked),
                "modifiedOn": _ts(last_change),
                "total": None,
            }
        )

    def _outcome(self, index: int, first_day: date, slot: tuple[int, int], visits: int) -> str:
        """What happened to the job: most are just planned; the past ones are mostly done."""
        now = self.now
        day_offset = (first_day - self.today_local).days
        if index % 13 == 5:
            return "Canceled"
        if index % 11 == 2 and day_offset >= 0:
            return "Hold"
        if (
            day_offset < 0
            and index % 13 != 7
            or day_offset == 0
            and self.at(first_day, slot[1]) <= now
            and visits == 1
        ):
            return "Completed"
        if day_offset == 0 and self.at(first_day, slot[0]) <= now:
            return "InProgress"
        if day_offset == 0 and self.at(first_day, slot[0]) <= now + timedelta(hours=3):
            return "Dispatched"
        return "Scheduled"

    def _visit(
        self,
        index: int,
        job_id: int,
        visit: int,
        day: date,
        slot: tuple[int, int],
        outcome: str,
        booked: datetime,
        technicians: list[int],
    ) -> None:
        """One appointment of the job, its timesheet if worked, and its technicians' assignments."""
        appointment_id = self.next_appointment
        self.next_appointment += 1
        start = self.at(day, slot[0])
        end = self.at(day, slot[1])
        status = {"Completed": "Done", "Canceled": "Canceled", "Hold": "Hold"}.get(outcome, "Scheduled")
        if outcome == "InProgress" and visit == 0:
            status = "Working"
        elif outcome == "Dispatched" and visit == 0:
            status = "Dispatched"
        self.appointments.append(
            {
                "id": appointment_id,
                "jobId": job_id,
                "appointmentNumber": f"{job_id}-{visit + 1}",
                "start": _ts(start),
                "end": _ts(end),
                "arrivalWindowStart": _ts(start),
                "arrivalWindowEnd": _ts(start + timedelta(hours=2)),
                "status": status,
                "specialInstructions": "Gate code 4412" if index % 7 == 0 and visit == 0 else None,
                "customerId": 201 + index % len(CUSTOMER_NAMES),
                "unused": False,
                "isConfirmed": index % 3 == 0,
                "createdById": 61,
                "createdOn": _ts(booked),
                "modifiedOn": _ts(min(end, self.now) if status in ("Done", "Working") else booked),
            }
        )
        if status in ("Done", "Working") or (index % 17 == 0 and start < self.now):
            self.timesheets.append(appointment_id)
        if outcome == "Scheduled" and index % 10 == 9:
            return  # left unassigned for the dispatcher
        for technician_id in technicians:
            name = next(t[1] for t in TECHNICIANS if t[0] == technician_id)
            self.assignments.append(
                {
                    "id": self.next_assignment,
                    "technicianId": technician_id,
                    "technicianName": name,
                    "assignedById": 61,
                    "assignedOn": _ts(booked),
                    "status": status
                    if status in ("Scheduled", "Dispatched", "Working", "Done")
                    else "Scheduled",
                    "isPaused": False,
                    "jobId": job_id,
                    "appointmentId": appointment_id,
                    "createdOn": _ts(booked),
                    "modifiedOn": _ts(booked),
                    "active": True,
                }
            )
            self.next_assignment += 1


def _projects(book: _Booking, created: str) -> list[dict[str, Any]]:
    """The demo projects, each with the jobs booked into it and its first job's customer."""
    projects = []
    for pid, name, status in PROJECTS:
        job_ids = book.project_jobs[pid]
        first_job = next(j for j in book.jobs if j["id"] == job_ids[0]) if job_ids else None
        customer_id = first_job["customerId"] if first_job else 201
        projects.append(
            {
                "id": pid,
                "number": str(pid),
                "name": name,
                "status": status,
                "customerId": customer_id,
                "locationId": customer_id + 100,
                "projectManagerIds": [62],
                "businessUnitIds": [11 if pid % 2 else 12],
                "startDate": _ts(book.today - timedelta(days=14)),
                "targetCompletionDate": _ts(book.today + timedelta(days=30)),
                "actualCompletionDate": _ts(book.today - timedelta(days=1))
                if status == "Completed"
                else None,
                "jobIds": job_ids,
                "createdOn": created,
                "modifiedOn": created,
            }
        )
    return projects


def _notes(jobs: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """A pinned note on every fourth job, and a note on each canceled one (keyed by job id as text)."""
    notes: dict[str, list[dict[str, Any]]] = {
        str(j["id"]): [
            {
                "text": "Customer prefers a call 30 minutes before arrival.",
                "isPinned": True,
                "createdById": 63,
                "createdOn": j["createdOn"],
                "modifiedOn": j["createdOn"],
            }
        ]
        for j in jobs[::4]
    }
    canceled_notes = {
        str(j["id"]): [
            {
                "text": "Customer called to cancel.",
                "isPinned": False,
                "createdById": 61,
                "createdOn": j["modifiedOn"],
                "modifiedOn": j["modifiedOn"],
            }
        ]
        for j in jobs
        if j["jobStatus"] == "Canceled"
    }
    return {**notes, **{k: notes.get(k, []) + v for k, v in canceled_notes.items()}}


def _canceled_logs(jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One canceled log per canceled job, with a reason and the dispatcher's memo."""
    memos = [
        "Booked twice by phone",
        "Customer fixed it themselves",
        "Chose another company",
        "Quote too high",
    ]
    return [
        {
            "id": 1 + n,
            "jobId": j["id"],
            "reasonId": CANCEL_REASONS[n % 4][0],
            "memo": memos[n % 4],
            "createdById": 61,
            "createdOn": j["modifiedOn"],
            "active": True,
        }
        for n, j in enumerate(j for j in jobs if j["jobStatus"] == "Canceled")
    ]


def _job_holds(jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Why each held job is on hold: `[{jobId, reasonId, memo}]`."""
    return [
        {
            "jobId": j["id"],
            "reasonId": HOLD_WORDS[n % len(HOLD_WORDS)][0],
            "memo": HOLD_WORDS[n % len(HOLD_WORDS)][1],
        }
        for n, j in enumerate(j for j in jobs if j["jobStatus"] == "Hold")
    ]
