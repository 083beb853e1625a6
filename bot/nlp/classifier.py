"""Request classification: is a chat message a request, of which type, is it urgent?

Keyword scoring, no trained model. The types and their keywords come from the
configuration (they can be renamed, added or removed); everything built in is
type-independent (lexicon.py, synonyms.txt).

Pipeline
--------
1. ``normalize_text`` (NFKC, traditional -> simplified, emoji and placeholders
   removed); @-mentions followed by a space are dropped. Only the first
   ``MAX_ANALYSED_CHARS`` (500) characters are analysed: a report states its
   problem early, and the cap bounds the cost of a pasted 10,000-character text.
2. Not a request, at once: no letter, digit or CJK character left; a message
   made only of chit-chat words (收到, 好的, 谢谢, 大家早上好, 哈哈哈); a
   broadcast (【停水通知】..., 温馨提示:..., 接镇里通知...).
3. jieba tokens (domain dictionary plus every configured keyword); token
   boundaries tell a word hit (路灯 as a word) from a substring hit (偷 inside
   偷偷摸摸).
4. One pass finds every keyword, synonym of a keyword (synonyms.txt), request
   cue and chit-chat cue (colloquial 啦/喽/嘞/咯 read as 了); a keyword strictly
   inside a longer matched keyword is dropped (垃圾 inside 垃圾桶).

Scores (evidence units)
-----------------------
Type score ``S_t`` = sum over the distinct keywords of type t found, of
``w(len) * a * syn * spec``:

- ``w`` = 0.35 for one character, 1.0 for two, 1.25 for three, 1.5 for four or
  more: one common character (臭, 偷, 坑) never decides alone, a specific phrase
  (飞线充电, 高空抛物) counts more than an object word (路灯);
- ``a`` = 1 when the hit starts and ends on token boundaries, else 0.3 (one
  character), 0.5 (two) or 0.8 (longer);
- ``syn`` = 1 for a configured keyword, 0.8 for a word that shares a line of
  synonyms.txt with one (synonyms and words of the same kind: 返臭 for 臭,
  扶手 for 健身器材); a configured keyword thus widens to its whole line;
- ``spec`` = specificity from the word's frequency in jieba's general
  dictionary, like an IDF: ``clamp(1.3 - 0.15 * log10(freq), 0.7, 1.15)``, so
  everyday words (老人, 困难, 建议) count less than rare ones (井盖, 化粪池).

Request cues ``R`` (坏了, 没人管, 反映, 请问, 好几天, 太…了, 说了也不听, ...;
strong 0.8, medium 0.5, weak 0.3, each distinct cue once; one-character cues
only as whole tokens; a cue that is also a matched keyword counts half):
``R = min(1.5, strong + medium + min(0.6, weak))``.
Chit-chat cues ``C`` (adverts and prices 1.5, small talk and personal gadgets
0.8, notice words 0.5, weather 0.4, activity words 0.3; each distinct cue once;
none inside a longer keyword or cue, so 通知 in 也没个通知 does not count):
``C = min(3, sum)``.

With ``b`` the best type, ``O`` the other types' total and ``L`` = 0.35 when the
only evidence is one keyword (a topic, not yet a report), else 0::

    z          = S_b + 0.3 * min(1, O) + R - C - L
    p          = 1 / (1 + exp(-2 * (z - 1.6)))          # "this is a request"
    share      = S_b / (S_b + S_second)                 # 0.5 (tie) .. 1 (clear)
    confidence = p * (0.55 + 0.45 * share)

The message is a request of type ``b`` when ``S_b > 0`` and ``confidence >=
min_confidence``; at the default 0.35 that is ``z`` >= ~1.3 for a clear type:
an object word plus a problem cue (路灯 + 坏了), two keywords, or one long
specific keyword. Otherwise the type is None and the returned confidence is
``1 - confidence`` (the confidence that it is not a request).

Urgency (urgency.py) is decided independently. An urgent message is always a
request: its type is the best type when ``S_b >= 1`` (a whole keyword), else
``urgent_default_type`` (the first configured type if that is not one); its
confidence is at least 0.8.

Ties between types go to more whole-token hits, then the earlier first hit,
then configuration order.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import lexicon
from .matcher import LiteralMatcher, drop_contained
from .normalize import normalize_text
from .segmentation import add_words, base_frequency, tokenize
from .urgency import UrgencyDetector

if TYPE_CHECKING:
    from bot.config import Config

# Characters analysed per message (after normalisation); see the module docstring.
MAX_ANALYSED_CHARS = 500
# Raw characters normalised at most: normalisation only shortens text (emoji,
# placeholders, whitespace), so 8x the analysed length is plenty.
_MAX_RAW_CHARS = 8 * MAX_ANALYSED_CHARS

_LENGTH_WEIGHT = {1: 0.35, 2: 1.0, 3: 1.25}
_LONG_WEIGHT = 1.5
_PARTIAL_FACTOR = {1: 0.3, 2: 0.5}
_LONG_PARTIAL_FACTOR = 0.8
_SYNONYM_FACTOR = 0.8
# Specificity: 1.0 for a word seen ~100 times in jieba's dictionary, 0.85 at 1,000,
# 0.7 at 10,000 and above (建议, 组织), at most 1.15 for words it does not know.
_SPEC_AT_ONE, _SPEC_SLOPE, _SPEC_MIN, _SPEC_MAX = 1.3, 0.15, 0.7, 1.15

_CUE_CAP = 1.5
_WEAK_CUE = 0.3 + 1e-9
_WEAK_CUE_CAP = 0.6
_OVERLAP_CUE_FACTOR = 0.5
_CHAT_CAP = 3.0
_OTHER_TYPES_FACTOR = 0.3
_LONE_KEYWORD_DISCOUNT = 0.35
_SLOPE = 2.0
_MIDPOINT = 1.6
_URGENT_MIN_CONFIDENCE = 0.8
_URGENT_OWN_TYPE_SCORE = 1.0
_CHITCHAT_CONFIDENCE = 0.98

_CHITCHAT_MAX_CORE = 40
_RUN_RE = re.compile(r"(.)\1{2,}")
_MENTION_RE = re.compile(r"@[^\s@]{1,24}(?:\s+|$)")
_CONTENT_RE = re.compile(r"[0-9A-Za-z\u3400-\u9fff]")
_CORE_STRIP_RE = re.compile(r"[\W_]+")
_PARTICLES = str.maketrans({"啦": "了", "喽": "了", "嘞": "了", "咯": "了"})
_HAS_PARTICLE = re.compile("[啦喽嘞咯]")


@dataclass(frozen=True)
class TypeSpec:
    """One request type as the classifier sees it."""

    key: str
    name: str
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class Classification:
    """The decision for one message.

    ``text`` is the analysed text (normalised, mentions removed, at most
    MAX_ANALYSED_CHARS characters). ``type`` is None when the message is not a
    request; ``confidence`` is then the confidence that it is not one.
    ``scores`` has every type key with its raw score; ``matched`` lists the
    keywords, cues and urgent triggers that decided, in text order.
    """

    text: str
    type: str | None
    name: str | None
    confidence: float
    urgent: bool
    tokens: tuple[str, ...] = ()
    scores: dict[str, float] = field(default_factory=dict)
    matched: tuple[str, ...] = ()


class _Entry:
    """Everything one matched word means: type keyword(s), request cue, chit-chat cue."""

    __slots__ = ("word", "types", "cue", "chat")

    def __init__(self, word: str) -> None:
        self.word = word
        self.types: dict[int, float] = {}  # type index -> weight of a whole-token hit
        self.cue = 0.0
        self.chat = 0.0


class Classifier:
    """Classifies chat messages against configured request types. Thread-safe after construction."""

    def __init__(self, types: Sequence[TypeSpec], *, urgent_keywords: Sequence[str] = (),
                 urgent_default_type: str | None = None, min_confidence: float = 0.35,
                 builtin_urgent_patterns: bool = True) -> None:
        if not types:
            raise ValueError("at least one request type is required")
        keys = [t.key for t in types]
        if len(set(keys)) != len(keys):
            raise ValueError(f"duplicate request type keys in {keys}")
        if not 0.0 <= min_confidence <= 1.0:
            raise ValueError("min_confidence must be within [0, 1]")
        self.types: tuple[TypeSpec, ...] = tuple(types)
        self.min_confidence = float(min_confidence)
        self._index = {t.key: i for i, t in enumerate(self.types)}
        self.urgent_default_type = urgent_default_type if urgent_default_type in self._index else keys[0]

        groups_of: dict[str, list[frozenset[str]]] = {}
        for group in lexicon.synonym_groups():
            for word in group:
                groups_of.setdefault(word, []).append(group)
        entries: dict[str, _Entry] = {}

        def entry(word: str) -> _Entry:
            if word not in entries:
                entries[word] = _Entry(word)
            return entries[word]

        direct_words: set[str] = set()
        for i, spec in enumerate(self.types):
            direct = [kw for kw in dict.fromkeys(normalize_text(k) for k in spec.keywords) if kw]
            expanded = {w for kw in direct for g in groups_of.get(kw, ()) for w in g} - set(direct)
            direct_words.update(direct)
            for word, factor in [(kw, 1.0) for kw in direct] + [(w, _SYNONYM_FACTOR) for w in sorted(expanded)]:
                weight = _LENGTH_WEIGHT.get(len(word), _LONG_WEIGHT) * factor * _specificity(base_frequency(word))
                e = entry(word)
                e.types[i] = max(e.types.get(i, 0.0), weight)
        for cue, weight in lexicon.REQUEST_CUES.items():
            entry(cue).cue = weight
        for cue, weight in lexicon.CHAT_CUES.items():
            entry(cue).chat = weight
        self._matcher: LiteralMatcher[_Entry] = LiteralMatcher(entries)
        self._cue_patterns = tuple((re.compile(p), w) for p, w in lexicon.REQUEST_CUE_PATTERNS)
        self._chat_patterns = tuple((re.compile(p), w) for p, w in lexicon.CHAT_CUE_PATTERNS)
        self._broadcast = re.compile(lexicon.BROADCAST_PATTERN)
        urgent = [normalize_text(k) for k in urgent_keywords]
        self.urgency = UrgencyDetector([k for k in urgent if k], builtin_patterns=builtin_urgent_patterns)
        # Configured keywords become tokens. Synonyms do not: they are matched as
        # substrings, and as dictionary words they would split their neighbours (路/灯坏了).
        add_words(sorted(direct_words | set(self.urgency.keywords)))

    @classmethod
    def from_config(cls, cfg: Config) -> Classifier:
        """Build from a loaded ``bot.config.Config``."""
        types = [TypeSpec(key=key, name=rt.name, keywords=tuple(rt.keywords))
                 for key, rt in cfg.request_types.items()]
        return cls(types, urgent_keywords=tuple(cfg.urgent.keywords), urgent_default_type=cfg.urgent.default_type,
                   min_confidence=cfg.intake.min_confidence)

    # -- classification ------------------------------------------------------------------------
    def classify(self, text: str) -> Classification:
        if not isinstance(text, str):
            text = "" if text is None else str(text)
        normalized = normalize_text(text[:_MAX_RAW_CHARS])
        if "@" in normalized:
            normalized = _MENTION_RE.sub(" ", normalized).strip()
        analysed = normalized[:MAX_ANALYSED_CHARS]
        if not _CONTENT_RE.search(analysed):
            return Classification(analysed, None, None, 1.0, False, (), self._zero_scores(), ())
        all_tokens = tokenize(analysed)
        tokens = tuple(t for t in all_tokens if not t.isspace())
        if _is_chitchat(analysed) or self._broadcast.search(analysed):
            return Classification(analysed, None, None, _CHITCHAT_CONFIDENCE, False, tokens, self._zero_scores(), ())

        boundaries = {0}
        offset = 0
        for token in all_tokens:
            offset += len(token)
            boundaries.add(offset)
        # Colloquial particles read as 了 for matching only (坏啦 -> 坏了); same length, same offsets.
        matching = analysed.translate(_PARTICLES) if _HAS_PARTICLE.search(analysed) else analysed
        found = self._matcher.find(matching)
        type_occ = [o for o in found if o[2].types]
        cue_occ = [o for o in found if o[2].cue]

        # Type scores: each distinct keyword once, at its best hit.
        n = len(self.types)
        kept = drop_contained(type_occ)
        best_hit: dict[tuple[int, str], float] = {}
        hit_pos: dict[tuple[int, str], int] = {}
        whole_hits = [0] * n
        first_hit = [MAX_ANALYSED_CHARS] * n
        for start, end, e in kept:
            whole = start in boundaries and end in boundaries
            factor = 1.0 if whole else _PARTIAL_FACTOR.get(end - start, _LONG_PARTIAL_FACTOR)
            for idx, weight in e.types.items():
                key = (idx, e.word)
                if weight * factor > best_hit.get(key, 0.0):
                    best_hit[key] = weight * factor
                if key not in hit_pos:
                    hit_pos[key] = start
                if whole:
                    whole_hits[idx] += 1
                if start < first_hit[idx]:
                    first_hit[idx] = start
        scores = [0.0] * n
        hits = [0] * n
        for (idx, _), weight in best_hit.items():
            scores[idx] += weight
            hits[idx] += 1

        # Request cues: each distinct cue once.
        strong_medium = weak = 0.0
        cue_words: list[tuple[int, str]] = []
        seen: set[str] = set()
        for start, end, e in drop_contained(cue_occ):
            if e.word in seen or (end - start == 1 and not (start in boundaries and end in boundaries)):
                continue
            seen.add(e.word)
            weight = e.cue
            if any(k[0] <= start and end <= k[1] for k in kept):
                weight *= _OVERLAP_CUE_FACTOR  # the same characters already count as a keyword
            if weight <= _WEAK_CUE:
                weak += weight
            else:
                strong_medium += weight
                cue_words.append((start, e.word))
        for pattern, weight in self._cue_patterns:
            m = pattern.search(matching)
            if m:
                if weight <= _WEAK_CUE:
                    weak += weight
                else:
                    strong_medium += weight
                    cue_words.append((m.start(), m.group(0)))
        cues = min(_CUE_CAP, strong_medium + min(_WEAK_CUE_CAP, weak))

        # Chit-chat cues: each distinct cue once, none inside a longer keyword or cue.
        chat_seen: set[str] = set()
        chat = 0.0
        for start, end, e in found:
            if e.chat and e.word not in chat_seen:
                length = end - start
                if not any(o[1] - o[0] > length and o[0] <= start and end <= o[1] and (o[2].types or o[2].cue)
                           for o in found):
                    chat_seen.add(e.word)
                    chat += e.chat
        for pattern, weight in self._chat_patterns:
            if pattern.search(analysed):
                chat += weight
        chat = min(_CHAT_CAP, chat)

        # Decision.
        order = sorted(range(n), key=lambda i: (-scores[i], -whole_hits[i], first_hit[i], i))
        best = order[0]
        s_best = scores[best]
        s_second = scores[order[1]] if n > 1 else 0.0
        lone = _LONE_KEYWORD_DISCOUNT if (hits[best] == 1 and cues == 0.0) else 0.0
        z = s_best + _OTHER_TYPES_FACTOR * min(1.0, sum(scores) - s_best) + cues - chat - lone
        p_request = 1.0 / (1.0 + math.exp(-_SLOPE * (z - _MIDPOINT)))
        share = s_best / (s_best + s_second) if s_best > 0 else 0.5
        confidence = p_request * (0.55 + 0.45 * share)

        triggers = self.urgency.triggers(analysed)
        score_map = {t.key: scores[i] for i, t in enumerate(self.types)}
        if triggers:
            chosen = best if s_best >= _URGENT_OWN_TYPE_SCORE else self._index[self.urgent_default_type]
            confidence = max(confidence, _URGENT_MIN_CONFIDENCE)
        elif s_best > 0 and confidence >= self.min_confidence:
            chosen = best
        else:
            matched = tuple(dict.fromkeys(w for _, w in sorted(cue_words)))
            return Classification(analysed, None, None, _clamp(1.0 - confidence), False, tokens, score_map, matched)
        spec = self.types[chosen]
        decided = [(pos, word) for (idx, word), pos in hit_pos.items() if idx == chosen]
        decided += cue_words
        decided += [(analysed.find(t), t) for t in triggers]
        matched = tuple(dict.fromkeys(w for _, w in sorted(decided)))
        return Classification(analysed, spec.key, spec.name, _clamp(confidence), bool(triggers), tokens, score_map,
                              matched)

    def explain(self, text: str) -> Mapping[str, Any]:
        """A JSON-friendly view of :meth:`classify` (for logs and the CLI)."""
        result = self.classify(text)
        return {"text": result.text, "type": result.type, "name": result.name,
                "confidence": round(result.confidence, 4), "urgent": result.urgent,
                "tokens": list(result.tokens), "matched": list(result.matched), "scores": dict(result.scores)}

    def _zero_scores(self) -> dict[str, float]:
        return {t.key: 0.0 for t in self.types}


def _specificity(frequency: int) -> float:
    """Keyword factor from its general-language frequency: rare words count more."""
    value = _SPEC_AT_ONE - _SPEC_SLOPE * math.log10(max(frequency, 1))
    return min(_SPEC_MAX, max(_SPEC_MIN, value))


_CHAT_CHARS = frozenset("".join(lexicon.CHAT_WORDS))


def _is_chitchat(analysed: str) -> bool:
    """Whether the message splits completely into chit-chat words.

    Punctuation and spaces are ignored, letters lower-cased and runs of one
    character cut to two (哈哈哈哈 -> 哈哈). A word-break DP, because a regex
    ``(?:a|b|...)+`` backtracks exponentially on long 哈哈哈... messages.
    """
    core = _CORE_STRIP_RE.sub("", analysed).lower()
    if len(core) > 4 * _CHITCHAT_MAX_CORE:
        return False
    core = _RUN_RE.sub(r"\1\1", core)
    if len(core) > _CHITCHAT_MAX_CORE or not _CHAT_CHARS.issuperset(core):
        return False
    words, longest, n = lexicon.CHAT_WORDS, lexicon.CHAT_WORD_MAX, len(core)
    reachable = [False] * (n + 1)
    reachable[0] = True
    for i in range(n):
        if reachable[i]:
            for j in range(i + 1, min(n, i + longest) + 1):
                if core[i:j] in words:
                    reachable[j] = True
    return reachable[n]


def _clamp(value: float) -> float:
    return 0.0 if value < 0.0 else 1.0 if value > 1.0 else value
