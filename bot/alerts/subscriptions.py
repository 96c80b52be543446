"""Who gets which alerts: subscriptions per Slack user and per channel, quiet hours, and the bot's own actors.

Subscriptions are one store record (`alert-subs:all`, no expiry), changed with compare-and-set so two
processes subscribing people at once both win. Each entry is `{"kinds": ["cancel", "hold"],
"quiet": {"from": "20:00", "to": "06:00"} | None, "paused": {"from": iso, "until": iso} | None}`; kinds are the
parser's `kinds` slot values. Quiet hours and a pause both hold alerts for one digest when they end; neither
ever unsubscribes.

`record_actor(store, job_id, slack_user)` is for the write path: a change the bot makes is seen by the watcher
like any other, and this short-lived record lets the alert name the Slack user who made it. It also adds to
the job's longer-lived list of bot writes (`bot-writes:job:{id}`, 90 days like the audit stream), which
`bot_writer_at` reads to name who made a change through the bot when ServiceTitan only knows the bot's API
user (a canceled log's `createdById`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.alerts.events import SUBSCRIBABLE
from bot.store import Store, StoreError

log = logging.getLogger("bot.alerts")

NAMESPACE = "alert-subs"
KEY = "all"
ACTOR_NAMESPACE = "alert-actor"
ACTOR_TTL_SECONDS = 15 * 60
WRITES_NAMESPACE = "bot-writes"
WRITES_TTL_SECONDS = 90 * 24 * 3600
WRITES_KEPT = 20
WRITE_MATCH = timedelta(minutes=10)
"""How long after the bot's note a change in ServiceTitan is taken as that write (the note is made just
before the call; a minute's clock skew the other way is allowed)."""
ALL_KINDS = tuple(sorted(SUBSCRIBABLE))
MAX_ATTEMPTS = 20


@dataclass(frozen=True)
class Subscription:
    target: str  # a Slack user id (U...) or channel id (C.../G...)
    kinds: tuple[str, ...]
    quiet_from: time | None = None
    quiet_to: time | None = None
    paused_from: datetime | None = None
    paused_until: datetime | None = None

    @property
    def is_channel(self) -> bool:
        return not self.target.startswith(("U", "W"))

    def wants(self, event_kind: str) -> bool:
        return any(event_kind in SUBSCRIBABLE[k] for k in self.kinds if k in SUBSCRIBABLE)

    def quiet_at(self, moment: datetime, tz: str) -> bool:
        """Whether `moment` falls in this subscriber's quiet hours (in their time zone)."""
        if self.quiet_from is None or self.quiet_to is None:
            return False
        now = moment.astimezone(ZoneInfo(tz)).time()
        start, end = self.quiet_from, self.quiet_to
        return start <= now < end if start < end else now >= start or now < end

    def paused_at(self, moment: datetime) -> bool:
        """Whether `moment` falls in this subscriber's pause ("pause alerts for the weekend")."""
        if self.paused_until is None:
            return False
        return (self.paused_from is None or self.paused_from <= moment) and moment < self.paused_until

    def resting_at(self, moment: datetime, tz: str) -> bool:
        """Quiet hours or a pause: alerts now are held for a digest."""
        return self.quiet_at(moment, tz) or self.paused_at(moment)


def _hhmm(value: time | None) -> str | None:
    return value.strftime("%H:%M") if value is not None else None


def _time(value: Any) -> time | None:
    return time.fromisoformat(str(value)) if value else None


def _moment(value: Any) -> datetime | None:
    if not value:
        return None
    moment = datetime.fromisoformat(str(value))
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class Subscriptions:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def all(self) -> list[Subscription]:
        record = await self.store.load(namespace=NAMESPACE, key=KEY)
        entries = record.value.get("targets", {}) if record is not None else {}
        return [
            Subscription(
                target=target,
                kinds=tuple(entry.get("kinds") or ()),
                quiet_from=_time((entry.get("quiet") or {}).get("from")),
                quiet_to=_time((entry.get("quiet") or {}).get("to")),
                paused_from=_moment((entry.get("paused") or {}).get("from")),
                paused_until=_moment((entry.get("paused") or {}).get("until")),
            )
            for target, entry in sorted(entries.items())
        ]

    async def of(self, target: str) -> Subscription | None:
        return next((s for s in await self.all() if s.target == target), None)

    async def _change(self, target: str, change: Any) -> Subscription | None:
        for _ in range(MAX_ATTEMPTS):
            record = await self.store.load(namespace=NAMESPACE, key=KEY)
            targets: dict[str, Any] = dict(record.value.get("targets", {})) if record is not None else {}
            entry = change(dict(targets.get(target) or {"kinds": [], "quiet": None}))
            if entry is None or (not entry["kinds"] and not entry.get("quiet") and not entry.get("paused")):
                targets.pop(target, None)
            else:
                targets[target] = entry
            value = {"targets": targets}
            if record is None:
                if await self.store.add_once(namespace=NAMESPACE, key=KEY, ttl=None):
                    record = await self.store.load(namespace=NAMESPACE, key=KEY)
                    if record is None:
                        continue
                else:
                    continue
            if await self.store.compare_and_set(
                namespace=NAMESPACE, key=KEY, expected_rev=record.rev, value=value, ttl=None
            ):
                return await self.of(target)
        raise RuntimeError("subscriptions changed too often at once; try again")

    async def subscribe(self, target: str, kinds: list[str] | None = None) -> Subscription | None:
        wanted = [k for k in (kinds or ALL_KINDS) if k in SUBSCRIBABLE]

        def change(entry: dict[str, Any]) -> dict[str, Any]:
            entry["kinds"] = sorted(set(entry.get("kinds") or []) | set(wanted))
            return entry

        return await self._change(target, change)

    async def unsubscribe(self, target: str, kinds: list[str] | None = None) -> Subscription | None:
        dropped = set(kinds or ALL_KINDS)

        def change(entry: dict[str, Any]) -> dict[str, Any]:
            entry["kinds"] = sorted(set(entry.get("kinds") or []) - dropped)
            return entry

        return await self._change(target, change)

    async def set_quiet(self, target: str, start: time | None, end: time | None) -> Subscription | None:
        def change(entry: dict[str, Any]) -> dict[str, Any]:
            entry["quiet"] = {"from": _hhmm(start), "to": _hhmm(end)} if start and end else None
            return entry

        return await self._change(target, change)

    async def pause(self, target: str, start: datetime | None, until: datetime | None) -> Subscription | None:
        """Hold `target`'s alerts from `start` (now when None) until `until`; `until` None ends a pause."""

        def change(entry: dict[str, Any]) -> dict[str, Any]:
            entry["paused"] = (
                {"from": start.isoformat() if start else None, "until": until.isoformat()} if until else None
            )
            return entry

        return await self._change(target, change)


