"""The simulator's HTTP routes: ServiceTitan's paths, one module per part of the OpenAPI documents.

Paths are `/{module}/v2/tenant/{tenant}/...` exactly as in the documents (whose `servers` entry carries the
`/{module}/v2` part): JPM jobs (`jobs`), appointments (`appointments`) and reference data (`reference`),
Dispatch (`dispatch`), Settings and CRM (`settings_crm`), and the export feeds (`exports`).
"""

from __future__ import annotations

from starlette.routing import BaseRoute

from bot.simulator.appointments import AppointmentRoutes
from bot.simulator.dispatch import DispatchRoutes
from bot.simulator.exports import ExportRoutes
from bot.simulator.jobs import JobRoutes
from bot.simulator.reference import ReferenceRoutes
from bot.simulator.settings_crm import SettingsCrmRoutes
from bot.simulator.state import SimState

JPM = "/jpm/v2/tenant/{tenant:int}"
DISPATCH = "/dispatch/v2/tenant/{tenant:int}"
SETTINGS = "/settings/v2/tenant/{tenant:int}"
CRM = "/crm/v2/tenant/{tenant:int}"
MARKETING = "/marketing/v2/tenant/{tenant:int}"


def build_routes(state: SimState) -> list[BaseRoute]:
    """All ServiceTitan routes of the simulator, bound to one tenant state."""
    return [
        *JobRoutes(state).routes(JPM),
        *AppointmentRoutes(state).routes(JPM),
        *ReferenceRoutes(state).routes(JPM),
        *ExportRoutes(state).routes(JPM, DISPATCH),
        *DispatchRoutes(state).routes(DISPATCH),
        *SettingsCrmRoutes(state).routes(SETTINGS, CRM, MARKETING),
    ]
