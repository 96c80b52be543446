"""The Slack layer against a scripted dialog: what reaches the dialog, and what Slack is asked to show.

Served over real HTTP with signed requests and a local fake Web API (tests/slack/harness.py); the dialog
here is a small fake so each Slack behaviour is checked on its own. The end-to-end scenarios with the real
DialogService and the simulator are in test_scenarios.py.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable
from datetime import date
from datetime import time as dtime
from typing import Any

import httpx
import pytest

from bot.dialog.messages import (
    Asker,
    Button,
    Change,
    Choice,
    ConversationKey,
    DateEdit,
    Event,
    Fact,
    Option,
    PickedDate,
    Pressed,
    Reply,
    Said,
)
from bot.slack.app import DeliveryDedupe
from bot.slack.blocks import (
    ACTION_CHOOSE_MENU,
    ACTION_CONFIRM,
    ACTION_MORE,
    ACTION_PICK_DATE,
    ACTION_PICK_TIME,
    render,
)
from bot.slack.conversation import USER_FAILURE_TTL_SECONDS
from bot.slack.deps import EVENT_DEDUPE_NAMESPACE
from bot.slack.retries import SERVER_ERROR_RETRIES
from bot.store import MemoryStore, RedisStore
from tests.slack.fake_slack import BOT_ID, BOT_USER_ID, TEAM_ID, FakeSlack
from tests.slack.harness import DANA, FakeDialog, assert_valid_blocks, block_text, running_bot


def card(token: str = "tok1") -> Reply:
    return Reply(
        kind="confirm",
        text="Reschedule job #1001 to Fri Nov 27, 2:00–4:00 PM?",
        title="Reschedule appointment",
        facts=[Fact(label="Job", value="#1001 Drain cleaning"), Fact(label="Customer", value="Ann Lee")],
        changes=[Change(label="When", before="Tue Nov 24, 9:00–11:00 AM", after="Fri Nov 27, 2:00–4:00 PM")],
        warnings=["Mike Carter has another job then"],
        date_edit=DateEdit(date=date(2026, 11, 27), time=dtime(14, 0)),
        buttons=[Button(action="confirm", label="Reschedule"), Button(action="abandon", label="Keep as is")],
        footnote="Times in America/Chicago",
        token=token,
    )


@pytest.fixture
def fake() -> FakeSlack:
    slack = FakeSlack()
    slack.add_user(DANA, name="Dana Reyes", email="dana@example.com", tz="America/Denver")
    return slack


def shown(fake: FakeSlack) -> list[dict]:
    messages = fake.posted()
    for message in messages:
        assert_valid_blocks(message["blocks"])
    return messages


async def test_dm_reaches_the_dialog_and_the_reply_is_posted_in_the_dm(fake: FakeSlack) -> None:
    dialog = FakeDialog(lambda k, a, e: [card()])
    async with running_bot(dialog=dialog, store=MemoryStore(), fake=fake) as bot:
        response = await bot.dm(DANA, "reschedule job 1001 to friday 2pm &amp; call &lt;first&gt;")
        assert response.status_code == 200
        (post,) = await fake.wait_calls("chat.postMessage", 1)
        key, asker, event = dialog.turns[0]
        assert event == Said(text="reschedule job 1001 to friday 2pm & call <first>")
        assert key == ConversationKey(team=TEAM_ID, channel="D0DANA", thread="", user=DANA)
        assert asker.tz == "America/Denver" and asker.name == "Dana Reyes"
        assert post.params["channel"] == "D0DANA" and "thread_ts" not in post.params
        assert post.params["text"].startswith("Reschedule job #1001")
        primary = [
            e
            for b in post.params["blocks"]
            if b["type"] == "actions"
            for e in b["elements"]
            if e.get("style") == "primary"
        ]
        assert [e["action_id"] for e in primary] == [ACTION_CONFIRM]
        shown(fake)

        await bot.dm(DANA, "and another")
        await fake.wait_calls("chat.postMessage", 2)
        assert len(fake.of("users.info")) == 1  # the user's time zone is cached


async def test_mention_is_answered_in_its_thread_and_follow_ups_stay_there(fake: FakeSlack) -> None:
    dialog = FakeDialog()
    async with running_bot(dialog=dialog, store=MemoryStore(), fake=fake) as bot:
        _, root = await bot.mention(DANA, "show job 1001")
        (post,) = await fake.wait_calls("chat.postMessage", 1)
        assert post.params["channel"] == "C0GENERAL" and post.params["thread_ts"] == root
        await bot.mention(DANA, "and its notes", thread_ts=root)
        await fake.wait_calls("chat.postMessage", 2)
        first, second = dialog.turns
        assert first[2] == Said(text="show job 1001") and f"<@{BOT_USER_ID}>" not in second[2].text  # type: ignore[union-attr]
        assert (
            first[0]
            == second[0]
            == ConversationKey(team=TEAM_ID, channel="C0GENERAL", thread=root, user=DANA)
        )
        assert fake.of("chat.postMessage")[1].params["thread_ts"] == root


async def test_slash_command_answers_reads_ephemerally_in_a_channel_and_help_by_default(
    fake: FakeSlack,
) -> None:
    def script(key: ConversationKey, asker: Asker, event: Event) -> list[Reply]:
        text = event.text if isinstance(event, Said) else ""
        if text == "help":
            return [Reply(text="I can reschedule, hold, cancel ...", read_only=True)]
        if text.startswith("show") or isinstance(event, Pressed):
            return [Reply(kind="list", text="Job #1001", lines=[f"row {i}" for i in range(5)], read_only=True,
                          buttons=[Button(action="more", label="More")], token="tokL")]  # fmt: skip
        return [card()]

    dialog = FakeDialog(script)
    async with running_bot(dialog=dialog, store=MemoryStore(), fake=fake) as bot:
        response = await bot.command(DANA, "")
        assert response.status_code == 200 and response.text == ""
        (ephemeral,) = await fake.wait_calls("chat.postEphemeral", 1)
        assert dialog.turns[0][2] == Said(text="help")
        assert ephemeral.params["user"] == DANA and ephemeral.params["channel"] == "C0GENERAL"

        await bot.command(DANA, "show job 1001")
        await fake.wait_calls("chat.postEphemeral", 2)
        await bot.command(DANA, "reschedule job 1001 to friday")
        (post,) = await fake.wait_calls("chat.postMessage", 1)  # a card that changes things is a real message
        assert post.params["channel"] == "C0GENERAL"
        assert dialog.turns[2][0].thread == ""

        # "more" on an ephemeral answer: no ts to update, so the next page replaces it through response_url
        listing = {"channel": "C0GENERAL", "ts": None, **fake.of("chat.postEphemeral")[1].params}
        await bot.click(DANA, listing, ACTION_MORE, ephemeral=True)
        await fake.wait_for(lambda: fake.responses, what="the next page")
        assert dialog.turns[3][2] == Pressed(action="more", value="", token="tokL")
        assert fake.responses[0]["replace_original"] is True and fake.responses[0]["text"] == "Job #1001"
        assert len(fake.of("chat.postEphemeral")) == 2
        shown(fake)


async def test_slash_command_in_a_dm_the_bot_is_not_in_falls_back_to_the_response_url(
    fake: FakeSlack,
) -> None:
    dialog = FakeDialog(lambda k, a, e: [Reply(text="Job #1001 is scheduled.", read_only=True)])
    async with running_bot(dialog=dialog, store=MemoryStore(), fake=fake) as bot:
        fake_answer = fake._answer

        def not_in_channel(method: str, params: dict) -> dict:
            if method == "chat.postMessage" and params.get("channel") == "D0OTHER":
                return {"ok": False, "error": "channel_not_found"}
            return fake_answer(method, params)

        fake._answer = not_in_channel  # type: ignore[method-assign]
        await bot.command(DANA, "show job 1001", channel="D0OTHER")
        await fake.wait_for(lambda: fake.responses, what="a response_url post")
        assert fake.responses[0]["response_type"] == "ephemeral"
        assert fake.responses[0]["text"] == "Job #1001 is scheduled."


async def test_confirm_click_replaces_the_card(fake: FakeSlack) -> None:
    def script(key: ConversationKey, asker: Asker, event: Event) -> list[Reply]:
        if isinstance(event, Pressed):
            return [Reply(kind="result", text="Done: job #1001 moved.", replaces_card=True,
                          buttons=[Button(action="undo", label="Undo")], token="tok2")]  # fmt: skip
        return [card("tok1")]

    dialog = FakeDialog(script)
    async with running_bot(dialog=dialog, store=MemoryStore(), fake=fake) as bot:
        await bot.dm(DANA, "reschedule job 1001 to friday 2pm")
        (post,) = await fake.wait_calls("chat.postMessage", 1)
        response = await bot.click(DANA, fake.messages[post.answer["ts"]], ACTION_CONFIRM)
        assert response.status_code == 200
        (update,) = await fake.wait_calls("chat.update", 1)
        assert dialog.turns[1][2] == Pressed(action="confirm", value="", token="tok1")
        assert update.params["ts"] == post.answer["ts"] and update.params["channel"] == "D0DANA"
        assert update.params["text"] == "Done: job #1001 moved."
        controls = [
            e["action_id"] for b in update.params["blocks"] if b["type"] == "actions" for e in b["elements"]
        ]
        assert ACTION_CONFIRM not in controls  # the old buttons are gone
        assert len(fake.of("chat.postMessage")) == 1
        shown(fake)


async def test_choice_menu_and_pickers_become_dialog_events(fake: FakeSlack) -> None:
    options = [
        Option(value=str(5000 + i), label=f"Appointment {5000 + i}", description="Tue 9–11") for i in range(6)
    ]

    def script(key: ConversationKey, asker: Asker, event: Event) -> list[Reply]:
        if isinstance(event, Said):
            return [
                Reply(
                    kind="choice",
                    text="Which appointment?",
                    choice=Choice(prompt="Which one?", options=options),
                    token="tokC",
                )
            ]
        return [card("tok9").model_copy(update={"replaces_card": True})]

    dialog = FakeDialog(script)
    async with running_bot(dialog=dialog, store=MemoryStore(), fake=fake) as bot:
        await bot.dm(DANA, "reschedule job 1001 to friday")
        (post,) = await fake.wait_calls("chat.postMessage", 1)
        menu = fake.messages[post.answer["ts"]]
        assert [b["accessory"]["type"] for b in menu["blocks"] if "accessory" in b] == ["static_select"]
        await bot.click(DANA, menu, ACTION_CHOOSE_MENU, option_label="Appointment 5003")
        await fake.wait_calls("chat.update", 1)
        assert dialog.turns[1][2] == Pressed(action="choose", value="5003", token="tokC")

        confirm_card = fake.messages[post.answer["ts"]]
        await bot.click(DANA, confirm_card, ACTION_PICK_DATE, picked_date="2026-11-30")
        await fake.wait_calls("chat.update", 2)
        assert dialog.turns[2][2] == PickedDate(date=date(2026, 11, 30), time=dtime(14, 0), token="tok9")
        await bot.click(DANA, fake.messages[post.answer["ts"]], ACTION_PICK_TIME, picked_time="16:30")
        await fake.wait_calls("chat.update", 3)
        assert dialog.turns[3][2] == PickedDate(date=date(2026, 11, 27), time=dtime(16, 30), token="tok9")
        shown(fake)


async def test_bad_signature_and_stale_timestamp_are_refused_and_nothing_runs(fake: FakeSlack) -> None:
    dialog = FakeDialog()
    async with running_bot(dialog=dialog, store=MemoryStore(), fake=fake) as bot:
        body = bot.event_body({"type": "message", "channel": "D0DANA", "channel_type": "im", "user": DANA,
                               "text": "hi", "ts": bot.next_ts()})  # fmt: skip
        forged = await bot.send(body, "application/json", signature="v0=" + "0" * 64)
        stale_ts = int(time.time()) - 600
        stale = await bot.send(body, "application/json", timestamp=stale_ts)
        assert (forged.status_code, stale.status_code) == (401, 401)
        # a valid request afterwards is processed, so the two above were refused, not merely slow
        await bot.dm(DANA, "hello")
        await fake.wait_calls("chat.postMessage", 1)
        assert [turn[2] for turn in dialog.turns] == [Said(text="hello")]


async def test_a_retried_event_delivery_is_one_turn_with_redis_dedupe(
    fake: FakeSlack, redis_url: str
) -> None:
    store = RedisStore(redis_url, prefix=f"stbot-test-{uuid.uuid4().hex[:8]}")
    dialog = FakeDialog()
    try:
        async with running_bot(dialog=dialog, store=store, fake=fake) as bot:
            event = {"type": "message", "channel": "D0DANA", "channel_type": "im", "user": DANA, "text": "hi",
                     "ts": bot.next_ts()}  # fmt: skip
            first = await bot.event(event, event_id="Ev0RETRY")
            retry = await bot.event(event, event_id="Ev0RETRY", retry_num=1)
            assert first.status_code == retry.status_code == 200
            await fake.wait_calls("chat.postMessage", 1)
            await bot.dm(DANA, "next")  # processed after the retry was answered: the retry had its chance
            await fake.wait_calls("chat.postMessage", 2)
            assert [turn[2] for turn in dialog.turns] == [Said(text="hi"), Said(text="next")]
    finally:
        await store.aclose()


class HeldDedupe(MemoryStore):
    """A store whose event dedupe answers only when released."""

    def __init__(self) -> None:
        super().__init__()
        self.asked = asyncio.Event()
        self.release = asyncio.Event()
        self.ended = False  # answered, or given up on (the dedupe waits DEDUPE_WAIT_SECONDS at most)

    async def add_once(self, **kwargs: Any) -> bool:
        if kwargs.get("namespace") == EVENT_DEDUPE_NAMESPACE:
            self.asked.set()
            try:
                await self.release.wait()
            finally:
                self.ended = True
        return await super().add_once(**kwargs)


async def test_the_ack_of_an_event_does_not_wait_for_the_dedupe(fake: FakeSlack) -> None:
    dialog = FakeDialog()
    store = HeldDedupe()
    async with running_bot(dialog=dialog, store=store, fake=fake) as bot:
        event = {"type": "message", "channel": "D0DANA", "channel_type": "im", "user": DANA, "text": "hi",
                 "ts": bot.next_ts()}  # fmt: skip
        answer = await bot.event(event, event_id="Ev0HELD")
        assert answer.status_code == 200
        await asyncio.wait_for(store.asked.wait(), 10)
        assert not store.ended  # acknowledged while the store was still being asked
        store.release.set()
        await fake.wait_calls("chat.postMessage", 1)
        assert [turn[2] for turn in dialog.turns] == [Said(text="hi")]


async def test_own_messages_and_other_subtypes_are_ignored(fake: FakeSlack) -> None:
    dialog = FakeDialog()
    async with running_bot(dialog=dialog, store=MemoryStore(), fake=fake) as bot:
        base = {"type": "message", "channel": "D0DANA", "channel_type": "im", "ts": bot.next_ts()}
        ignored = [
            {**base, "user": BOT_USER_ID, "bot_id": BOT_ID, "text": "my own reply"},
            {**base, "subtype": "bot_message", "bot_id": "B0OTHER", "text": "another bot"},
            {**base, "subtype": "message_changed", "message": {"user": DANA, "text": "edited"}},
            {**base, "subtype": "message_deleted", "previous_message": {"user": DANA, "text": "x"}},
            {**base, "subtype": "channel_join", "user": DANA, "text": "joined"},
        ]
        for event in ignored:
            assert (await bot.event(event)).status_code == 200
        await bot.dm(DANA, "real question")
        await fake.wait_calls("chat.postMessage", 1)
        assert [turn[2] for turn in dialog.turns] == [Said(text="real question")]


async def test_slack_answering_429_is_retried_after_retry_after(fake: FakeSlack) -> None:
    fake.rate_limit("chat.postMessage", times=1, retry_after=0)
    async with running_bot(dialog=FakeDialog(), store=MemoryStore(), fake=fake) as bot:
        await bot.dm(DANA, "hello")
        (post,) = await fake.wait_calls("chat.postMessage", 1)
        statuses = [c.status for c in fake.calls if c.method == "chat.postMessage"]
        assert statuses == [429, 200]
        assert post.params["text"] == "heard said"


async def test_ack_is_sent_before_the_dialog_finishes(fake: FakeSlack) -> None:
    dialog = FakeDialog(lambda k, a, e: [card()])
    dialog.gate = asyncio.Event()  # ServiceTitan "hangs" until released
    async with running_bot(dialog=dialog, store=MemoryStore(), fake=fake) as bot:
        assert (await bot.command(DANA, "reschedule job 1001 to friday")).status_code == 200
        assert (await bot.dm(DANA, "hello")).status_code == 200
        await fake.wait_for(lambda: len(dialog.turns) == 2, what="both turns started")
        # A second DM in the same conversation is acknowledged too, and waits for the first turn to finish.
        assert (await bot.dm(DANA, "hello again")).status_code == 200
        assert len(dialog.turns) == 2
        assert fake.of("chat.postMessage") == []  # answered over HTTP while the turns are still waiting
        dialog.gate.set()
        await fake.wait_for(lambda: len(dialog.turns) == 3, what="the queued turn")
        await fake.wait_calls("chat.postMessage", 3)


class SlowServiceTitan:
    """Staff lists for role resolution that hang until `gate` is set (ServiceTitan not answering)."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.asked = 0

    async def iter_employees(self, **filters: Any) -> AsyncIterator[Any]:
        self.asked += 1
        await self.gate.wait()
        yield {
            "id": 61,
            "name": "Dana Reyes",
            "email": "dana@example.com",
            "role": "Dispatch",
            "active": True,
        }

    async def iter_technicians(self, **filters: Any) -> AsyncIterator[Any]:
        await self.gate.wait()
        for technician in ():
            yield technician


