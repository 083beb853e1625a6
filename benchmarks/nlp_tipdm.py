"""Our classifier pipeline on real citizen messages: the 2020 TipDM Cup problem C data.

    python benchmarks/nlp_tipdm.py --data ../shared/data/tipdm2020c

The 7 labels are government departments' categories, not our request types, so
the model learns them from scratch: raw text -> normalise -> jieba -> word,
word-pair and character n-gram features -> the type head of bot/nlp/model.py
(no keywords configured, no request head), with the production defaults and
the naive Bayes weight chosen by cross-validation inside each training set.

(a) 5-fold stratified cross-validation over the 1,369 raw messages (title + body).
(b) trained on the 9,210-row segmented set minus every row that is one of the raw
    messages (its tokens joined back into text), tested on the raw messages.

Baseline on the same splits: scikit-learn TfidfVectorizer(tokenizer=jieba.lcut)
+ LinearSVC() with default settings (``pip install scikit-learn``).
Prints macro-F1, accuracy, per-label F1 and messages/s for both. The data set
is for evaluation only; nothing here is shipped or written.
"""

from __future__ import annotations

import argparse
import csv
import logging
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.nlp.classifier import Analyzer, Classifier, TypeSpec  # noqa: E402
from bot.nlp.evaluation import Report, score  # noqa: E402
from bot.nlp.training import DEFAULT_L2, stratified_folds, train  # noqa: E402


def load(data: Path) -> tuple[list[str], list[str], list[str], list[str]]:
    with (data / "messages_raw.csv").open(encoding="utf-8") as f:
        raw = list(csv.DictReader(f))
    with (data / "messages_segmented_full.csv").open(encoding="utf-8") as f:
        segmented = [r for r in csv.DictReader(f) if not r["raw_id"]]
    raw_texts = [r["title"] + "。" + r["body"] for r in raw]
    return raw_texts, [r["label"] for r in raw], [r["tokens"].replace(" ", "") for r in segmented], \
        [r["label"] for r in segmented]


class Ours:
    name = "ours (jieba + char n-grams, logistic regression)"

    def __init__(self, labels: list[str], l2: float) -> None:
        self.types = [TypeSpec(label, label, ()) for label in labels]
        self.analyzer = Analyzer(self.types)
        self.l2 = l2

    def fit(self, texts: list[str], labels: list[str]) -> None:
        prepared = [self.analyzer.prepare(t) for t in texts]
        # As gridbot train does: the naive Bayes weight chosen by cross-validation on the training part.
        model = train(prepared, labels, [t.key for t in self.types], l2=self.l2, use_keywords=False)
        self.classifier = Classifier(self.types, model=model, builtin_urgent_patterns=False)

    def predict(self, texts: list[str]) -> list[str]:
        # The production path, one message at a time.
        return [self.classifier.classify(t).type for t in texts]


class Baseline:
    name = "baseline (sklearn TF-IDF + LinearSVC)"

    def fit(self, texts: list[str], labels: list[str], tokenized: bool = False) -> None:
        import jieba
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.svm import LinearSVC

        jieba.setLogLevel(logging.WARNING)
        self.vectorizer = TfidfVectorizer(tokenizer=jieba.lcut, token_pattern=None, lowercase=False)
        self.svm = LinearSVC().fit(self.vectorizer.fit_transform(texts), labels)

    def predict(self, texts: list[str]) -> list[str]:
        return list(self.svm.predict(self.vectorizer.transform(texts)))


def show(title: str, results: dict[str, tuple[Report, float, float]], labels: list[str]) -> None:
    print(f"\n== {title}")
    for name, (report, rate, fit_s) in results.items():
        print(f"{name}: macro-F1 {report.macro_f1:.4f}, accuracy {report.accuracy:.4f}, "
              f"{rate:,.0f} messages/s classifying, {fit_s:.1f} s training")
    print("per-label F1:  " + "  ".join(f"{label}" for label in labels))
    for name, (report, _, _) in results.items():
        print(f"  {name.split(' ')[0]:9s}" + "  ".join(f"{report.f1_of(label):.3f}".rjust(len(label) * 2)
                                                       for label in labels))


def run(make, texts, labels, train_sets, label_order) -> tuple[Report, float, float]:
    predicted = [None] * len(texts)
    classify_s = fit_s = 0.0
    classified = 0
    for train_texts, train_labels, test_idx in train_sets:
        model = make()
        started = time.perf_counter()
        model.fit(train_texts, train_labels)
        fit_s += time.perf_counter() - started
        started = time.perf_counter()
        out = model.predict([texts[i] for i in test_idx])
        classify_s += time.perf_counter() - started
        classified += len(test_idx)
        for i, label in zip(test_idx, out):
            predicted[i] = label
    return score(labels, predicted, labels=label_order), classified / classify_s, fit_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", required=True, type=Path, help="folder with messages_raw.csv and "
                                                                 "messages_segmented_full.csv")
    parser.add_argument("--l2", type=float, default=DEFAULT_L2, help=f"our L2 penalty (default {DEFAULT_L2})")
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()
    for name in ("messages_raw.csv", "messages_segmented_full.csv"):
        if not (args.data / name).is_file():
            parser.error(f"--data: {args.data / name} not found")
    raw_texts, raw_labels, seg_texts, seg_labels = load(args.data)
    labels = sorted(set(raw_labels))
    print(f"{len(raw_texts)} raw messages, {len(seg_texts)} segmented training rows (raw rows removed), "
          f"{len(labels)} labels")

    folds = []
    for test in stratified_folds(raw_labels, args.folds):
        train_idx = np.setdiff1d(np.arange(len(raw_texts)), test)
        folds.append(([raw_texts[i] for i in train_idx], [raw_labels[i] for i in train_idx], list(test)))
    makers = {Ours.name: lambda: Ours(labels, args.l2), Baseline.name: Baseline}
    show(f"(a) {args.folds}-fold stratified cross-validation over the raw messages",
         {name: run(make, raw_texts, raw_labels, folds, labels) for name, make in makers.items()}, labels)
    whole = [(seg_texts, seg_labels, list(range(len(raw_texts))))]
    show("(b) trained on the segmented set without the raw rows, tested on the raw messages",
         {name: run(make, raw_texts, raw_labels, whole, labels) for name, make in makers.items()}, labels)


if __name__ == "__main__":
    main()
