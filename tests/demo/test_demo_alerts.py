"""The console demo shows managers' alerts: a hold or cancel confirmed in the demo is drawn, after the
turn's replies, as the alert card a manager gets in Slack (bot/demo/alerts.py), with working buttons."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from bot.config import load_settings
from bot.demo.console import open_demo
from tests.demo.conftest import TZ, Demo, running_clock

CAPTION = "🔔 Alert in the managers' alert channel, as Morgan Blake (manager) sees it:"


def open_session(user: str | None) -> Iterator[Demo]:
    clock = running_clock()
    settings = load_settings(st_timezone=TZ, _env_file=None)
    with asyncio.Runner() as runner:
        world = runner.run(open_demo(settings, clock=clock, user=user))
        try:
            yield Demo(runner, world, clock)
        finally:
            runner.run(world.aclose())


@pytest.fixture
def dispatcher() -> Iterator[Demo]:
    yield from open_session(None)


@pytest.fixture
def manager() -> Iterator[Demo]:
    yield from open_session("Morgan Blake")


def after(caption: str, text: str) -> list[str]:
    """The drawn lines of the alert that follows the caption."""
    lines = text.split("\n")
    start = lines.index("  " + caption) + 1
    end = next((i for i in range(start, len(lines)) if not lines[i].strip()), len(lines))
    return [line.strip() for line in lines[start:end]]


def test_a_hold_confirmed_by_the_dispatcher_is_drawn_as_the_managers_alert(dispatcher: Demo) -> None:
    demo = dispatcher
    card = demo.type("put job 1011 on hold, waiting for parts: compressor on backorder")
    assert "🔔" not in card  # nothing changed yet: no alert
    done = demo.type(demo.button("confirm"))
    assert demo.state.jobs[1011]["jobStatus"] == "Hold"
    assert done.index("Done.") < done.index(CAPTION)  # the turn's own reply first, then the alert
    alert = after(CAPTION, done)
    assert alert[0] == "Job 1011 put on hold"
    (reason,) = [line for line in alert if line.startswith("Reason: ")]
    assert reason.startswith("Reason: Waiting for parts — “") and "compressor on backorder”" in reason
    assert "By: @Dana Reyes" in alert  # the Slack user who confirmed it, by name (no internal id)
    assert "Customer: Elizabeth Clark" in alert
    assert any(line.startswith("When: ") for line in alert)
    assert "[1] Undo" in done.split(CAPTION)[0]  # the hold's own card: its undo comes first
    assert "[2] Show job   [3] Remove hold" in alert
    assert "UDEMO" not in done
    assert "🔔" not in demo.type("help")  # shown once: the next turn has no alert again


def test_a_cancel_by_the_manager_names_them_and_its_buttons_work(manager: Demo) -> None:
    demo = manager
    demo.type("cancel job 1012, customer canceled")
    done = demo.type(demo.button("confirm"))
    assert demo.state.jobs[1012]["jobStatus"] == "Canceled"
    alert = after(CAPTION, done)
    assert alert[0] == "Job 1012 canceled" and "By: @Morgan Blake" in alert, alert
    assert any(line.startswith("Reason: Customer canceled") for line in alert), alert
    uncancel = next(n for n, c in demo.console.controls.items() if c.label == "Un-cancel")
    confirm = demo.type(str(uncancel))  # the alert's button starts the usual confirmation card
    assert demo.state.jobs[1012]["jobStatus"] == "Canceled"  # nothing written before confirming
    assert "Canceled →" in confirm, confirm
    confirmed = demo.type(demo.button("confirm"))
    assert demo.state.jobs[1012]["jobStatus"] != "Canceled"
    assert "🔔" not in confirmed  # taking a cancel back is a change, but no hold or cancel: no alert


def test_the_alerts_show_job_button_shows_the_job(dispatcher: Demo) -> None:
    demo = dispatcher
    demo.type("cancel job 1012, customer canceled")
    demo.type(demo.button("confirm"))
    show = next(n for n, c in demo.console.controls.items() if c.label == "Show job")
    shown = demo.type(str(show))
    assert "Job 1012 · Furnace Maintenance · Canceled" in shown, shown


def test_a_change_that_is_no_hold_or_cancel_gives_no_alert(dispatcher: Demo) -> None:
    demo = dispatcher
    job_id, _ = demo.reschedulable_job(skip=(1011, 1012))
    demo.type(f"reschedule job {job_id} to a week from today")
    done = demo.type(demo.button("confirm"))
    assert "Done." in done and "🔔" not in done


def test_an_earlier_alerts_buttons_still_work_turns_later_as_in_slack(manager: Demo) -> None:
    """The tester's session: the alert's *Un-cancel* pressed two turns after the alert was drawn."""
    demo = manager
    demo.type("cancel 1047, customer changed their mind, moving out of state")  # Customer canceled: its card
    done = demo.type(demo.button("confirm"))
    assert demo.state.jobs[1047]["jobStatus"] == "Canceled"
    alert = after(CAPTION, done)
    (buttons,) = [line for line in alert if "Un-cancel" in line]
    uncancel = buttons.split("[")[-1].split("]")[0]  # the number drawn on the alert card
    show = buttons.split("[")[1].split("]")[0]
    shown = demo.type(show)
    assert "Job 1047 · Water Heater Install · Canceled" in shown, shown
    assert (
        "Why canceled: Customer canceled — “customer changed their mind, moving out of state” (by @Morgan Blake, "
        in shown
    ), shown
    listed = demo.type("canceled jobs this week")
    assert f"[{uncancel}]" not in listed  # the alert's numbers are not given to later controls
    confirm = demo.type(uncancel)
    assert "Nothing is waiting" not in confirm, confirm
    assert "Canceled →" in confirm, confirm  # the usual confirmation card of taking the cancel back
    assert demo.state.jobs[1047]["jobStatus"] == "Canceled"  # nothing written before confirming
    demo.type(demo.button("confirm"))
    assert demo.state.jobs[1047]["jobStatus"] != "Canceled"


def test_a_new_cards_numbers_come_first_and_the_alerts_other_buttons_stay(manager: Demo) -> None:
    """A confirmation card drawn after an alert numbers its buttons from 1 as always ("1" confirms); a number
    it draws means its button now, and the alert's buttons under other numbers still work."""
    demo = manager
    demo.type("cancel job 1012, customer canceled")
    demo.type(demo.button("confirm"))
    alert = {c.label: n for n, c in demo.console.controls.items() if c.label in ("Show job", "Un-cancel")}
    assert sorted(alert.values()) == [2, 3], demo.console.controls
    card = demo.type("add a note to 1009: gate code 4411")
    assert "[1] " in card and demo.button("confirm") == "1", card
    drawn = {n for n, c in demo.console.controls.items() if c.label not in ("Show job", "Un-cancel")}
    for label, number in alert.items():
        if number not in drawn:
            assert demo.console.controls[number].label == label  # still the alert's button
    assert any(number not in drawn for number in alert.values()), card
