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
    "3. 重复反映同一问题（包括其他居民已反映的），会合并到原工单，不会重复登记。"
)
UNKNOWN_COMMAND = "暂不支持这个命令。发送 /help 查看使用说明；反映问题请直接描述情况。"


def deadline_phrase_working(hours: float, working_time: bool) -> str:
    """``deadline_phrase`` saying 工作小时 when only working time counts."""
    phrase = deadline_phrase(hours)
    return phrase.replace(" 小时内", " 个工作小时内") if working_time and hours >= 1 else phrase


STATUS_NAMES = {
    "new": "待受理",
    "accepted": "处置中",
    "escalated": "已上报，待上级受理",
    "transferred": "已转派，待受理",
    "reopened": "重新办理，待受理",
    "resolved": "已办结，待评价",
    "closed": "已关闭",
    "rejected": "不予受理",
}
ACTION_NAMES = {
    "accept": "受理", "resolve": "办结", "escalate": "上报", "whistle": "吹哨", "transfer": "转派",
    "reopen": "重新办理", "reject": "驳回", "close": "关闭",
}
SATISFACTION_NAMES = {
    "satisfied": "满意", "basically_satisfied": "基本满意", "dissatisfied": "不满意", "unrated": "未评价",
}
# The three answers residents give, as button labels and words to reply with.
RATING_WORDS = ("满意", "基本满意", "不满意")

# -- lifecycle -----------------------------------------------------------------------
ACCEPTED_FEEDBACK = " 您反映的【{type_name}】问题（工单 #{number}）已由 "
ACCEPTED_FEEDBACK_TAIL = " 受理，预计 {resolve_due} 前办结。"
ACCEPTED_CONFIRM = "已受理工单 #{number}，请于 {resolve_due} 前办结（办结时发送“办结 {number} 处理结果”）。"

RESOLVED_FEEDBACK = (" 您反映的【{type_name}】问题（工单 #{number}）已办结：{note}\n"
                     "请评价处理结果：回复“满意”“基本满意”或“不满意”（{days} 天内未评价将自动关闭）。")
RESOLVED_TELL_WORKER = " 请知悉：此工单已由{by}办结，请按时回访。"
RESOLVED_TELL_LEVEL = "【结果反馈】工单 #{number}（{origin}）已由{by}办结：{note}"
RESOLVED_CONFIRM = "工单 #{number} 已办结，已请居民评价。"

URGENT_PREFIX_SHORT = "【紧急】"
ESCALATE_HEAD = "【上报】"
WHISTLE_HEAD = "【吹哨·{whistle}】"
ESCALATE_BODY = ("工单 #{number}【{type_name}】{origin}\n居民 {reporter} 反映：{text}\n"
                 "事由：{reason}（{actor}）\n")
ESCALATE_ASK = "请 "
ESCALATE_ASK_TAIL = " 受理：回复“接单 {number}”。{accept_due} 前受理，{resolve_due} 前办结。"
ESCALATE_NOBODY = "{unit}在名册中没有负责人，请尽快安排人员受理（回复“接单 {number}”）。"
ESCALATED_NO_CHAT = "工单 #{number} 已上报至{unit}，但该单位没有登记群聊，请联系其负责人。"
ESCALATED_TELL_RESIDENT = " 您反映的工单 #{number} 已上报至{unit}处理，结果会在本群告知您。"
ESCALATED_CONFIRM = "工单 #{number} 已上报至{unit}，由 "
ESCALATED_CONFIRM_TAIL = " 负责。"
ESCALATED_CONFIRM_NOBODY = "工单 #{number} 已上报至{unit}（该单位在名册中没有负责人，请联系其领导）。"

TRANSFERRED_NOTICE = "【转派】工单 #{number}【{type_name}】由{actor}转派给 "
TRANSFERRED_NOTICE_TAIL = "{note}\n居民反映：{text}\n请回复“接单 {number}”受理，{accept_due} 前受理。"
TRANSFERRED_CONFIRM = "工单 #{number} 已转派给 "

