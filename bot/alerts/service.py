"""Wiring: the watcher with its sinks (managers' alerts, technicians' changes) and per-cycle work
(quiet-hours digests, morning day plans), built from the settings for `python -m bot` and the tests."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, time

from slack_sdk.web.async_client import AsyncWebClient

from bot.alerts.dayplan import DayPlans, Directory, TechnicianChanges
from bot.alerts.delivery import Isolated, ManagerAlerts
from bot.alerts.describe import Describer
from bot.alerts.events import ChangeEvent
from bot.alerts.slackout import SlackOut
from bot.alerts.subscriptions import Subscriptions
from bot.alerts.watcher import Watcher, utc_now
from bot.servicetitan import ServiceTitanClient
from bot.store import Store

log = logging.getLogger("bot.alerts")


class AlertService:
    def __init__(
        self,
        *,
        client: ServiceTitanClient,
        store: Store,
        slack: AsyncWebClient,
        tz: str,
        channel: str | None,
        poll_seconds: float = 20.0,
        day_plan_at: time | None = time(6, 30),
        clock: Callable[[], datetime] = utc_now,
        owner: str | None = None,
        out: SlackOut | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.slack = out or SlackOut(slack, store, default_tz=tz)  # `out`: another way to Slack (benchmarks)
        self.describer = Describer(client, store)
        self.subscriptions = Subscriptions(store)
        self.directory = Directory(client, store, self.slack)
        self.watcher = Watcher(
            client=client,
            store=store,
            sink=self.deliver,
            poll_seconds=poll_seconds,
            clock=clock,
            owner=owner,
            on_cycle=self.after_cycle,
        )
        self.managers = ManagerAlerts(
            store=store,
            describer=self.describer,
            subscriptions=self.subscriptions,
            slack=self.slack,
            channel=channel,
            tz=tz,
            origin=self.watcher.origin,
            clock=clock,
        )
        self.technicians = TechnicianChanges(
            client=client,
            store=store,
            describer=self.describer,
            directory=self.directory,
            slack=self.slack,
            clock=clock,
        )
        self.day_plans = DayPlans(
            client=client,
            store=store,
            describer=self.describer,
            directory=self.directory,
            slack=self.slack,
            at=day_plan_at,
            clock=clock,
        )

    async def deliver(self, events: list[ChangeEvent]) -> None:
        """Both sinks, each on its own: one failing does not keep the other's messages back."""
        each = Isolated("a sink")
        await each.run("managers", self.managers(events))
        await each.run("technicians", self.technicians(events))
        each.settle()

    async def after_cycle(self) -> None:
        each = Isolated("per-cycle work")
        await each.run("digests", self.managers.flush_digests())
        if self.day_plans.at is not None:
            await each.run("day plans", self.day_plans.send(only_due=True))
        each.settle()

    async def run(self, stop: asyncio.Event | None = None) -> None:
        await self.watcher.run(stop)
