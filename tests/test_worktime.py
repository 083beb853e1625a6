"""Deadline arithmetic (bot.worktime) against real chinese-calendar holiday data."""

from __future__ import annotations

import logging
import random
import time as time_mod
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest

from bot import worktime
from bot.worktime import WorkCalendar, parse_work_hours

SH = ZoneInfo("Asia/Shanghai")
UTC = timezone.utc


def sh(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=SH)


@pytest.fixture
def work() -> WorkCalendar:
    return WorkCalendar(SH, working_time=True)


@pytest.fixture
def fresh_unknown_years(monkeypatch: pytest.MonkeyPatch) -> set[int]:
    # The "warn once per year" memory is process-wide; isolate it per test.
    years: set[int] = set()
    monkeypatch.setattr(worktime, "_unknown_years", years)
    return years


# -- the calendar facts the tests below rely on ---------------------------------


@pytest.mark.parametrize(
    ("day", "weekday", "workday"),
    [
        ("2024-09-27", "Fri", True),
        ("2024-09-28", "Sat", False),
        ("2024-09-29", "Sun", True),  # 调休 for National Day
        ("2024-09-30", "Mon", True),
        ("2024-10-01", "Tue", False),
        ("2024-10-03", "Thu", False),
        ("2024-10-07", "Mon", False),
        ("2024-10-08", "Tue", True),
        ("2024-10-12", "Sat", True),  # 调休 for National Day
        ("2024-11-15", "Fri", True),
        ("2024-11-18", "Mon", True),
        ("2025-01-25", "Sat", False),
        ("2025-01-26", "Sun", True),  # 调休 for Spring Festival
        ("2025-01-27", "Mon", True),
        ("2025-01-28", "Tue", False),
        ("2025-02-04", "Tue", False),
        ("2025-02-05", "Wed", True),
        ("2025-02-07", "Fri", True),
        ("2025-02-08", "Sat", True),  # 调休 for Spring Festival
        ("2025-02-09", "Sun", False),
        ("2025-02-10", "Mon", True),
    ],
)
def test_calendar_facts_match_chinese_calendar(day: str, weekday: str, workday: bool) -> None:
    d = date.fromisoformat(day)
    assert d.strftime("%a") == weekday
    assert chinese_calendar.is_workday(d) is workday
    assert WorkCalendar(SH).is_workday(d) is workday


# -- calendar mode ---------------------------------------------------------------


def test_calendar_mode_is_plain_arithmetic_in_utc() -> None:
    cal = WorkCalendar(SH)
    start = sh(2024, 9, 30, 22, 0)  # right before a 7-day holiday: irrelevant here
    end = cal.add_hours(start, 8)
    assert end == datetime(2024, 9, 30, 22, 0, tzinfo=UTC)  # 06:00 +08:00 next day
    assert end.tzinfo is UTC
    assert cal.add_days(start, 3) == sh(2024, 10, 3, 22, 0)
    assert cal.add_days(start, 0.5) == sh(2024, 10, 1, 10, 0)
    assert cal.working_hours_between(start, end) == 8
    assert cal.working_hours_between(end, start) == -8


def test_calendar_mode_elapsed_hours_ignore_same_zone_wall_clock_shortcut() -> None:
    # Subtracting two aware datetimes sharing a ZoneInfo ignores DST in Python;
    # the result must be real elapsed time (2 h across the 2024 US spring-forward).
    ny = ZoneInfo("America/New_York")
    cal = WorkCalendar(ny)
    a = datetime(2024, 3, 10, 0, 0, tzinfo=ny)
    b = datetime(2024, 3, 10, 3, 0, tzinfo=ny)
    assert cal.working_hours_between(a, b) == 2
    assert cal.add_hours(a, 2) == b


# -- working-time mode -----------------------------------------------------------


def test_friday_evening_report_lands_monday_end_of_day(work: WorkCalendar) -> None:
    # 1 h Friday (16:30-17:30) + 3.5 h Monday morning + 3.5 h Monday afternoon.
    end = work.add_hours(sh(2024, 11, 15, 16, 30), 8)
    assert end == sh(2024, 11, 18, 17, 30)
    assert end.tzinfo is UTC
    # 9 h spills into Tuesday morning.
    assert work.add_hours(sh(2024, 11, 15, 16, 30), 9) == sh(2024, 11, 19, 9, 30)


def test_friday_after_hours_counts_from_monday_morning(work: WorkCalendar) -> None:
    assert work.add_hours(sh(2024, 11, 15, 19, 45), 1) == sh(2024, 11, 18, 9, 30)
    assert work.add_hours(sh(2024, 11, 15, 17, 30), 1) == sh(2024, 11, 18, 9, 30)


