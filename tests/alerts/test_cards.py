"""The alert cards' text: escaped and clipped with the Slack surface's helpers (bot.slack.blocks)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from bot.alerts import cards
from bot.alerts.describe import Alert, JobFacts
from bot.alerts.events import ChangeEvent
from tests.slack.harness import assert_valid_blocks

TZ = "America/Chicago"
HALF_ENTITY = re.compile(r"&(?!amp;|lt;|gt;)")  # an & that does not start a whole entity


def _alert(memo: str, actor: str = "Jane Doe", number: str = "1011") -> Alert:
    event = ChangeEvent("job_hold", f"job:{number}:x:job_hold", int(number), "2026-11-24T15:00:00+00:00")
    job = JobFacts(job_id=int(number), number=number, type_name="Repair", status="Hold", customer="Ann & Bo",
                   address="1 Main St")  # fmt: skip
    return Alert(event=event, job=job, reason="Waiting for parts", memo=memo, actor=actor,
                 at=datetime(2026, 11, 24, 15, tzinfo=UTC))  # fmt: skip


def _mrkdwn(blocks: list[dict]) -> list[str]:
    texts = [b["text"]["text"] for b in blocks if b.get("text", {}).get("type") == "mrkdwn"]
    return texts + [e["text"] for b in blocks if b["type"] == "context" for e in b["elements"]]


def test_a_long_memo_of_ampersands_is_clipped_between_entities_never_inside_one() -> None:
    for shift in range(5):  # the cut falls on each character of "&amp;" in turn
        memo = "x" * shift + "&" * 1500
        for text, blocks in (
            cards.alert_card(_alert(memo), TZ),
            cards.grouped_card([_alert(memo), _alert(memo, number="1012")], TZ, heading="2 holds just now"),
            cards.day_plan("Luis", date(2026, 11, 24), [memo], TZ),
            cards.changes_message([memo], TZ),
        ):
            assert_valid_blocks(blocks)
            for shown in _mrkdwn(blocks):
                assert len(shown) <= 3000 and not HALF_ENTITY.search(shown), shown[-12:]
            assert "&&" not in text and not HALF_ENTITY.search(text)


def test_the_slack_user_who_made_the_change_is_a_live_mention_in_the_notification_text_too() -> None:
    alert = _alert("gate <@U0EVIL> <!channel>", actor="<@U0DANA>")
    for text, blocks in (cards.alert_card(alert, TZ), cards.grouped_card([alert], TZ, heading="While x")):
        shown = "\n".join(_mrkdwn(blocks))
        for where in (text, shown):
            assert "<@U0DANA>" in where and "&lt;@U0DANA&gt;" not in where
            assert "<@U0EVIL>" not in where and "<!channel>" not in where  # a memo's mention stays text
        assert "&lt;@U0EVIL&gt;" in text and "\ue000" not in text and "\ue000" not in shown


def test_a_servicetitan_name_that_looks_like_a_mention_is_shown_as_text() -> None:
    text, blocks = cards.alert_card(_alert("m", actor="<!here> & co"), TZ)
    assert "&lt;!here&gt; &amp; co" in text and "<!here>" not in "\n".join(_mrkdwn(blocks))
