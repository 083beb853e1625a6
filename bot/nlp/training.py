"""Training the model (model.py): numpy for the arithmetic, scipy for sparse matrices
and L-BFGS.

Why not scikit-learn: its estimators cannot share one keyword weight across
the classes (model.py), and the bot only needs a dot product at run time; a
multinomial logistic regression on scipy's L-BFGS is a few dozen lines.

- Vocabulary: every feature seen in at least ``min_df`` training messages.
- Each head minimises class-balanced mean cross-entropy + ``l2``/2 *
  ||weights||^2 (biases and the keyword weight unpenalised) with L-BFGS. The
  request head learns from every message (request or "none"), the type head
  from the requests only; the type head then adds a multiple of complement
  naive Bayes weights learned on the same features (a linear model too, so the
  sum is one weight matrix and costs nothing at run time); the multiple is
  chosen by cross-validation (``NB_TYPE_WEIGHTS``).
- Calibration: out-of-fold predictions of a stratified k-fold give the
  request head's temperature (lowest log-loss) and the request threshold
  (best macro-F1 over the types and "none"; ties go to the higher threshold,
  because a false ticket annoys a whole group).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .evaluation import score
from .model import CALM_LABEL, EVIDENCE, NONE_LABEL, REQUEST_LABEL, URGENT_LABEL, Head, TextModel

DEFAULT_L2 = 2e-5
DEFAULT_MIN_DF = 2
DEFAULT_FOLDS = 5
# Complement naive Bayes folded into the linear heads (see fit_model): smoothing and weight.
NB_ALPHA = 0.3
NB_TYPE_WEIGHT = 4.0
# Weights train() chooses from by cross-validation (0: the regression alone).
NB_TYPE_WEIGHTS = (0.0, 1.0, 2.0, 4.0)
NB_REQUEST_WEIGHT = 1.0
NB_URGENT_WEIGHT = 1.0
# Out-of-fold false-alarm rate the urgent threshold may reach: an alarm wakes the leader.
URGENT_FALSE_RATE = 0.008
_THRESHOLDS = np.round(np.arange(0.20, 0.91, 0.01), 2)


@dataclass(frozen=True)
class Prepared:
    """One message as the model sees it (Classifier.prepare)."""

    counts: dict[str, int]
    evidence: tuple[float, ...] = ()          # EVIDENCE values
    keyword_scores: tuple[float, ...] = ()    # per type, in the order of the training run's types


def stratified_folds(labels: Sequence[str], folds: int, seed: int = 13) -> list[np.ndarray]:
    """Index arrays of ``folds`` test folds, each label spread evenly (deterministic)."""
    rng = np.random.default_rng(seed)
    assignment = np.empty(len(labels), dtype=np.intp)
    by_label: dict[str, list[int]] = {}
    for i, label in enumerate(labels):
        by_label.setdefault(label, []).append(i)
    offset = 0
    for label in sorted(by_label):
        members = np.array(by_label[label])
        rng.shuffle(members)
        assignment[members] = (np.arange(len(members)) + offset) % folds
        offset += len(members)
    return [np.flatnonzero(assignment == k) for k in range(folds)]


def build_vocabulary(prepared: Sequence[Prepared], min_df: int) -> tuple[tuple[str, ...], np.ndarray]:
    df: dict[str, int] = {}
    for item in prepared:
        for name in item.counts:
            df[name] = df.get(name, 0) + 1
    features = tuple(sorted(name for name, d in df.items() if d >= min_df))
    n = len(prepared)
    idf = np.array([math.log((1 + n) / (1 + df[f])) + 1.0 for f in features], dtype=np.float32)
    return features, idf


def design(prepared: Sequence[Prepared], index: dict[str, int], idf: np.ndarray):
    """CSR matrix of unit-length TF-IDF rows (the same arithmetic as Classifier._feature_rows)."""
    from scipy import sparse

    indptr = [0]
    indices: list[int] = []
    data: list[float] = []
    for item in prepared:
        row = [(i, (1.0 if n == 1 else 1.0 + math.log(n)) * float(idf[i]))
               for name, n in item.counts.items() if (i := index.get(name)) is not None]
        norm = math.sqrt(sum(v * v for _, v in row)) or 1.0
        indices.extend(i for i, _ in row)
        data.extend(v / norm for _, v in row)
        indptr.append(len(indices))
    return sparse.csr_matrix((np.array(data), np.array(indices, dtype=np.int64), np.array(indptr)),
                             shape=(len(prepared), len(index)))


def fit_head(x, evidence: np.ndarray, keyword_scores: np.ndarray | None, y: np.ndarray,
             classes: Sequence[str], *, l2: float, max_iter: int = 400) -> Head:
    """Multinomial logistic regression; ``keyword_scores`` (n, K) adds the shared keyword weight."""
    from scipy.optimize import minimize

    n, f_count = x.shape
    k_count = len(classes)
    e_count = evidence.shape[1]
    use_keywords = keyword_scores is not None
    kw = keyword_scores if use_keywords else np.zeros((n, k_count))
    onehot = np.zeros((n, k_count))
    onehot[np.arange(n), y] = 1.0
    counts = np.bincount(y, minlength=k_count).astype(np.float64)
    per_class = np.divide(n, np.count_nonzero(counts) * counts, out=np.zeros_like(counts), where=counts > 0)
    sample_weight = per_class[y]
    sample_weight /= sample_weight.sum()
    sizes = (f_count * k_count, e_count * k_count, 1, k_count)
    cut = np.cumsum(sizes)[:-1]

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        w, v, a, b = np.split(theta, cut)
        w = w.reshape(f_count, k_count)
        v = v.reshape(e_count, k_count)
        z = x @ w + evidence @ v + a[0] * kw + b
        z -= z.max(axis=1, keepdims=True)
        ez = np.exp(z)
        total = ez.sum(axis=1, keepdims=True)
        loss = float(sample_weight @ (np.log(total[:, 0]) - z[np.arange(n), y]))
        loss += 0.5 * l2 * (float((w * w).sum()) + float((v * v).sum()))
        g = (ez / total - onehot) * sample_weight[:, None]
        grad = np.concatenate([(x.T @ g + l2 * w).ravel(), (evidence.T @ g + l2 * v).ravel(),
                               [float((g * kw).sum()) if use_keywords else 0.0], g.sum(axis=0)])
        return loss, grad

    result = minimize(objective, np.zeros(sum(sizes)), jac=True, method="L-BFGS-B", options={"maxiter": max_iter})
    w, v, a, b = np.split(result.x, cut)
    return Head(tuple(classes), w.reshape(f_count, k_count).astype(np.float32), b.astype(np.float32),
                v.reshape(e_count, k_count).astype(np.float32), keyword_weight=float(a[0]) if use_keywords else 0.0)


def complement_nb(x, y: np.ndarray, classes: int, alpha: float = NB_ALPHA) -> np.ndarray:
    """Complement naive Bayes weights (F, K) over the TF-IDF rows ``x`` (Rennie et al. 2003):
    ``-log P(feature | every other class)``. Linear in ``x``, so it folds into a head's weights."""
    totals = np.zeros((classes, x.shape[1]))
    for k in range(classes):
        rows = np.flatnonzero(y == k)
        if len(rows):
            totals[k] = np.asarray(x[rows].sum(axis=0)).ravel()
    complement = totals.sum(axis=0) - totals + alpha
    weights = -np.log(complement / complement.sum(axis=1, keepdims=True))
    # Centred per feature (softmax does not change): a class added later with zero weights
    # (TextModel.aligned) then stands where an average class stands, as with the regression.
    return (weights - weights.mean(axis=0, keepdims=True)).T


