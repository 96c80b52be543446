"""Block Kit rendering: layout, Slack's limits on any reply (property test), and controls back to events."""

from __future__ import annotations

from datetime import date, time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.dialog.messages import (
    Button,
    Change,
    Choice,
    DateEdit,
    Fact,
    Option,
    PickedDate,
    Pressed,
    Reply,
)
from bot.slack.blocks import (
    ACTION_ABANDON,
    ACTION_CHOOSE,
    ACTION_CHOOSE_MENU,
    ACTION_CONFIRM,
    ACTION_PICK_DATE,
    ACTION_PICK_TIME,
    BLOCK_DATE_EDIT,
    MAX_OPTIONS,
    clip,
    decode_value,
    escape_mrkdwn,
    event_from_action,
    render,
    render_home,
)
from tests.slack.harness import assert_valid_blocks, block_text, interactive_elements


def confirm_card(**update: object) -> Reply:
    reply = Reply(
        kind="confirm",
        text="Reschedule job #1001?",
        title="Reschedule appointment",
        facts=[
            Fact(label="Job", value="#1001"),
            Fact(label="Type", value="Drain cleaning"),
            Fact(label="Customer", value="Ann Lee"),
            Fact(label="Address", value="12 Oak St, Springfield"),
            Fact(label="Technicians", value="Mike Carter"),
        ],
        changes=[Change(label="When", before="Tue Nov 24, 9:00–11:00 AM", after="Fri Nov 27, 2:00–4:00 PM")],
        warnings=["Mike Carter is booked on job #1004 then"],
        date_edit=DateEdit(date=date(2026, 11, 27), time=time(14, 0)),
        buttons=[
            Button(action="confirm", label="Reschedule"),
            Button(action="abandon", label="Don't change it", style="danger"),
        ],
        footnote="Times in America/Chicago",
        token="tokA",
    )
    return reply.model_copy(update=update)


def test_confirmation_card_layout() -> None:
    message = render(confirm_card())
    blocks = message["blocks"]
    assert_valid_blocks(blocks)
    assert message["text"] == "Reschedule job #1001?"
    assert [b["type"] for b in blocks] == [
        "header",
        "section",
        "section",
        "section",
        "section",
        "actions",
        "actions",
        "context",
    ]
    assert {f["text"] for f in blocks[2]["fields"]} >= {"*Job*\n#1001", "*Technicians*\nMike Carter"}
    assert "~Tue Nov 24, 9:00–11:00 AM~ → *Fri Nov 27, 2:00–4:00 PM*" in blocks[3]["text"]["text"]
    assert ":warning: Mike Carter" in blocks[4]["text"]["text"]
    pickers = blocks[5]
    assert pickers["block_id"] == f"{BLOCK_DATE_EDIT}:tokA"
    assert [(e["type"], e.get("initial_date") or e.get("initial_time")) for e in pickers["elements"]] == [
        ("datepicker", "2026-11-27"),
        ("timepicker", "14:00"),
    ]
    buttons = blocks[6]["elements"]
    assert [(b["action_id"], b.get("style")) for b in buttons] == [
        (ACTION_CONFIRM, "primary"),
        (ACTION_ABANDON, "danger"),
    ]
    assert all(decode_value(b["value"])[0] == "tokA" for b in buttons)
    assert blocks[-1]["elements"][0]["text"] == "Times in America/Chicago"


def test_only_the_confirm_button_is_primary() -> None:
    reply = confirm_card(
        buttons=[
            Button(action="undo", label="Undo", style="primary"),
            Button(action="confirm", label="Apply"),
            Button(action="confirm", label="Apply again", style="primary"),
        ]
    )
    buttons = render(reply)["blocks"][-2]["elements"]
    assert [b.get("style") for b in buttons] == [None, "primary", None]
    assert len({b["action_id"] for b in buttons}) == 3


def test_choices_are_buttons_when_few_and_a_menu_when_many() -> None:
    few = Reply(kind="choice", text="Which?", choice=Choice(prompt="Which appointment?", options=[
        Option(value="5001", label="Tue 9–11"), Option(value="5002", label="Wed 1–3")]), token="t")  # fmt: skip
    elements = interactive_elements(render(few)["blocks"])
    assert [e["action_id"] for e in elements] == [f"{ACTION_CHOOSE}:0", f"{ACTION_CHOOSE}:1"]
    assert event_from_action(elements[1]) == Pressed(action="choose", value="5002", token="t")

    options = [
        Option(value=str(i), label=f"Technician number {i} " + "x" * 80, description="d" * 100)
        for i in range(150)
    ]
    many = Reply(
        kind="choice", text="Who?", choice=Choice(prompt="Which technician?", options=options), token="t"
    )
    message = render(many)
    assert_valid_blocks(message["blocks"])
    (menu,) = interactive_elements(message["blocks"])
    assert menu["type"] == "static_select" and len(menu["options"]) == MAX_OPTIONS
    assert "first 100 of 150" in block_text(message)
    picked = {**menu, "selected_option": menu["options"][7]}
    assert event_from_action(picked) == Pressed(action="choose", value="7", token="t")
    assert menu["action_id"] == ACTION_CHOOSE_MENU


