"""Unit tests of the pure rules: technician and reason matching, option picking, scheduling, formatting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.dialog import rules, timefmt

TZ = "America/Chicago"
NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # Tue 9:00 AM CST
TECHS = [
    {"id": 41, "name": "Mike Carter"},
    {"id": 42, "name": "Mike Chen"},
    {"id": 43, "name": "Sarah Lopez"},
    {"id": 44, "name": "James Wilson"},
    {"id": 45, "name": "Sara Lopes"},
]


@pytest.mark.parametrize(
    ("query", "ids"),
    [
        ("Mike Carter", [41]),
        ("mike carter", [41]),
        ("Mike", [41, 42]),
        ("Mike C", [41, 42]),
        ("Mike Ch", [42]),
        ("MC", [41, 42]),
        ("JW", [44]),
        ("James", [44]),
        ("Wilson", [44]),
        ("Jmes Wilson", [44]),
        ("Sarah", [43]),
        ("Zed Zebra", []),
    ],
)
def test_match_technician(query: str, ids: list[int]) -> None:
    match = rules.match_technician(query, TECHS)
    assert sorted(t["id"] for t in match.rows) == ids
    assert match.kind == {0: "none", 1: "one"}.get(len(ids), "many")


REASONS = [
    {"id": 71, "name": "Waiting for parts"},
    {"id": 72, "name": "Customer requested"},
    {"id": 73, "name": "Awaiting approval"},
]


@pytest.mark.parametrize(
    ("words", "kind", "ids"),
    [
        ("waiting for parts", "one", [71]),
        ("parts", "one", [71]),
        ("waiting on parts from the supplier", "one", [71]),
        ("customer requested it", "one", [72]),
        ("the weather", "none", []),
    ],
)
def test_match_reason(words: str, kind: str, ids: list[int]) -> None:
    match = rules.match_named(words, REASONS)
    assert match.kind == kind
    assert [r["id"] for r in match.rows] == ids


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("2", "b"),
        ("the second one", "b"),
        ("last", "c"),
        ("first", "a"),
        ("Mike Chen", "b"),
        ("chen", "b"),
        ("nothing like it", None),
        ("9", None),
    ],
)
def test_pick_option(text: str, value: str | None) -> None:
    options = [("a", "Mike Carter"), ("b", "Mike Chen"), ("c", "Sarah Lopez")]
    assert rules.pick_option(text, options) == value


WINDOWS = rules.arrival_windows(
    [
        {"start": "08:00", "duration": "04:00"},
        {"start": "12:00", "duration": "04:00"},
        {"start": "08:00", "duration": "02:00"},
        {"start": "10:00", "duration": "02:00", "active": False},
    ]
)
OLD = rules.Times(
    datetime(2026, 11, 25, 20, 0, tzinfo=UTC),  # Wed 2 PM CST
    datetime(2026, 11, 25, 22, 0, tzinfo=UTC),
    datetime(2026, 11, 25, 18, 0, tzinfo=UTC),
    datetime(2026, 11, 25, 22, 0, tzinfo=UTC),
)


def test_date_only_keeps_start_time_duration_and_window() -> None:
    verdict = rules.schedule({"date": "2026-11-27"}, tz=TZ, now=NOW, duration=timedelta(hours=2), keep=OLD)
    assert verdict.times == rules.Times(
        datetime(2026, 11, 27, 20, 0, tzinfo=UTC),
        datetime(2026, 11, 27, 22, 0, tzinfo=UTC),
        datetime(2026, 11, 27, 18, 0, tzinfo=UTC),
        datetime(2026, 11, 27, 22, 0, tzinfo=UTC),
    )


def test_window_maps_to_arrival_window() -> None:
    when = {"date": "2026-11-26", "start": "08:00", "end": "12:00"}
    verdict = rules.schedule(when, tz=TZ, now=NOW, duration=timedelta(hours=2), keep=OLD, windows=WINDOWS)
    assert verdict.times is not None
    assert (verdict.times.start, verdict.times.end) == (
        datetime(2026, 11, 26, 14, 0, tzinfo=UTC),
        datetime(2026, 11, 26, 16, 0, tzinfo=UTC),
    )
    assert (verdict.times.window_start, verdict.times.window_end) == (
        datetime(2026, 11, 26, 14, 0, tzinfo=UTC),
        datetime(2026, 11, 26, 18, 0, tzinfo=UTC),
    )


def test_odd_window_maps_to_best_overlap() -> None:
    when = {"date": "2026-11-26", "start": "09:00", "end": "11:00"}
    verdict = rules.schedule(when, tz=TZ, now=NOW, duration=timedelta(hours=1), windows=WINDOWS)
    assert verdict.times is not None
    assert timefmt.local(verdict.times.start, TZ).hour == 9
    assert verdict.times.window_start is not None and verdict.times.window_end is not None
    window = (
        timefmt.local(verdict.times.window_start, TZ).hour,
        timefmt.local(verdict.times.window_end, TZ).hour,
    )
    assert window == (8, 12)


def test_past_and_backwards_are_refused() -> None:
    past = rules.schedule({"date": "2026-11-23"}, tz=TZ, now=NOW, duration=timedelta(hours=2), keep=OLD)
    assert past.times is None and past.problem and "in the past" in past.problem
    backwards = rules.schedule(
        {"date": "2026-11-26", "start": "10:00", "end": "08:00"}, tz=TZ, now=NOW, duration=timedelta(hours=1)
    )
    assert backwards.times is None and backwards.problem


def test_start_only_keeps_duration() -> None:
    verdict = rules.schedule(
        {"date": "2026-11-26", "start": "15:00"}, tz=TZ, now=NOW, duration=timedelta(minutes=90), keep=OLD
    )
    assert verdict.times is not None
    assert verdict.times.end - verdict.times.start == timedelta(minutes=90)
    assert timefmt.local(verdict.times.start, TZ).hour == 15


def test_formatting_writes_weekday_and_date_in_the_users_zone() -> None:
    start, end = datetime(2026, 11, 27, 20, 0, tzinfo=UTC), datetime(2026, 11, 27, 22, 0, tzinfo=UTC)
    assert timefmt.span(start, end, TZ) == "Friday, November 27, 2026, 2:00 PM – 4:00 PM"
    assert timefmt.moment(start, "America/New_York") == "Friday, November 27, 2026 at 3:00 PM"
    assert timefmt.parse_iso("2021-07-19T20:35:38.2876004Z") == datetime(
        2021, 7, 19, 20, 35, 38, 287600, tzinfo=UTC
    )


def test_a_time_without_a_day_keeps_the_visits_own_day_else_its_next_occurrence() -> None:
    kept = rules.schedule({"start": "16:00"}, tz=TZ, now=NOW, duration=timedelta(hours=2), keep=OLD)
    assert kept.times is not None
    assert timefmt.local(kept.times.start, TZ).date() == timefmt.local(OLD.start, TZ).date()
    assert timefmt.local(kept.times.start, TZ).hour == 16
    later = rules.schedule({"start": "15:00"}, tz=TZ, now=NOW, duration=timedelta(hours=1))
    passed = rules.schedule({"start": "08:00"}, tz=TZ, now=NOW, duration=timedelta(hours=1))
    assert later.times is not None and passed.times is not None
    assert timefmt.local(later.times.start, TZ).day == 24  # 3 PM is still ahead on Tuesday
    assert timefmt.local(passed.times.start, TZ).day == 25  # 8 AM has passed: Wednesday
    assert rules.schedule({}, tz=TZ, now=NOW, duration=timedelta(hours=1)).problem
