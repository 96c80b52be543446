"""The console loop against a small fake dialog: typing, pressing numbers, pickers, errors, pipes."""

from __future__ import annotations

import asyncio
import io
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.demo.console import Console, DemoError, DemoUser, Staff, converse, parse_picked, pick_user
from bot.dialog.messages import (
    Asker,
    Button,
    ConversationKey,
    Event,
    PickedDate,
    Pressed,
    Reply,
    Said,
)
from bot.roles import StaffMember
from bot.slack.blocks import event_from_action, render

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=ZoneInfo("America/Chicago"))
ASKER = Asker(user_id="U1", tz="America/Chicago", name="Dana Reyes")
KEY = ConversationKey(team="T", channel="D", thread="", user="U1")


class FakeDialog:
    """Records events; answers a card with two buttons and a date picker, or plain text."""

    def __init__(self, *, fail_on: str | None = None) -> None:
        self.events: list[Event] = []
        self.fail_on = fail_on

    async def handle(self, key: ConversationKey, asker: Asker, event: Event) -> list[Reply]:
        self.events.append(event)
        if isinstance(event, Said) and event.text == self.fail_on:
            raise RuntimeError("boom")
        if isinstance(event, Said) and event.text.startswith("move"):
            from bot.dialog.messages import DateEdit

            return [
                Reply(
                    kind="confirm",
                    text="Move job 1003 to Friday?",
                    token="t1",
                    buttons=[
                        Button(action="confirm", label="Move", style="primary"),
                        Button(action="abandon", label="Cancel"),
                    ],
                    date_edit=DateEdit(date=date(2026, 11, 27), time=time(9, 0)),
                )
            ]
        return [Reply(text=f"got {event.kind}")]

    async def home(self, asker: Asker) -> Reply:
        return Reply(text="home")


def clock() -> datetime:
    return NOW


def make_console(dialog: FakeDialog) -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    console = Console(
        dialog=dialog, asker=ASKER, key=KEY, out=out, render=render, decode=event_from_action, clock=clock
    )
    return console, out


async def test_typing_a_number_presses_that_button() -> None:
    dialog = FakeDialog()
    console, out = make_console(dialog)
    await console.line("move job 1003 to friday")
    assert (
        "  [1] Move   [2] Cancel\n  [3] Pick a date (now 2026-11-27): type 3 YYYY-MM-DD\n" in out.getvalue()
    )
    await console.line("1")
    assert dialog.events[-1] == Pressed(action="confirm", value="", token="t1")
    assert "got pressed" in out.getvalue()


async def test_numbers_only_press_the_latest_turns_controls() -> None:
    dialog = FakeDialog()
    console, _ = make_console(dialog)
    await console.line("move job 1003 to friday")
    await console.line("hello")  # a reply without controls: earlier buttons are gone
    await console.line("2")
    assert dialog.events[-1] == Said(text="2")
    await console.line("move job 1003 to friday")
    await console.line("9")  # not a shown number: sent as text
    assert dialog.events[-1] == Said(text="9")


async def test_date_picker_takes_the_date_on_the_same_or_the_next_line() -> None:
    dialog = FakeDialog()
    console, out = make_console(dialog)
    await console.line("move job 1003 to friday")
    assert "[3] Pick a date (now 2026-11-27): type 3 YYYY-MM-DD" in out.getvalue()
    await console.line("3 2026-11-30")
    # As in Slack, the other picker's shown value comes along (state.values): the time is kept.
    assert dialog.events[-1] == PickedDate(date=date(2026, 11, 30), time=time(9, 0), token="t1")

    await console.line("move job 1003 to friday")
    await console.line("3")
    assert "Type the new date (YYYY-MM-DD):" in out.getvalue()
    await console.line("2026-12-02")
    assert dialog.events[-1] == PickedDate(date=date(2026, 12, 2), time=time(9, 0), token="t1")

    await console.line("move job 1003 to friday")
    count = len(dialog.events)
    await console.line("3")
    await console.line("")  # nothing typed: no change, and numbers are numbers again
    assert len(dialog.events) == count
    assert "(nothing typed: the date was left as it was)" in out.getvalue()
    await console.line("3 monday")
    assert dialog.events[-1] == PickedDate(date=date(2026, 11, 30), time=time(9, 0), token="t1")

    await console.line("move job 1003 to friday")
    assert "[4] Pick a time (now 09:00): type 4 HH:MM" in out.getvalue()
    await console.line("4 14:30")
    assert dialog.events[-1] == PickedDate(date=date(2026, 11, 27), time=time(14, 30), token="t1")


async def test_a_bad_date_is_refused_without_calling_the_dialog() -> None:
    dialog = FakeDialog()
    console, out = make_console(dialog)
    await console.line("move job 1003 to friday")
    count = len(dialog.events)
    await console.line("3 someday, maybe")
    assert len(dialog.events) == count
    assert "is not a date; type 3 2026-12-01" in out.getvalue()


