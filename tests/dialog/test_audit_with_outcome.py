"""A write's audit record goes to the store in the same script as the conversation's outcome (one round
trip, there exactly when the outcome is), and is kept once whatever the store does meanwhile."""

from __future__ import annotations

from typing import Any

import pytest

from bot.dialog.messages import Pressed
from bot.dialog.service import NAMESPACE
from bot.dialog.state import Conversation
from bot.store import StoreUnavailable
from bot.store.audit import StoreAuditLog
from tests.dialog.conftest import Harness, last_card


def _store_calls(harness: Harness, monkeypatch: pytest.MonkeyPatch, *names: str) -> list[str]:
    calls: list[str] = []
    for name in names:
        method = getattr(harness.store, name)

        async def counted(*args: Any, _name: str = name, _method: Any = method, **kwargs: Any) -> Any:
            calls.append(_name)
            return await _method(*args, **kwargs)

        monkeypatch.setattr(harness.store, name, counted)
    return calls


async def test_the_record_goes_with_the_outcome_s_save(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    harness.service.audit = audit = StoreAuditLog(harness.store)
    card = last_card(await harness.say("move job 1001 to friday 10am"))
    calls = _store_calls(harness, monkeypatch, "write_logged", "write_many")
    done = await harness.handle(Pressed(action="confirm", token=card.token))
    ((entry_id, fields),) = await audit.entries()
    assert fields["op"] == "reschedule_appointment" and fields["outcome"] == "done"
    assert f"Recorded in the audit log as {entry_id} (done)." in (done[-1].footnote or "")
    # the claim, then the outcome with the record: no round trip of its own
    assert calls == ["write_many", "write_logged"]
    record = await harness.store.load(namespace=NAMESPACE, key=harness.key().as_path())
    assert record is not None and Conversation.model_validate(record.value).last_done_token == card.token


async def test_a_store_failing_at_the_outcome_s_save_still_keeps_the_record_once(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    harness.service.audit = audit = StoreAuditLog(harness.store)
    card = last_card(await harness.say("move job 1001 to friday 10am"))

    async def down(*args: Any, **kwargs: Any) -> Any:
        raise StoreUnavailable("Redis is down (test)")

    monkeypatch.setattr(harness.store, "write_now_logged", down)
    done = await harness.handle(Pressed(action="confirm", token=card.token))
    assert done[-1].kind == "result"  # the write is done, and the user hears so
    ((entry_id, fields),) = await audit.entries()  # kept by itself instead, once
    assert fields["outcome"] == "done" and entry_id in (done[-1].footnote or "")
    writes = [path for method, path, _ in harness.sim.request_log if method == "PATCH"]
    assert len(writes) == 1
