"""The edge: what a request to `POST /slack/events` must look like before Bolt and the listeners see it.

Bolt and the listeners read Slack's payloads as Slack documents them (`event["user"]` a string,
`actions[0]` an object, `channel.id` a string ...). A signed payload of another shape (an event with
`"user": 0`, `block_actions` with `"actions": []` or `"channel": "x"`, a field missing, a huge string)
used to fail inside Bolt with HTTP 500, or after the ack with a traceback and "Task exception was never
retrieved". `problem_with` checks the shape of every field the bot reads, in one place, and names the
first thing wrong; the server answers such a request 400 and logs that one line.

Fields the bot doesn't read are not checked, and may be absent where the bot copes without them; where a
field is present it must have the documented type.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qs

from pydantic import BaseModel, ConfigDict, Field, ValidationError

MAX_BODY_BYTES = 1_000_000  # Slack's payloads are far smaller; a bigger body is refused unread (413)
# Slack cuts a message at 40,000 characters; a longer text is still answered (the dialog reads only the
# start of it, bot.dialog.service.MAX_USER_TEXT, and says so) up to this bound.
MAX_TEXT = 400_000
_ID = r"^[A-Za-z0-9._:-]{0,255}$"  # team, user, channel ids, message ts, event ids
_ACTION_ID = r"^[A-Za-z0-9_:.-]{1,255}$"


class _Shape(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)


def _id(**kwargs: Any) -> Any:
    return Field(pattern=_ID, max_length=255, **kwargs)


class _Event(_Shape):
    type: str = Field(max_length=100)
    user: str | None = _id(default=None)
    channel: str | None = _id(default=None)
    ts: str | None = _id(default=None)
    thread_ts: str | None = _id(default=None)
    text: str | None = Field(default=None, max_length=MAX_TEXT)
    subtype: str | None = Field(default=None, max_length=100)
    channel_type: str | None = Field(default=None, max_length=100)
    bot_id: str | None = _id(default=None)
    tab: str | None = Field(default=None, max_length=100)


# What each event the bot answers must carry (bot/slack/conversation.py *_target, listeners/events.py).
REQUIRED_EVENT_FIELDS: dict[str, tuple[str, ...]] = {
    "app_mention": ("channel", "ts"),
    "app_home_opened": ("user",),
    "message": ("channel", "ts"),
}


class _EventCallback(_Shape):
    type: str
    team_id: str | None = _id(default=None)
    event_id: str | None = _id(default=None)
    event: _Event


class _Command(_Shape):
    command: str = Field(max_length=100)
    team_id: str = _id()
    channel_id: str = _id(min_length=1)
    user_id: str = _id(min_length=1)
    text: str = Field(default="", max_length=MAX_TEXT)
    response_url: str | None = Field(default=None, max_length=2000)


class _Ref(_Shape):
    id: str = _id()


class _UserRef(_Shape):
    id: str = _id(min_length=1)
    team_id: str | None = _id(default=None)


class _Option(_Shape):
    value: str = Field(max_length=2000)


class _Action(_Shape):
    action_id: str = Field(pattern=_ACTION_ID)
    block_id: str | None = Field(default=None, max_length=255)
    type: str | None = Field(default=None, max_length=100)
    value: str | None = Field(default=None, max_length=2000)
    selected_option: _Option | None = None
    selected_date: str | None = Field(default=None, max_length=20)
    selected_time: str | None = Field(default=None, max_length=20)


class _Container(_Shape):
    message_ts: str | None = _id(default=None)
    channel_id: str | None = _id(default=None)
    thread_ts: str | None = _id(default=None)
    is_ephemeral: bool | None = None


class _Message(_Shape):
    ts: str | None = _id(default=None)
    thread_ts: str | None = _id(default=None)


class _State(_Shape):
    values: dict[str, dict[str, dict[str, Any]]] = Field(default_factory=dict)


class _BlockActions(_Shape):
    type: str
    user: _UserRef
    team: _Ref | None = None
    channel: _Ref | None = None
    container: _Container | None = None
    message: _Message | None = None
    response_url: str | None = Field(default=None, max_length=2000)
    actions: list[_Action] = Field(min_length=1, max_length=25)
    state: _State | None = None


def problem_with(body: bytes, content_type: str) -> str | None:
    """What is wrong with the shape of a request body, or None when the bot can read it."""
    return read_body(body, content_type)[0]


def read_body(body: bytes, content_type: str) -> tuple[str | None, dict[str, Any] | None]:
    """(`problem_with` the body, the body as Bolt reads it): the second when this check parsed it the way
    Bolt does (`slack_bolt.request.internals.parse_body`: a JSON event, an interaction's `payload`), so
    that Bolt need not parse it again; else None."""
    if len(body) > MAX_BODY_BYTES:
        return f"body of {len(body)} bytes", None
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return "body is not UTF-8", None
    if content_type.startswith("application/json"):
        try:
            event = json.loads(text)
        except ValueError:
            return "body is not JSON", None
        # Bolt reads a body that starts with "{" as JSON whatever its content type says
        return _event_body_problem(event), event if text.startswith("{") else None
    form = parse_qs(text, keep_blank_values=True)
    if "ssl_check" in form:
        return None, None  # Slack's certificate check: Bolt answers it
    if "payload" in form:
        if len(form["payload"]) != 1:
            return "several payloads", None
        try:
            payload = json.loads(form["payload"][0])
        except ValueError:
            return "payload is not JSON", None
        # Bolt reads a form's one `payload` as JSON (a body starting with "{" it would read as JSON itself)
        return _interactive_problem(payload), payload if not text.startswith("{") else None
    if "command" in form:
        fields = {key: values[-1] for key, values in form.items()}
        return _shape_problem(_Command, fields, "command"), None
    return "neither an event, a command nor an interaction", None


def problem_with_envelope(kind: str, payload: Any) -> str | None:
    """The same checks for a Socket Mode envelope's payload (`kind` is the envelope's type)."""
    if kind == "events_api":
        return _event_body_problem(payload)
    if kind == "interactive":
        return _interactive_problem(payload)
    if kind == "slash_commands":
        return _shape_problem(_Command, payload, "command")
    return None


def _event_body_problem(body: Any) -> str | None:
    if not isinstance(body, dict):
        return "body is not a JSON object"
    kind = body.get("type")
    if kind == "url_verification":
        return None if isinstance(body.get("challenge"), str) else "url_verification without a challenge"
    if kind == "app_rate_limited":
        return None
    if kind == "event_callback":
        problem = _shape_problem(_EventCallback, body, "event_callback")
        if problem is None:
            event = body["event"]
            missing = [f for f in REQUIRED_EVENT_FIELDS.get(event["type"], ()) if not event.get(f)]
            problem = f"event {event['type']} without {', '.join(missing)}" if missing else None
        return problem
    return f"unknown request type {_short(kind)}"


def _interactive_problem(payload: Any) -> str | None:
    if not isinstance(payload, dict):
        return "payload is not a JSON object"
    kind = payload.get("type")
    if kind == "block_actions":
        return _shape_problem(_BlockActions, payload, "block_actions")
    return f"interaction {_short(kind)} is not one the bot offers"


def _shape_problem(model: type[BaseModel], data: Any, what: str) -> str | None:
    try:
        model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "body"
        return f"{what}: {where}: {first['msg']}"
    return None


_PRINTABLE = re.compile(r"[^\w .:-]")


def _short(value: Any) -> str:
    """A value as it may appear in a log line: short and printable."""
    return repr(_PRINTABLE.sub("?", str(value))[:40])
