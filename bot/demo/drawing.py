"""Block Kit drawn as terminal text, for the console demo.

The console demo shows exactly the Block Kit the Slack app would post (bot/slack/blocks.py `render`), so
this module reads Slack's message payload `{"text", "blocks"}` and turns it into readable lines. Every
interactive element (a button, each option of a menu, a date or time picker) becomes a numbered
`Control` shown as `[N] Label`; pressing it gives the `block_actions` action object Slack would send for
that element, so the demo decodes clicks the same way the Slack app does.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

ControlKind = Literal["button", "option", "date", "time"]

# A few of Slack's emoji shortcodes, so cards read naturally in a terminal; others are left as written.
EMOJI = {
    "warning": "⚠",
    "white_check_mark": "✔",
    "heavy_check_mark": "✔",
    "x": "✖",
    "no_entry": "⛔",
    "no_entry_sign": "⛔",
    "hourglass": "⌛",
    "hourglass_flowing_sand": "⌛",
    "calendar": "📅",
    "date": "📅",
    "spiral_calendar_pad": "📅",
    "clock": "🕒",
    "clock3": "🕒",
    "wrench": "🔧",
    "construction": "🚧",
    "information_source": "ℹ",
    "arrow_right": "→",
    "leftwards_arrow_with_hook": "↩",
    "bell": "🔔",
    "pushpin": "📌",
    "memo": "📝",
    "bust_in_silhouette": "👤",
    "busts_in_silhouette": "👥",
    "house": "🏠",
    "round_pushpin": "📍",
    "question": "?",
    "grey_question": "?",
    "octagonal_sign": "🛑",
}

ROW_WIDTH = 100  # a row of buttons longer than this is drawn one button per line
_LINK = re.compile(r"<([^<>|]+)\|([^<>]+)>")
_BARE_LINK = re.compile(r"<([^<>|]+)>")
_EMOJI = re.compile(r":([a-z0-9_+\-]+):")
# *bold*, _italic_ and ~strike~ around words; Slack requires the markers to touch non-space text.
_STYLE = re.compile(r"(?<![\w*_~])([*_~])(?=\S)(.+?)(?<=\S)\1(?![\w*_~])")


@dataclass(frozen=True)
class Control:
    """One thing the user can press, numbered as shown."""

    number: int
    label: str
    kind: ControlKind
    # The `actions[]` item Slack would send in a block_actions payload when this control is used
    # (for `date`/`time` the selected value is filled in when the user types it).
    action: dict[str, Any]


@dataclass
class Drawing:
    lines: list[str] = field(default_factory=list)
    controls: list[Control] = field(default_factory=list)
    # What Slack sends as `state.values` with a click: block_id -> action_id -> the element's current
    # value, for the pickers shown (so a new date is paired with the time shown beside it).
    state_values: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)


def mrkdwn_to_plain(text: str) -> str:
    """Slack mrkdwn as plain terminal text: links to their labels, styling markers dropped, entities decoded."""

    def link(match: re.Match[str]) -> str:
        target, label = match.group(1), match.group(2)
        return label if not target.startswith(("@", "#", "!")) else _special(target, label)

    def bare(match: re.Match[str]) -> str:
        return _special(match.group(1), None)

    text = _LINK.sub(link, text)
    text = _BARE_LINK.sub(bare, text)
    previous = None
    while previous != text:  # nested styles: *_both_*
        previous = text
        text = _STYLE.sub(lambda m: m.group(2), text)
    text = text.replace("```", "").replace("`", "")
    text = _EMOJI.sub(lambda m: EMOJI.get(m.group(1), m.group(0)), text)
    return html.unescape(text)


def _special(target: str, label: str | None) -> str:
    if target.startswith("@"):
        return "@" + (label or target[1:])
    if target.startswith("#"):
        return "#" + (label or target[1:])
    if target.startswith("!date^"):
        return label or target
    if target.startswith("!"):
        return "@" + (label or target[1:].split("^")[0])
    return label or target


def text_of(obj: Any) -> str:
    """The readable text of a composition text object (plain_text or mrkdwn) or a bare string."""
    if obj is None:
        return ""
    if isinstance(obj, str):
        return obj
    text = str(obj.get("text", ""))
    return mrkdwn_to_plain(text) if obj.get("type") == "mrkdwn" else html.unescape(text)


@dataclass(frozen=True)
class _Picker:
    """What differs between Slack's date and time pickers: the word in their field names, the typed format."""

    kind: Literal["date", "time"]  # initial_date / selected_date, initial_time / selected_time
    format: str


