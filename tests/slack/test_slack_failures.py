"""Slack failing on purpose (the fake answers 5xx or 429): no reply is lost (issue 13)."""

from __future__ import annotations

from bot.slack.blocks import ACTION_CONFIRM
from tests.slack.harness import DANA, block_text, posted_card, world


async def test_one_500_on_post_message_is_retried_and_the_reply_arrives() -> None:
    async with world() as w:
        w.fake.fail_next("chat.postMessage", status=500)
        await w.bot.dm(DANA, "show job 1009")
        answer = await posted_card(w, 1)
        assert "1009" in block_text(answer)
        assert [c.status for c in w.fake.attempts("chat.postMessage")] == [500, 200]


async def test_502_and_504_are_retried_too() -> None:
    async with world() as w:
        w.fake.fail_next("chat.postMessage", status=502, error="bad_gateway")
        w.fake.fail_next("chat.postMessage", status=504, error="gateway_timeout")
        await w.bot.dm(DANA, "show job 1009")
        assert "Job 1009" in block_text(await posted_card(w, 1))
        assert [c.status for c in w.fake.attempts("chat.postMessage")] == [502, 504, 200]


async def test_five_429s_in_a_row_still_deliver_the_reply() -> None:
    async with world() as w:
        w.fake.rate_limit("chat.postMessage", times=5, retry_after=0)
        await w.bot.dm(DANA, "show job 1009")
        assert "Job 1009" in block_text(await posted_card(w, 1))
        assert [c.status for c in w.fake.attempts("chat.postMessage")] == [429] * 5 + [200]


async def test_when_the_done_update_fails_the_result_is_posted_as_a_new_message() -> None:
    async with world() as w:
        await w.bot.dm(DANA, "reschedule job 1009 to friday 2pm")
        card = await posted_card(w, 1)
        w.fake.fail("chat.update", "internal_error", status=500)
        await w.bot.click(DANA, card, ACTION_CONFIRM)
        done = await posted_card(w, 2)
        assert "Done" in done["text"]
        assert w.sim.write_count == 1
        assert len(w.fake.attempts("chat.update")) > 1  # retried before giving up on it
        assert not [m for m in w.fake.posted() if "Reference:" in (m.get("text") or "")]  # no apology
