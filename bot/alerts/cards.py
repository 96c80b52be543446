"""Block Kit for alerts and the technician's day: pure functions from facts to `(text, blocks)`.

Every string from ServiceTitan or a user is escaped with the Slack surface's own helpers
(`bot.slack.blocks.escape_mrkdwn`: &, <, > — so a memo cannot mention @channel or forge a link) and clipped
with `clip_mrkdwn` (never inside an entity); only the bot's own Slack mentions (`_actor`) become live. The `text` of each
message is a complete plain-text fallback (CONTRACT section 6: an alert's job number, reason and memo).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from bot.alerts.describe import Alert, Visit, visit_time
from bot.dialog import timefmt
from bot.dialog.messages import mention
from bot.slack.blocks import clip, clip_mrkdwn, escape_mrkdwn
from bot.slack.blocks import plain as plain_text

JSON = dict[str, Any]

ACTION_ALERT_SHOW = "st_alert_show"
ACTION_ALERT_UNDO = "st_alert_undo"
ALERT_ACTION_IDS = (ACTION_ALERT_SHOW, ACTION_ALERT_UNDO)
BLOCK_ALERT = "st_alert"
MAX_SECTION = 2900  # Slack's section text limit is 3000
MAX_GROUPED = 15  # alerts drawn in one grouped message (the text fallback lists them all)

TITLES = {
    "job_hold": "Job {number} put on hold",
    "job_canceled": "Job {number} canceled",
    "appointment_hold": "Appointment of job {number} put on hold",
}


ALERT_ACTION_PATTERN = re.compile("^(?:" + "|".join(ALERT_ACTION_IDS) + r")(?::\d+)?$")
# The only requests a button may carry (its value comes back from Slack: never trust it as free text).
BUTTON_REQUEST = re.compile(
    r"^(show job|remove hold on job|remove hold on appointment|remove the cancellation of job) \d{1,12}$"
)


def button_request(action_id: str, value: Any) -> str | None:
    """The request an alert button carries (what it feeds the dialog), or None for any other control or
    a value no alert button has. Used by the Slack listener and the console demo alike."""
    request = str(value or "")
    if not ALERT_ACTION_PATTERN.match(action_id) or not BUTTON_REQUEST.match(request):
        return None
    return request


_SLACK_MENTION = re.compile(r"<@(?P<user>[UW][A-Z0-9]{1,20})>")


def esc(text: Any) -> str:
    """Text from ServiceTitan or a user as mrkdwn that shows exactly that text (`escape_mrkdwn`)."""
    return escape_mrkdwn(str(text))


def _section(text: str) -> str:
    return clip_mrkdwn(text, MAX_SECTION)


def _header(text: str) -> str:
    return clip(plain_text(text), 150)


def _actor(actor: str) -> str:
    """Who made the change, as the bot writes it: a Slack user the write path recorded (`<@U123>`) becomes
    the bot's mention marker (live once escaped), a ServiceTitan name stays text (escaped later)."""
    found = _SLACK_MENTION.fullmatch(actor)
    return mention(found["user"]) if found else actor


def _who(actor: str) -> str:
    return esc(_actor(actor))


def title(alert: Alert) -> str:
    if alert.event.kind == "appointment_hold" and alert.event.appointment_id:
        return f"Appointment #{alert.event.appointment_id} of job {alert.job.number} put on hold"
    return TITLES.get(alert.event.kind, "Job {number} changed").format(number=alert.job.number)


def undo_request(alert: Alert) -> tuple[str, str]:
    """(button label, the sentence the button feeds the dialog) for taking the hold or cancel back."""
    if alert.event.kind == "job_canceled":
        return "Un-cancel", f"remove the cancellation of job {alert.job.job_id}"
    if alert.event.kind == "appointment_hold" and alert.event.appointment_id:
        return "Remove hold", f"remove hold on appointment {alert.event.appointment_id}"
    return "Remove hold", f"remove hold on job {alert.job.job_id}"


