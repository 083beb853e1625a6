"""Broadcast notices on the web chat channel, through the real handlers and database: who may
send where, the fan-out (one row per group, never two), scheduled notices, acknowledgements
and the delivery report."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select, update

from bot.storage.models import Notice, Outbox, OutboxStatus

from .harness import SHANGHAI, make_harness, only

TOWN, VILLAGE, G1, G2, G3 = "qingshan", "dongfeng", "dongfeng-g1", "dongfeng-g2", "dongfeng-g3"
DONGFENG = {VILLAGE, G1, G2, G3}
LIUTANG = {"liutang", "liutang-g1", "liutang-g2"}


@pytest.fixture
def h(make_config):
    harness = make_harness(make_config)
    yield harness
    harness.bot.engine.dispose()


def notices(messages):
    return [m for m in messages if m.text.startswith("【通知】")]


def outbox_rows(h, notice_id):
    return h.bot.db.run_sync(lambda s: list(s.execute(select(Outbox).where(Outbox.notice_id == notice_id)).scalars()))


def test_village_secretary_notice_reaches_every_group_below_once(make_config, database_url):
    h = make_harness(make_config, database_url)
    sent = h.say(VILLAGE, "wang-shuji", "通知 明天上午9点到11点停水，请提前储水")
    ack = only([m for m in sent if "已开始发送" in m.text], VILLAGE)
    assert "通知 #1 已开始发送，共 4 个群" in ack.text
    delivered = notices(sent)
    assert {m.chat_id for m in delivered} == DONGFENG
    assert "明天上午9点到11点停水" in delivered[0].text and "王书记（东风村）" in delivered[0].text
    rows = outbox_rows(h, 1)
    assert len(rows) == 4 and all(r.priority == 10 for r in rows)
    # The unique (notice, chat) index: a second row for the same group is impossible.
    with pytest.raises(Exception):
        h.bot.db.run_sync(lambda s: s.add(Outbox(channel="webchat", chat_id=G1, segments=[], notice_id=1,
                                                  next_attempt_at=h.clock.now(), created_at=h.clock.now())))
    # Nothing pending (the harness marks rows sent): the next job run reports once.
    report = only(h.run_job("notices"), VILLAGE)
    assert "【通知回执】通知 #1" in report.text and "共 4 个群，送达 4 个，失败 0 个" in report.text
    assert h.run_job("notices") == []
    h.bot.engine.dispose()


def test_grid_leader_reaches_only_the_grid_and_subtree_is_enforced(h):
    sent = h.say(G1, "chen-wangzhang", "通知 今晚7点在村委会开网格会")
    assert {m.chat_id for m in notices(sent)} == {G1}
    refused = only(h.say(G1, "chen-wangzhang", "通知到 dongfeng-g2 明天开会"), G1).text
    assert "东风村第二网格不在您管理的范围内" in refused
    # A grid worker may not broadcast at all; a resident's "通知" is just a message.
    assert "只有网格长" in only(h.say(G1, "li-wangge", "通知 明天停电"), G1).text
    assert notices(h.say(G1, "r1", "通知 大家明天去领鸡蛋")) == []
    assert h.bot.db.run_sync(lambda s: s.execute(select(func.count()).select_from(Notice)).scalar_one()) == 1


def test_town_centre_chooses_units_by_name_id_and_tag(make_config):
    h = make_harness(make_config)
    sent = h.say(TOWN, "zhou-zhongxin", "通知到 东风村第一网格,liutang 周六上午统一清理卫生死角")
    assert {m.chat_id for m in notices(sent)} == {G1} | LIUTANG
    assert "没有找到“西山村”" in only(h.say(TOWN, "zhou-zhongxin", "通知到 西山村 明天开会"), TOWN).text
    assert "请在命令后写上通知内容" in only(h.say(TOWN, "zhou-zhongxin", "通知"), TOWN).text
    h.bot.engine.dispose()


def test_tags_choose_units(make_config, tmp_path):
    import yaml

    from .conftest import REPO

    roster = yaml.safe_load((REPO / "examples" / "roster.yaml").read_text(encoding="utf-8"))
    town = roster["units"][0]
    for child in town["children"]:
        if child["id"] == "dongfeng":
            for grid in child["children"]:
                grid["tags"] = ["rural"]
    path = tmp_path / "roster.yaml"
    path.write_text(yaml.safe_dump(roster, allow_unicode=True), encoding="utf-8")
    h = make_harness(make_config, roster=str(path))
    sent = h.say(TOWN, "zhou-zhongxin", "通知到 #rural 秋收期间注意防火")
    assert {m.chat_id for m in notices(sent)} == {G1, G2, G3}
    # A village secretary's #rural is only the rural grids of their own village.
    sent = h.say("liutang", "yang-shuji", "通知到 #rural 测试")
    assert "没有找到“#rural”" in only(sent, "liutang").text
    h.bot.engine.dispose()


def test_acknowledgements_are_counted_once_per_resident(h):
    sent = h.say(VILLAGE, "wang-shuji", "通知 本周六上午疫苗接种，请带好身份证")
    g1_notice = only(notices(sent), G1)
    g2_notice = only(notices(sent), G2)
    assert h.say(G1, "r1", "收到", reply_to=g1_notice.platform_id) == []  # counted silently
    assert h.say(G1, "r1", "收到了，谢谢", reply_to=g1_notice.platform_id) == []  # the same resident: once
    h.say(G1, "r2", "已收到", reply_to=g1_notice.platform_id)
    h.say(G2, "r3", "收到！", reply_to=g2_notice.platform_id)
    status = only(h.say(VILLAGE, "wang-shuji", "通知回执"), VILLAGE).text
    assert "3 人回复“收到”" in status and "东风村第一网格：2 人收到" in status and "东风村第二网格：1 人收到" in status
    report = only(h.run_job("notices"), VILLAGE).text
    assert "已有 3 人回复“收到”" in report
    # Another village's secretary may not read it.
    assert "只能查看自己发的" in only(h.say("liutang", "yang-shuji", "通知回执 1"), "liutang").text
    assert "没有找到通知 #9" in only(h.say(VILLAGE, "wang-shuji", "通知回执 9"), VILLAGE).text


def test_failed_groups_are_reported_with_the_reason(h):
    h.say(VILLAGE, "wang-shuji", "通知 明天停电")
    h.bot.db.run_sync(lambda s: s.execute(update(Outbox).where(Outbox.notice_id == 1, Outbox.chat_id == G3).values(
        status=OutboxStatus.FAILED, error="Forbidden: bot was kicked from the supergroup chat")))
    report = only(h.run_job("notices"), VILLAGE).text
    assert "送达 3 个，失败 1 个" in report and "东风村第三网格（webchat）：机器人已被移出群或群已解散" in report


def test_report_waits_for_pending_rows(h):
    sent = h.say(VILLAGE, "wang-shuji", "通知 明天停电")
    assert len(notices(sent)) == 4
    h.bot.db.run_sync(lambda s: s.execute(update(Outbox).where(Outbox.notice_id == 1, Outbox.chat_id == G2).values(
        status=OutboxStatus.PENDING)))
    assert h.run_job("notices") == []
    assert "待发送 1 个" in only(h.say(VILLAGE, "wang-shuji", "通知回执 1"), VILLAGE).text


def test_scheduled_notice_goes_out_at_its_time_once(make_config, database_url):
    from bot.handlers import notices as notice_handlers
    from bot.handlers.base import Context

    h = make_harness(make_config, database_url)
    at = datetime(2026, 11, 24, 8, 0, tzinfo=SHANGHAI)

    def schedule(session):
        ctx = Context(session=session, services=h.bot.services, now=h.clock.now(),
                      roster=h.bot.roster_cache.get(session))
        return notice_handlers.create(ctx, text="明早8点起全镇停电检修", unit_ids=["liutang", "liutang-g1"],
                                      targets=["liutang"], sender=None, origin=None, at=at).id

    notice_id = h.bot.db.run_sync(schedule)
    assert h.collect() == [] and h.run_job("notices") == []
    sent = h.at("2026-11-24 08:00").run_job("notices")
    assert {m.chat_id for m in notices(sent)} == {"liutang", "liutang-g1"}
    assert h.run_job("notices") == []  # fanned out once; from the CLI nobody gets a report
    assert len(outbox_rows(h, notice_id)) == 2
    h.bot.engine.dispose()
