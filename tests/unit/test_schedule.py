"""`schedule:` windows: days as ranges and lists, past midnight, whole days, next opening."""

from __future__ import annotations

from datetime import datetime

import pytest

from vidvar.schedule import Schedule, ScheduleError, parse_days, window

# 2026-12-07 is a Monday.
NIGHTS_AND_WEEKENDS = Schedule((window("mon-fri", "19:00", "07:00"), window("sat-sun", None, None)))


@pytest.mark.parametrize(
    ("moment", "open_"),
    [
        ("2026-12-07 18:59", False),  # Monday evening, before the window
        ("2026-12-07 19:00", True),
        ("2026-12-08 06:59", True),  # Tuesday morning: Monday's window runs past midnight
        ("2026-12-08 07:00", False),
        ("2026-12-07 03:00", False),  # Monday morning: Sunday is a whole-day window only
        ("2026-12-12 12:00", True),  # Saturday
        ("2026-12-13 23:59", True),  # Sunday
        ("2026-12-12 03:00", True),  # Saturday 03:00: both Friday's night and Saturday
    ],
)
def test_a_moment_is_inside_or_outside_the_windows(moment: str, open_: bool) -> None:
    assert NIGHTS_AND_WEEKENDS.allows(datetime.fromisoformat(moment)) is open_


def test_outside_the_windows_the_next_opening_is_named() -> None:
    reason = NIGHTS_AND_WEEKENDS.closed_reason(datetime.fromisoformat("2026-12-07 12:00"))
    assert reason == "outside the schedule, next window Mon 19:00"
    friday_morning = datetime.fromisoformat("2026-12-11 08:00")
    assert NIGHTS_AND_WEEKENDS.closed_reason(friday_morning) == (
        "outside the schedule, next window Fri 19:00"
    )
    assert Schedule().allows(friday_morning) and Schedule().closed_reason(friday_morning) is None


def test_days_take_ranges_lists_and_wrap_round_the_week() -> None:
    assert parse_days("mon,wed-fri") == {0, 2, 3, 4}
    assert parse_days("fri-mon") == {4, 5, 6, 0}
    assert parse_days("sun") == {6}
    with pytest.raises(ScheduleError, match="mon-fri"):
        parse_days("weekdays")