async def test_a_failing_turn_apologises_and_the_conversation_goes_on() -> None:
    dialog = FakeDialog(fail_on="explode")
    console, out = make_console(dialog)
    await console.line("explode")
    assert "Sorry, something went wrong (ref " in out.getvalue()
    await console.line("hello")
    assert out.getvalue().rstrip().endswith("got said")


async def test_quit_ends_and_blank_lines_are_ignored() -> None:
    dialog = FakeDialog()
    console, _ = make_console(dialog)
    assert await console.line("   ") is True
    assert dialog.events == []
    assert await console.line("quit") is False


def test_piped_input_is_echoed_and_ends_at_end_of_input() -> None:
    dialog = FakeDialog()
    console, out = make_console(dialog)
    stdin = io.StringIO("move job 1003 to friday\n1\n")
    with asyncio.Runner() as runner:
        converse(runner, console, stdin, interactive=False)
    transcript = out.getvalue()
    assert transcript.startswith("> move job 1003 to friday\n  Move job 1003 to Friday?\n")
    assert "> 1\n  got pressed\n" in transcript
    assert [type(event) for event in dialog.events] == [Said, Pressed]


def test_picked_values_in_picker_format() -> None:
    # Words work too, read as the bot reads them (NOW is Tuesday 2026-11-24).
    assert parse_picked("date", "friday", now=NOW, tz="America/Chicago") == "2026-11-27"
    assert parse_picked("time", "2pm", now=NOW, tz="America/Chicago") == "14:00"
    assert parse_picked("date", "whenever", now=NOW, tz="America/Chicago") is None
    assert parse_picked("date", " 2026-12-01 ", now=NOW, tz="America/Chicago") == "2026-12-01"
    assert parse_picked("time", "9:05", now=NOW, tz="America/Chicago") == "09:05"
    assert parse_picked("time", "25:00", now=NOW, tz="America/Chicago") is None
    assert parse_picked("date", "2026-02-30", now=NOW, tz="America/Chicago") is None
    assert parse_picked("time", "14:30", now=NOW, tz="America/Chicago") == "14:30"


MORGAN = StaffMember(id=62, name="Morgan Blake", email="morgan@example.com", role="FieldManager")
DANA = StaffMember(id=61, name="Dana Reyes", email="dana@example.com", role="Dispatcher")
CARTER = StaffMember(id=41, name="Mike Carter", email="mike.carter@example.com")
CHEN = StaffMember(id=42, name="Mike Chen", email="mike.chen@example.com")
CARTER_EMPLOYEE = StaffMember(id=63, name="Mike Carter", email="mike.carter@example.com", role="Technician")
STAFF = Staff(employees=[DANA, MORGAN, CARTER_EMPLOYEE], technicians=[CARTER, CHEN])


def test_demo_users_are_office_staff_and_technicians() -> None:
    assert [(user.name, user.st_role) for user in STAFF.users] == [
        ("Dana Reyes", "Dispatcher"),
        ("Morgan Blake", "FieldManager"),
        ("Mike Carter", "Technician"),
        ("Mike Chen", "Technician"),
    ]


def test_pick_user_defaults_to_a_dispatcher_and_matches_names() -> None:
    users = STAFF.users
    assert pick_user(users, None).name == "Dana Reyes"
    assert pick_user(users, "morgan blake").name == "Morgan Blake"
    assert pick_user(users, "dana@example.com").name == "Dana Reyes"
    assert pick_user(users, "Morgan").name == "Morgan Blake"
    assert pick_user(users, "carter").technician_id == 41


def test_askers_are_resolved_as_the_slack_app_resolves_them() -> None:
    users = {user.name: user for user in STAFF.users}
    dana = STAFF.asker(users["Dana Reyes"], "America/Chicago")
    assert (dana.role, dana.technician_id, dana.tz, dana.name) == (
        "dispatcher",
        None,
        "America/Chicago",
        "Dana Reyes",
    )
    assert STAFF.asker(users["Morgan Blake"], "America/Chicago").role == "manager"
    carter = STAFF.asker(users["Mike Carter"], "America/Denver")
    assert (carter.role, carter.technician_id, carter.tz) == ("technician", 41, "America/Denver")


def test_pick_user_explains_ambiguous_and_unknown_names() -> None:
    users = STAFF.users
    with pytest.raises(DemoError, match="matches several people: Mike Carter"):
        pick_user(users, "mike")
    with pytest.raises(DemoError, match="no demo user matches --user 'Zed'.*Dana Reyes"):
        pick_user(users, "Zed")
    without_dispatchers = [u for u in users if u.st_role != "Dispatcher"]
    with pytest.raises(DemoError, match="no dispatcher"):
        pick_user(without_dispatchers, None)  # only a manager and technicians
    csr = DemoUser(name="Chris Howard", email="chris@example.com", st_role="CSR", employee_id=63)
    assert pick_user([*without_dispatchers, csr], None) == csr
