"""Intent parser for dispatcher chat messages (CONTRACT section 2).

    from intents import parse, parse_slot, INTENTS
    parse("resched job 909 fri 2pm", now=datetime(2026, 11, 24, 9), tz="America/Chicago")
    -> {"intent": "reschedule_appointment", "slots": {"job_id": 909, "when": {...}}}

Importing this package is cheap: the grammar is compiled on the first parse, and dateparser is
imported only for the rare date formats the fast path does not know.
"""

from __future__ import annotations

from intents.api import parse, parse_named_job, parse_slot
from intents.names import INTENTS

__all__ = ["INTENTS", "parse", "parse_named_job", "parse_slot"]
