"""Fixtures for the dialog tests: the real DialogService on the simulator (a movable clock) and real Redis.

Each test gets its own Redis key prefix and deletes its keys afterwards. REDIS_URL defaults to
redis://127.0.0.1:6379/0; a test fails (never skips) when Redis is unreachable.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from bot.dialog.messages import Asker, ConversationKey, Event, Reply
from bot.dialog.service import DialogService
from bot.servicetitan import ServiceTitanClient
from bot.servicetitan.embedded import embedded_client
from bot.simulator import Simulator
from bot.store import RedisStore, Store
from tests.conftest import REDIS_URL, drop_prefix
from tests.dialog.seed import build_seed

FIXED_NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # Tuesday, 9:00 AM in America/Chicago
TZ = "America/Chicago"


class Clock:
    """Wall clock shared by the dialog and the simulator; moves only when told to."""

    def __init__(self, now: datetime = FIXED_NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, minutes: float) -> None:
        self.now += timedelta(minutes=minutes)


@dataclass
class Harness:
    """A DialogService on a simulator with the transcript seed, over a fresh Redis prefix."""

    service: DialogService
    client: ServiceTitanClient
    sim: Simulator
    store: Store
    clock: Clock
    prefix: str
    stores: list[Store] = field(default_factory=list)

    def key(self, user: str = "U1", thread: str = "") -> ConversationKey:
        return ConversationKey(team="T1", channel="D1", thread=thread, user=user)

    async def say(
        self, text: str, asker: Asker | None = None, key: ConversationKey | None = None
    ) -> list[Reply]:
        from bot.dialog.messages import Said

        return await self.handle(Said(text=text), asker, key)

    async def handle(
        self, event: Event, asker: Asker | None = None, key: ConversationKey | None = None
    ) -> list[Reply]:
        return await self.service.handle(key or self.key(), asker or dispatcher(), event)

    def another_service(self) -> DialogService:
        """A second DialogService on its own Redis connection pool (another process, in effect)."""
        store = RedisStore(REDIS_URL, prefix=self.prefix)
        self.stores.append(store)
        return DialogService(client=self.client, store=store, tz=TZ, clock=self.clock)


async def _no_wait(seconds: float) -> None:
    """The client's retry back-off, skipped: fault tests need the retries, not the waiting."""


def last_card(replies: list[Reply]) -> Reply:
    """The last confirmation card among a turn's replies (the test fails, showing them, when there is none)."""
    cards = [r for r in replies if r.kind == "confirm"]
    assert cards, [r.text for r in replies]
    return cards[-1]


def reply_text(reply: Reply) -> str:
    """Everything a person would read on the reply, as one string to search."""
    parts = [reply.title or "", reply.text]
    parts += [f"{f.label}: {f.value}" for f in reply.facts]
    parts += [f"{c.label}: {c.before} → {c.after}" for c in reply.changes]
    parts += reply.warnings + reply.lines
    if reply.choice:
        parts += [reply.choice.prompt] + [o.label for o in reply.choice.options]
    parts += [b.label for b in reply.buttons]
    if reply.footnote:
        parts.append(reply.footnote)
    return "\n".join(parts)


def dispatcher(user: str = "U1") -> Asker:
    return Asker(user_id=user, tz=TZ, role="dispatcher", name="Dana Reyes")


@pytest.fixture(autouse=True)
def phase_table_holds(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Every transition of every dialog test is one `bot.dialog.engine.PHASES` lists (step logs the others)."""
    yield
    records = caplog.get_records("setup") + caplog.get_records("call")
    broken = [r.getMessage() for r in records if r.getMessage().startswith("phase table:")]
    assert not broken, broken


@pytest.fixture
async def harness() -> AsyncIterator[Harness]:
    clock = Clock()
    client, sim = embedded_client(build_seed(), clock=clock, client_kwargs={"sleep": _no_wait})
    prefix = f"dtest{uuid.uuid4().hex[:12]}"
    store = RedisStore(REDIS_URL, prefix=prefix)
    service = DialogService(client=client, store=store, tz=TZ, clock=clock)
    h = Harness(service=service, client=client, sim=sim, store=store, clock=clock, prefix=prefix)
    try:
        yield h
    finally:
        for extra in h.stores:
            await extra.aclose()
        await store.aclose()
        await client.aclose()
        await drop_prefix(prefix)