REOPEN_BY_RESIDENT = "居民对处理结果不满意{note}"
REOPEN_BY_STAFF = "{actor}要求重新办理{note}"
REOPENED_NOTICE = "【重新办理】工单 #{number}【{type_name}】{why}\n居民反映：{text}\n"
REOPENED_ASK = "请 "
REOPENED_ASK_TAIL = " 重新受理：回复“接单 {number}”，{accept_due} 前受理。"
REOPENED_TELL_RESIDENT = "已收到您的评价，工单 #{number} 将重新办理，结果会在本群告知您。"
REOPENED_CONFIRM = "工单 #{number} 已重新打开。"

REJECTED_FEEDBACK = " 您反映的工单 #{number} 经核实不予受理，原因：{reason}。如有疑问请联系 "
REJECTED_CONFIRM = "工单 #{number} 已驳回，已告知居民原因。"

# -- commands ------------------------------------------------------------------------
STAFF_ONLY = "您好，{action}工单需要由网格工作人员操作。如需反映问题，请直接描述情况；查询进度请发送“我的工单”。"
NEED_NUMBER = "请在命令后写上工单号，例如：{usage}"
NOT_A_NUMBER = "工单号应该是数字，例如：{usage}"
NOT_FOUND = "没有找到工单 #{number}，请核对工单号（可发送“待办”查看您的工单）。"
NOT_IN_SCOPE = "工单 #{number} 不在您负责的范围内，无法{action}。"
NOT_YOURS = "工单 #{number} 不是您反映的问题，无法查看。发送“我的工单”可以查看您反映过的问题。"
NEED_TEXT = "请写明{what}，例如：{usage}"
REFUSED_STATE = "工单 #{number} 当前状态为【{status}】，不能{action}。"
REFUSED_ROLE = "您不是工单 #{number} 的负责人，不能{action}。"
REFUSED_REJECT = "驳回工单需要由负责层级的网格长（或书记、网格中心）操作。"
REFUSED_WHISTLE = "吹哨需要由镇网格化综合服务中心操作。"
ALREADY_ACCEPTED = "工单 #{number} 已由 {who} 受理。"
ALREADY_ACCEPTED_BY_YOU = "工单 #{number} 已由您受理，办结时发送“办结 {number} 处理结果”。"
NO_HIGHER_LEVEL = "工单 #{number} 已在{unit}，没有更高一级可以上报。"
NO_HIGHER_LEVEL_WHISTLE = "工单 #{number} 已在{unit}。需要职能部门处理，请吹哨：吹哨 {number} 部门名称 {whistles} 事由"
NO_DEPARTMENTS = "名册里{unit}下面没有登记职能部门，暂时无法吹哨。"
WHICH_DEPARTMENT = "请写明吹哨的部门，可选：{departments}。例如：吹哨 {number} {example} {whistle} 事由"
WHISTLE_NEEDS_TOP = "工单 #{number} 不在您所在镇的范围内，无法吹哨。"
WHO_TO_TRANSFER = "请写明转派给谁（姓名），例如：转派 {number} 张网格 原因"
TRANSFER_NOBODY = "在{unit}及下属单位的名册中没有找到“{name}”，请核对姓名。"
TRANSFER_AMBIGUOUS = "名册中有多位“{name}”：{choices}。请改用编号，例如：转派 {number} {example}"
TRANSFER_SAME = "{name} 已经是工单 #{number} 的负责人。"
COMMENTED = "已为工单 #{number} 记录备注。"
WHICH_TYPE = "请写明正确的类型，可选：{types}。例如：改类型 {number} {example}"
TYPE_SAME = "工单 #{number} 已经是【{type_name}】。"
TYPE_CHANGED = "已将工单 #{number} 的类型由【{old}】改为【{new}】，感谢纠正（会用于改进自动分类）。"
TYPE_CHANGED_REROUTED = "已改由 "
TYPE_CHANGED_REROUTED_TAIL = " 负责（回复“接单 {number}”受理）。"
FOLLOWUP_WHICH = "请写明居民满意度（满意 / 基本满意 / 不满意）和回访情况，例如：回访 {number} 满意 已电话回访，问题已解决"
FOLLOWUP_NOT_RESOLVED = "工单 #{number} 还没有办结，暂不能记录回访。"
FOLLOWUP_DONE = "已记录工单 #{number} 的回访（居民{satisfaction}）。"
FOLLOWUP_UNHAPPY_HINT = "居民不满意，如需重新办理请发送：重办 {number} 原因"

