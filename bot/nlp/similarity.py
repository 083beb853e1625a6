"""Do two resident messages describe the same problem? Pure functions, no I/O.

Used when a new request arrives in a grid that has open tickets of the same
type: ``similarity(problem_signature(new), problem_signature(ticket_text)) >=
DUPLICATE_THRESHOLD`` links the resident to that ticket instead of opening
another one. A wrong link hides a separate problem from the worker, so the
score is built for precision: it must be high only when the words agree and
no place disagrees.

Signature (:func:`problem_signature`)
-------------------------------------
1. ``normalize_text`` (NFKC, traditional -> simplified, emoji removed),
   @-mentions dropped, at most ``MAX_ANALYSED_CHARS`` characters.
2. Places are read with patterns *before* segmentation (jieba cuts 3号楼门口
   into 3 / 号 / 楼门口) and cut out of the text: numbered places (N号楼 / N栋 /
   N幢, N单元, N楼 / N层, rooms such as 502 (which also give their floor), N组 /
   N队 of a village, N期 / N区), with Chinese numerals read as numbers (三号楼 =
   3号楼 = 3栋), lettered buildings (A座) and compass places (东门, 西头, 村北边).
3. The rest is segmented (``segment``: jieba with the domain dictionary);
   function words (pronouns, particles, fillers, measure words) are dropped.
   Tokens longer than a general word (domain phrases and configured keywords
   such as 灯不亮, 井盖丢了, 高龄补贴, and compounds such as 垃圾桶) are cut
   into general-dictionary words (灯 / 亮, 井盖 / 丢, 高龄 / 补贴, 垃圾 / 桶),
   which other wordings share.
4. Each word gets an IDF-like weight from its frequency in jieba's general
   dictionary (井盖, 化粪池 weigh more than 晚上, 问题). Words that only say
   that something is wrong or asked (坏了, 漏水, 请问, 建议: the classifier's
   request cues), generic places and intensifiers (小区, 门口, 总是: its weak
   cues) and amounts (一截, 十点) weigh less: two different problems share them.
5. Named places ("anchors"): the word before a locative (学校|门口, 水库|边上,
   工地|那边) and words ending in 边 (河边, 塘边); places relative to the
   speaker (楼下, 隔壁, 小区) are none.

Score (:func:`similarity`)
--------------------------
- Coverage of A by B: the weighted share of A's words found in B, exactly or
  partly through shared characters (路灯 / 灯, 菜市场 / 菜场, 护栏 / 栏杆 count
  the share of character weight they have in common, when at least
  ``PARTIAL_MIN``). The text score is the harmonic mean of both coverages.
- A place conflict multiplies it by ``LOCATION_CONFLICT_FACTOR``: both name a
  numbered or compass place of one kind with no value in common (3号楼 / 5号楼,
  2单元 / 3单元, 东门 / 西门), or both name anchors and no anchor of either
  occurs in the other message (学校门口 / 卫生院门口). A place named by one
  message only is no conflict: a second resident often leaves it out.
- A shared numbered or compass place and no conflict lifts the score towards 1
  by ``LOCATION_MATCH_LIFT`` (same building, same type, same time window). A
  shared anchor does not: its word already counts, and one school gate or
  market has many problems.

No synonym expansion: synonyms.txt mixes synonyms with "things of one kind"
(护栏 / 围挡 / 警示牌), and on the dev pairs it cost more precision than it
gained recall.

``benchmarks/duplicates.py`` measures precision and recall on a labelled set
of pairs (benchmarks/data/README.md); the default threshold was chosen on its
dev half only.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from . import lexicon
from .normalize import normalize_text
from .segmentation import base_frequency, get_tokenizer, segment

# Decision threshold: similarity >= this is the same problem (config can override).
DUPLICATE_THRESHOLD = 0.55

# Characters analysed per message: a report states its problem early.
MAX_ANALYSED_CHARS = 300
_MAX_RAW_CHARS = 8 * MAX_ANALYSED_CHARS
# Content words kept per message (bounds the cost of a long text).
MAX_WORDS = 40

CUE_FACTOR = 0.35           # problem predicates and speech acts (坏了, 漏水, 请问, 建议)
WEAK_CUE_FACTOR = 0.6       # generic places and intensifiers (小区, 门口, 楼下, 总是)
NUMERAL_FACTOR = 0.3        # amounts and times (一截, 十点, 三年)
PARTIAL_MIN = 0.4           # a partial match needs this share of the characters' weight
LOCATION_CONFLICT_FACTOR = 0.3
LOCATION_MATCH_LIFT = 0.3

# IDF-like weight from jieba's dictionary frequency f (total ~6e7):
# (log10(total / (f + 50)) / 6) ** 2 within [0.05, 1]: 1.0 for 井盖 (6), 0.72 for 路灯 (446),
# 0.5 for 灯 (3,400), 0.36 for 那个 (14,550), 0.14 for 的 (318,825).
_F0 = 50
_SCALE = 6.0
_POWER = 2
_W_MIN = 0.05

_MENTION_RE = re.compile(r"@[^\s@]{1,24}(?:\s+|$)")
_CONTENT_CHAR_RE = re.compile(r"[0-9A-Za-z\u3400-\u9fff]")
_PUNCT_RE = re.compile(r"^[\W_]+$")
_HAN_RE = re.compile(r"^[\u3400-\u9fff]+$")
# Longest token cut into general words (jieba's longest words are idioms of 4-7 characters).
_MAX_SPLIT = 8

# -- places ----------------------------------------------------------------------------------

# Chinese numerals as used in names (三号楼, 十一栋, 二单元). 两 counts things (两栋楼), it names none.
_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_NUM = r"(?:\d{1,4}|[零〇一二三四五六七八九十百]{1,5})"
_SUFFIX_KIND = {
    "号楼": "building", "号院": "building", "#楼": "building", "#": "building", "栋": "building", "幢": "building",
    "单元": "unit", "楼": "floor", "层": "floor", "室": "room", "组": "group", "队": "group", "期": "area", "区": "area",
}
_PLACE_RE = re.compile(
    r"(?<![\d零〇一二三四五六七八九十百两几])(" + _NUM + r")"
    r"(号楼|号院|#楼|#|栋|幢|单元|楼(?![上下梯道顶房])|层|室|组|队|期|区(?!域|别))"
    # A room number on its own: 3-4 digits, not an amount, a year, a bus line, a phone or
    # emergency number (110, 119, 120, 122).
    r"|(?<![\d.])(?!11[09]|12[02])(\d{3,4})(?![\d.%]|[元块年月日号路米斤万千个次天人分度岁多余来])"
    # Compass places: 东门, 东大门, 西头, 村北边. (东西 "thing" never matches: no suffix.)
    r"|([东西南北])(?:大门|侧门|小门|门口|门|头|边|侧)"
    # Lettered buildings: A座, B栋.
    r"|(?<![A-Za-z])([A-Za-z])(?:座|栋|幢)"
)

# Locative words: the content word right before one names a place (学校|门口, 工地|那边).
_LOCATIVES = frozenset("门口 门前 旁边 边上 附近 对面 周边 周围 那边 那里 那块 这边 外面 外头 里面 后面 后头 "
                       "前面 边 旁".split())
# Place words by their last character: 河边, 塘边, 路边 (-口 and -头 also end 户口, 石头).
_PLACE_ENDING = "边"
# Places relative to the speaker or everywhere alike: no anchor.
_DEICTIC_PLACES = frozenset("小区 村里 村 组里 队里 楼道 门口 路口 路边 附近 旁边 对面 楼下 楼上 隔壁 家里 我家 "
                            "外头 里头 上头 下头 前头 后头 这头 那头 两头 一头 心头 口头 里边 外边 这边 那边 "
                            "上边 下边 左边 右边 前边 后边 身边 手边 半边 一边".split())


def _cn_number(text: str) -> int:
    """三 -> 3, 十一 -> 11, 二十 -> 20, 一百零二 -> 102; digits as they are."""
    if text.isdigit():
        return int(text)
    total, current = 0, 0
    for ch in text:
        if ch == "十":
            total += (current or 1) * 10
            current = 0
        elif ch == "百":
            total += (current or 1) * 100
            current = 0
        else:
            current = current * 10 + _CN_DIGITS[ch]
    return total + current


def _extract_places(text: str) -> tuple[frozenset[tuple[str, int | str]], str]:
    """Numbered, lettered and compass places in ``text``, and the text with each of them
    replaced by a comma (a clause break, so that words on either side do not join)."""
    found: set[tuple[str, int | str]] = set()
    pieces: list[str] = []
    last = 0
    for m in _PLACE_RE.finditer(text):
        number, suffix, room, compass, letter = m.groups()
        if compass is not None:
            found.add(("compass", compass))
        elif letter is not None:
            found.add(("building", letter.upper()))
        else:
            kind, value = ("room", int(room)) if room is not None else (_SUFFIX_KIND[suffix], _cn_number(number))
            if kind == "room":
                if value % 100 == 0:  # 300, 2000: an amount; rooms are numbered from X01
                    continue
                if value > 100:
                    found.add(("floor", value // 100))  # 502 is on the fifth floor
            found.add((kind, value))
        pieces.append(text[last:m.start()])
        pieces.append(",")
        last = m.end()
    if not pieces:
        return frozenset(), text
    pieces.append(text[last:])
    return frozenset(found), "".join(pieces)


# -- words -------------------------------------------------------------------------------------

# Function words: they say nothing about which problem it is.
_STOPWORDS = frozenset("""
的 地 得 之 了 着 过 吧 啊 呀 呢 吗 嘛 么 哦 喔 噢 哈 啦 喽 嘞 咯 呗 哇 诶 哎 唉 嗯 呐 哟 滴 咧 勒 撒
我 我们 我家 俺 俺们 咱 咱们 你 你们 您 他 她 它 他们 她们 它们 大家 各位 人家 自己 谁 某 有人 别人 人
这 那 这个 那个 这些 那些 这里 那里 这儿 那儿 这边 那边 这块 那块 这样 那样 这种 那种 哪 哪里 哪个 哪儿
啥 什么 咋 怎么 怎样 如何 为啥 为什么 多少 几 啥子 么子
麻烦 请 请问 一下 下 谢谢 谢了 感谢 辛苦 帮忙 帮 拜托 劳驾 网格员 居民助理 社区 村里 领导
也 都 还 又 再 就 才 只 很 太 好 挺 真 最 更 非常 特别 有点 有些 一点 已经 一直 总是 老是 经常 天天 每天
现在 刚才 刚刚 今天 昨天 明天 前天 最近 这几天 这两天 几天 好几天 一天 每次 马上 赶紧 尽快 快 还是
和 跟 与 及 或 或者 而且 但是 可是 不过 因为 所以 如果 然后 而 并
在 从 到 把 被 给 对 向 往 让 叫 比 由 于 为 用 离
能 会 要 想 可以 能不能 可不可以 是 是不是 有 有没有 没 没有 不 别 莫得 冇 应该 需要 估计 好像 可能
个 只 条 根 盏 块 些 点 次 回 家 位 个人 一 一个 一些 半 多 第 等 之类
""".split())
# Request cues (classifier lexicon): strong and medium ones say a problem exists or a question is
# asked (坏了, 漏水, 请问); weak ones are generic places and intensifiers (小区, 门口, 总是).
_CUE_WORDS = frozenset(w for w, weight in lexicon.REQUEST_CUES.items() if weight > 0.3)
_WEAK_CUES = frozenset(w for w, weight in lexicon.REQUEST_CUES.items() if weight <= 0.3)
# Frequency given to a cue that jieba's dictionary lacks, when cutting a long token.
_CUE_FREQUENCY = 100
_NUMERAL_CHARS = frozenset("0123456789零〇一二两三四五六七八九十百千万几半多每")


@lru_cache(maxsize=65536)
def _idf(word: str) -> float:
    value = (math.log10(get_tokenizer().total / (base_frequency(word) + _F0)) / _SCALE) ** _POWER
    return min(1.0, max(_W_MIN, value))


def _split_frequency(word: str) -> int:
    """Frequency used to cut long tokens: jieba's general dictionary, and the request cues
    (不亮, 坏掉, 没人管) as words of their own so that they keep their lower weight."""
    return base_frequency(word) or (_CUE_FREQUENCY if word in _CUE_WORDS or word in _WEAK_CUES else 0)


@lru_cache(maxsize=65536)
def _general_words(token: str) -> tuple[str, ...]:
    """``token`` cut into shorter words of jieba's general dictionary.

    Long tokens (灯不亮, 井盖丢了, 高龄补贴, 垃圾桶, 健身器材) are compared by their
    parts (灯 / 亮, 井盖 / 丢, 高龄 / 补贴, 垃圾 / 桶), which other wordings share
    (路灯, 井盖, 补贴, 垃圾); a two-character token is kept when it is a general word
    or a request cue.
    Same dynamic programme as jieba (most probable path).
    """
    if (len(token) < 2 or len(token) > _MAX_SPLIT or (len(token) == 2 and _split_frequency(token))
            or not _HAN_RE.match(token)):
        return (token,)
    tokenizer = get_tokenizer()
    logtotal = math.log(tokenizer.total)
    n = len(token)
    best: list[tuple[float, int]] = [(0.0, n)] * (n + 1)
    for k in range(n - 1, -1, -1):
        candidates = []
        for j in range(k + 1, n + 1):
            freq = _split_frequency(token[k:j]) if j - k < n else 0
            if freq or j == k + 1:
                candidates.append((math.log(freq or 1) - logtotal + best[j][0], j))
        best[k] = max(candidates)
    out = []
    k = 0
    while k < n:
        j = best[k][1]
        out.append(token[k:j])
        k = j
    return tuple(out)


@lru_cache(maxsize=65536)
def _weight(token: str) -> float:
    """Weight of one content word (a general-dictionary word or a single character)."""
    weight = _idf(token)
    if token in _CUE_WORDS:
        weight *= CUE_FACTOR
    elif token in _WEAK_CUES:
        weight *= WEAK_CUE_FACTOR
    elif token[0] in _NUMERAL_CHARS and len(token) <= 3:
        weight *= NUMERAL_FACTOR
    return weight


@lru_cache(maxsize=65536)
def _char_weight_sum(word: str) -> float:
    return sum(_idf(c) for c in word)


@lru_cache(maxsize=131072)
def _partial(a: str, b: str) -> float:
    """Share of character weight two different words have in common (路灯 / 灯: 0.62), 0 below PARTIAL_MIN."""
    common = set(a) & set(b)
    if not common:
        return 0.0
    value = sum(_idf(c) for c in common) / max(_char_weight_sum(a), _char_weight_sum(b))
    return value if value >= PARTIAL_MIN else 0.0


@dataclass(frozen=True)
class ProblemSignature:
    """What :func:`similarity` compares.

    ``text``: the analysed text (normalised, mentions removed, truncated).
    ``words``: content words -> weight. ``places``: numbered and compass places as
    (kind, value), e.g. ("building", 3), ("compass", "东"). ``anchors``: named places
    (学校, 河边). ``index``: character -> words containing it (for partial matches).
    """

    text: str
    words: Mapping[str, float] = field(default_factory=dict, compare=False)
    total: float = 0.0
    places: frozenset[tuple[str, int | str]] = frozenset()
    anchors: frozenset[str] = frozenset()
    index: Mapping[str, tuple[str, ...]] = field(default_factory=dict, compare=False, repr=False)


def problem_signature(text: str) -> ProblemSignature:
    """The signature of one raw message (any string; never raises)."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    analysed = normalize_text(text[:_MAX_RAW_CHARS])
    if "@" in analysed:
        analysed = _MENTION_RE.sub(" ", analysed).strip()
    analysed = analysed[:MAX_ANALYSED_CHARS]
    if not _CONTENT_CHAR_RE.search(analysed):
        return ProblemSignature(analysed)
    places, rest = _extract_places(analysed)
    words: dict[str, float] = {}
    anchors: set[str] = set()
    previous = ""  # the last content token, "" after punctuation or a cut-out place
    for token in segment(rest):
        if _PUNCT_RE.match(token):
            previous = ""
            continue
        if token in _LOCATIVES:
            if previous and previous not in _DEICTIC_PLACES:
                anchors.add(previous)
            previous = ""
            continue
        if token in _STOPWORDS:
            continue
        if len(token) >= 2 and token[-1] == _PLACE_ENDING and token not in _DEICTIC_PLACES:
            anchors.add(token)
        previous = token
        for word in _general_words(token):
            if word not in words and word not in _STOPWORDS and len(words) < MAX_WORDS:
                words[word] = _weight(word)
    index: dict[str, list[str]] = {}
    for word in words:
        for ch in set(word):
            index.setdefault(ch, []).append(word)
    return ProblemSignature(analysed, words, sum(words.values()), places, frozenset(anchors),
                            {ch: tuple(ws) for ch, ws in index.items()})


