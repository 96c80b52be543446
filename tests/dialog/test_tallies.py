"""Who made a change, for counts by person (bot/dialog/reads/tallies.py): ids compared by their kind, names
as plain text."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace
from typing import Any

import pytest

from bot.dialog.messages import MENTION_OPEN
from bot.dialog.reads import tallies

# Employee 2061's id is also Dana's ServiceTitan user id: which one is meant depends on the id's kind
EMPLOYEES = [
    {"id": 2061, "user_id": 3001, "name": "Other Person"},
    {"id": 61, "user_id": 2061, "name": "Dana Reyes"},
]


class _Refdata:
    store = None

    async def reference(self, kind: str) -> list[dict[str, Any]]:
        assert kind == "employees"
        return EMPLOYEES


def _ctx() -> Any:
    return SimpleNamespace(refdata=_Refdata())


async def test_ids_are_compared_by_their_kind(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tallies, "bot_writer_at", _nobody)
    when = "2026-11-24T15:00:00Z"
    assert await tallies.who_name(_ctx(), 2061, when, 1004, "user") == "Dana Reyes"
    assert await tallies.who_name(_ctx(), 2061, when, 1004, "employee") == "Other Person"
    assert await tallies.who_name(_ctx(), 3001, when, 1004, "employee") == ""


async def test_a_change_through_the_bot_names_its_slack_user_without_a_mention(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def slack_user(store: Any, job_id: int, moment: datetime) -> str:
        return "U0ABC123"

    monkeypatch.setattr(tallies, "bot_writer_at", slack_user)
    name = await tallies.who_name(_ctx(), None, "2026-11-24T15:00:00Z", 1004)
    assert "U0ABC123" in name and MENTION_OPEN not in name


async def _nobody(store: Any, job_id: int, moment: datetime) -> None:
    return None
