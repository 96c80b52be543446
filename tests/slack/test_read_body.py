"""The edge check hands Bolt the body it parsed (a JSON event, a button's payload) only when Bolt would
parse it the same way; a body handed over is still signature-checked on its raw bytes."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_bolt.request.internals import parse_body

from bot.slack.payloads import read_body
from tests.slack.harness import DANA, world

EVENT = {
    "type": "event_callback",
    "team_id": "T0TEST",
    "event_id": "Ev1",
    "event": {"type": "message", "channel": "D0DANA", "channel_type": "im", "user": "U1", "text": "hi",
              "ts": "1800000000.000001"},
}  # fmt: skip
CLICK = {
    "type": "block_actions",
    "user": {"id": "U1"},
    "channel": {"id": "D0DANA"},
    "actions": [{"type": "button", "action_id": "st_confirm", "block_id": "b", "value": "tok & <x> 100%"}],
}


def _bolt(text: str, content_type: str) -> dict[str, Any]:
    return parse_body(text, content_type.split(";")[0])


@pytest.mark.parametrize(
    ("text", "content_type"),
    [
        (json.dumps(EVENT), "application/json"),
        (json.dumps(EVENT), "application/json; charset=utf-8"),
        (urlencode({"payload": json.dumps(CLICK)}), "application/x-www-form-urlencoded"),
        (urlencode({"payload": json.dumps(CLICK), "extra": "1"}), "application/x-www-form-urlencoded"),
    ],
)
def test_a_body_handed_to_bolt_is_the_one_bolt_reads(text: str, content_type: str) -> None:
    problem, parsed = read_body(text.encode(), content_type)
    assert problem is None
    assert parsed is not None and parsed == _bolt(text, content_type)


@pytest.mark.parametrize(
    ("text", "content_type"),
    [
        (" " + json.dumps(EVENT), "application/json"),  # Bolt would not read it as JSON: Bolt parses it
        (urlencode({"ssl_check": "1", "token": "x"}), "application/x-www-form-urlencoded"),
        (
            urlencode(
                {
                    "command": "/st",
                    "text": "show job 1001 payload",
                    "user_id": "U1",
                    "channel_id": "D1",
                    "team_id": "T1",
                }
            ),
            "application/x-www-form-urlencoded",
        ),  # fmt: skip
    ],
)
def test_other_bodies_are_left_to_bolt(text: str, content_type: str) -> None:
    assert read_body(text.encode(), content_type) == (None, None)


async def test_a_forged_click_is_refused_and_changes_nothing() -> None:
    async with world() as w:
        await w.bot.dm(DANA, "reschedule job 1009 to friday 2pm")
        await w.fake.wait_calls("chat.postMessage", 1)
        card = w.fake.posted()[0]
        assert any(b.get("type") == "actions" for b in card.get("blocks") or []), card
        payload = json.dumps({"type": "block_actions", "user": {"id": DANA}, "channel": {"id": card["channel"]},
                              "actions": [{"type": "button", "action_id": "st_confirm", "block_id": "x",
                                           "value": "anything"}]})  # fmt: skip
        body = urlencode({"payload": payload})
        forged = await w.bot.send(body, "application/x-www-form-urlencoded", signature="v0=" + "ab" * 32)
        assert forged.status_code == 401
        assert w.sim.write_count == 0 and len(w.fake.of("chat.update")) == 0
