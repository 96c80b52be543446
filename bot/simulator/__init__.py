"""ServiceTitan simulator: ServiceTitan's REST API (JPM, Dispatch, Settings, CRM) over in-memory data.

`Simulator(...)` builds it (`.app` is the ASGI app), `SIM_CREDENTIALS` are the credentials it accepts,
`load_seed(path)` reads a CONTRACT section 4 seed file, and `bot.simulator.server.run_simulator` serves it.

One module per part of ServiceTitan's OpenAPI documents, each with its rules and its routes: `jobs` and
`appointments` (JPM), `reference` (JPM job types, reasons, projects), `dispatch` (assignments, arrival
windows), `settings_crm` (Settings, CRM, campaigns) and `exports` (the change feeds). `records` holds the
response shapes and errors, `tenant` the tenant's tables and the steps every write shares, `seeding` and
`demo_data` the data it starts with, `query` the shared query/envelope helpers, and `simulator` the gateway
(token, auth, rate limit, faults, observers). For tests: `Simulator.acting_as(employee_id)` makes writes as an
office employee would in ServiceTitan's UI; `export_delay_minutes=15` gives the export feeds ServiceTitan's
freshness delay, with recent changes repeated under `includeRecentChanges=true`.
"""

from __future__ import annotations

from bot.simulator.faults import FaultConfig, FaultConfigError
from bot.simulator.seed import load_seed
from bot.simulator.simulator import SIM_CREDENTIALS, Exchange, Observer, SimCredentials, Simulator

__all__ = [
    "SIM_CREDENTIALS",
    "Exchange",
    "FaultConfig",
    "FaultConfigError",
    "Observer",
    "SimCredentials",
    "Simulator",
    "load_seed",
]