def test_lunch_break_is_skipped(work: WorkCalendar) -> None:
    assert work.add_hours(sh(2024, 11, 18, 11, 0), 2) == sh(2024, 11, 18, 15, 0)
    assert work.add_hours(sh(2024, 11, 18, 12, 30), 1) == sh(2024, 11, 18, 15, 0)


def test_deadline_crosses_national_day(work: WorkCalendar) -> None:
    # Mon 2024-09-30 16:00: 1.5 h, then 10-01..07 off, then 6.5 h on Tue 10-08.
    assert work.add_hours(sh(2024, 9, 30, 16, 0), 8) == sh(2024, 10, 8, 17, 0)
    # Working days after 09-30: 10-08, 09, 10, 11, the make-up Saturday 10-12, then Mon 10-14.
    assert work.add_days(sh(2024, 9, 30, 10, 0), 1) == sh(2024, 10, 8, 10, 0)
    assert work.add_days(sh(2024, 9, 30, 10, 0), 4) == sh(2024, 10, 11, 10, 0)
    assert work.add_days(sh(2024, 9, 30, 10, 0), 5) == sh(2024, 10, 12, 10, 0)
    assert work.add_days(sh(2024, 9, 30, 10, 0), 6) == sh(2024, 10, 14, 10, 0)


def test_deadline_crosses_spring_festival(work: WorkCalendar) -> None:
    start = sh(2025, 1, 27, 10, 0)
    # 5.5 h on 01-27, 01-28..02-04 off, 7 h on 02-05 and 02-06, 4.5 h on 02-07.
    end = work.add_hours(start, 24)
    assert end == sh(2025, 2, 7, 15, 0)
    assert work.working_hours_between(start, end) == 24
    assert work.add_days(start, 3) == sh(2025, 2, 7, 10, 0)
    assert work.add_days(start, 4) == sh(2025, 2, 8, 10, 0)  # make-up Saturday
    assert work.add_days(start, 5) == sh(2025, 2, 10, 10, 0)  # Sunday 02-09 is off


def test_make_up_sunday_counts_as_working_day(work: WorkCalendar) -> None:
    # Fri 2024-09-27 16:30: 1 h Friday, Saturday off, Sunday 09-29 is a 调休 working day.
    assert work.add_hours(sh(2024, 9, 27, 16, 30), 8) == sh(2024, 9, 29, 17, 30)
    assert work.add_days(sh(2024, 9, 27, 9, 0), 1) == sh(2024, 9, 29, 9, 0)
    # A report made on that Sunday is counted from its own working hours.
    assert work.add_hours(sh(2024, 9, 29, 7, 0), 2) == sh(2024, 9, 29, 10, 30)
    # Spring Festival's make-up Sunday 2025-01-26 as well.
    assert work.add_hours(sh(2025, 1, 24, 17, 0), 1) == sh(2025, 1, 26, 9, 0)


def test_start_on_holiday_counts_from_next_working_morning(work: WorkCalendar) -> None:
    assert work.add_hours(sh(2024, 10, 3, 9, 0), 2) == sh(2024, 10, 8, 10, 30)
    assert work.add_days(sh(2024, 10, 3, 15, 0), 1) == sh(2024, 10, 9, 8, 30)
    assert work.working_hours_between(sh(2024, 10, 1), sh(2024, 10, 8)) == 0


def test_add_days_outside_hours_and_in_lunch_break(work: WorkCalendar) -> None:
    # Evening report: counted from next working day 08:30.
    assert work.add_days(sh(2024, 11, 18, 20, 0), 2) == sh(2024, 11, 21, 8, 30)
    # Lunch break: counted from 14:00 the same day.
    assert work.add_days(sh(2024, 11, 18, 12, 30), 1) == sh(2024, 11, 19, 14, 0)


def test_add_days_fraction_is_share_of_a_working_day(work: WorkCalendar) -> None:
    assert work.hours_per_day == 7
    # 0.5 day = 3.5 working hours: Mon 10:00 + 1.5 day -> Tue 10:00 + 3.5 h.
    assert work.add_days(sh(2024, 11, 18, 10, 0), 1.5) == sh(2024, 11, 19, 15, 30)
    assert work.add_days(sh(2024, 11, 18, 10, 0), 0.5) == sh(2024, 11, 18, 15, 30)


def test_add_days_matches_working_hours(work: WorkCalendar) -> None:
    start = sh(2025, 1, 24, 11, 15)
    for n in range(1, 12):
        end = work.add_days(start, n)
        assert work.working_hours_between(start, end) == pytest.approx(7 * n)
        local = end.astimezone(SH)
        assert local.time() == time(11, 15)
        assert work.is_workday(local.date())


