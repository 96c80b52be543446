"""Every write the bot attempts leaves an audit record, and the card of its outcome says so (issue 13)."""

from __future__ import annotations

import json

from bot.slack.blocks import ACTION_CONFIRM
from tests.slack.harness import DANA, block_text, posted_card, world


async def test_a_confirmed_write_is_recorded_with_who_what_before_after_and_the_answer() -> None:
    async with world() as w:
        await w.bot.dm(DANA, "reschedule job 1009 to friday 2pm")
        card = await posted_card(w, 1)
        await w.bot.click(DANA, card, ACTION_CONFIRM)
        await w.fake.wait_for(lambda: "Done" in block_text(w.card(card["ts"])), what="done")
        ((entry_id, fields),) = await w.dialog.audit.entries()
        assert fields["slack_user"] == DANA and fields["name"] == "Dana Reyes"
        assert fields["op"] == "reschedule_appointment" and fields["outcome"] == "done"
        assert json.loads(fields["args"])["appointment_id"] == 5013
        changes = json.loads(fields["changes"])
        assert any("Friday, November 27, 2026" in after for _, _, after in changes)
        assert f"Recorded in the audit log as {entry_id} (done)." in block_text(w.card(card["ts"]))
