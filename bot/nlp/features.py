"""Sparse text features for the learned model: jieba words, word pairs, character n-grams.

The same function serves training and classification, so what the model saw
in training is exactly what it sees in the chat. Input is the analysed text
(normalised, mentions removed, capped) and its jieba tokens.

- ``w:`` a jieba word (with the domain dictionary and configured keywords);
- ``b:`` two neighbouring words (路灯 坏了);
- ``c:`` a character 1-, 2- or 3-gram inside a run of CJK characters, letters
  or digits: survives typos, unknown words and segmentation mistakes.

Letters are lower-cased and every digit reads as 0 (3号楼 and 5号楼 say the
same thing about the type).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

_DIGITS = str.maketrans("0123456789", "0000000000")
_WORD_RE = re.compile(r"[0-9a-z\u3400-\u9fff]")
_RUN_RE = re.compile(r"[0-9a-z\u3400-\u9fff]+")


def term_counts(analysed: str, tokens: Sequence[str]) -> dict[str, int]:
    """Feature name -> count for one message (list comprehensions and Counter: this runs
    for every chat message)."""
    keys: list[str] = []
    previous = None
    for token in tokens:
        token = token.lower().translate(_DIGITS)
        if not _WORD_RE.search(token):
            previous = None  # punctuation breaks a pair
            continue
        keys.append("w:" + token)
        if previous is not None:
            keys.append("b:" + previous + " " + token)
        previous = token
    for run in _RUN_RE.findall(analysed.lower().translate(_DIGITS)):
        keys += ["c:" + ch for ch in run]
        if len(run) > 1:
            keys += ["c:" + run[i:i + 2] for i in range(len(run) - 1)]
            keys += ["c:" + run[i:i + 3] for i in range(len(run) - 2)]
    return Counter(keys)


def describe(feature: str) -> str:
    """A feature as a person reads it (for --explain)."""
    kind, _, value = feature.partition(":")
    return {"w": "词", "b": "词组", "c": "字"}.get(kind, kind) + " " + value if value else feature
