"""Word segmentation: jieba with a grid-governance user dictionary.

A private ``jieba.Tokenizer`` is used instead of the process-wide default so
that the words added here (domain words, configured keywords) do not change
segmentation for any other code in the process that uses ``jieba.lcut``.

- Initialisation (≈1 s: loads jieba's 350k-word dictionary, from its cache
  file when present) happens once, lazily, under a lock; jieba's logger is set
  to WARNING so start-up does not print "Building prefix dict...".
- Segmentation is ``lcut(text, HMM=False)``: words come only from the
  dictionaries, which keeps keyword boundaries predictable; unknown strings fall
  apart into single characters, which the classifier tolerates. ``_cut`` is a
  faithful re-implementation of that path (same tokens, about twice as fast;
  tests/test_nlp.py compares the two).
- Domain words get a frequency well above what jieba needs to keep them
  whole (``suggest_freq``), so "网格员" or "飞线充电" stay one token in
  context; configured keywords get exactly what they need on their own, so
  that overlapping phrase keywords do not distort their neighbours.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources
from math import log

import jieba

from .normalize import normalize_text

_lock = threading.RLock()
_tokenizer: jieba.Tokenizer | None = None
_added: set[str] = set()
# Frequencies of added words in jieba's own dictionary before we raised them.
_base_freq: dict[str, int] = {}


def _user_words() -> list[str]:
    text = resources.files(__package__).joinpath("userdict.txt").read_text(encoding="utf-8")
    words = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            words.append(line.split()[0])
    return words


def _add(tokenizer: jieba.Tokenizer, word: str, *, boost: bool) -> None:
    """Add one word (caller holds the lock).

    Curated domain words are boosted so they survive in context. Configured
    keywords only get the frequency that keeps them whole on their own: a
    boosted phrase keyword such as 灯不亮 would otherwise win over a better
    split of its neighbourhood (路/灯不亮 instead of 路灯/不亮).
    """
    if len(word) < 2 or word in _added:
        return
    _added.add(word)
    existing = tokenizer.FREQ.get(word) or 0
    _base_freq[word] = existing
    needed = tokenizer.suggest_freq(word, False)
    if existing and existing >= needed:
        return  # already a dictionary word that jieba keeps whole
    tokenizer.add_word(word, freq=needed * 2 + 20 if boost else needed)


def get_tokenizer() -> jieba.Tokenizer:
    """The shared, initialised tokenizer (built on first use)."""
    tokenizer = _tokenizer
    if tokenizer is not None:
        return tokenizer
    with _lock:
        if _tokenizer is None:
            _build()
        return _tokenizer  # type: ignore[return-value]


def _build() -> None:
    global _tokenizer
    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    for word in _user_words():
        _add(tokenizer, normalize_text(word), boost=True)
    _tokenizer = tokenizer


def add_words(words: Iterable[str]) -> None:
    """Make ``words`` (already normalised) single tokens from now on.

    Words only accumulate: segmentation is shared by every Classifier in the
    process. Keywords get only the frequency they need, so a word added for one
    configuration rarely changes how another one's text is cut.
    """
    tokenizer = get_tokenizer()
    with _lock:
        before = len(_added)
        for word in words:
            _add(tokenizer, word, boost=False)
        if len(_added) != before:
            _log_prob.clear()
            _tokenize_cached.cache_clear()


def base_frequency(word: str) -> int:
    """How often ``word`` occurs in jieba's general-language dictionary (0: not a word there;
    the domain user dictionary does not count).

    The classifier uses it like an inverse document frequency: an everyday
    word (老人, 困难, 建议) says less about a message than a rare one (井盖, 化粪池).
    """
    tokenizer = get_tokenizer()
    with _lock:
        if word in _base_freq:
            return _base_freq[word]
        return tokenizer.FREQ.get(word) or 0


# jieba's own block patterns (jieba.re_han_default, re_skip_default, re_eng).
_RE_HAN = re.compile(r"([\u4E00-\u9FD5a-zA-Z0-9+#&\._%\-]+)")
_RE_SKIP = re.compile(r"(\r\n|\s)")
_RE_ENG = re.compile(r"[a-zA-Z0-9]")
# log(freq) - log(total) per dictionary word, filled on use; cleared when words are added.
_log_prob: dict[str, float] = {}
_LOG_PROB_MAX = 200_000


def _cut(tokenizer: jieba.Tokenizer, sentence: str) -> list[str]:
    """Exactly ``tokenizer.lcut(sentence, HMM=False)``, about twice as fast.

    jieba builds a DAG dict, then takes ``max`` over a generator of tuples with a
    ``log`` call per candidate word; here the DAG and the dynamic programme are
    one loop and word log-probabilities are memoised. Same arithmetic, same tie
    rule (equal scores: the longer word), so the same tokens.
    """
    words: list[str] = []
    for block in _RE_HAN.split(sentence):
        if not block:
            continue
        if _RE_HAN.match(block):
            words.extend(_cut_block(tokenizer, block))
        else:
            for part in _RE_SKIP.split(block):
                if _RE_SKIP.match(part):
                    words.append(part)
                else:
                    words.extend(part)
    return words


def _cut_block(tokenizer: jieba.Tokenizer, block: str) -> list[str]:
    freq = tokenizer.FREQ
    cache = _log_prob
    logtotal = log(tokenizer.total)
    n = len(block)
    value = [0.0] * (n + 1)
    end = [0] * (n + 1)
    for k in range(n - 1, -1, -1):
        best_v = 0.0
        best_x = -1
        i = k
        frag = block[k]
        while i < n and frag in freq:
            if freq[frag]:
                lp = cache.get(frag)
                if lp is None:
                    if len(cache) > _LOG_PROB_MAX:
                        cache.clear()
                    lp = cache[frag] = log(freq[frag]) - logtotal
                v = lp + value[i + 1]
                if best_x < 0 or v > best_v or (v == best_v and i > best_x):
                    best_v, best_x = v, i
            i += 1
            frag = block[k:i + 1]
        if best_x < 0:  # no dictionary word starts here: the single character
            best_v, best_x = log(freq.get(block[k]) or 1) - logtotal + value[k + 1], k
        value[k] = best_v
        end[k] = best_x
    out: list[str] = []
    buf = ""
    x = 0
    while x < n:
        y = end[x] + 1
        word = block[x:y]
        if y - x == 1 and _RE_ENG.match(word):
            buf += word
        else:
            if buf:
                out.append(buf)
                buf = ""
            out.append(word)
        x = y
    if buf:
        out.append(buf)
    return out


@lru_cache(maxsize=8192)
def _tokenize_cached(text: str) -> tuple[str, ...]:
    return tuple(_cut(get_tokenizer(), text))


def tokenize(normalized: str) -> tuple[str, ...]:
    """All jieba tokens of an already normalised text, whitespace and punctuation
    included: their concatenation is ``normalized`` again (offsets can be summed)."""
    if not normalized:
        return ()
    if len(normalized) <= 200:
        return _tokenize_cached(normalized)
    return tuple(_cut(get_tokenizer(), normalized))


def segment(text: str) -> list[str]:
    """Words of ``text`` after :func:`normalize_text`; whitespace tokens are dropped."""
    return [t for t in tokenize(normalize_text(text)) if not t.isspace()]
