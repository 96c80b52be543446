"""Block Kit drawn as terminal text: every kind of block the cards use, and numbered controls."""

from __future__ import annotations

from bot.demo.drawing import draw_message, mrkdwn_to_plain

CONFIRM_CARD = {
    "text": "Reschedule job #1003 from Mon to Fri?",
    "blocks": [
        {"type": "header", "text": {"type": "plain_text", "text": "Reschedule job #1003"}},
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": "*Job*\n#1003 Drain cleaning"},
                {"type": "mrkdwn", "text": "*Customer*\nAnn Lee, 12 Oak St"},
            ],
        },
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": "*When*: ~Mon, Nov 23 9:00 AM~ → *Fri, Nov 27 9:00 AM*"},
        },
        {"type": "context", "elements": [{"type": "mrkdwn", "text": ":warning: Mike Carter is busy 9–11"}]},
        {"type": "divider"},
        {"type": "context", "elements": [{"type": "plain_text", "text": "Times in America/Chicago"}]},
        {
            "type": "actions",
            "block_id": "confirm:tok1",
            "elements": [
                {
                    "type": "button",
                    "action_id": "confirm",
                    "text": {"type": "plain_text", "text": "Reschedule"},
                    "style": "primary",
                    "value": "tok1|",
                },
                {
                    "type": "button",
                    "action_id": "abandon",
                    "text": {"type": "plain_text", "text": "Cancel"},
                    "value": "tok1|",
                },
            ],
        },
    ],
}


def test_confirmation_card_reads_as_text_with_numbered_buttons() -> None:
    drawing = draw_message(CONFIRM_CARD)
    assert drawing.lines == [
        "Reschedule job #1003",
        "────────────────────",
        "Job: #1003 Drain cleaning",
        "Customer: Ann Lee, 12 Oak St",
        "When: Mon, Nov 23 9:00 AM → Fri, Nov 27 9:00 AM",
        "⚠ Mike Carter is busy 9–11",
        "· · ·",
        "Times in America/Chicago",
        "[1] Reschedule   [2] Cancel",
    ]
    assert [(c.number, c.label, c.kind) for c in drawing.controls] == [
        (1, "Reschedule", "button"),
        (2, "Cancel", "button"),
    ]
    # Pressing gives the block_actions item Slack would send for that button.
    first = drawing.controls[0].action
    assert first["type"] == "button"
    assert first["action_id"] == "confirm"
    assert first["block_id"] == "confirm:tok1"
    assert first["value"] == "tok1|"


def test_menu_options_are_numbered_after_earlier_controls() -> None:
    message = {
        "text": "Which Mike?",
        "blocks": [
            {
                "type": "section",
                "block_id": "choice:t9",
                "text": {"type": "mrkdwn", "text": "Which *Mike*?"},
                "accessory": {
                    "type": "static_select",
                    "action_id": "choose",
                    "placeholder": {"type": "plain_text", "text": "Pick a technician"},
                    "options": [
                        {"text": {"type": "plain_text", "text": "Mike Carter"}, "value": "41"},
                        {
                            "text": {"type": "plain_text", "text": "Mike Chen"},
                            "value": "42",
                            "description": {"type": "plain_text", "text": "HVAC"},
                        },
                    ],
                },
            }
        ],
    }
    drawing = draw_message(message, first_number=3)
    # The section's text asks; the menu's placeholder would only repeat it.
    assert drawing.lines == ["Which Mike?", "[3] Mike Carter", "[4] Mike Chen (HVAC)"]
    chen = drawing.controls[1]
    assert chen.number == 4
    assert chen.action["type"] == "static_select"
    assert chen.action["selected_option"]["value"] == "42"
    assert chen.action["block_id"] == "choice:t9"


