"""The simulated tenant: its data (`tenant.TenantData`) with the rules of every ServiceTitan module joined.

Each module's rules live beside its routes: `jobs` (JPM jobs), `appointments` (JPM appointments), `dispatch`
(Dispatch assignments), `exports` (the export feeds); `seeding` loads a seed and `records` holds the response
shapes and errors. Every operation that changes data goes through `SimState`, raises `SimError` with
ServiceTitan's status and message when a rule forbids it, and stamps `modifiedOn` so the change shows in reads
and in `export/*`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from bot.simulator.appointments import AppointmentRules
from bot.simulator.dispatch import DispatchRules
from bot.simulator.exports import ExportFeeds
from bot.simulator.jobs import JobRules
from bot.simulator.records import (
    API_USER_ID,
    MSG_CANNOT_DELETE,
    MSG_NOT_ON_HOLD,
    MSG_VALIDATION,
    SimError,
    validation_error,
)
from bot.simulator.seeding import EXTRA_SEED_KEYS, SEED_KEYS, populate

__all__ = [
    "API_USER_ID",
    "EXTRA_SEED_KEYS",
    "MSG_CANNOT_DELETE",
    "MSG_NOT_ON_HOLD",
    "MSG_VALIDATION",
    "SEED_KEYS",
    "SimError",
    "SimState",
    "validation_error",
]


class SimState(JobRules, AppointmentRules, DispatchRules, ExportFeeds):
    """All data of the simulated tenant and every rule ServiceTitan enforces on it."""

    @classmethod
    def from_seed(cls, seed: Mapping[str, Any], *, clock: Callable[[], datetime], tenant_id: int) -> SimState:
        state = cls(clock=clock, tenant_id=tenant_id)
        populate(state, seed)
        return state
