"""Deadline arithmetic in local (China) time, optionally counting working time only.

With ``working_time=True`` only the configured work-hour periods of official
working days count: weekends and public holidays are skipped and 调休 make-up
working days (weekend days that are official working days) count, as published
by the ``chinese-calendar`` package. For years the package does not know, the
calendar falls back to Monday-Friday and logs one warning per year.

Conventions:

* Inputs must be timezone-aware (any zone); outputs are in UTC.
* ``add_hours(start, 0)`` and ``add_days(start, 0)`` return ``start`` unchanged
  (in UTC), even outside working time: adding nothing moves nothing.
* Starting outside working time, counting begins at the next work period's start.
* ``add_days`` in working mode: whole days are working days, landing on the same
  local time of day as the (possibly moved-forward) start; a fractional part is
  that share of one working day's hours (0.5 day = 3.5 h with the default hours).
  In calendar mode a day is a calendar day in ``tz`` (same local wall time).
"""

from __future__ import annotations

import logging
import math
import re
import threading
from collections.abc import Iterator, Sequence
from datetime import date, datetime, time, timedelta, timezone, tzinfo

import chinese_calendar

log = logging.getLogger(__name__)

UTC = timezone.utc

DEFAULT_WORK_HOURS: tuple[tuple[time, time], ...] = (
    (time(8, 30), time(12, 0)),
    (time(14, 0), time(17, 30)),
)

# Years chinese-calendar raised NotImplementedError for. Process-wide, so the
# warning is logged once per year even if the calendar is rebuilt (config reload)
# and so we stop paying for an exception on every day of such a year.
_unknown_years: set[int] = set()
_unknown_years_lock = threading.Lock()

_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def parse_work_hours(values: list[str]) -> tuple[tuple[time, time], ...]:
    """Parse ``["08:30-12:00", "14:00-17:30"]`` into validated (start, end) pairs.

    Times are 24-hour ``HH:MM`` with two-digit hours. Raises ValueError naming the
    offending entry.
    """
    if isinstance(values, str):
        # A bare string would otherwise be iterated character by character.
        raise ValueError(f"work hours must be a list of 'HH:MM-HH:MM' strings, got the string {values!r}")
    periods: list[tuple[time, time]] = []
    for raw in values:
        if not isinstance(raw, str):
            raise ValueError(f"work hours entry {raw!r} must be a string like '08:30-12:00'")
        parts = raw.strip().split("-")
        if len(parts) != 2:
            raise ValueError(f"work hours entry {raw!r} must look like '08:30-12:00' (HH:MM-HH:MM)")
        bounds: list[time] = []
        for part in parts:
            m = _HHMM.match(part.strip())
            if m is None:
                raise ValueError(
                    f"work hours entry {raw!r}: {part.strip()!r} is not a 24-hour time HH:MM (00:00 to 23:59)"
                )
            bounds.append(time(int(m.group(1)), int(m.group(2))))
        periods.append((bounds[0], bounds[1]))
    return validate_work_hours(periods)


def validate_work_hours(periods: Sequence[tuple[time, time]]) -> tuple[tuple[time, time], ...]:
    """Check periods are non-empty, each start < end, sorted and non-overlapping."""
    result = tuple(tuple(p) for p in periods)
    if not result:
        raise ValueError("work hours must contain at least one period, e.g. '08:30-12:00'")
    for period in result:
        if len(period) != 2 or not all(isinstance(t, time) for t in period):
            raise ValueError(f"work hours period {period!r} must be a (start, end) pair of times")
        start, end = period
        if start.tzinfo is not None or end.tzinfo is not None:
            raise ValueError("work hours are local times; they must not carry a timezone")
        if not start < end:
            raise ValueError(
                f"work hours period {_fmt(start)}-{_fmt(end)}: start must be before end "
                "(periods cannot cross midnight)"
            )
    for (s1, e1), (s2, e2) in zip(result, result[1:]):
        if s2 < e1:
            raise ValueError(
                f"work hours periods {_fmt(s1)}-{_fmt(e1)} and {_fmt(s2)}-{_fmt(e2)} "
                "overlap or are out of order; list them sorted and non-overlapping"
            )
    return result  # type: ignore[return-value]


def _fmt(t: time) -> str:
    return t.strftime("%H:%M:%S") if t.second or t.microsecond else t.strftime("%H:%M")


def _aware(value: datetime, name: str) -> datetime:
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value.isoformat()}")
    return value


def _amount(value: float, name: str) -> float:
    value = float(value)
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return value