def _reason_line(alert: Alert) -> str:
    reason = alert.reason or "no reason given"
    return f"{reason} — “{alert.memo}”" if alert.memo else reason


def plain(alert: Alert, tz: str) -> str:
    """The one-line plain text of an alert: job number, reason, memo, who and when."""
    return (
        f"{title(alert)} ({alert.job.type_name}, {alert.job.customer}): {_reason_line(alert)}. "
        f"By {_actor(alert.actor)}, {timefmt.moment(alert.at, tz)}."
    )


def _visit_line(visit: Visit, tz: str) -> str:
    day = timefmt.short_day(timefmt.local(visit.start, tz))
    techs = ", ".join(visit.technicians) or "nobody assigned"
    return f"#{visit.id} · {day} {visit_time(visit, tz)} · {visit.status} · {techs}"


def alert_card(alert: Alert, tz: str) -> tuple[str, list[JSON]]:
    job = alert.job
    fields = [
        ("Job", f"#{job.number} · {job.type_name}"),
        ("Customer", job.customer),
        ("Address", job.address or "no address"),
        ("Reason", _reason_line(alert)),
    ]
    facts = "\n".join(f"*{name}:* {esc(value)}" for name, value in fields)
    facts += f"\n*By:* {_who(alert.actor)}\n*When:* {esc(timefmt.moment(alert.at, tz))}"
    visits = "\n".join(esc(_visit_line(v, tz)) for v in job.visits[:10]) or "No appointments."
    label, request = undo_request(alert)
    blocks: list[JSON] = [
        {"type": "header", "text": {"type": "plain_text", "text": _header(title(alert))}},
        {
            "type": "section",
            "block_id": f"{BLOCK_ALERT}_facts",
            "text": {"type": "mrkdwn", "text": _section(facts)},
        },
        {
            "type": "section",
            "block_id": f"{BLOCK_ALERT}_visits",
            "text": {"type": "mrkdwn", "text": _section("*Appointments:*\n" + visits)},
        },
        {
            "type": "actions",
            "block_id": f"{BLOCK_ALERT}_buttons",
            "elements": [
                _button("Show job", ACTION_ALERT_SHOW, f"show job {job.job_id}"),
                _button(label, ACTION_ALERT_UNDO, request),
            ],
        },
        {"type": "context", "elements": [{"type": "mrkdwn", "text": esc(f"Times in {tz}")}]},
    ]
    return esc(plain(alert, tz)), blocks


def _button(label: str, action_id: str, value: str, suffix: str = "") -> JSON:
    return {
        "type": "button",
        "text": {"type": "plain_text", "text": label},
        "action_id": action_id + suffix,
        "value": value,
    }


def grouped_card(alerts: list[Alert], tz: str, *, heading: str) -> tuple[str, list[JSON]]:
    """Several alerts as one message (a burst, or a quiet-hours digest)."""
    if len(alerts) == 1 and not heading.startswith("While"):
        return alert_card(alerts[0], tz)
    text = esc(heading + "\n" + "\n".join("• " + plain(a, tz) for a in alerts))
    blocks: list[JSON] = [{"type": "header", "text": {"type": "plain_text", "text": _header(heading)}}]
    for i, alert in enumerate(alerts[:MAX_GROUPED]):
        line = (
            f"*{esc(title(alert))}* · {esc(alert.job.type_name)} · {esc(alert.job.customer)}\n"
            f"{esc(_reason_line(alert))}\nBy {_who(alert.actor)}, {esc(timefmt.moment(alert.at, tz))}"
        )
        blocks.append(
            {
                "type": "section",
                "block_id": f"{BLOCK_ALERT}_{i}",
                "text": {"type": "mrkdwn", "text": _section(line)},
                "accessory": _button("Show job", ACTION_ALERT_SHOW, f"show job {alert.job.job_id}", f":{i}"),
            }
        )
    if len(alerts) > MAX_GROUPED:
        more = f"…and {len(alerts) - MAX_GROUPED} more (ask “show job N” for any of them)."
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": more}]})
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": esc(f"Times in {tz}")}]})
    return text, blocks