TODO_EMPTY = "您目前没有待办工单。"
TODO_HEAD = "您的待办工单（{total} 张，最早的在前）："
TODO_LINE = "\n{i}. #{number}【{type_name}】{status}{urgent} · {unit} · {due}\n   {text}"
TODO_MORE = "\n……还有 {more} 张，请尽快处理。"
TODO_FOLLOWUPS = "\n\n待回访（{count} 张）：{items}"
DUE_OVERDUE = "已超时 {late}"
DUE_LEFT = "{what}截止 {due}"
DUE_ACCEPT = "受理"
DUE_RESOLVE = "办结"

MINE_EMPTY = "您还没有反映过问题。需要帮助请直接在群里描述情况。"
MINE_HEAD = "您反映的问题（最近 {count} 条）："
MINE_LINE = "\n#{number}【{type_name}】{status} · {when}\n   {text}"
MINE_RATE_HINT = "\n   请评价：回复“评价 {number} 满意 / 基本满意 / 不满意”"

DETAIL_HEAD = ("工单 #{number}【{type_name}】{urgent}{status}\n"
               "地点：{unit}\n反映人：{reporters}\n负责人：{assignee}（{level}）\n内容：{text}")
DETAIL_DUE = "\n{what}截止：{due}{late}"
DETAIL_RESULT = "\n办理结果：{note}"
DETAIL_RATING = "\n居民评价：{satisfaction}"
DETAIL_TIMELINE = "\n\n处理记录："
DETAIL_EVENT = "\n{at} {who}{what}"
DETAIL_MORE = "\n……共 {total} 条记录，仅显示最近 {shown} 条"

EVENT_TEXTS = {
    "created": "反映问题",
    "assigned": "分派给 {person}",
    "supplemented": "补充情况",
    "reporter_linked": "另一位居民（{name}）反映了同一问题",
    "marked_urgent": "标记为紧急",
    "leader_notified": "通知网格长 {person}",
    "parent_notified": "通知上级 {unit}",
    "accepted": "受理",
    "resolved": "办结",
    "escalated": "上报至 {to_unit}",
    "whistled": "吹哨至 {to_unit}",
    "transferred": "转派给 {to}",
    "reopened": "重新办理",
    "rejected": "驳回",
    "closed": "关闭（{satisfaction}）",
    "rated": "评价：{rating}",
    "commented": "备注",
    "type_changed": "类型更正为【{to_name}】",
    "overdue_reminded": "超时提醒",
    "overdue_at_top": "超时，已提醒{unit}负责人",
    "followup_recorded": "回访（{satisfaction}）",
}

# -- rating --------------------------------------------------------------------------
RATE_THANKS = "感谢您的评价（{rating}）！"
RATE_CLOSED = "工单 #{number} 已办结归档，欢迎继续监督。"
RATE_WAIT_OTHERS = "工单 #{number} 还在等待其他反映人评价。"
RATE_NOT_REPORTER = "只有反映该问题的居民可以评价工单 #{number}。"
RATE_NOT_RESOLVED = "工单 #{number} 当前状态为【{status}】，办结后才能评价。"
RATE_ALREADY = "您已经评价过工单 #{number}（{rating}），感谢！"
RATE_WHICH = "您有多张待评价的工单（{numbers}），请注明工单号，例如：评价 {example} 满意"
RATE_HOW = "请回复“满意”“基本满意”或“不满意”，例如：评价 {number} 满意"
RATE_NOTHING = "您目前没有待评价的工单。"

