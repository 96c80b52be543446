"""The change feed keeps the cached job reads fresh: a job whose rows changed loses its cached reads."""

from __future__ import annotations

import dataclasses
from typing import Any

from bot.dialog.feedreads import FEED_KEY
from bot.dialog.refdata import JOB_READS_NAMESPACE, ReferenceData
from tests.alerts.conftest import AlertRig

HOLD = {"reasonId": 71, "memo": "compressor on backorder"}


async def test_a_changed_job_loses_its_cached_reads_and_the_others_keep_theirs(rig: AlertRig) -> None:
    store = rig.store()
    service = rig.service(store=store)
    await service.watcher.poll_once()  # the baseline
    refdata = ReferenceData(rig.client, store, reads_ttl=60.0)
    held = await refdata.job_reads(1011)
    assert held is not None and held["job"]["job_status"] != "Hold"
    assert await refdata.job_reads(1012) is not None

    rig.clock.advance(minutes=1)
    rig.sim.state.hold_job(1011, HOLD)
    await service.watcher.poll_once()

    dropped = await store.load(namespace=JOB_READS_NAMESPACE, key="1011")
    assert dropped is not None and "data" not in dropped.value
    kept = await store.load(namespace=JOB_READS_NAMESPACE, key="1012")
    assert kept is not None and "data" in kept.value
    mark = await store.load(namespace=JOB_READS_NAMESPACE, key=FEED_KEY)
    assert mark is not None and mark.value["since"] == rig.clock().timestamp()
    again = await refdata.job_reads(1011)
    assert again is not None and again["job"]["job_status"] == "Hold"


async def test_a_poll_cut_short_drops_what_it_read_but_moves_no_mark(rig: AlertRig) -> None:
    """An export that stopped early (has_more: the backlog after an outage) still has changes to drop, so
    the feed's mark, which says every change before it is dropped, stays where it was."""
    store = rig.store()
    service = rig.service(store=store)
    watcher = service.watcher
    await watcher.poll_once()
    mark = await store.load(namespace=JOB_READS_NAMESPACE, key=FEED_KEY)
    assert mark is not None

    first = watcher.feeds[0]

    async def cut_short(client: Any, token: str | None) -> Any:
        batch = await first.read(client, token)
        return batch.model_copy(update={"has_more": True})

    watcher.feeds = (dataclasses.replace(first, read=cut_short), *watcher.feeds[1:])
    rig.clock.advance(minutes=1)
    rig.sim.state.hold_job(1011, HOLD)
    await watcher.poll_once()

    dropped = await store.load(namespace=JOB_READS_NAMESPACE, key="1011")
    assert dropped is not None and "dropped" in dropped.value
    after = await store.load(namespace=JOB_READS_NAMESPACE, key=FEED_KEY)
    assert after is not None and after.value == mark.value
