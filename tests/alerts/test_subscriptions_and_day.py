"""Subscriptions, quiet hours with their digest, and the technician's day (morning plan, change messages)."""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any

import pytest

from bot.alerts.events import SUBSCRIBABLE
from bot.alerts.subscriptions import Subscriptions, describe
from bot.store import MemoryStore
from tests.alerts.conftest import CHANNEL, MANAGER, AlertRig, dm_of
from tests.slack.harness import assert_valid_blocks, block_text

HOLD = {"reasonId": 71, "memo": "compressor on backorder"}


async def test_subscriptions_per_user_and_channel_without_expiry() -> None:
    subs = Subscriptions(MemoryStore())
    assert describe(await subs.of("U1")) == "You're not subscribed to any alerts."
    await subs.subscribe("U1", ["cancel"])
    await subs.subscribe("C9", None)
    assert describe(await subs.of("U1")) == "You get alerts for cancellations."
    assert (await subs.of("C9")).kinds == tuple(sorted(SUBSCRIBABLE))  # type: ignore[union-attr]
    await subs.set_quiet("U1", time(20), time(6))
    assert describe(await subs.of("U1")).endswith(
        "Quiet hours: 20:00–06:00 (held and sent as one digest after)."
    )
    await subs.unsubscribe("U1", ["cancel"])
    assert (await subs.of("U1")).kinds == ()  # type: ignore[union-attr]  # quiet hours kept
    await subs.unsubscribe("C9", None)
    assert await subs.of("C9") is None


async def test_quiet_hours_hold_the_alerts_and_a_digest_follows_when_they_end(rig: AlertRig) -> None:
    service = rig.service()
    await service.subscriptions.subscribe(MANAGER, ["hold"])
    await service.subscriptions.set_quiet(MANAGER, time(9), time(11))  # 10:00 AM now in New York
    await service.watcher.poll_once()
    rig.sim.state.hold_job(1011, HOLD)
    await service.watcher.poll_once()
    await service.after_cycle()
    assert len(rig.slack.posts_to(CHANNEL)) == 1
    assert rig.slack.posts_to(dm_of(MANAGER)) == []  # held
    rig.clock.advance(hours=1, minutes=30)  # 11:30 AM in New York: quiet hours over
    await service.watcher.poll_once()
    await service.after_cycle()
    await service.after_cycle()  # the digest goes once
    (digest,) = rig.slack.posts_to(dm_of(MANAGER))
    assert digest["text"].startswith("While your alerts were quiet: 1 hold")
    assert "1011" in digest["text"] and "compressor on backorder" in digest["text"]
    assert_valid_blocks(digest["blocks"])


async def test_a_reschedule_gives_the_technician_one_change_message(rig: AlertRig) -> None:
    service = rig.service()
    await service.watcher.poll_once()
    # Luis Ortega's appointment 5030 today 1:00 PM (Chicago) moves to 4:00 PM
    rig.sim.state.reschedule(5030, {"start": "2026-11-24T22:00:00Z", "end": "2026-11-24T23:00:00Z"})
    await service.watcher.poll_once()
    await service.watcher.poll_once()
    (message,) = rig.slack.posts_to(dm_of("U0LUIS"))
    assert "Job 1023" in message["text"] and "moved" in message["text"] and "→" in message["text"]
    assert "4:00 PM" in message["text"]
    assert rig.slack.posts_to(dm_of("U0SARAH")) == [] and rig.slack.posts_to(dm_of("U0MIKE")) == []
    assert_valid_blocks(message["blocks"])


async def test_send_day_plans_twice_sends_once_across_services(rig: AlertRig) -> None:
    first = await rig.service().day_plans.send()
    second = await rig.service().day_plans.send()  # another process, same Redis
    assert sorted(first) == ["Luis Ortega", "Mike Carter", "Sarah Lopez"] and second == []
    (plan,) = rig.slack.posts_to(dm_of("U0LUIS"))
    assert plan["text"].startswith("Good morning Luis: your day, Tuesday, November 24, 2026")
    assert "Job 1023" in plan["text"]
    assert_valid_blocks(plan["blocks"])
    assert len(rig.slack.of("chat.postMessage")) == 3


async def test_the_morning_message_goes_at_day_plan_at_in_the_technicians_zone(rig: AlertRig) -> None:
    service = rig.service(day_plan_at=time(9, 30))  # it is 9:00 AM in Chicago
    assert await service.day_plans.send(only_due=True) == []
    rig.clock.advance(minutes=31)
    assert len(await service.day_plans.send(only_due=True)) == 3
    assert await service.day_plans.send(only_due=True) == []
    empty = await rig.service().day_plans.send(date(2026, 12, 25))
    assert len(empty) == 3
    christmas = [p for p in rig.slack.posts_to(dm_of("U0MIKE")) if "December 25" in p["text"]]
    assert "No appointments today." in block_text(christmas[0])