def describe(sub: Subscription | None, *, tz: str | None = None, now: datetime | None = None) -> str:
    """What a subscriber gets, in words: the dialog's answer to "my alerts"."""
    if sub is None or not sub.kinds:
        text = "You're not subscribed to any alerts."
    else:
        names = {"hold": "holds", "cancel": "cancellations"}
        text = "You get alerts for " + " and ".join(names[k] for k in sub.kinds if k in names) + "."
    if sub is not None and sub.quiet_from and sub.quiet_to:
        text += f" Quiet hours: {_hhmm(sub.quiet_from)}–{_hhmm(sub.quiet_to)} (held and sent as one digest after)."
    if sub is not None and sub.paused_until is not None and (now is None or sub.paused_until > now):
        until = sub.paused_until.astimezone(ZoneInfo(tz)) if tz else sub.paused_until
        start = sub.paused_from.astimezone(ZoneInfo(tz)) if tz and sub.paused_from else sub.paused_from
        since = f" from {_when(start)}" if start is not None and (now is None or start > now) else ""
        text += f" Paused{since} until {_when(until)} (held and sent as one digest after)."
    return text


def _when(moment: datetime) -> str:
    return moment.strftime("%a %b %-d, %-I:%M %p")


async def record_actor(
    store: Store,
    job_id: int | None,
    slack_user: str,
    *,
    appointment_id: int | None = None,
    at: datetime | None = None,
) -> None:
    """The write path's note that `slack_user` is changing this job (or appointment) through the bot at
    `at` (now): kept 15 minutes for the watcher to name them in its alert, and added to the job's list of
    bot writes (90 days) for "who canceled job N"."""
    for kind, record_id in (("job", job_id), ("appointment", appointment_id)):
        if record_id is not None:
            await store.save(
                namespace=ACTOR_NAMESPACE,
                key=f"{kind}:{int(record_id)}",
                value={"user": slack_user},
                ttl=ACTOR_TTL_SECONDS,
            )
    if job_id is not None:
        key = f"job:{int(job_id)}"
        record = await store.load(namespace=WRITES_NAMESPACE, key=key)
        writes = list(record.value.get("writes", [])) if record is not None else []
        writes.append({"user": slack_user, "at": (at or datetime.now(UTC)).isoformat()})
        await store.save(
            namespace=WRITES_NAMESPACE,
            key=key,
            value={"writes": writes[-WRITES_KEPT:]},
            ttl=WRITES_TTL_SECONDS,
        )


async def record_write_actor(
    store: Store, args: dict[str, Any], slack_user: str, *, at: datetime | None = None
) -> None:
    """`record_actor` for a dialog write's arguments (`job_id` and/or `appointment_id`); a store that fails
    here only costs the alert the Slack user's name, never the write."""
    job_id, appointment_id = args.get("job_id"), args.get("appointment_id")
    try:
        await record_actor(
            store,
            int(job_id) if job_id is not None else None,
            slack_user,
            appointment_id=int(appointment_id) if appointment_id is not None else None,
            at=at,
        )
    except (StoreError, TypeError, ValueError) as exc:
        log.warning("alerts: could not record who is writing: %s", exc)


async def bot_writer_at(store: Store, job_id: int, moment: datetime) -> str | None:
    """The Slack user who changed job `job_id` through the bot just before `moment` (a change ServiceTitan
    stamped then with the bot's API user), if the bot wrote to it then; None otherwise."""
    try:
        record = await store.load(namespace=WRITES_NAMESPACE, key=f"job:{int(job_id)}")
    except StoreError as exc:
        log.warning("alerts: could not read who wrote job %s: %s", job_id, exc)
        return None
    best: tuple[datetime, str] | None = None
    for write in record.value.get("writes", []) if record is not None else []:
        at = datetime.fromisoformat(str(write.get("at")))
        at = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
        if -timedelta(minutes=1) <= moment - at <= WRITE_MATCH and (best is None or at > best[0]):
            best = (at, str(write.get("user") or ""))
    return best[1] if best and best[1] else None


async def actor_of(store: Store, job_id: int, *, appointment_id: int | None = None) -> str | None:
    """The Slack user who changed this appointment or job through the bot in the last minutes, if any."""
    keys = ([f"appointment:{int(appointment_id)}"] if appointment_id is not None else []) + [
        f"job:{int(job_id)}"
    ]
    for key in keys:
        record = await store.load(namespace=ACTOR_NAMESPACE, key=key)
        if record is not None and record.value.get("user"):
            return str(record.value["user"])
    return None
