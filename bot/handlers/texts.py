"""Every sentence the bot says, in one place (Simplified Chinese)."""

from __future__ import annotations


def deadline_phrase(hours: float) -> str:
    if hours < 1:
        return f"{round(hours * 60)} 分钟内受理"
    if float(hours).is_integer():
        return f"{int(hours)} 小时内受理"
    return f"{hours:g} 小时内受理"


ACK_PREFIX = "已收到您反映的【{type_name}】问题，工单 #{number} "
URGENT_PREFIX = "【紧急】"
ASSIGNED_TO = "已转给 "
LEADER_TOO = "，并通知网格长 "
NO_ASSIGNEE = "已登记，正在安排负责的工作人员"
DEADLINE = "，{deadline}。"

MERGED = "已将您的补充情况记入工单 #{number}（【{type_name}】），"
MERGED_TAIL = " 会一并处理。"
MERGED_NO_ASSIGNEE = "工作人员会一并处理。"

PARENT_URGENT = "【紧急工单 #{number}】{unit_name} 居民 {reporter} 反映（{type_name}）：{text}\n已通知 "
PARENT_URGENT_NOBODY = "\n请尽快协调处置。"

PROMPT_DESCRIBE = (
    "您好，我是网格助手。请直接描述您遇到的问题，比如什么地方、什么情况（例如：3号楼门口路灯坏了），"
    "我会登记工单并转给负责的网格员。"
)
PRIVATE_CHAT = (
    "您好，我是网格助手。请在您所在网格的群里反映问题（可以 @我），我会登记工单并转给负责的网格员。"
    "紧急情况请直接拨打 110 / 119 / 120。"
)
HELP = (
    "网格助手使用说明：\n"
    "1. 在本网格群里直接说明问题（或 @我 后描述），我会登记工单并 @ 负责的网格员；\n"
    "2. 紧急情况（火情、燃气泄漏、有人落水、持刀伤人、房屋倒塌）会同时通知网格长，请同时拨打 110 / 119 / 120；\n"
    "3. 30 分钟内重复反映同一问题，会合并到原工单，不会重复登记。"
)
UNKNOWN_COMMAND = "暂不支持这个命令。发送 /help 查看使用说明；反映问题请直接描述情况。"
