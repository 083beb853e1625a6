"""Two schedulers (two bot processes' worth) against one PostgreSQL database send every
reminder exactly once: the talk day notices and the daily digest, from their start-up runs
and from runs racing in threads."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter

import pytest
from sqlalchemy import select

from bot.app import GridBot
from bot.clock import FrozenClock
from bot.storage.models import Outbox, ReminderSent

from .conftest import eventually
from .harness import make_harness, only

G1 = "dongfeng-g1"


def seeded(make_config, url):
    """A database with one resolved ticket whose follow-up is overdue on 2026-12-07."""
    h = make_harness(make_config, url)
    number = only(h.say(G1, "r1", "村口的路灯坏了一个星期了", name="张三"), G1).ticket_id
    h.say(G1, "li-wangge", f"办结 {number} 已更换灯泡")
    h.collect()
    h.at("2026-12-07 09:00")
    return h


def reminders_sent(bot: GridBot) -> list[tuple[str, str, str]]:
    return bot.db.run_sync(lambda s: [tuple(r) for r in s.execute(
        select(ReminderSent.job, ReminderSent.target, ReminderSent.period))])


def outbox_after(bot: GridBot, first_id: int) -> Counter:
    return Counter(bot.db.run_sync(lambda s: [
        (row.chat_id, "notice" if "支部说事日预告" in row.segments[0]["text"] else "digest")
        for row in s.execute(select(Outbox).where(Outbox.id > first_id)).scalars()]))


def last_outbox_id(bot: GridBot) -> int:
    return bot.db.run_sync(lambda s: max(s.execute(select(Outbox.id)).scalars(), default=0))


EXPECTED_KEYS = {("talk_notice", "dongfeng", "2026-12"), ("talk_notice", "liutang", "2026-12"),
                 ("digest", "li-wangge", "2026-12-07"), ("digest", "chen-wangzhang", "2026-12-07")}


def check_once(bot: GridBot, first_id: int) -> None:
    keys = reminders_sent(bot)
    assert sorted(keys) == sorted(EXPECTED_KEYS)
    sent = outbox_after(bot, first_id)
    notices = {chat: n for (chat, kind), n in sent.items() if kind == "notice"}
    assert notices == {chat: 1 for chat in ("dongfeng", G1, "dongfeng-g2", "dongfeng-g3", "liutang", "liutang-g1",
                                            "liutang-g2")}
    assert sent[(G1, "digest")] == 2  # the worker's and the grid leader's, once each


def test_two_schedulers_started_together_send_each_reminder_once(make_config, pg_schema_url):
    h = seeded(make_config, pg_schema_url)
    first_id = last_outbox_id(h.bot)
    bots = [GridBot(h.bot.config, clock=FrozenClock(h.clock.now()), channels=[], run_jobs=True) for _ in range(2)]

    async def both() -> None:
        for bot in bots:
            bot.prepare_database()
        for bot in bots:
            bot.jobs.start()  # every job runs at start-up, in both at once
        await eventually(lambda: len(reminders_sent(bots[0])) == len(EXPECTED_KEYS), timeout=30)
        await asyncio.sleep(0.5)
        for bot in bots:
            await bot.jobs.stop()

    asyncio.run(both())
    check_once(bots[0], first_id)
    for bot in bots:
        bot.engine.dispose()
    h.bot.engine.dispose()


@pytest.mark.parametrize("rounds", [3])
def test_racing_job_runs_in_threads_send_each_reminder_once(make_config, pg_schema_url, rounds):
    h = seeded(make_config, pg_schema_url)
    first_id = last_outbox_id(h.bot)
    bots = [GridBot(h.bot.config, clock=FrozenClock(h.clock.now()), channels=[], run_jobs=False) for _ in range(3)]
    barrier = threading.Barrier(len(bots))
    errors: list[BaseException] = []

    def run(bot: GridBot) -> None:
        try:
            for _ in range(rounds):
                barrier.wait()
                bot.run_job_sync("talk_day")
                bot.run_job_sync("digest")
        except BaseException as exc:  # noqa: BLE001  (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(bot,)) for bot in bots]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    check_once(bots[0], first_id)
    for bot in bots:
        bot.engine.dispose()
    h.bot.engine.dispose()
