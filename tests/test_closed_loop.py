"""The closed loop (发现—上报—处置—反馈) through the real handlers on SQLite and PostgreSQL:
commands by role, escalation up the roster tree and the whistle, feedback, rating, reopening,
follow-up visits, duplicates. Roster: examples/roster.yaml (web chat group id = unit id,
staff account = person id)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from .harness import make_harness, only

GRID = "dongfeng-g1"  # 东风村第一网格: worker li-wangge, leader chen-wangzhang
VILLAGE = "dongfeng"  # 东风村: wang-shuji (grid_leader, branch_secretary), lao-zhao (mediator)
TOWN = "qingshan"  # zhou-zhongxin (grid_leader, centre_staff), wu-zhongxin (centre_staff)
POLICE = "qingshan-police"  # department, zheng-jingguan
ESTATE = "liutang-g1"  # zhang-wangge (repair, safety, environment), lin-wangge (assistance, inquiry)


@pytest.fixture
def h(make_config, database_url):
    harness = make_harness(make_config, database_url)
    yield harness
    harness.bot.engine.dispose()


def report(h, text="村口的路灯坏了一个星期了，晚上黑乎乎的", who="r1", name="张三", chat=GRID) -> int:
    [ack] = h.say(chat, who, text, name=name)
    assert "工单 #" in ack.text, ack.text
    return ack.ticket_id


def test_worker_accepts_and_the_resident_hears_it(h):
    number = report(h)
    [msg] = h.say(GRID, "li-wangge", f"接单 {number}")
    ticket = h.ticket(number)
    assert ticket.status == "accepted" and ticket.assignee_id == "li-wangge" and ticket.accepted_at
    assert ticket.next_due_at == ticket.resolve_due_at  # the resolve deadline counts now
    assert msg.chat_id == GRID and msg.mentions_person("r1") and "受理" in msg.text
    accepted = h.events(number)[-1]
    assert (accepted.kind, accepted.actor, accepted.data["on_time"]) == ("accepted", "person:li-wangge", True)


def test_second_accept_is_refused_and_changes_nothing(h):
    number = report(h)
    h.say(GRID, "chen-wangzhang", f"接单 {number}")  # the grid leader takes it first
    before = h.kinds(number)
    [msg] = h.say(GRID, "li-wangge", f"接单 {number}")
    assert msg.text == f"工单 #{number} 已由 陈网格长 受理。"
    assert h.kinds(number) == before and h.ticket(number).assignee_id == "chen-wangzhang"


def test_resident_cannot_run_staff_commands(h):
    number = report(h)
    for command in (f"办结 {number} 好了", f"接单 {number}", f"上报 {number} 快点", f"驳回 {number} 无效"):
        [msg] = h.say(GRID, "r2", command, name="李四")
        assert "需要由网格工作人员操作" in msg.text
    assert h.ticket(number).status == "new" and h.kinds(number) == ["created", "assigned"]


def test_resident_report_starting_with_a_command_word_is_still_a_report(h):
    [ack] = h.say(GRID, "r3", "上报：三组的水渠堵了，田里的水排不出去", name="王五")
    assert "工单 #" in ack.text and h.ticket(ack.ticket_id).reporter_id == "r3"


@pytest.mark.parametrize(("command", "answer"), [
    ("接单", "请在命令后写上工单号，例如：接单 128"),
    ("接单 abc", "工单号应该是数字，例如：接单 128"),
    ("接单 99999", "没有找到工单 #99999，请核对工单号（可发送“待办”查看您的工单）。"),
    ("办结 1", "请写明办理结果，例如：办结 128 已更换灯泡"),
    ("上报 1", "请写明上报原因，例如：上报 128 需要村里协调解决"),
])
def test_malformed_commands_get_clear_answers(h, command, answer):
    assert report(h) == 1
    [msg] = h.say(GRID, "li-wangge", command)
    assert msg.text == answer
    assert h.ticket(1).status == "new"


def test_command_without_number_as_a_reply_to_the_bots_ticket_message(h):
    report(h)
    ack = h.sent[0]
    [msg] = h.say(GRID, "li-wangge", "接单", reply_to=ack.platform_id)
    assert h.ticket(ack.ticket_id).status == "accepted" and msg.mentions_person("r1")


def test_worker_of_another_grid_is_out_of_scope(h):
    number = report(h)
    [msg] = h.say("dongfeng-g2", "liu-wangge", f"接单 {number}")
    assert msg.text == f"工单 #{number} 不在您负责的范围内，无法受理。"
    assert h.ticket(number).status == "new"


def test_resolve_on_the_spot_then_rating_closes(h):
    number = report(h)
    messages = h.say(GRID, "li-wangge", f"办结 {number} 已更换灯泡，现在亮了")
    feedback = only(messages, GRID)
    assert feedback.mentions_person("r1") and "已更换灯泡，现在亮了" in feedback.text
    assert [label for label, _ in feedback.buttons] == ["满意", "基本满意", "不满意"]
    assert h.kinds(number)[-2:] == ["accepted", "resolved"]  # accepted implicitly, both logged
    ticket = h.ticket(number)
    assert ticket.status == "resolved" and ticket.rating_due_at - ticket.resolved_at == timedelta(days=3)
    assert ticket.followup_due_at - ticket.resolved_at == timedelta(days=7)
    [thanks] = h.say(GRID, "r1", "满意，谢谢")
    assert "感谢您的评价（满意）" in thanks.text
    ticket = h.ticket(number)
    assert (ticket.status, ticket.satisfaction) == ("closed", "satisfied")
    assert h.reporters(number)[0].rating_note == "谢谢"


def test_button_rating_and_refusals(h):
    number = report(h)
    feedback = only(h.say(GRID, "li-wangge", f"办结 {number} 修好了"), GRID)
    command = dict(feedback.buttons)["基本满意"]
    [msg] = h.say(GRID, "r9", command, button=True, reply_to=feedback.platform_id)
    assert msg.text == f"只有反映该问题的居民可以评价工单 #{number}。"
    [msg] = h.say(GRID, "r1", command, button=True, reply_to=feedback.platform_id)
    assert h.ticket(number).satisfaction == "basically_satisfied"
    [msg] = h.say(GRID, "r1", dict(feedback.buttons)["不满意"], button=True)
    assert "您已经评价过" in msg.text and h.ticket(number).status == "closed"


def test_dissatisfied_reopens_and_the_worker_is_asked_again(h):
    number = report(h)
    h.say(GRID, "li-wangge", f"办结 {number} 修好了")
    messages = h.say(GRID, "r1", "不满意，晚上灯还是不亮")
    ticket = h.ticket(number)
    assert ticket.status == "reopened" and ticket.reopen_count == 1 and ticket.rating_due_at is None
    assert ticket.next_due_at == ticket.accept_due_at > h.clock.now()
    text = "\n".join(m.text for m in messages)
    assert "重新办理" in text and "晚上灯还是不亮" in text
    assert any(m.mentions_person("li-wangge") for m in messages)
    h.say(GRID, "li-wangge", f"接单 {number}")
    h.say(GRID, "li-wangge", f"办结 {number} 换了整套灯具")
    h.say(GRID, "r1", "满意")
    assert h.ticket(number).status == "closed"
    assert h.kinds(number).count("rated") == 2


def test_bare_rating_word_without_a_pending_ticket_is_just_chat(h):
    assert h.say(GRID, "r1", "满意") == []
    assert h.tickets() == []


def test_escalation_through_every_level_and_feedback_to_the_original_group(h):
    number = report(h)
    h.say(GRID, "li-wangge", f"接单 {number}")
    to_village = h.say(GRID, "li-wangge", f"上报 {number} 需要村里协调供电所")
    notice = only(to_village, VILLAGE)
    assert notice.mentions_person("wang-shuji") and "需要村里协调供电所" in notice.text
    ticket = h.ticket(number)
    assert (ticket.status, ticket.level_unit_id, ticket.assignee_id) == ("escalated", VILLAGE, "wang-shuji")
    assert ticket.escalation_count == 1 and ticket.next_due_at == ticket.accept_due_at

    # The grid worker can no longer act for the village.
    [msg] = h.say(GRID, "li-wangge", f"办结 {number} 好了")
    assert "不是工单" in msg.text or "不能" in msg.text
    h.say(VILLAGE, "wang-shuji", f"接单 {number}")
    to_town = h.say(VILLAGE, "wang-shuji", f"上报 {number} 村里解决不了")
    town_notice = only(to_town, TOWN)
    assert h.ticket(number).level_unit_id == TOWN
    assert any(town_notice.mentions_person(p) for p in ("zhou-zhongxin", "wu-zhongxin"))
    assert only(to_town, GRID).mentions_person("r1")  # the resident hears where it went

    [msg] = h.say(TOWN, "zhou-zhongxin", f"上报 {number} 再往上")
    assert "请吹哨" in msg.text and h.ticket(number).level_unit_id == TOWN
    whistled = h.say(TOWN, "zhou-zhongxin", f"吹哨 {number} 派出所 应急哨 有人偷电缆")
    ticket = h.ticket(number)
    assert (ticket.level_unit_id, ticket.whistle, ticket.assignee_id) == (POLICE, "emergency", "zheng-jingguan")
    assert ticket.accept_due_at == h.clock.now() + timedelta(hours=1)  # 应急哨: accept within 1 h
    assert only(whistled, POLICE).mentions_person("zheng-jingguan") and "应急哨" in only(whistled, POLICE).text

    done = h.say(POLICE, "zheng-jingguan", f"办结 {number} 已抓获偷电缆人员，供电所已修复")
    feedback = only(done, GRID)
    assert feedback.mentions_person("r1") and feedback.mentions_person("li-wangge")
    assert "已抓获偷电缆人员，供电所已修复" in feedback.text and feedback.buttons
    for level in (VILLAGE, TOWN):  # 结果逐级反馈
        assert "结果反馈" in only(done, level).text
    kinds = h.kinds(number)
    assert kinds.count("escalated") == 2 and kinds.count("whistled") == 1
    whistle_event = next(e for e in h.events(number) if e.kind == "whistled")
    assert whistle_event.data == {"from_unit": TOWN, "to_unit": POLICE, "person": "zheng-jingguan",
                                  "auto": False, "whistle": "emergency"}


def test_only_the_town_centre_blows_the_whistle(h):
    number = report(h)
    [msg] = h.say(VILLAGE, "wang-shuji", f"吹哨 {number} 派出所 日常哨 需要民警")
    assert msg.text == "吹哨需要由镇网格化综合服务中心操作。"
    [msg] = h.say(TOWN, "zhou-zhongxin", f"吹哨 {number} 需要民警")
    assert "请写明吹哨的部门" in msg.text and "青山派出所" in msg.text
    assert h.ticket(number).level_unit_id == GRID


def test_transfer_within_the_unit(h):
    [ack] = h.say(ESTATE, "r5", "3号楼电梯坏了，老人下不了楼", name="赵六")
    number = ack.ticket_id
    assert h.ticket(number).assignee_id == "zhang-wangge"
    [msg] = h.say(ESTATE, "zhang-wangge", f"转派 {number} 马警务 这个归他")
    assert "没有找到“马警务”" in msg.text  # 马警务 works for the community, above the grid
    messages = h.say(ESTATE, "zhang-wangge", f"转派 {number} 林网格 我这周出差")
    ticket = h.ticket(number)
    assert (ticket.status, ticket.assignee_id) == ("transferred", "lin-wangge")
    assert only(messages, ESTATE).mentions_person("lin-wangge") and "我这周出差" in only(messages, ESTATE).text
    [msg] = h.say(ESTATE, "zhang-wangge", f"接单 {number}")  # no longer his, but still staff of the grid
    assert h.ticket(number).assignee_id == "zhang-wangge"  # staff of the handling unit may take it back


def test_reject_is_for_leaders_and_tells_the_resident_why(h):
    number = report(h, text="隔壁老王家的狗叫了一晚上，吵死了")
    [msg] = h.say(GRID, "li-wangge", f"驳回 {number} 不属于网格事务")
    assert msg.text == "驳回工单需要由负责层级的网格长（或书记、网格中心）操作。"
    [msg] = h.say(GRID, "chen-wangzhang", f"驳回 {number} 已电话沟通，属于邻里小事，已当面调解")
    assert msg.mentions_person("r1") and "已电话沟通" in msg.text
    ticket = h.ticket(number)
    assert ticket.status == "rejected" and ticket.next_due_at is None and ticket.closed_at
    [msg] = h.say(GRID, "chen-wangzhang", f"接单 {number}")
    assert msg.text == f"工单 #{number} 当前状态为【不予受理】，不能受理。"


def test_staff_reopen_comment_settype_and_followup(h):
    number = report(h)
    h.say(GRID, "li-wangge", f"办结 {number} 灯泡换了")
    h.say(GRID, "r1", "满意")
    [msg] = h.say(GRID, "li-wangge", f"回访 {number} 好 挺好")
    assert "请写明居民满意度" in msg.text
    [msg] = h.say(GRID, "li-wangge", f"回访 {number} 不满意 上门看了，灯又坏了")
    assert "重办" in msg.text
    ticket = h.ticket(number)
    assert ticket.followup_done_at == h.clock.now()
    h.say(GRID, "li-wangge", f"重办 {number} 回访发现又坏了")
    assert h.ticket(number).status == "reopened"
    [msg] = h.say(GRID, "li-wangge", f"备注 {number} 已联系供电所明天来")
    assert msg.text == f"已为工单 #{number} 记录备注。"
    [msg] = h.say(GRID, "li-wangge", f"改类型 {number} 安全隐患")
    assert "由【设施报修】改为【安全隐患】" in msg.text and h.ticket(number).type == "safety"
    change = [e for e in h.events(number) if e.kind == "type_changed"][-1]
    assert change.data["from"] == "repair" and change.data["to"] == "safety"
    from bot.storage.tickets import type_corrections
    assert h.bot.db.run_sync(type_corrections) == [(h.ticket(number).text, "repair", "safety")]


def test_correcting_the_type_of_a_new_ticket_reroutes_it(h):
    number = report(h)  # a repair, with the grid worker
    assert h.ticket(number).assignee_id == "li-wangge"
    [msg] = h.say(GRID, "chen-wangzhang", f"改类型 {number} 矛盾纠纷")
    assert h.ticket(number).assignee_id == "lao-zhao"  # the village mediator handles disputes
    assert msg.mentions_person("lao-zhao")
    [msg] = h.say(GRID, "chen-wangzhang", f"改类型 {number} 天气")
    assert "请写明正确的类型" in msg.text and h.ticket(number).type == "dispute"


def test_details_queue_and_my_tickets(h):
    first = report(h)
    second = report(h, text="二组的垃圾桶满了好几天没人清运", who="r2", name="李四")
    h.clock.advance(hours=9)
    [queue] = h.say(GRID, "li-wangge", "待办")
    assert queue.text.index(f"#{first}") < queue.text.index(f"#{second}")  # oldest first
    assert queue.text.count("已超时 1 小时") == 2
    h.say(GRID, "li-wangge", f"备注 {first} 内部：等材料")
    [staff_view] = h.say(GRID, "li-wangge", f"工单 {first}")
    [resident_view] = h.say(GRID, "r1", f"工单 {first}")
    assert "内部：等材料" in staff_view.text and "内部：等材料" not in resident_view.text
    assert "处理记录" in resident_view.text and "张三" in resident_view.text
    [msg] = h.say(GRID, "r1", f"工单 {second}")
    assert "不是您反映的问题" in msg.text  # another resident's ticket
    [mine] = h.say(GRID, "r2", "我的工单")
    assert f"#{second}" in mine.text and f"#{first}" not in mine.text


def test_commands_work_in_private_chat(h):
    number = report(h)
    messages = h.say("", "li-wangge", f"接单 {number}", private=True)
    assert "已受理工单" in only(messages, "li-wangge").text
    assert only(messages, GRID).mentions_person("r1")  # the residents' group hears it all the same
    [mine] = h.say("", "r1", "我的工单", private=True)
    assert f"#{number}" in mine.text


def test_another_residents_report_of_the_same_problem_is_linked(h):
    number = report(h, text="3号楼门口的路灯坏了，晚上黑漆漆的")
    [linked] = h.say(GRID, "r2", "三号楼门口路灯坏了，晚上太黑了", name="李四")
    assert linked.ticket_id == number and "共同反映人" in linked.text
    [other] = h.say(GRID, "r3", "5号楼后面的路灯坏了", name="王五")
    assert other.ticket_id != number  # a different building is a different problem
    assert [r.account_id for r in h.reporters(number)] == ["r1", "r2"]
    assert h.ticket(number).reporter_count == 2
    feedback = only(h.say(GRID, "li-wangge", f"办结 {number} 换了灯"), GRID)
    assert feedback.mentions_person("r1") and feedback.mentions_person("r2")
    [msg] = h.say(GRID, "r2", "满意")
    assert "还在等待其他反映人评价" in msg.text and h.ticket(number).status == "resolved"
    h.say(GRID, "r1", "基本满意")
    assert (h.ticket(number).status, h.ticket(number).satisfaction) == ("closed", "basically_satisfied")


def test_reporters_in_different_chats_each_hear_the_result(h):
    number = report(h, text="村口的路灯坏了一个星期了，晚上黑乎乎的")
    tg_group = "-1001000000101"  # the same grid's Telegram group (examples/roster.yaml)
    [linked] = h.say(tg_group, "880001", "村口那个路灯还是不亮，晚上黑乎乎的", name="王五", channel="telegram")
    assert linked.ticket_id == number and linked.chat_id == tg_group
    done = h.say(GRID, "li-wangge", f"办结 {number} 换了新灯")
    web, tg = only(done, GRID), only(done, tg_group)
    assert web.mentions == ("r1",) and web.buttons
    assert tg.mentions[0] == "880001" and tg.buttons and "换了新灯" in tg.text
    h.say(tg_group, "880001", "满意", channel="telegram")
    h.say(GRID, "r1", "满意")
    assert h.ticket(number).status == "closed"


def test_rating_window_closes_unrated(h):
    number = report(h)
    h.say(GRID, "li-wangge", f"办结 {number} 修好了")
    h.clock.advance(days=3, minutes=-1)
    assert h.run_jobs() == [] and h.ticket(number).status == "resolved"
    h.clock.advance(minutes=2)
    h.run_jobs()
    ticket = h.ticket(number)
    assert (ticket.status, ticket.satisfaction) == ("closed", "unrated")
    closed = h.events(number)[-1]
    assert (closed.kind, closed.actor) == ("closed", "system")
    [msg] = h.say(GRID, "r1", f"评价 {number} 满意")
    assert "办结后才能评价" in msg.text or "已关闭" in msg.text
