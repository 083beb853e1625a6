"""Supervision (督办) with a controllable clock: overdue reminders once, automatic escalation
after the grace, the top of the tree, working time, urgent tickets, restarts and replicas."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest

from bot.app import GridBot
from bot.clock import FrozenClock

from .harness import Harness, make_harness, only

GRID, VILLAGE, TOWN = "dongfeng-g1", "dongfeng", "qingshan"


@pytest.fixture
def h(make_config, database_url):
    harness = make_harness(make_config, database_url)
    yield harness
    harness.bot.engine.dispose()


def report(h, text="村口的路灯坏了一个星期了，晚上黑乎乎的", who="r1"):
    ack = only(h.say(GRID, who, text, name="张三"), GRID)  # urgent ones also go to the village
    return ack.ticket_id


def test_overdue_ticket_is_reminded_once_then_escalated_level_by_level(h):
    number = report(h)
    h.clock.advance(hours=8)
    assert h.run_jobs() == []  # due this very minute: not late yet
    h.clock.advance(minutes=1)
    reminder = only(h.run_jobs(), GRID)
    assert reminder.mentions_person("li-wangge") and "超过受理时限" in reminder.text and f"#{number}" in reminder.text
    assert h.run_jobs() == []  # nothing twice
    events = [e for e in h.events(number) if e.kind == "overdue_reminded"]
    assert len(events) == 1 and events[0].data["deadline"] == "accept"

    h.clock.advance(hours=4)  # grace is 4 h after the reminder
    assert h.run_jobs() == []
    h.clock.advance(minutes=1)
    escalated = h.run_jobs()
    ticket = h.ticket(number)
    assert (ticket.status, ticket.level_unit_id, ticket.assignee_id) == ("escalated", VILLAGE, "wang-shuji")
    assert ticket.sla_stage == 0 and ticket.next_due_at == h.clock.now() + timedelta(hours=8)
    assert ticket.escalation_count == 1
    notice = only(escalated, VILLAGE)
    assert notice.mentions_person("wang-shuji") and "超时未受理" in notice.text
    auto = h.events(number)[-1]
    assert (auto.kind, auto.actor, auto.data["auto"], auto.note) == ("escalated", "system", True,
                                                                     "超时未受理，系统自动上报督办")
    # Village ignores it too: reminded, then up to the town.
    h.clock.advance(hours=8, minutes=1)
    assert only(h.run_jobs(), VILLAGE).mentions_person("wang-shuji")
    h.clock.advance(hours=4, minutes=1)
    assert only(h.run_jobs(), TOWN) and h.ticket(number).level_unit_id == TOWN
    # Town ignores it: reminded, then the top leader is told once; nothing more after that.
    h.clock.advance(hours=8, minutes=1)
    h.run_jobs()
    h.clock.advance(hours=4, minutes=1)
    top = only(h.run_jobs(), TOWN)
    assert top.mentions_person("zhou-zhongxin") and "无更高一级" in top.text
    assert h.ticket(number).sla_stage == 2
    h.clock.advance(days=2)
    assert h.run_jobs() == []
    assert h.kinds(number).count("overdue_at_top") == 1


def test_resolve_deadline_is_supervised_after_acceptance(h):
    number = report(h)
    h.say(GRID, "li-wangge", f"接单 {number}")
    h.clock.advance(days=6, hours=23)
    assert h.run_jobs() == []
    h.clock.advance(hours=2)
    reminder = only(h.run_jobs(), GRID)
    assert "超过办结时限" in reminder.text and reminder.mentions_person("li-wangge")
    h.say(GRID, "li-wangge", f"办结 {number} 修好了")  # resolving stops supervision
    h.clock.advance(hours=5)
    assert h.run_jobs() == [] and h.ticket(number).status == "resolved"
    assert h.ticket(number).level_unit_id == GRID


def test_reminders_are_gathered_per_person(h):
    numbers = [report(h, text=t, who=f"r{i}") for i, t in enumerate(
        ["村口的路灯坏了一个星期了", "二组的垃圾桶满了好几天没人清运", "小学门口的井盖丢了，很危险"])]
    h.clock.advance(hours=8, minutes=1)
    [reminder] = h.run_jobs()
    assert all(f"#{n}" in reminder.text for n in numbers)


def test_urgent_tickets_have_half_an_hour(h):
    number = report(h, text="三楼着火了！浓烟很大，快来人")
    ticket = h.ticket(number)
    assert ticket.urgent and ticket.accept_due_at - ticket.created_at == timedelta(minutes=30)
    h.clock.advance(minutes=31)
    assert only(h.run_jobs(), GRID).mentions_person("li-wangge")  # reminded in the grid's group
    h.clock.advance(minutes=31)
    h.run_jobs()
    assert h.ticket(number).level_unit_id == VILLAGE


def test_working_time_skips_the_weekend(make_config, database_url):
    friday_evening = datetime(2026, 11, 27, 10, 0, tzinfo=timezone.utc)  # Fri 18:00 in Shanghai
    h = make_harness(make_config, database_url, start=friday_evening, sla={"working_time": True})
    number = report(h)
    ticket = h.ticket(number)
    monday = datetime(2026, 11, 30, tzinfo=timezone.utc)
    # 8 working hours from Friday evening: all of Monday (08:30-12:00, 14:00-17:30) and 1 h into Tuesday.
    assert ticket.accept_due_at == monday + timedelta(days=1, hours=1, minutes=30)  # Tue 09:30 Shanghai
    assert "8 个工作小时内受理" in h.sent[0].text
    h.clock.advance(days=2)  # Sunday evening: nothing is late
    assert h.run_jobs() == []
    h.bot.engine.dispose()


def test_without_auto_escalation_only_reminds(make_config, database_url):
    h = make_harness(make_config, database_url, sla={"auto_escalate": False})
    number = report(h)
    h.clock.advance(hours=9)
    assert "自动上报" not in only(h.run_jobs(), GRID).text
    h.clock.advance(days=3)
    assert h.run_jobs() == [] and h.ticket(number).level_unit_id == GRID
    h.bot.engine.dispose()


def test_restart_between_runs_sends_nothing_twice(make_config, database_url):
    h = make_harness(make_config, database_url)
    number = report(h)
    h.clock.advance(hours=9)
    assert len(h.run_jobs()) == 1
    h.bot.engine.dispose()
    # A new process on the same database, its clock where the old one stopped.
    again = Harness(GridBot(h.bot.config, clock=FrozenClock(h.clock.now()), channels=[], run_jobs=False))
    again.bot.prepare_database()
    again._seen = h._seen
    assert again.run_jobs() == []
    again.clock.advance(hours=4, minutes=1)
    assert [m.chat_id for m in again.run_jobs()] == [VILLAGE]
    assert again.ticket(number).escalation_count == 1
    again.bot.engine.dispose()


def test_two_replicas_checking_at_once_remind_once(make_config, database_url):
    h = make_harness(make_config, database_url)
    numbers = [report(h, text=f"{i}号楼的路灯坏了", who=f"r{i}") for i in range(1, 6)]
    h.clock.advance(hours=9)
    replicas = [GridBot(h.bot.config, clock=FrozenClock(h.clock.now()), channels=[], run_jobs=False)
                for _ in range(2)]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def check(bot: GridBot) -> None:
        try:
            barrier.wait()
            bot.run_job_sync("supervision")
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=check, args=(bot,)) for bot in replicas]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    for number in numbers:
        assert h.kinds(number).count("overdue_reminded") == 1
    reminders = h.collect()
    assert len(reminders) == 1 and all(f"#{n}" in reminders[0].text for n in numbers)
    for bot in replicas:
        bot.engine.dispose()
    h.bot.engine.dispose()
