"""The daily digest of follow-ups (回访) and household visits (走访), the household register and
its cadences, visit commands, and exactly-once sending across re-runs and restarts."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from bot import cadence
from bot.app import GridBot
from bot.clock import FrozenClock
from bot.households import HouseholdFileError, load_households
from bot.storage import households as household_store
from bot.storage.models import Household, HouseholdVisit, ReminderSent
from bot.storage.roster_index import load_index

from .harness import SHANGHAI, make_harness, only

G1, G2, VILLAGE = "dongfeng-g1", "dongfeng-g2", "dongfeng"
REGISTER = """户号,户主,网格,地址,标签,联户人,电话
DF1-001,张桂英户,dongfeng-g1,东风村一组3号,独居老人、低保户,li-wangge,13900000001
DF1-002,王大山户,dongfeng-g1,东风村一组5号,,li-wangge,
DF1-003,赵小军户,dongfeng-g1,东风村一组8号,留守儿童户,,
DF3-001,刘春花户,dongfeng-g3,东风村三组1号,残疾户,何大姐,
"""


@pytest.fixture
def h(make_config):
    harness = make_harness(make_config)
    yield harness
    harness.bot.engine.dispose()


def import_register(h, tmp_path: Path, text: str = REGISTER, *, encoding: str = "utf-8") -> None:
    """What `gridbot households import` does, on the harness's database and clock."""
    path = tmp_path / "households.csv"
    path.write_bytes(text.encode(encoding))
    roster = h.bot.db.run_sync(load_index)
    loaded = load_households(path, units={u.id: u.name for u in roster.units.values()},
                             people={p.id: p.name for p in roster.people.values()})
    cadences = h.bot.config.visits.cadences
    h.bot.db.run_sync(household_store.import_households, loaded.records, now=h.clock.now(), cadences=cadences,
                      roles_of=lambda pid: roster.people[pid].roles if pid in roster.people else (),
                      version=cadence.version(cadences, {p.id: p.roles for p in roster.people.values()}))


def household(h, household_id: str) -> Household:
    return h.bot.db.run_sync(lambda s: s.get(Household, household_id))


def resolved_ticket(h, text="村口的路灯坏了一个星期了", who="r1") -> int:
    number = only(h.say(G1, who, text, name="张三"), G1).ticket_id
    h.say(G1, "li-wangge", f"办结 {number} 已更换灯泡")
    return number


def digests(messages):
    return [m for m in messages if "每日提醒" in m.text]


# -- cadences -------------------------------------------------------------------------
def test_strictest_matching_cadence_counts():
    from bot.config import CadenceConfig

    rules = [CadenceConfig(name="key weekly", kind="visit", every_days=7, tags=["低保户"], linked_roles=["grid_instructor"]),
             CadenceConfig(name="key monthly", kind="visit", every_days=30, tags=["低保户", "独居老人"]),
             CadenceConfig(name="all quarterly", kind="visit", every_days=91),
             CadenceConfig(name="online monthly", kind="contact", every_days=30)]
    assert cadence.intervals([], ["party_member"], rules) == cadence.Intervals(91, 30)
    assert cadence.intervals(["独居老人"], ["party_member"], rules) == cadence.Intervals(30, None)
    assert cadence.intervals(["低保户"], ["grid_instructor"], rules) == cadence.Intervals(7, None)
    registered = datetime(2026, 1, 1, tzinfo=timezone.utc)
    visited = datetime(2026, 3, 1, tzinfo=timezone.utc)
    called = datetime(2026, 4, 1, tzinfo=timezone.utc)
    due = cadence.dues(cadence.Intervals(91, 30), registered_at=registered, last_visit_at=visited,
                       last_contact_at=called)
    assert due.visit_due_at == datetime(2026, 5, 31, tzinfo=timezone.utc)
    assert due.contact_due_at == datetime(2026, 5, 1, tzinfo=timezone.utc) == due.next_due_at
    never = cadence.dues(cadence.Intervals(7, None), registered_at=registered, last_visit_at=None,
                         last_contact_at=None)
    assert never.next_due_at == datetime(2026, 1, 8, tzinfo=timezone.utc)


# -- the register ------------------------------------------------------------------------
def test_register_import_reads_chinese_headers_gbk_and_names(h, tmp_path):
    import_register(h, tmp_path, REGISTER, encoding="gb18030")
    first = household(h, "DF1-001")
    assert first.name == "张桂英户" and first.tags == ["独居老人", "低保户"] and first.linked_person_id == "li-wangge"
    assert household(h, "DF3-001").linked_person_id == "he-dangyuan"  # linked by name (何大姐)
    # Key household: monthly visit; ordinary: quarterly visit and a monthly online contact.
    assert (first.visit_due_at - first.registered_at).days == 30 and first.contact_due_at is None
    plain = household(h, "DF1-002")
    assert (plain.visit_due_at - plain.registered_at).days == 91
    assert (plain.contact_due_at - plain.registered_at).days == 30


