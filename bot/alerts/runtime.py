"""Running alerts inside the bot process (`python -m bot`, `serve`) and `python -m bot send-day-plans`."""

from __future__ import annotations

import asyncio
import logging
import sys
from contextlib import AsyncExitStack
from datetime import date

from slack_sdk.web.async_client import AsyncWebClient

from bot.alerts.service import AlertService
from bot.config import Settings
from bot.servicetitan import ServiceTitanClient
from bot.store import Store

log = logging.getLogger("bot.alerts")


def build_service(
    settings: Settings, *, client: ServiceTitanClient, store: Store, slack: AsyncWebClient
) -> AlertService:
    return AlertService(
        client=client,
        store=store,
        slack=slack,
        tz=settings.st_timezone,
        channel=settings.alert_channel or None,
        poll_seconds=settings.alert_poll_seconds,
        day_plan_at=settings.day_plan_time,
    )


async def start_alerts(
    settings: Settings,
    stack: AsyncExitStack,
    *,
    client: ServiceTitanClient,
    store: Store,
    slack: AsyncWebClient,
) -> AlertService:
    """Start the watcher (with its digests and morning messages) as a task stopped when `stack` closes."""
    service = build_service(settings, client=client, store=store, slack=slack)
    stop = asyncio.Event()
    task = asyncio.create_task(service.run(stop), name="alert-watcher")

    async def finish() -> None:
        stop.set()
        await task

    stack.push_async_callback(finish)
    log.info("alerts: watching ServiceTitan every %d s", settings.alert_poll_seconds)
    return service


def send_day_plans(settings: Settings, on: date | None) -> int:
    """`python -m bot send-day-plans [--date YYYY-MM-DD]`: send now, skipping those already sent; exit 0."""
    if not settings.slack_bot_token:
        print("error: SLACK_BOT_TOKEN is required to send day plans", file=sys.stderr)
        return 2

    async def run() -> list[str]:
        from bot.servicetitan.embedded import embedded_client
        from bot.slack.app import make_web_client
        from bot.store import open_store

        if settings.use_simulator:
            client, _ = embedded_client()
        else:
            client = ServiceTitanClient.from_settings(settings)
        async with client, open_store(settings.redis_url) as store:
            service = build_service(settings, client=client, store=store, slack=make_web_client(settings))
            return await service.day_plans.send(on)

    sent = asyncio.run(run())
    print(f"sent {len(sent)} day plan(s)" + (": " + ", ".join(sent) if sent else ""))
    return 0
