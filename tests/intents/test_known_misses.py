"""Known misses stay listed only while they still miss: a fixed one must move to the fixtures."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from intents import parse

DATA = yaml.safe_load((Path(__file__).parent / "known_misses.yaml").read_text(encoding="utf-8"))
NOW = datetime.fromisoformat(DATA["now"])


@pytest.mark.parametrize("case", DATA["cases"], ids=[c["text"][:40] for c in DATA["cases"]])
def test_still_missed(case: dict[str, Any]) -> None:
    expected = {"intent": case["intent"], "slots": case.get("slots") or {}}
    got = parse(case["text"], now=NOW, tz=DATA["tz"])
    assert got != expected, f"{case['text']!r} now parses right: move it to tests/intents/fixtures"
