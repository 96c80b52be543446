"""The word lists of intents/data/vocabulary.yaml (typo tolerance, trade words), read once."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

VOCABULARY_FILE = Path(__file__).parent / "data" / "vocabulary.yaml"


@cache
def vocabulary() -> dict[str, Any]:
    import yaml  # imported lazily: `import intents` stays light

    data: dict[str, Any] = yaml.safe_load(VOCABULARY_FILE.read_text(encoding="utf-8"))
    return data


@cache
def trade_heads() -> frozenset[str]:
    """Words that end a job type said in trade words ("leak repair", "thermostat install")."""
    return frozenset(vocabulary()["trade_heads"])


@cache
def office_words() -> frozenset[str]:
    """Office work the bot does not do ("create an invoice"): never a job type or a request."""
    return frozenset(vocabulary()["office_words"])


@cache
def other_trades() -> frozenset[str]:
    """Other trades on a site ("the electrician needs to ..."): context that is no request to the bot."""
    return frozenset(vocabulary()["other_trades"])
