"""A technician's App Home shows the same day view as the morning message (one code path:
bot.alerts.dayplan.technician_day), read afresh each time it is opened."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.alerts.cards import esc
from bot.dialog.messages import Asker
from bot.dialog.service import DialogService
from bot.slack.blocks import render_home
from tests.alerts.conftest import TZ, AlertRig
from tests.slack.harness import assert_valid_blocks, block_text


async def test_app_home_shows_the_morning_messages_day_and_is_read_again_on_open(rig: AlertRig) -> None:
    service = rig.service()
    dialog = DialogService(client=rig.client, store=service.store, tz=TZ, clock=rig.clock)
    today = rig.clock().astimezone(ZoneInfo(TZ)).date()
    busy = []
    for tech in await service.directory.linked():
        text, blocks = await service.day_plans.message(tech, today)
        sections = [b["text"]["text"] for b in blocks if b["type"] == "section"]
        if sections != [esc("No appointments today.")]:
            busy.append((tech, sections))
    assert busy, "a linked technician has appointments today"
    tech, morning = busy[0]
    asker = Asker(
        user_id=tech.slack_user, tz=tech.tz, role="technician", name=tech.name, technician_id=tech.id
    )

    home = await dialog.home(asker)
    assert [esc(line) for line in home.lines] == morning  # the same entries, in the same order
    view = render_home(home)
    assert_valid_blocks(view["blocks"], limit=100)
    assert all(entry in block_text(view) for entry in morning)

    # Moved in ServiceTitan: the next open shows the new time (nothing is kept from the last one).
    appointment = next(
        a
        for a in rig.sim.state.appointments.values()
        if a["status"] not in ("Canceled", "Done")
        and any(s["technicianId"] == tech.id for s in rig.sim.state.active_assignments(a["id"]))
        and a["start"].astimezone(ZoneInfo(TZ)).date() == today
    )
    before = [line for line in home.lines if f"Job {appointment['jobId']}" in line]
    rig.sim.state.reschedule(
        appointment["id"], {"start": "2026-11-24T23:00:00Z", "end": "2026-11-25T00:00:00Z"}
    )  # 5:00 PM – 6:00 PM in Chicago
    again = await dialog.home(asker)
    after = [line for line in again.lines if f"Job {appointment['jobId']}" in line]
    assert before and after and before != after
    assert "5:00 PM – 6:00 PM" in after[0], after
    text, blocks = await service.day_plans.message(tech, today)
    assert [esc(line) for line in again.lines] == [
        b["text"]["text"] for b in blocks if b["type"] == "section"
    ]
