"""Bot commands: one table of commands, their slash and Chinese forms, and a pure parser.

Every command works on every channel as Chinese words at the start of a message
("接单 128", "办结 #128 已更换灯泡"); Telegram users also get slash forms
("/accept 128", "/accept@bot 128"). A word counts only when followed by the end,
a space, "#", a digit or punctuation, so "受理了吗" is not a command. Full-width
digits and signs are folded (NFKC) first.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

TicketArg = Literal["required", "optional", "none"]


@dataclass(frozen=True)
class CommandSpec:
    name: str
    slash: tuple[str, ...]
    words: tuple[str, ...]
    ticket: TicketArg
    usage: str  # an example, shown when the command is malformed
    staff: bool  # only roster members may use it


COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec("accept", ("accept",), ("接单", "受理", "签收"), "required", "接单 128", True),
    CommandSpec("resolve", ("resolve", "done"), ("办结",), "required", "办结 128 已更换灯泡", True),
    CommandSpec("escalate", ("escalate",), ("上报",), "required", "上报 128 需要村里协调解决", True),
    CommandSpec("whistle", ("whistle",), ("吹哨",), "required", "吹哨 128 派出所 应急哨 需要民警到场", True),
    CommandSpec("transfer", ("transfer",), ("转派", "转交"), "required", "转派 128 张网格 他负责这栋楼", True),
    CommandSpec("reopen", ("reopen",), ("重办", "重新办理", "重新打开"), "required", "重办 128 回访发现还没修好",
                True),
    CommandSpec("reject", ("reject",), ("驳回", "不予受理"), "required", "驳回 128 属于私人纠纷，已告知走诉讼", True),
    CommandSpec("comment", ("comment", "note"), ("备注",), "required", "备注 128 已联系物业，明天上门", True),
    CommandSpec("settype", ("settype",), ("改类型", "更正类型", "改分类"), "required", "改类型 128 设施报修", True),
    CommandSpec("followup", ("followup",), ("回访",), "required", "回访 128 满意 已电话回访，问题已解决", True),
    CommandSpec("todo", ("todo", "queue"), ("待办", "我的待办"), "none", "待办", True),
    CommandSpec("ticket", ("ticket", "show"), ("工单", "查看工单", "工单详情"), "required", "工单 128", False),
    CommandSpec("mine", ("my", "mine", "mytickets"), ("我的工单", "我反映的问题"), "none", "我的工单", False),
    CommandSpec("rate", ("rate",), ("评价",), "optional", "评价 128 满意", False),
    # 支部说事日 and 联户走访: their numbers are topic numbers and household ids, not tickets.
    CommandSpec("topic", ("topic",), ("说事",), "none", "说事 村口的路灯坏了半个月，晚上出行不便", False),
    CommandSpec("topics", ("topics",), ("说事清单", "议题清单"), "none", "说事清单", True),
    CommandSpec("topic_outcome", ("topicresult",), ("说事结果", "议题结果"), "none",
                "说事结果 35 已协调物业本周内修好路灯", True),
    CommandSpec("topic_ticket", ("topicticket",), ("说事转办", "议题转办"), "none",
                "说事转办 35 设施报修 需要村里安排维修", True),
    CommandSpec("visit", ("visit",), ("走访", "入户走访", "上门走访"), "none", "走访 DF1-023 老人身体还好，已送米面油",
                True),
    CommandSpec("contact", ("contact",), ("线上走访", "电话走访", "线上联系", "电话联系"), "none",
                "线上走访 DF1-023 电话问候，一切正常", True),
    CommandSpec("visits", ("visits",), ("走访清单", "我的走访"), "none", "走访清单", True),
    # 居民通知: a notice's number follows the command word, not a ticket number.
    CommandSpec("notice", ("notice",), ("通知", "发通知", "群发通知"), "none", "通知 明天上午9点到10点停水，请提前储水",
                True),
    CommandSpec("notice_to", ("noticeto",), ("通知到",), "none", "通知到 东风村第一网格,#rural 明天上午停水", True),
    CommandSpec("receipt", ("receipt",), ("通知回执", "通知进度"), "none", "通知回执 12", True),
)

# Bare answers to the rating question ("满意", "不满意，灯还是不亮"): the word is the rating.
RATING_ANSWERS: dict[str, str] = {
    "非常满意": "satisfied", "很满意": "satisfied", "满意": "satisfied",
    "基本满意": "basically_satisfied", "比较满意": "basically_satisfied", "还算满意": "basically_satisfied",
    "不满意": "dissatisfied", "不太满意": "dissatisfied", "很不满意": "dissatisfied", "非常不满意": "dissatisfied",
}
RATE = next(c for c in COMMANDS if c.name == "rate")
BY_NAME = {c.name: c for c in COMMANDS}
_SLASH = {alias: c for c in COMMANDS for alias in c.slash}
# Longest first, so 不予受理 wins over 受理 and 我的待办 over 待办.
_WORDS = sorted([(w, c) for c in COMMANDS for w in c.words] + [(w, RATE) for w in RATING_ANSWERS],
                key=lambda item: -len(item[0]))
_PUNCT = " \t\r\n:：,，、。.!！?？;；"
_SLASH_RE = re.compile(r"/([A-Za-z_]+)(?:@[A-Za-z0-9_]+)?(?:\s+(.*))?", re.S)
_NUMBER_RE = re.compile(r"#?\s*(\d{1,9})(?!\d)")


@dataclass(frozen=True)
class ParsedCommand:
    spec: CommandSpec
    word: str  # what the user typed for the command ("接单", "/accept", "不满意")
    number: int | None
    number_error: Literal["missing", "not_a_number"] | None
    args: str


def parse(text: str) -> ParsedCommand | None:
    """The command in a message, or None when the message is not a command."""
    folded, origin = _fold(text or "")
    lead = len(folded) - len(folded.lstrip())
    body = folded.strip()
    if not body:
        return None
    if body.startswith("/"):
        match = _SLASH_RE.fullmatch(body)
        if not match or match.group(1).lower() not in _SLASH:
            return None
        spec, word = _SLASH[match.group(1).lower()], "/" + match.group(1).lower()
        at = match.start(2) if match.group(2) is not None else len(body)
    else:
        for word, spec in _WORDS:
            if body.startswith(word) and _boundary(body[len(word):]):
                at = len(word)
                break
        else:
            return None
    rest = body[at:]
    skipped = len(rest) - len(rest.lstrip(_PUNCT))
    rest, at = rest[skipped:], at + skipped
    number: int | None = None
    error: Literal["missing", "not_a_number"] | None = None
    if spec.ticket != "none":
        match = _NUMBER_RE.match(rest)
        if match:
            number = int(match.group(1))
            at += match.end()
        elif rest.strip(_PUNCT) and spec.ticket == "required" and re.match(r"#|[A-Za-z0-9]", rest):
            error = "not_a_number"  # "接单 abc", "接单 #x"
        else:
            error = "missing"
    # Arguments in the user's own characters (their "，" stays "，" in what residents read).
    args = text[origin[lead + at]:] if lead + at < len(origin) else ""
    return ParsedCommand(spec=spec, word=word, number=number, number_error=error, args=args.strip(_PUNCT))


def _fold(text: str) -> tuple[str, list[int]]:
    """NFKC per character (full-width digits, "＃", "：" become ASCII) and, for each folded
    character, the index of the original character it came from."""
    folded: list[str] = []
    origin: list[int] = []
    for i, char in enumerate(text):
        for out in unicodedata.normalize("NFKC", char):
            folded.append(out)
            origin.append(i)
    return "".join(folded), origin


def _boundary(after: str) -> bool:
    return not after or after[0] in _PUNCT or after[0] == "#" or after[0].isdigit()


def rating_of(parsed: ParsedCommand) -> tuple[str | None, str]:
    """(rating, comment) of a rate command: the bare word, or the first word of the arguments."""
    if parsed.word in RATING_ANSWERS:
        return RATING_ANSWERS[parsed.word], parsed.args
    for word in sorted(RATING_ANSWERS, key=len, reverse=True):
        if parsed.args.startswith(word):
            return RATING_ANSWERS[word], parsed.args[len(word):].strip(_PUNCT)
    return None, parsed.args


def split_word(args: str, words: dict[str, str]) -> tuple[str | None, str]:
    """The value of a leading word from ``words`` (longest first) and the rest."""
    for word in sorted(words, key=len, reverse=True):
        if args.startswith(word):
            return words[word], args[len(word):].strip(_PUNCT)
    return None, args
