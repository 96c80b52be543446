"""Who a message names: the asker ("me"), a Slack mention nobody could put a name to, and the rows of
reference data ServiceTitan does not mark inactive. Shared by the write steps (resolve) and the reads."""

from __future__ import annotations

import re
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


# Slack's names for no one person: @here, @channel, @everyone, a user group, a channel
_SLACK_GROUP = re.compile(
    r"<!(?P<special>here|channel|everyone)(?:\|[^<>]*)?>|<!subteam\^[A-Z0-9]+(?:\|@?(?P<team>[^<>]*))?>"
    r"|<#[A-Z0-9]+(?:\|(?P<channel>[^<>]*))?>",
    re.IGNORECASE,
)


def slack_groups(text: str) -> list[str]:
    """The Slack mentions of a message that name no one person, as a reader sees them: "@everyone",
    "@dispatch" (a user group), "#general" (a channel)."""
    out: list[str] = []
    for found in _SLACK_GROUP.finditer(text):
        if found["special"]:
            out.append(f"@{found['special'].casefold()}")
        elif found[0].startswith("<!"):
            out.append(f"@{found['team']}" if found["team"] else "a user group")
        else:
            out.append(f"#{found['channel']}" if found["channel"] else "a channel")
    return list(dict.fromkeys(out))


def groups_problem(names: list[str]) -> str:
    """Why a look-up said with Slack group or channel mentions isn't answered: none is a technician or a
    customer, and an answer without the filter would not be what was asked."""
    said = " and ".join(names)
    return (
        f"I can't look that up for {said}: a Slack channel or group mention isn't a ServiceTitan technician "
        "or customer. Name the technician or customer instead (e.g. _jobs for Mike Chen_)."
    )