_PICKERS = {"datepicker": _Picker("date", "YYYY-MM-DD"), "timepicker": _Picker("time", "HH:MM")}


class _Drawer:
    def __init__(self, first_number: int) -> None:
        self.next_number = first_number
        self.drawing = Drawing()

    def add_control(self, label: str, kind: ControlKind, action: dict[str, Any]) -> str:
        control = Control(number=self.next_number, label=label, kind=kind, action=action)
        self.drawing.controls.append(control)
        self.next_number += 1
        return f"[{control.number}] {label}"

    def remember(self, base: dict[str, Any], **value: Any) -> None:
        block = self.drawing.state_values.setdefault(base["block_id"], {})
        block[base["action_id"]] = {"type": base["type"], **value}

    def emit(self, *lines: str) -> None:
        for line in lines:
            self.drawing.lines.extend(line.split("\n"))

    # ---- blocks --------------------------------------------------------------------------------

    def block(self, block: dict[str, Any]) -> None:
        kind = block.get("type")
        block_id = str(block.get("block_id", ""))
        if kind == "header":
            title = text_of(block.get("text"))
            self.emit(title, "─" * max(len(title), 3))
        elif kind == "section":
            self.section(block, block_id)
        elif kind == "context":
            parts = [self.context_element(element) for element in block.get("elements", [])]
            self.emit(" · ".join(part for part in parts if part))
        elif kind == "divider":
            self.emit("· · ·")
        elif kind == "actions":
            self.elements(block.get("elements", []), block_id)
        elif kind == "input":
            label = text_of(block.get("label"))
            if label:
                self.emit(label + ":")
            element = block.get("element")
            if element:
                self.elements([element], block_id)
        elif kind in ("markdown",):
            self.emit(mrkdwn_to_plain(str(block.get("text", ""))))
        elif kind == "rich_text":
            self.emit(_rich_text(block))
        elif kind == "image":
            self.emit(f"[image: {block.get('alt_text', '')}]")
        else:
            fallback = text_of(block.get("text"))
            if fallback:
                self.emit(fallback)

    def section(self, block: dict[str, Any], block_id: str) -> None:
        if block.get("text"):
            self.emit(text_of(block["text"]))
        for item in block.get("fields", []) or []:
            self.emit(_field(text_of(item)))
        accessory = block.get("accessory")
        if accessory:
            # The section's text already asks the question a menu beside it answers.
            self.elements([accessory], block_id, placeholder=not block.get("text"))

    def context_element(self, element: dict[str, Any]) -> str:
        if element.get("type") == "image":
            return ""
        return text_of(element)

    def elements(
        self, elements: Iterable[dict[str, Any]], block_id: str, *, placeholder: bool = True
    ) -> None:
        buttons: list[str] = []
        for element in elements:
            kind = element.get("type")
            action_id = str(element.get("action_id", ""))
            base: dict[str, Any] = {"type": kind, "action_id": action_id, "block_id": block_id}
            if kind == "button":
                if element.get("url"):
                    buttons.append(f"{text_of(element.get('text'))} <{element['url']}>")
                    continue
                action = dict(base, value=element.get("value", ""), text=element.get("text"))
                buttons.append(self.add_control(text_of(element.get("text")), "button", action))
                continue
            if buttons:
                self.buttons(buttons)
                buttons = []
            if kind in ("static_select", "overflow", "radio_buttons", "checkboxes"):
                self.menu(element, base, placeholder=placeholder)
            elif kind in _PICKERS:
                self.picker(element, base, _PICKERS[kind])
            else:
                what = text_of(element.get("placeholder")) or str(kind)
                self.emit(f"({what}: not available in the console)")
        if buttons:
            self.buttons(buttons)

    def picker(self, element: dict[str, Any], base: dict[str, Any], picker: _Picker) -> None:
        """A date or time picker: a control to type a value into, showing (and remembering) the initial one."""
        initial = element.get(f"initial_{picker.kind}")
        label = text_of(element.get("placeholder")) or f"Pick a {picker.kind}"
        shown = f"{label} (now {initial})" if initial else label
        line = self.add_control(shown, picker.kind, dict(base, **{f"initial_{picker.kind}": initial}))
        if initial:
            self.remember(base, **{f"selected_{picker.kind}": initial})
        self.emit(f"{line}: type {self.next_number - 1} {picker.format}")

    def buttons(self, shown: list[str]) -> None:
        """A row of buttons on one line, or one per line when they would not fit a terminal's width."""
        row = "   ".join(shown)
        if len(row) <= ROW_WIDTH:
            self.emit(row)
        else:
            self.emit(*shown)

    def menu(self, element: dict[str, Any], base: dict[str, Any], *, placeholder: bool) -> None:
        prompt = text_of(element.get("placeholder")).rstrip(".…:")
        if placeholder and prompt:
            self.emit(prompt + ":")
        options = list(element.get("options") or [])
        for group in element.get("option_groups") or []:
            options.extend(group.get("options") or [])
        for option in options:
            label = text_of(option.get("text"))
            description = text_of(option.get("description"))
            shown = f"{label} ({description})" if description else label
            payload = dict(base, selected_option=option)
            if base["type"] == "checkboxes":
                payload = dict(base, selected_options=[option])
            self.emit(self.add_control(shown, "option", payload))


