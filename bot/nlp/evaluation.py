"""Scores of a classifier on labelled messages: per-label precision, recall and F1,
macro-F1, accuracy and the confusion matrix (pure Python, no I/O)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class LabelScore:
    label: str
    precision: float
    recall: float
    f1: float
    support: int      # gold messages with this label
    predicted: int    # messages given this label


@dataclass(frozen=True)
class Report:
    labels: tuple[str, ...]
    per_label: tuple[LabelScore, ...]
    macro_f1: float           # mean F1 over labels that occur in gold or predictions
    accuracy: float
    confusion: tuple[tuple[int, ...], ...]   # [gold][predicted], in ``labels`` order
    total: int

    def f1_of(self, label: str) -> float:
        return next(s.f1 for s in self.per_label if s.label == label)


def score(gold: Sequence[str], predicted: Sequence[str], *, labels: Sequence[str] | None = None) -> Report:
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold labels but {len(predicted)} predictions")
    order = list(labels) if labels is not None else []
    for label in list(gold) + list(predicted):
        if label not in order:
            order.append(label)
    index = {label: i for i, label in enumerate(order)}
    matrix = [[0] * len(order) for _ in order]
    for g, p in zip(gold, predicted):
        matrix[index[g]][index[p]] += 1
    per_label = []
    f1s = []
    for i, label in enumerate(order):
        tp = matrix[i][i]
        support = sum(matrix[i])
        predicted_n = sum(row[i] for row in matrix)
        precision = tp / predicted_n if predicted_n else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_label.append(LabelScore(label, precision, recall, f1, support, predicted_n))
        if support or predicted_n:
            f1s.append(f1)
    correct = sum(matrix[i][i] for i in range(len(order)))
    return Report(tuple(order), tuple(per_label), sum(f1s) / len(f1s) if f1s else 0.0,
                  correct / len(gold) if gold else 0.0, tuple(tuple(row) for row in matrix), len(gold))


def format_report(report: Report, *, names: dict[str, str] | None = None) -> str:
    """A plain-text table: per-label scores, then the confusion matrix (rows gold, columns predicted)."""
    names = names or {}
    shown = [names.get(label, label) for label in report.labels]
    width = max([8] + [_width(s) for s in shown])
    lines = [f"{_pad('label', width)}  precision  recall     f1  support"]
    for s, label in zip(report.per_label, shown):
        lines.append(f"{_pad(label, width)}  {s.precision:9.3f}  {s.recall:6.3f}  {s.f1:5.3f}  {s.support:7d}")
    lines.append(f"{_pad('macro-F1', width)}  {report.macro_f1:.4f}")
    lines.append(f"{_pad('accuracy', width)}  {report.accuracy:.4f}  ({report.total} messages)")
    lines.append("")
    lines.append("confusion (rows: gold, columns: predicted, in the order above)")
    cell = max(5, len(str(report.total)) + 1)
    row_width = width + len(str(len(shown))) + 1
    header = _pad("", row_width) + "".join(f"{i + 1:>{cell}}" for i in range(len(shown)))
    lines.append(header)
    for i, (row, label) in enumerate(zip(report.confusion, shown)):
        lines.append(_pad(f"{i + 1} {label}", row_width) + "".join(f"{n:>{cell}}" for n in row))
    return "\n".join(lines)


def _width(text: str) -> int:
    """Display width: CJK characters take two columns."""
    return sum(2 if "\u2e80" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))
