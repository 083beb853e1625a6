"""When each unit holds its talk day (支部说事日), and when its notices are due.

Pure functions of the config, the roster and the work calendar: the scheduler, the
handlers and ``gridbot jobs list`` all ask here. A month's talk day is identified by
its nominal month ("2026-12") even when a holiday moves it into the next month.
"""

from __future__ import annotations

import calendar as month_calendar
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from .config import Config, clock_time
from .storage.roster_index import PersonInfo, RosterIndex, UnitInfo
from .worktime import WorkCalendar


@dataclass(frozen=True)
class TalkDay:
    unit: UnitInfo
    month: str  # "2026-12"
    held_at: datetime  # aware, local
    shifted_from: date | None  # the nominal date when a weekend or holiday moved it
    place: str
    host: PersonInfo | None
    notice_at: datetime
    reminder_at: datetime

    @property
    def ref(self) -> str:
        """Marks the bot's notices, so a reply to one is read as a topic for this day."""
        return f"talk_day:{self.unit.id}:{self.month}"


def month_key(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _add_months(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


def talk_day_units(config: Config, roster: RosterIndex) -> list[UnitInfo]:
    """Units that hold a talk day: those at ``talk_day.levels``, plus or minus ``talk_day.units``."""
    settings = config.talk_day
    if not settings.enabled:
        return []
    units = []
    for unit in roster.units.values():
        override = settings.units.get(unit.id)
        enabled = override.enabled if override is not None and override.enabled is not None \
            else unit.level in settings.levels
        if enabled:
            units.append(unit)
    return sorted(units, key=lambda u: u.id)


def holding_unit(config: Config, roster: RosterIndex, unit_id: str) -> UnitInfo | None:
    """The unit whose talk day a group belongs to: the group's own unit or the nearest above."""
    holders = {u.id for u in talk_day_units(config, roster)}
    return next((u for u in roster.chain(unit_id) if u.id in holders), None)


def host_of(config: Config, roster: RosterIndex, unit: UnitInfo) -> PersonInfo | None:
    override = config.talk_day.units.get(unit.id)
    if override is not None and override.host and override.host in roster.people:
        return roster.people[override.host]
    people = roster.people_of(unit.id)
    for role in (config.talk_day.host_role, *config.workflow.leader_roles):
        for person in people:
            if person.has_role(role):
                return person
    return None


def occurrence(config: Config, roster: RosterIndex, work: WorkCalendar, unit: UnitInfo, year: int,
               month: int) -> TalkDay:
    settings = config.talk_day
    override = config.talk_day.units.get(unit.id)
    day = (override.day if override and override.day else None) or settings.day
    at = clock_time((override.time if override and override.time else None) or settings.time)
    place = ((override.place if override and override.place else None) or settings.place).replace("{unit}", unit.name)
    nominal = date(year, month, min(day, month_calendar.monthrange(year, month)[1]))
    held = nominal
    if settings.shift_off_days:
        for _ in range(40):  # the longest run of days off (Spring Festival) is far shorter
            if work.is_workday(held):
                break
            held += timedelta(days=1)
    tz = config.tz
    held_at = datetime.combine(held, at, tz)
    notice_at = datetime.combine(held - timedelta(days=settings.notice_days_before), clock_time(settings.notice_time),
                                 tz)
    return TalkDay(unit=unit, month=month_key(nominal), held_at=held_at,
                   shifted_from=nominal if held != nominal else None, place=place,
                   host=host_of(config, roster, unit), notice_at=min(notice_at, held_at),
                   reminder_at=min(datetime.combine(held, clock_time(settings.reminder_time), tz), held_at))


def around(config: Config, roster: RosterIndex, work: WorkCalendar, unit: UnitInfo, now: datetime) -> Iterator[TalkDay]:
    """Last month's, this month's and next month's talk days of a unit (notices may cross a
    month boundary either way: a day on the 1st, a holiday moving the 31st)."""
    local = now.astimezone(config.tz)
    for delta in (-1, 0, 1):
        year, month = _add_months(local.year, local.month, delta)
        yield occurrence(config, roster, work, unit, year, month)


def next_talk_day(config: Config, roster: RosterIndex, work: WorkCalendar, unit: UnitInfo,
                  now: datetime) -> TalkDay:
    """The first talk day not yet begun: topics sent now are for it."""
    local = now.astimezone(config.tz)
    for delta in range(0, 3):
        year, month = _add_months(local.year, local.month, delta)
        day = occurrence(config, roster, work, unit, year, month)
        if day.held_at > now:
            return day
    raise AssertionError("a talk day is at most two months away")


def latest_talk_day(config: Config, roster: RosterIndex, work: WorkCalendar, unit: UnitInfo,
                    now: datetime) -> TalkDay:
    """The talk day whose topics are worked on now: the last one announced (its notice time
    has come), else the next one."""
    announced = [d for d in around(config, roster, work, unit, now) if d.notice_at <= now]
    return announced[-1] if announced else next_talk_day(config, roster, work, unit, now)
