"""`python -m bot simulator`: serve the ServiceTitan simulator over HTTP with uvicorn."""

from __future__ import annotations

import os
import sys

import uvicorn

from bot.simulator.demo_data import DEMO_TIMEZONE
from bot.simulator.faults import FaultConfigError
from bot.simulator.seed import SeedError, load_seed
from bot.simulator.simulator import SIM_CREDENTIALS, Simulator


def build_simulator(seed: str | None) -> Simulator:
    """The simulator the CLI serves: seed file or demo data, faults from ST_SIM_*, admin if ST_SIM_ADMIN=1,
    ServiceTitan's export freshness delay from ST_SIM_EXPORT_DELAY_MINUTES (0, none, by default)."""
    data = load_seed(seed) if seed else None
    admin = os.environ.get("ST_SIM_ADMIN", "").strip().lower() in ("1", "true", "yes")
    timezone = os.environ.get("ST_TIMEZONE", "").strip() or DEMO_TIMEZONE
    delay_text = os.environ.get("ST_SIM_EXPORT_DELAY_MINUTES", "").strip() or "0"
    try:
        delay = float(delay_text)
    except ValueError:
        delay = -1.0
    if not 0 <= delay <= 1440:
        raise ValueError(f"ST_SIM_EXPORT_DELAY_MINUTES must be minutes from 0 to 1440, not {delay_text!r}")
    return Simulator(data, admin=admin, demo_timezone=timezone, export_delay_minutes=delay)


def run_simulator(*, host: str, port: int, seed: str | None) -> int:
    """Serve until interrupted; prints where it listens and the credentials to use. Returns an exit code."""
    try:
        simulator = build_simulator(seed)
    except (SeedError, FaultConfigError, ValueError, KeyError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    base = f"http://{host}:{port}"
    credentials = SIM_CREDENTIALS
    print(f"ServiceTitan simulator listening on {base}", flush=True)
    print(f"  data: {'seed file ' + seed if seed else 'built-in demo data'}", flush=True)
    print(f"  token URL: {base}/connect/token", flush=True)
    print("  use these settings for the bot:", flush=True)
    print(f"    ST_API_URL={base}", flush=True)
    print(f"    ST_AUTH_URL={base}", flush=True)
    print(f"    ST_CLIENT_ID={credentials.client_id}", flush=True)
    print(f"    ST_CLIENT_SECRET={credentials.client_secret}", flush=True)
    print(f"    ST_APP_KEY={credentials.app_key}", flush=True)
    print(f"    ST_TENANT_ID={credentials.tenant_id}", flush=True)
    if simulator.faults.active:
        print(f"  faults: {simulator.faults.to_admin()}", flush=True)
    if simulator.state.export_delay:
        print(f"  export feeds: changes show {simulator.state.export_delay} late", flush=True)
    if simulator.admin:
        print(f"  admin: POST {base}/_admin/faults", flush=True)
    config = uvicorn.Config(simulator.app, host=host, port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    return 0
