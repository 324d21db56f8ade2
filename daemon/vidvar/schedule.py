"""When new files may start: the `schedule:` windows, in local time (TZ honoured).

A window has days (`mon-fri`, `sat,sun`, `mon,wed-fri`; all days when left out) and
a time range (`from`/`to`, "HH:MM"; the whole day when left out). A window whose `to`
is not after its `from` runs past midnight into the next day: `{days: fri, from:
"19:00", to: "07:00"}` is Friday 19:00 to Saturday 07:00. No windows: always open.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import cache

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_NAME = "(?:mon|tue|wed|thu|fri|sat|sun)"
_SPAN = f"{_DAY_NAME}(?:-{_DAY_NAME})?"
DAYS_PATTERN = f"{_SPAN}(?:,{_SPAN})*"  # what `days:` takes, for the config's checks
TIME_PATTERN = r"(?:[01]?\d|2[0-3]):[0-5]\d|24:00"
_TIME = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")
_DAY = timedelta(days=1)


CLOCK_VARIABLE = "VIDVAR_SCHEDULE_CLOCK"


@cache
def _clock_offset() -> timedelta:
    """How far the schedule's clock runs from the real one: zero, unless
    VIDVAR_SCHEDULE_CLOCK names the local time the clock starts at (to try a schedule
    out, and for tests), from which it then runs on."""
    start = os.environ.get(CLOCK_VARIABLE)
    if not start:
        return timedelta(0)
    return datetime.fromisoformat(start) - datetime.now()


def local_now() -> datetime:
    """The local time the schedule is checked against (TZ honoured)."""
    return datetime.now() + _clock_offset()


class ScheduleError(ValueError):
    """A window that cannot be read; the message says what was expected."""


@dataclass(frozen=True)
class Window:
    """One time window in which new files may start."""

    days: frozenset[int]  # 0 = Monday
    start: time
    end: time  # equal to start: the whole day

    def covers(self, moment: datetime) -> bool:
        """True when `moment` (local, naive) lies inside this window."""
        clock, today = moment.time(), moment.weekday()
        if self.start == self.end:
            return today in self.days
        if self.start < self.end:
            return today in self.days and self.start <= clock < self.end
        # Past midnight: the evening of a listed day, or the morning after one.
        yesterday = (today - 1) % 7
        return (today in self.days and clock >= self.start) or (
            yesterday in self.days and clock < self.end
        )

    def openings(self, after: datetime) -> datetime | None:
        """The first moment after `after` at which this window opens."""
        for offset in range(8):
            day = after.date() + timedelta(days=offset)
            if day.weekday() in self.days:
                opening = datetime.combine(day, self.start)
                if opening > after:
                    return opening
        return None


@dataclass(frozen=True)
class Schedule:
    """The windows of `schedule:`; empty means always open."""

    windows: tuple[Window, ...] = ()

    def allows(self, moment: datetime) -> bool:
        """True when a new file may start at `moment` (local time)."""
        return not self.windows or any(w.covers(moment) for w in self.windows)

    def next_opening(self, moment: datetime) -> datetime | None:
        """When the next window opens after `moment` (None: no windows)."""
        found = [o for w in self.windows if (o := w.openings(moment)) is not None]
        return min(found) if found else None

    def closed_reason(self, moment: datetime) -> str | None:
        """`outside the schedule, next window Mon 19:00`, or None while open."""
        if self.allows(moment):
            return None
        opening = self.next_opening(moment)
        when = f", next window {opening:%a %H:%M}" if opening else ""
        return f"outside the schedule{when}"


def parse_days(text: str) -> frozenset[int]:
    """`mon-fri`, `sat,sun`, `mon,wed-fri`, `fri-mon` (wraps) → weekday numbers."""
    days: set[int] = set()
    for part in text.lower().replace(" ", "").split(","):
        first, _sep, last = part.partition("-")
        if first not in DAYS or (last and last not in DAYS):
            raise ScheduleError(
                f"expected days such as mon-fri or sat,sun ({', '.join(DAYS)}), found {text!r}"
            )
        a = DAYS.index(first)
        b = DAYS.index(last) if last else a
        days.update((a + i) % 7 for i in range((b - a) % 7 + 1))
    return frozenset(days)


def parse_time(text: str) -> time:
    """`19:00` → time(19, 0); `24:00` is the end of the day."""
    if text == "24:00":
        return time(0, 0)
    match = _TIME.fullmatch(text)
    if not match:
        raise ScheduleError(f"expected a time of day such as 19:00, found {text!r}")
    return time(int(match[1]), int(match[2]))


def window(days: str | None, start: str | None, end: str | None) -> Window:
    """A Window from its YAML values (any of them may be left out)."""
    chosen = parse_days(days) if days else frozenset(range(7))
    opens = parse_time(start) if start else time(0, 0)
    closes = parse_time(end) if end else time(0, 0)
    return Window(chosen, opens, closes)
