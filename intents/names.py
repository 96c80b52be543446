"""The intent names of CONTRACT section 2 (the public vocabulary of the parser).

They come from the data: one sentences file per intent (`intents/data/sentences/<intent>.yaml`, the files
starting with `_` hold shared rules), plus `unknown` for what matches nothing. Adding an intent is adding
its sentences file; `tests/intents/test_fixtures.py` checks the names against CONTRACT section 2.
"""

from __future__ import annotations

from pathlib import Path

SENTENCES_DIR = Path(__file__).parent / "data" / "sentences"

INTENTS: tuple[str, ...] = (
    *sorted(path.stem for path in SENTENCES_DIR.glob("*.yaml") if not path.stem.startswith("_")),
    "unknown",
)

# Intents with no slots, whose sentences need no fixture slots.
SLOTLESS: frozenset[str] = frozenset({"help", "cancel_dialog", "unknown"})
