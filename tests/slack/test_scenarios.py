"""End-to-end Slack scenarios: the real DialogService on the ServiceTitan simulator, behind the real app.

Every scenario goes through HTTP with signed requests (tests/slack/harness.py); Slack's Web API is the
local fake, ServiceTitan the embedded simulator (demo data at a fixed "now": Tuesday Nov 24, 2026, 9:00
in America/Chicago), the store a MemoryStore or the real Redis. Every message the bot shows is checked
with slack_sdk's block validation, the 50-block limit and unique action ids.
"""

from __future__ import annotations

import asyncio
import copy
import time
import uuid
from datetime import UTC, datetime

import pytest

from bot.simulator import FaultConfig
from bot.slack.blocks import (
    ACTION_ABANDON,
    ACTION_CHOOSE,
    ACTION_CHOOSE_MENU,
    ACTION_CONFIRM,
    ACTION_MORE,
    ACTION_PICK_DATE,
    ACTION_PICK_TIME,
)
from bot.store import RedisStore
from tests.slack.harness import (
    DANA,
    DANA_DM,
    MIKE,
    MORGAN,
    assert_valid_blocks,
    block_text,
    interactive_elements,
    posted_card,
    world,
)


async def test_dm_reschedule_from_first_message_to_confirmed_write_with_a_double_click(
    redis_url: str,
) -> None:
    store = RedisStore(redis_url, prefix=f"stbot-test-{uuid.uuid4().hex[:8]}")
    try:
        async with world(store) as w:
            before = dict(w.appointment(5013))
            await w.bot.dm(DANA, "reschedule job 1009 to friday 2pm")
            card = await posted_card(w, 1)
            assert card["channel"] == DANA_DM and "thread_ts" not in card
            text = block_text(card)
            for expected in (
                "1009",
                "Luis Ortega",
                "Friday, November 27, 2026, 2:00 PM",
                "America/Chicago",
            ):
                assert expected in text, expected
            primary = [e for e in interactive_elements(card["blocks"]) if e.get("style") == "primary"]
            assert [e["action_id"] for e in primary] == [ACTION_CONFIRM]
            assert w.sim.write_count == 0

            # a double click: both clicks of the same card arrive before Slack shows the update
            first, second = await asyncio.gather(
                w.bot.click(DANA, card, ACTION_CONFIRM), w.bot.click(DANA, card, ACTION_CONFIRM)
            )
            assert first.status_code == second.status_code == 200
            (update,) = await w.fake.wait_calls("chat.update", 1)
            await w.fake.wait_calls("chat.postMessage", 2)  # the second click's answer
            assert "Done" in update.params["text"]
            assert w.sim.write_count == 1
            moved = w.appointment(5013)
            assert (moved["start"], moved["end"]) == (
                datetime(2026, 11, 27, 20, 0, tzinfo=UTC),
                datetime(2026, 11, 27, 22, 0, tzinfo=UTC),
            )
            assert moved["start"] != before["start"]

            # the card now shows the outcome and offers no confirm any more
            replaced = w.card(card["ts"])
            assert "Done" in block_text(replaced)
            assert ACTION_CONFIRM not in [e["action_id"] for e in interactive_elements(replaced["blocks"])]
            later = w.fake.of("chat.postMessage")[1].params
            assert "already" in later["text"].lower()
    finally:
        await store.aclose()


