"""Scheduled jobs, owned by the bot core (not by a channel), on APScheduler 3.

A job is a list of steps; each step handles one bounded chunk of work in one
transaction and is repeated until it comes back short. Jobs keep no state of
their own: what is due is derived from the database, so APScheduler's jobs
need no persistence. A run missed while the bot was down is simply the next
run, and every run starts with one at start-up.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from .handlers import supervision
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
    interval_minutes: Callable[["GridBot"], float]
    chunk: int = supervision.CHUNK


JOBS: dict[str, Job] = {
    job.name: job for job in (
        Job("supervision", "overdue reminders, automatic escalation (督办), closing unrated tickets",
            supervision.STEPS, lambda bot: bot.config.sla.check_interval_minutes),
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
                self.run, IntervalTrigger(minutes=job.interval_minutes(self.bot)), args=[job.name], id=job.name,
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
