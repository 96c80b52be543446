"""Fixtures of the alert tests: the simulator (demo data, a movable clock), real Redis, the fake Slack.

`AlertRig` builds `AlertService`s that share one simulator, one Redis key prefix and one fake Slack, so a
"restart" is a new service on the same state. The fake Slack here also answers `users.lookupByEmail`
(technicians are linked to Slack users by e-mail).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.alerts.service import AlertService
from bot.servicetitan import ServiceTitanClient
from bot.servicetitan.embedded import embedded_client
from bot.simulator import Simulator
from bot.store import RedisStore, Store
from tests.conftest import REDIS_URL, drop_prefix
from tests.slack.fake_slack import BOT_TOKEN, FakeSlack, serve

FIXED_NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # Tuesday, 9:00 AM in America/Chicago
TZ = "America/Chicago"
CHANNEL = "C0ALERTS"
MANAGER = "U0MORGAN"
TECHNICIANS = {  # Slack user -> (name, e-mail) of demo technicians
    "U0LUIS": ("Luis Ortega", "luis.ortega@example.com"),
    "U0MIKE": ("Mike Carter", "mike.carter@example.com"),
    "U0SARAH": ("Sarah Lopez", "sarah.lopez@example.com"),
}


class Clock:
    def __init__(self, now: datetime = FIXED_NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class AlertFakeSlack(FakeSlack):
    """The shared fake, plus `users.lookupByEmail` over its users. `refuse_dm` makes `conversations.open`
    with a user answer an error (user_disabled: a deactivated user), and so does chat.postMessage to a DM
    opened with them before."""

    refuse_dm: dict[str, str] = field(
        default_factory=dict
    )  # Slack user -> the error conversations.open gives

    def _answer(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        if method == "conversations.open" and str(params.get("users")) in self.refuse_dm:
            return {"ok": False, "error": self.refuse_dm[str(params.get("users"))]}
        refused = {dm_of(user): error for user, error in self.refuse_dm.items()}
        if method == "chat.postMessage" and params.get("channel") in refused:  # a DM opened before
            return {"ok": False, "error": refused[str(params["channel"])]}
        if method == "users.lookupByEmail":
            wanted = str(params.get("email", "")).lower()
            for user in self.users.values():
                if str(user["profile"].get("email", "")).lower() == wanted:
                    return {"ok": True, "user": user}
            return {"ok": False, "error": "users_not_found"}
        return super()._answer(method, params)

    def posts_to(self, channel: str) -> list[dict[str, Any]]:
        """What reached `channel` (posts Slack refused are not there)."""
        posts = self.of("chat.postMessage")
        return [c.params for c in posts if c.params.get("channel") == channel and c.answer.get("ok")]


def dm_of(user: str) -> str:
    """The DM channel the fake's conversations.open returns for a user."""
    return "D" + user[1:]


@dataclass
class AlertRig:
    sim: Simulator
    client: ServiceTitanClient
    clock: Clock
    slack: AlertFakeSlack
    slack_url: str
    prefix: str
    stores: list[Store] = field(default_factory=list)
    webs: list[AsyncWebClient] = field(default_factory=list)

    def store(self) -> Store:
        store = RedisStore(REDIS_URL, prefix=self.prefix)
        self.stores.append(store)
        return store

    def service(
        self, *, channel: str | None = CHANNEL, day_plan_at: time | None = None, **kw: Any
    ) -> AlertService:
        web = AsyncWebClient(token=BOT_TOKEN, base_url=self.slack_url + "/api/")
        self.webs.append(web)
        return AlertService(
            client=self.client,
            store=kw.pop("store", None) or self.store(),
            slack=web,
            tz=TZ,
            channel=channel,
            poll_seconds=kw.pop("poll_seconds", 1.0),
            day_plan_at=day_plan_at,
            clock=self.clock,
            **kw,
        )


@pytest.fixture
async def rig() -> AsyncIterator[AlertRig]:
    clock = Clock()
    client, sim = embedded_client(None, clock=clock)
    slack = AlertFakeSlack()
    slack.add_user(MANAGER, name="Morgan Blake", email="morgan@example.com", tz="America/New_York")
    for user, (name, email) in TECHNICIANS.items():
        slack.add_user(user, name=name, email=email, tz=TZ)
    prefix = f"atest{uuid.uuid4().hex[:12]}"
    async with serve(slack.app()) as url:
        slack.base_url = url
        r = AlertRig(sim=sim, client=client, clock=clock, slack=slack, slack_url=url, prefix=prefix)
        try:
            yield r
        finally:
            for store in r.stores:
                await store.aclose()
            await client.aclose()
            await drop_prefix(prefix)
