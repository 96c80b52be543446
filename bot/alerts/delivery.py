"""Managers' alerts: each hold or cancel to ALERT_CHANNEL and to every subscriber, once.

Per cycle the events of a kind managers care about are described (bot.alerts.describe) and grouped per
recipient: one alert is one card, a burst (a bulk action) is one grouped message. A delivery record per
(event, recipient) is written after the post, so a cycle repeated after a crash posts nothing twice; a
*sending* marker written before the post covers a crash between the two (`unsent`, `send_recorded`). A
subscriber in quiet hours (or a pause) gets nothing now: the alerts are held in the store and sent as one digest when
the quiet hours end (`flush_digests`, run every cycle).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.alerts import cards
from bot.alerts.describe import UNKNOWN_PERSON, Alert, Describer, JobFacts
from bot.alerts.events import MANAGER_KINDS, ChangeEvent
from bot.alerts.slackout import PERMANENT_ERRORS, SlackOut
from bot.alerts.subscriptions import Subscription, Subscriptions, actor_of
from bot.store import Store

log = logging.getLogger("bot.alerts")

SENT_NAMESPACE = "alert-sent"
SENT_TTL_SECONDS = 14 * 24 * 3600
SENDING_NAMESPACE = "alert-sending"
HELD_NAMESPACE = "alert-held"
HELD_TTL_SECONDS = 3 * 24 * 3600


async def already_sent(store: Store, key: str, recipient: str) -> bool:
    return await store.load(namespace=SENT_NAMESPACE, key=f"{recipient}:{key}") is not None


async def mark_sent(store: Store, key: str, recipient: str) -> None:
    await store.add_once(namespace=SENT_NAMESPACE, key=f"{recipient}:{key}", ttl=SENT_TTL_SECONDS)


class Isolated:
    """Runs each recipient's (or sink's) work on its own: a failure is logged and kept, the others still
    run; `settle` then raises the first kept failure, so the cycle is retried (what was delivered is
    recorded and not sent twice). A permanent Slack refusal (`PERMANENT_ERRORS`) is logged and dropped:
    no retry would change it (`SlackOut` drops most of them itself)."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.failures: list[Exception] = []

    async def run(self, name: str, work: Awaitable[Any]) -> None:
        try:
            await work
        except SlackApiError as exc:
            error = str(exc.response.get("error", ""))
            if error not in PERMANENT_ERRORS:
                log.warning("alerts: %s for %s failed; the others go on: %s", self.what, name, error)
                self.failures.append(exc)
                return
            log.warning("alerts: Slack refuses %s for %s for good; dropped: %s", self.what, name, error)
        except Exception as exc:
            log.warning("alerts: %s for %s failed; the others go on: %r", self.what, name, exc, exc_info=True)
            self.failures.append(exc)

    def settle(self) -> None:
        if self.failures:
            raise self.failures[0]


async def unsent(store: Store, slack: SlackOut, recipient: str, channel: str, keys: list[str]) -> list[str]:
    """The keys (events) not delivered to `recipient` yet, in order.

    A key with a *sending* marker but no delivery record was being posted when its process stopped: the
    post may or may not have reached Slack. The channel's history says which (the post carries the
    marker's batch id in its metadata): found, the delivery is recorded now and the key is not sent
    again; not found, it is sent again. When the history cannot be read, it is sent again too (a
    possible duplicate rather than a lost alert)."""
    left: list[str] = []
    batches: dict[str, tuple[float, list[str]]] = {}
    for key in keys:
        if await already_sent(store, key, recipient):
            continue
        marker = await store.load(namespace=SENDING_NAMESPACE, key=f"{recipient}:{key}")
        if marker is None:
            left.append(key)
            continue
        since, found = batches.setdefault(str(marker.value["batch"]), (float(marker.value["since"]), []))
        found.append(key)
    for batch, (since, batch_keys) in batches.items():
        if await slack.has_batch(channel, batch, since=since):
            log.info("alerts: a post to %s made before a restart was found; not sending it again", recipient)
            for key in batch_keys:
                await mark_sent(store, key, recipient)
        else:
            left += batch_keys
    return [key for key in keys if key in left]


