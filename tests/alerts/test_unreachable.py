"""One recipient Slack refuses (a deactivated user) or that fails for now does not keep the others' alerts,
technicians' messages, digests or day plans back, and does not stop the watcher's cycles."""

from __future__ import annotations

from datetime import time

import pytest
from slack_sdk.errors import SlackApiError

from bot.alerts.delivery import HELD_NAMESPACE
from bot.alerts.slackout import DM_NAMESPACE
from tests.alerts.conftest import CHANNEL, MANAGER, AlertRig, dm_of

HOLD = {"reasonId": 71, "memo": "compressor on backorder"}  # Waiting for parts
GONE = "U0AAGONE"  # sorts before everyone: served first whatever the order of the subscriptions


async def test_a_deactivated_subscriber_is_dropped_and_everyone_else_is_served(rig: AlertRig) -> None:
    rig.slack.add_user(GONE, name="Gone Person", email="gone@example.com", tz="America/Chicago")
    rig.slack.refuse_dm[GONE] = "user_disabled"
    rig.slack.refuse_dm["U0MIKE"] = "user_disabled"  # a linked technician deactivated too
    service = rig.service(day_plan_at=time(9))  # 9:00 AM in Chicago now: the plans are due
    await service.subscriptions.subscribe(GONE, ["hold"])
    await service.subscriptions.subscribe(MANAGER, ["hold"])
    assert await service.watcher.poll_once() == []
    rig.sim.state.hold_job(1011, HOLD)
    # Luis Ortega's appointment 5030 today 1:00 PM (Chicago) moves to 4:00 PM
    rig.sim.state.reschedule(5030, {"start": "2026-11-24T22:00:00Z", "end": "2026-11-24T23:00:00Z"})
    assert await service.watcher.poll_once() != []  # no error: the cycle completes
    await service.after_cycle()
    assert len(rig.slack.posts_to(CHANNEL)) == 1 and len(rig.slack.posts_to(dm_of(MANAGER))) == 1
    assert any("moved" in p["text"] for p in rig.slack.posts_to(dm_of("U0LUIS")))  # the change DM
    assert len(rig.slack.posts_to(dm_of("U0LUIS"))) == 2 and len(rig.slack.posts_to(dm_of("U0SARAH"))) == 1
    assert rig.slack.posts_to(dm_of(GONE)) == [] and rig.slack.posts_to(dm_of("U0MIKE")) == []
    assert await service.watcher.poll_once() == []  # the feed tokens were saved: nothing comes again
    await service.after_cycle()
    assert len(rig.slack.of("chat.postMessage")) == 5  # nothing posted twice


async def test_a_subscriber_failing_for_now_gets_the_alert_on_a_later_cycle_others_get_it_once(
    rig: AlertRig,
) -> None:
    rig.slack.add_user(GONE, name="Flaky Person", email="flaky@example.com", tz="America/Chicago")
    rig.slack.refuse_dm[GONE] = "internal_error"  # not a permanent refusal: retried
    service = rig.service()
    await service.subscriptions.subscribe(GONE, ["hold"])
    await service.subscriptions.subscribe(MANAGER, ["hold"])
    await service.watcher.poll_once()
    rig.sim.state.hold_job(1011, HOLD)
    with pytest.raises(SlackApiError):
        await service.watcher.poll_once()  # the cycle is retried...
    assert (
        len(rig.slack.posts_to(CHANNEL)) == 1 and len(rig.slack.posts_to(dm_of(MANAGER))) == 1
    )  # ...others served
    del rig.slack.refuse_dm[GONE]
    await service.watcher.poll_once()
    await service.watcher.poll_once()
    assert len(rig.slack.posts_to(dm_of(GONE))) == 1
    assert len(rig.slack.posts_to(CHANNEL)) == 1 and len(rig.slack.posts_to(dm_of(MANAGER))) == 1


async def test_a_deactivated_user_s_held_digest_is_dropped_and_other_digests_go(rig: AlertRig) -> None:
    rig.slack.add_user(GONE, name="Gone Person", email="gone@example.com", tz="America/New_York")
    service = rig.service()
    for user in (GONE, MANAGER):
        await service.subscriptions.subscribe(user, ["hold"])
        await service.subscriptions.set_quiet(user, time(9), time(11))  # 10:00 AM now in New York
    await service.watcher.poll_once()
    rig.sim.state.hold_job(1011, HOLD)
    await service.watcher.poll_once()
    rig.slack.refuse_dm[GONE] = "user_disabled"  # deactivated while the alert was held...
    await service.store.delete(namespace=DM_NAMESPACE, key=GONE)  # ...and the DM cached then has expired
    rig.clock.advance(hours=1, minutes=30)
    await service.after_cycle()
    await service.after_cycle()
    assert len(rig.slack.posts_to(dm_of(MANAGER))) == 1 and rig.slack.posts_to(dm_of(GONE)) == []
    held = await service.store.load(namespace=HELD_NAMESPACE, key=GONE)
    assert held is None or held.value["alerts"] == []  # dropped, not held forever


async def test_a_dm_slack_refuses_to_post_to_is_dropped_and_the_others_still_get_theirs(
    rig: AlertRig,
) -> None:
    rig.slack.add_user(GONE, name="Gone Person", email="gone@example.com", tz="America/Chicago")
    service = rig.service()
    for user in (GONE, MANAGER):
        await service.subscriptions.subscribe(user, ["hold"])
    await service.watcher.poll_once()
    await service.slack.dm_channel(GONE)  # opened (and cached) before the deactivation
    rig.slack.refuse_dm[GONE] = "user_disabled"
    rig.sim.state.hold_job(1011, HOLD)
    await service.watcher.poll_once()
    await service.watcher.poll_once()
    assert len(rig.slack.posts_to(dm_of(MANAGER))) == 1 and rig.slack.posts_to(dm_of(GONE)) == []
    assert len(rig.slack.attempts("chat.postMessage")) == 3  # the refused post is not retried
