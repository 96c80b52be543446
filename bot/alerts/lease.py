"""A lease in the store: at most one holder at a time, kept only while it is renewed.

Built on the store's atomic primitives (add_once creates the record for one caller only; compare_and_set
renews it only while it is unchanged), so it works across processes on Redis and across tasks in memory.
A holder that stops renewing (crashed, hung) loses the lease when the TTL runs out, and the next
`acquire` of another owner takes it.
"""

from __future__ import annotations

import uuid

from bot.store import Store

NAMESPACE = "alert-lease"


class Lease:
    def __init__(self, store: Store, *, name: str, ttl: float, owner: str | None = None) -> None:
        self.store = store
        self.name = name
        self.ttl = ttl
        self.owner = owner or uuid.uuid4().hex

    async def acquire(self) -> bool:
        """Take the lease if it is free, or renew it if we hold it; True when we hold it afterwards."""
        record = await self.store.load(namespace=NAMESPACE, key=self.name)
        if record is None:
            if not await self.store.add_once(namespace=NAMESPACE, key=self.name, ttl=self.ttl):
                return False
            record = await self.store.load(namespace=NAMESPACE, key=self.name)
            if record is None or record.value:
                return False
        elif record.value.get("owner") != self.owner:
            return False
        return await self.store.compare_and_set(
            namespace=NAMESPACE,
            key=self.name,
            expected_rev=record.rev,
            value={"owner": self.owner},
            ttl=self.ttl,
        )

    async def holder(self) -> str | None:
        record = await self.store.load(namespace=NAMESPACE, key=self.name)
        return str(record.value.get("owner")) if record is not None and record.value else None

    async def release(self) -> None:
        record = await self.store.load(namespace=NAMESPACE, key=self.name)
        if record is not None and record.value.get("owner") == self.owner:
            await self.store.delete(namespace=NAMESPACE, key=self.name)