# -- supervision (督办) ----------------------------------------------------------------
OVERDUE_HEAD = "【超时提醒】"
OVERDUE_ACCEPT = "以下工单已超过受理时限："
OVERDUE_RESOLVE = "以下工单已超过办结时限："
OVERDUE_LINE = "\n#{number}【{type_name}】{text}（超时 {late}）"
OVERDUE_TAIL = "\n请尽快处理；{grace}后仍未处理将自动上报督办。"
OVERDUE_TAIL_TOP = "\n请尽快处理。"
OVERDUE_NOBODY = "（无人负责）"
AUTO_ESCALATE_REASON_ACCEPT = "超时未受理，系统自动上报督办"
AUTO_ESCALATE_REASON_RESOLVE = "超时未办结，系统自动上报督办"
AUTO_ESCALATED_HEAD = "【督办】以下工单超时未处理，已自动上报至{unit}："
AUTO_ESCALATED_LINE = "\n#{number}【{type_name}】{origin}：{text}（{why}）"
AUTO_ESCALATED_ASK = "\n请 "
AUTO_ESCALATED_ASK_TAIL = " 受理：回复“接单 工单号”。"
AT_TOP_HEAD = "【督办】以下工单在{unit}超时未处理，已无更高一级可上报，请 "
AT_TOP_TAIL = " 督促办理："

# -- duplicates ----------------------------------------------------------------------
LINKED = "已有居民反映过这个问题（工单 #{number}【{type_name}】），已把您登记为共同反映人，"
LINKED_TAIL = " 正在处理，结果会一并告知您。"
LINKED_NO_ASSIGNEE = "工作人员会一并处理，结果会一并告知您。"

STAFF_HELP = (
    "网格助手·工作人员命令（工单号可写 128 或 #128；回复机器人关于某工单的消息时可省略工单号）：\n"
    "接单 128 —— 受理工单\n"
    "办结 128 处理结果 —— 办结并请居民评价\n"
    "上报 128 原因 —— 上报上一级（网格→村/社区→镇网格中心）\n"
    "吹哨 128 部门 {whistles} 事由 —— 镇网格中心派给职能部门\n"
    "转派 128 姓名 说明 —— 转给本单位其他人员\n"
    "重办 128 原因 —— 重新办理\n"
    "驳回 128 原因 —— 不予受理（网格长）\n"
    "备注 128 内容 —— 记录处理情况\n"
    "改类型 128 类型 —— 更正分类\n"
    "回访 128 满意 情况 —— 记录回访\n"
    "待办 —— 我的待办工单\n"
    "工单 128 —— 查看详情和处理记录\n"
    "走访 户号 情况 / 线上走访 户号 情况 —— 记录联户走访；走访清单 —— 近期该走访的户\n"
    "通知 内容 —— 向本单位及下属各群发通知（网格长、书记）；通知到 单位,#标签 内容；通知回执 —— 送达和“收到”情况\n"
    "说事清单 —— 支部说事日议题；说事结果 议题号 答复 —— 记录结果；说事转办 议题号 说明 —— 转为工单\n"
    "Telegram 也可用 /accept /resolve /escalate /whistle /transfer /reopen /reject /comment /settype "
    "/followup /todo /ticket /visit /contact /visits /topics /topicresult /topicticket。"
)
RESIDENT_HELP_TAIL = (
    "\n4. 发送“我的工单”查看进度；办结后回复“满意”“基本满意”或“不满意”评价处理结果。"
    "\n5. 每月支部说事日前，可发送“说事 您想说的事”提交议题，书记会当面回应。"
)

WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")

# -- talk day (支部说事日) ---------------------------------------------------------------
TALK_NOTICE = ("【支部说事日预告】{unit}{month}月支部说事日定于 {date} {time} 在{place}举行，{host}现场听取大家的"
               "烦心事、揪心事和好建议。{shifted}\n"
               "想说的事可以直接回复本消息，或发送“说事 您想说的事”提前告诉我们，急事难事优先安排。")
TALK_SHIFTED = "（原定 {nominal}为休息日，顺延举行。）"
TALK_HOST = "{name}"
TALK_NO_HOST = "村（社区）党组织负责人"
TALK_TODAY = ("【今日支部说事日】今天 {time} 在{place}召开支部说事日，{host}现场接待。"
              "目前已收集议题 {count} 条；还没来得及提的，可以现场说，也可以继续发送“说事 您想说的事”。")