def test_option_groups_and_overflow_options_are_all_offered() -> None:
    message = {
        "blocks": [
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "static_select",
                        "action_id": "choose",
                        "option_groups": [
                            {
                                "label": {"type": "plain_text", "text": "A"},
                                "options": [{"text": {"type": "plain_text", "text": "One"}, "value": "1"}],
                            },
                            {
                                "label": {"type": "plain_text", "text": "B"},
                                "options": [{"text": {"type": "plain_text", "text": "Two"}, "value": "2"}],
                            },
                        ],
                    },
                    {
                        "type": "overflow",
                        "action_id": "more",
                        "options": [{"text": {"type": "plain_text", "text": "Three"}, "value": "3"}],
                    },
                ],
            }
        ]
    }
    drawing = draw_message(message)
    assert [c.label for c in drawing.controls] == ["One", "Two", "Three"]
    assert [c.action["selected_option"]["value"] for c in drawing.controls] == ["1", "2", "3"]


def test_date_and_time_pickers_are_controls_to_type_into() -> None:
    message = {
        "blocks": [
            {
                "type": "actions",
                "block_id": "fix:t3",
                "elements": [
                    {"type": "button", "action_id": "confirm", "text": {"type": "plain_text", "text": "OK"}},
                    {"type": "datepicker", "action_id": "pick_date", "initial_date": "2026-11-27"},
                    {
                        "type": "timepicker",
                        "action_id": "pick_time",
                        "initial_time": "09:00",
                        "placeholder": {"type": "plain_text", "text": "Start time"},
                    },
                ],
            }
        ]
    }
    drawing = draw_message(message)
    assert drawing.lines == [
        "[1] OK",
        "[2] Pick a date (now 2026-11-27): type 2 YYYY-MM-DD",
        "[3] Start time (now 09:00): type 3 HH:MM",
    ]
    assert [c.kind for c in drawing.controls] == ["button", "date", "time"]
    assert drawing.controls[1].action == {
        "type": "datepicker",
        "action_id": "pick_date",
        "block_id": "fix:t3",
        "initial_date": "2026-11-27",
    }


def test_message_without_blocks_shows_its_text() -> None:
    drawing = draw_message({"text": "Job *1003* not found.\nWhich job?"})
    assert drawing.lines == ["Job 1003 not found.", "Which job?"]
    assert drawing.controls == []


def test_link_buttons_are_shown_but_not_numbered() -> None:
    message = {
        "blocks": [
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "Open"},
                        "url": "https://x.test/",
                    },
                ],
            }
        ]
    }
    drawing = draw_message(message)
    assert drawing.lines == ["Open <https://x.test/>"]
    assert drawing.controls == []


def test_mrkdwn_links_mentions_emoji_and_entities_become_plain_text() -> None:
    assert (
        mrkdwn_to_plain("<https://st.test/job/1|Job #1> for <@U123> in <#C9|ops>")
        == "Job #1 for @U123 in #ops"
    )
    assert mrkdwn_to_plain("*bold* _it_ ~old~ `code` :white_check_mark: :unknown_thing:") == (
        "bold it old code ✔ :unknown_thing:"
    )
    assert mrkdwn_to_plain("a &lt; b &amp;&amp; c &gt; d") == "a < b && c > d"
    assert mrkdwn_to_plain("<!date^1700000000^{date}|Nov 14> and <!here>") == "Nov 14 and @here"
    assert mrkdwn_to_plain("job_type_id stays, 2*3*4 stays") == "job_type_id stays, 2*3*4 stays"


def test_rich_text_and_input_blocks() -> None:
    message = {
        "blocks": [
            {
                "type": "rich_text",
                "elements": [
                    {
                        "type": "rich_text_section",
                        "elements": [{"type": "text", "text": "Note by "}, {"type": "user", "user_id": "U1"}],
                    }
                ],
            },
            {
                "type": "input",
                "block_id": "d:1",
                "label": {"type": "plain_text", "text": "New date"},
                "element": {"type": "datepicker", "action_id": "pick_date"},
            },
        ]
    }
    drawing = draw_message(message)
    assert drawing.lines == ["Note by @U1", "New date:", "[1] Pick a date: type 1 YYYY-MM-DD"]