def _field(text: str) -> str:
    """A section field is usually "Label\\nValue": drawn as "Label: Value" on one line."""
    label, newline, value = text.partition("\n")
    if not newline:
        return text
    value = value.replace("\n", " ")
    return f"{label.rstrip(':')}: {value}" if label else value


def _rich_text(block: dict[str, Any]) -> str:
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") in ("text", "link"):
                out.append(str(node.get("text") or node.get("url") or ""))
            elif node.get("type") == "user":
                out.append("@" + str(node.get("user_id", "")))
            elif node.get("type") == "emoji":
                out.append(EMOJI.get(str(node.get("name")), f":{node.get('name')}:"))
            for child in node.get("elements", []) or []:
                walk(child)
            if node.get("type") in ("rich_text_section", "rich_text_preformatted", "rich_text_quote"):
                out.append("\n")
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(block.get("elements", []))
    return "".join(out).strip("\n")


def _only_pickers(block: dict[str, Any]) -> bool:
    elements = block.get("elements") or []
    return (
        block.get("type") == "actions"
        and bool(elements)
        and all(element.get("type") in _PICKERS for element in elements)
    )


def draw_message(message: dict[str, Any], *, first_number: int = 1) -> Drawing:
    """Draw one message payload (`{"text", "blocks"}`); controls are numbered from `first_number`."""
    drawer = _Drawer(first_number)
    blocks = message.get("blocks") or []
    if not blocks:
        drawer.emit(mrkdwn_to_plain(str(message.get("text", ""))))
    # Rows of date/time pickers come last, so a card's buttons are numbered first: "1" confirms, as in
    # `printf 'reschedule job 1003 to friday\n1\n' | python -m bot demo`.
    pickers = [block for block in blocks if _only_pickers(block)]
    for block in [block for block in blocks if not _only_pickers(block)] + pickers:
        drawer.block(block)
    drawing = drawer.drawing
    drawing.lines = [line.rstrip() for line in drawing.lines]
    return drawing
