"""Runs every conversation transcript in tests/dialog/transcripts/*.yaml through the real DialogService.

A transcript file holds `cases`; each case is a conversation against the simulator (seed: tests/dialog/seed.py,
clock fixed at Tuesday 2026-11-24 15:00 UTC) with the store on real Redis:

    cases:
      - name: reschedule keeps the time when only a date is given
        asker: {role: dispatcher}            # optional: role, technician_id, user_id, tz
        turns:
          - say: move job 1001 to friday
            expect:                          # replies, matched in order (others may come between)
              - kind: confirm
                has: ["Friday, November 27, 2026, 2:00 PM"]
                buttons: [confirm, abandon]
          - press: confirm                   # token taken from the latest reply offering that action
            writes: 1                        # ServiceTitan writes during this turn (simulator count)
            expect: [{kind: result, has: Rescheduled}]
        sim:                                 # simulator state afterwards
          appointments: {5001: {start: "2026-11-27T20:00:00Z"}}

Turns: `say`, `press` (+ `value`, `token: stale`, `label`: the button whose label has this text, pressed
with its own value), `choose` (1-based index or label text, of a choice's
options or of "choose" buttons), `say_number_of` (types the 1-based number of the "choose" button whose
label has this text, as a user reading the buttons would), `pick_date`
({date, time}), `advance` (minutes of idle time before the turn). Matchers: `kind`, `has`/`lacks`
(substrings of the whole reply as text), `buttons` (exact list of actions), `options` (labels contain),
`warnings` (count), `pickers` (the card's date and time pickers: "YYYY-MM-DD HH:MM"), `replies` (exact
number of replies of the turn). A turn's `notices` lists the running-late notices it sends to the office
(substrings, one per notice; none unless listed: a notice nobody asked for fails like an unasked write).
"""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.dialog.messages import Asker, PickedDate, Pressed, Reply, Said
from tests.dialog.conftest import TZ, Harness, reply_text

TRANSCRIPTS = Path(__file__).parent / "transcripts"


def _cases() -> list[Any]:
    params = []
    for path in sorted(TRANSCRIPTS.glob("*.yaml")):
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        for case in spec["cases"]:
            params.append(pytest.param(case, id=f"{path.stem}:{case['name']}"))
    return params


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def matches(reply: Reply, want: dict[str, Any]) -> list[str]:
    """Why `reply` does not match `want` (empty when it does)."""
    problems = []
    text = reply_text(reply)
    if "kind" in want and reply.kind != want["kind"]:
        problems.append(f"kind {reply.kind!r} != {want['kind']!r}")
    for needle in _as_list(want.get("has", [])):
        if str(needle) not in text:
            problems.append(f"missing {needle!r}")
    for needle in _as_list(want.get("lacks", [])):
        if str(needle) in text:
            problems.append(f"unexpected {needle!r}")
    if "buttons" in want and [b.action for b in reply.buttons] != want["buttons"]:
        problems.append(f"buttons {[b.action for b in reply.buttons]} != {want['buttons']}")
    if "options" in want:
        labels = [o.label for o in reply.choice.options] if reply.choice else []
        for needle in _as_list(want["options"]):
            if not any(str(needle) in label for label in labels):
                problems.append(f"no option like {needle!r} in {labels}")
    if "pickers" in want:  # the card's date and time pickers, at these values ("2026-11-30 14:00")
        edit = reply.date_edit
        shown = f"{edit.date} {edit.time:%H:%M}" if edit and edit.time else str(edit.date) if edit else None
        if shown != want["pickers"]:
            problems.append(f"pickers {shown!r} != {want['pickers']!r}")
    if "warnings" in want and len(reply.warnings) != want["warnings"]:
        problems.append(f"{len(reply.warnings)} warnings != {want['warnings']}: {reply.warnings}")
    if reply.kind == "confirm":
        primary = [b for b in reply.buttons if b.style == "primary"]
        if len(primary) != 1 or primary[0].action != "confirm" or not reply.token:
            problems.append("a confirmation needs exactly one primary 'confirm' button and a token")
    return problems


def check_replies(replies: list[Reply], expect: list[dict[str, Any]], where: str) -> None:
    position = 0
    for want in expect:
        reasons: list[str] = []
        while position < len(replies):
            reasons = matches(replies[position], want)
            position += 1
            if not reasons:
                break
        else:
            dump = "\n---\n".join(f"[{r.kind}] {reply_text(r)}" for r in replies)
            pytest.fail(f"{where}: no reply matches {want} ({'; '.join(reasons)}). Replies:\n{dump}")


def _latest(history: list[Reply], action: str) -> Reply:
    for reply in reversed(history):
        if action == "choose" and reply.choice is not None:
            return reply
        if any(b.action == action for b in reply.buttons):
            return reply
    raise AssertionError(f"no earlier reply offers {action!r}")