def test_zero_returns_start_unchanged_even_outside_hours(work: WorkCalendar) -> None:
    saturday_night = sh(2024, 11, 16, 23, 0)
    assert work.add_hours(saturday_night, 0) == saturday_night
    assert work.add_hours(saturday_night, 0).tzinfo is UTC
    assert work.add_days(saturday_night, 0) == saturday_night


def test_fractional_hours(work: WorkCalendar) -> None:
    assert work.add_hours(sh(2024, 11, 18, 8, 30), 0.25) == sh(2024, 11, 18, 8, 45)
    assert work.add_hours(sh(2024, 11, 18, 11, 45), 0.5) == sh(2024, 11, 18, 14, 15)
    assert work.add_hours(sh(2024, 11, 18, 9, 0), 1 / 3) == sh(2024, 11, 18, 9, 20)


def test_input_time_zone_does_not_matter(work: WorkCalendar) -> None:
    local = sh(2024, 9, 30, 16, 0)
    as_utc = local.astimezone(UTC)
    as_ny = local.astimezone(ZoneInfo("America/New_York"))
    assert as_utc.hour == 8 and as_ny.day == 30  # really different wall times
    results = {work.add_hours(t, 8) for t in (local, as_utc, as_ny)}
    assert results == {sh(2024, 10, 8, 17, 0)}
    assert {work.add_days(t, 1) for t in (local, as_utc, as_ny)} == {sh(2024, 10, 8, 16, 0)}
    end = sh(2024, 10, 8, 17, 0)
    assert work.working_hours_between(as_utc, end.astimezone(ZoneInfo("Europe/London"))) == 8


def test_utc_midnight_is_shanghai_morning(work: WorkCalendar) -> None:
    # 2024-11-18 00:30 UTC is Monday 08:30 in Shanghai; the local date decides.
    assert work.add_hours(datetime(2024, 11, 18, 0, 30, tzinfo=UTC), 1) == sh(2024, 11, 18, 9, 30)
    # Sunday 23:00 UTC is Monday 07:00 local: counting starts at 08:30 Monday.
    assert work.add_hours(datetime(2024, 11, 17, 23, 0, tzinfo=UTC), 1) == sh(2024, 11, 18, 9, 30)


def test_working_hours_between_partial_and_negative(work: WorkCalendar) -> None:
    a, b = sh(2024, 11, 15, 16, 0), sh(2024, 11, 18, 9, 0)
    assert work.working_hours_between(a, b) == 2  # 1.5 h Fri + 0.5 h Mon
    assert work.working_hours_between(b, a) == -2
    assert work.working_hours_between(a, a) == 0
    # Half-open: [12:00, 14:00) has nothing; [11:00, 14:30) has 1.5 h.
    assert work.working_hours_between(sh(2024, 11, 18, 12), sh(2024, 11, 18, 14)) == 0
    assert work.working_hours_between(sh(2024, 11, 18, 11), sh(2024, 11, 18, 14, 30)) == 1.5


def test_add_hours_and_working_hours_between_agree_randomly(work: WorkCalendar) -> None:
    rng = random.Random(20241001)
    base = datetime(2024, 1, 1, tzinfo=SH)
    for _ in range(300):
        a = base + timedelta(minutes=rng.randrange(0, 3 * 365 * 24 * 60 - 60 * 24 * 60))
        h = rng.choice([rng.uniform(0, 10), rng.uniform(0, 300), float(rng.randrange(0, 60))])
        b = work.add_hours(a, h)
        assert b >= a
        assert work.working_hours_between(a, b) == pytest.approx(h, abs=1e-6)
        if h > 0:
            # Results always land inside (or at the end of) a work period.
            local = b.astimezone(SH)
            assert work.is_workday(local.date())
            assert any(s < local.time() <= e for s, e in work.work_hours)
            # Splitting a deadline in two gives the same end.
            h1 = rng.uniform(0, h)
            split = work.add_hours(work.add_hours(a, h1), h - h1)
            assert abs((split - b).total_seconds()) < 1e-3


def test_long_spans_walk_by_day_not_minute(work: WorkCalendar) -> None:
    t0 = time_mod.perf_counter()
    end = work.add_hours(sh(2024, 1, 2, 9, 0), 7 * 480)  # about two working years
    assert work.working_hours_between(sh(2024, 1, 2, 9, 0), end) == pytest.approx(7 * 480)
    assert time_mod.perf_counter() - t0 < 2


def test_custom_work_hours() -> None:
    cal = WorkCalendar(SH, working_time=True, work_hours=parse_work_hours(["09:00-18:00"]))
    assert cal.hours_per_day == 9
    assert cal.add_hours(sh(2024, 11, 15, 17, 0), 2) == sh(2024, 11, 18, 10, 0)


# -- fallback for years chinese-calendar does not know -----------------------------


