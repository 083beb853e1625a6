"""The command parser: Chinese and slash forms, ticket numbers, malformed input."""

from __future__ import annotations

import pytest

from bot.handlers.commands import COMMANDS, parse, rating_of


@pytest.mark.parametrize(("text", "name", "number", "error", "args"), [
    ("接单 128", "accept", 128, None, ""),
    ("接单#128", "accept", 128, None, ""),
    ("接单１２８", "accept", 128, None, ""),  # full-width digits
    ("  受理 ＃７  ", "accept", 7, None, ""),
    ("/accept 5", "accept", 5, None, ""),
    ("/accept@gridbot_test_bot 5", "accept", 5, None, ""),
    ("/ACCEPT 5", "accept", 5, None, ""),
    ("办结 128 已更换灯泡，谢谢大家", "resolve", 128, None, "已更换灯泡，谢谢大家"),
    ("办结：128：换好了", "resolve", 128, None, "换好了"),
    ("上报 3 需要村里协调", "escalate", 3, None, "需要村里协调"),
    ("不予受理 9 重复反映", "reject", 9, None, "重复反映"),
    ("驳回 9 重复反映", "reject", 9, None, "重复反映"),
    ("转派 4 @张网格 他负责", "transfer", 4, None, "@张网格 他负责"),
    ("吹哨 2 派出所 应急哨 有人打架", "whistle", 2, None, "派出所 应急哨 有人打架"),
    ("改类型 2 矛盾纠纷", "settype", 2, None, "矛盾纠纷"),
    ("回访 2 满意 已电话回访", "followup", 2, None, "满意 已电话回访"),
    ("待办", "todo", None, None, ""),
    ("我的待办", "todo", None, None, ""),
    ("/todo", "todo", None, None, ""),
    ("我的工单", "mine", None, None, ""),
    ("工单 77", "ticket", 77, None, ""),
    ("评价 5 基本满意", "rate", 5, None, "基本满意"),
    ("满意", "rate", None, "missing", ""),
    ("不满意，灯又灭了", "rate", None, "missing", "灯又灭了"),
    ("接单", "accept", None, "missing", ""),
    ("接单 abc", "accept", None, "not_a_number", "abc"),
    ("办结 #x 好了", "resolve", None, "not_a_number", "#x 好了"),
    ("上报：路灯坏了", "escalate", None, "missing", "路灯坏了"),
])
def test_parses(text, name, number, error, args):
    parsed = parse(text)
    assert parsed is not None
    assert (parsed.spec.name, parsed.number, parsed.number_error, parsed.args) == (name, number, error, args)


@pytest.mark.parametrize("text", [
    "受理了吗", "接单了没有", "办结了吗？", "工单号是多少", "满意度调查什么时候做", "上报一下路灯坏了",
    "楼下路灯坏了", "", "   ", "/unknown 5", "/", "回访的人什么时候来",
])
def test_not_commands(text):
    assert parse(text) is None


def test_rating_words():
    assert rating_of(parse("不满意，还是坏的")) == ("dissatisfied", "还是坏的")
    assert rating_of(parse("基本满意")) == ("basically_satisfied", "")
    assert rating_of(parse("评价 3 满意 很快")) == ("satisfied", "很快")
    assert rating_of(parse("评价 3 还行"))[0] is None


def test_every_command_has_forms_and_an_example_that_parses_to_itself():
    for spec in COMMANDS:
        assert spec.words and spec.slash
        assert parse(spec.usage).spec.name == spec.name
        for word in spec.words:
            assert parse(word) is not None and parse(word).spec is spec
