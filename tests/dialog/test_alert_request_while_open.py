"""An alert setting sent while a write request waits for an answer is answered, and the request is shown
again exactly as it was: the message never becomes the request's answer (real DialogService, simulator,
real Redis)."""

from __future__ import annotations

from bot.dialog.messages import Asker, Pressed
from bot.dialog.service import NAMESPACE
from tests.dialog.conftest import TZ, Harness, last_card, reply_text

MANAGER = Asker(user_id="U1", tz=TZ, role="manager", name="Pat Manager")


async def _stored(h: Harness) -> dict[str, object]:
    record = await h.store.load(namespace=NAMESPACE, key=h.key().as_path())
    assert record is not None
    return record.value


async def test_an_alert_setting_is_not_taken_as_the_answer_to_the_open_question(harness: Harness) -> None:
    asked = await harness.say("cancel job 1001", MANAGER)
    assert asked[-1].kind == "ask", [reply_text(r) for r in asked]
    before = await _stored(harness)

    replies = await harness.say("no alerts after 8pm", MANAGER)
    assert len(replies) == 2, [reply_text(r) for r in replies]
    assert "8" in reply_text(replies[0])  # the quiet hours were set
    assert replies[1].kind == "ask" and replies[1].text == asked[-1].text  # the same question again
    after = await _stored(harness)
    assert after["pending"] == before["pending"] and after["phase"] == before["phase"]

    card = last_card(await harness.say("customer canceled", MANAGER))
    shown = reply_text(card)
    assert "Customer canceled" in shown and "alerts" not in shown and "8pm" not in shown


async def test_an_alert_setting_at_the_card_shows_the_same_card_whose_confirm_still_works(
    harness: Harness,
) -> None:
    card = last_card(await harness.say("cancel job 1001 customer canceled", MANAGER))
    replies = await harness.say("no alerts after 8pm", MANAGER)
    again = last_card(replies)
    assert again.token == card.token and reply_text(again) == reply_text(card)
    done = await harness.handle(Pressed(action="confirm", token=card.token), MANAGER)
    assert done[-1].kind == "result", reply_text(done[-1])
    assert "alerts" not in reply_text(done[-1])
