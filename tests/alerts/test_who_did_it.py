""" "Who canceled job N" names the Slack user when the cancel was made through the bot.

ServiceTitan stamps a change the bot makes with the bot's API user (the canceled log's `createdById`), who is
no employee; the bot's own record of its writes (bot.alerts.subscriptions, 90 days) names the Slack user.
Through the dialog, on the simulator, with real Redis.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bot.alerts.subscriptions import ACTOR_NAMESPACE, WRITES_NAMESPACE, bot_writer_at
from bot.dialog.messages import Asker, ConversationKey, Pressed, Reply, Said, mention
from bot.dialog.service import DialogService
from bot.servicetitan.embedded import embedded_client
from bot.store import RedisStore
from tests.alerts.conftest import FIXED_NOW, REDIS_URL, TZ, Clock, drop_prefix

DANA = Asker(user_id="U0DANA", tz=TZ, role="dispatcher", name="Dana Reyes")
KEY = ConversationKey(team="T1", channel="D1", thread="", user="U0DANA")


@pytest.fixture
async def rig() -> AsyncIterator[tuple[DialogService, Clock, RedisStore, object]]:
    prefix = f"awho{uuid.uuid4().hex[:12]}"
    store = RedisStore(REDIS_URL, prefix=prefix)
    clock = Clock()
    client, sim = embedded_client(None, clock=clock)
    try:
        async with client:
            yield DialogService(client=client, store=store, tz=TZ, clock=clock), clock, store, sim
    finally:
        await store.aclose()
        await drop_prefix(prefix)


async def _cancel_through_the_bot(dialog: DialogService, job_id: int) -> None:
    replies = await dialog.handle(KEY, DANA, Said(text=f"cancel {job_id} - they went with another company"))
    for _ in range(3):
        last = replies[-1]
        if last.kind == "confirm":
            break
        assert last.kind == "choice", last.text
        choice = next(
            i for i, line in enumerate(last.text.splitlines()) if "Went with another company" in line
        )
        replies = await dialog.handle(KEY, DANA, Said(text=str(choice)))
    confirm = replies[-1]
    assert confirm.kind == "confirm", confirm.text
    done = await dialog.handle(KEY, DANA, Pressed(action="confirm", token=confirm.token))
    assert any(r.kind == "result" for r in done), [r.text for r in done]


def _why(replies: list[Reply]) -> str:
    facts = {f.label: f.value for r in replies for f in (r.facts or [])}
    return facts["Why canceled"]


async def test_who_canceled_names_the_slack_user_of_a_cancel_made_through_the_bot(rig: tuple) -> None:  # type: ignore[type-arg]
    dialog, clock, store, sim = rig
    await _cancel_through_the_bot(dialog, 1024)
    assert sim.state.jobs[1024]["jobStatus"] == "Canceled"
    clock.advance(hours=3)  # asked later: the alert's 15-minute record has expired by then
    await store.delete(namespace=ACTOR_NAMESPACE, key="job:1024")
    why = _why(await dialog.handle(KEY, DANA, Said(text="who canceled 1024")))
    assert "Went with another company" in why and f"by {mention('U0DANA')}" in why
    assert await store.load(namespace=WRITES_NAMESPACE, key="job:1024") is not None
    assert await bot_writer_at(store, 1024, FIXED_NOW) == "U0DANA"


async def test_a_later_cancel_in_servicetitan_is_not_put_on_the_bots_user(rig: tuple) -> None:  # type: ignore[type-arg]
    """The bot wrote to job 1024 (a note), and an hour later someone canceled it in ServiceTitan with the same
    API user: the record's time does not match, so nobody is named."""
    dialog, clock, store, sim = rig
    replies = await dialog.handle(KEY, DANA, Said(text="add a note to 1024: gate code 4411"))
    confirm = [r for r in replies if r.kind == "confirm"][-1]
    await dialog.handle(KEY, DANA, Pressed(action="confirm", token=confirm.token))
    clock.advance(hours=1)
    sim.state.cancel_job(1024, {"reasonId": 82, "memo": "called the office"})
    why = _why(await dialog.handle(KEY, DANA, Said(text="who canceled 1024")))
    assert "called the office" in why and "by " not in why
    assert await bot_writer_at(store, 1024, clock() - timedelta(hours=1)) == "U0DANA"
