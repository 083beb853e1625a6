"""Text normalisation: one canonical form for everything the classifier reads.

Order matters:

1. emoji are removed first (replaced by a space), because NFKC would turn some
   of them into CJK characters (``🈶`` -> ``有``, ``㊗`` -> ``祝``) that could
   then match keywords;
2. NFKC folds full-width letters, digits and punctuation to half-width
   (``ＡＢＣ１２３，！`` -> ``ABC123,!``) and U+2005 (the space WeChat puts after an
   @-mention) to a normal space;
3. OpenCC ``t2s`` converts traditional to simplified characters; 著 is then
   written 着 except in 著名 / 著作 / 显著 and the like (OpenCC keeps 著, so
   "樓下著火了" would otherwise miss 着火);
4. platform placeholders (``[图片]``, ``[语音]``, ``[Sticker]``) and bracketed
   emoticon codes (``[微笑]``, ``[捂脸]``, ``[炸弹]``) are removed, except that a
   bracketed tag that carries meaning (``[求助]``, ``[投诉]``) keeps its word;
5. whitespace runs collapse to one space; the ends are stripped.

The function is idempotent, so callers may normalise twice without harm.

Thread safety: the OpenCC binding does not document whether one converter may
be used from several threads at once, so calls go through a lock (uncontended
it costs well under a microsecond; the conversion itself takes ~2 us).
"""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache

import emoji
import opencc

from .lexicon import BRACKET_CODES, MEANINGFUL_BRACKET_WORDS

_converter = opencc.OpenCC("t2s")
_converter_lock = threading.Lock()


def _emoji_pattern() -> re.Pattern[str]:
    """One character class with every code point used by any emoji (emoji 2.x data).

    A character class is ~10x faster than ``emoji.replace_emoji`` and also
    removes stray modifiers (skin tones, variation selectors, ZWJ). ASCII
    characters that occur inside keycap emoji (``#``, ``*``, digits) are kept;
    full keycap sequences are removed separately.
    """
    codepoints = sorted({ord(ch) for e in emoji.EMOJI_DATA for ch in e if ord(ch) > 0x7F})
    ranges: list[tuple[int, int]] = []
    for cp in codepoints:
        if ranges and cp == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], cp)
        else:
            ranges.append((cp, cp))
    parts = []
    for lo, hi in ranges:
        parts.append(re.escape(chr(lo)) if lo == hi else f"{re.escape(chr(lo))}-{re.escape(chr(hi))}")
    # Keycaps (1️⃣ #️⃣) first, then any emoji code point (plus VS16/ZWJ which are in the data).
    return re.compile(r"[0-9#*]\ufe0f?\u20e3|[" + "".join(parts) + r"\ufe0e\ufe0f\u200d]+")


_EMOJI_RE = _emoji_pattern()
# After NFKC every bracket is ASCII. Contents: CJK words (WeChat / platform codes in
# Chinese), Latin words ([Sticker], [OK], [Facepalm]) or a few digits ([666]).
_BRACKET_RE = re.compile(r"\[([\u4e00-\u9fffA-Za-z0-9_ ]{1,12})\]")
_SPACE_RE = re.compile(r"\s+")
# OpenCC keeps 著 (valid in simplified 著名, 显著) where mainland text writes 着 (著火, 睡著).
_ZHE_RE = re.compile(r"(?<![显原名巨专土卓论编遗合拙译])著(?![名作称述录书者])")
# Longest bracket content treated as an emoticon code when it is not in the known list.
_GENERIC_CJK_CODE_MAX = 4
_GENERIC_LATIN_CODE_MAX = 12


def _bracket(match: re.Match[str]) -> str:
    inner = match.group(1).strip()
    if inner in MEANINGFUL_BRACKET_WORDS:
        return f" {inner} "
    if inner in BRACKET_CODES or inner.lower() in BRACKET_CODES:
        return " "
    if inner.isascii():
        if inner.isdigit() and len(inner) <= 4:  # [666] [1]
            return " "
        if inner.replace(" ", "").isalpha() and len(inner) <= _GENERIC_LATIN_CODE_MAX:
            return " "
        return match.group(0)
    if len(inner) <= _GENERIC_CJK_CODE_MAX and all("\u4e00" <= ch <= "\u9fff" for ch in inner):
        return " "
    return match.group(0)


def _convert(text: str) -> str:
    with _converter_lock:
        return _converter.convert(text)


@lru_cache(maxsize=8192)
def _normalize_cached(text: str) -> str:
    text = _EMOJI_RE.sub(" ", text)
    text = unicodedata.normalize("NFKC", text)
    text = _convert(text)
    if "著" in text:
        text = _ZHE_RE.sub("着", text)
    if "[" in text:
        text = _BRACKET_RE.sub(_bracket, text)
    return _SPACE_RE.sub(" ", text).strip()


# Chat messages repeat a lot ("收到", "好的"); short ones are memoised.
_CACHE_MAX_LEN = 200


def normalize_text(text: str) -> str:
    """Canonical form of a chat message (see the module docstring). Never raises on str input."""
    if not text:
        return ""
    if len(text) <= _CACHE_MAX_LEN:
        return _normalize_cached(text)
    return _normalize_cached.__wrapped__(text)
