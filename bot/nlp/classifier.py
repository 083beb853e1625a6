"""Request classification: is a chat message a request, of which type, is it urgent?

Pipeline
--------
1. ``normalize_text`` (NFKC, traditional -> simplified, emoji and placeholders
   removed); @-mentions followed by a space are dropped. Only the first
   ``MAX_ANALYSED_CHARS`` (500) characters are analysed: a report states its
   problem early, and the cap bounds the cost of a pasted 10,000-character text.
2. Not a request, at once: no letter, digit or CJK character left; a message
   made only of chit-chat words (收到, 好的, 谢谢, 大家早上好, 哈哈哈); a
   broadcast (【停水通知】..., 温馨提示:..., 接镇里通知...).
3. jieba tokens (domain dictionary plus every configured keyword).
4. Keyword evidence (keywords.py): per-type scores of the configured keywords,
   request cues, chit-chat cues.
5. The learned model (model.py) on word, word-pair and character n-gram
   features plus that evidence: the request head gives ``p(request)``, the
   type head the type. The message is a request when ``p(request) >=
   threshold`` (calibrated at training time; ``classifier.request_threshold``
   overrides it). A message that no configured keyword (or synonym) matches
   must reach the stricter ``no_keyword_threshold`` (config
   ``classifier.no_keyword_threshold``, 0.9): the corpus cannot show the model
   every kind of chatter, and talk outside the grid's topics rarely deserves a
   ticket.
6. Urgency is decided independently of the type: the urgent head's
   ``p(urgent) >= urgent_threshold`` (calibrated), or an emergency rule
   (urgency.py) fired and the head does not call it a figure of speech
   (``p(urgent) >= 0.25``); never when the rules found emergency words and
   ruled every one out (没有着火, 消防演练, 上次着火, 救命稻草). An urgent
   message is always a request: its type is the type head's choice when that
   has probability >= 0.5, else ``urgent_default_type``.

A type the model was not trained on (added in config.yaml, or without
examples at training time) is chosen on its keywords alone: when its keywords
are the strongest keyword evidence in the message. Until ``gridbot train`` has
examples of it, a message with none of its keywords is not given that type.

``confidence`` is ``p(request) * p(type)`` for a request (at least 0.8 when
urgent) and ``1 - p(request)`` otherwise.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any

import numpy as np

from . import lexicon
from .features import describe, term_counts
from .keywords import Evidence, KeywordScorer
from .model import EVIDENCE, NONE_LABEL, TextModel
from .normalize import normalize_text
from .segmentation import tokenize
from .training import Prepared
from .urgency import UrgencyDetector

if TYPE_CHECKING:
    from bot.config import Config

# Characters analysed per message (after normalisation); see the module docstring.
MAX_ANALYSED_CHARS = 500
# Raw characters normalised at most: normalisation only shortens text (emoji,
# placeholders, whitespace), so 8x the analysed length is plenty.
_MAX_RAW_CHARS = 8 * MAX_ANALYSED_CHARS
DEFAULT_MODEL = "model.npz"

_URGENT_MIN_CONFIDENCE = 0.8
_URGENT_OWN_TYPE = 0.5
# An emergency rule (urgency.py) that fired counts unless the urgent head is this sure it is a
# figure of speech (救命 in a joke): rules know wordings the corpus never showed.
_RULE_VETO_BELOW = 0.25
_CHITCHAT_CONFIDENCE = 0.98
_CHITCHAT_MAX_CORE = 40
_RUN_RE = re.compile(r"(.)\1{2,}")
_MENTION_RE = re.compile(r"@[^\s@]{1,24}(?:\s+|$)")
_CONTENT_RE = re.compile(r"[0-9A-Za-z\u3400-\u9fff]")
_CORE_STRIP_RE = re.compile(r"[\W_]+")


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
    ``scores`` has every type key with its keyword score; ``probabilities``
    every type key with ``p(request) * p(type)``; ``matched`` lists the
    keywords, cues and urgent triggers found, in text order.
    """

    text: str
    type: str | None
    name: str | None
    confidence: float
    urgent: bool
    tokens: tuple[str, ...] = ()
    scores: dict[str, float] = field(default_factory=dict)
    matched: tuple[str, ...] = ()
    request_probability: float = 0.0
    probabilities: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class _Analysis:
    analysed: str
    tokens: tuple[str, ...]              # all jieba tokens, whitespace included
    shortcut: bool                       # not a request by rule (no content, chit-chat, broadcast)
    evidence: Evidence | None = None
    counts: dict[str, int] = field(default_factory=dict)
    triggers: tuple[str, ...] = ()       # emergency words the rules found (urgency.py)
    ruled_out: bool = False              # emergency words found, every one ruled out by a guard

    @property
    def vector(self) -> tuple[float, ...]:
        return self.evidence.vector(bool(self.triggers)) if self.evidence else (0.0,) * len(EVIDENCE)


