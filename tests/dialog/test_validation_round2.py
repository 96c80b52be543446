"""Second-round validation fixes, end to end on the simulator and real Redis: refusals ServiceTitan would
make are explained in plain words, and a card or an undo never overwrites what another dispatcher changed
since it was shown (two conversations, a moved clock)."""

from __future__ import annotations

from bot.dialog.messages import Pressed, Reply
from tests.dialog.conftest import Harness


def _card(replies: list[Reply]) -> Reply:
    cards = [r for r in replies if r.kind == "confirm"]
    assert cards, [r.text for r in replies]
    return cards[-1]


async def test_a_delete_refused_for_timesheets_is_explained_in_plain_words(harness: Harness) -> None:
    card = _card(await harness.say("delete appointment 5003"))
    harness.sim.state.timesheets.add(5003)  # no timesheet read in our APIs: only the press finds out

    refused = await harness.handle(Pressed(action="confirm", token=card.token))

    assert harness.sim.write_count == 0
    assert "an appointment with timesheets, or one that has started, can't be deleted" in refused[-1].text
    assert "doesn't allow deletion" not in refused[-1].text
