"""The console loop against a small fake dialog: typing, pressing numbers, pickers, errors, pipes."""

from __future__ import annotations

import asyncio
import io
from datetime import date, time
from typing import Any

import pytest

from bot.demo.console import (
    Console,
    DemoError,
    DemoUser,
    _converse,
    decode_action,
    parse_picked,
    pick_user,
)
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

ASKER = Asker(user_id="U1", tz="America/Chicago", name="Dana Reyes")
KEY = ConversationKey(team="T", channel="D", thread="", user="U1")


def fake_render(reply: Reply) -> dict[str, Any]:
    """A tiny stand-in for bot.slack.blocks.render: text section, buttons, and a date picker."""
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": reply.text}}]
    elements: list[dict[str, Any]] = [
        {
            "type": "button",
            "action_id": button.action,
            "text": {"type": "plain_text", "text": button.label},
            "value": f"{reply.token}|{button.value}",
        }
        for button in reply.buttons
    ]
    if reply.date_edit:
        elements.append(
            {"type": "datepicker", "action_id": "pick_date", "initial_date": reply.date_edit.date.isoformat()}
        )
    if elements:
        blocks.append({"type": "actions", "block_id": f"card:{reply.token}", "elements": elements})
    return {"text": reply.text, "blocks": blocks}


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
                    date_edit=DateEdit(date=date(2026, 11, 27)),
                )
            ]
        return [Reply(text=f"got {event.kind}")]

    async def home(self, asker: Asker) -> Reply:
        return Reply(text="home")


def make_console(dialog: FakeDialog) -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    console = Console(dialog=dialog, asker=ASKER, key=KEY, out=out, render=fake_render, decode=decode_action)
    return console, out


async def test_typing_a_number_presses_that_button() -> None:
    dialog = FakeDialog()
    console, out = make_console(dialog)
    await console.line("move job 1003 to friday")
    assert "  [1] Move   [2] Cancel" in out.getvalue()
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
    assert dialog.events[-1] == PickedDate(date=date(2026, 11, 30), token="t1")

    await console.line("move job 1003 to friday")
    await console.line("3")
    assert "Type the new date (YYYY-MM-DD):" in out.getvalue()
    await console.line("2026-12-02")
    assert dialog.events[-1] == PickedDate(date=date(2026, 12, 2), token="t1")


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
        _converse(runner, console, stdin, interactive=False)
    transcript = out.getvalue()
    assert transcript.startswith("> move job 1003 to friday\n  Move job 1003 to Friday?\n")
    assert "> 1\n  got pressed\n" in transcript
    assert [type(event) for event in dialog.events] == [Said, Pressed]


def test_fallback_decoder_reads_action_ids_and_values() -> None:
    assert decode_action({"type": "button", "action_id": "stbot.confirm", "value": "tok|x"}) == Pressed(
        action="confirm", value="x", token="tok"
    )
    assert decode_action(
        {"type": "button", "action_id": "b", "value": '{"action": "undo", "value": "7", "token": "t"}'}
    ) == Pressed(action="undo", value="7", token="t")
    assert decode_action(
        {"type": "static_select", "action_id": "pick", "selected_option": {"value": "41"}, "block_id": "c:t5"}
    ) == Pressed(action="choose", value="41", token="t5")
    assert decode_action(
        {"type": "timepicker", "action_id": "t", "block_id": "x:t2", "selected_time": "14:30"}
    ) == PickedDate(time=time(14, 30), token="t2")
    assert decode_action({"type": "button", "action_id": "nothing"}) is None


def test_picked_values_in_picker_format() -> None:
    assert parse_picked("date", " 2026-12-01 ", tz="America/Chicago") == "2026-12-01"
    assert parse_picked("time", "9:05", tz="America/Chicago") == "09:05"
    assert parse_picked("time", "25:00", tz="America/Chicago") is None
    assert parse_picked("date", "2026-02-30", tz="America/Chicago") is None
    assert parse_picked("time", "14:30", tz="America/Chicago") == "14:30"


USERS = [
    DemoUser(name="Morgan Blake", role="manager", employee_id=62, st_role="FieldManager"),
    DemoUser(
        name="Dana Reyes", role="dispatcher", employee_id=61, st_role="Dispatcher", email="dana@example.com"
    ),
    DemoUser(name="Mike Carter", role="technician", technician_id=41, email="mike.carter@example.com"),
    DemoUser(name="Mike Chen", role="technician", technician_id=42),
]


def test_pick_user_defaults_to_a_dispatcher_and_matches_names() -> None:
    assert pick_user(USERS, None).name == "Dana Reyes"
    assert pick_user(USERS, "morgan blake").role == "manager"
    assert pick_user(USERS, "dana@example.com").name == "Dana Reyes"
    assert pick_user(USERS, "Morgan").name == "Morgan Blake"
    assert pick_user(USERS, "carter").technician_id == 41
    carter = pick_user(USERS, "Mike Carter").asker("America/Chicago")
    assert (carter.role, carter.technician_id, carter.tz) == ("technician", 41, "America/Chicago")


def test_pick_user_explains_ambiguous_and_unknown_names() -> None:
    with pytest.raises(DemoError, match="matches several people: Mike Carter"):
        pick_user(USERS, "mike")
    with pytest.raises(DemoError, match="no demo user matches --user 'Zed'.*Dana Reyes"):
        pick_user(USERS, "Zed")