def test_unknown_year_falls_back_to_weekdays_and_warns_once(
    work: WorkCalendar, fresh_unknown_years: set[int], caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(2031, 1, 3))
    caplog.set_level(logging.WARNING, logger="bot.worktime")
    assert work.is_workday(date(2031, 1, 1))  # Wednesday; real holiday unknown to the package
    assert work.is_workday(date(2031, 1, 3))  # Friday
    assert not work.is_workday(date(2031, 1, 4))  # Saturday
    assert not work.is_workday(date(2031, 1, 5))  # Sunday
    assert work.add_hours(sh(2031, 1, 3, 16, 30), 8) == sh(2031, 1, 6, 17, 30)
    assert work.add_days(sh(2031, 1, 3, 10, 0), 1) == sh(2031, 1, 6, 10, 0)
    # A second calendar (config reload) must not warn again.
    WorkCalendar(SH, working_time=True).add_hours(sh(2031, 6, 6, 9, 0), 100)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "2031" in warnings[0].getMessage()
    assert "chinese-calendar" in warnings[0].getMessage()
    assert "pip install -U chinese-calendar" in warnings[0].getMessage()
    # Another unknown year gets its own single warning.
    work.is_workday(date(2032, 3, 1))
    work.is_workday(date(2032, 3, 2))
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 2


def test_known_year_does_not_warn(
    work: WorkCalendar, fresh_unknown_years: set[int], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.worktime")
    work.add_hours(sh(2025, 1, 27, 10, 0), 200)
    assert not caplog.records
    assert not fresh_unknown_years


# -- validation ------------------------------------------------------------------


def test_naive_input_is_rejected(work: WorkCalendar) -> None:
    naive = datetime(2024, 11, 18, 9, 0)
    for cal in (work, WorkCalendar(SH)):
        with pytest.raises(ValueError, match="timezone-aware"):
            cal.add_hours(naive, 1)
        with pytest.raises(ValueError, match="timezone-aware"):
            cal.add_days(naive, 1)
        with pytest.raises(ValueError, match="timezone-aware"):
            cal.working_hours_between(naive, sh(2024, 11, 18))
        with pytest.raises(ValueError, match="timezone-aware"):
            cal.working_hours_between(sh(2024, 11, 18), naive)


@pytest.mark.parametrize("amount", [-1, float("nan"), float("inf")])
def test_negative_or_non_finite_amounts_are_rejected(work: WorkCalendar, amount: float) -> None:
    with pytest.raises(ValueError, match=">= 0"):
        work.add_hours(sh(2024, 11, 18, 9), amount)
    with pytest.raises(ValueError, match=">= 0"):
        WorkCalendar(SH).add_days(sh(2024, 11, 18, 9), amount)


def test_parse_work_hours_ok() -> None:
    assert parse_work_hours(["08:30-12:00", " 14:00 - 17:30 "]) == (
        (time(8, 30), time(12, 0)),
        (time(14, 0), time(17, 30)),
    )
    assert parse_work_hours(["00:00-23:59"]) == ((time(0, 0), time(23, 59)),)
    # Touching periods do not overlap.
    assert len(parse_work_hours(["08:00-12:00", "12:00-13:00"])) == 2


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (["8:30"], "HH:MM-HH:MM"),
        (["8:30-12:00"], "'8:30' is not a 24-hour time"),
        (["25:00-26:00"], "'25:00' is not a 24-hour time"),
        (["08:60-12:00"], "not a 24-hour time"),
        (["12:00-08:30"], "start must be before end"),
        (["08:30-08:30"], "start must be before end"),
        (["08:30-12:00-14:00"], "HH:MM-HH:MM"),
        (["14:00-17:30", "08:30-12:00"], "overlap or are out of order"),
        (["08:30-12:00", "11:00-17:30"], "overlap or are out of order"),
        ([], "at least one period"),
        ("08:30-12:00", "must be a list"),
        ([830], "must be a string"),
    ],
)
def test_parse_work_hours_rejects(values: list[str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_work_hours(values)


@pytest.mark.parametrize(
    ("periods", "message"),
    [
        ((), "at least one period"),
        (((time(12), time(8, 30)),), "start must be before end"),
        (((time(14), time(17, 30)), (time(8, 30), time(12))), "overlap or are out of order"),
        (((time(8), time(13)), (time(12), time(17))), "overlap or are out of order"),
        (((time(8, tzinfo=UTC), time(12)),), "must not carry a timezone"),
        ((("08:30", "12:00"),), "pair of times"),
    ],
)
def test_constructor_rejects_invalid_work_hours(periods: tuple, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        WorkCalendar(SH, working_time=True, work_hours=periods)
    # Also in calendar mode: a bad config is bad regardless of the switch.
    with pytest.raises(ValueError, match=message):
        WorkCalendar(SH, work_hours=periods)