@lru_cache(maxsize=1)
def shipped_model() -> TextModel:
    """The model trained on the shipped corpus (bot/nlp/model.npz)."""
    return TextModel.from_bytes(resources.files(__package__).joinpath(DEFAULT_MODEL).read_bytes())


class Analyzer:
    """Text -> what the model reads: normalised text, tokens, keyword evidence, emergency
    rules, term counts.

    Training (bot/learning.py) and classification share it, so the model is
    trained on exactly what it later sees. Thread-safe after construction.
    """

    def __init__(self, types: Sequence[TypeSpec], *, urgent_keywords: Sequence[str] = (),
                 builtin_urgent_patterns: bool = True) -> None:
        if not types:
            raise ValueError("at least one request type is required")
        urgent = [normalize_text(k) for k in urgent_keywords]
        self.urgency = UrgencyDetector([k for k in urgent if k], builtin_patterns=builtin_urgent_patterns)
        self.type_count = len(types)
        self.keywords = KeywordScorer([t.keywords for t in types], extra_tokens=self.urgency.keywords)
        self._broadcast = re.compile(lexicon.BROADCAST_PATTERN)

    @classmethod
    def from_config(cls, cfg: Config) -> Analyzer:
        return cls(types_of(cfg), urgent_keywords=tuple(cfg.urgent.keywords))

    def analyse(self, text: str) -> _Analysis:
        if not isinstance(text, str):
            text = "" if text is None else str(text)
        normalized = normalize_text(text[:_MAX_RAW_CHARS])
        if "@" in normalized:
            normalized = _MENTION_RE.sub(" ", normalized).strip()
        analysed = normalized[:MAX_ANALYSED_CHARS]
        if not _CONTENT_RE.search(analysed):
            return _Analysis(analysed, (), True)
        tokens = tokenize(analysed)
        if _is_chitchat(analysed) or self._broadcast.search(analysed):
            return _Analysis(analysed, tokens, True)
        triggers, ruled_out = self.urgency.assess(analysed)
        return _Analysis(analysed, tokens, False, self.keywords.evidence(analysed, tokens),
                         term_counts(analysed, tokens), triggers, ruled_out)

    def prepare(self, text: str) -> Prepared:
        """A message as training sees it."""
        a = self.analyse(text)
        if a.evidence is None:
            counts = term_counts(a.analysed, a.tokens) if a.tokens else {}
            return Prepared(counts, a.vector, (0.0,) * self.type_count)
        return Prepared(a.counts, a.vector, a.evidence.scores)


def types_of(cfg: Config) -> list[TypeSpec]:
    return [TypeSpec(key=key, name=rt.name, keywords=tuple(rt.keywords)) for key, rt in cfg.request_types.items()]


