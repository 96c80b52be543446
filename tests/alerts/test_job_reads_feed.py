"""The change feed keeps the cached job reads fresh: a job whose rows changed loses its cached reads."""

from __future__ import annotations

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