async def test_mention_in_a_channel_choice_and_datepicker_correction_all_in_the_thread() -> None:
    async with world() as w:
        others = {i: dict(w.appointment(i)) for i in (5018, 5020)}
        _, root = await w.bot.mention(DANA, "reschedule job 1014 to friday 2pm", channel="C0DISPATCH")
        card = await posted_card(w, 1)
        assert (card["channel"], card["thread_ts"]) == ("C0DISPATCH", root)
        buttons = [
            e for e in interactive_elements(card["blocks"]) if e["action_id"].startswith(ACTION_CHOOSE)
        ]
        assert len(buttons) == 3  # three appointments: buttons rather than a menu
        choice = next(e for e in buttons if "#5019" in e["text"]["text"])
        await w.bot.click(DANA, card, choice["action_id"])
        await w.fake.wait_calls("chat.update", 1)  # the choice card became the confirmation card
        card = w.card(card["ts"])
        assert "Friday, November 27, 2026, 2:00 PM" in block_text(card)

        # wrong day: fix it with the pickers on the card
        await w.bot.click(DANA, card, ACTION_PICK_DATE, picked_date="2026-12-01")
        await w.fake.wait_calls("chat.update", 2)
        card = w.card(card["ts"])
        assert "Tuesday, December 1, 2026, 2:00 PM" in block_text(card)
        await w.bot.click(DANA, card, ACTION_PICK_TIME, picked_time="09:30")
        await w.fake.wait_calls("chat.update", 3)
        card = w.card(card["ts"])
        assert "Tuesday, December 1, 2026, 9:30 AM" in block_text(card)

        await w.bot.click(DANA, card, ACTION_CONFIRM)
        await w.fake.wait_for(lambda: w.sim.write_count == 1, what="the write")
        await w.fake.wait_calls("chat.update", 4)
        assert w.appointment(5019)["start"] == datetime(2026, 12, 1, 15, 30, tzinfo=UTC)
        assert w.appointment(5018) == others[5018] and w.appointment(5020) == others[5020]  # the others stay
        assert all(c.params.get("thread_ts") == root for c in w.fake.of("chat.postMessage"))


async def test_a_mentioned_person_is_matched_to_a_technician_by_their_slack_name() -> None:
    async with world() as w:
        w.fake.add_user("U0SARAH", name="Sarah Lopez", email="sarah.lopez@example.com")
        await w.bot.dm(DANA, "assign <@U0SARAH> to job 1009")
        card = await posted_card(w, 1)
        assert "Assign Sarah Lopez to job 1009?" in block_text(card)
        await w.bot.dm(DANA, "assign <@U0SARAH> to job 1009", thread_ts="1.0")
        await posted_card(w, 2)
        asked = [c.params["user"] for c in w.fake.of("users.info")]
        assert asked.count("U0SARAH") == 1  # the users.info answer is cached

        await w.bot.dm(DANA, "assign <@U0NOBODY> to job 1009", thread_ts="2.0")
        unknown = await posted_card(w, 3)
        assert "Type their name instead" in unknown["text"]


async def test_choice_menu_for_a_hold_reason() -> None:
    async with world() as w:
        await w.bot.dm(DANA, "put job 1009 on hold")
        await w.fake.wait_calls("chat.postMessage", 1)
        await w.bot.dm(DANA, "hmm no idea")
        menu_card = await posted_card(w, 2)
        (menu,) = [
            e for e in interactive_elements(menu_card["blocks"]) if e["action_id"] == ACTION_CHOOSE_MENU
        ]
        assert menu["type"] == "static_select" and len(menu["options"]) >= 4
        await w.bot.click(DANA, menu_card, ACTION_CHOOSE_MENU, option_label="Waiting for parts")
        await w.fake.wait_calls("chat.update", 1)
        card = w.card(menu_card["ts"])
        assert "Waiting for parts" in block_text(card)
        await w.bot.click(DANA, card, ACTION_CONFIRM)
        await w.fake.wait_for(lambda: w.sim.write_count >= 1, what="the hold")
        await w.fake.wait_calls("chat.update", 2)
        assert w.sim.state.jobs[1009]["jobStatus"] == "Hold"


async def test_slash_command_read_is_ephemeral_in_a_channel_and_help_lists_examples() -> None:
    async with world() as w:
        assert (await w.bot.command(DANA, "show job 1009")).status_code == 200
        (answer,) = await w.fake.wait_calls("chat.postEphemeral", 1)
        assert answer.params["user"] == DANA and answer.params["channel"] == "C0GENERAL"
        assert "1009" in answer.params["text"]
        await w.bot.command(DANA, "help")
        (_, help_answer) = await w.fake.wait_calls("chat.postEphemeral", 2)
        assert "reschedule" in help_answer.params["text"].lower()
        assert w.fake.of("chat.postMessage") == []  # nothing flooded the channel
        assert w.sim.write_count == 0