def test_a_menu_on_its_own_shows_its_placeholder_and_long_button_rows_wrap() -> None:
    long_labels = [f"Wed Nov 25 10:00 AM – 12:00 PM · James Wilson (#50{n})" for n in (11, 12)]
    message = {
        "blocks": [
            {
                "type": "actions",
                "block_id": "a:t",
                "elements": [
                    {
                        "type": "static_select",
                        "action_id": "choose",
                        "placeholder": {"type": "plain_text", "text": "Choose a reason…"},
                        "options": [{"text": {"type": "plain_text", "text": "Duplicate"}, "value": "t|81"}],
                    },
                ],
            },
            {
                "type": "actions",
                "block_id": "b:t",
                "elements": [
                    {
                        "type": "button",
                        "action_id": f"choose:{i}",
                        "text": {"type": "plain_text", "text": label},
                    }
                    for i, label in enumerate(long_labels)
                ],
            },
        ]
    }
    drawing = draw_message(message)
    assert drawing.lines == [
        "Choose a reason:",
        "[1] Duplicate",
        f"[2] {long_labels[0]}",
        f"[3] {long_labels[1]}",
    ]


def test_every_part_of_a_reply_survives_the_slack_renderer_and_the_drawing() -> None:
    """Whatever bot.slack.blocks draws from a Reply, the console shows: text, facts, changes, warnings,
    rows, every choice and button (numbered), the date picker and the footnote, with &, < and > intact."""
    from datetime import date, time

    from bot.dialog.messages import Button, Change, Choice, DateEdit, Fact, Option, PickedDate, Pressed, Reply
    from bot.slack.blocks import event_from_action, render

    reply = Reply(
        kind="confirm",
        title="Reschedule job 1009?",
        text="Smith & Sons <HQ> asked for Friday.",
        facts=[Fact(label="Job", value="1009 · Furnace Repair"), Fact(label="Customer", value="A & B <C>")],
        changes=[Change(label="When", before="Tue Nov 24 12:00 PM", after="Fri Nov 27 12:00 PM")],
        warnings=["Luis Ortega already has job 1054"],
        lines=["Row one", "Row two"],
        choice=Choice(
            prompt="Which one?", options=[Option(value=str(n), label=f"Option {n}") for n in range(5)]
        ),
        date_edit=DateEdit(date=date(2026, 11, 27), time=time(12, 0)),
        buttons=[
            Button(action="confirm", label="Reschedule", style="primary"),
            Button(action="abandon", label="Cancel"),
        ],
        footnote="Times in America/Chicago",
        token="tok9",
    )
    drawing = draw_message(render(reply))
    text = "\n".join(drawing.lines)
    for expected in [
        "Reschedule job 1009?",
        "Smith & Sons <HQ> asked for Friday.",
        "Job: 1009 · Furnace Repair",
        "Customer: A & B <C>",
        "When: Tue Nov 24 12:00 PM → Fri Nov 27 12:00 PM",
        "⚠ Luis Ortega already has job 1054",
        "Row one\nRow two",
        "Which one?",
        "Times in America/Chicago",
    ]:
        assert expected in text, expected
    # In the renderer's order (the menu, then the buttons), with the pickers last.
    assert [(control.number, control.label) for control in drawing.controls] == [
        *((n + 1, f"Option {n}") for n in range(5)),
        (6, "Reschedule"),
        (7, "Cancel"),
        (8, "Pick a date (now 2026-11-27)"),
        (9, "Pick a time (now 12:00)"),
    ]
    # Every numbered control decodes, with the Slack app's own decoder, to an event for this reply.
    for control in drawing.controls:
        action = dict(control.action)
        if control.kind == "date":
            action["selected_date"] = "2026-11-30"
        if control.kind == "time":
            action["selected_time"] = "15:00"
        event = event_from_action(action, drawing.state_values)
        assert isinstance(event, Pressed | PickedDate) and event.token == "tok9", control
