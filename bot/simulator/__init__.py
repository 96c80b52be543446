"""ServiceTitan simulator: ServiceTitan's REST API (JPM, Dispatch, Settings, CRM) over in-memory data.

`Simulator(...)` builds it (`.app` is the ASGI app), `SIM_CREDENTIALS` are the credentials it accepts,
`load_seed(path)` reads a CONTRACT section 4 seed file, and `bot.simulator.server.run_simulator` serves it.
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
