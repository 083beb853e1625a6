"""Scheduled jobs, owned by the bot core (not by a channel), on APScheduler 3.

A job is a list of steps; each step handles one bounded chunk of work in one
transaction and is repeated until it comes back short. Jobs keep no state of
their own: what is due is derived from the database, and every reminder sent is
recorded under a unique (job, target, period) key, so APScheduler's jobs need no
persistence. Every job also runs once at start-up: a reminder whose time passed
while the bot was down goes out then, within ``reminders.grace_hours``.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from .config import Config, clock_time
from .handlers import digest, notices, supervision, talk_day
from .handlers.base import Context

if TYPE_CHECKING:
    from .app import GridBot

log = logging.getLogger(__name__)

Step = Callable[[Context, int], int]


@dataclass(frozen=True)
class Job:
    name: str
    description: str
    steps: Sequence[Step]
    trigger: Callable[[Config], BaseTrigger]
    chunk: int = supervision.CHUNK


# The digest's steps each work through everything in one transaction, batching inside: its plan
# (who hears of what) is built once from grouped counts, bounded by the roster, not the rows.
ALL = 2**31 - 1


def _daily(config: Config, *times: str) -> BaseTrigger:
    crons = [CronTrigger(hour=t.hour, minute=t.minute, timezone=config.tz)
             for t in sorted({clock_time(value) for value in times})]
    return crons[0] if len(crons) == 1 else OrTrigger(crons)


JOBS: dict[str, Job] = {
    job.name: job for job in (
        Job("supervision", "overdue reminders, automatic escalation (督办), closing unrated tickets",
            supervision.STEPS, lambda config: IntervalTrigger(minutes=config.sla.check_interval_minutes,
                                                              timezone=config.tz)),
        Job("notices", "broadcast notices: scheduled ones sent at their time, finished ones reported to the sender",
            notices.STEPS, lambda config: IntervalTrigger(seconds=config.notices.check_interval_seconds,
                                                          timezone=config.tz)),
        Job("digest", "daily digest of follow-ups (回访) and household visits (走访) due, per person",
            digest.STEPS, lambda config: _daily(config, config.reminders.digest_time), chunk=ALL),
        Job("talk_day", "支部说事日: notice before the day, reminder and topic list on the morning",
            talk_day.STEPS, lambda config: _daily(config, config.talk_day.notice_time, config.talk_day.reminder_time,
                                                  *[u.time for u in config.talk_day.units.values() if u.time])),
    )
}


class JobScheduler:
    def __init__(self, bot: "GridBot") -> None:
        self.bot = bot
        self.scheduler = AsyncIOScheduler(timezone=bot.config.tz)
        self._running: dict[str, asyncio.Lock] = {name: asyncio.Lock() for name in JOBS}

    def start(self) -> None:
        for job in JOBS.values():
            self.scheduler.add_job(
                self.run, job.trigger(self.bot.config), args=[job.name], id=job.name,
                name=job.description, coalesce=True, max_instances=1, misfire_grace_time=None,
                next_run_time=datetime.now(self.bot.config.tz))
        self.scheduler.start()

    async def stop(self) -> None:
        self.scheduler.shutdown(wait=False)
        for lock in self._running.values():  # let a run in progress finish its transaction
            async with lock:
                pass

    async def run(self, name: str) -> dict[str, int]:
        async with self._running[name]:
            try:
                return await self.bot.run_job(name)
            except Exception:
                log.exception("job %s failed; it runs again at its next time", name)
                return {}
