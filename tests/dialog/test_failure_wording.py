"""What a failed look-up says it was doing: every reference list refdata knows is named, by the one list."""

from __future__ import annotations

from bot.dialog.failures import doing
from bot.dialog.refdata import REFERENCE_FIELDS


def test_every_reference_list_is_named_in_a_failed_look_up() -> None:
    for name in REFERENCE_FIELDS:
        assert doing(name, {}) == f"loading the list of {name.replace('_', ' ')}", name
