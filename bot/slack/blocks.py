"""Block Kit for the dialog's replies: pure functions from `Reply` to Slack message and App Home payloads.

Both the Slack app and the console demo draw replies from here, so the layout is regular: an optional
header, the reply text, the facts as fields, the changes (before → after), the rows of a read answer,
the warnings, then the controls (a choice, the date/time pickers, the buttons) and a footnote.

Every control's `value` starts with the reply's token (`TOKEN|value`) and every block_id ends with it, so a
click on an old card can be recognised as stale by the dialog. Slack's limits (50 blocks, text lengths,
option counts, unique action ids) are enforced here by truncating, never by failing.
"""

from __future__ import annotations

import re
from datetime import date, time
from typing import Any

from bot.dialog.messages import (
    BOT_MENTION,
    Button,
    Choice,
    DateEdit,
    Event,
    PickedDate,
    Pressed,
    Reply,
    without_mention_markers,
)

JSON = dict[str, Any]

# ---- ids ------------------------------------------------------------------------------------------
# block_ids are `CONSTANT:token` (unique per card and per version of a card); action_ids are constants,
# with a `:N` suffix where a block repeats one kind of control (choice buttons).
BLOCK_HEADER = "st_header"
BLOCK_TEXT = "st_text"
BLOCK_FACTS = "st_facts"
BLOCK_CHANGES = "st_changes"
BLOCK_LINES = "st_lines"
BLOCK_WARNINGS = "st_warnings"
BLOCK_CHOICE = "st_choice"
BLOCK_CHOICE_BUTTONS = "st_choice_buttons"
BLOCK_DATE_EDIT = "st_date_edit"
BLOCK_BUTTONS = "st_buttons"
BLOCK_FOOTNOTE = "st_footnote"

ACTION_CONFIRM = "st_confirm"
ACTION_ABANDON = "st_abandon"
ACTION_UNDO = "st_undo"
ACTION_MORE = "st_more"
ACTION_RESUME = "st_resume"
ACTION_SWITCH = "st_switch"
ACTION_KEEP = "st_keep"
ACTION_RETRY = "st_retry"
ACTION_CHOOSE = "st_choose"  # a choice shown as buttons: st_choose:0, st_choose:1, ...
ACTION_CHOOSE_MENU = "st_choose_menu"  # a choice shown as a static_select
ACTION_PICK_DATE = "st_pick_date"
ACTION_PICK_TIME = "st_pick_time"

# Dialog action name -> action_id of its button, and back.
BUTTON_ACTION_IDS: dict[str, str] = {
    "confirm": ACTION_CONFIRM,
    "abandon": ACTION_ABANDON,
    "undo": ACTION_UNDO,
    "more": ACTION_MORE,
    "resume": ACTION_RESUME,
    "switch": ACTION_SWITCH,
    "keep": ACTION_KEEP,
    "retry": ACTION_RETRY,
    "choose": ACTION_CHOOSE,
}
ACTION_NAMES: dict[str, str] = {action_id: name for name, action_id in BUTTON_ACTION_IDS.items()}
ACTION_NAMES[ACTION_CHOOSE_MENU] = "choose"
# Every action_id the app listens to, as a pattern (buttons may carry a `:N` suffix).
ACTION_ID_PATTERN = re.compile(
    r"^(?:"
    + "|".join(re.escape(a) for a in [*BUTTON_ACTION_IDS.values(), ACTION_CHOOSE_MENU])
    + r")(?::\d+)?$"
)
PICKER_ACTION_IDS = (ACTION_PICK_DATE, ACTION_PICK_TIME)

# ---- Slack limits (shared/slack/README.md section 2.1) ---------------------------------------------
MAX_MESSAGE_BLOCKS = 50
MAX_HOME_BLOCKS = 100
MAX_TEXT = 3000  # section text
MAX_FALLBACK_TEXT = 40_000
MAX_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_HEADER = 150
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_ACTIONS_ELEMENTS = 25
MAX_CONTEXT_ELEMENTS = 10
MAX_OPTIONS = 100
MAX_OPTION_TEXT = 75
MAX_OPTION_VALUE = 150
MAX_PLACEHOLDER = 150
MAX_BLOCK_ID = 255
CHOICE_BUTTONS_MAX = 3  # a choice with this many options or fewer is shown as buttons

TOKEN_SEPARATOR = "|"
ELLIPSIS = "…"

# The tail of a clipped mrkdwn text that would be half an entity (`&am`) or half a mention (`<@U12`).
_CUT_TOKEN = re.compile(r"(?:&[a-z]{0,4}|<[^<>]{0,40})$")