class Classifier:
    """Classifies chat messages against configured request types. Thread-safe after construction."""

    def __init__(self, types: Sequence[TypeSpec], *, urgent_keywords: Sequence[str] = (),
                 urgent_default_type: str | None = None, min_confidence: float | None = None,
                 builtin_urgent_patterns: bool = True, model: TextModel | None = None,
                 keyword_weight: float = 1.0, no_keyword_threshold: float | None = None) -> None:
        if not types:
            raise ValueError("at least one request type is required")
        keys = [t.key for t in types]
        if len(set(keys)) != len(keys):
            raise ValueError(f"duplicate request type keys in {keys}")
        if min_confidence is not None and not 0.0 <= min_confidence <= 1.0:
            raise ValueError("min_confidence must be within [0, 1]")
        if keyword_weight < 0:
            raise ValueError("keyword_weight must be >= 0")
        self.types: tuple[TypeSpec, ...] = tuple(types)
        self._index = {t.key: i for i, t in enumerate(self.types)}
        self._keys = tuple(keys)
        self.urgent_default_type = urgent_default_type if urgent_default_type in self._index else keys[0]
        self.analyzer = Analyzer(self.types, urgent_keywords=urgent_keywords,
                                 builtin_urgent_patterns=builtin_urgent_patterns)
        self.urgency = self.analyzer.urgency
        self.source_model = model or shipped_model()
        self.model = self.source_model.aligned(keys)
        self.threshold = self.source_model.threshold if min_confidence is None else float(min_confidence)
        self.min_confidence = self.threshold
        # A message with no keyword and no emergency rule must be surer than that (None: no stricter).
        self.no_keyword_threshold = max(self.threshold, no_keyword_threshold or 0.0)
        self.keyword_weight = float(keyword_weight)
        head = self.model.types
        self._kw_factor = head.keyword_weight * self.keyword_weight
        self._trained = head.trained
        self._all_trained = all(head.trained)
        # Every head in one matrix, one gather and one product per message. Columns: request (2),
        # urgent (2), types. Rows: the features, then the evidence values (read by the binary
        # heads), then the per-type keyword scores (the type head's shared keyword weight).
        binary = [h for h in (self.model.request, self.model.urgent) if h is not None]
        self._binary = [(2 * i, h.temperature) for i, h in enumerate(binary)]
        self._offset = 2 * len(binary)
        features = len(self.model.features)
        columns = self._offset + len(keys)
        evidence_rows = np.zeros((len(EVIDENCE), columns), dtype=np.float32)
        for i, h in enumerate(binary):
            evidence_rows[:, 2 * i:2 * i + 2] = h.evidence_weights
        keyword_rows = np.zeros((len(keys), columns), dtype=np.float32)
        keyword_rows[:, self._offset:] = np.eye(len(keys), dtype=np.float32) * self._kw_factor
        self._weights = np.ascontiguousarray(np.vstack([
            np.hstack([h.weights for h in binary + [head]]), evidence_rows, keyword_rows]), dtype=np.float32)
        self._bias = np.concatenate([h.bias for h in binary + [head]]).astype(np.float64)
        self._evidence_row = features
        self._keyword_row = features + len(EVIDENCE)
        # feature -> (row, idf): one dict lookup per feature of a message.
        self._lookup = dict(zip(self.model.features, zip(range(features), self.model.idf.astype(np.float64).tolist())))

    @classmethod
    def from_config(cls, cfg: Config, *, model: TextModel | None = None) -> Classifier:
        """Build from a loaded ``bot.config.Config`` (the shipped model unless ``model`` is given)."""
        return cls(types_of(cfg), urgent_keywords=tuple(cfg.urgent.keywords),
                   urgent_default_type=cfg.urgent.default_type, min_confidence=cfg.classifier.request_threshold,
                   model=model, keyword_weight=cfg.classifier.keyword_weight,
                   no_keyword_threshold=cfg.classifier.no_keyword_threshold)

    def prepare(self, text: str) -> Prepared:
        return self.analyzer.prepare(text)

    def classify(self, text: str) -> Classification:
        a = self.analyzer.analyse(text)
        if a.shortcut:
            confidence = 1.0 if not a.tokens else _CHITCHAT_CONFIDENCE
            return Classification(a.analysed, None, None, confidence, False, _words(a.tokens), self._zero(),
                                  (), 0.0, self._zero())
        ev = a.evidence
        p_request, p_urgent, type_probs = self._probabilities(a)
        best = max(range(len(type_probs)), key=type_probs.__getitem__)
        if not self._all_trained:
            best = self._untrained_on_keywords(ev.scores, type_probs, best)
        if p_urgent is None:
            urgent = bool(a.triggers)
        elif a.ruled_out:
            urgent = False  # 没有着火, 消防演练, 上次着火, 救命稻草: the guards know better than the corpus
        else:
            urgent = p_urgent >= self.model.urgent_threshold or (bool(a.triggers) and p_urgent >= _RULE_VETO_BELOW)
        scores = dict(zip(self._keys, ev.scores))
        probabilities = dict(zip(self._keys, [p_request * p for p in type_probs]))
        known = self._trained[best] or ev.scores[best] > 0
        if urgent:
            chosen = best if known and type_probs[best] >= _URGENT_OWN_TYPE else self._index[self.urgent_default_type]
            confidence = max(float(p_request * type_probs[chosen]), _URGENT_MIN_CONFIDENCE)
        elif known and p_request >= (self.threshold if any(ev.scores) else self.no_keyword_threshold):
            chosen = best
            confidence = float(p_request * type_probs[best])
        else:
            matched = tuple(dict.fromkeys(w for _, w in ev.cue_words))
            return Classification(a.analysed, None, None, _clamp(1.0 - p_request), False, _words(a.tokens), scores,
                                  matched, float(p_request), probabilities)
        spec = self.types[chosen]
        decided = [(pos, word) for idx, pos, word in ev.keyword_positions if idx == chosen]
        decided += list(ev.cue_words)
        if urgent:
            decided += [(a.analysed.find(t), t) for t in a.triggers]
        matched = tuple(dict.fromkeys(w for _, w in sorted(decided)))
        return Classification(a.analysed, spec.key, spec.name, _clamp(confidence), urgent, _words(a.tokens),
                              scores, matched, float(p_request), probabilities)

    def _untrained_on_keywords(self, scores: Sequence[float], type_probs: list[float], best: int) -> int:
        """A type the model never learned (added in config.yaml) wins when its keywords are the
        strongest evidence in the message; its probability is then its share of the keyword
        evidence (the model knows nothing else of it)."""
        candidates = [k for k, trained in enumerate(self._trained) if not trained and scores[k] > 0]
        if not candidates:
            return best
        k = max(candidates, key=scores.__getitem__)
        if all(scores[k] > v for j, v in enumerate(scores) if j != k):
            type_probs[k] = max(type_probs[k], scores[k] / sum(scores))
            return k
        return best

    def _feature_rows(self, counts: Mapping[str, int]) -> tuple[list[int], list[float]]:
        """Rows of the known features and their TF-IDF values, unit length (the arithmetic of
        training.design, one message at a time)."""
        get = self._lookup.get
        hits = [(e, n) for name, n in counts.items() if (e := get(name)) is not None]
        rows = [e[0] for e, _ in hits]
        values = [e[1] if n == 1 else e[1] * (1.0 + math.log(n)) for e, n in hits]
        if values:
            scale = 1.0 / math.hypot(*values)
            values = [v * scale for v in values]
        return rows, values

    def _probabilities(self, a: _Analysis) -> tuple[float, float | None, list[float]]:
        """p(request), p(urgent) (None without an urgent head) and the type probabilities."""
        rows, values = self._feature_rows(a.counts)
        for j, v in enumerate(a.vector):
            if v:
                rows.append(self._evidence_row + j)
                values.append(v)
        for k, v in enumerate(a.evidence.scores):
            if v:
                rows.append(self._keyword_row + k)
                values.append(v)
        z = (self._bias + np.array(values, dtype=np.float32) @ self._weights[rows]).tolist() if rows \
            else self._bias.tolist()
        binary = [1.0 / (1.0 + math.exp((z[c] - z[c + 1]) / t)) for c, t in self._binary]
        p_request = binary[0] if self.model.request is not None else 1.0
        p_urgent = binary[-1] if self.model.urgent is not None else None
        zt = z[self._offset:]
        top = max(zt)
        exps = [math.exp(v - top) for v in zt]
        total = sum(exps)
        return p_request, p_urgent, [e / total for e in exps]

    # -- explanation ----------------------------------------------------------------------------
    def explain(self, text: str, *, top: int = 8) -> Mapping[str, Any]:
        """A JSON-friendly view of :meth:`classify` with the inputs that decided (for the CLI)."""
        result = self.classify(text)
        out: dict[str, Any] = {
            "text": result.text, "type": result.type, "name": result.name,
            "confidence": round(result.confidence, 4), "urgent": result.urgent,
            "request_probability": round(result.request_probability, 4), "threshold": self.threshold,
            "tokens": list(result.tokens), "matched": list(result.matched),
            "keyword_scores": {k: round(v, 3) for k, v in result.scores.items()},
            "type_probabilities": {k: round(v, 4) for k, v in result.probabilities.items()}}
        a = self.analyzer.analyse(text)
        if a.shortcut:
            out["decided_by"] = "rule: " + ("no words" if not a.tokens else "chit-chat or notice")
            return out
        if a.triggers:
            out["urgent_rules"] = list(a.triggers)
        idx, values = self._feature_rows(a.counts)
        request = self.model.request
        if request is not None:
            contrib = [(describe(self.model.features[i]), float(v * (request.weights[i, 1] - request.weights[i, 0])))
                       for i, v in zip(idx, values)]
            contrib += [(f"词表 {name}", float(x * (request.evidence_weights[j, 1] - request.evidence_weights[j, 0])))
                        for j, (name, x) in enumerate(zip(_EVIDENCE_NAMES, a.vector)) if x]
            key = (lambda c: -c[1]) if result.type is not None else (lambda c: c[1])
            out["request_evidence"] = [[n, round(v, 3)] for n, v in sorted(contrib, key=key)[:top] if v]
        if result.type is not None:
            k = self._index[result.type]
            head = self.model.types
            others = [j for j in range(len(self.types)) if j != k]
            mean_other = head.weights[idx][:, others].mean(axis=1) if others else 0.0
            contrib = [(describe(self.model.features[i]), float(v * d))
                       for i, v, d in zip(idx, values, head.weights[idx, k] - mean_other)]
            if a.evidence.scores[k] and self._kw_factor:
                contrib.append((f"关键词 {result.type}", self._kw_factor * a.evidence.scores[k]))
            out["type_evidence"] = [[n, round(v, 3)] for n, v in sorted(contrib, key=lambda c: -c[1])[:top] if v > 0]
        return out

    def _zero(self) -> dict[str, float]:
        return {t.key: 0.0 for t in self.types}


_EVIDENCE_NAMES = ("诉求语气", "闲聊语气", "关键词总分", "孤立关键词", "紧急规则")


def _words(tokens: Sequence[str]) -> tuple[str, ...]:
    return tuple(t for t in tokens if not t.isspace())


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


__all__ = ["MAX_ANALYSED_CHARS", "NONE_LABEL", "Analyzer", "Classification", "Classifier", "TypeSpec", "shipped_model"]