def _event(turn: dict[str, Any], history: list[Reply]) -> Said | Pressed | PickedDate:
    if "say" in turn:
        return Said(text=str(turn["say"]))
    if "say_number_of" in turn:
        buttons = [b for b in _latest(history, "choose").buttons if b.action == "choose"]
        number = next(n for n, b in enumerate(buttons, 1) if str(turn["say_number_of"]) in b.label)
        return Said(text=str(number))
    if "press" in turn:
        action = turn["press"]
        offer = _latest(history, action)
        token = "stale-token" if turn.get("token") == "stale" else offer.token
        if turn.get("token") == "first":
            token = next(r.token for r in history if any(b.action == action for b in r.buttons))
        value = str(turn.get("value", ""))
        if "label" in turn:
            value = next(
                b.value for b in offer.buttons if b.action == action and str(turn["label"]) in b.label
            )
        return Pressed(action=action, value=value, token=token)
    if "choose" in turn:
        offer = _latest(history, "choose")
        pick = turn["choose"]
        if offer.choice is None:  # options shown as buttons ("Did you mean…"): by number or label
            buttons = [b for b in offer.buttons if b.action == "choose"]
            button = (
                buttons[pick - 1]
                if isinstance(pick, int)
                else next(b for b in buttons if str(pick) in b.label)
            )
            return Pressed(action="choose", value=button.value, token=offer.token)
        if isinstance(pick, int):
            option = offer.choice.options[pick - 1]
        else:
            option = next(o for o in offer.choice.options if str(pick) in o.label)
        return Pressed(action="choose", value=option.value, token=offer.token)
    if "pick_date" in turn:
        picked = turn["pick_date"]
        offer = _latest(history, "confirm")
        return PickedDate(
            date=date.fromisoformat(str(picked["date"])) if picked.get("date") else None,
            time=time.fromisoformat(str(picked["time"])) if picked.get("time") else None,
            token=offer.token,
        )
    raise AssertionError(f"unknown turn {turn}")


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    return value


def check_sim(h: Harness, want: dict[str, Any]) -> None:
    state = h.sim.state
    tables = {"appointments": state.appointments, "jobs": state.jobs}
    for table, rows in want.items():
        if table in tables:
            for row_id, fields in rows.items():
                row = tables[table].get(int(row_id))
                assert row is not None, f"{table} {row_id} is gone"
                for name, value in fields.items():
                    assert _plain(row.get(name)) == value, (
                        f"{table} {row_id}.{name}: {row.get(name)!r} != {value!r}"
                    )
        elif table == "technicians_on":
            for appt_id, ids in rows.items():
                on = sorted(
                    a["technicianId"]
                    for a in state.assignments.values()
                    if a["appointmentId"] == int(appt_id) and a.get("active", True)
                )
                assert on == sorted(ids), f"technicians on {appt_id}: {on} != {ids}"
        elif table == "deleted":
            for appt_id in rows:
                assert int(appt_id) not in state.appointments, f"appointment {appt_id} still exists"
        elif table == "notes":
            for job_id, needles in rows.items():
                texts = [n["text"] for n in state.notes.get(int(job_id), [])]
                for needle in needles:
                    assert any(needle in t for t in texts), (
                        f"no note like {needle!r} on job {job_id}: {texts}"
                    )
        elif table == "appointment_count":
            for job_id, count in rows.items():
                found = [a for a in state.appointments.values() if a["jobId"] == int(job_id)]
                assert len(found) == count, f"job {job_id} has {len(found)} appointments, not {count}"
        elif table == "jobs_count":
            assert len(state.jobs) == rows, f"{len(state.jobs)} jobs != {rows}"
        else:
            raise AssertionError(f"unknown sim check {table}")


@pytest.mark.parametrize("case", _cases())
async def test_transcript(case: dict[str, Any], harness: Harness) -> None:
    asker_spec = {
        "user_id": "U1",
        "tz": TZ,
        "role": "dispatcher",
        "name": "Dana Reyes",
        **case.get("asker", {}),
    }
    asker = Asker(**asker_spec)
    sent: list[str] = []

    async def office(target: str, text: str) -> bool:
        sent.append(text)
        return True

    harness.service.late.send, harness.service.late.alert_channel = office, "CDISPATCH"
    history: list[Reply] = []
    for number, turn in enumerate(case["turns"], 1):
        where = f"turn {number} ({turn})"
        if "advance" in turn:
            harness.clock.advance(float(turn["advance"]))
        if not any(k in turn for k in ("say", "press", "choose", "pick_date")):
            continue
        writes_before, notices_before = harness.sim.write_count, len(sent)
        replies = await harness.handle(_event(turn, history), asker)
        history.extend(replies)
        if "replies" in turn:
            assert len(replies) == turn["replies"], (
                f"{where}: {len(replies)} replies: {[r.text for r in replies]}"
            )
        check_replies(replies, _as_list(turn.get("expect", [])), where)
        writes = harness.sim.write_count - writes_before
        assert writes == turn.get("writes", 0), (
            f"{where}: {writes} ServiceTitan writes, expected {turn.get('writes', 0)}"
        )
        notices = sent[notices_before:]
        wanted = _as_list(turn.get("notices", []))
        assert len(notices) == len(wanted) and all(w in n for w, n in zip(wanted, notices, strict=True)), (
            f"{where}: notices sent {notices}, expected {wanted}"
        )
    check_sim(harness, case.get("sim", {}))
