"""A technician's "next job" that is on hold: said so, with the next visit that is not on hold beside it
(the one they will really go to). End to end on the simulator and real Redis."""

from __future__ import annotations

from bot.dialog.messages import Asker
from tests.dialog.conftest import TZ, Harness, reply_text

JAMES = Asker(user_id="U44", tz=TZ, role="technician", name="James Wilson", technician_id=44)


async def test_a_held_next_visit_is_said_with_the_next_one_not_on_hold(harness: Harness) -> None:
    # James Wilson: job 1008 on Wed Nov 25 9 AM, then job 1006 (on hold) on Thu Nov 26 1 PM; with 1008's
    # visit on hold too, every visit he has is on hold
    harness.sim.state.appointments[5009]["status"] = "Hold"
    replies = await harness.say("whats my next scheduled job", asker=JAMES)
    text = reply_text(replies[-1])
    assert "job 1008" in text and "Job 1008 is on hold" in text, text
    assert "none after it is off hold" in text, text


async def test_the_next_visit_not_on_hold_is_named(harness: Harness) -> None:
    harness.clock.advance(30 * 60)  # Wednesday 3 PM: James's next visit is job 1006's (Thu), on hold
    await harness.client.assign_technicians(5008, [44])  # and after it, job 1007's Friday visit
    replies = await harness.say("next job?", asker=JAMES)
    text = reply_text(replies[-1])
    assert "Job 1006 is on hold" in text, text
    assert "your next visit not on hold is job 1007, Fri Nov 27" in text, text
    replies = await harness.say("the second one", asker=JAMES)
    assert "1007" in reply_text(replies[-1]), reply_text(replies[-1])
