"""The dialog's phase table: which answer (or result of an effect) in which phase may lead to which phases.

`bot.dialog.engine.step` checks every transition against `PHASES` and logs an error for one it does not
list (the dialog tests fail on such a log). The README's "Phases" shows the same table.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

log = logging.getLogger("bot.dialog")

# Which answer (or result of an effect) in which phase may lead to which phases. "advance" is wherever
# settling the request against ServiceTitan's data leads: its next question (collecting), a choice
# (choosing), its card (confirming), or a stop (idle); a look-up on the way leaves the phase as it is.
# `step` checks every transition against this table and logs an error for one it does not list.

_ADVANCE = frozenset({"collecting", "choosing", "confirming", "idle"})
KINDS = (
    "Confirm",
    "Deny",
    "Abandon",
    "Undo",
    "Pick",
    "Fill",
    "NewRequest",
    "Unclear",
    "More",
    "Resume",
    "Unsure",
    "Loaded",
    "Called",
    "ClaimLost",
)


def _row(phase: str, **targets: Iterable[str]) -> dict[tuple[str, str], frozenset[str]]:
    """One phase's row: every kind may stay in the phase (a stale click, a reply), and may lead to the
    phases given for it."""
    return {(phase, kind): frozenset({phase, *targets.get(kind, ())}) for kind in KINDS}


PHASES: dict[tuple[str, str], frozenset[str]] = {
    **_row(
        "idle",
        Undo={"confirming"},
        NewRequest=_ADVANCE,
        Resume=_ADVANCE,
        Loaded=_ADVANCE,
        Unsure={"choosing"},  # "Did you mean…" shown: waiting for a press, with no request yet
    ),
    **{
        key: targets
        for phase in ("collecting", "choosing", "confirming")
        for key, targets in _row(
            phase,
            Confirm={"applying"},
            Abandon={"idle"},
            Undo={"confirming"},
            Pick=_ADVANCE,
            Fill=_ADVANCE,
            NewRequest=_ADVANCE | {"switching"},
            Unclear=_ADVANCE,
            Resume=_ADVANCE,
            Loaded=_ADVANCE,
        ).items()
    },
    **_row(
        "switching",
        Confirm=_ADVANCE,
        Deny=_ADVANCE,
        Abandon={"idle"},
        Undo={"confirming"},
        Fill=_ADVANCE,
        Resume=_ADVANCE,
        Loaded=_ADVANCE,
    ),
    # Only the write's result leaves applying; anything else meanwhile is told "already being done".
    **_row("applying", Called=_ADVANCE),
}


def check(before: str, kind: str, after: str) -> None:
    """Log an error when `kind` in phase `before` led to `after` and PHASES does not list it."""
    if after not in PHASES.get((before, kind), frozenset()):
        log.error("phase table: %s in %s led to %s, which PHASES does not list", kind, before, after)