def test_picker_changes_carry_the_other_picker_and_the_token() -> None:
    blocks = render(confirm_card())["blocks"]
    date_picker, time_picker = (
        e for e in interactive_elements(blocks) if e["type"] in ("datepicker", "timepicker")
    )
    block_id = date_picker["block_id"]
    state = {block_id: {ACTION_PICK_DATE: {"type": "datepicker", "selected_date": "2026-12-01"},
                        ACTION_PICK_TIME: {"type": "timepicker", "selected_time": "08:30"}}}  # fmt: skip
    changed = {**date_picker, "selected_date": "2026-12-01"}
    assert event_from_action(changed, state) == PickedDate(
        date=date(2026, 12, 1), time=time(8, 30), token="tokA"
    )
    only_time = {**time_picker, "selected_time": "09:15"}
    assert event_from_action(only_time, {}) == PickedDate(date=None, time=time(9, 15), token="tokA")
    assert event_from_action({"action_id": "not_ours", "value": "x"}) is None
    assert event_from_action({**changed, "selected_date": "not a date"}, {}) is None


def test_a_long_read_answer_keeps_within_50_blocks_and_says_what_was_left_out() -> None:
    lines = [f"Job #{1000 + i} · Drain cleaning · " + "detail " * 60 for i in range(400)]
    reply = Reply(kind="list", text="Jobs this week", lines=lines, read_only=True,
                  buttons=[Button(action="more", label="More")], token="t")  # fmt: skip
    message = render(reply)
    assert_valid_blocks(message["blocks"])
    assert len(message["blocks"]) == 50
    assert message["blocks"][-1]["type"] == "actions"  # the "more" button survives truncation
    assert "more rows" in block_text(message)


def test_home_view_has_no_controls_and_up_to_100_blocks() -> None:
    view = render_home(confirm_card(lines=["row " + "x" * 2990] * 120))
    assert view["type"] == "home"
    assert_valid_blocks(view["blocks"], limit=100)
    assert not interactive_elements(view["blocks"])


def test_mrkdwn_escaping_shows_mentions_typed_or_stored_as_text() -> None:
    assert escape_mrkdwn("A & B <script> for <@U123> in <#C9> <!here>") == (
        "A &amp; B &lt;script&gt; for &lt;@U123&gt; in &lt;#C9&gt; &lt;!here&gt;"
    )
    assert clip("abcdef", 4) == "abc…"


text = st.text(min_size=0, max_size=400)
label = st.text(min_size=1, max_size=120)
replies = st.builds(
    Reply,
    kind=st.sampled_from(["text", "ask", "choice", "confirm", "result", "error", "list"]),
    text=st.text(min_size=0, max_size=5000),
    title=st.none() | st.text(min_size=1, max_size=300),
    facts=st.lists(st.builds(Fact, label=label, value=st.text(max_size=2500)), max_size=25),
    changes=st.lists(st.builds(Change, label=label, before=text, after=text), max_size=8),
    warnings=st.lists(text, max_size=5),
    lines=st.lists(st.text(max_size=3500), max_size=120),
    choice=st.none()
    | st.builds(
        Choice,
        prompt=text,
        options=st.lists(
            st.builds(Option, value=st.text(max_size=200), label=label, description=st.none() | label),
            max_size=130,
        ),
    ),  # fmt: skip
    date_edit=st.none() | st.builds(DateEdit, date=st.dates(), time=st.none() | st.times()),
    buttons=st.lists(
        st.builds(
            Button,
            action=st.sampled_from(["confirm", "abandon", "undo", "more", "resume", "switch", "keep"]),
            label=label,
            value=st.text(max_size=2500),
            style=st.none() | st.sampled_from(["primary", "danger"]),
        ),
        max_size=30,
    ),  # fmt: skip
    footnote=st.none() | text,
    token=st.text(alphabet="abcdef0123456789", min_size=0, max_size=40),
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.large_base_example],
)
@given(replies)
def test_any_reply_renders_within_slacks_limits(reply: Reply) -> None:
    message = render(reply)
    assert message["text"]
    assert_valid_blocks(message["blocks"])
    primaries = [e for e in interactive_elements(message["blocks"]) if e.get("style") == "primary"]
    assert len(primaries) <= 1 and all(e["action_id"].startswith(ACTION_CONFIRM) for e in primaries)
    for element in interactive_elements(message["blocks"]):
        if element["type"] == "static_select":
            element = {**element, "selected_option": element["options"][-1]}
        event = event_from_action(element)
        if element["type"] in ("button", "static_select"):
            assert isinstance(event, Pressed) and event.token == reply.token
