"""Pure parts of the Slack turn: text clean-up, conversation keys and targets, which reply replaces a card."""

from __future__ import annotations

from typing import Any

from bot.dialog.messages import Button, Choice, ConversationKey, Option, Reply
from bot.slack.conversation import (
    action_target,
    clean_text,
    command_target,
    error_target,
    mention_target,
    message_target,
    replaces_clicked_card,
)


def test_clean_text_drops_the_bot_mention_and_slack_escaping_but_keeps_people() -> None:
    assert clean_text("<@U0BOT> assign <@U0MIKE> to job 1001 &amp; notify", "U0BOT") == (
        "assign <@U0MIKE> to job 1001 & notify"
    )
    assert clean_text("assign <@U0MIKE|mike> to 1001") == "assign <@U0MIKE> to 1001"  # /st with escaping
    assert clean_text("mail <mailto:ann@example.com|ann@example.com> see <https://x.io/a|the doc>") == (
        "mail ann@example.com see the doc"
    )
    assert clean_text("  <@U0BOT>  ", "U0BOT") == ""


def _action_body(**message: Any) -> dict[str, Any]:
    return {
        "type": "block_actions",
        "team": {"id": "T1"},
        "user": {"id": "U1"},
        "channel": {"id": "C1"},
        "container": {"type": "message", "message_ts": message.get("ts"), "channel_id": "C1"},
        "message": message,
        "response_url": "https://hooks.example/1",
    }


def test_a_click_belongs_to_the_conversation_that_posted_the_card() -> None:
    key, target = action_target(_action_body(ts="2.0", thread_ts="1.0"))
    assert key == ConversationKey(team="T1", channel="C1", thread="1.0", user="U1")
    assert (target.card_ts, target.thread_ts, target.ephemeral_for_reads) == ("2.0", "1.0", True)
    # a top-level card that people replied to has thread_ts == its own ts: still the top-level conversation
    key, target = action_target(_action_body(ts="3.0", thread_ts="3.0"))
    assert key.thread == "" and target.thread_ts is None and target.card_ts == "3.0"


def test_the_same_conversation_key_from_the_message_and_the_click() -> None:
    body = {"team_id": "T1"}
    dm_key, _ = message_target(body, {"channel": "D1", "user": "U1", "ts": "5.0"})
    click_key, click = action_target({**_action_body(ts="6.0"), "channel": {"id": "D1"}})
    assert dm_key == click_key and not click.ephemeral_for_reads
    mention_key, mention = mention_target(body, {"channel": "C1", "user": "U1", "ts": "7.0"})
    assert mention.thread_ts == "7.0"
    assert mention_key == action_target(_action_body(ts="8.0", thread_ts="7.0"))[0]
    command_key, command = command_target({"team_id": "T1", "channel_id": "C1", "user_id": "U1"})
    assert command_key.thread == "" and command.ephemeral_for_reads
    assert not command_target({"team_id": "T1", "channel_id": "D9", "user_id": "U1"})[1].ephemeral_for_reads


def test_error_targets() -> None:
    event = {"type": "event_callback", "team_id": "T1", "event": {"type": "app_mention", "channel": "C1",
             "user": "U1", "ts": "1.0"}}  # fmt: skip
    assert error_target(event) == mention_target(event, event["event"])[1]  # type: ignore[arg-type]
    assert (
        error_target({"type": "event_callback", "event": {"type": "app_home_opened", "user": "U1"}}) is None
    )
    assert error_target({"command": "/st", "channel_id": "C1", "user_id": "U1"}) is not None
    assert (
        error_target({"type": "block_actions", "user": {"id": "U1"}, "container": {"type": "view"}}) is None
    )


def test_which_replies_take_the_clicked_cards_place() -> None:
    assert replaces_clicked_card(Reply(text="Done.", replaces_card=True))
    follow_up = Reply(kind="confirm", text="Apply?", buttons=[Button(action="confirm", label="Apply")])
    assert replaces_clicked_card(follow_up)
    assert replaces_clicked_card(Reply(kind="choice", text="Which?", choice=Choice(prompt="Which?", options=[
        Option(value="1", label="One")])))  # fmt: skip
    assert not replaces_clicked_card(Reply(text="Already done."))  # never overwrites a first click's outcome
    assert not replaces_clicked_card(
        Reply(kind="error", text="ServiceTitan is down", buttons=follow_up.buttons)
    )
