"""Slack failing on purpose (the fake answers 5xx or 429): no reply is lost (issue 13)."""

from __future__ import annotations

from typing import Any

from bot.slack.blocks import ACTION_CONFIRM
from tests.slack.harness import DANA, World, block_text, posted_card, world


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


def _shown_with(w: World, text: str) -> list[dict[str, Any]]:
    """Every message the user can see in Slack (whatever the API answered) that has `text`."""
    return [m for m in w.fake.messages.values() if text in block_text(m)]


async def test_a_500_after_slack_posted_does_not_post_the_reply_twice() -> None:
    async with world() as w:
        w.fake.fail_after_work("chat.postMessage", status=500)
        await w.bot.dm(DANA, "show job 1009")
        await w.fake.wait_for(lambda: w.fake.of("conversations.history"), what="the look back")
        await w.fake.wait_for(lambda: _shown_with(w, "Job 1009"), what="the reply")
        assert len(_shown_with(w, "Job 1009")) == 1
        assert [c.status for c in w.fake.attempts("chat.postMessage")] == [500]


async def test_a_500_after_slack_posted_in_a_thread_is_looked_for_in_the_thread() -> None:
    async with world() as w:
        w.fake.fail_after_work("chat.postMessage", status=502)
        _, ts = await w.bot.mention(DANA, "<@U0BOT> show job 1009")
        await w.fake.wait_for(lambda: w.fake.of("conversations.replies"), what="the look back")
        await w.fake.wait_for(lambda: _shown_with(w, "Job 1009"), what="the reply")
        (reply,) = _shown_with(w, "Job 1009")
        assert reply["thread_ts"] == ts
        assert w.fake.of("conversations.replies")[0].params["ts"] == ts


async def test_a_500_before_slack_posted_is_posted_again_once_the_channel_shows_nothing() -> None:
    async with world() as w:
        w.fake.fail_next("chat.postMessage", status=500)
        await w.bot.dm(DANA, "show job 1009")
        await posted_card(w, 1)
        assert len(w.fake.of("conversations.history")) == 1
        assert len(_shown_with(w, "Job 1009")) == 1


async def test_when_the_done_update_fails_and_its_post_too_the_user_sees_done_once() -> None:
    async with world() as w:
        await w.bot.dm(DANA, "reschedule job 1009 to friday 2pm")
        card = await posted_card(w, 1)
        w.fake.fail("chat.update", "internal_error", status=500)
        w.fake.fail_after_work("chat.postMessage", status=503)  # the result posted instead: posted, then 503
        await w.bot.click(DANA, card, ACTION_CONFIRM)
        await w.fake.wait_for(lambda: _shown_with(w, "Done"), what="done")
        await w.fake.wait_for(lambda: w.fake.of("conversations.history"), what="the look back")
        assert len(_shown_with(w, "Done")) == 1
        assert w.sim.write_count == 1
        assert not [m for m in w.fake.messages.values() if "Reference:" in (m.get("text") or "")]
