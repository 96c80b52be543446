"""Nothing a user types or ServiceTitan stores becomes a live mention or link on a card (issue 13).

Slack reads `<!channel>`, `<!here>`, `<@U…>`, `<#C…>` and `<http…|…>` in mrkdwn text and in a message's
`text` fallback; every string from outside is shown as written instead (&, < and > escaped), and only the
mentions the bot builds (`bot.dialog.messages.mention`) stay live.
"""

from __future__ import annotations

import re
from typing import Any, get_args, get_origin

import pytest
from pydantic import BaseModel

from bot.demo.drawing import mrkdwn_to_plain
from bot.dialog.messages import (
    Button,
    Change,
    Choice,
    DateEdit,
    Fact,
    Option,
    Reply,
    mention,
)
from bot.slack.blocks import escape_mrkdwn, render, render_apology, render_home
from tests.slack.harness import DANA, assert_valid_blocks, block_text, posted_card, world

HOSTILE = "<!channel> <!here|here> <@U0VICTIM> <#C0SECRET> <http://evil.example|click> a&b <b>x</b>"
LIVE = re.compile(r"<[!@#]|<https?:|<mailto:")
KINDS = ["text", "ask", "choice", "confirm", "result", "error", "list"]


def _fill(model: type[BaseModel], value: str) -> dict[str, Any]:
    """Every string field of `model` (and of the models and lists of models inside it) set to `value`."""
    data: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        annotation = field.annotation
        args = [a for a in get_args(annotation) if a is not type(None)]
        target = args[0] if args and get_origin(annotation) is not list else annotation
        if get_origin(annotation) is list:
            (item,) = get_args(annotation)
            if item is str:
                data[name] = [value, value]
            elif isinstance(item, type) and issubclass(item, BaseModel) and item is not Button:
                data[name] = [_fill(item, value) for _ in range(2)]
        elif target is str and name not in {"kind", "token"}:
            data[name] = value
        elif isinstance(target, type) and issubclass(target, BaseModel) and target is not DateEdit:
            data[name] = _fill(target, value)
    return data


def _hostile_replies() -> list[Reply]:
    replies = []
    for kind in KINDS:
        base = Reply.model_validate({**_fill(Reply, HOSTILE), "kind": kind, "token": "t1"})
        base.buttons = [Button(action=a, label=HOSTILE, value=HOSTILE) for a in ("confirm", "abandon")]
        replies.append(base)
        many = Choice(prompt=HOSTILE, options=[Option(value=HOSTILE, label=HOSTILE, description=HOSTILE)] * 5)
        replies.append(base.model_copy(update={"choice": many}))  # shown as a menu rather than buttons
        replies.append(Reply(kind=kind, text=HOSTILE))  # no structured parts: the text is the card
    return replies


def _mrkdwn_texts(node: Any) -> list[str]:
    """Every mrkdwn text object's text anywhere in a payload."""
    found: list[str] = []
    if isinstance(node, dict):
        if node.get("type") == "mrkdwn":
            found.append(str(node["text"]))
        for value in node.values():
            found.extend(_mrkdwn_texts(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(_mrkdwn_texts(value))
    return found


def test_the_filler_reaches_every_string_field_of_a_reply() -> None:
    reply = _hostile_replies()[0]
    assert reply.title == reply.text == reply.footnote == HOSTILE
    assert reply.facts[0].label == reply.facts[0].value == HOSTILE
    assert reply.changes[0].before == reply.changes[0].after == HOSTILE
    assert reply.warnings == reply.lines == [HOSTILE, HOSTILE]
    assert reply.choice is not None and reply.choice.options[0].description == HOSTILE
    assert isinstance(reply.facts[0], Fact) and isinstance(reply.changes[0], Change)


@pytest.mark.parametrize("reply", _hostile_replies(), ids=lambda r: f"{r.kind}")
def test_every_string_of_every_card_kind_is_escaped(reply: Reply) -> None:
    message = render(reply)
    assert_valid_blocks(message["blocks"])
    texts = [message["text"], *_mrkdwn_texts(message["blocks"])]
    assert len(texts) > 1
    for text in texts:
        assert not LIVE.search(text), text
        assert "<" not in text and ">" not in text, text
    shown = block_text(message)
    assert "&lt;!channel&gt;" in shown and "a&amp;b" in shown
    home = render_home(reply)
    for text in _mrkdwn_texts(home["blocks"]):
        assert "<" not in text and ">" not in text, text


def test_only_mentions_the_bot_builds_stay_live_and_cannot_be_forged() -> None:
    built = f"Ask {mention('U0SARAH')} about {HOSTILE}"
    escaped = escape_mrkdwn(built)
    assert LIVE.findall(escaped) == ["<@"]
    assert escaped.startswith("Ask <@U0SARAH> about &lt;!channel&gt;")
    typed = "\ue000deadbeef:U0EVIL\ue001 and \ue000U0EVIL\ue001"  # what a user could type or store
    assert "<" not in escape_mrkdwn(typed)
    with pytest.raises(ValueError):
        mention("<!channel>")


def test_the_console_demo_shows_escaped_text_as_written() -> None:
    message = render(Reply(kind="text", text=f"{HOSTILE} {mention('U0SARAH')}"))
    (section,) = message["blocks"]
    assert mrkdwn_to_plain(section["text"]["text"]) == f"{HOSTILE} @U0SARAH"


def test_the_apology_has_nothing_live() -> None:
    message = render_apology("abc123")
    assert not any(LIVE.search(t) for t in [message["text"], *_mrkdwn_texts(message["blocks"])])


def test_a_long_escaped_text_is_not_cut_inside_an_entity() -> None:
    message = render(Reply(kind="text", text="&" * 5000))
    (section,) = message["blocks"]
    text = section["text"]["text"]
    assert len(text) <= 3000 and text.endswith("&amp;…")


async def test_channel_injection_by_a_user_and_by_servicetitan_data_is_shown_as_text() -> None:
    async with world() as w:
        w.sim.state.customers[209]["name"] = "<!channel> Barbara"
        await w.bot.dm(DANA, "add note to job 1009: gate code <!channel> & <@U0BOSS>")
        card = await posted_card(w, 1)
        text = block_text(card)
        assert "&lt;!channel&gt; Barbara" in text
        assert "gate code &lt;!channel&gt; &amp; &lt;@U0BOSS&gt;" in text
        for message in w.fake.posted():
            assert not LIVE.search(message["text"])
            assert not any(LIVE.search(t) for t in _mrkdwn_texts(message["blocks"]))