def fit_model(prepared: Sequence[Prepared], labels: Sequence[str], types: Sequence[str], *,
              urgent: Sequence[bool | None] | None = None, l2: float = DEFAULT_L2, min_df: int = DEFAULT_MIN_DF,
              use_keywords: bool = True, nb_type_weight: float = NB_TYPE_WEIGHT,
              nb_request_weight: float = NB_REQUEST_WEIGHT, nb_urgent_weight: float = NB_URGENT_WEIGHT) -> TextModel:
    """The heads on all of ``prepared`` (uncalibrated). With no NONE_LABEL among ``labels``
    there is no request head: a plain multi-class model (the TipDM benchmark). The urgent
    head learns from the messages whose ``urgent`` is known, if any of them is urgent."""
    types = tuple(types)
    type_index = {t: k for k, t in enumerate(types)}
    unknown = sorted({label for label in labels if label != NONE_LABEL and label not in type_index})
    if unknown:
        raise ValueError(f"labels that are not types: {unknown}")
    features, idf = build_vocabulary(prepared, min_df)
    index = {f: i for i, f in enumerate(features)}
    x = design(prepared, index, idf)
    is_request = np.array([label != NONE_LABEL for label in labels])
    request_head = None
    if not is_request.all():
        evidence = np.array([p.evidence for p in prepared], dtype=np.float64).reshape(len(prepared), -1)
        request_head = fit_head(x, evidence, None, is_request.astype(np.intp), (NONE_LABEL, REQUEST_LABEL), l2=l2)
        if nb_request_weight:
            nb = complement_nb(x, is_request.astype(np.intp), 2)
            request_head.weights += (nb_request_weight * nb).astype(np.float32)
    rows = np.flatnonzero(is_request)
    # Only types with examples are learned; the others join as untrained (keywords alone decide
    # them), instead of being pushed out of reach by a bias nothing holds back.
    present = tuple(t for t in types if any(labels[i] == t for i in rows))
    present_index = {t: k for k, t in enumerate(present)}
    y = np.array([present_index[labels[i]] for i in rows], dtype=np.intp)
    kw = None
    if use_keywords:
        columns = [type_index[t] for t in present]
        kw = np.array([prepared[i].keyword_scores for i in rows], dtype=np.float64).reshape(
            len(rows), len(types))[:, columns]
    type_head = fit_head(x[rows], np.zeros((len(rows), 0)), kw, y, present, l2=l2)
    if nb_type_weight:
        # Naive Bayes generalises from few examples where the regression has not: on the corpus
        # (2,800 examples) their sum beat either alone in cross-validation (type macro-F1 0.84 vs
        # 0.81 and 0.80); train() picks the weight by cross-validation.
        type_head.weights += (nb_type_weight * complement_nb(x[rows], y, len(present))).astype(np.float32)
    type_head = type_head.aligned(types)
    urgent_head = None
    if urgent is not None and any(u for u in urgent):
        known = np.array([i for i, u in enumerate(urgent) if u is not None])
        evidence = np.array([prepared[i].evidence for i in known], dtype=np.float64).reshape(len(known), -1)
        flags = np.array([1 if urgent[i] else 0 for i in known], dtype=np.intp)
        urgent_head = fit_head(x[known], evidence, None, flags, (CALM_LABEL, URGENT_LABEL), l2=l2)
        if nb_urgent_weight:
            urgent_head.weights += (nb_urgent_weight * complement_nb(x[known], flags, 2)).astype(np.float32)
    return TextModel(features, idf, request_head, type_head, urgent=urgent_head,
                     meta={"examples": len(prepared), "features": len(features), "l2": l2, "min_df": min_df,
                           "evidence": list(EVIDENCE) if request_head else []})


