"""Managers' alerts in the console demo (issue 12): a hold or cancel made in the demo is drawn as the
alert card a manager gets in Slack.

The demo runs the real change feed (bot.alerts.watcher) and the real managers' alerts (bot.alerts.delivery,
the same Block Kit from bot.alerts.cards) on its simulator and in-process store, after every turn. Only the
way out differs: `ConsoleOut` keeps the messages the alerts would post, and the console draws them with the
rest of the turn (bot/demo/drawing.py). The alert's buttons work as in Slack: *Show job* and
*Remove hold* / *Un-cancel* feed the dialog their request, as whoever is typing (roles apply).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.alerts.cards import button_request
from bot.alerts.delivery import ManagerAlerts
from bot.alerts.describe import Describer
from bot.alerts.slackout import SlackOut
from bot.alerts.subscriptions import Subscriptions
from bot.alerts.watcher import Watcher, utc_now
from bot.dialog.messages import Event, Said
from bot.roles import MANAGER_EMPLOYEE_ROLES
from bot.servicetitan import ServiceTitanClient
from bot.slack.blocks import event_from_action
from bot.store import Store

ALERT_CHANNEL = "CDEMOALERTS"  # where the demo's alerts "go": drawn, never posted
_MENTION = re.compile(r"@(U[A-Z0-9]+)\b")

Message = dict[str, Any]


class ConsoleOut(SlackOut):
    """The alerts' way to Slack, for the console: messages are kept for the console to draw."""

    def __init__(self, store: Store, *, default_tz: str) -> None:  # no Slack client: nothing is sent
        self.store = store
        self.default_tz = default_tz
        self.messages: list[Message] = []

    async def post(self, channel: str, text: str, blocks: list[dict[str, Any]], **_: Any) -> bool:
        self.messages.append({"channel": channel, "text": text, "blocks": blocks})
        return True

    async def has_batch(self, channel: str, batch: str, *, since: float) -> bool | None:
        return None  # kept messages are drawn once; nothing to find again

    async def dm_channel(self, user: str) -> str:
        return user

    async def tz_of(self, user: str) -> str:
        return self.default_tz

    async def user_by_email(self, email: str) -> dict[str, Any] | None:
        return None  # no Slack users: technicians' day messages are not part of the demo


@dataclass
class DemoAlerts:
    """The change feed and managers' alerts of one demo session."""

    watcher: Watcher
    out: ConsoleOut
    manager: str | None  # the data's manager, who reads the alert channel
    people: dict[str, str] = field(default_factory=dict)  # the demo's Slack-like user ids -> names

    async def notices(self) -> list[tuple[str, Message]]:
        """Read ServiceTitan's changes since the last turn; the alert messages they give, each with a
        caption saying who gets it."""
        await self.watcher.poll_once()
        messages, self.out.messages = self.out.messages, []
        return [(self.caption(str(m.pop("channel"))), m) for m in messages]

    def caption(self, channel: str) -> str:
        if channel == ALERT_CHANNEL:
            reader = f", as {self.manager} (manager) sees it" if self.manager else ""
            return f"🔔 Alert in the managers' alert channel{reader}:"
        return f"🔔 Alert sent to {self.people.get(channel, 'a subscriber')} (subscribed to alerts):"

    def name_mentions(self, line: str) -> str:
        """A drawn Slack mention `@U…` as the person's name, as Slack shows it."""
        return _MENTION.sub(lambda m: "@" + self.people.get(m.group(1), m.group(1)), line)


async def start_alerts(
    client: ServiceTitanClient,
    store: Store,
    *,
    tz: str,
    manager: str | None,
    people: dict[str, str],
    clock: Callable[[], datetime] | None = None,
) -> DemoAlerts:
    """Start watching the demo's simulator from now (its first start records the baseline)."""
    now = clock or utc_now
    out = ConsoleOut(store, default_tz=tz)
    managers = ManagerAlerts(
        store=store,
        describer=Describer(client, store),
        subscriptions=Subscriptions(store),
        slack=out,
        channel=ALERT_CHANNEL,
        tz=tz,
        origin=lambda: watcher.origin(),
        clock=now,
    )
    watcher = Watcher(client=client, store=store, sink=managers, clock=now)
    await watcher.start_fresh()
    return DemoAlerts(watcher=watcher, out=out, manager=manager, people=people)


def manager_name(employees: list[Any]) -> str | None:
    """The first manager of the data (FieldManager, Admin or Owner), who would get the alerts."""
    return next((e.name for e in employees if e.role in MANAGER_EMPLOYEE_ROLES), None)


def decode_action(action: dict[str, Any], state_values: dict[str, Any] | None = None) -> Event | None:
    """A pressed control as the Slack app decodes it: the dialog's own controls, and an alert's buttons
    (their request, as if typed)."""
    event = event_from_action(action, state_values)
    if event is not None:
        return event
    request = button_request(str(action.get("action_id") or ""), action.get("value"))
    return Said(text=request) if request else None
