"""The learned model: two linear heads over one set of sparse text features.

For one message with term counts ``n_f`` (features.py)::

    x_f = (1 + log n_f) * idf_f / ||.||_2                  # TF-IDF, unit length

- the **request head** (classes "none" and "request") decides whether the
  message asks something of the grid. Besides ``x`` it reads a few
  type-independent numbers from the keyword lexicon (request cues, chit-chat
  cues, total keyword evidence: ``EVIDENCE``). It knows nothing of the types,
  so the type names and their number do not matter to it (the configured
  keywords do, through the evidence totals).
  Its probability is calibrated (temperature) and compared with a threshold
  chosen at training time (training.py);
- the **urgent head** (classes "calm" and "urgent") reads the same inputs,
  including whether the hand-written emergency rules (urgency.py) fired: the
  rules catch what the corpus never showed, the learned weights catch
  wordings the rules miss and discount the rules' false alarms. Like the
  request head it is type-independent;
- the **type head** (one class per request type) decides which type::

      logit_t = sum_f x_f W[f, t] + a * s_t + b_t

  where ``s_t`` is the score of the keywords configured for type ``t``
  (keywords.py) and ``a`` is one weight shared by every type: a keyword
  listed under a type adds the same evidence whichever type it is, so an
  operator who edits the keywords in config.yaml steers the model without
  retraining. A type the model was not trained on (added in config.yaml)
  is decided by its keywords alone until ``gridbot train`` learns it.

Only numpy is needed here; training (training.py) also uses scipy. A model is
one compressed ``.npz`` of plain arrays (no pickle).
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

NONE_LABEL = "none"
REQUEST_LABEL = "request"
FORMAT_VERSION = 1
# Type-independent keyword-lexicon evidence read by the request head (keywords.Evidence.vector).
EVIDENCE = ("cues", "chat", "keywords", "lone_keyword", "urgent_rule")
CALM_LABEL = "calm"
URGENT_LABEL = "urgent"


@dataclass
class Head:
    """A multinomial logistic regression over the shared features."""

    classes: tuple[str, ...]
    weights: np.ndarray                  # (F, K)
    bias: np.ndarray                     # (K,)
    evidence_weights: np.ndarray         # (E, K); E = 0 for a head that reads no evidence
    keyword_weight: float = 0.0
    temperature: float = 1.0
    trained: tuple[bool, ...] = ()       # per class: learned (True) or added by alignment

    def __post_init__(self) -> None:
        if not self.trained:
            self.trained = (True,) * len(self.classes)

    def aligned(self, labels: Sequence[str]) -> Head:
        """This head with exactly ``labels`` as classes. A label it was not trained on gets zero
        feature weights and the mean trained bias; a trained class not in ``labels`` is dropped."""
        labels = tuple(labels)
        if labels == self.classes:
            return self
        known = {c: i for i, c in enumerate(self.classes)}
        weights = np.zeros((self.weights.shape[0], len(labels)), dtype=np.float32)
        evidence = np.zeros((self.evidence_weights.shape[0], len(labels)), dtype=np.float32)
        learned = [b for b, t in zip(self.bias, self.trained) if t]
        bias = np.full(len(labels), float(np.mean(learned)) if learned else 0.0, dtype=np.float32)
        trained = []
        for k, label in enumerate(labels):
            i = known.get(label)
            trained.append(i is not None and self.trained[i])
            if i is not None:
                weights[:, k] = self.weights[:, i]
                evidence[:, k] = self.evidence_weights[:, i]
                bias[k] = self.bias[i]
        return Head(labels, weights, bias, evidence, self.keyword_weight, self.temperature, tuple(trained))


@dataclass
class TextModel:
    features: tuple[str, ...]           # vocabulary; index = row of the heads' weights
    idf: np.ndarray                     # (F,)
    request: Head | None                # classes (NONE_LABEL, REQUEST_LABEL); None: every message is one
    types: Head
    threshold: float = 0.5              # request when p(request) >= threshold
    urgent: Head | None = None          # classes (CALM_LABEL, URGENT_LABEL); None: the rules alone
    urgent_threshold: float = 0.5       # urgent when p(urgent) >= urgent_threshold
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.index = {f: i for i, f in enumerate(self.features)}

    def aligned(self, type_labels: Sequence[str]) -> TextModel:
        return replace(self, types=self.types.aligned(type_labels), meta=dict(self.meta))

    # -- storage ---------------------------------------------------------------------------------
    def to_bytes(self) -> bytes:
        meta = dict(self.meta, format=FORMAT_VERSION, threshold=self.threshold, urgent_threshold=self.urgent_threshold)
        arrays: dict[str, np.ndarray] = {
            "features": np.array(self.features, dtype=str), "idf": self.idf.astype(np.float32),
            "meta": np.array(json.dumps(meta, ensure_ascii=False))}
        heads = {name: head for name, head in (("types", self.types), ("request", self.request),
                                                ("urgent", self.urgent)) if head is not None}
        for name, head in heads.items():
            arrays[f"{name}_classes"] = np.array(head.classes, dtype=str)
            arrays[f"{name}_weights"] = head.weights.astype(np.float32)
            arrays[f"{name}_bias"] = head.bias.astype(np.float32)
            arrays[f"{name}_evidence"] = head.evidence_weights.astype(np.float32)
            arrays[f"{name}_scalars"] = np.array([head.keyword_weight, head.temperature])
            arrays[f"{name}_trained"] = np.array(head.trained, dtype=bool)
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **arrays)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> TextModel:
        with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
            meta = json.loads(str(arrays["meta"]))
            if meta.get("format") != FORMAT_VERSION:
                raise ValueError(f"unsupported model format {meta.get('format')!r} (expected {FORMAT_VERSION})")

            def head(name: str) -> Head | None:
                if f"{name}_classes" not in arrays:
                    return None
                keyword_weight, temperature = arrays[f"{name}_scalars"].tolist()
                trained = tuple(bool(t) for t in arrays[f"{name}_trained"]) if f"{name}_trained" in arrays else ()
                return Head(tuple(arrays[f"{name}_classes"].tolist()), arrays[f"{name}_weights"],
                            arrays[f"{name}_bias"], arrays[f"{name}_evidence"], float(keyword_weight),
                            float(temperature), trained)

            types = head("types")
            if types is None:
                raise ValueError("model has no type head")
            return cls(tuple(arrays["features"].tolist()), arrays["idf"], head("request"), types,
                       float(meta.pop("threshold")), head("urgent"), float(meta.pop("urgent_threshold")), meta)
