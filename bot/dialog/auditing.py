"""A write's audit record, from its attempt to the audit log (bot/store/audit.py).

The record of a write carries its claim's token as its idempotency id, so it is kept once however often
it is sent: redis-py's retry after a lost reply, sent again by itself after the store failed on the
outcome's save, or recorded by the turn that settled the claim after the write's own turn died. When the
audit log is the store's own, the record travels with a store write rather than costing a round trip of
its own: with the outcome's save when nothing runs between the write and that save, else (a look-up of a
compound request or of a card rebuilt) with the first round trip after the write (`send_now`), so a process
stopping meanwhile does not lose it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.dialog.messages import Asker
from bot.dialog.state import Called, Plan
from bot.store import Entry, Store, StoreError
from bot.store.audit import AuditLog, StoreAuditLog

log = logging.getLogger("bot.dialog")

FOUND_ON_REREAD = "found applied on a re-read"  # a dead claim's write, settled by a later turn


@dataclass
class Audit:
    """A write's audit record (`record`), until it is kept: `entry` while it waits to go with a store write,
    then `id` (None: not kept)."""

    record: dict[str, Any]
    outcome: str
    once: str | None  # its idempotency id (the claim's token)
    entry: Entry | None = None
    id: str | None = None

    def sent(self, entry_id: str) -> None:
        self.entry, self.id = None, entry_id

    async def keep(self, audit: AuditLog) -> None:
        """Recorded by itself (once, by its idempotency id)."""
        self.entry, self.id = None, await audit.record(self.record, once=self.once)

    async def send_now(self, store: Store, path: str) -> None:
        """The entry sent at once, with the writes queued so far (one round trip), before anything runs
        between the write and the outcome's save; kept for that save (or by itself) when the store fails."""
        if self.entry is None:
            return
        try:
            self.sent(await store.log_now(self.entry))
        except StoreError as exc:
            log.warning("dialog %s: a write's audit record could not be sent yet: %s", path, exc)


def audit_of(
    audit: AuditLog, store: Store, *, at: datetime, path: str, asker: Asker, plan: Plan, called: Called,
    once: str | None, outcome: str | None = None,
) -> Audit:  # fmt: skip
    """The audit record of a write attempt; to go with a write of `store` when the audit log is that
    store's (`Audit.entry`)."""
    outcome = outcome or _outcome(called)
    result = called.data.get("id") if isinstance(called.data, dict) else None
    record = {
        "at": at.isoformat(),
        "slack_user": asker.user_id,
        "name": asker.name or "",
        "role": asker.role,
        "conversation": path,
        "op": plan.operation.kind,
        "args": plan.operation.model_dump(mode="json", exclude={"kind"}),
        "changes": plan.changes,
        "outcome": outcome,
        "servicetitan": {"status": called.status, "error": called.error, "id": result},
    }
    entry = (
        audit.entry(record, once=once) if isinstance(audit, StoreAuditLog) and audit.store is store else None
    )
    return Audit(record, outcome, once, entry)


def _outcome(called: Called) -> str:
    if called.ok:
        return "already in ServiceTitan" if called.already else "done"
    if called.drift is not None:
        return "not sent: changed since the card"
    return "outcome unknown" if called.uncertain else "refused"
