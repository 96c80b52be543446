"""Managers' alerts end to end: changes made directly on the simulator (as in ServiceTitan's own UI), the
watcher on real Redis, alerts posted to the fake Slack."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk.errors import SlackApiError

from bot.alerts.cards import ACTION_ALERT_SHOW, ACTION_ALERT_UNDO
from bot.alerts.service import AlertService
from bot.alerts.subscriptions import record_actor
from bot.alerts.watcher import FEED_NAMESPACE, SEEN_NAMESPACE
from bot.dialog.refdata import JOB_READS_NAMESPACE
from tests.alerts.conftest import CHANNEL, MANAGER, AlertRig, dm_of
from tests.slack.harness import assert_valid_blocks, block_text

HOLD = {"reasonId": 71, "memo": "compressor on backorder"}  # Waiting for parts
CANCEL = {"reasonId": 82, "memo": "Customer <!channel> sold the house & moved"}  # Customer canceled


async def test_a_hold_and_a_cancel_give_one_alert_each_in_the_channel_and_to_a_subscriber(
    rig: AlertRig,
) -> None:
    service = rig.service()
    await service.subscriptions.subscribe(MANAGER, ["hold", "cancel"])
    assert await service.watcher.poll_once() == []  # first start: the baseline, nothing reported
    rig.clock.advance(minutes=1)
    rig.sim.state.hold_job(1011, HOLD)
    await service.watcher.poll_once()
    rig.clock.advance(minutes=1)
    rig.sim.state.cancel_job(1012, CANCEL)
    await service.watcher.poll_once()
    await service.watcher.poll_once()  # nothing new: nothing posted again

    channel = rig.slack.posts_to(CHANNEL)
    dms = rig.slack.posts_to(dm_of(MANAGER))
    assert len(channel) == 2 and len(dms) == 2
    hold, cancel = channel
    assert (
        "1011" in hold["text"]
        and "Waiting for parts" in hold["text"]
        and "compressor on backorder" in hold["text"]
    )
    assert (
        "1012" in cancel["text"]
        and "Customer canceled" in cancel["text"]
        and "sold the house" in cancel["text"]
    )
    for message in channel + dms:
        assert_valid_blocks(message["blocks"])
    shown = block_text(cancel)
    assert "<!channel>" not in shown and "&lt;!channel&gt;" in shown and "&amp; moved" in shown
    buttons = {
        e["action_id"]: e["value"] for b in cancel["blocks"] if b["type"] == "actions" for e in b["elements"]
    }
    assert buttons == {
        ACTION_ALERT_SHOW: "show job 1012",
        ACTION_ALERT_UNDO: "remove the cancellation of job 1012",
    }
    # the manager reads it in their own zone (New York), the channel in the tenant's (Chicago)
    assert "10:01 AM" in block_text(dms[0]) and "9:01 AM" in block_text(hold)


async def test_the_slack_user_recorded_by_the_write_path_is_named(rig: AlertRig) -> None:
    service = rig.service()
    await service.watcher.poll_once()
    await record_actor(service.store, 1011, "U0DANA")
    rig.sim.state.hold_job(1011, HOLD)
    await service.watcher.poll_once()
    (post,) = rig.slack.posts_to(CHANNEL)
    assert "<@U0DANA>" in block_text(post)


async def test_killed_after_posting_before_saving_its_token_then_restarted_posts_nothing_twice(
    rig: AlertRig,
) -> None:
    """Stopped right after the post reached Slack, before its delivery record and the feeds' tokens were
    saved (tests/alerts/test_processes.py does this with a real SIGKILL)."""
    first = rig.service()
    await rig.service().subscriptions.subscribe(MANAGER, ["hold"])
    await first.watcher.poll_once()
    tokens = await _tokens(first)
    rig.sim.state.hold_job(1011, HOLD)
    post = first.slack.post

    async def post_then_die(*args: Any, **kw: Any) -> bool:
        await post(*args, **kw)
        raise SystemExit("killed after posting")

    first.slack.post = post_then_die  # type: ignore[method-assign]
    with pytest.raises(SystemExit):
        await first.watcher.poll_once()
    assert len(rig.slack.posts_to(CHANNEL)) == 1
    assert await _tokens(first) == tokens  # not saved: the restart reads the same rows again
    restarted = rig.service()
    events = await restarted.watcher.poll_once()
    assert [e.kind for e in events if e.kind == "job_hold"] == ["job_hold"]  # the same rows were read again
    assert len(rig.slack.posts_to(CHANNEL)) == 1  # ...and posted nothing twice
    assert len(rig.slack.posts_to(dm_of(MANAGER))) == 1  # the subscriber, never reached, got it now
    await restarted.watcher.poll_once()
    assert len(rig.slack.posts_to(CHANNEL)) == 1 and len(rig.slack.posts_to(dm_of(MANAGER))) == 1


async def test_a_post_that_never_reached_slack_is_sent_on_the_next_cycle(rig: AlertRig) -> None:
    service = rig.service()
    await service.watcher.poll_once()
    rig.sim.state.hold_job(1011, HOLD)
    rig.slack.fail("chat.postMessage", "internal_error", status=500)
    with pytest.raises(SlackApiError):
        await service.watcher.poll_once()  # the sending marker is written, the post failed
    assert rig.slack.posts_to(CHANNEL) == []
    rig.slack.heal("chat.postMessage")
    await service.watcher.poll_once()
    (post,) = rig.slack.posts_to(CHANNEL)
    assert "1011" in post["text"]
    await service.watcher.poll_once()
    assert len(rig.slack.posts_to(CHANNEL)) == 1


async def test_when_the_history_cannot_be_read_an_interrupted_post_is_sent_again(rig: AlertRig) -> None:
    """At least once: without the history (a scope missing) a possible duplicate beats a lost alert."""
    first = rig.service()
    await first.watcher.poll_once()
    rig.sim.state.hold_job(1011, HOLD)
    post = first.slack.post

    async def post_then_die(*args: Any, **kw: Any) -> bool:
        await post(*args, **kw)
        raise SystemExit("killed after posting")

    first.slack.post = post_then_die  # type: ignore[method-assign]
    with pytest.raises(SystemExit):
        await first.watcher.poll_once()
    rig.slack.fail("conversations.history", "missing_scope")
    await rig.service().watcher.poll_once()
    assert [("1011" in p["text"]) for p in rig.slack.posts_to(CHANNEL)] == [True, True]


async def _tokens(service: AlertService) -> list[Any]:
    return [
        await service.store.load(namespace=FEED_NAMESPACE, key=f"cursor:{feed.name}")
        for feed in service.watcher.feeds
    ]


async def test_a_change_made_while_no_watcher_ran_is_alerted_after_restart(rig: AlertRig) -> None:
    await rig.service().watcher.poll_once()
    rig.clock.advance(minutes=5)
    rig.sim.state.cancel_job(1012, CANCEL)  # nobody watching
    rig.clock.advance(minutes=5)
    await rig.service().watcher.poll_once()
    (post,) = rig.slack.posts_to(CHANNEL)
    assert "1012" in post["text"] and "Customer canceled" in post["text"]


async def test_history_from_before_the_first_start_is_not_reported(rig: AlertRig) -> None:
    service = rig.service()
    events = await service.watcher.poll_once()
    events += await service.watcher.poll_once()
    assert events == [] and rig.slack.posts_to(CHANNEL) == []


async def test_a_burst_is_one_grouped_message_per_recipient(rig: AlertRig) -> None:
    service = rig.service()
    await service.subscriptions.subscribe(MANAGER, ["cancel"])
    await service.watcher.poll_once()
    scheduled = [j for j, row in sorted(rig.sim.state.jobs.items()) if row["jobStatus"] == "Scheduled"][:6]
    for job_id in scheduled:
        rig.sim.state.cancel_job(job_id, CANCEL)
    await service.watcher.poll_once()
    (channel,) = rig.slack.posts_to(CHANNEL)
    (dm,) = rig.slack.posts_to(dm_of(MANAGER))
    assert channel["text"].startswith("6 cancellations")
    assert all(str(j) in channel["text"] for j in scheduled)
    assert_valid_blocks(channel["blocks"])
    assert dm["text"].startswith("6 cancellations")


async def test_a_hold_made_through_the_bot_names_the_slack_user_who_confirmed_it(rig: AlertRig) -> None:
    from bot.dialog.messages import Asker, ConversationKey, Pressed, Said
    from bot.dialog.service import DialogService
    from tests.alerts.conftest import TZ

    service = rig.service()
    await service.watcher.poll_once()
    dialog = DialogService(client=rig.client, store=service.store, tz=TZ, clock=rig.clock)
    dana = Asker(user_id="U0DANA", tz=TZ, role="dispatcher", name="Dana Reyes")
    key = ConversationKey(team="T1", channel="D1", thread="", user="U0DANA")
    replies = await dialog.handle(key, dana, Said(text="put job 1011 on hold, waiting for parts: compressor"))
    card = [r for r in replies if r.kind == "confirm"][-1]
    await dialog.handle(key, dana, Pressed(action="confirm", token=card.token))
    assert rig.sim.state.jobs[1011]["jobStatus"] == "Hold"
    await service.watcher.poll_once()
    (post,) = rig.slack.posts_to(CHANNEL)
    assert "<@U0DANA>" in block_text(post) and "Waiting for parts" in post["text"]


async def test_a_change_by_an_employee_not_in_servicetitans_lists_names_no_internal_id(rig: AlertRig) -> None:
    """Direct changes on the simulator are stamped with its API user, who is in no employee list."""
    from bot.simulator.state import API_USER_ID

    assert API_USER_ID not in rig.sim.state.employees and API_USER_ID not in rig.sim.state.technicians
    service = rig.service()
    await service.watcher.poll_once()
    rig.sim.state.hold_job(1011, HOLD)
    rig.sim.state.cancel_job(1012, CANCEL)
    await service.watcher.poll_once()
    (post,) = rig.slack.posts_to(CHANNEL)  # one cycle, two alerts: one grouped message
    shown = block_text(post)  # the text fallback and the blocks
    assert post["text"].count("By a ServiceTitan user") == 2, post["text"]
    assert str(API_USER_ID) not in shown.replace("1011", "").replace("1012", ""), shown


async def test_an_appointment_hold_through_the_bot_says_the_appointment_its_reason_memo_and_who(
    rig: AlertRig,
) -> None:
    """Job 1010's only appointment put on hold: the job's status follows (ServiceTitan), yet the alert is
    the appointment's, with the reason and memo from the job history and the Slack user who confirmed."""
    from bot.dialog.messages import Asker, ConversationKey, Pressed, Said
    from bot.dialog.service import DialogService
    from tests.alerts.conftest import TZ

    service = rig.service()
    await service.watcher.poll_once()
    dialog = DialogService(client=rig.client, store=service.store, tz=TZ, clock=rig.clock)
    dana = Asker(user_id="U0DANA", tz=TZ, role="dispatcher", name="Dana Reyes")
    key = ConversationKey(team="T1", channel="D1", thread="", user="U0DANA")
    replies = await dialog.handle(
        key, dana, Said(text="hold appointment 5014 customer requested, out of town")
    )
    card = [r for r in replies if r.kind == "confirm"][-1]
    await dialog.handle(key, dana, Pressed(action="confirm", token=card.token))
    assert rig.sim.state.appointments[5014]["status"] == "Hold"
    assert rig.sim.state.jobs[1010]["jobStatus"] == "Hold"  # the job followed its only appointment
    await service.watcher.poll_once()
    await service.watcher.poll_once()
    (post,) = rig.slack.posts_to(CHANNEL)
    text = block_text(post)
    assert "Appointment #5014 of job 1010 put on hold" in post["text"]
    assert "Customer requested" in text and "out of town" in text
    assert "<@U0DANA>" in text and "no reason given" not in text and "a ServiceTitan user" not in text