async def send_recorded(
    store: Store,
    slack: SlackOut,
    recipient: str,
    channel: str,
    keys: list[str],
    text: str,
    blocks: list[dict[str, Any]],
) -> None:
    """Post to `channel` the message delivering `keys` to `recipient`, with a record on each side of it:
    a *sending* marker (its batch id, also in the post's metadata) before, the delivery record after.
    A process killed between the two leaves the marker, which `unsent` resolves on the next try."""
    batch = uuid.uuid4().hex
    marker = {"batch": batch, "since": time.time()}
    for key in keys:
        await store.save(
            namespace=SENDING_NAMESPACE, key=f"{recipient}:{key}", value=marker, ttl=SENT_TTL_SECONDS
        )
    await slack.post(channel, text, blocks, batch=batch)
    for key in keys:
        await mark_sent(store, key, recipient)


def _alert_json(alert: Alert) -> dict[str, Any]:
    job = alert.job
    return {
        "event": alert.event.as_json(),
        "job": {
            "job_id": job.job_id,
            "number": job.number,
            "type_name": job.type_name,
            "status": job.status,
            "customer": job.customer,
            "address": job.address,
        },  # fmt: skip
        "reason": alert.reason,
        "memo": alert.memo,
        "actor": alert.actor,
        "at": alert.at.isoformat(),
    }


def _alert_from(data: dict[str, Any]) -> Alert:
    return Alert(
        event=ChangeEvent.from_json(data["event"]),
        job=JobFacts(**data["job"]),
        reason=data["reason"],
        memo=data["memo"],
        actor=data["actor"],
        at=datetime.fromisoformat(data["at"]),
    )


