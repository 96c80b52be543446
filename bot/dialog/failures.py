"""What a user is told when ServiceTitan fails: what failed, in their words, and a reference for the log.

The client's exceptions carry what an operator needs (the method and URL, the tenant id in the path, the
transport error's repr); none of that may reach a user. `lookup_failed` and `refusal` turn an exception
into a sentence a dispatcher understands ("ServiceTitan did not answer while looking up job 5003") with
a short reference, and the caller logs the exception under the same reference.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from bot.dialog.refdata import REFERENCE_FIELDS
from bot.servicetitan import ServiceTitanError
from bot.servicetitan.errors import AuthError, RateLimited, Unavailable

_URL = re.compile(r"\b(?:https?|wss?)://\S+", re.IGNORECASE)
_TENANT = re.compile(r"/?\btenants?\b\s*[/#:=]?\s*\d+", re.IGNORECASE)
_API_PATH = re.compile(r"(?:\b(?:GET|POST|PUT|PATCH|DELETE)\s+)?/(?:[\w.-]+/)+[\w.-]*")
# A read with no id in it, as a user would say what it was doing.
READS = {
    "list_appointments": "looking up the appointments",
    "find_jobs": "looking for the jobs",
    "find_projects": "looking for the projects",
    "list_notes": "looking up the notes",
}


def new_reference() -> str:
    """A short id to find an error in the log, shown to the user."""
    return uuid.uuid4().hex[:8]


def scrub(text: str) -> str:
    """ServiceTitan's own words without URLs, API paths or tenant ids."""
    text = _URL.sub("", text)
    text = _TENANT.sub("", text)
    text = _API_PATH.sub("", text)
    return " ".join(text.split()).strip(" :;,")


def user_words(exc: ServiceTitanError) -> str:
    """What went wrong, as a dispatcher would say it (no URL, tenant id or exception text)."""
    if isinstance(exc, RateLimited):
        return "ServiceTitan is busy (too many requests)"
    if isinstance(exc, AuthError):
        return "ServiceTitan refused the bot's credentials (an admin needs to check the connection)"
    if isinstance(exc, Unavailable) or exc.status == 0 or exc.status >= 500:
        if exc.status:
            return f"ServiceTitan had a problem (error {exc.status})"
        return "ServiceTitan did not answer"
    words = scrub(exc.title or "")
    details = "; ".join(scrub(" ".join(messages)) for messages in exc.errors.values() if messages)
    if details and details not in words:
        words = f"{words} ({details})" if words else details
    return words or f"ServiceTitan refused the request (error {exc.status})"


def doing(what: str, args: dict[str, Any]) -> str:
    """The look-up `Load(what, args)` in a user's words: "looking up job 5003"."""
    slots: Any = args.get("slots") or {}
    if isinstance(slots, str):  # a read's slots travel as JSON (bot.dialog.engine.read_lookup)
        try:
            slots = json.loads(slots)
        except ValueError:
            slots = {}
    merged = {**(slots if isinstance(slots, dict) else {}), **args}
    for key, noun in (
        ("appointment_id", "appointment"),
        ("job_id", "job"),
        ("customer_id", "customer"),
        ("project_id", "project"),
    ):
        if merged.get(key) not in (None, ""):
            return f"looking up {noun} {merged[key]}"
    if merged.get("intent") in READS:
        return READS[str(merged["intent"])]
    if what == "customers_named":
        return "looking for that customer"
    if what in REFERENCE_FIELDS:  # a reference list by its name (bot.dialog.refdata)
        return f"loading the list of {what.replace('_', ' ')}"
    if what == "references":  # the lists a write's steps need (bot.dialog.resolve.references)
        names = [name.replace("_", " ") for name in str(args.get("names", "")).split(",") if name]
        return f"loading the list{'s' if len(names) > 1 else ''} of {' and '.join(names) or 'job types'}"
    return "looking that up"


def lookup_failed(exc: ServiceTitanError, what: str, args: dict[str, Any], reference: str) -> str:
    """The message for a failed look-up, e.g. "ServiceTitan did not answer while looking up job 5003
    (reference 1a2b3c4d)."."""
    return f"{user_words(exc)} while {doing(what, args)} (reference {reference})."


def refusal(exc: ServiceTitanError, reference: str) -> str:
    """The reason a write failed, for "ServiceTitan didn't accept that: …"."""
    return f"{user_words(exc)} (reference {reference})"
