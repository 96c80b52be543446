"""A separate OS process running the alert watcher (used by test_processes.py).

Usage: python watcher_worker.py REDIS_URL PREFIX SIMULATOR_URL SLACK_API_URL CHANNEL OWNER POLL_SECONDS
Runs `AlertService.run()` until killed; prints "ready" once started.
"""

from __future__ import annotations

import asyncio
import sys

from slack_sdk.web.async_client import AsyncWebClient

from bot.alerts.service import AlertService
from bot.servicetitan.embedded import simulator_client
from bot.store import RedisStore


async def main(
    redis_url: str, prefix: str, sim_url: str, slack_url: str, channel: str, owner: str, poll: str
) -> None:
    async with RedisStore(redis_url, prefix=prefix) as store, simulator_client(sim_url) as client:
        web = AsyncWebClient(token="xoxb-test-token", base_url=slack_url)
        service = AlertService(
            client=client,
            store=store,
            slack=web,
            tz="America/Chicago",
            channel=channel,
            poll_seconds=float(poll),
            day_plan_at=None,
            owner=owner,
        )
        print("ready", flush=True)
        await service.run()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:8]))
