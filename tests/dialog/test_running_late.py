"""A technician's "running 30 min late to 1008" through the real DialogService (simulator, real Redis): a short
notice to the dispatcher who last changed the job through the bot, else ALERT_CHANNEL, and a word back to the
technician saying where it went. Nothing is written to ServiceTitan."""

from __future__ import annotations

import asyncio

import pytest

from bot.dialog.messages import Asker
from bot.slack.blocks import render
from bot.store import Guard, GuardRefused
from tests.dialog.conftest import TZ, Harness, dispatcher, last_card

MIKE_CHEN = Asker(user_id="U42", tz=TZ, role="technician", technician_id=42, name="Mike Chen")


class Outbox:
    def __init__(self, *, accept: bool = True, fail: bool = False) -> None:
        self.sent: list[tuple[str, str]] = []
        self.accept, self.fail = accept, fail

    async def __call__(self, target: str, text: str) -> bool:
        if self.fail:
            raise ConnectionError("slack is down")
        self.sent.append((target, text))
        return self.accept


def wire(harness: Harness, outbox: Outbox | None, channel: str | None = "CDISPATCH") -> None:
    harness.service.late.send = outbox
    harness.service.late.alert_channel = channel


async def test_the_notice_goes_to_the_alert_channel_and_the_technician_is_told(harness: Harness) -> None:
    outbox = Outbox()
    wire(harness, outbox)
    (reply,) = await harness.say("running 30 min late to 1008", MIKE_CHEN, harness.key("U42"))
    assert outbox.sent == [
        (
            "CDISPATCH",
            "⏱ Mike Chen is running about 30 minutes late to job 1008 (appointment 5009, due Wed Nov 25 9:00 AM).",
        )
    ]
    assert reply.text.startswith(
        "Sent to the dispatch channel: “⏱ Mike Chen is running about 30 minutes late"
    )
    assert harness.sim.write_count == 0


async def test_the_dispatcher_who_last_changed_the_job_gets_it_by_dm(harness: Harness) -> None:
    outbox = Outbox()
    wire(harness, outbox)
    card = last_card(await harness.say("reschedule 1008 to friday 10am", dispatcher("U1")))
    from bot.dialog.messages import Pressed

    await harness.handle(Pressed(action="confirm", token=card.token), dispatcher("U1"))
    (reply,) = await harness.say("running 20 minutes late to job 1008", MIKE_CHEN, harness.key("U42"))
    assert [target for target, _ in outbox.sent] == ["U1"]
    assert "about 20 minutes late to job 1008" in outbox.sent[0][1]
    assert "Sent to <@U1>, who last changed job 1008" in render(reply)["text"]  # a live mention in Slack
    assert harness.sim.write_count == 1  # the reschedule only


async def test_without_a_job_it_is_the_technicians_next_visit(harness: Harness) -> None:
    outbox = Outbox()
    wire(harness, outbox)
    await harness.say("running late", MIKE_CHEN, harness.key("U42"))
    assert len(outbox.sent) == 1 and "running a bit late to job 1008 (appointment 5009" in outbox.sent[0][1]


@pytest.mark.parametrize(
    ("outbox", "channel", "said"),
    [
        (Outbox(), None, "I couldn't pass it on"),
        (Outbox(accept=False), "CDISPATCH", "Slack didn't take the notice"),
        (Outbox(fail=True), "CDISPATCH", "Slack didn't take the notice"),
    ],
)
async def test_a_notice_that_could_not_be_sent_says_so(
    harness: Harness, outbox: Outbox, channel: str | None, said: str
) -> None:
    wire(harness, outbox, channel)
    (reply,) = await harness.say("running 30 min late to 1008", MIKE_CHEN, harness.key("U42"))
    assert said in reply.text and "Please call the office." in reply.text


async def test_a_dispatcher_saying_it_sends_nothing(harness: Harness) -> None:
    outbox = Outbox()
    wire(harness, outbox)
    (reply,) = await harness.say("running 30 min late to 1008", dispatcher())
    assert outbox.sent == [] and "push 1038 back 30 minutes" in reply.text


async def test_a_job_the_technician_is_not_on_is_said_so_in_the_notice(harness: Harness) -> None:
    outbox = Outbox()
    wire(harness, outbox)
    await harness.say("running 10 min late to 1001", MIKE_CHEN, harness.key("U42"))  # Mike Carter's job
    assert outbox.sent and outbox.sent[0][1].endswith("; not assigned to it in ServiceTitan).")


async def test_a_dispatchers_words_about_a_late_tech_answer_the_open_question(harness: Harness) -> None:
    outbox = Outbox()
    wire(harness, outbox)
    asked = await harness.say("put job 1001 on hold", dispatcher())
    assert "Why is it going on hold?" in asked[-1].text
    replies = await harness.say("tech is running behind", dispatcher())
    assert outbox.sent == []
    assert "tech is running behind" in replies[-1].text  # the hold's reason, not a running-late notice


class SlowOutbox(Outbox):
    """Slack taking longer than the read deadline to take the notice (it does take it)."""

    async def __call__(self, target: str, text: str) -> bool:
        await asyncio.sleep(0.5)
        return await super().__call__(target, text)


async def test_a_send_slower_than_the_read_deadline_is_still_said_to_be_sent(harness: Harness) -> None:
    outbox = SlowOutbox()
    wire(harness, outbox)
    harness.service.read_deadline = 0.2  # the reads are fast; only Slack is slow
    (reply,) = await harness.say("running 30 min late to 1008", MIKE_CHEN, harness.key("U42"))
    assert [target for target, _ in outbox.sent] == ["CDISPATCH"]
    assert reply.text.startswith("Sent to the dispatch channel") and "sent nothing" not in reply.text


async def test_a_duplicate_delivery_refused_by_its_guard_leaves_the_which_visit_question(
    harness: Harness,
) -> None:
    """The answer to "which visit?" delivered to two processes: the one that does not have the event changes
    nothing (its first write carries the guard and is refused), so the other still reads it as the answer."""
    outbox = Outbox()
    wire(harness, outbox)
    key = harness.key("U42")
    await harness.say("running 30 min late to 999999", MIKE_CHEN, key)  # no such job: which one?
    store = harness.store
    mine = Guard(store, namespace="slack-event", key="T1:EvLate", ttl=600, wait=5.0)
    other = Guard(store, namespace="slack-event", key="T1:EvLate", ttl=600, wait=5.0)
    assert await mine.settle()
    with store.guarded(other), pytest.raises(GuardRefused):
        await harness.say("1008", MIKE_CHEN, key)
    with store.guarded(mine):
        await harness.say("1008", MIKE_CHEN, key)
    assert len(outbox.sent) == 1 and "30 minutes late to job 1008" in outbox.sent[0][1]
