"""The dialog acting on alert requests: subscribe, unsubscribe, "my alerts", quiet hours; roles apply."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.alerts.subscriptions import Subscriptions
from bot.dialog.messages import Asker, ConversationKey, Said
from bot.dialog.service import DialogService
from bot.servicetitan.embedded import embedded_client
from bot.store import MemoryStore
from tests.alerts.conftest import FIXED_NOW, TZ


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
    assert await say(service, "my alerts", me) == "You're not subscribed to any alerts."
    said = await say(service, "alert me when jobs are canceled or put on hold", me)
    assert said == "You get alerts for cancellations and holds."
    said = await say(service, "no alerts between 8pm and 6am", me)
    assert said.endswith("Quiet hours: 20:00–06:00 (held and sent as one digest after).")
    assert await say(service, "stop hold alerts", me) == (
        "You get alerts for cancellations. Quiet hours: 20:00–06:00 (held and sent as one digest after)."
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