class ManagerAlerts:
    def __init__(
        self,
        *,
        store: Store,
        describer: Describer,
        subscriptions: Subscriptions,
        slack: SlackOut,
        channel: str | None,
        tz: str,
        origin: Callable[[], Awaitable[str | None]],
        clock: Callable[[], datetime],
    ) -> None:
        self.store = store
        self.describer = describer
        self.subscriptions = subscriptions
        self.slack = slack
        self.channel = channel
        self.tz = tz
        self.origin = origin
        self.clock = clock

    async def alerts_for(self, events: list[ChangeEvent]) -> list[Alert]:
        wanted = [e for e in events if e.kind in MANAGER_KINDS]
        # Job holds first: a job put on hold puts its appointments on hold too (one alert, for the job),
        # while a job whose appointment was held is described as that appointment's hold (bot.alerts.describe),
        # under the key of the appointment's own event, which is then not described twice.
        wanted.sort(key=lambda e: e.kind != "job_hold")
        origin = await self.origin() or self.clock().isoformat()
        alerts: list[Alert] = []
        held_jobs: set[int] = set()
        keys: set[str] = set()
        for event in wanted:
            if event.kind == "appointment_hold" and (event.job_id in held_jobs or event.key in keys):
                continue
            alert = await self.describer.alert(event, origin)
            if alert is None or alert.event.key in keys:
                continue
            keys.add(alert.event.key)
            if alert.event.kind == "job_hold":
                held_jobs.add(alert.job.job_id)
            # ServiceTitan names nobody we know (the bot's API user): the Slack user who changed it through us
            slack_user = (
                await actor_of(self.store, alert.event.job_id, appointment_id=alert.event.appointment_id)
                if alert.actor == UNKNOWN_PERSON
                else None
            )
            if slack_user:
                alert.actor = f"<@{slack_user}>"
            alerts.append(alert)
        return alerts

    async def __call__(self, events: list[ChangeEvent]) -> None:
        alerts = await self.alerts_for(events)
        if not alerts:
            return
        subs = await self.subscriptions.all()
        recipients: dict[str, Subscription | None] = {}
        if self.channel:
            recipients[self.channel] = None
        for each in subs:
            if each.kinds:
                recipients.setdefault(each.target, each)
        apart = Isolated("alerts")
        for recipient, sub in recipients.items():
            mine = [a for a in alerts if sub is None or sub.wants(a.event.kind)]
            await apart.run(recipient, self.deliver(recipient, sub, mine))
        apart.settle()

    async def deliver(self, recipient: str, sub: Subscription | None, alerts: list[Alert]) -> None:
        if not alerts:
            return
        is_user = sub is not None and not sub.is_channel
        channel = await self.slack.dm_channel(recipient) if is_user else recipient
        if channel is None:
            return  # Slack refuses this user for good (deactivated): dropped, logged by SlackOut
        keys = await unsent(self.store, self.slack, recipient, channel, [a.event.key for a in alerts])
        pending = [a for a in alerts if a.event.key in keys]
        if not pending:
            return
        tz = await self.slack.tz_of(recipient) if is_user else self.tz
        if sub is not None and is_user and sub.resting_at(self.clock(), tz):
            await self._hold(recipient, pending)
            for alert in pending:
                await mark_sent(self.store, alert.event.key, recipient)
        else:
            text, blocks = cards.grouped_card(pending, tz, heading=cards.burst_heading(pending))
            await send_recorded(self.store, self.slack, recipient, channel, keys, text, blocks)

    async def _hold(self, recipient: str, alerts: list[Alert]) -> None:
        record = await self.store.load(namespace=HELD_NAMESPACE, key=recipient)
        held = list(record.value.get("alerts", [])) if record is not None else []
        known = {a["event"]["key"] for a in held}
        held += [_alert_json(a) for a in alerts if a.event.key not in known]
        await self.store.save(
            namespace=HELD_NAMESPACE, key=recipient, value={"alerts": held}, ttl=HELD_TTL_SECONDS
        )

    async def flush_digests(self) -> int:
        """Send each subscriber whose quiet hours ended the alerts held meanwhile, as one digest.

        The digest is sent like any alert (`send_recorded`, recipient `digest:{user}`), then its alerts
        are taken out of the held record: a process killed in between leaves them held, and the next
        flush finds the digest already sent (or sends what it did not reach)."""
        each = Isolated("a digest")
        sent: list[str] = []
        for sub in await self.subscriptions.all():
            if not sub.is_channel:
                await each.run(sub.target, self._flush(sub, sent))
        each.settle()
        return len(sent)

    async def _flush(self, sub: Subscription, sent: list[str]) -> None:
        record = await self.store.load(namespace=HELD_NAMESPACE, key=sub.target)
        if record is None or not record.value.get("alerts"):
            return
        tz = await self.slack.tz_of(sub.target)
        if sub.resting_at(self.clock(), tz):
            return
        alerts = [_alert_from(a) for a in record.value["alerts"]]
        recipient, channel = f"digest:{sub.target}", await self.slack.dm_channel(sub.target)
        keys = []  # Slack refusing this user for good (channel None): the held alerts are dropped (logged)
        if channel is not None:
            keys = await unsent(self.store, self.slack, recipient, channel, [a.event.key for a in alerts])
        if keys and channel is not None:
            due = [a for a in alerts if a.event.key in keys]
            text, blocks = cards.grouped_card(due, tz, heading=cards.digest_heading(due))
            await send_recorded(self.store, self.slack, recipient, channel, keys, text, blocks)
            sent.append(sub.target)
        await self._unhold(sub.target, {a.event.key for a in alerts})

    async def _unhold(self, recipient: str, keys: set[str]) -> None:
        """Take delivered alerts out of the held record (alerts held meanwhile stay)."""
        for _ in range(10):
            record = await self.store.load(namespace=HELD_NAMESPACE, key=recipient)
            if record is None:
                return
            left = [a for a in record.value.get("alerts", []) if a["event"]["key"] not in keys]
            if await self.store.compare_and_set(
                namespace=HELD_NAMESPACE,
                key=recipient,
                expected_rev=record.rev,
                value={"alerts": left},
                ttl=HELD_TTL_SECONDS,
            ):
                return
