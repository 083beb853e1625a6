"""支部说事日 with a controllable clock: the notice N days before, topics by command and by reply,
the morning reminder with the host's list (pressing worries first), outcomes and tickets after
the day, a month boundary, holiday shifts, restarts and the grace after downtime."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.app import GridBot
from bot.clock import FrozenClock

from .harness import SHANGHAI, make_harness, only

VILLAGE, G1, G2, G3 = "dongfeng", "dongfeng-g1", "dongfeng-g2", "dongfeng-g3"
DONGFENG_GROUPS = {VILLAGE, G1, G2, G3}
LIUTANG_GROUPS = {"liutang", "liutang-g1", "liutang-g2"}


@pytest.fixture
def h(make_config):
    harness = make_harness(make_config)
    yield harness
    harness.bot.engine.dispose()


def notices(messages, marker="支部说事日预告"):
    return [m for m in messages if marker in m.text]


def test_notice_goes_out_three_days_before_in_every_group_once(make_config, database_url):
    h = make_harness(make_config, database_url)
    assert h.at("2026-12-07 08:59").run_job("talk_day") == []
    sent = h.at("2026-12-07 09:00").run_job("talk_day")
    assert {m.chat_id for m in notices(sent)} == DONGFENG_GROUPS | LIUTANG_GROUPS
    first = only(sent, G2)
    assert "东风村12月支部说事日" in first.text and "12月10日（周四） 09:00" in first.text
    assert "东风村党群服务中心" in first.text and "王书记" in first.text and "说事" in first.text
    assert "柳塘社区" in only(sent, "liutang-g1").text and "杨书记" in only(sent, "liutang-g1").text
    assert h.at("2026-12-07 09:30").run_job("talk_day") == []  # the key (notice, unit, month) is taken
    # A restarted bot on the same database sends nothing again.
    h.bot.engine.dispose()
    again = GridBot(h.bot.config, clock=FrozenClock(h.clock.now()), channels=[], run_jobs=False)
    again.prepare_database()
    assert again.run_job_sync("talk_day") == {"send_notices": 0, "send_reminders": 0}
    again.engine.dispose()


def test_missed_notice_is_sent_late_within_the_grace_but_not_after(make_config, tmp_path):
    late = make_harness(make_config, f"sqlite:///{tmp_path / 'late.db'}")
    assert len(notices(late.at("2026-12-07 14:59").run_job("talk_day"))) == 7  # 09:00 + 6 h grace
    late.bot.engine.dispose()
    too_late = make_harness(make_config, f"sqlite:///{tmp_path / 'too_late.db'}")
    assert too_late.at("2026-12-07 15:01").run_job("talk_day") == []
    too_late.bot.engine.dispose()


def test_morning_list_missed_at_eight_still_reaches_the_host_that_day_only(make_config, tmp_path):
    h = make_harness(make_config, f"sqlite:///{tmp_path / 'a.db'}")
    h.say(G1, "r1", "说事 村口路灯坏了半个月了", name="张大妈")
    # Down from 07:00 to 10:30: the meeting has begun, the host still gets the list.
    sent = h.at("2026-12-10 10:30").run_job("talk_day")
    assert "村口路灯坏了半个月了" in only([m for m in sent if "说事议题清单" in m.text], VILLAGE).text
    assert notices(sent) == []  # the notice for a day already begun is not sent
    h.bot.engine.dispose()
    late = make_harness(make_config, f"sqlite:///{tmp_path / 'b.db'}")
    assert late.at("2026-12-11 08:00").run_job("talk_day") == []
    late.bot.engine.dispose()


def test_topics_by_command_and_by_reply_reach_the_host_pressing_ones_first(h):
    sent = h.at("2026-12-07 09:00").run_job("talk_day")
    notice_g1 = only(notices(sent), G1)
    ack = only(h.say(G2, "r2", "说事 希望村里在小学门口装个减速带", name="李大爷"), G2)
    assert "议题（#1）" in ack.text and "12月10日" in ack.text and "王书记" in ack.text
    ack = only(h.say(G1, "r1", "村口的路灯坏了半个月了，晚上老人出门很危险", name="张大妈",
                     reply_to=notice_g1.platform_id), G1)
    assert "议题（#2）" in ack.text
    assert h.tickets() == []  # topics are not tickets
    # Thanks in reply to the notice are no topic (and no ticket).
    assert h.say(G1, "r5", "收到，谢谢书记！到时候一定参加", reply_to=notice_g1.platform_id) == []
    ack = only(h.say(G1, "r6", "我家门口那条沟一直堵着", reply_to=notice_g1.platform_id), G1)
    assert "议题（#3）" in ack.text
    assert "请在“说事”后面写上" in only(h.say(G1, "r3", "说事"), G1).text
    morning = h.at("2026-12-10 08:00").run_job("talk_day")
    assert {m.chat_id for m in morning if "今日支部说事日" in m.text} == DONGFENG_GROUPS | LIUTANG_GROUPS
    host_list = [m for m in morning if "说事议题清单" in m.text and m.chat_id == VILLAGE]
    assert len(host_list) == 1 and host_list[0].mentions_person("wang-shuji")
    text = host_list[0].text
    assert "共收集议题 3 条（急事难事 1 条" in text
    assert text.index("#2〔急〕") < text.index("#1 希望村里"), "pressing worries come first"
    assert "张大妈（东风村第一网格）" in text
    assert h.at("2026-12-10 08:30").run_job("talk_day") == []


def test_topics_go_to_the_next_day_and_late_replies_to_an_old_notice_too(h):
    sent = h.at("2026-12-07 09:00").run_job("talk_day")
    old_notice = only(notices(sent), G3)
    h.at("2026-12-10 10:00")  # the December day has begun
    ack = only(h.say(G3, "r9", "说事 垃圾站离住户太近，夏天很臭", name="王五"), G3)
    assert "1月" in ack.text  # next month's day
    ack = only(h.say(G3, "r8", "老年活动室能不能晚上也开放", name="赵六", reply_to=old_notice.platform_id), G3)
    assert "1月" in ack.text


def test_emergency_sent_as_a_topic_opens_an_urgent_ticket_at_once(h):
    sent = h.say(G1, "r1", "说事 河边有个小孩掉进水里了，快来人", name="张三")
    ack = only(sent, G1)
    assert "紧急" in ack.text and ack.ticket_id is not None
    assert h.ticket(ack.ticket_id).urgent


def test_talk_day_commands_are_polite_outside_a_holding_unit(h):
    assert "请在您所在网格的群里" in only(h.say("", "r1", "说事 路不平", private=True), "r1").text
    # The town centre's group belongs to no village: no talk day there.
    assert "暂未设置支部说事日" in only(h.say("qingshan", "r1", "说事 路不平"), "qingshan").text


def test_host_records_outcomes_and_turns_topics_into_tickets(h):
    h.at("2026-12-07 09:00").run_job("talk_day")
    h.say(G1, "r1", "说事 村口路灯坏了半个月了", name="张大妈")
    h.say(G2, "r2", "说事 小学门口车开得太快，希望装个减速带", name="李大爷")
    h.at("2026-12-10 11:00")
    # Only the host or a leader of the village (or above) may record outcomes.
    refused = only(h.say(G1, "li-wangge", "说事结果 1 已修好"), G1)
    assert "只有主持人" in refused.text
    told = h.say(VILLAGE, "wang-shuji", "说事结果 1 已安排电工本周修好")
    resident = only(told, G1)
    assert resident.mentions == ("r1",) and "已安排电工本周修好" in resident.text and "王书记" in resident.text
    assert "已记录议题 #1" in only(told, VILLAGE).text
    converted = h.say(VILLAGE, "wang-shuji", "说事转办 2 安全隐患 请网格员联系交警")
    resident = only(converted, G2)
    ticket = h.tickets()[0]
    assert ticket.type == "safety" and ticket.unit_id == G2 and ticket.reporter_id == "r2"
    assert f"工单 #{ticket.id}" in resident.text and resident.mentions_person("liu-wangge")
    assert "请网格员联系交警" in ticket.text
    assert "已转为工单" in only(h.say(VILLAGE, "wang-shuji", "说事结果 2 好的"), VILLAGE).text
    listing = only(h.say(VILLAGE, "wang-shuji", "说事清单"), VILLAGE).text
    assert "【已答复】" in listing and "【已转工单】" in listing and "2 条（0 条待答复）" in listing
    assert "没有找到议题 #99" in only(h.say(VILLAGE, "wang-shuji", "说事结果 99 好"), VILLAGE).text
    assert "请写明议题号" in only(h.say(VILLAGE, "wang-shuji", "说事结果 好"), VILLAGE).text
    # The resident rates the converted ticket like any other once it is resolved.
    h.say(G2, "liu-wangge", f"办结 {ticket.id} 已联系交警加装减速带")
    assert h.ticket(ticket.id).status == "resolved"


def test_month_boundary_notice_for_a_day_on_the_first(make_config):
    h = make_harness(make_config, talk_day={"day": 1})
    sent = h.at("2026-11-28 09:00").run_job("talk_day")  # 3 days before 2026-12-01 (a Tuesday)
    assert "东风村12月支部说事日" in only(sent, G1).text and "12月1日（周二）" in only(sent, G1).text
    ack = only(h.at("2026-11-29 20:00").say(G1, "r1", "说事 自来水有时候发黄"), G1)
    assert "12月1日" in ack.text
    morning = h.at("2026-12-01 08:00").run_job("talk_day")
    assert "自来水有时候发黄" in only([m for m in morning if "说事议题清单" in m.text], VILLAGE).text
    h.bot.engine.dispose()


def test_holiday_moves_the_day_to_the_next_working_day(make_config):
    # 2026-10-01 is National Day: the day moves to Thursday 2026-10-08, the notice to 10-05.
    h = make_harness(make_config, start=datetime(2026, 9, 25, 9, 0, tzinfo=SHANGHAI), talk_day={"day": 1})
    assert h.at("2026-09-28 09:00").run_job("talk_day") == []
    text = only(h.at("2026-10-05 09:00").run_job("talk_day"), G1).text
    assert "10月8日（周四）" in text and "原定 10月1日（周四）为休息日" in text
    assert len([m for m in h.at("2026-10-08 08:00").run_job("talk_day") if "今日支部说事日" in m.text]) == 7
    h.bot.engine.dispose()


def test_make_up_working_saturday_is_not_moved_and_shifting_can_be_off(make_config, tmp_path):
    # 2026-10-10 is a Saturday, but a 调休 working day.
    h = make_harness(make_config, start=datetime(2026, 10, 1, 9, 0, tzinfo=SHANGHAI))
    assert "10月10日（周六）" in only(h.at("2026-10-07 09:00").run_job("talk_day"), G1).text
    h.bot.engine.dispose()
    # 2026-05-10 is a Sunday: moved to Monday, unless shift_off_days is off.
    moved = make_harness(make_config, f"sqlite:///{tmp_path / 'moved.db'}", start=datetime(2026, 5, 1, 9, 0,
                                                                                             tzinfo=SHANGHAI))
    assert "5月11日（周一）" in only(moved.at("2026-05-08 09:00").run_job("talk_day"), G1).text
    moved.bot.engine.dispose()
    kept = make_harness(make_config, f"sqlite:///{tmp_path / 'kept.db'}",
                        start=datetime(2026, 5, 1, 9, 0, tzinfo=SHANGHAI), talk_day={"shift_off_days": False})
    assert "5月10日（周日）" in only(kept.at("2026-05-07 09:00").run_job("talk_day"), G1).text
    kept.bot.engine.dispose()


def test_per_unit_settings_and_disabled_units(make_config):
    h = make_harness(make_config, talk_day={"units": {
        "dongfeng": {"day": 15, "time": "14:30", "place": "东风村文化礼堂", "host": "lao-zhao"},
        "liutang": {"enabled": False}}})
    assert h.at("2026-12-07 09:00").run_job("talk_day") == []
    sent = h.at("2026-12-12 09:00").run_job("talk_day")  # 12-15 is a Tuesday
    assert {m.chat_id for m in sent} == DONGFENG_GROUPS
    assert "12月15日（周二） 14:30 在东风村文化礼堂" in only(sent, G1).text and "赵大爷" in only(sent, G1).text
    assert "暂未设置支部说事日" in only(h.say("liutang-g1", "r1", "说事 楼道灯坏了"), "liutang-g1").text
    h.bot.engine.dispose()


def test_crash_mid_run_neither_repeats_nor_skips(h):
    from bot.handlers import talk_day

    h.at("2026-12-07 09:00")

    class Crash(Exception):
        pass

    def crash_after_queueing(session):
        h.bot._job_chunk(session, talk_day.send_notices, 1)  # noqa: SLF001  (one chunk of the real job)
        raise Crash  # the process dies before the commit

    with pytest.raises(Crash):
        h.bot.db.run_sync(crash_after_queueing)
    assert h.collect() == []  # rolled back: neither the key nor the messages exist
    # One chunk commits (one village), then the process dies between chunks.
    h.bot.db.run_sync(lambda session: h.bot._job_chunk(session, talk_day.send_notices, 1))  # noqa: SLF001
    first = {m.chat_id for m in h.collect()}
    assert first == DONGFENG_GROUPS
    # The restarted job sends the rest, and nothing twice.
    rest = {m.chat_id for m in notices(h.run_job("talk_day"))}
    assert rest == LIUTANG_GROUPS
