"""An empty list shows its title once (as the header) and says in words that nothing was found."""

from __future__ import annotations

from bot.demo.drawing import draw_message
from bot.dialog.reads.registry import first_page, nothing_found
from bot.slack.blocks import render


def test_an_empty_list_is_drawn_with_its_title_once() -> None:
    reply, _ = first_page({"title": "Jobs on hold for Derek Nguyen (0)", "rows": []}, token="t", tz="UTC")
    drawn = draw_message(render(reply)).lines
    assert sum("Jobs on hold for Derek Nguyen (0)" in line for line in drawn) == 1
    assert any(line.strip() == "No jobs on hold for Derek Nguyen." for line in drawn)


def test_nothing_found_keeps_a_name_that_starts_the_title() -> None:
    assert nothing_found("Unassigned jobs this week (0)") == "No unassigned jobs this week."
    assert nothing_found("HVAC jobs (0)") == "No HVAC jobs."
    assert nothing_found("") == "Nothing found."
