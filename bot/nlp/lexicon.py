"""Built-in, type-independent word lists.

Nothing here names a request type: types and their keywords live in
config.yaml and can be renamed, added or removed. What is built in is what any
grid chat shares whatever its types are:

- request cues: words that make a message a report or a question to the grid
  (problem predicates such as 坏了 / 没人管, speech acts such as 反映 / 请问,
  persistence such as 好几天 / 一直);
- chit-chat: whole messages that are pure chatter (收到, 好的, 大家早上好) and
  partial cues of adverts, forwarded notices and small talk;
- urgency: emergency patterns beyond the configured keywords, and the guards
  that keep drills, publicity, negations, past events and hypotheticals from
  raising an alarm;
- platform bracket codes removed by normalisation;
- synonym groups (synonyms.txt): a configured keyword also matches its
  synonyms, whatever type it belongs to.

Weights are in "evidence units" (see classifier.py): one aligned two-character
type keyword is worth 1.0.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

# --------------------------------------------------------------------------------------
# Normalisation: bracket codes
# --------------------------------------------------------------------------------------

# Placeholders that chat platforms put in place of media, and WeChat / QQ emoticon codes
# (the generic rule in normalize.py removes any other 1-4 character bracketed code).
BRACKET_CODES: frozenset[str] = frozenset("""
图片 语音 表情 动画表情 视频 文件 链接 位置 红包 转账 名片 小程序 聊天记录 语音通话 视频通话 音乐 直播 卡片消息
收藏 引用 撤回 拍一拍 群公告 系统消息 消息 该消息已撤回 暂不支持该消息类型 图片消息 语音消息 视频消息 表情消息
微笑 撇嘴 色 发呆 得意 流泪 害羞 闭嘴 睡 大哭 尴尬 发怒 调皮 呲牙 惊讶 难过 酷 冷汗 抓狂 吐 偷笑 愉快 白眼 傲慢
饥饿 困 惊恐 流汗 憨笑 悠闲 奋斗 咒骂 疑问 嘘 晕 疯了 衰 骷髅 敲打 再见 擦汗 抠鼻 鼓掌 糗大了 坏笑 左哼哼
右哼哼 哈欠 鄙视 委屈 快哭了 阴险 亲亲 吓 可怜 菜刀 西瓜 啤酒 篮球 乒乓 咖啡 饭 猪头 玫瑰 凋谢 嘴唇 爱心 心碎
蛋糕 闪电 炸弹 刀 足球 瓢虫 便便 月亮 太阳 礼物 拥抱 强 弱 握手 胜利 抱拳 勾引 拳头 差劲 爱你 爱情 飞吻 跳跳
发抖 怄火 转圈 磕头 回头 跳绳 投降 激动 乱舞 献吻 左太极 右太极 嘿哈 捂脸 奸笑 机智 皱眉 耶 吃瓜 加油 汗 天啊
社会社会 旺柴 好的 打脸 哇 翻白眼 让我看看 叹气 苦涩 裂开 爆竹 烟花 福 發 发 鸡 合十 庆祝 破涕为笑 吐舌 无语
失望 恐惧 生病 脸红 笑脸 囧 嘿嘿 哈哈 奸笑 666 好的 加油加油 汗 悠闲 小纠结 骚扰 右哼 左哼 哼 亲 睡觉 偷看 呆
sticker photo image voice video file link location gif emoji animated sticker audio document contact poll
ok no facepalm smile grin hug thumbsup
""".split())

# A bracketed word that is a tag the resident chose ([求助] 路灯坏了) keeps its word.
MEANINGFUL_BRACKET_WORDS: frozenset[str] = frozenset(
    "求助 紧急 急 急急急 投诉 报修 咨询 建议 举报 反映 求救 救命 报警 求援 申请 问题 隐患 维修".split())

# --------------------------------------------------------------------------------------
# Request cues (type-independent evidence that a message asks for something)
# --------------------------------------------------------------------------------------

_STRONG = 0.8   # an explicit act of reporting or asking for action
_MEDIUM = 0.5   # a problem predicate or a question
_WEAK = 0.3     # persistence, intensity, mild asks; common in chatter too


def _weights(weight: float, words: str) -> dict[str, float]:
    return {w: weight for w in words.split()}


REQUEST_CUES: dict[str, float] = {
    **_weights(_STRONG, """
        反映 反应一下 投诉 举报 报修 求助 求救 请求 恳请 申请 诉求 没人管 没有人管 没人处理 没人修 没人来
        无人管 无人管理 无人处理 不管不问 不闻不问 管一管 管管 管一下 处理一下 解决一下 处理下 解决下 尽快处理
        尽快解决 赶紧处理 赶快处理 及时处理 帮忙解决 帮忙处理 帮忙协调 协调一下 来看看 过来看看 来看一下
        派人 上门看看 给个说法 讨个说法 登记一下 帮忙登记 有人管吗 谁来管 谁管 找谁 怎么没人 也没人 都没人
        多次反映 反映过 打过电话 打了电话 一直没人 至今没 还没修 还没处理 还没解决 没修好 没解决 修一下
        看一下 来修 快点修 赶紧修 派个人 麻烦网格员 麻烦社区 麻烦村里 麻烦处理 麻烦看看 麻烦看一下 麻烦问一下
        麻烦帮忙 求帮忙 帮帮忙 帮帮我们 救救 太危险了 很危险 非常危险 存在隐患 有隐患 安全隐患
    """),
    **_weights(_MEDIUM, """
        坏了 坏掉 损坏 破了 破损 烂了 断了 漏了 漏水 渗水 堵了 堵住 堵死 堵塞 塞了 不亮 不通 不能用 用不了 没法用
        不出水 没水 没电 停水 停电 丢了 被偷 被盗 被骗 被打 被咬 臭 脏 乱 吵 危险 隐患 严重 影响 受不了 扰民 困难
        漏 堵 坏 破 碎 断 裂 丢 偷 骗 塌 晃
        怎么办 咋办 怎么弄 怎么处理 怎么回事 请问 咨询 问一下 问下 想问 打听一下 能不能 可不可以 能否 可否
        是否可以 帮忙 帮帮 麻烦 希望 建议 提议 提个建议 盼望 恳求 拜托 好几天 好多天 多少天 几天了 好久了
        好长时间 半个月 一个多月 几个月 大半年 多次 反复 屡次 三番五次 迟迟 一直没
        整夜 半夜 深夜 凌晨 乱扔 乱倒 乱停 乱放 乱堆 乱搭 乱建 乱拉 到处都是 满地 一地
        又坏 又堵 又停 又漏 又来 不安全 出事 出了事 谁负责 有没有人 哪个部门
        睡不着 没法睡 上不了 下不了 进不去 出不去 过不去 走不了 不方便 太不方便 恶心 呛人 熏得 刺鼻 难闻 吓人
        讲不通 说不通 跟我急 跟我吵 不理睬 不理 没个通知 没通知 没人接 打不通 取消了 被取消 不给办 办不了
        发黄 浑浊 铁锈味 卡住了 裂开了 口子 冲垮 冲松 出事 要出事 恐怕 一股 味道 全是
        看不见 看不清 不正常 不对劲 不管 也不管 不听 没人理 没有人理 协调 帮忙看看 帮忙问问 不给 不退 不赔 不还钱
        怀疑 好几回 几回了 好几次 几次了 都不听 不改 不管用 没用 咋整 怎么过 成问题
        不合理 不公平 太过分 过分 欺负 不认账 耍赖 不像话 不同意 有意见 忍不了 没法过 没法住 影响休息 影响出行
        影响生活 影响睡觉 失灵 不灵 故障 松了 歪了 裂了 塌了 溢出来 流出来 冒出来 满了 发黑 发臭 死光 生锈
        晃得厉害 随时会 随时可能 吓死人 没着落 撑不下去 过不下去 没地方住 不能自理 没钱 交不起 看不起
    """),
    **_weights(_WEAK, """
        总是 老是 天天 每天 经常 整天 还没 至今 担心 害怕 什么时候 何时 多久 每晚 不敢 没法 没办法
        一直 还是 又 太 特别 非常 真的 实在 根本 到底 究竟 为什么 为啥 凭什么 吗 呢 好不好 行不行 可以吗 行吗
        了吗 没有 没人 无人 我家 我们家 我们村 我们小区 我们这 村里 小区 楼道 门口 路口 附近 旁边 对面
        居民 村民 业主 群众 网格 组里 队里 楼下 楼上 隔壁 村口 路边 河边
    """),
}

# Regular-expression cues: (pattern, weight). Matched on the normalised text.
REQUEST_CUE_PATTERNS: tuple[tuple[str, float], ...] = (
    (r"太[\u4e00-\u9fff]{1,4}了", _MEDIUM),                                 # 太吵了, 太危险了
    (r"(?:[一二两三四五六七八九十几多好半整]|\d+)(?:个多|多|个|整)?(?:天|周|星期|礼拜|个月|月|年|上午|下午|晚上|晚|夜|宿|小时)"
     r"(?:了|都|还|没|以来|多了)", _MEDIUM),                                 # 好几天了, 一上午了
    # Damage done to something: 压碎了, 撞歪了, 冲垮了, 全黑了.
    (r"(?:压|撞|砸|冲|刮|吹|烧|泡|冻|踩|挖|拆|弄|摔|锈|蛀|震|淹|晒|挤)(?:坏|碎|断|倒|塌|垮|裂|歪|烂|松|破|掉|没|空|翻|穿)了?"
     r"|(?:全|都|又|还)(?:黑|坏|断|塌|漏|堵|臭|脏|烂|停)了", _MEDIUM),
    # Something cannot be done: 关不紧, 拧不动, 进不来, 联系不上, 凑不出来, 打不通.
    (r"(?:关|拧|打|开|进|出|上|下|走|用|修|联系|凑|交|锁|冲|推|拉|转|过|住|睡|接|找)不(?:紧|开|动|来|去|上|下|通|出|进|着|到|起|住|了)", _MEDIUM),
    # Told them, nothing changed: 说了也不听, 说了好几次还骂人.
    (r"(?:说|讲|反映|打电话|找)(?:了|过)[\u4e00-\u9fff]{0,5}(?:也|还|都)(?:不|没|骂|跟我|凶)", _STRONG),
    (r"(?:快|赶紧|赶快|尽快|马上)(?:来|派|修|处理|解决|管|看)", _STRONG),
    (r"(?:怎么|为什么|咋)(?:还|又|老|总|一直)?(?:没|不)(?:人)?(?:管|修|处理|解决|来)", _STRONG),
    (r"(?:能|可以|可不可以|能不能)(?:帮|给|派|安排|来|处理|解决|修)", _MEDIUM),
    (r"[吗呢么][?？]?$|[?？]$", _WEAK),                                      # a question
    (r"^(?:我|我们)?(?:建议|提议|提个建议|提个意见|希望|请问|反映|投诉|举报|求助|咨询|想问|问一下|麻烦)", _STRONG),
    (r"被(?:人|谁|他|她|他们|他家|别人)[\u4e00-\u9fff]{1,3}了", _MEDIUM),                          # 被人撬了, 被人砸了
    (r"有人(?:在|往|把|将|偷偷|天天|经常|总是|老是|晚上|半夜|乱|私自|擅自|冒充|假冒|拿|用|开车|骑|拦)", _MEDIUM),  # 有人往河里倒垃圾
    (r"(?:怎么|如何|在哪里?|去哪里?|到哪里?)(?:上|领|交|缴|办|弄|补|申请|报|查|开|转|算|登记)", _STRONG),
    (r"(?:到现在|至今|现在)(?:都|还)?(?:没|不)", _MEDIUM),
    (r"(?:能|可以)(?:领|报|办|补|转|查|享受|申请)(?:吗|么|多少)", _MEDIUM),
    (r"需要(?:带|开|准备|交|办)(?:什么|哪些)", _MEDIUM),
    (r"(?:很|非常|特别|十分|太|好|真|实在)(?:艰难|困难|危险|脏|臭|乱|吵|差劲|不方便|严重|可怜|恶心|不安全|吓人|黑)", _MEDIUM),
)

# --------------------------------------------------------------------------------------
# Chit-chat
# --------------------------------------------------------------------------------------

# Whole-message chatter: a message that splits completely into these words (after
# punctuation and spaces are removed, letters lower-cased and any run of one character
# cut to two: 哈哈哈哈 -> 哈哈, 嗯嗯嗯 -> 嗯嗯) is never a request.
CHAT_WORDS: frozenset[str] = frozenset("""
收到 收到了 已收到 已阅 已读 已知悉 知悉 好 好的 好滴 好嘞 好哒 好吧 好呀 好啊 好哦 好了 好好 好的呢 行 行吧 行行
可以 可以的 ok okay okk 嗯 嗯嗯 嗯呢 恩 恩恩 哦 哦哦 噢 喔 额 呃 啊 啊啊 哈 哈哈 呵 呵呵 嘿 嘿嘿 嘻 嘻嘻 哇 哇哇 耶
呀 咯 啦 哟 嘛 吧 呢 的 了 6 66 是 是的 是啊 是是 对 对的 对啊 对呀 对对 没错 没问题 明白 明白了 了解 了解了
知道 知道了 晓得 晓得了 懂了 清楚 清楚了 谢 谢谢 谢谢你 谢谢你们 谢谢您 谢谢大家 谢谢各位 多谢 感谢 非常感谢
十分感谢 万分感谢 谢了 谢啦 感恩 辛苦 辛苦了 辛苦啦 大家 各位 你们 领导 网格员 书记 主任 社区 村里 您 你 我 咱们
早上 上午 中午 下午 晚上 早 早安 早啊 早呀 晚安 午安 你好 您好 hello hi 哈喽 在吗 在不在 在的 在 吃了 吃了吗
吃了没 吃饭了吗 吃饭了没 吃过了 赞 赞赞 点赞 顶 支持 加油 棒 真棒 厉害 牛 给力 同意 附议 +1 1 已办 办好了 搞定
解决了 修好了 弄好了 没事了 没事 不客气 客气了 应该的 不用谢 哪里哪里 欢迎 欢迎新人 欢迎加入 欢迎入群 快乐
新年 春节 元旦 中秋 国庆 端午 元宵 节日 生日 周末 五一 七夕 圣诞 重阳 假期 恭喜 发财 恭喜发财 万事如意
身体健康 阖家幸福 阖家欢乐 合家幸福 大吉大利 心想事成 一路平安 平安 吉祥 同乐 同喜 祝福 祝 分享 转发 谢谢分享
收藏 路过 围观 笑死 笑死我了 绝了 真的吗 真的假的 是吗 这样啊 原来如此 好吃 好看 好玩 可爱 漂亮 美 好美 太美了
真好 不错 挺好 很好 么么哒 晚上见 明天见 拜拜 再见 回头见 走了 来了 到了 我到了 我来了 马上到 等等我 稍等 等一下
一会儿 马上 哈喽大家好 早上好 上午好 中午好 下午好 晚上好 大家好 大家早 都 也 和 啦啦 嘻嘻嘻 呀呀 哦哦哦
""".split())
CHAT_WORD_MAX = max(len(w) for w in CHAT_WORDS)

# Partial chatter cues that subtract evidence: adverts and sales, forwarded notices,
# greetings and small talk. A resident report rarely carries these.
CHAT_CUES: dict[str, float] = {
    # Adverts, sales, jobs, "help me cut the price" links.
    **_weights(1.5, """
        出售 转让 低价 特价 优惠 促销 打折 折扣 批发 代购 包邮 团购 接龙 预订 预定 订购 有需要的 需要的联系
        需要的私聊 欢迎选购 欢迎订购 欢迎来电 欢迎咨询 加微信 加我微信 私聊 扫码 二维码 联系电话 联系方式 上门服务
        诚信经营 价格实惠 价格优惠 质量保证 欢迎惠顾 一斤 元一斤 块一斤 一箱 土鸡蛋 鸡蛋 土鸡 鸭蛋 蜂蜜 腊肉 香肠
        自家种 自家养 农家 新鲜采摘 现摘 招聘 招工 日结 兼职 砍一刀 帮我砍 助力 拼多多 帮忙点 点一下 投一票
        链接 直播间 下单 秒杀 抢购 领券 红包 抢红包 发红包 保险理财 贷款 专业疏通 专业维修 承接
    """),
    # Forwarded notices and staff broadcasts (a notice's opening is caught by CHAT_CUE_PATTERNS).
    **_weights(0.5, """
        通知 公告 通告 温馨提示 特此 周知 告知 转告 相互转告 互相转告 各位居民 各位村民 广大居民 广大村民 全体居民
        全体村民 各位业主 广大群众 各位家长 请大家 请各位 敬请 届时 预计 恢复供水 恢复供电 计划停 停水通知 停电通知
        接上级 根据上级 按照上级 按照要求 根据要求 倡议 倡议书 报名 截止 疫苗接种 核酸 转发 扩散 请转发 务必
        以下 如下 附件 参会 宣讲 演练 演习 表彰 评选 先进 工作动态 提前储水 储水 带来不便 敬请谅解 给您带来
    """),
    # Activity words: notices carry them, but so do residents' suggestions (组织培训).
    **_weights(0.3, "会议 开会 培训 讲座 宣传 活动 主题 志愿者 检修 计划"),
    # Greetings, wishes, small talk and feelings.
    **_weights(0.8, """
        早上好 上午好 中午好 下午好 晚上好 晚安 节日快乐 生日快乐 新年快乐 恭喜 祝福 祝大家 祝你 哈哈 呵呵 嘻嘻
        笑死 搞笑 表情包 么么哒 亲爱的 宝宝 宝贝 男朋友 女朋友 男神 女神 偶像 明星 粉丝 微博 追剧 电视剧 综艺
        好看 好吃 好玩 可爱 喜欢 爱你 想你 开心 快乐 幸福 羡慕 嫉妒 哈哈哈 啊啊啊 嘤嘤 晒 美食 旅游 旅行 自拍
        帅 颜值 萌 减肥 健身 游戏 打游戏 王者 吃鸡 加班 同学 闺蜜 兄弟们 姐妹们
        晚饭 午饭 早饭 喝茶 火锅 奶茶 咖啡 电影 听歌 歌曲 做梦 梦见 哭了 感动
    """),
    # Personal gadgets: "手机坏了" is not a matter for the grid.
    **_weights(0.8, "手机 苹果手机 电脑 笔记本 平板 耳机 相机 游戏机 充电宝 手表 键盘 鼠标 衣服 鞋子 包包 口红"),
    # Weather talk (weak: heavy rain can come with real flooding reports).
    **_weights(0.4, "天气 气温 降温 升温 下雪 好冷 好热 太热 太冷 晴天 阴天 雾霾 台风 穿衣 天冷 天热"),
}

# A broadcast (a notice forwarded or posted to the group): 【停水通知】, 通知:, 温馨提示:,
# 接镇里通知 at the start. Never a request, and not an emergency report either.
BROADCAST_PATTERN = (r"^(?:【[^】]{0,12}(?:通知|公告|提示|提醒|告知|通告|须知|公示|预警|倡议)[^】]{0,8}】"
                     r"|[^,，。!！?？:：]{0,10}(?:通知|公告|提示|提醒|通告|须知|公示)\s*[:：]"
                     r"|(?:接|根据|按照)[^,，。]{0,12}(?:通知|要求|部署))")

CHAT_CUE_PATTERNS: tuple[tuple[str, float], ...] = (
    (r"(?<!\d)1[3-9]\d{9}(?!\d)", 0.8),          # a mobile number: adverts and notices carry them
    (r"https?://|www\.", 1.5),                    # links
    (r"^【[^】]{1,12}】", 0.8),                    # a notice title like 【停水通知】
    (r"\d+\s*(?:元|块)(?:钱)?(?:一|每)?(?:斤|个|箱|件|份|只|袋|盒)", 1.5),  # prices
    (r"(?:哈){3,}|(?:呵){3,}|(?:嘻){3,}|(?:啊){3,}", 0.8),
)

# --------------------------------------------------------------------------------------
# Urgency
# --------------------------------------------------------------------------------------

# Built-in emergency patterns, used besides the configured urgent keywords. Each is a
# regular expression over the normalised text; [^...] stays inside one clause.
_CLAUSE = r"[^。！？!?；;\n]"


def _gap(most: int) -> str:
    """Up to ``most`` characters of one clause with no hedge in them: "房子快塌了",
    "电线会冒烟", "打架没动刀" are no emergencies."""
    return r"(?:(?!快|会|可能|容易|差点|险些|怕|担心|没|不(?!小心|知道|停)|别|防|万一|如果)[^。！？!?；;\n]){0,%d}" % most


URGENT_PATTERNS: tuple[str, ...] = (
    # Fire.
    r"(?:着火|起火|失火|火灾|烧起来了?|燃起来了?|火烧起来|冒浓烟|浓烟滚滚|火很大|火好大|火太大)",
    r"(?:房子?|屋|楼|车|厨房|仓库|山|林子|树林|草垛|柴房|柴堆|电动车|电瓶车|配电箱|电表箱|电线|插座|变压器|电箱)"
    + _gap(4) + r"(?:烧起来|烧着了|冒烟|冒火|起火|着火|燃起来)",
    # Gas.
    r"(?:煤气|燃气|天然气|液化气|瓦斯)" + _gap(4) + r"(?:泄漏|泄露|外泄|漏了|漏气|味(?:道)?(?:很|好|特别|非常|太)?(?:大|重|浓|冲))",
    r"(?:煤气|燃气|天然气|液化气|瓦斯)味",
    r"(?:煤气|燃气|一氧化碳)中毒",
    # Water.
    r"(?:有人|小孩|孩子|小朋友|学生|老人|娃|人)" + _gap(6) + r"(?:落水|溺水|淹死|淹着|掉(?:进|到|在|下)?(?:了)?(?:河|水|塘|湖|井|水库|池塘|水沟|粪池|化粪池|江|海))",
    r"(?:落水|溺水)",
    # Knife or club fights: a fight word within ten characters of a weapon, either order.
    r"(?:打架|斗殴|打起来|干起来|打人|砍|捅|行凶|闹事|群殴|互殴|追着打|追着砍|动手)" + _gap(10)
    + r"(?:刀|棍|棒|斧|铁锹|锄头|砖头|酒瓶|钢管|铁棍)",
    r"(?:刀|棍|棒|斧头|斧子|铁锹|锄头|钢管|铁棍)" + _gap(10)
    + r"(?:打架|斗殴|打起来|干起来|打人|砍人|捅人|砍伤|捅伤|行凶|伤人|追着)",
    r"(?:持刀|拿刀|动刀|提刀|拎刀|拿着刀|拿菜刀|砍人|捅人|砍伤|捅伤|行凶|杀人|砍死|捅死)",
    # Collapse.
    r"(?:房子?|墙|围墙|楼|屋顶|屋|桥|山体|挡土墙|土坡|天花板|吊顶|棚|脚手架|隧道|路面|地面|电线杆|塔吊|老房)"
    + _gap(6) + r"(?:塌|垮|倒了(?![好一很许大些堆车垃])|倒下来|砸到人|砸伤)",
    r"(?:倒塌|坍塌|塌方|垮塌|塌陷了|山体滑坡|泥石流|滑坡了)",
    r"(?:房子|人|车|屋|家)" + _gap(6) + r"(?:被)?(?:埋了|埋在|压住了|压在下面|压在底下)",
    # People trapped (lifts, rubble).
    r"(?:电梯|里面|屋里|楼里|井里|废墟)" + _gap(6) + r"(?:困着|困了|关着|卡着)(?:人|个人|一个人|老人|小孩|孩子)",
    # Electric shock.
    r"(?:触电|被电(?:到|击|打|倒)|电死|电晕)",
    # Calls for help, life at risk.
    r"(?:救命|快来人|来人啊|快救人|快救救|出人命|要出人命|人命关天|快打120|快打119|快打110|叫救护车|打120|打119|"
    r"喊救护车|昏迷|晕倒|不省人事|没有呼吸|没呼吸|没气了|流了好多血|流了很多血|血流不止|大出血|抽搐|口吐白沫|"
    r"被困|困在|爆炸)",
    # Fire and smoke described rather than named: 冒黑烟, 全是烟, 火苗蹿出来, 越烧越大, 喷火, 点着了.
    r"(?:冒黑烟|冒浓烟|(?:全|都)是烟(?![头草味])|满屋(?:子)?烟|浓烟|火苗|火舌|火光|喷火|窜火|蹿火|越烧越大|烧得很大|火越来越大|点着了|烧着了)",
    r"(?:车|车库|外机|空调|电瓶|电池|柴堆|柴禾|仓库|厨房|店|屋|房)" + _gap(3) + r"着了(?!凉)",
    # Explosions, gas hissing: 砰一声炸了, 轰的一声, 嘶嘶响 / 喷气 near gas.
    r"(?:砰|轰|嘭)[^。！？!?；;\n]{0,6}(?:炸|爆)|(?:炸了|爆了)[^。！？!?；;\n]{0,10}(?:受伤|伤了|全是烟|玻璃|火)",
    r"(?:煤气|燃气|天然气|液化气)" + _gap(8) + r"(?:爆|炸|嘶嘶|喷气|往外喷|挖断|挖破)",
    # Someone hurt, unconscious, bleeding, not moving.
    r"(?:一动不动|不动弹|叫不醒|叫不应|怎么叫都|没反应了|人事不省|嘴唇(?:都)?紫|倒地(?:上)?起不来|血流了一地|满头(?:是)?血|头上全是血|在流血|直流血|还在流血|大量出血)",
    r"(?:遭电打|被电打|电打了|遭雷劈|被雷劈)",
    # Weapons and attacks in progress: 耍刀子, 把人攮了, 拿棍子打, 拿铁锤砸, 泼汽油.
    r"(?:耍刀|攮了|扎了人|把人(?:扎|捅|砍|攮|打倒|打伤)|拿(?:着)?(?:棍子|棒子|钢管|铁锤|锤子|砖头|碎酒瓶|酒瓶|球棍|棒球棍|铁棍|镰刀|斧头)"
    r"[^。！？!?；;\n]{0,8}(?:打|砸|追|围|扎|捅|砍))",
    r"(?:泼(?:了)?汽油|浇(?:了)?汽油|汽油[^。！？!?；;\n]{0,8}(?:打火机|点火|要点))",
    r"(?:撬门进来|闯进来|翻进来)[^。！？!?；;\n]{0,10}(?:人还在|还在屋|还在家|在客厅|躲)",
    # People in the water or trapped: 掉下去, 落到河, 没上来, 困在电梯, 卡住里面有人.
    r"(?:掉下去|掉进去|落到河|落进河|掉河|掉塘|掉井|冲走了|没上来|沉下去)",
    r"(?:电梯|车里|屋里|楼里|里面)" + _gap(8) + r"(?:关着|困着|出不来)",
    r"(?:卡住|卡在|困住|关住)[^。！？!?；;\n]{0,10}(?:里面|有人|小孩|孩子|老人)",
    # Poisoning: charcoal, pesticide.
    r"(?:烧炭|喝(?:了)?农药|吃(?:了)?老鼠药|喝(?:了)?敌敌畏)",
    r"(?:翻到栏杆外|站在(?:楼顶|天台|桥上|栏杆外)|不想活了)",
    # Someone about to take their own life: only with a person as subject ("跳楼" alone is a joke).
    r"(?:有人|有个人|一个人|男的|女的|男子|女子|小孩|孩子|老人|小伙|姑娘|邻居|他|她)" + _gap(8)
    + r"(?:跳楼|跳河|跳江|跳水库|轻生|自杀|喝农药|割腕|上吊)",
)

# Phrases that contain a trigger but are not emergencies; the trigger inside is ignored.
URGENT_VETO_COMPOUNDS: tuple[str, ...] = tuple("""
救命稻草 救命钱 救命恩人 救命之恩 救命药 救命啊哈 笑到晕倒 笑晕 帅晕 美晕 萌晕 甜晕 塌房 人设崩塌 崩塌 信心崩塌
到爆炸 得爆炸 都爆炸 要爆炸 就爆炸 会爆炸 原地爆炸 被困得 困得 信息爆炸 爆炸头 脑袋爆炸 脑子爆炸 心态爆炸 朋友圈爆炸 消息爆炸 头要爆炸 爆炸性 爆炸新闻 要爆炸了 快爆炸了 气炸了 炸了锅 炸锅 炸毛 炸鸡 油炸 炸酱 炸串 炸街
炸裂 炸弹 火爆 上火 着火点 引起火灾 引发火灾 导致火灾 造成火灾 火灾隐患 火灾风险 火灾事故 火灾预防 火灾报警
打不着火 点不着火 不着火 打不着 点不着 防火 消防 灭火器 灭火 火警 火灾演练 起火原因 失火原因 着火原因 困在家 困在家里 困在路上 困在这
自杀式 杀人游戏 狼人杀 剧本杀 杀人犯 杀人案 杀了我吧 笑杀 秒杀 砍价 砍一刀 砍树 砍柴 砍竹子 砍伐 刀削面 开刀
防溺水 溺水事故 溺水身亡事件 落水狗 淹没 淹死了算了 困在网 爆炸案 炸了吧 电死我了 电晕了 被电到了心
""".split())

# Words right before a trigger (same clause, up to a few characters away) that negate it or
# make it a hazard, a worry or a hypothesis rather than an emergency happening now.
URGENT_NEGATIONS: tuple[str, ...] = tuple("""
没有 没 不是 并非 并没 并未 未 不会 不要 别 防止 预防 谨防 严防 避免 以免 防范 以防 防 杜绝 小心 当心 注意 容易 易
可能 可能会 会不会 会 万一 如果 假如 假设 要是 一旦 若 怕 担心 害怕 恐怕 差点 差一点 险些 几乎 好像要 快要 都要
有关 关于 针对 禁止 不准 不得 不能 严禁 提防 应对 处置 万一发生 以后 将来 今后
""".split())

# Message-level context that turns emergency words into talk about safety: drills,
# publicity, training, media, dreams, games. Ignored when an alarm (below) is present.
URGENT_CONTEXT_GUARDS: tuple[str, ...] = tuple("""
演练 演习 应急演 模拟 宣传 宣讲 培训 讲座 科普 知识 教育 警示 温馨提示 注意事项 须知 应急预案 预案 倡议
安全月 安全周 主题活动 公开课 课堂 班会 家长会 新闻 报道 电视剧 电视 电影 小说 动画 游戏 做梦 梦见 梦到 视频里
比赛 考试 作文 题目 歌词 故事 段子 表情包 模拟器 消防站开放日 开放日
""".split())

# Past and hypothetical markers: an emergency word after one of these (same sentence)
# is about an event that is over or imagined.
URGENT_PAST_MARKERS: tuple[str, ...] = tuple("""
上次 上回 那次 那回 以前 之前 从前 去年 前年 当年 那年 曾经 小时候 几年前 多年前 上个月 上礼拜 上周 历史上
前段时间 前阵子 前些天 前几天 前两天 几天前 上个星期 上星期 那天 遭了 遭遇 遭受 经历过 发生过
""".split())
URGENT_CONDITIONAL_MARKERS: tuple[str, ...] = tuple("""
如果 假如 假设 万一 要是 一旦 若是 倘若 假使 设想 比如 例如 譬如
""".split())
# A question about what to do when something happens: "遇到有人落水应该怎么办".
URGENT_PROCEDURE_QUESTION = (r"(?:遇到|碰到|遇上|发生|出现)[^。！？!?]*(?:怎么办|怎么做|如何|应该|该怎么|怎样|怎么处理)"
                             r"|(?:怎么|如何|怎样)(?:预防|防止|避免|应对|处理|处置|自救|逃生|急救|施救)")

# After a trigger: a follow-up about the event, not the event itself.
URGENT_AFTER_VETO = (r"^(?:了)?(?:的(?:事|事情|问题|赔偿|损失|补偿|处理|调查|善后|原因|责任|那家|人家)|后|以后|之后)"
                     r"|^(?:怎么办|怎么处理|如何处理|怎么做|该怎么|应该怎么|时怎么|时应该|时如何|的时候)")

# Alarms: when present, context guards (drill, publicity) do not cancel urgency.
URGENT_ALARMS: tuple[str, ...] = tuple("""
快来人 来人啊 救命 快救 快报警 快打 赶紧来 快来 赶快来 快点来 赶紧报警 马上来 现在 正在 刚刚 刚才 打119 打120 打110
""".split())

# Figurative "救命" / "晕" / "炸" in small talk: laughter and gushing next to the trigger.
URGENT_FIGURATIVE_NEIGHBOURS: tuple[str, ...] = tuple("""
哈哈 呵呵 嘻嘻 笑死 好笑 可爱 好看 好帅 好美 绝了 心动 磕到 嘤嘤 啊啊啊 太甜 好甜 爱了 萌 男神 女神 偶像 演技
太好听 好听 追剧 剧情 颜值 哭了 笑哭 泪目 心疼 吓死 萌死 美死 帅死 羡慕 笑到 笑得 笑话 搞笑 太逗 好逗
""".split())


# --------------------------------------------------------------------------------------
# Synonyms
# --------------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def synonym_groups() -> tuple[frozenset[str], ...]:
    """The groups of synonyms.txt (one group per line)."""
    text = resources.files(__package__).joinpath("synonyms.txt").read_text(encoding="utf-8")
    groups = []
    for line in text.splitlines():
        words = line.split("#", 1)[0].split()
        if len(words) > 1:
            groups.append(frozenset(words))
    return tuple(groups)
