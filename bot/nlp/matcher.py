"""Multi-pattern literal matching: every occurrence of many short words in one pass.

Keywords are short (2-6 characters) and chat messages are short, so an index
by leading characters beats both a regex alternation (which tries every
alternative at every position) and one ``str.find`` per keyword: most
characters of a message start no keyword at all and cost one set lookup.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Generic, TypeVar

P = TypeVar("P")

# One occurrence: (start, end, payload of the word found).
Occurrence = tuple[int, int, P]


class LiteralMatcher(Generic[P]):
    """Finds all (possibly overlapping) occurrences of the given words.

    One-character words are looked up by character, longer ones by their first
    two characters, so a position costs one or two dict lookups and only words
    sharing its first two characters are compared.
    """

    def __init__(self, words: Mapping[str, P]) -> None:
        singles: dict[str, P] = {}
        pairs: dict[str, list[tuple[str, int, P]]] = {}
        for word, payload in words.items():
            if len(word) == 1:
                singles[word] = payload
            elif word:
                pairs.setdefault(word[:2], []).append((word, len(word), payload))
        for candidates in pairs.values():
            candidates.sort(key=lambda item: -item[1])
        self._singles = singles
        self._pairs = pairs
        self._starts = frozenset(singles) | frozenset(k[0] for k in pairs)
        self.words = frozenset(w for w in words if w)

    def __bool__(self) -> bool:
        return bool(self.words)

    def find(self, text: str) -> list[tuple[int, int, P]]:
        out: list[tuple[int, int, P]] = []
        starts, singles, pairs = self._starts, self._singles, self._pairs
        startswith = text.startswith
        for i, ch in enumerate(text):
            if ch not in starts:
                continue
            candidates = pairs.get(text[i:i + 2])
            if candidates is not None:
                for word, length, payload in candidates:
                    if length == 2 or startswith(word, i):
                        out.append((i, i + length, payload))
            if ch in singles:
                out.append((i, i + 1, singles[ch]))
        return out

    def contains_any(self, text: str) -> bool:
        starts, singles, pairs = self._starts, self._singles, self._pairs
        startswith = text.startswith
        for i, ch in enumerate(text):
            if ch not in starts:
                continue
            if ch in singles:
                return True
            candidates = pairs.get(text[i:i + 2])
            if candidates is not None:
                for word, length, _ in candidates:
                    if length == 2 or startswith(word, i):
                        return True
        return False


def drop_contained(occurrences: list[tuple[int, int, P]]) -> list[tuple[int, int, P]]:
    """Occurrences not strictly inside a longer one: the more specific word wins
    (垃圾 inside 垃圾桶, 偷 inside 被偷)."""
    if len(occurrences) < 2:
        return occurrences
    kept = []
    for occ in occurrences:
        start, end = occ[0], occ[1]
        length = end - start
        for other in occurrences:
            if other[1] - other[0] > length and other[0] <= start and other[1] >= end:
                break
        else:
            kept.append(occ)
    return kept
