"""A technician's running-late message is never read as an alert request, whatever the parser makes of it;
a message about alerts that mentions lateness still is one."""

from __future__ import annotations

import pytest

from bot.alerts import requests
from bot.dialog.messages import Asker, ConversationKey
from bot.store import MemoryStore
from tests.alerts.conftest import FIXED_NOW, TZ

KEY = ConversationKey(team="T1", channel="D1", thread="", user="U1")


@pytest.mark.parametrize("role", ["technician", "dispatcher"])
@pytest.mark.parametrize(
    "text",
    [
        "can you let dispatch know ill be 10 min late to it",
        "tell the office im running behind on the next one",
        "let them know i'm stuck in traffic",
        "ping dispatch that im delayed 15 minutes",
    ],
)
async def test_a_late_notice_is_left_to_the_dialog(role: str, text: str) -> None:
    asker = Asker(user_id="U1", tz=TZ, role=role, name="Someone")  # type: ignore[arg-type]
    assert await requests.answer(MemoryStore(), asker, KEY, text, now=FIXED_NOW) is None


async def test_alerts_about_lateness_are_still_an_alert_request() -> None:
    asker = Asker(user_id="U1", tz=TZ, role="dispatcher", name="Someone")
    reply = await requests.answer(MemoryStore(), asker, KEY, "what alerts do i have", now=FIXED_NOW)
    assert reply is not None and "not subscribed" in reply.text