async def test_an_appointment_hold_made_in_servicetitan_gives_one_alert_with_its_reason(
    rig: AlertRig,
) -> None:
    service = rig.service()
    await service.watcher.poll_once()
    rig.sim.state.hold_appointment(5014, {"reasonId": 72, "memo": "back from vacation on the 3rd"})
    await service.watcher.poll_once()
    await service.watcher.poll_once()
    (post,) = rig.slack.posts_to(CHANNEL)
    assert "Appointment #5014 of job 1010 put on hold" in post["text"]
    assert "Customer requested" in post["text"] and "back from vacation on the 3rd" in post["text"]


async def test_a_poll_remembers_what_it_saw_in_a_round_trip_per_batch_not_one_per_record(
    rig: AlertRig,
) -> None:
    """The first start's baseline (every recent row of every feed) and a later burst of changes are sent
    to the store as batches of writes, not as one save (or cached read dropped) per record."""
    store = rig.store()
    calls: list[str] = []
    for name in ("save", "delete", "write_many"):
        original = getattr(store, name)

        def recorded(*args: Any, _name: str = name, _original: Any = original, **kwargs: Any) -> Any:
            if kwargs.get("namespace", SEEN_NAMESPACE) in (SEEN_NAMESPACE, JOB_READS_NAMESPACE):
                calls.append(_name)  # the watcher's own records (write_many: whichever namespaces)
            return _original(*args, **kwargs)

        setattr(store, name, recorded)
    service = rig.service(store=store)
    await service.watcher.poll_once()
    baseline = sum(len(rows) for rows in (rig.sim.state.jobs, rig.sim.state.appointments))
    assert baseline > 100
    assert calls.count("write_many") <= 8 and calls.count("delete") == 0
    feeds = len(service.watcher.feeds)
    assert calls.count("save") == 0  # never one save per record

    calls.clear()
    scheduled = [j for j, row in sorted(rig.sim.state.jobs.items()) if row["jobStatus"] == "Scheduled"][:6]
    for job_id in scheduled:
        rig.sim.state.cancel_job(job_id, CANCEL)
    await service.watcher.poll_once()
    assert calls.count("delete") == 0 and calls.count("save") == 0
    assert 1 <= calls.count("write_many") <= 2 * feeds