def test_register_errors_name_every_line_and_import_nothing(h, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("户号,户主,网格,联户人\nA-1,甲户,dongfeng-g9,\nA-1,乙户,dongfeng-g1,\n有空格 的号,丙户,dongfeng-g1,\n"
                   "A-4,丁户,dongfeng-g1,不存在的人\n", encoding="utf-8-sig")
    roster = h.bot.db.run_sync(load_index)
    with pytest.raises(HouseholdFileError) as err:
        load_households(bad, units={u: u for u in roster.units}, people={p.id: p.name for p in roster.people.values()})
    message = str(err.value)
    assert "4 problem(s), nothing imported" in message
    assert "line 2 (A-1): grid 'dongfeng-g9'" in message and "line 3 (A-1): id repeats line 2" in message
    assert "line 4: id '有空格 的号'" in message and "line 5 (A-4): linked '不存在的人'" in message
    missing = tmp_path / "missing.csv"
    missing.write_text("编号,地址\n1,x\n", encoding="utf-8")
    with pytest.raises(HouseholdFileError, match="missing column.*name.*grid"):
        load_households(missing, units={}, people={})


# -- the daily digest ----------------------------------------------------------------------
def test_followup_digest_due_today_then_overdue_with_the_leader_told(make_config, database_url):
    h = make_harness(make_config, database_url)
    first = resolved_ticket(h)  # resolved Mon 11-23 09:00: follow-up due 11-30 09:00
    h.clock.advance(days=1)
    second = resolved_ticket(h, "垃圾站满了好几天没人清运，臭得很", who="r2")  # due 12-01
    assert digests(h.at("2026-11-29 08:30").run_job("digest")) == []
    sent = digests(h.at("2026-11-30 08:30").run_job("digest"))
    worker = only(sent, G1)
    assert worker.mentions == ("li-wangge",)
    assert "待回访 1 张：" in worker.text and f"#{first}" in worker.text and "今天到期" in worker.text
    assert f"#{second}" not in worker.text
    assert digests(h.at("2026-11-30 12:00").run_job("digest")) == []  # once a day
    # Three days overdue: the worker and the grid leader.
    sent = digests(h.at("2026-12-03 08:30").run_job("digest"))
    assert {m.mentions for m in sent} == {("li-wangge",), ("chen-wangzhang",)}
    worker = next(m for m in sent if m.mentions == ("li-wangge",))
    assert "待回访 2 张（其中逾期 2）" in worker.text and "逾期 3 天" in worker.text and "逾期 2 天" in worker.text
    leader = next(m for m in sent if m.mentions == ("chen-wangzhang",))
    assert f"李网格：回访 #{first}（逾期 3 天）" in leader.text and f"#{second}" not in leader.text
    # Recording the visit stops the reminders.
    h.say(G1, "li-wangge", f"回访 {first} 满意 已电话回访")
    h.say(G1, "li-wangge", f"回访 {second} 基本满意 已清运")
    assert digests(h.at("2026-12-04 08:30").run_job("digest")) == []
    h.bot.engine.dispose()


def test_household_visits_join_the_digest_and_recording_a_visit_moves_the_due_date(h, tmp_path):
    import_register(h, tmp_path)  # registered Mon 11-23 09:00
    assert digests(h.at("2026-12-22 08:30").run_job("digest")) == []
    # 30 days on: the key household's visit, the ordinary one's online contact, the unlinked
    # household (no linked person) goes to the grid worker; 何大姐 gets her own.
    sent = digests(h.at("2026-12-23 08:30").run_job("digest"))
    worker = only(sent, G1)
    assert worker.mentions == ("li-wangge",) and "待走访 3 户" in worker.text
    assert "张桂英户（户号 DF1-001，上门走访，今天到期）" in worker.text
    assert "王大山户（户号 DF1-002，线上联系，今天到期）" in worker.text and "赵小军户" in worker.text
    assert only(sent, "dongfeng-g3").mentions == ("he-dangyuan",)
    reply = only(h.say(G1, "li-wangge", "走访 张桂英 老人身体还好，已送米面油"), G1)
    assert "已记录张桂英户的上门走访" in reply.text and "1月22日" in reply.text
    only(h.say(G1, "li-wangge", "线上走访 df1-002 电话问候，一切正常"), G1)
    visits = h.bot.db.run_sync(lambda s: s.query(HouseholdVisit).order_by(HouseholdVisit.id).all())
    assert [(v.household_id, v.kind) for v in visits] == [("DF1-001", "visit"), ("DF1-002", "contact")]
    called = household(h, "DF1-002")  # an online contact moves the contact date, not the visit date
    assert (called.visit_due_at - called.registered_at).days == 91 and called.last_visit_at is None
    assert called.contact_due_at.astimezone(SHANGHAI).date().isoformat() == "2027-01-22"
    text = only(digests(h.at("2026-12-24 08:30").run_job("digest")), G1).text
    assert "待走访 1 户（其中逾期 1）" in text and "赵小军户" in text and "张桂英户" not in text


def test_visit_commands_are_polite_about_bad_input(h, tmp_path):
    import_register(h, tmp_path, REGISTER + "DF1-004,张桂英户,dongfeng-g1,东风村二组1号,,li-wangge,\n")
    assert "没有找到户“李四”" in only(h.say(G1, "li-wangge", "走访 李四 看望"), G1).text
    ambiguous = only(h.say(G1, "li-wangge", "走访 张桂英户 看望"), G1).text
    assert "有 2 户都叫“张桂英户”" in ambiguous and "DF1-001" in ambiguous and "DF1-004" in ambiguous
    assert "请写明户号" in only(h.say(G1, "li-wangge", "走访"), G1).text
    # Another grid's household is out of scope for a grid worker.
    assert "张桂英户不在您负责的范围内" in only(h.say(G2, "liu-wangge", "走访 DF1-001 看望"), G2).text
    # By name, only households in one's own scope are found.
    assert "没有找到户" in only(h.say(G2, "liu-wangge", "走访 王大山 看望"), G2).text
    # A resident typing 走访 is not refused as if it were a staff command: it is just a message.
    assert all("走访" not in m.text for m in h.say(G1, "r1", "走访 DF1-001 看望"))


def test_visit_list_and_todo_show_households_due(h, tmp_path):
    import_register(h, tmp_path)
    h.at("2026-12-20 10:00")
    listing = only(h.say(G1, "li-wangge", "走访清单"), G1).text
    assert "3 户近期需要走访" in listing and "12月23日（周三）前" in listing
    h.at("2026-12-23 10:00")
    todo = only(h.say(G1, "li-wangge", "待办"), G1).text
    assert "待走访（3 户）" in todo and "张桂英户" in todo


def test_digest_after_downtime_is_sent_within_the_grace_once(make_config, database_url):
    h = make_harness(make_config, database_url)
    resolved_ticket(h)
    h.at("2026-11-30 13:00")  # the bot was down at 08:30; a start-up run at 13:00 still sends
    assert len(digests(h.run_job("digest"))) == 1
    h.bot.engine.dispose()
    # A restarted bot (a new process on the same database) does not send it again.
    again = GridBot(h.bot.config, clock=FrozenClock(h.clock.now()), channels=[], run_jobs=False)
    again.prepare_database()
    assert again.run_job_sync("digest")["send_digest"] == 0
    rows = again.db.run_sync(lambda s: s.query(ReminderSent).all())
    assert [(r.job, r.target, r.period, r.items) for r in rows] == [("digest", "li-wangge", "2026-11-30", 1)]
    again.engine.dispose()


def test_digest_after_the_grace_waits_for_the_next_day(h):
    resolved_ticket(h)
    assert digests(h.at("2026-11-30 14:31").run_job("digest")) == []  # 08:30 + 6 h
    assert len(digests(h.at("2026-12-01 08:30").run_job("digest"))) == 1


def test_changed_cadences_recompute_the_due_dates(make_config, tmp_path):
    h = make_harness(make_config, f"sqlite:///{tmp_path / 'cad.db'}")
    import_register(h, tmp_path)
    before = household(h, "DF1-002").visit_due_at
    h.bot.engine.dispose()
    config = make_config(f"sqlite:///{tmp_path / 'cad.db'}",
                         visits={"cadences": [{"name": "每两周", "kind": "visit", "every_days": 14}]})
    bot = GridBot(config, clock=FrozenClock(h.clock.now()), channels=[], run_jobs=False)
    bot.prepare_database()
    counts = bot.run_job_sync("digest")
    assert counts["refresh_household_dues"] == 4
    row = bot.db.run_sync(lambda s: s.get(Household, "DF1-002"))
    assert row.visit_due_at != before and (row.visit_due_at - row.registered_at).days == 14
    assert row.contact_due_at is None
    assert bot.run_job_sync("digest")["refresh_household_dues"] == 0
    bot.engine.dispose()


def test_digest_messages_are_capped_per_section(h, tmp_path):
    lines = "".join(f"X-{i:03d},户{i}户,dongfeng-g1,,,li-wangge,\n" for i in range(25))
    import_register(h, tmp_path, "户号,户主,网格,地址,标签,联户人,电话\n" + lines)
    text = only(digests(h.at("2026-12-23 08:30").run_job("digest")), G1).text
    assert "待走访 25 户" in text and text.count("\n· 户") == 10 and "另有 15 项" in text