def clip(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, marking the cut with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS


def clip_mrkdwn(text: str, limit: int) -> str:
    """Like `clip`, for escaped mrkdwn: never ends in half an entity or half a mention."""
    if len(text) <= limit:
        return text
    return _CUT_TOKEN.sub("", text[: limit - 1]) + ELLIPSIS


def escape_mrkdwn(text: str) -> str:
    """Text from the dialog as mrkdwn that shows exactly that text: &, < and > escaped as Slack documents,
    so nothing in it (`<!channel>`, `<@U123>`, `<http://…|…>`) is a live mention or link. Only the mentions
    the bot built with `bot.dialog.messages.mention()` become `<@U123>`."""
    out: list[str] = []
    pos = 0
    for match in BOT_MENTION.finditer(text):
        out.append(_escape(text[pos : match.start()]))
        out.append(f"<@{match['user']}>")
        pos = match.end()
    out.append(_escape(text[pos:]))
    return "".join(out)


def _escape(text: str) -> str:
    text = without_mention_markers(text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def plain(text: str) -> str:
    """Text for a plain_text object: Slack shows it as written, so only the bot's mention markers go
    (as @U123)."""
    return without_mention_markers(BOT_MENTION.sub(lambda m: f"@{m['user']}", text))


def encode_value(token: str, value: str, limit: int = MAX_BUTTON_VALUE) -> str:
    """A control's value: the reply token, then the dialog's opaque value."""
    return clip(f"{token}{TOKEN_SEPARATOR}{value}", limit)


def decode_value(raw: str | None) -> tuple[str, str]:
    """(token, value) from a control's value; a value without a token gives an empty token (stale)."""
    if not raw or TOKEN_SEPARATOR not in raw:
        return "", raw or ""
    token, _, value = raw.partition(TOKEN_SEPARATOR)
    return token, value


def block_id(kind: str, token: str) -> str:
    return clip(f"{kind}:{token}" if token else kind, MAX_BLOCK_ID)


def token_of_block_id(raw: str | None) -> str:
    return (raw or "").partition(":")[2]


# ---- elements -------------------------------------------------------------------------------------


def _plain(text: str, limit: int) -> JSON:
    return {"type": "plain_text", "text": clip(plain(text), limit) or " ", "emoji": True}


def _mrkdwn(text: str, limit: int = MAX_TEXT) -> JSON:
    """A mrkdwn text object; `text` is already escaped."""
    return {"type": "mrkdwn", "text": clip_mrkdwn(text, limit)}


def _section(text: str, kind: str, token: str) -> JSON:
    return {"type": "section", "block_id": block_id(kind, token), "text": _mrkdwn(text)}


def _button(button: Button, action_id: str, token: str, *, primary: bool) -> JSON:
    element: JSON = {
        "type": "button",
        "action_id": action_id,
        "text": _plain(button.label, MAX_BUTTON_TEXT),
        "value": encode_value(token, button.value),
    }
    if primary:
        element["style"] = "primary"
    elif button.style == "danger":
        element["style"] = "danger"
    return element


def _option(value: str, label: str, description: str | None, token: str) -> JSON:
    option: JSON = {
        "text": _plain(label, MAX_OPTION_TEXT),
        "value": encode_value(token, value, MAX_OPTION_VALUE),
    }
    if description:
        option["description"] = _plain(description, MAX_OPTION_TEXT)
    return option


# ---- parts of a card ------------------------------------------------------------------------------


def _facts_blocks(reply: Reply) -> list[JSON]:
    blocks: list[JSON] = []
    fields = [
        _mrkdwn(f"*{escape_mrkdwn(fact.label)}*\n{escape_mrkdwn(fact.value)}", MAX_FIELD_TEXT)
        for fact in reply.facts
    ]
    for start in range(0, len(fields), MAX_FIELDS):
        suffix = f"{BLOCK_FACTS}{start // MAX_FIELDS or ''}"
        blocks.append(
            {
                "type": "section",
                "block_id": block_id(suffix, reply.token),
                "fields": fields[start : start + 10],
            }
        )
    return blocks


def _changes_text(reply: Reply) -> str:
    rows = []
    for change in reply.changes:
        before = escape_mrkdwn(change.before) if change.before else "—"
        rows.append(f"*{escape_mrkdwn(change.label)}:* ~{before}~ → *{escape_mrkdwn(change.after)}*")
    return "\n".join(rows)


def _chunks(rows: list[str], limit: int) -> list[str]:
    """Rows joined by newlines into as few texts of at most `limit` characters as possible."""
    chunks: list[str] = []
    current = ""
    for row in rows:
        row = clip_mrkdwn(row, limit)
        if current and len(current) + 1 + len(row) > limit:
            chunks.append(current)
            current = row
        else:
            current = f"{current}\n{row}" if current else row
    if current:
        chunks.append(current)
    return chunks


def _choice_blocks(choice: Choice, token: str) -> list[JSON]:
    options = choice.options[:MAX_OPTIONS]
    prompt = escape_mrkdwn(choice.prompt) or "Choose one:"
    if len(choice.options) > MAX_OPTIONS:
        prompt += f"\n_Showing the first {MAX_OPTIONS} of {len(choice.options)}; type to narrow it down._"
    if not options:
        return [_section(prompt, BLOCK_CHOICE, token)]
    if len(options) <= CHOICE_BUTTONS_MAX:
        elements = [
            _button(
                Button(action="choose", label=o.label, value=o.value),
                f"{ACTION_CHOOSE}:{i}",
                token,
                primary=False,
            )
            for i, o in enumerate(options)
        ]
        return [
            _section(prompt, BLOCK_CHOICE, token),
            {"type": "actions", "block_id": block_id(BLOCK_CHOICE_BUTTONS, token), "elements": elements},
        ]
    menu: JSON = {
        "type": "static_select",
        "action_id": ACTION_CHOOSE_MENU,
        "placeholder": _plain("Choose…", MAX_PLACEHOLDER),
        "options": [_option(o.value, o.label, o.description, token) for o in options],
    }
    return [
        {
            "type": "section",
            "block_id": block_id(BLOCK_CHOICE, token),
            "text": _mrkdwn(prompt),
            "accessory": menu,
        }
    ]


def _date_edit_block(edit: DateEdit, token: str) -> JSON:
    date_picker: JSON = {
        "type": "datepicker",
        "action_id": ACTION_PICK_DATE,
        "initial_date": edit.date.isoformat(),
        "placeholder": _plain("Pick a date", MAX_PLACEHOLDER),
    }
    time_picker: JSON = {
        "type": "timepicker",
        "action_id": ACTION_PICK_TIME,
        "placeholder": _plain("Pick a time", MAX_PLACEHOLDER),
    }
    if edit.time is not None:
        time_picker["initial_time"] = edit.time.strftime("%H:%M")
    return {
        "type": "actions",
        "block_id": block_id(BLOCK_DATE_EDIT, token),
        "elements": [date_picker, time_picker],
    }


def _buttons_block(buttons: list[Button], token: str) -> JSON | None:
    elements: list[JSON] = []
    used: set[str] = set()
    primary_given = False
    for button in buttons[:MAX_ACTIONS_ELEMENTS]:
        action_id = BUTTON_ACTION_IDS[button.action]
        if action_id in used:  # action ids must be unique within a message
            action_id = f"{action_id}:{len(elements)}"
        used.add(action_id)
        # Exactly one primary button, and only the one that applies the change (CONTRACT section 3).
        primary = button.action == "confirm" and not primary_given
        primary_given = primary_given or primary
        elements.append(_button(button, action_id, token, primary=primary))
    if not elements:
        return None
    return {"type": "actions", "block_id": block_id(BLOCK_BUTTONS, token), "elements": elements}


# ---- public ---------------------------------------------------------------------------------------


def render_blocks(
    reply: Reply, *, max_blocks: int = MAX_MESSAGE_BLOCKS, interactive: bool = True
) -> list[JSON]:
    """The blocks of one reply, at most `max_blocks`; controls are left out when not `interactive`."""
    token = reply.token
    head: list[JSON] = []
    if reply.title:
        head.append(
            {
                "type": "header",
                "block_id": block_id(BLOCK_HEADER, token),
                "text": _plain(reply.title, MAX_HEADER),
            }
        )
    lead = lead_text(reply)
    if lead:
        head.append(_section(escape_mrkdwn(lead), BLOCK_TEXT, token))
    head.extend(_facts_blocks(reply))
    if reply.changes:
        head.append(_section(_changes_text(reply), BLOCK_CHANGES, token))

    tail: list[JSON] = []
    if reply.warnings:
        warning_rows = [f":warning: {escape_mrkdwn(w)}" for w in reply.warnings]
        tail.append(_section(_chunks(warning_rows, MAX_TEXT)[0], BLOCK_WARNINGS, token))
    if interactive:
        if reply.choice is not None:
            tail.extend(_choice_blocks(reply.choice, token))
        if reply.date_edit is not None:
            tail.append(_date_edit_block(reply.date_edit, token))
        buttons = _buttons_block(reply.buttons, token)
        if buttons is not None:
            tail.append(buttons)
    if reply.footnote:
        tail.append(
            {
                "type": "context",
                "block_id": block_id(BLOCK_FOOTNOTE, token),
                "elements": [_mrkdwn(escape_mrkdwn(reply.footnote))],
            }
        )

    # Rows of a read answer fill whatever room is left; the rest is summarised in one line.
    room = max_blocks - len(head) - len(tail)
    line_blocks: list[JSON] = []
    if reply.lines and room > 0:
        chunks = _chunks([escape_mrkdwn(line) for line in reply.lines], MAX_TEXT)
        if len(chunks) > room:
            shown = chunks[: room - 1] if room > 1 else []
            hidden_rows = sum(chunk.count("\n") + 1 for chunk in chunks[len(shown) :])
            chunks = [*shown, f"_…and {hidden_rows} more rows_"]
        line_blocks = [_section(chunk, f"{BLOCK_LINES}{i or ''}", token) for i, chunk in enumerate(chunks)]
    blocks = head + line_blocks + tail
    if not blocks:  # a message needs at least one block
        blocks = [_section(escape_mrkdwn(fallback_text(reply)), BLOCK_TEXT, token)]
    if len(blocks) > max_blocks:  # only when head + tail alone exceed the limit: keep the controls
        keep_tail = tail[-max_blocks:]
        blocks = head[: max_blocks - len(keep_tail)] + keep_tail
    return blocks


def lead_text(reply: Reply) -> str:
    """The text shown above a card's parts.

    `Reply.text` is the complete plain version of a reply (the fallback), so when the reply has
    structured parts (facts, changes, rows, a choice, pickers) they already show the rest and only its
    first line leads the card; that line is left out when the title or the choice prompt says the same.
    """
    text = reply.text.strip()
    # "Did you mean…": the text lists the choose buttons' options (for the fallback); the buttons show them
    structured = bool(reply.facts or reply.changes or reply.lines or reply.choice or reply.date_edit) or any(
        b.action == "choose" for b in reply.buttons
    )
    if not structured:
        return text
    first = text.split("\n", 1)[0].strip()
    repeated = {(reply.title or "").strip(), (reply.choice.prompt.strip() if reply.choice else "")}
    return "" if first in repeated else first


def render(reply: Reply) -> JSON:
    """A Slack message for one reply: `{"text": fallback, "blocks": [...]}`; the fallback is escaped like
    the blocks (Slack reads mentions in it too)."""
    text = clip_mrkdwn(escape_mrkdwn(fallback_text(reply)), MAX_FALLBACK_TEXT)
    return {"text": text, "blocks": render_blocks(reply)}


def fallback_text(reply: Reply) -> str:
    """Plain text for notifications and clients without blocks (never empty)."""
    return reply.text.strip() or reply.title or "…"


def render_home(reply: Reply) -> JSON:
    """The App Home view for a `Dialog.home` reply (no controls: the Home tab is not a conversation)."""
    return {"type": "home", "blocks": render_blocks(reply, max_blocks=MAX_HOME_BLOCKS, interactive=False)}


def render_apology(reference: str, *, store_down: bool = False) -> JSON:
    """The one message shown when something unexpected broke; `reference` is in the log next to the error.

    `store_down`: the conversation store (Redis) failed, so the conversation may be lost (a Redis that
    restarts comes back empty): the message doesn't promise it was kept.
    """
    if store_down:
        text = (
            "Sorry, I can't reach the place where I keep our conversations right now, so I couldn't take "
            "that in, and I may have lost track of what we were doing. Try again in a minute; if I don't "
            f"remember the request, start it again. (Reference: {reference})"
        )
    else:
        text = (
            "Sorry, something went wrong on my side. Your conversation is as it was, so you can try again "
            f"in a moment. (Reference: {reference})"
        )
    return {"text": text, "blocks": [_section(escape_mrkdwn(text), BLOCK_TEXT, "")]}


def event_from_action(action: JSON, state_values: JSON | None = None) -> Event | None:
    """The dialog event for one `block_actions` action (a button, a menu choice or a picker change).

    `state_values` is the payload's `state.values`, used to pair a changed date with the time shown next
    to it (and the other way round). None for controls this module did not draw.
    """
    action_id = str(action.get("action_id", ""))
    if action_id in PICKER_ACTION_IDS:
        token = token_of_block_id(action.get("block_id"))
        picked = ((state_values or {}).get(str(action.get("block_id", ""))) or {}).copy()
        picked[action_id] = action
        raw_date = (picked.get(ACTION_PICK_DATE) or {}).get("selected_date")
        raw_time = (picked.get(ACTION_PICK_TIME) or {}).get("selected_time")
        try:
            return PickedDate(
                date=date.fromisoformat(raw_date) if raw_date else None,
                time=time.fromisoformat(raw_time) if raw_time else None,
                token=token,
            )
        except ValueError:
            return None
    if not ACTION_ID_PATTERN.match(action_id):
        return None
    name = ACTION_NAMES[action_id.partition(":")[0]]
    raw = (
        (action.get("selected_option") or {}).get("value")
        if action_id == ACTION_CHOOSE_MENU
        else action.get("value")
    )
    token, value = decode_value(raw)
    return Pressed(action=name, value=value, token=token)  # type: ignore[arg-type]
