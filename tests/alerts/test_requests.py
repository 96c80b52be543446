"""The dialog acting on alert requests: subscribe, unsubscribe, "my alerts", quiet hours, pauses; roles apply.

A request to mute or pause alerts never unsubscribes (it sets quiet hours or a pause, or asks)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.alerts.requests import read
from bot.alerts.subscriptions import Subscriptions
from bot.dialog.messages import Asker, ConversationKey, Said
from bot.dialog.service import DialogService
from bot.servicetitan.embedded import embedded_client
from bot.store import MemoryStore, RedisStore
from tests.alerts.conftest import FIXED_NOW, REDIS_URL, TZ, drop_prefix


@pytest.fixture
async def service() -> AsyncIterator[DialogService]:
    client, _ = embedded_client(None, now=FIXED_NOW)
    async with client:
        yield DialogService(client=client, store=MemoryStore(), tz=TZ, clock=lambda: FIXED_NOW)


def person(role: str, user: str = "U1") -> Asker:
    return Asker(user_id=user, tz=TZ, role=role, name="Someone")  # type: ignore[arg-type]


async def say(service: DialogService, text: str, asker: Asker, channel: str = "D1") -> str:
    key = ConversationKey(team="T1", channel=channel, thread="", user=asker.user_id)
    (reply,) = await service.handle(key, asker, Said(text=text))
    return reply.text


async def test_a_dispatcher_subscribes_sets_quiet_hours_and_unsubscribes(service: DialogService) -> None:
    me = person("dispatcher")
    assert await say(service, "my alerts", me) == (
        "You're not subscribed to any alerts. To get them, say *alert me when a job is canceled or put on hold*."
    )
    said = await say(service, "alert me when jobs are canceled or put on hold", me)
    assert said == "You get alerts for cancellations and holds."
    said = await say(service, "no alerts between 8pm and 6am", me)
    assert said.endswith("Quiet hours: 20:00–06:00 (held and sent as one digest after).")
    assert await say(service, "stop hold alerts", me) == (
        "Stopped your alerts for holds. You get alerts for cancellations. "
        "Quiet hours: 20:00–06:00 (held and sent as one digest after)."
    )
    sub = await Subscriptions(service.store).of("U1")
    assert sub is not None and sub.kinds == ("cancel",)


async def test_a_manager_in_a_channel_subscribes_the_channel(service: DialogService) -> None:
    said = await say(service, "alert me when jobs are canceled", person("manager", "U2"), channel="C42")
    assert said == "This channel gets alerts for cancellations."
    assert await Subscriptions(service.store).of("U2") is None
    assert (await Subscriptions(service.store).of("C42")) is not None


async def test_technicians_cannot_subscribe(service: DialogService) -> None:
    said = await say(service, "alert me when jobs are canceled", person("technician"))
    assert said == "Hold and cancel alerts are for managers and dispatchers."
    assert await Subscriptions(service.store).all() == []


@pytest.fixture
async def redis_service() -> AsyncIterator[DialogService]:
    """The dialog on the simulator with real Redis (a unique key prefix, dropped after)."""
    prefix = f"areq{uuid.uuid4().hex[:12]}"
    store = RedisStore(REDIS_URL, prefix=prefix)
    client, _ = embedded_client(None, now=FIXED_NOW)
    try:
        async with client:
            yield DialogService(client=client, store=store, tz=TZ, clock=lambda: FIXED_NOW)
    finally:
        await store.aclose()
        await drop_prefix(prefix)


async def test_mute_alerts_overnight_sets_quiet_hours_and_never_unsubscribes(
    redis_service: DialogService,
) -> None:
    morgan = person("manager", "U0MORGAN")
    assert await say(redis_service, "alert me about cancellations only", morgan) == (
        "You get alerts for cancellations."
    )
    said = await say(redis_service, "mute alerts overnight", morgan)
    assert "8:00 PM to 6:00 AM" in said and "You get alerts for cancellations." in said
    sub = await Subscriptions(redis_service.store).of("U0MORGAN")
    assert sub is not None and sub.kinds == ("cancel",)
    assert (sub.quiet_from, sub.quiet_to) == (time(20), time(6))
    said = await say(redis_service, "quiet hours 10pm to 6am", morgan)
    assert "10:00 PM to 6:00 AM" in said
    said = await say(redis_service, "what alerts do i get", morgan)
    assert (
        said
        == "You get alerts for cancellations. Quiet hours: 22:00–06:00 (held and sent as one digest after)."
    )
    said = await say(redis_service, "dont send me anything after 8pm", morgan)
    assert "8:00 PM until 6:00 AM" in said
    sub = await Subscriptions(redis_service.store).of("U0MORGAN")
    assert sub is not None and sub.kinds == ("cancel",)
    assert (sub.quiet_from, sub.quiet_to) == (time(20), time(6))


async def test_pause_alerts_for_the_weekend_pauses_until_monday_morning(redis_service: DialogService) -> None:
    morgan = person("manager", "U0MORGAN")
    await say(redis_service, "alert me about holds and cancels", morgan)
    said = await say(redis_service, "pause alerts for the weekend", morgan)
    assert "You get alerts for cancellations and holds." in said
    # FIXED_NOW is Tuesday Nov 24: the pause is Saturday 12:00 AM to Monday 6:00 AM (Chicago)
    assert "Paused from Sat Nov 28, 12:00 AM until Mon Nov 30, 6:00 AM" in said
    sub = await Subscriptions(redis_service.store).of("U0MORGAN")
    assert sub is not None and sub.kinds == ("cancel", "hold")
    local = ZoneInfo(TZ)
    assert sub.paused_from == datetime(2026, 11, 28, 0, 0, tzinfo=local)
    assert sub.paused_until == datetime(2026, 11, 30, 6, 0, tzinfo=local)
    assert not sub.paused_at(FIXED_NOW)
    assert sub.paused_at(datetime(2026, 11, 29, 12, 0, tzinfo=local))
    said = await say(redis_service, "resume alerts", morgan)
    assert said == "Alerts resumed. You get alerts for cancellations and holds."


@pytest.mark.parametrize(
    "text",
    ["mute alerts", "pause alerts", "silence my notifications", "quiet hours", "pause alerts until whenever"],
)
async def test_an_unclear_mute_or_pause_asks_and_changes_nothing(
    redis_service: DialogService, text: str
) -> None:
    morgan = person("manager", "U0MORGAN")
    await say(redis_service, "alert me about holds and cancels", morgan)
    said = await say(redis_service, text, morgan)
    assert (
        said.startswith(("Do you want quiet hours", "I couldn't read")) and "haven't changed anything" in said
    )
    sub = await Subscriptions(redis_service.store).of("U0MORGAN")
    assert sub is not None and sub.kinds == ("cancel", "hold")
    assert sub.quiet_from is None and sub.paused_until is None


@pytest.mark.parametrize(
    "text",
    [
        "pause 1010",
        "stop job 1010",
        "put 1010 on hold, customer wants to pause until monday",
        "hold 1010 and alert me",
        "the customer is mute, text only",
        "stop",
    ],
)
async def test_stop_mute_or_pause_in_another_sense_is_no_alert_request(
    redis_service: DialogService, text: str
) -> None:
    assert read(text, FIXED_NOW, TZ) is None
    morgan = person("manager", "U0MORGAN")
    await say(redis_service, "alert me about holds and cancels", morgan)
    key = ConversationKey(team="T1", channel="D1", thread="", user="U0MORGAN")
    replies = await redis_service.handle(key, morgan, Said(text=text))
    assert not any("alerts for" in r.text or "Quiet hours" in r.text for r in replies)
    sub = await Subscriptions(redis_service.store).of("U0MORGAN")
    assert sub is not None and sub.kinds == ("cancel", "hold") and sub.paused_until is None


@pytest.mark.parametrize(
    ("text", "kind", "start", "end"),
    [
        ("mute alerts overnight", "quiet_hours", time(20), time(6)),
        ("quiet hours 10pm to 6am", "quiet_hours", time(22), time(6)),
        ("quiet hours between 10 and 6", "quiet_hours", time(22), time(6)),
        ("no alerts between 8pm and 6am", "quiet_hours", time(20), time(6)),
        ("dont send me anything after 8pm", "quiet_hours", time(20), time(6)),
        ("don’t send me anything after 9pm", "quiet_hours", time(21), time(6)),
        ("silence notifications at night", "quiet_hours", time(20), time(6)),
        # FIXED_NOW: Tuesday Nov 24, 9:00 AM in Chicago
        ("pause alerts for 2 hours", "pause", None, datetime(2026, 11, 24, 11, 0, tzinfo=ZoneInfo(TZ))),
        ("stop alerts until monday", "pause", None, datetime(2026, 11, 30, 6, 0, tzinfo=ZoneInfo(TZ))),
        ("pause alerts till tomorrow 8am", "pause", None, datetime(2026, 11, 25, 8, 0, tzinfo=ZoneInfo(TZ))),
        (
            "pause alerts from 2pm to 4pm",
            "pause",
            datetime(2026, 11, 24, 14, 0, tzinfo=ZoneInfo(TZ)),
            datetime(2026, 11, 24, 16, 0, tzinfo=ZoneInfo(TZ)),
        ),
        ("what alerts do i get", "my_alerts", None, None),
        ("resume alerts", "unpause", None, None),
    ],
)
def test_what_an_alert_settings_message_asks(text: str, kind: str, start: object, end: object) -> None:
    found = read(text, FIXED_NOW, TZ)
    assert found is not None and found[0] == kind, found
    slots = found[1]
    if start is not None or end is not None:
        assert (slots.get("start"), slots.get("end")) == (start, end)


def test_a_correction_of_the_alert_kinds_is_read_only_when_it_is_one() -> None:
    from bot.alerts.corrections import read as correction

    assert correction("actually only cancellations") == ("set", ["cancel"])
    assert correction("no, just holds please") == ("set", ["hold"])
    assert correction("and holds too") == ("add", ["hold"])
    assert correction("actually both") == ("set", ["cancel", "hold"])
    assert correction("cancellations") is None  # no word of a correction: a search
    assert correction("only cancellations this week") is None