async def test_cancel_by_word_and_by_the_abandon_button_changes_nothing() -> None:
    async with world() as w:
        before = dict(w.appointment(5013))
        await w.bot.dm(DANA, "reschedule job 1009")
        ask = (await w.fake.wait_calls("chat.postMessage", 1))[0]
        assert "when" in ask.params["text"].lower()
        await w.bot.dm(DANA, "cancel")
        dropped = (await w.fake.wait_calls("chat.postMessage", 2))[1]
        assert "nothing was changed" in dropped.params["text"].lower()

        await w.bot.dm(DANA, "reschedule job 1009 to friday 2pm")
        card = await posted_card(w, 3)
        await w.bot.click(DANA, card, ACTION_ABANDON)
        (update,) = await w.fake.wait_calls("chat.update", 1)
        assert "nothing was changed" in update.params["text"].lower()
        assert not interactive_elements(w.card(card["ts"])["blocks"])
        assert w.sim.write_count == 0
        assert w.appointment(5013) == before


async def test_retried_event_delivery_starts_no_second_turn(redis_url: str) -> None:
    store = RedisStore(redis_url, prefix=f"stbot-test-{uuid.uuid4().hex[:8]}")
    async with store, world(store) as w:
        event = {"type": "message", "channel": DANA_DM, "channel_type": "im", "user": DANA,
                 "text": "reschedule job 1009 to friday 2pm", "ts": w.bot.next_ts()}  # fmt: skip
        assert (await w.bot.event(event, event_id="Ev0SAME")).status_code == 200
        await w.fake.wait_calls("chat.postMessage", 1)
        for retry in (1, 2):
            assert (await w.bot.event(event, event_id="Ev0SAME", retry_num=retry)).status_code == 200
        await w.bot.dm(DANA, "cancel")  # a new event after the retries: its answer comes second
        await w.fake.wait_calls("chat.postMessage", 2)
        assert "nothing was changed" in w.fake.of("chat.postMessage")[1].params["text"].lower()
        assert len(w.fake.of("chat.postMessage")) == 2


async def test_bad_signature_and_stale_timestamp_get_401_and_nothing_happens() -> None:
    async with world() as w:
        event = {"type": "message", "channel": DANA_DM, "channel_type": "im", "user": DANA,
                 "text": "reschedule job 1009 to friday 2pm", "ts": w.bot.next_ts()}  # fmt: skip
        body = w.bot.event_body(event)
        bad = await w.bot.send(body, "application/json", signature="v0=" + "ab" * 32)
        stale = await w.bot.send(body, "application/json", timestamp=int(time.time()) - 6 * 60)
        assert (bad.status_code, stale.status_code) == (401, 401)
        await w.bot.dm(DANA, "help")  # processed after the refused ones
        await w.fake.wait_calls("chat.postMessage", 1)
        assert len(w.fake.of("chat.postMessage")) == 1 and "reschedule" in w.fake.posted()[0]["text"].lower()
        assert w.fake.of("users.info") and all(c.params["user"] == DANA for c in w.fake.of("users.info"))
        assert w.sim.write_count == 0


async def test_slack_answering_429_on_the_card_update_is_retried() -> None:
    async with world() as w:
        await w.bot.dm(DANA, "reschedule job 1009 to friday 2pm")
        card = await posted_card(w, 1)
        w.fake.rate_limit("chat.update", times=1, retry_after=0)
        await w.bot.click(DANA, card, ACTION_CONFIRM)
        await w.fake.wait_calls("chat.update", 1)
        assert [c.status for c in w.fake.calls if c.method == "chat.update"] == [429, 200]
        assert w.sim.write_count == 1  # the write happened once; only Slack's call was repeated
        assert "Done" in block_text(w.card(card["ts"]))


