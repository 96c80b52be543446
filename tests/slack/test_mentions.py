"""Mentions in a message cost users.info calls only for what the request needs (issue 13).

A DM with thousands of distinct `<@U…>` used to make one users.info call each, so Slack's rate limit then
held up everyone's next request. Only a mention in a technician slot (or a short answer naming someone)
is looked up, at most a few per message, and the answers are cached.
"""

from __future__ import annotations

from bot.dialog.service import MAX_MENTION_LOOKUPS
from tests.slack.harness import DANA, World, block_text, posted_card, world


def _looked_up(w: World, prefix: str) -> list[str]:
    return [c.params["user"] for c in w.fake.attempts("users.info") if c.params["user"].startswith(prefix)]


async def test_a_message_full_of_mentions_looks_none_of_them_up() -> None:
    async with world() as w:
        crowd = " ".join(f"<@U9{i:05d}>" for i in range(2000))
        await w.bot.dm(DANA, f"add note to job 1009: {crowd}")
        card = await posted_card(w, 1)
        assert "1009" in block_text(card)
        assert _looked_up(w, "U9") == []


async def test_only_a_few_mentions_of_a_technician_slot_are_looked_up_and_cached() -> None:
    async with world() as w:
        w.fake.add_user("U0SARAH", name="Sarah Lopez", email="sarah.lopez@example.com")
        crowd = " ".join(f"<@U9{i:05d}>" for i in range(50))
        await w.bot.dm(DANA, f"assign <@U0SARAH> to job 1009 {crowd}")
        await posted_card(w, 1)
        assert len(_looked_up(w, "U")) <= MAX_MENTION_LOOKUPS + 1  # + Dana herself
        await w.bot.dm(DANA, "assign <@U0SARAH> to job 1009", thread_ts="1.0")
        card = await posted_card(w, 2)
        assert "Assign Sarah Lopez to job 1009?" in block_text(card)
        assert _looked_up(w, "U0SARAH") == ["U0SARAH"]  # cached


async def test_a_mention_answering_which_technician_is_looked_up() -> None:
    async with world() as w:
        w.fake.add_user("U0SARAH", name="Sarah Lopez", email="sarah.lopez@example.com")
        await w.bot.dm(DANA, "assign a technician to job 1009")
        await posted_card(w, 1)
        await w.bot.dm(DANA, "<@U0SARAH>")
        card = await posted_card(w, 2)
        assert "Sarah Lopez" in block_text(card)
