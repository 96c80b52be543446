"""Who a message names: the asker ("me"), a Slack mention nobody could put a name to, and the rows of
reference data ServiceTitan does not mark inactive. Shared by the write steps (resolve) and the reads."""

from __future__ import annotations

from typing import Any

Row = dict[str, Any]

NOT_LINKED = "You're not linked to a ServiceTitan technician."


def names_me(name: str) -> bool:
    """Whether a technician named in a message is the asker ("me")."""
    return name.strip().casefold() == "me"


def is_mention(name: str) -> bool:
    """Whether a technician named in a message is a Slack mention nobody could put a name to (`<@U123>`)."""
    return name.strip().startswith("<@")


def mention_problem(name: str) -> str:
    return f"I can't tell which ServiceTitan technician {name} is. Type their name instead."


def active_rows(rows: list[Row]) -> list[Row]:
    """The rows ServiceTitan doesn't mark inactive (reference data, assignments)."""
    return [r for r in rows if r.get("active", True) is not False]