TALK_TOPICS_HEAD = "【说事议题清单】"
TALK_TOPICS_BODY = " 今天 {time} 的支部说事日共收集议题 {count} 条（急事难事 {urgent} 条，已排在最前）："
TALK_TOPICS_NONE = " 今天 {time} 的支部说事日暂未收到议题。"
TALK_TOPIC_LINE = "\n{i}. 议题 #{id}{urgent} {text} —— {resident}（{grid}）"
TALK_TOPICS_MORE = "\n…… 另有 {more} 条，发送“说事清单”查看全部。"
TALK_TOPICS_TAIL = "\n会后请发送“说事结果 议题号 答复内容”记录结果，需要办理的发送“说事转办 议题号 说明”转为工单。"
TALK_TOPIC_ACK = ("已收到您的说事议题（#{id}），将在 {date} {time} {place}的支部说事日上由{host}当面回应，"
                  "结果也会在这里告诉您。")
TALK_TOPIC_EMPTY = "请在“说事”后面写上您想说的事，例如：说事 村口的路灯坏了半个月，晚上出行不便"
TALK_NO_UNIT = "本群所在的村（社区）暂未设置支部说事日，有问题可以直接在群里反映，我会转给网格员。"
TALK_PRIVATE = "请在您所在网格的群里发送“说事 您想说的事”，以便转给本村（社区）的支部说事日。"
TALK_LIST_HEAD = "{unit} {date} 支部说事日议题 {count} 条（{open} 条待答复）："
TALK_LIST_LINE = "\n#{id}{urgent} {text} —— {resident}【{status}】"
TALK_LIST_EMPTY = "{unit} {date} 的支部说事日暂无议题。"
TALK_LIST_MORE = "\n…… 另有 {more} 条未列出。"
TALK_LIST_NEXT = "\n下一次（{date}）已收到 {count} 条。"
TALK_STATUS = {"open": "待答复", "answered": "已答复", "ticket": "已转工单"}
TALK_NEED_TOPIC_NUMBER = "请写明议题号，例如：{usage}"
TALK_TOPIC_NOT_FOUND = "没有找到议题 #{id}，请核对议题号（发送“说事清单”查看）。"
TALK_NOT_HOST = "议题 #{id} 属于{unit}的支部说事日，只有主持人和村（社区）负责人可以记录结果。"
TALK_NEED_OUTCOME = "请写上答复内容，例如：{usage}"
TALK_OUTCOME_DONE = "已记录议题 #{id} 的结果，并告知 {resident}。"
TALK_OUTCOME_TELL = "【说事反馈】"
TALK_OUTCOME_TELL_BODY = " 您在支部说事日提出的“{text}”，结果如下：{outcome}（{who}）"
TALK_ALREADY_TICKET = "议题 #{id} 已转为工单 #{number}，请在工单里跟进。"
TALK_TICKET_DONE = "已将议题 #{id} 转为工单 #{number}【{type_name}】。"
TALK_TICKET_TELL = "【说事转办】"
TALK_TICKET_TELL_BODY = " 您在支部说事日提出的“{text}”已转为工单 #{number}【{type_name}】，"
TALK_TICKET_TELL_TAIL = " 负责办理，办结后会告诉您结果。"
TALK_TICKET_NOBODY = "工作人员会尽快安排办理，办结后会告诉您结果。"

# -- daily digest ----------------------------------------------------------------------
DIGEST_HEAD = "【每日提醒】"
DIGEST_INTRO = " {date}请抓紧完成："
DIGEST_FOLLOWUPS = "\n待回访 {count} 张{overdue}："
DIGEST_VISITS = "\n待走访 {count} 户{overdue}："
DIGEST_OVERDUE_COUNT = "（其中逾期 {count}）"
DIGEST_FOLLOWUP_LINE = "\n· #{number}【{type_name}】{text}（{when}）"
DIGEST_VISIT_LINE = "\n· {name}（户号 {id}，{what}，{when}）"
DIGEST_MORE = "\n· …… 另有 {more} 项"
DIGEST_DUE_TODAY = "今天到期"
DIGEST_OVERDUE_DAYS = "逾期 {days} 天"
DIGEST_VISIT_IN_PERSON = "上门走访"
DIGEST_VISIT_CONTACT = "线上联系"
DIGEST_HOW = "\n完成后发送“回访 工单号 满意度 情况”或“走访 户号 情况”（线上联系发“线上走访 户号 情况”）。"
DIGEST_LEADER = "\n\n以下事项已逾期 {days} 天以上，请督促："
DIGEST_LEADER_LINE = "\n· {who}：{what}"
DIGEST_LEADER_FOLLOWUP = "回访 #{number}（{when}）"
DIGEST_LEADER_VISIT = "走访 {name}（{when}）"

