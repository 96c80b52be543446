"""Who an alert names: the Slack user only for a change ServiceTitan stamps with the bot's API user, and only
after that user's write went through (the real DialogService and watcher, simulator, real Redis, fake Slack)."""

from __future__ import annotations

from bot.dialog.messages import Asker, ConversationKey, Pressed, Said
from bot.dialog.service import DialogService
from bot.simulator.faults import FaultConfig
from tests.alerts.conftest import CHANNEL, TZ, AlertRig
from tests.slack.harness import block_text

HOLD = {"reasonId": 71, "memo": "compressor on backorder"}  # Waiting for parts
DANA = Asker(user_id="U0DANA", tz=TZ, role="dispatcher", name="Dana Reyes")
KEY = ConversationKey(team="T1", channel="D1", thread="", user="U0DANA")


async def _confirm(
    rig: AlertRig, dialog: DialogService, text: str, faults: FaultConfig | None = None
) -> None:
    replies = await dialog.handle(KEY, DANA, Said(text=text))
    card = [r for r in replies if r.kind == "confirm"][-1]
    rig.sim.set_faults(faults or FaultConfig())
    await dialog.handle(KEY, DANA, Pressed(action="confirm", token=card.token))
    rig.sim.set_faults(FaultConfig())


async def test_a_write_that_was_refused_does_not_name_its_asker_on_someone_elses_change(
    rig: AlertRig,
) -> None:
    service = rig.service()
    await service.watcher.poll_once()
    dialog = DialogService(client=rig.client, store=service.store, tz=TZ, clock=rig.clock)
    hold = "put job 1011 on hold, waiting for parts: compressor"
    await _confirm(rig, dialog, hold, FaultConfig(rate_5xx=1.0))  # Dana's hold never reaches ServiceTitan
    assert rig.sim.state.jobs[1011]["jobStatus"] != "Hold"
    rig.sim.state.hold_job(1011, HOLD)  # someone else, directly in ServiceTitan
    await service.watcher.poll_once()
    (post,) = rig.slack.posts_to(CHANNEL)
    assert "<@U0DANA>" not in block_text(post) and "a ServiceTitan user" in block_text(post)


async def test_a_change_by_a_known_employee_names_them_even_after_a_bot_write_on_the_job(
    rig: AlertRig,
) -> None:
    service = rig.service()
    await service.watcher.poll_once()
    dialog = DialogService(client=rig.client, store=service.store, tz=TZ, clock=rig.clock)
    await _confirm(rig, dialog, "add a note to job 1011: parts ordered")  # Dana wrote to the job
    employee = next(iter(rig.sim.state.employees.values()))
    rig.sim.state.actor = int(employee["id"])  # then an office employee holds it in ServiceTitan
    rig.sim.state.hold_job(1011, HOLD)
    await service.watcher.poll_once()
    (post,) = rig.slack.posts_to(CHANNEL)
    shown = block_text(post)
    assert str(employee["name"]) in shown and "<@U0DANA>" not in shown, shown