def _best_match(word: str, b: ProblemSignature) -> float:
    """1.0 when ``b`` has ``word``, else the best partial match (0 when none)."""
    if word in b.words:
        return 1.0
    best = 0.0
    for ch in word:
        for other in b.index.get(ch, ()):
            value = _partial(word, other) if word < other else _partial(other, word)
            if value > best:
                best = value
    return best


def _coverage(a: ProblemSignature, b: ProblemSignature) -> float:
    """Weighted share of a's words found in b."""
    got = 0.0
    for word, weight in a.words.items():
        got += weight * _best_match(word, b)
    return got / a.total


def _place_relation(a: ProblemSignature, b: ProblemSignature) -> tuple[bool, bool]:
    """(conflict, shared numbered or compass place)."""
    conflict = shared = False
    if a.places and b.places:
        kinds: dict[str, tuple[set, set]] = {}
        for kind, value in a.places:
            kinds.setdefault(kind, (set(), set()))[0].add(value)
        for kind, value in b.places:
            if kind in kinds:
                kinds[kind][1].add(value)
        for values_a, values_b in kinds.values():
            if values_b:
                if values_a.isdisjoint(values_b):
                    conflict = True
                else:
                    shared = True
    if not conflict and a.anchors and b.anchors:
        conflict = (not any(_best_match(w, b) for w in a.anchors)
                    and not any(_best_match(w, a) for w in b.anchors))
    return conflict, shared


def similarity(a: ProblemSignature, b: ProblemSignature) -> float:
    """How surely ``a`` and ``b`` describe the same problem, in [0, 1]; symmetric."""
    if not a.total or not b.total:
        return 1.0 if a.text and a.text == b.text else 0.0
    ca, cb = _coverage(a, b), _coverage(b, a)
    score = 2.0 * ca * cb / (ca + cb) if ca + cb else 0.0
    conflict, shared = _place_relation(a, b)
    if conflict:
        score *= LOCATION_CONFLICT_FACTOR
    elif shared:
        score += LOCATION_MATCH_LIFT * (1.0 - score)
    return 0.0 if score < 0.0 else 1.0 if score > 1.0 else score
