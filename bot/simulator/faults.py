"""Fault injection for tests and demos: a share of 429s, 5xx answers, added latency and timeouts.

Switch it on per run through the constructor (`Simulator(faults=FaultConfig(...))`), the environment
(`ST_SIM_FAULT_429=0.1`, `ST_SIM_FAULT_5XX`, `ST_SIM_LATENCY_MS`, `ST_SIM_FAULT_TIMEOUT`,
`ST_SIM_TIMEOUT_SECONDS`, `ST_SIM_FAULT_SEED`) or `POST /_admin/faults` when the simulator has admin on.
The draws come from a seeded random generator, so a run with the same seed fails the same requests.
"""

from __future__ import annotations

import os
import random
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any, Literal

FaultKind = Literal["none", "rate_limit", "server_error", "timeout"]

ENV_VARS: dict[str, str] = {
    "rate_429": "ST_SIM_FAULT_429",
    "rate_5xx": "ST_SIM_FAULT_5XX",
    "latency_ms": "ST_SIM_LATENCY_MS",
    "rate_timeout": "ST_SIM_FAULT_TIMEOUT",
    "timeout_seconds": "ST_SIM_TIMEOUT_SECONDS",
    "seed": "ST_SIM_FAULT_SEED",
}

# Keys accepted by POST /_admin/faults (camelCase like the rest of the API) -> FaultConfig fields.
ADMIN_KEYS: dict[str, str] = {
    "rate429": "rate_429",
    "rate5xx": "rate_5xx",
    "latencyMs": "latency_ms",
    "rateTimeout": "rate_timeout",
    "timeoutSeconds": "timeout_seconds",
    "retryAfterSeconds": "retry_after_seconds",
    "seed": "seed",
}


class FaultConfigError(ValueError):
    """A fault setting is out of range; the message names it."""


@dataclass(frozen=True)
class FaultConfig:
    """Shares (0..1) of API requests that fail, and how.

    - rate_429: answered 429 with `Retry-After: retry_after_seconds` before any processing.
    - rate_5xx: answered 503 with a problem body before any processing (nothing changes).
    - rate_timeout: processed, then the answer is withheld for `timeout_seconds` (longer than the
      client's timeout in tests) and finally a 504 is sent; a write's outcome is thus unknown to the caller.
    - latency_ms: added to every API request.
    The token endpoint and the admin endpoint are never faulted.
    """

    rate_429: float = 0.0
    rate_5xx: float = 0.0
    rate_timeout: float = 0.0
    latency_ms: int = 0
    timeout_seconds: float = 30.0
    retry_after_seconds: int = 1
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("rate_429", "rate_5xx", "rate_timeout"):
            share = getattr(self, name)
            if not 0.0 <= share <= 1.0:
                raise FaultConfigError(f"{name} must be between 0 and 1, got {share}")
        if self.rate_429 + self.rate_5xx + self.rate_timeout > 1.0:
            raise FaultConfigError("rate_429 + rate_5xx + rate_timeout must not exceed 1")
        if self.latency_ms < 0:
            raise FaultConfigError(f"latency_ms must not be negative, got {self.latency_ms}")
        if not 0 < self.timeout_seconds <= 600:
            raise FaultConfigError(f"timeout_seconds must be in (0, 600], got {self.timeout_seconds}")
        if self.retry_after_seconds < 0:
            raise FaultConfigError("retry_after_seconds must not be negative")

    @property
    def active(self) -> bool:
        return bool(self.rate_429 or self.rate_5xx or self.rate_timeout or self.latency_ms)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> FaultConfig:
        """Read the ST_SIM_* variables; unset ones keep their defaults."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        types = cls._field_types()
        for name, var in ENV_VARS.items():
            raw = env.get(var)
            if raw is None or raw.strip() == "":
                continue
            try:
                values[name] = _convert(types[name], raw)
            except ValueError as exc:
                raise FaultConfigError(f"{var}={raw!r} is not a number") from exc
        return cls(**values)

    @classmethod
    def from_admin(cls, current: FaultConfig, payload: Mapping[str, Any]) -> FaultConfig:
        """Apply a camelCase JSON payload from POST /_admin/faults on top of the current config."""
        unknown = sorted(set(payload) - set(ADMIN_KEYS))
        if unknown:
            raise FaultConfigError(f"unknown fault settings: {', '.join(unknown)}")
        values = current.to_dict()
        types = cls._field_types()
        for key, value in payload.items():
            name = ADMIN_KEYS[key]
            try:
                values[name] = _convert(types[name], value)
            except (TypeError, ValueError) as exc:
                raise FaultConfigError(f"{key} is not a number: {value!r}") from exc
        return cls(**values)

    @classmethod
    def _field_types(cls) -> dict[str, Any]:
        """Each setting's declared type (a string under postponed annotations), for `_convert`."""
        return {f.name: f.type for f in fields(cls)}

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_admin(self) -> dict[str, Any]:
        data = self.to_dict()
        return {key: data[name] for key, name in ADMIN_KEYS.items()}


def _convert(type_name: Any, raw: Any) -> Any:
    kind = str(type_name)
    if kind == "int":
        if isinstance(raw, float) and not raw.is_integer():
            raise ValueError(raw)
        return int(float(raw)) if isinstance(raw, str) else int(raw)
    if isinstance(raw, bool):
        raise ValueError(raw)
    return float(raw)


class FaultInjector:
    """Decides, per request, which fault (if any) to inject; reproducible for a given seed."""

    def __init__(self, config: FaultConfig) -> None:
        self.reconfigure(config)

    def reconfigure(self, config: FaultConfig) -> None:
        self.config = config
        self._random = random.Random(config.seed)

    def draw(self) -> FaultKind:
        config = self.config
        if not (config.rate_429 or config.rate_5xx or config.rate_timeout):
            return "none"
        roll = self._random.random()
        if roll < config.rate_429:
            return "rate_limit"
        roll -= config.rate_429
        if roll < config.rate_5xx:
            return "server_error"
        roll -= config.rate_5xx
        if roll < config.rate_timeout:
            return "timeout"
        return "none"
