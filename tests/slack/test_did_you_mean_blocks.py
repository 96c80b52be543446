""" "Did you mean…" as Block Kit: one button per reading plus Something else, unique ids, within Slack's limits,
a complete text fallback, slot text from the user escaped, and each button back to the press it offered."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.dialog import didyoumean
from bot.dialog.messages import Asker, Pressed
from bot.dialog.state import Conversation
from bot.slack.blocks import event_from_action, render
from tests.slack.harness import assert_valid_blocks, interactive_elements

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
# A technician's name as typed: a channel ping, a link and an ampersand that must stay text
NAME = "<!channel> & <http://evil.example|Mike>"
READINGS = [
    {"intent": "assign_technician", "slots": {"job_id": 3307, "technician": NAME}},
    {"intent": "cancel_job", "slots": {"job_id": 3307}},
    {"intent": "show_job", "slots": {"job_id": 3307}},
]


def _offer() -> tuple[Conversation, dict[str, Any]]:
    s = Conversation(asker=Asker(user_id="U1", tz="America/Chicago", role="dispatcher"))
    reply = didyoumean.offer(s, READINGS, NOW)
    return s, render(reply)


def test_the_readings_and_something_else_are_buttons_with_unique_ids_within_the_limits() -> None:
    _, message = _offer()
    blocks = message["blocks"]
    assert isinstance(blocks, list)
    assert_valid_blocks(blocks)  # ≤ 50 blocks, unique action and block ids, slack_sdk's validation
    buttons = [e for e in interactive_elements(blocks) if e["type"] == "button"]
    labels = [b["text"]["text"] for b in buttons]
    assert labels[1:] == ["Cancel job 3307", "Show job 3307", "Something else"]
    assert labels[0].startswith("Assign ") and labels[0].endswith(" to job 3307")
    assert not any(b.get("style") == "primary" for b in buttons)  # nothing here writes: no primary button


def test_the_text_fallback_is_complete_and_slot_text_is_escaped() -> None:
    _, message = _offer()
    text = str(message["text"])
    assert text.startswith("Did you mean…")
    for needle in ("Cancel job 3307", "Show job 3307", "Something else"):
        assert needle in text
    shown = [text] + [str(b["text"]["text"]) for b in message["blocks"] if b.get("type") == "section"]
    for mrkdwn in shown:
        assert "<!channel>" not in mrkdwn and "<http" not in mrkdwn
    assert "&lt;!channel&gt; &amp; &lt;http://evil.example|Mike&gt;" in text


def test_each_button_comes_back_as_the_press_it_offered() -> None:
    s, message = _offer()
    buttons = [e for e in interactive_elements(message["blocks"]) if e["type"] == "button"]
    events = [event_from_action(b) for b in buttons]
    assert all(isinstance(e, Pressed) and e.action == "choose" and e.token == s.token for e in events)
    picks = [didyoumean.picked(s, e.value, e.token) for e in events if isinstance(e, Pressed)]
    assert picks == [
        *({"intent": r["intent"], "slots": r["slots"]} for r in READINGS),
        didyoumean.SOMETHING_ELSE,
    ]
