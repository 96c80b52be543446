"""The console demo in process, shared by the demo tests: the `demo` fixture (a session on a running clock
from a fixed Tuesday morning) and the helpers that read its transcript."""

from __future__ import annotations

import asyncio
import io
import re
import time as clock_time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.config import load_settings
from bot.demo.console import DemoWorld, converse, open_demo
from bot.dialog.messages import Pressed
from bot.slack.blocks import event_from_action

TZ = "America/Chicago"
ZONE = ZoneInfo(TZ)
# A Tuesday, 9:00 in Chicago. The clock runs on from there, so the simulator's rate limit sees time pass.
START = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


def running_clock() -> Callable[[], datetime]:
    origin = clock_time.monotonic()
    return lambda: START + timedelta(seconds=clock_time.monotonic() - origin)


class Demo:
    """One demo session in process: type a script, read the transcript, inspect the simulator."""

    def __init__(self, runner: asyncio.Runner, world: DemoWorld, clock: Callable[[], datetime]) -> None:
        self.runner = runner
        self.world = world
        self.clock = clock
        self.state = world.simulator.state
        self.out = io.StringIO()
        self.console = world.console(self.out, clock=clock)

    def type(self, *lines: str) -> str:
        """Type the lines as piped input and return what the demo printed for them."""
        start = len(self.out.getvalue())
        stdin = io.StringIO("".join(line + "\n" for line in lines))
        converse(self.runner, self.console, stdin, interactive=False)
        return self.out.getvalue()[start:]

    # ---- the simulator's data ----------------------------------------------------------------

    def appointments(self, job_id: int) -> list[dict[str, Any]]:
        return self.state.job_appointments(job_id)

    def technician_ids(self, job_id: int) -> set[int]:
        return {
            assignment["technicianId"]
            for appointment in self.appointments(job_id)
            for assignment in self.state.active_assignments(appointment["id"])
        }

    def button(self, action: str) -> str:
        """The number the console shows for the button of that dialog action (confirm, abandon, ...)."""
        found = []
        for number, control in self.console.controls.items():
            event = event_from_action(control.action, None)
            if isinstance(event, Pressed) and event.action == action:
                found.append(str(number))
        assert len(found) == 1, f"no single {action} button among {self.console.controls}"
        return found[0]

    def technician_id(self, name: str) -> int:
        return next(t["id"] for t in self.state.technicians.values() if t["name"] == name)

    def reschedulable_job(self, *, skip: tuple[int, ...] = ()) -> tuple[int, dict[str, Any]]:
        """A scheduled job with exactly one appointment, in the future."""
        now = self.clock()
        for job_id, job in sorted(self.state.jobs.items()):
            appointments = self.appointments(job_id)
            if (
                job_id not in skip
                and job["jobStatus"] == "Scheduled"
                and len(appointments) == 1
                and appointments[0]["start"] > now + timedelta(hours=2)
            ):
                return job_id, appointments[0]
        raise AssertionError("the demo data has no reschedulable job")


@pytest.fixture
def demo() -> Iterator[Demo]:
    clock = running_clock()
    settings = load_settings(st_timezone=TZ, _env_file=None)
    with asyncio.Runner() as runner:
        world = runner.run(open_demo(settings, clock=clock))
        try:
            yield Demo(runner, world, clock)
        finally:
            runner.run(world.aclose())


def number_of(transcript: str, label: str) -> str:
    """The number shown beside a control whose label starts with `label` (the last one shown)."""
    found = re.findall(rf"\[(\d+)\] {re.escape(label)}", transcript)
    assert found, f"no control {label!r} in:\n{transcript}"
    return found[-1]
