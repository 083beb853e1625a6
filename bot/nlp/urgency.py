"""Urgency: is something dangerous happening right now?

Decided independently of the request type. A trigger is a configured urgent
keyword (着火, 煤气味, 救命 ...) or one of the built-in patterns in
lexicon.URGENT_PATTERNS (a fight word within ten characters of a knife or club,
"有人...掉河里", "墙...塌", gas "味道很大", ...). Each trigger occurrence is then
checked, because most emergency words in a chat are not emergencies:

1. veto compounds: the trigger is part of a harmless word (防溺水, 救命稻草,
   火灾隐患, 砍价, 塌房);
2. negation or hazard talk just before it in the same clause, at most two
   characters away (没有着火, 不是着火, 防止触电, 容易引起火灾, 差点晕倒); the
   built-in patterns also refuse a hedge between subject and predicate
   (房子快塌了, 电线会冒烟, 打架没动刀);
3. past or hypothetical framing earlier in the same sentence (上次着火...,
   如果着火了怎么办, 遇到有人落水应该怎么办);
4. a follow-up right after it (着火的事, 着火后, 着火怎么办 without 了);
5. figurative use: laughter or gushing within eight characters (笑死救命).

A surviving trigger makes the message urgent unless the message as a whole is
about a drill, publicity, training or media (消防演练, 防溺水教育, 新闻) and
carries no alarm (快来人, 救命, 正在, 刚刚) that says it is happening now.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from . import lexicon
from .matcher import LiteralMatcher

_SENTENCE_END = "。！？!?；;\n"
_CLAUSE_END = _SENTENCE_END + "，,、 "
# How far (characters) a negation may end before the trigger: "没有着火" (0), "防止发生火灾" (2).
_NEGATION_GAP = 2
_FIGURATIVE_WINDOW = 8


def _words(words: Sequence[str]) -> LiteralMatcher[str]:
    return LiteralMatcher({w: w for w in words})


class UrgencyDetector:
    """Finds live emergencies in normalised text. Immutable and thread-safe."""

    def __init__(self, keywords: Sequence[str] = (), *, builtin_patterns: bool = True) -> None:
        self.keywords = tuple(dict.fromkeys(k for k in keywords if k))
        self._keywords = LiteralMatcher({k: k for k in self.keywords})
        patterns = lexicon.URGENT_PATTERNS if builtin_patterns else ()
        self._patterns = tuple(re.compile(p) for p in patterns)
        # One combined pattern answers "any trigger at all?" cheaply for the common case.
        self._any = re.compile("|".join(f"(?:{p})" for p in patterns)) if patterns else None
        self._vetoes = _words(lexicon.URGENT_VETO_COMPOUNDS)
        self._negations = tuple(sorted(set(lexicon.URGENT_NEGATIONS), key=len, reverse=True))
        self._past = _words(lexicon.URGENT_PAST_MARKERS)
        self._conditional = _words(lexicon.URGENT_CONDITIONAL_MARKERS)
        self._procedure = re.compile(lexicon.URGENT_PROCEDURE_QUESTION)
        self._after = re.compile(lexicon.URGENT_AFTER_VETO)
        self._guards = _words(lexicon.URGENT_CONTEXT_GUARDS)
        self._alarms = _words(lexicon.URGENT_ALARMS)
        self._figurative = _words(lexicon.URGENT_FIGURATIVE_NEIGHBOURS)

    def triggers(self, text: str) -> tuple[str, ...]:
        """The emergency words that survived every guard; empty = not urgent."""
        return self.assess(text)[0]

    def assess(self, text: str) -> tuple[tuple[str, ...], bool]:
        """(surviving triggers, whether emergency words were found and every one was ruled out
        by a guard: a negation, a drill, a past event, a joke, a harmless compound)."""
        candidates: list[tuple[int, int, str]] = self._keywords.find(text)
        if self._any is not None and self._any.search(text):
            for pattern in self._patterns:
                for m in pattern.finditer(text):
                    candidates.append((m.start(), m.end(), m.group(0)))
        if not candidates:
            return (), False
        vetoes = self._vetoes.find(text)
        live: list[tuple[int, int, str]] = []
        for start, end, word in candidates:
            if any(v[0] < end and v[1] > start for v in vetoes):
                continue
            if self._negated(text, start) or self._framed(text, start, end) or self._figurative_near(text, start, end):
                continue
            live.append((start, end, word))
        if not live:
            return (), True
        if self._guards.contains_any(text) and not self._alarms.contains_any(text):
            return (), True
        # Report each place once, by its longest trigger (小孩掉河里, not also 掉河里).
        outer = [t for t in live
                 if not any(o[0] <= t[0] and t[1] <= o[1] and (o[1] - o[0]) > (t[1] - t[0]) for o in live)]
        outer.sort()
        return tuple(dict.fromkeys(word for _, _, word in outer)), False

    def is_urgent(self, text: str) -> bool:
        return bool(self.triggers(text))

    # -- guards ------------------------------------------------------------------
    def _negated(self, text: str, start: int) -> bool:
        clause_start = start
        while clause_start > 0 and text[clause_start - 1] not in _CLAUSE_END:
            clause_start -= 1
        before = text[clause_start:start]
        if not before:
            return False
        tail = before[-(_NEGATION_GAP + 4):]
        for word in self._negations:
            pos = tail.rfind(word)
            if pos >= 0 and len(tail) - (pos + len(word)) <= _NEGATION_GAP:
                return True
        return False

    def _framed(self, text: str, start: int, end: int) -> bool:
        sentence_start = start
        while sentence_start > 0 and text[sentence_start - 1] not in _SENTENCE_END:
            sentence_start -= 1
        sentence_end = end
        while sentence_end < len(text) and text[sentence_end] not in _SENTENCE_END:
            sentence_end += 1
        before = text[sentence_start:start]
        if before and (self._past.contains_any(before) or self._conditional.contains_any(before)):
            return True
        if self._after.search(text[end:end + 8]):
            return True
        return bool(self._procedure.search(text[sentence_start:sentence_end]))

    def _figurative_near(self, text: str, start: int, end: int) -> bool:
        window = text[max(0, start - _FIGURATIVE_WINDOW):end + _FIGURATIVE_WINDOW]
        return self._figurative.contains_any(window)
