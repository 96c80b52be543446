"""A separate OS process running the alert watcher (used by test_processes.py).

Usage: python watcher_worker.py REDIS_URL PREFIX SIMULATOR_URL SLACK_API_URL CHANNEL OWNER POLL_SECONDS [MODE]
Runs `AlertService.run()` until killed; prints "ready" once started. With MODE `pause-after-post` every
post to Slack, once Slack has answered, prints "posted" and blocks forever: the test kills the process
there, after the post and before its delivery record and the feeds' tokens are saved.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.alerts.service import AlertService
from bot.alerts.slackout import SlackOut
from bot.servicetitan.embedded import simulator_client
from bot.store import RedisStore


class PauseAfterPost(SlackOut):
    async def post(self, channel: str, text: str, blocks: list[dict[str, Any]], **kw: Any) -> bool:
        await super().post(channel, text, blocks, **kw)
        print("posted", flush=True)
        await asyncio.Event().wait()  # never set: the process waits here to be killed
        return True


async def main(
    redis_url: str,
    prefix: str,
    sim_url: str,
    slack_url: str,
    channel: str,
    owner: str,
    poll: str,
    mode: str = "",
) -> None:
    async with RedisStore(redis_url, prefix=prefix) as store, simulator_client(sim_url) as client:
        web = AsyncWebClient(token="xoxb-test-token", base_url=slack_url)
        tz = "America/Chicago"
        out = PauseAfterPost(web, store, default_tz=tz) if mode == "pause-after-post" else None
        service = AlertService(
            client=client,
            store=store,
            slack=web,
            tz=tz,
            channel=channel,
            poll_seconds=float(poll),
            day_plan_at=None,
            owner=owner,
            out=out,
        )
        print("ready", flush=True)
        await service.run()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:9]))
