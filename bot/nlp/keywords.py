"""Keyword evidence: what the configured keywords and the built-in lexicon find in a message.

The learned model (model.py) reads it in two ways: the per-type keyword scores
``s_t`` steer the type head with one shared weight, and four type-independent
numbers (``Evidence.vector``) help the request and urgent heads.

Matching
--------
One pass finds every keyword, synonym of a keyword (synonyms.txt), request cue
and chit-chat cue (colloquial 啦/喽/嘞/咯 read as 了); a keyword strictly
inside a longer matched keyword is dropped (垃圾 inside 垃圾桶). Token
boundaries from jieba tell a word hit (路灯 as a word) from a substring hit
(偷 inside 偷偷摸摸).

Scores (evidence units)
-----------------------
Type score ``s_t`` = sum over the distinct keywords of type t found, of
``w(len) * a * syn * spec``:

- ``w`` = 0.35 for one character, 1.0 for two, 1.25 for three, 1.5 for four or
  more: one common character (臭, 偷, 坑) never decides alone;
- ``a`` = 1 when the hit starts and ends on token boundaries, else 0.3 (one
  character), 0.5 (two) or 0.8 (longer);
- ``syn`` = 1 for a configured keyword, 0.8 for a word that shares a line of
  synonyms.txt with one;
- ``spec`` = specificity from the word's frequency in jieba's general
  dictionary, like an IDF: ``clamp(1.3 - 0.15 * log10(freq), 0.7, 1.15)``.

Request cues ``R`` (坏了, 没人管, 反映, 请问, 好几天, 太…了 ...; strong 0.8,
medium 0.5, weak 0.3, each distinct cue once; one-character cues only as whole
tokens; a cue that is also a matched keyword counts half):
``R = min(1.5, strong + medium + min(0.6, weak))``. Chit-chat cues ``C``
(adverts and prices 1.5, small talk 0.8, notice words 0.5, weather 0.4,
activity words 0.3; none inside a longer keyword or cue): ``C = min(3, sum)``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from . import lexicon
from .matcher import LiteralMatcher, drop_contained
from .normalize import normalize_text
from .segmentation import add_words, base_frequency

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
_KEYWORDS_CAP = 3.0
_PARTICLES = str.maketrans({"啦": "了", "喽": "了", "嘞": "了", "咯": "了"})
_HAS_PARTICLE = re.compile("[啦喽嘞咯]")


@dataclass(frozen=True)
class Evidence:
    """What the lexicon found in one message."""

    scores: tuple[float, ...]         # per configured type
    cues: float                       # R
    chat: float                       # C
    hits: tuple[int, ...]             # distinct keywords found, per type
    keyword_positions: tuple[tuple[int, int, str], ...]   # (type index, position, keyword)
    cue_words: tuple[tuple[int, str], ...]                # (position, cue) of strong and medium cues

    def vector(self, urgent_rule: bool) -> tuple[float, ...]:
        """model.EVIDENCE: cues, chat, total keyword score (capped), one lone keyword and no cue,
        whether an emergency rule fired."""
        total = sum(self.scores)
        best = max(range(len(self.scores)), key=self.scores.__getitem__) if self.scores else 0
        lone = 1.0 if self.scores and self.hits[best] == 1 and self.cues == 0.0 else 0.0
        return (self.cues, self.chat, min(_KEYWORDS_CAP, total), lone, 1.0 if urgent_rule else 0.0)


class _Entry:
    """Everything one matched word means: type keyword(s), request cue, chit-chat cue."""

    __slots__ = ("word", "types", "cue", "chat")

    def __init__(self, word: str) -> None:
        self.word = word
        self.types: dict[int, float] = {}  # type index -> weight of a whole-token hit
        self.cue = 0.0
        self.chat = 0.0


class KeywordScorer:
    """Finds configured keywords and lexicon cues. Immutable and thread-safe after construction."""

    def __init__(self, keywords_per_type: Sequence[Sequence[str]], *, extra_tokens: Sequence[str] = ()) -> None:
        self.type_count = len(keywords_per_type)
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
        for i, keywords in enumerate(keywords_per_type):
            direct = [kw for kw in dict.fromkeys(normalize_text(k) for k in keywords) if kw]
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
        # Configured keywords become tokens. Synonyms do not: they are matched as
        # substrings, and as dictionary words they would split their neighbours (路/灯坏了).
        add_words(sorted(direct_words | {normalize_text(t) for t in extra_tokens if t}))

    def evidence(self, analysed: str, tokens: Sequence[str]) -> Evidence:
        """``tokens`` are all jieba tokens of ``analysed`` (whitespace included), in order."""
        boundaries = {0}
        offset = 0
        for token in tokens:
            offset += len(token)
            boundaries.add(offset)
        # Colloquial particles read as 了 for matching only (坏啦 -> 坏了); same length, same offsets.
        matching = analysed.translate(_PARTICLES) if _HAS_PARTICLE.search(analysed) else analysed
        found = self._matcher.find(matching)
        type_occ = [o for o in found if o[2].types]
        cue_occ = [o for o in found if o[2].cue]

        # Type scores: each distinct keyword once, at its best hit.
        n = self.type_count
        kept = drop_contained(type_occ)
        best_hit: dict[tuple[int, str], float] = {}
        hit_pos: dict[tuple[int, str], int] = {}
        for start, end, e in kept:
            whole = start in boundaries and end in boundaries
            factor = 1.0 if whole else _PARTIAL_FACTOR.get(end - start, _LONG_PARTIAL_FACTOR)
            for idx, weight in e.types.items():
                key = (idx, e.word)
                if weight * factor > best_hit.get(key, 0.0):
                    best_hit[key] = weight * factor
                hit_pos.setdefault(key, start)
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
        positions = tuple(sorted(((idx, pos, word) for (idx, word), pos in hit_pos.items()), key=lambda p: p[1]))
        return Evidence(tuple(scores), cues, chat, tuple(hits), positions, tuple(sorted(cue_words)))


def _specificity(frequency: int) -> float:
    """Keyword factor from its general-language frequency: rare words count more."""
    value = _SPEC_AT_ONE - _SPEC_SLOPE * math.log10(max(frequency, 1))
    return min(_SPEC_MAX, max(_SPEC_MIN, value))
