"""The fixture files of tests/intents/fixtures: one per intent, example utterances and their slots."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

FIXTURES_DIR = Path(__file__).parent / "fixtures"


def load_fixture(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as fh:
        data: dict[str, Any] = yaml.safe_load(fh)
    return data


def fixture_files() -> list[Path]:
    return sorted(FIXTURES_DIR.glob("*.yaml"))


def fixture_cases() -> list[tuple[str, str, dict[str, Any], datetime, str]]:
    """(intent, text, expected slots, now, tz) for every case of every fixture file."""
    cases = []
    for path in fixture_files():
        data = load_fixture(path)
        now = datetime.fromisoformat(data["now"])
        for case in data["cases"]:
            cases.append((data["intent"], case["text"], case.get("slots") or {}, now, data["tz"]))
    return cases