def burst_heading(alerts: list[Alert]) -> str:
    holds = sum(1 for a in alerts if a.event.kind != "job_canceled")
    cancels = len(alerts) - holds
    parts = [
        f"{n} {word}{'s' if n != 1 else ''}" for n, word in ((cancels, "cancellation"), (holds, "hold")) if n
    ]
    return " and ".join(parts) + " just now"


def digest_heading(alerts: list[Alert]) -> str:
    return f"While your alerts were quiet: {burst_heading(alerts).removesuffix(' just now')}"


# ---------------------------------------------------------------------------------------------------------
# The technician's day


EMPTY_DAY = "No appointments today."


def day_lines(rows: list[tuple[Visit, JSON]], tz: str, technician_id: int) -> list[str]:
    """The technician's day view, one numbered entry per appointment in order: the arrival window (or
    start and end), job number and type, customer and address, who else is on it, special instructions,
    and whether it is on hold. The morning message and App Home both show exactly these (raw text: each
    escapes it for its surface).

    `rows` pairs each visit with its job's facts: {"number", "type", "customer", "address"}."""
    lines = []
    for i, (visit, job) in enumerate(rows, 1):
        line = (
            f"{i}. {visit_time(visit, tz)} · Job {job['number']} · {job['type']}\n"
            f"{job['customer']} · {job['address'] or 'no address'}"
        )
        others = [
            n for t, n in zip(visit.technician_ids, visit.technicians, strict=False) if t != technician_id
        ]
        if others:
            line += f"\nWith {', '.join(others)}"
        if visit.special_instructions:
            line += f"\nNote: {visit.special_instructions}"
        if visit.status == "Hold":
            line += "\n(on hold)"
        lines.append(line)
    return lines


def day_plan(name: str, on: date, lines: list[str], tz: str) -> tuple[str, list[JSON]]:
    """The morning message: a greeting and the day view (`day_lines`), or a line for an empty day."""
    heading = f"Good morning {name}: your day, {timefmt.day(on)}"
    lines = lines or [EMPTY_DAY]
    text = esc(heading + "\n" + "\n".join(lines))
    blocks: list[JSON] = [{"type": "header", "text": {"type": "plain_text", "text": _header(heading)}}]
    for line in lines[:45]:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _section(esc(line))}})
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": esc(f"Times in {tz}")}]})
    return text, blocks


CHANGE_WORDS = {
    "appointment_moved": "moved",
    "appointment_added": "added",
    "appointment_deleted": "removed",
    "appointment_canceled": "canceled",
    "appointment_hold": "put on hold",
    "appointment_hold_removed": "taken off hold",
    "technician_assigned": "assigned to you",
    "technician_unassigned": "taken off your schedule",
}


def change_line(kind: str, job: JSON, before: str, after: str) -> str:
    what = f"Job {job['number']} ({job['type']}, {job['customer']})"
    if kind == "appointment_moved":
        return f"{what} moved: {before} → {after}"
    return f"{what} {CHANGE_WORDS.get(kind, 'changed')}: {after or before}"


def changes_message(lines: list[str], tz: str) -> tuple[str, list[JSON]]:
    heading = "Your schedule changed" if len(lines) == 1 else f"Your schedule changed ({len(lines)} changes)"
    text = esc(heading + "\n" + "\n".join("• " + line for line in lines))
    blocks: list[JSON] = [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": _section(f"*{heading}*\n" + "\n".join("• " + esc(line) for line in lines[:40])),
            },
        },
        {"type": "context", "elements": [{"type": "mrkdwn", "text": esc(f"Times in {tz}")}]},
    ]
    return text, blocks


def when_text(start: datetime | None, end: datetime | None, tz: str) -> str:
    if start is None or end is None:
        return ""
    return timefmt.short_span(start, end, tz)