async def test_servicetitan_answering_503_is_reported_and_the_same_card_retries_once() -> None:
    async with world() as w:
        before = dict(w.appointment(5013))
        await w.bot.dm(DANA, "reschedule job 1009 to friday 2pm")
        card = await posted_card(w, 1)
        w.sim.set_faults(FaultConfig(rate_5xx=1.0))
        await w.bot.click(DANA, card, ACTION_CONFIRM)
        answer = await posted_card(w, 2)  # a new message: the card is left as it was
        assert "ServiceTitan" in answer["text"] and "may or may not" in answer["text"]
        assert any(status == 503 for _, _, status in w.sim.request_log)
        assert w.sim.write_count == 0
        assert w.appointment(5013) == before
        assert not w.fake.of("chat.update")
        assert ACTION_CONFIRM in [e["action_id"] for e in interactive_elements(w.card(card["ts"])["blocks"])]

        # ServiceTitan is back: the card's confirm checks first, then writes exactly once
        w.sim.set_faults(FaultConfig())
        shown = copy.deepcopy(card)  # the card as a slow client still shows it
        await w.bot.click(DANA, card, ACTION_CONFIRM)
        (update,) = await w.fake.wait_calls("chat.update", 1)
        assert "Done" in update.params["text"]
        assert w.sim.write_count == 1
        assert w.appointment(5013)["start"] == datetime(2026, 11, 27, 20, 0, tzinfo=UTC)

        await w.bot.click(DANA, shown, ACTION_CONFIRM)  # a late third click writes nothing
        later = await posted_card(w, 3)
        assert "already" in later["text"].lower() and w.sim.write_count == 1


@pytest.mark.parametrize(("user", "expected"), [(MIKE, "technician"), (MORGAN, "manager")])
async def test_app_home_shows_the_role_and_a_technicians_day(user: str, expected: str) -> None:
    async with world() as w:
        await w.bot.event({"type": "app_home_opened", "user": user, "channel": "D0HOME", "tab": "home"})
        (publish,) = await w.fake.wait_calls("views.publish", 1)
        view = publish.params["view"]
        assert publish.params["user_id"] == user and view["type"] == "home"
        assert expected in block_text(view).lower()
        assert_valid_blocks(view["blocks"], limit=100)


async def test_a_long_read_answer_pages_in_place_with_more() -> None:
    async with world() as w:
        await w.bot.command(DANA, "find scheduled jobs this week")
        (first,) = await w.fake.wait_calls("chat.postEphemeral", 1)
        page = {"channel": "C0GENERAL", "ts": None, **first.params}
        more = [e for e in interactive_elements(page["blocks"]) if e["action_id"] == ACTION_MORE]
        assert more, "a long answer offers more"
        await w.bot.click(DANA, page, ACTION_MORE, ephemeral=True)
        await w.fake.wait_for(lambda: w.fake.responses, what="the next page")
        next_page = w.fake.responses[0]
        assert next_page["replace_original"] is True
        assert block_text(next_page) != block_text(page)


async def test_someone_not_linked_to_servicetitan_only_gets_help() -> None:
    async with world() as w:
        w.fake.add_user("U0GUEST", name="Gus Guest", email="gus@elsewhere.example")
        await w.bot.dm("U0GUEST", "reschedule job 1009 to friday 2pm")
        (answer,) = await w.fake.wait_calls("chat.postMessage", 1)
        assert "linked" in answer.params["text"].lower()
        assert not interactive_elements(answer.params["blocks"])
        assert w.sim.write_count == 0


async def test_someone_slack_cannot_describe_gets_help_not_an_apology() -> None:
    """users.info answers user_not_found (e.g. an external or guest user): no e-mail, so a guest; the bot
    still answers, and asks Slack only once for a while."""
    async with world() as w:
        await w.bot.dm("U0EXTERNAL", "help")
        (help_answer,) = await w.fake.wait_calls("chat.postMessage", 1)
        await w.bot.dm("U0EXTERNAL", "reschedule job 1009 to friday 2pm")
        await w.bot.command("U0EXTERNAL", "show job 1009")
        await w.fake.wait_for(lambda: len(w.fake.posted()) == 3, what="three answers")
        assert "not linked" in help_answer.params["text"]
        assert all("linked" in message["text"] for message in w.fake.posted()[1:])
        assert all("Reference:" not in message["text"] for message in w.fake.posted())
        assert [c.params["user"] for c in w.fake.attempts("users.info")] == ["U0EXTERNAL"]
        assert w.sim.write_count == 0