async def test_a_digest_interrupted_after_posting_is_not_sent_twice(rig: AlertRig) -> None:
    service = rig.service()
    await service.subscriptions.subscribe(MANAGER, ["hold"])
    await service.subscriptions.set_quiet(MANAGER, time(9), time(11))  # 10:00 AM now in New York
    await service.watcher.poll_once()
    rig.sim.state.hold_job(1011, HOLD)
    await service.watcher.poll_once()
    rig.clock.advance(hours=1, minutes=30)
    post = service.slack.post

    async def post_then_die(*args: Any, **kw: Any) -> bool:
        await post(*args, **kw)
        raise SystemExit("killed after posting the digest")

    service.slack.post = post_then_die  # type: ignore[method-assign]
    with pytest.raises(SystemExit):
        await service.after_cycle()
    restarted = rig.service()
    assert await restarted.managers.flush_digests() == 0  # found in the DM's history: not sent again
    assert await restarted.managers.flush_digests() == 0  # ...and no longer held
    (digest,) = rig.slack.posts_to(dm_of(MANAGER))
    assert "1011" in digest["text"]


async def test_a_digest_interrupted_before_posting_is_sent_by_the_next_flush(rig: AlertRig) -> None:
    service = rig.service()
    await service.subscriptions.subscribe(MANAGER, ["hold"])
    await service.subscriptions.set_quiet(MANAGER, time(9), time(11))
    await service.watcher.poll_once()
    rig.sim.state.hold_job(1011, HOLD)
    await service.watcher.poll_once()
    rig.clock.advance(hours=1, minutes=30)

    async def die(*args: Any, **kw: Any) -> bool:
        raise SystemExit("killed before the digest reached Slack")

    service.slack.post = die  # type: ignore[method-assign]
    with pytest.raises(SystemExit):
        await service.after_cycle()
    assert rig.slack.posts_to(dm_of(MANAGER)) == []
    assert await rig.service().managers.flush_digests() == 1  # still held: nothing lost
    (digest,) = rig.slack.posts_to(dm_of(MANAGER))
    assert digest["text"].startswith("While your alerts were quiet: 1 hold") and "1011" in digest["text"]


@pytest.mark.parametrize("posted", [False, True])
async def test_a_day_plan_whose_sender_died_is_sent_once_by_a_later_run(rig: AlertRig, posted: bool) -> None:
    """Killed after claiming a technician's plan, before (nothing reached Slack) or after the post."""
    service = rig.service()
    post = service.slack.post

    async def die(*args: Any, **kw: Any) -> bool:
        if posted:
            await post(*args, **kw)
        raise SystemExit("killed while sending the day plans")

    service.slack.post = die  # type: ignore[method-assign]
    with pytest.raises(SystemExit):
        await service.day_plans.send()
    sent_before = len(rig.slack.of("chat.postMessage"))
    assert sent_before == (1 if posted else 0)
    assert await rig.service().day_plans.send() != []  # the others are sent...
    first_dm = rig.slack.of("chat.postMessage")[0].params["channel"] if posted else None
    late = len(rig.slack.of("chat.postMessage"))
    assert late == 2 + sent_before  # ...but not the claimed one, which may still be on its way
    rig.clock.advance(minutes=6)
    again = await rig.service().day_plans.send()
    assert len(again) == (0 if posted else 1)  # found in the DM's history, or sent now
    assert await rig.service().day_plans.send() == []
    for user in ("U0LUIS", "U0MIKE", "U0SARAH"):
        assert len(rig.slack.posts_to(dm_of(user))) == 1, user
    assert first_dm is None or len(rig.slack.posts_to(first_dm)) == 1


async def test_a_day_plan_slack_refused_for_now_is_sent_by_the_next_run(rig: AlertRig) -> None:
    from slack_sdk.errors import SlackApiError

    service = rig.service()
    rig.slack.fail("chat.postMessage", "internal_error", status=500)
    with pytest.raises(SlackApiError):
        await service.day_plans.send()
    rig.slack.heal("chat.postMessage")
    assert len(await service.day_plans.send()) == 3  # the failed one is checked in the history, then sent
    assert await service.day_plans.send() == []
    for user in ("U0LUIS", "U0MIKE", "U0SARAH"):
        assert len(rig.slack.posts_to(dm_of(user))) == 1, user


async def test_a_pause_holds_the_alerts_and_a_digest_follows_when_it_ends(rig: AlertRig) -> None:
    service = rig.service()
    await service.subscriptions.subscribe(MANAGER, ["hold"])
    now = rig.clock()
    await service.subscriptions.pause(MANAGER, None, now + timedelta(hours=2))
    await service.watcher.poll_once()
    rig.sim.state.hold_job(1011, HOLD)
    await service.watcher.poll_once()
    await service.after_cycle()
    assert len(rig.slack.posts_to(CHANNEL)) == 1
    assert rig.slack.posts_to(dm_of(MANAGER)) == []  # held while paused, still subscribed
    assert (await service.subscriptions.of(MANAGER)).kinds == ("hold",)  # type: ignore[union-attr]
    rig.clock.advance(hours=2, minutes=1)
    await service.watcher.poll_once()
    await service.after_cycle()
    await service.after_cycle()
    (digest,) = rig.slack.posts_to(dm_of(MANAGER))
    assert digest["text"].startswith("While your alerts were quiet: 1 hold") and "1011" in digest["text"]
