"""Query parameters of ServiceTitan's list endpoints from the client's snake_case keyword filters."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from enum import Enum
from typing import Any

from pydantic.alias_generators import to_camel

from bot.servicetitan.models import format_utc


def query_value(key: str, value: Any) -> str:
    if isinstance(value, bool):
        # ActiveRequestArg is the enum True|Any|False; every other boolean filter is a JSON boolean.
        if key == "active":
            return "True" if value else "False"
        return "true" if value else "false"
    if isinstance(value, datetime):
        return format_utc(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, Iterable) and not isinstance(value, str | bytes):
        return ",".join(query_value(key, item) for item in value)
    return str(value)


def build_query(filters: Mapping[str, Any]) -> dict[str, str]:
    """ServiceTitan query parameters from snake_case keyword filters (None values are left out)."""
    return {to_camel(key): query_value(key, value) for key, value in filters.items() if value is not None}
