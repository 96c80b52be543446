"""The alert card's buttons through the real Slack app: they start the dialog's usual confirmation."""

from __future__ import annotations

from typing import Any

from bot.alerts.cards import ACTION_ALERT_SHOW, ACTION_ALERT_UNDO
from bot.dialog.service import DialogService
from tests.alerts.conftest import CHANNEL, TZ, AlertRig
from tests.slack.harness import block_text, running_bot

DANA = "U0DANA"  # dispatcher (linked by e-mail to the employee Dana Reyes)
MIKE = "U0MIKE"  # a technician


def card(rig: AlertRig, ts: str) -> dict[str, Any]:
    return rig.slack.messages[ts]


async def test_remove_hold_starts_the_confirmation_and_roles_apply(rig: AlertRig) -> None:
    rig.slack.add_user(DANA, name="Dana Reyes", email="dana@example.com")
    store = rig.store()
    dialog = DialogService(client=rig.client, store=store, tz=TZ, clock=rig.clock)
    async with running_bot(dialog=dialog, store=store, servicetitan=rig.client, fake=rig.slack) as bot:
        service = rig.service(store=store)
        await service.watcher.poll_once()
        rig.sim.state.hold_job(1011, {"reasonId": 71, "memo": "compressor on backorder"})
        await service.watcher.poll_once()
        (alert_call,) = [c for c in rig.slack.of("chat.postMessage") if c.params.get("channel") == CHANNEL]
        alert = card(rig, alert_call.answer["ts"])
        before = [dict(alert)]

        await bot.click(DANA, alert, ACTION_ALERT_UNDO)
        confirm = await rig.slack.wait_for(
            lambda: [c for c in rig.slack.of("chat.postMessage") if c.params.get("thread_ts") == alert["ts"]],
            what="the confirmation card in the alert's thread",
        )
        shown = block_text(confirm[0].params)
        assert "1011" in shown and "hold" in shown.lower()
        primary = [
            e
            for b in confirm[0].params["blocks"]
            if b["type"] == "actions"
            for e in b["elements"]
            if e.get("style") == "primary"
        ]
        assert len(primary) == 1  # the write intent's own confirmation card
        assert rig.sim.state.jobs[1011]["jobStatus"] == "Hold"  # nothing written before the confirm
        assert card(rig, alert["ts"]) == before[0]  # the alert stays as it was

        posts = len(rig.slack.posted())
        await bot.click(MIKE, alert, ACTION_ALERT_UNDO)
        await rig.slack.wait_for(lambda: len(rig.slack.posted()) > posts, what="the technician's answer")
        refusal = rig.slack.posted()[-1]
        assert "primary" not in str(refusal.get("blocks"))

        await bot.click(DANA, alert, ACTION_ALERT_SHOW)
        await rig.slack.wait_for(
            lambda: any(
                "Job 1011" in block_text(p) and "Waiting for parts" in block_text(p)
                for p in rig.slack.posted()
            ),
            what="the job shown",
        )