async def test_st_and_clicks_are_acknowledged_while_servicetitan_and_the_dialog_hang(fake: FakeSlack) -> None:
    """Slack wants the HTTP answer to /st and to block_actions within 3 s; nothing waits for ServiceTitan
    (role lookup) or the dialog before it."""
    slack_limit = 3.0
    servicetitan = SlowServiceTitan()
    dialog = FakeDialog(lambda k, a, e: [card("tok2")])
    dialog.gate = asyncio.Event()
    async with running_bot(dialog=dialog, store=MemoryStore(), fake=fake, servicetitan=servicetitan) as bot:
        ts = "1700000000.999999"
        fake.messages[ts] = {"channel": "D0DANA", "ts": ts, **render(card("tok1"))}

        async def within_slacks_limit(request: Awaitable[httpx.Response]) -> None:
            response = await asyncio.wait_for(request, slack_limit)
            assert response.status_code == 200 and response.text == ""

        # ServiceTitan hangs while the askers' roles are looked up
        await within_slacks_limit(bot.command(DANA, "reschedule job 1009 to friday"))
        await within_slacks_limit(bot.click(DANA, fake.messages[ts], ACTION_CONFIRM))
        await fake.wait_for(lambda: servicetitan.asked, what="the role lookup to start")
        assert dialog.turns == []
        # ServiceTitan answers, the dialog hangs (both turns are in it now)
        servicetitan.gate.set()
        await fake.wait_for(lambda: len(dialog.turns) == 2, what="both turns in the dialog")
        await within_slacks_limit(
            bot.click(DANA, fake.messages[ts], ACTION_PICK_DATE, picked_date="2026-11-30")
        )
        await within_slacks_limit(bot.command(DANA, "show job 1009"))
        assert fake.posted() == []  # every answer above went out before any reply existed
        dialog.gate.set()
        await fake.wait_for(lambda: len(fake.posted()) == 4, what="the four replies")
        assert {type(turn[2]).__name__ for turn in dialog.turns} == {"Said", "Pressed", "PickedDate"}


