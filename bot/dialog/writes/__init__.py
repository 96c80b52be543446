"""The write intents, one module each: `bot/dialog/writes/<intent>.py` declares `WRITE = Write(...)`.

`WRITES` maps each intent to its declaration; every module of this package except `base` is one write
intent, found here without a list to keep up. The slots an intent accepts come from its sentences file
(`intents/data/sentences/<intent>.yaml`), through `accepted_slots`.
"""

from __future__ import annotations

import importlib
import pkgutil

from bot.dialog.writes.base import Status, Write
from intents import named_jobs
from intents.grammar import load_grammar

__all__ = ["WRITES", "Status", "Write", "accepted_slots"]


def _discover() -> dict[str, Write]:
    found: dict[str, Write] = {}
    for module in pkgutil.iter_modules(__path__):
        if module.name == "base":
            continue
        write = importlib.import_module(f"{__name__}.{module.name}").WRITE
        if not isinstance(write, Write) or write.intent != module.name:
            raise TypeError(
                f"bot/dialog/writes/{module.name}.py must declare WRITE = Write({module.name!r}, ...)"
            )
        found[write.intent] = write
    return dict(sorted(found.items()))


WRITES: dict[str, Write] = _discover()


def accepted_slots(intent: str) -> frozenset[str]:
    """The slots `intent` accepts from the parser: the ones its sentences file lists, and the words that name
    a job instead of its number for the writes acting on one (intents/named_jobs.py)."""
    spec = load_grammar().intents.get(intent)
    named = frozenset(named_jobs.SLOTS) if intent in named_jobs.INTENTS else frozenset()
    return (frozenset(spec.slots) | named) if spec is not None else frozenset()
