"""Seed files for `python -m bot simulator --seed FILE` (shared/CONTRACT.md section 4)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bot.simulator.seeding import EXTRA_SEED_KEYS, SEED_KEYS


class SeedError(ValueError):
    """The seed file cannot be used; the message says why and where."""


def load_seed(path: str | Path) -> dict[str, Any]:
    """Read a seed file: a JSON object whose keys are those of CONTRACT section 4 (missing keys are empty).

    Each value is a list of objects with the field names of the OpenAPI response schemas, except
    `timesheets`, a list of appointment ids that have timesheets.
    """
    file = Path(path)
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SeedError(f"cannot read seed file {file}: {exc.strerror or exc}") from exc
    except json.JSONDecodeError as exc:
        raise SeedError(f"seed file {file} is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise SeedError(f"seed file {file} must hold a JSON object, not {type(data).__name__}")
    unknown = sorted(set(data) - set(SEED_KEYS) - set(EXTRA_SEED_KEYS))
    if unknown:
        raise SeedError(f"seed file {file} has unknown keys: {', '.join(unknown)}")
    seed: dict[str, Any] = {}
    for key in SEED_KEYS:
        value = data.get(key) or []
        if not isinstance(value, list):
            raise SeedError(f"seed file {file}: {key} must be a list")
        if key == "timesheets":
            if not all(isinstance(item, int) for item in value):
                raise SeedError(f"seed file {file}: timesheets must be a list of appointment ids")
        else:
            for index, item in enumerate(value):
                if not isinstance(item, dict) or not isinstance(item.get("id"), int):
                    raise SeedError(f"seed file {file}: {key}[{index}] must be an object with an integer id")
        seed[key] = value
    for key in EXTRA_SEED_KEYS:
        if key in data:
            seed[key] = data[key]
    return seed