class WorkCalendar:
    """Deadline arithmetic in the local zone ``tz``; see the module docstring."""

    def __init__(
        self,
        tz: tzinfo,
        *,
        working_time: bool = False,
        work_hours: Sequence[tuple[time, time]] = DEFAULT_WORK_HOURS,
    ) -> None:
        self.tz = tz
        self.working_time = working_time
        self.work_hours = validate_work_hours(work_hours)
        self._day_hours = sum(
            (datetime.combine(date.min, e) - datetime.combine(date.min, s)).total_seconds()
            for s, e in self.work_hours
        ) / 3600

    @property
    def hours_per_day(self) -> float:
        """Working hours in one working day (7.0 with the default hours)."""
        return self._day_hours

    # -- calendar ---------------------------------------------------------

    def is_workday(self, day: date) -> bool:
        """Official working day in mainland China (holidays off, 调休 make-up days on)."""
        if isinstance(day, datetime):
            # chinese_calendar would take datetime.date(); be explicit about the zone instead.
            day = _aware(day, "day").astimezone(self.tz).date()
        if day.year not in _unknown_years:
            try:
                return chinese_calendar.is_workday(day)
            except NotImplementedError:
                with _unknown_years_lock:
                    first = day.year not in _unknown_years
                    _unknown_years.add(day.year)
                if first:
                    log.warning(
                        "chinese-calendar %s has no holiday data for %d; treating Monday-Friday as "
                        "working days for that year. Upgrade it: pip install -U chinese-calendar",
                        getattr(chinese_calendar, "__version__", "?"),
                        day.year,
                    )
        return day.weekday() < 5

    def _periods(self, day: date) -> list[tuple[datetime, datetime]]:
        """The work periods of a local day as UTC intervals (empty on non-working days)."""
        if not self.is_workday(day):
            return []
        return [
            (
                datetime.combine(day, s, tzinfo=self.tz).astimezone(UTC),
                datetime.combine(day, e, tzinfo=self.tz).astimezone(UTC),
            )
            for s, e in self.work_hours
        ]

    def _days_from(self, start: datetime) -> Iterator[date]:
        day = start.astimezone(self.tz).date()
        while True:
            yield day
            day += timedelta(days=1)

    def _next_working_instant(self, start: datetime) -> datetime:
        """``start`` if it is inside a work period [start, end), else the next period's start."""
        for day in self._days_from(start):
            for ps, pe in self._periods(day):
                if start < pe:
                    return max(ps, start)
        raise AssertionError("unreachable")  # pragma: no cover

    # -- arithmetic -------------------------------------------------------

    def add_hours(self, start: datetime, hours: float) -> datetime:
        """The instant ``hours`` (working) hours after ``start``, in UTC."""
        start = _aware(start, "start").astimezone(UTC)
        hours = _amount(hours, "hours")
        remaining = timedelta(hours=hours)
        if not self.working_time or not remaining:
            return start + remaining
        # Walk whole days and consume each period at once, so a 9-day Spring
        # Festival costs nine cheap iterations. A deadline that uses up a period
        # exactly ends at that period's end (17:30), not at the next start.
        for day in self._days_from(start):
            for ps, pe in self._periods(day):
                if pe <= start:
                    continue
                seg_start = max(ps, start)
                available = pe - seg_start
                if remaining <= available:
                    return seg_start + remaining
                remaining -= available
        raise AssertionError("unreachable")  # pragma: no cover

    def add_days(self, start: datetime, days: float) -> datetime:
        """The instant ``days`` (working) days after ``start``, in UTC."""
        start = _aware(start, "start")
        days = _amount(days, "days")
        if not days:
            return start.astimezone(UTC)
        if not self.working_time:
            # Calendar days in tz: same local wall time, not a multiple of 24 h,
            # should tz ever be one with DST. Aware + timedelta is wall-clock arithmetic.
            return (start.astimezone(self.tz) + timedelta(days=days)).astimezone(UTC)
        whole = int(days)
        fraction = days - whole
        anchor = self._next_working_instant(start.astimezone(UTC))
        local = anchor.astimezone(self.tz)
        day = local.date()
        for _ in range(whole):
            day += timedelta(days=1)
            while not self.is_workday(day):
                day += timedelta(days=1)
        # The anchor's time of day lies inside a work period and every working
        # day has the same periods, so this lands within working hours.
        result = datetime.combine(day, local.time(), tzinfo=self.tz).astimezone(UTC)
        if fraction:
            result = self.add_hours(result, fraction * self._day_hours)
        return result

    def working_hours_between(self, start: datetime, end: datetime) -> float:
        """Hours in [start, end) that count (all of them in calendar mode); negative if end < start."""
        start = _aware(start, "start").astimezone(UTC)
        end = _aware(end, "end").astimezone(UTC)
        if not self.working_time:
            return (end - start).total_seconds() / 3600
        if end < start:
            return -self.working_hours_between(end, start)
        total = timedelta()
        last_day = end.astimezone(self.tz).date()
        for day in self._days_from(start):
            if day > last_day:
                break
            for ps, pe in self._periods(day):
                lo, hi = max(ps, start), min(pe, end)
                if lo < hi:
                    total += hi - lo
        return total.total_seconds() / 3600