async def test_unexpected_error_gives_an_apology_with_a_reference_that_is_logged(
    fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(key: ConversationKey, asker: Asker, event: Event) -> list[Reply]:
        raise RuntimeError("the dialog fell over")

    async with running_bot(dialog=FakeDialog(broken), store=MemoryStore(), fake=fake) as bot:
        with caplog.at_level(logging.ERROR, logger="bot.slack"):
            await bot.dm(DANA, "reschedule job 1001")
            (post,) = await fake.wait_calls("chat.postMessage", 1)
            await bot.command(DANA, "show job 1001")
            (ephemeral,) = await fake.wait_calls("chat.postEphemeral", 1)
        reference = post.params["text"].rsplit("Reference: ", 1)[1].rstrip(")")
        assert post.params["channel"] == "D0DANA" and "Sorry" in post.params["text"]
        assert "Reference: " in ephemeral.params["text"] and ephemeral.params["user"] == DANA
        logged = [r for r in caplog.records if reference in r.getMessage()]
        assert logged and logged[0].exc_info is not None and "fell over" in str(logged[0].exc_info[1])
        shown(fake)


async def test_app_home_shows_the_dialog_home_for_the_user(fake: FakeSlack) -> None:
    async with running_bot(dialog=FakeDialog(), store=MemoryStore(), fake=fake) as bot:
        await bot.event({"type": "app_home_opened", "user": DANA, "channel": "D0DANA", "tab": "home"})
        (publish,) = await fake.wait_calls("views.publish", 1)
        assert publish.params["user_id"] == DANA
        view = publish.params["view"]
        assert view["type"] == "home"
        assert "You are a guest." in block_text(view)  # no ServiceTitan link, no role lists: a guest
        assert_valid_blocks(view["blocks"], limit=100)
        await bot.event({"type": "app_home_opened", "user": DANA, "channel": "D0DANA", "tab": "messages"})
        await bot.dm(DANA, "hi")
        await fake.wait_calls("chat.postMessage", 1)
        assert len(fake.of("views.publish")) == 1


async def test_roles_from_settings_and_user_groups(fake: FakeSlack) -> None:
    fake.add_user("U0MORGAN", name="Morgan Blake", email="morgan@example.com")
    fake.usergroups["S0MANAGERS"] = ["U0MORGAN"]
    dialog = FakeDialog()
    async with running_bot(dialog=dialog, store=MemoryStore(), fake=fake, role_dispatchers=DANA,
                           role_managers="S0MANAGERS") as bot:  # fmt: skip
        await bot.dm(DANA, "hi")
        await bot.dm("U0MORGAN", "hi")
        await fake.wait_calls("chat.postMessage", 2)
        roles = {asker.user_id: asker.role for _, asker, _ in dialog.turns}
        assert roles == {DANA: "dispatcher", "U0MORGAN": "manager"}


@pytest.mark.parametrize(
    ("status", "error"), [(200, "user_not_found"), (500, "fatal_error")], ids=["unknown user", "slack error"]
)
async def test_a_failing_users_info_still_answers_in_the_tenant_time_zone_and_is_retried_later(
    fake: FakeSlack, caplog: pytest.LogCaptureFixture, status: int, error: str
) -> None:
    now = [1000.0]
    store = MemoryStore(clock=lambda: now[0])
    fake.add_user("U0EXT", name="Ext Ernal", email="ext@example.com", tz="Europe/Berlin")
    fake.fail("users.info", error, status=status)
    dialog = FakeDialog()
    async with running_bot(dialog=dialog, store=store, fake=fake, role_dispatchers=DANA) as bot:
        with caplog.at_level(logging.WARNING, logger="bot.slack"):
            await bot.dm(DANA, "reschedule job 1009")
            await bot.dm("U0EXT", "help")
            await bot.dm(DANA, "to friday")
            await fake.wait_calls("chat.postMessage", 3)
        texts = [c.params["text"] for c in fake.of("chat.postMessage")]
        assert texts == ["heard said"] * 3  # answered, not "Sorry, something went wrong"
        askers = {asker.user_id: asker for _, asker, _ in dialog.turns}
        # the tenant's time zone, no e-mail: the role lists still name Dana; anyone else is a guest
        assert (askers[DANA].role, askers[DANA].tz, askers[DANA].name) == (
            "dispatcher",
            "America/Chicago",
            None,
        )
        assert (askers["U0EXT"].role, askers["U0EXT"].tz) == ("guest", "America/Chicago")
        # the failure is remembered for a while: one users.info call per user (a 5xx is retried within
        # it), one warning each
        tries = 1 + (SERVER_ERROR_RETRIES if status >= 500 else 0)
        assert (
            sorted(c.params["user"] for c in fake.attempts("users.info"))
            == [DANA] * tries + ["U0EXT"] * tries
        )
        warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert len([w for w in warnings if "users.info" in w]) == 2, warnings
        assert any(DANA in w and error in w for w in warnings)

        fake.heal("users.info")
        now[0] += USER_FAILURE_TTL_SECONDS + 1
        await bot.dm(DANA, "hello again")
        await fake.wait_calls("chat.postMessage", 4)
        assert len(fake.attempts("users.info")) == 2 * tries + 1
        assert dialog.turns[-1][1].tz == "America/Denver" and dialog.turns[-1][1].name == "Dana Reyes"


async def test_beyond_the_turns_in_flight_a_user_is_told_busy_and_answered_later(fake: FakeSlack) -> None:
    fake.add_user("U0MIKE", name="Mike Carter", email=None)
    dialog = FakeDialog()
    dialog.gate = asyncio.Event()  # ServiceTitan "hangs" until released
    async with running_bot(dialog=dialog, store=MemoryStore(), fake=fake, max_in_flight=1) as bot:
        await bot.dm(DANA, "first")
        await fake.wait_for(lambda: len(dialog.turns) == 1, what="the first turn")
        await bot.dm("U0MIKE", "second")
        (busy,) = await fake.wait_calls("chat.postMessage", 1)
        assert busy.params["channel"] == "D0MIKE" and "Busy" in busy.params["text"]
        assert len(dialog.turns) == 1  # the second waits
        dialog.gate.set()
        await fake.wait_for(lambda: len(dialog.turns) == 2, what="the second turn")
        await fake.wait_calls("chat.update", 1)  # the busy message became the answer
        texts = [m["text"] for m in fake.messages.values()]
        assert sorted(texts) == ["heard said", "heard said"]


async def test_a_users_turns_waiting_for_their_own_earlier_one_leave_room_for_everyone_else(
    fake: FakeSlack,
) -> None:
    """Dana's second message waits for her first (which hangs) without taking a place in flight, so Mike's
    message is answered at once, not told "Busy"."""
    fake.add_user("U0MIKE", name="Mike Carter", email=None)
    dialog = FakeDialog()
    danas_turn = asyncio.Event()

    async def handle(key: ConversationKey, asker: Asker, event: Event) -> list[Reply]:
        dialog.turns.append((key, asker, event))
        if asker.user_id == DANA:
            await danas_turn.wait()  # ServiceTitan "hangs" for Dana's request
        return dialog.script(key, asker, event)

    dialog.handle = handle  # type: ignore[method-assign]
    async with running_bot(dialog=dialog, store=MemoryStore(), fake=fake, max_in_flight=2) as bot:
        await bot.dm(DANA, "first")
        await fake.wait_for(lambda: len(dialog.turns) == 1, what="Dana's first turn")
        await bot.dm(DANA, "second")
        await bot.dm("U0MIKE", "hello")
        (answer,) = await fake.wait_calls("chat.postMessage", 1)
        assert answer.params["channel"] == "D0MIKE" and "Busy" not in answer.params["text"]
        danas_turn.set()
        await fake.wait_for(lambda: len(dialog.turns) == 3, what="Dana's second turn")


async def test_a_delivery_and_its_retry_arriving_together_leave_exactly_one_first() -> None:
    """The retry's question may reach the shared store before the first delivery's: the process that saw
    the event already answers the retry itself, so the first delivery is still the first."""

    class FirstAnswersLate(MemoryStore):
        def __init__(self) -> None:
            super().__init__()
            self.asked = 0
            self.first_asked = asyncio.Event()
            self.release = asyncio.Event()

        async def add_once(self, **kwargs: Any) -> bool:
            self.asked += 1
            if self.asked == 1:
                self.first_asked.set()
                await self.release.wait()  # the first delivery's question is still on its way
            return await super().add_once(**kwargs)

    store = FirstAnswersLate()
    dedupe = DeliveryDedupe(store, wait=10.0)
    first = asyncio.ensure_future(dedupe.first("T1:Ev1", retried=False))
    await asyncio.wait_for(store.first_asked.wait(), 5)  # the first delivery asks before its retry
    retry = await dedupe.first("T1:Ev1", retried=True)
    store.release.set()
    assert (await first, retry) == (True, False)
