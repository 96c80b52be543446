"""Oversized text is cut to what its destination takes, and the card says so (issue 13)."""

from __future__ import annotations

from bot.dialog.service import MAX_USER_TEXT
from bot.slack.blocks import ACTION_CONFIRM, MAX_TEXT
from tests.slack.harness import DANA, block_text, posted_card, world


async def test_a_100_kb_note_is_cut_the_card_says_so_and_servicetitan_gets_the_cut_text() -> None:
    async with world() as w:
        words = "gate code 1234, dog in yard. " * 3500  # ~100 KB
        await w.bot.dm(DANA, f"add note to job 1009: {words}")
        card = await posted_card(w, 1)
        shown = block_text(card)
        assert f"I read only the first {MAX_USER_TEXT:,}" in shown
        for block in card["blocks"]:
            text = (block.get("text") or {}).get("text", "")
            assert len(text) <= MAX_TEXT
        await w.bot.click(DANA, card, ACTION_CONFIRM)
        await w.fake.wait_for(lambda: w.sim.state.notes.get(1009), what="the note")
        (note,) = [n for n in w.sim.state.notes[1009] if "gate code 1234" in n["text"]]
        assert 0 < len(note["text"]) <= MAX_USER_TEXT
        assert note["text"] in words


async def test_a_short_note_is_not_said_to_be_cut() -> None:
    async with world() as w:
        await w.bot.dm(DANA, "add note to job 1009: gate code 1234")
        card = await posted_card(w, 1)
        assert "I read only the first" not in block_text(card)
