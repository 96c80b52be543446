"""The time resolver against every convention of CONTRACT section 2, at awkward reference times."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from intents.timeparse import parse_range, parse_when

TZ = "America/Chicago"
TUESDAY = datetime(2026, 11, 24, 9, 0)  # the dev set's clock: Tuesday, week Mon 11-23 .. Sun 11-29
SUNDAY = datetime(2026, 11, 29, 10, 0)
NEW_YEARS_EVE = datetime(2026, 12, 31, 16, 0)  # Thursday
JAN_31 = datetime(2026, 1, 31, 9, 0)  # Saturday
LEAP_FEB_28 = datetime(2028, 2, 28, 9, 0)  # Monday of a leap year
BEFORE_FALL_BACK = datetime(2026, 10, 31, 10, 0)  # Saturday; clocks go back on Sunday 2026-11-01


def day(text: str, now: datetime) -> str | None:
    when = parse_when(text, now=now, tz=TZ)
    return when["date"] if when else None


@pytest.mark.parametrize(
    ("text", "now", "expected"),
    [
        # bare weekday: the next occurrence after today; this/next <weekday>: this/next week's
        ("friday", TUESDAY, "2026-11-27"),
        ("fri", TUESDAY, "2026-11-27"),
        ("tuesday", TUESDAY, "2026-12-01"),
        ("monday", TUESDAY, "2026-11-30"),
        ("this friday", TUESDAY, "2026-11-27"),
        ("this monday", TUESDAY, "2026-11-23"),
        ("next friday", TUESDAY, "2026-12-04"),
        ("next tuesday", TUESDAY, "2026-12-01"),
        ("next wed", TUESDAY, "2026-12-02"),
        ("last friday", TUESDAY, "2026-11-20"),
        ("friday after next", TUESDAY, "2026-12-04"),
        ("next week wednesday", TUESDAY, "2026-12-02"),
        ("thursday next week", TUESDAY, "2026-12-03"),
        ("wednesday of next week", TUESDAY, "2026-12-02"),
        ("friday", SUNDAY, "2026-12-04"),
        ("this friday", SUNDAY, "2026-11-27"),
        ("next friday", SUNDAY, "2026-12-04"),
        ("monday", SUNDAY, "2026-11-30"),
        # relative days and weeks
        ("today", TUESDAY, "2026-11-24"),
        ("tomorrow", TUESDAY, "2026-11-25"),
        ("tmrw", TUESDAY, "2026-11-25"),
        ("tomorow", TUESDAY, "2026-11-25"),
        ("the day after tomorrow", TUESDAY, "2026-11-26"),
        ("in 3 days", TUESDAY, "2026-11-27"),
        ("in two weeks", TUESDAY, "2026-12-08"),
        ("in a week", TUESDAY, "2026-12-01"),
        ("a week from today", TUESDAY, "2026-12-01"),
        ("a week from tomorrow", TUESDAY, "2026-12-02"),
        ("3 days from now", TUESDAY, "2026-11-27"),
        ("in a couple of days", TUESDAY, "2026-11-26"),
        # month names and US numeric dates; a date already passed this year means next year
        ("dec 1", TUESDAY, "2026-12-01"),
        ("December 1st", TUESDAY, "2026-12-01"),
        ("the 1st of december", TUESDAY, "2026-12-01"),
        ("1 dec", TUESDAY, "2026-12-01"),
        ("jan 5", TUESDAY, "2027-01-05"),
        ("nov 24", TUESDAY, "2026-11-24"),
        ("nov 23", TUESDAY, "2027-11-23"),
        ("feb 29", TUESDAY, "2028-02-29"),
        ("dec 3, 2027", TUESDAY, "2027-12-03"),
        ("12/7", TUESDAY, "2026-12-07"),
        ("11/1", TUESDAY, "2027-11-01"),
        ("12/7/2027", TUESDAY, "2027-12-07"),
        ("1/5/27", TUESDAY, "2027-01-05"),
        ("2026-12-02", TUESDAY, "2026-12-02"),
        # "the 30th": the next date with that day, today included; months without it are skipped
        ("the 30th", TUESDAY, "2026-11-30"),
        ("the 24th", TUESDAY, "2026-11-24"),
        ("the 2nd", TUESDAY, "2026-12-02"),
        ("the 31st", TUESDAY, "2026-12-31"),
        ("on the 5th", TUESDAY, "2026-12-05"),
        # ordinal words too, when nothing but a time phrase follows them
        ("the seventh", TUESDAY, "2026-12-07"),
        ("on the twenty-fourth", TUESDAY, "2026-11-24"),
        ("the third at 4:30", TUESDAY, "2026-12-03"),
        ("the first of january", TUESDAY, "2027-01-01"),
        ("the thirtieth", JAN_31, "2026-03-30"),
        # month ends
        ("tomorrow", JAN_31, "2026-02-01"),
        ("in 1 month", JAN_31, "2026-02-28"),
        ("the 30th", JAN_31, "2026-03-30"),
        ("tomorrow", LEAP_FEB_28, "2028-02-29"),
        ("in 2 days", LEAP_FEB_28, "2028-03-01"),
        # year ends
        ("tomorrow", NEW_YEARS_EVE, "2027-01-01"),
        ("friday", NEW_YEARS_EVE, "2027-01-01"),
        ("next monday", NEW_YEARS_EVE, "2027-01-04"),
        ("jan 2", NEW_YEARS_EVE, "2027-01-02"),
        ("12/31", NEW_YEARS_EVE, "2026-12-31"),
        ("12/30", NEW_YEARS_EVE, "2027-12-30"),
        ("in 1 week", NEW_YEARS_EVE, "2027-01-07"),
        # a daylight-saving change week: calendar days, never 24-hour steps
        ("tomorrow", BEFORE_FALL_BACK, "2026-11-01"),
        ("in 1 week", BEFORE_FALL_BACK, "2026-11-07"),
        ("monday", BEFORE_FALL_BACK, "2026-11-02"),
        ("next sunday", BEFORE_FALL_BACK, "2026-11-08"),
    ],
)
def test_dates(text: str, now: datetime, expected: str) -> None:
    assert day(text, now) == expected


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("friday morning", "08:00", "12:00"),
        ("friday afternoon", "12:00", "17:00"),
        ("friday evening", "17:00", "20:00"),
        ("friday at 7", "07:00", None),
        ("friday at 11", "11:00", None),
        ("friday at 12", "12:00", None),
        ("friday at 1", "13:00", None),
        ("friday at 4", "16:00", None),
        ("friday at 6", "18:00", None),
        ("friday at noon", "12:00", None),
        ("friday noon", "12:00", None),
        ("friday 2pm", "14:00", None),
        ("friday at 8:30am", "08:30", None),
        ("friday 4:15", "16:15", None),
        ("friday at 14:30", "14:30", None),
        ("friday evening at 7", "19:00", None),
        ("friday morning at 7", "07:00", None),
        ("friday between 8 and 10", "08:00", "10:00"),
        ("friday between 1 and 3", "13:00", "15:00"),
        ("friday 8-10am", "08:00", "10:00"),
        ("friday 1-3pm", "13:00", "15:00"),
        ("friday 9 to 11am", "09:00", "11:00"),
        ("friday 11-1pm", "11:00", "13:00"),
        ("friday 10-2pm", "10:00", "14:00"),
        ("friday 8-10pm", "20:00", "22:00"),
        ("friday 10am-2", "10:00", "14:00"),
        ("friday 10-12", "10:00", "12:00"),
        ("friday from 9 to 11", "09:00", "11:00"),
        ("friday after 2pm", "14:00", None),
        ("friday before noon", None, "12:00"),
    ],
)
def test_times_of_day(text: str, start: str | None, end: str | None) -> None:
    when = parse_when(text, now=TUESDAY, tz=TZ)
    assert when is not None
    assert when["date"] == "2026-11-27"
    assert when.get("start") == start
    assert when.get("end") == end


def test_tonight_is_this_evening() -> None:
    assert parse_when("tonight", now=TUESDAY, tz=TZ) == {
        "date": "2026-11-24",
        "start": "17:00",
        "end": "20:00",
    }


def test_a_bare_hour_after_to_and_before_its_day() -> None:
    assert parse_when("to 8 tomorrow", now=TUESDAY, tz=TZ) == {"date": "2026-11-25", "start": "08:00"}
    assert parse_when("until 3 on friday", now=TUESDAY, tz=TZ) == {"date": "2026-11-27", "start": "15:00"}
    assert parse_when("to 2 next tuesday", now=TUESDAY, tz=TZ) == {"date": "2026-12-01", "start": "14:00"}
    # a number with no day after it stays a number
    assert parse_when("to 8", now=TUESDAY, tz=TZ) is None


def test_a_time_without_a_day_is_its_next_occurrence() -> None:
    assert parse_when("at 2pm", now=TUESDAY, tz=TZ) == {"date": "2026-11-24", "start": "14:00"}
    assert parse_when("at 8am", now=TUESDAY, tz=TZ) == {"date": "2026-11-25", "start": "08:00"}


@pytest.mark.parametrize(
    ("text", "now", "first", "last"),
    [
        ("this week", TUESDAY, "2026-11-23", "2026-11-29"),
        ("next week", TUESDAY, "2026-11-30", "2026-12-06"),
        ("last week", TUESDAY, "2026-11-16", "2026-11-22"),
        ("this month", TUESDAY, "2026-11-01", "2026-11-30"),
        ("next month", TUESDAY, "2026-12-01", "2026-12-31"),
        ("last month", TUESDAY, "2026-10-01", "2026-10-31"),
        ("today", TUESDAY, "2026-11-24", "2026-11-24"),
        ("tomorrow", TUESDAY, "2026-11-25", "2026-11-25"),
        ("this weekend", TUESDAY, "2026-11-28", "2026-11-29"),
        ("friday", TUESDAY, "2026-11-27", "2026-11-27"),
        ("december", TUESDAY, "2026-12-01", "2026-12-31"),
        ("in january", TUESDAY, "2027-01-01", "2027-01-31"),
        ("between 12/1 and 12/5", TUESDAY, "2026-12-01", "2026-12-05"),
        ("from monday to friday", TUESDAY, "2026-11-30", "2026-12-04"),
        ("the week of 12/9", TUESDAY, "2026-12-07", "2026-12-13"),
        ("rest of the week", TUESDAY, "2026-11-24", "2026-11-29"),
        ("the next 7 days", TUESDAY, "2026-11-24", "2026-11-30"),
        ("last 30 days", TUESDAY, "2026-10-26", "2026-11-24"),
        ("next 2 weeks", TUESDAY, "2026-11-24", "2026-12-07"),
        ("this week", SUNDAY, "2026-11-23", "2026-11-29"),
        ("next week", SUNDAY, "2026-11-30", "2026-12-06"),
        ("next week", NEW_YEARS_EVE, "2027-01-04", "2027-01-10"),
        ("this week", NEW_YEARS_EVE, "2026-12-28", "2027-01-03"),
        ("next month", NEW_YEARS_EVE, "2027-01-01", "2027-01-31"),
        ("next month", JAN_31, "2026-02-01", "2026-02-28"),
        ("next month", LEAP_FEB_28, "2028-03-01", "2028-03-31"),
        ("this month", LEAP_FEB_28, "2028-02-01", "2028-02-29"),
        # "since <day>": from the last such day that has come (this year for a date) through today
        ("since november 1", TUESDAY, "2026-11-01", "2026-11-24"),
        ("since nov 30", NEW_YEARS_EVE, "2026-11-30", "2026-12-31"),
        ("since 11/20", TUESDAY, "2026-11-20", "2026-11-24"),
        ("since december 1", TUESDAY, "2025-12-01", "2026-11-24"),
        ("since the 1st", TUESDAY, "2026-11-01", "2026-11-24"),
        ("since the 30th", TUESDAY, "2026-10-30", "2026-11-24"),
        ("since monday", TUESDAY, "2026-11-23", "2026-11-24"),
        ("since tuesday", TUESDAY, "2026-11-24", "2026-11-24"),
        ("since yesterday", TUESDAY, "2026-11-23", "2026-11-24"),
        ("since last week", TUESDAY, "2026-11-16", "2026-11-24"),
        ("since october", TUESDAY, "2026-10-01", "2026-11-24"),
        ("next week", BEFORE_FALL_BACK, "2026-11-02", "2026-11-08"),
        ("this week", BEFORE_FALL_BACK, "2026-10-26", "2026-11-01"),
    ],
)
def test_ranges(text: str, now: datetime, first: str, last: str) -> None:
    assert parse_range(text, now=now, tz=TZ) == {"from": first, "to": last}


def test_an_aware_now_is_read_in_the_tenant_zone() -> None:
    # 04:30 UTC on Nov 1 is still Oct 31 in Chicago (CDT, UTC-5); an hour later it is Nov 1
    assert day("today", datetime(2026, 11, 1, 4, 30, tzinfo=UTC)) == "2026-10-31"
    assert day("today", datetime(2026, 11, 1, 5, 30, tzinfo=UTC)) == "2026-11-01"
    # spring forward: 07:30 UTC on 2027-03-14 is 01:30 CST, the day the clocks jump
    assert day("tomorrow", datetime(2027, 3, 14, 7, 30, tzinfo=UTC)) == "2027-03-15"
    assert day("today", datetime(2026, 11, 25, 3, 0, tzinfo=UTC)) == "2026-11-24"


@pytest.mark.parametrize(
    "text",
    [
        "the 2nd one", "option 3", "job 5", "", "morning all", "2/30", "feb 30",
        "the second one", "the first available tech", "the third visit", "the thirty-first of february",
    ],
)  # fmt: skip
def test_not_a_time(text: str) -> None:
    assert parse_when(text, now=TUESDAY, tz=TZ) is None


def test_other_absolute_formats_fall_back_to_dateparser() -> None:
    assert day("12.7.2026", TUESDAY) == "2026-12-07"
    assert day("12-07-2026", TUESDAY) == "2026-12-07"