# -- household visits (联户走访) ----------------------------------------------------------
VISIT_NEED_HOUSEHOLD = "请写明户号或户主姓名和走访情况，例如：{usage}"
VISIT_NOT_FOUND = "没有找到户“{key}”，请核对户号或户主姓名（发送“走访清单”查看您联系的户）。"
VISIT_AMBIGUOUS = "有 {count} 户都叫“{key}”，请改用户号：{choices}"
VISIT_NOT_YOURS = "{name}不在您负责的范围内，不能记录走访。"
VISIT_DONE = "已记录{name}的{what}（{date}）。"
VISIT_NEXT = "下次{what}请在 {due} 前完成。"
VISIT_LIST_HEAD = "您联系的户中，{count} 户近期需要走访："
VISIT_LIST_LINE = "\n· {name}（户号 {id}，{what}，{when}）"
VISIT_LIST_EMPTY = "您联系的户近期都不需要走访。"
VISIT_DUE_ON = "{date}前"
TODO_VISITS = "\n\n待走访（{count} 户）：{items}"

# -- broadcast notices (居民通知) ----------------------------------------------------------
NOTICE_HEAD = "【通知】"
NOTICE_TAIL = "\n——{sender}（{unit}）"
NOTICE_NOT_ALLOWED = "只有网格长、村（社区）书记和网格中心工作人员可以发布通知。"
NOTICE_EMPTY = "请在命令后写上通知内容，例如：{usage}"
NOTICE_TOO_LONG = "通知内容太长了（{chars} 字），请控制在 {limit} 字以内。"
NOTICE_TARGET_UNKNOWN = "没有找到“{item}”，请写单位编号或名称（如 东风村第一网格），或 #标签，多个用逗号隔开。"
NOTICE_TARGET_OUTSIDE = "{unit}不在您管理的范围内，通知只能发给您所在单位及下属单位的群。"
NOTICE_TARGET_EMPTY = "所选范围内没有可以发送的群。"
NOTICE_QUEUED = "通知 #{id} 已开始发送，共 {chats} 个群（{units}）。发送完毕后会在这里告诉您结果；发送“通知回执 {id}”可随时查看进度。"
NOTICE_REPORT = "【通知回执】通知 #{id}（{excerpt}）已发送完毕：共 {total} 个群，送达 {sent} 个，失败 {failed} 个。"
NOTICE_FAILED_LINE = "\n· {unit}（{channel}）：{reason}"
NOTICE_FAILED_MORE = "\n· …… 另有 {more} 个群失败"
NOTICE_ACKS = "\n已有 {acks} 人回复“收到”。"
NOTICE_STATUS = "通知 #{id}（{excerpt}）：共 {total} 个群，已送达 {sent} 个，失败 {failed} 个，待发送 {pending} 个；{acks} 人回复“收到”。"
NOTICE_STATUS_SCHEDULED = "通知 #{id}（{excerpt}）定于 {at} 发送。"
NOTICE_STATUS_GROUP = "\n· {unit}：{acks} 人收到"
NOTICE_NOT_FOUND = "没有找到通知 #{id}。"
NOTICE_NONE_YET = "您还没有发过通知。"
NOTICE_NOT_YOURS = "只能查看自己发的或本单位范围内的通知。"
NOTICE_REASON_GONE = "机器人已被移出群或群已解散"
NOTICE_REASON_OTHER = "发送失败（{detail}）"