def softmax(z: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    z = z / temperature
    z = np.exp(z - z.max(axis=-1, keepdims=True))
    return z / z.sum(axis=-1, keepdims=True)


def decide(p_request: np.ndarray, type_probs: np.ndarray, types: Sequence[str], threshold: float) -> list[str]:
    best = type_probs.argmax(axis=1)
    return [types[b] if p >= threshold else NONE_LABEL for p, b in zip(p_request, best)]


def fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    """The temperature with the lowest log-loss (golden-section search on log T)."""
    def nll(log_t: float) -> float:
        p = softmax(logits, math.exp(log_t))
        return -float(np.mean(np.log(p[np.arange(len(y)), y] + 1e-12)))

    lo, hi = math.log(0.05), math.log(20.0)
    ratio = (math.sqrt(5) - 1) / 2
    for _ in range(60):
        a = hi - ratio * (hi - lo)
        b = lo + ratio * (hi - lo)
        lo, hi = (lo, b) if nll(a) < nll(b) else (a, hi)
    return math.exp((lo + hi) / 2)


def _binary_logits(model: TextModel, head: Head, part: Sequence[Prepared]) -> np.ndarray:
    x = design(part, model.index, model.idf)
    evidence = np.array([p.evidence for p in part], dtype=np.float64).reshape(len(part), -1)
    return np.asarray(x @ head.weights.astype(np.float64)) + head.bias + evidence @ head.evidence_weights


def train(prepared: Sequence[Prepared], labels: Sequence[str], types: Sequence[str], *, calibrate: bool = True,
          folds: int = DEFAULT_FOLDS, urgent: Sequence[bool | None] | None = None,
          nb_type_weight: float | None = None, **options) -> TextModel:
    """Fit on everything. With ``calibrate``: the naive Bayes weight of the type head (unless
    given), the temperatures and the thresholds are chosen on out-of-fold predictions."""
    if not calibrate:
        return fit_model(prepared, labels, types, urgent=urgent, **options,
                         nb_type_weight=NB_TYPE_WEIGHT if nb_type_weight is None else nb_type_weight)
    types = tuple(types)
    type_index = {t: k for k, t in enumerate(types)}
    n = len(prepared)
    lr_z = np.zeros((n, len(types)))
    nb_z = np.zeros((n, len(types)))
    request_logits = np.zeros((n, 2))
    urgent_logits = np.zeros((n, 2))
    for test in stratified_folds(labels, folds):
        train_idx = np.setdiff1d(np.arange(n), test)
        fold = fit_model([prepared[i] for i in train_idx], [labels[i] for i in train_idx], types,
                         urgent=None if urgent is None else [urgent[i] for i in train_idx], nb_type_weight=0.0,
                         **options)
        part = [prepared[i] for i in test]
        x = design(part, fold.index, fold.idf)
        head = fold.types
        lr_z[test] = (np.asarray(x @ head.weights.astype(np.float64)) + head.bias
                      + head.keyword_weight * np.array([p.keyword_scores for p in part]).reshape(len(part), -1))
        requests = [i for i in train_idx if labels[i] != NONE_LABEL]
        x_requests = design([prepared[i] for i in requests], fold.index, fold.idf)
        y_requests = np.array([type_index[labels[i]] for i in requests])
        nb_z[test] = np.asarray(x @ complement_nb(x_requests, y_requests, len(types)))
        if fold.request is not None:
            request_logits[test] = _binary_logits(fold, fold.request, part)
        if fold.urgent is not None:
            urgent_logits[test] = _binary_logits(fold, fold.urgent, part)
    gold = [i for i, label in enumerate(labels) if label != NONE_LABEL]
    gold_labels = [labels[i] for i in gold]
    if nb_type_weight is None:
        best_f1 = -1.0
        for weight in NB_TYPE_WEIGHTS:  # ascending: a tie keeps the smaller weight
            z = lr_z[gold] + weight * nb_z[gold]
            f1 = score(gold_labels, [types[k] for k in z.argmax(axis=1)], labels=types).macro_f1
            if f1 > best_f1 + 1e-12:
                nb_type_weight, best_f1 = weight, f1
    type_probs = softmax(lr_z + nb_type_weight * nb_z)
    model = fit_model(prepared, labels, types, urgent=urgent, nb_type_weight=nb_type_weight, **options)
    type_f1 = score(gold_labels, [types[k] for k in type_probs[gold].argmax(axis=1)], labels=types).macro_f1
    model.meta.update(nb_type_weight=nb_type_weight, cv_type_macro_f1=round(type_f1, 4))
    if model.request is not None:
        is_request = np.array([label != NONE_LABEL for label in labels], dtype=np.intp)
        model.request.temperature = fit_temperature(request_logits, is_request)
        p_request = softmax(request_logits, model.request.temperature)[:, 1]
        best_t, best_f1 = 0.5, -1.0
        for t in _THRESHOLDS:
            f1 = score(labels, decide(p_request, type_probs, types, float(t)), labels=(*types, NONE_LABEL)).macro_f1
            if f1 >= best_f1 - 1e-12:
                best_t, best_f1 = float(t), f1
        model.threshold = best_t
        model.meta.update(cv_macro_f1=round(best_f1, 4), temperature=round(model.request.temperature, 4))
    if model.urgent is not None:
        known = np.array([i for i, u in enumerate(urgent) if u is not None])
        flags = np.array([1 if urgent[i] else 0 for i in known], dtype=np.intp)
        model.urgent.temperature = fit_temperature(urgent_logits[known], flags)
        p_urgent = softmax(urgent_logits[known], model.urgent.temperature)[:, 1]
        calm = max(1, int((flags == 0).sum()))
        best_u, best_recall = 0.9, -1.0
        for t in np.round(np.arange(0.10, 0.951, 0.01), 2):
            flagged = p_urgent >= t
            if (flagged & (flags == 0)).sum() / calm > URGENT_FALSE_RATE:
                continue
            recall = float((flagged & (flags == 1)).sum() / max(1, flags.sum()))
            if recall > best_recall + 1e-12:
                best_u, best_recall = float(t), recall
        model.urgent_threshold = best_u
        model.meta.update(cv_urgent_recall=round(best_recall, 4))
    return model
