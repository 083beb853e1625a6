"""Duplicate-problem benchmark: precision and recall of bot.nlp.similarity on labelled pairs.

Reads benchmarks/data/duplicate_pairs.tsv (see benchmarks/data/README.md): pairs of
resident messages of one request type, labelled ``same`` (one problem) or
``different``, each in the ``dev`` half (used to choose the method's settings and the
default threshold) or the ``test`` half (never used for tuning). Prints, for each half,
precision / recall / F1 at the threshold, a table over thresholds 0.30..0.80, the
misjudged test pairs, and the speed of signatures and comparisons on one core.

Segmentation is set up as in the running bot: the classifier is built from the
configuration first, which adds the configured keywords to jieba's dictionary.

    python benchmarks/duplicates.py [--pairs PATH] [--threshold 0.55] [--config config.yaml]
"""

from __future__ import annotations

import argparse
import csv
import random
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bot.nlp import normalize as _normalize  # noqa: E402
from bot.nlp import segmentation as _segmentation  # noqa: E402
from bot.nlp.similarity import DUPLICATE_THRESHOLD, problem_signature, similarity  # noqa: E402

DEFAULT_PAIRS = REPO / "benchmarks" / "data" / "duplicate_pairs.tsv"
TABLE_THRESHOLDS = [round(0.30 + 0.05 * i, 2) for i in range(11)]
SPLITS = ("dev", "test")


@dataclass
class Pair:
    line: int
    label: str
    type: str
    text_a: str
    text_b: str
    split: str
    score: float = 0.0

    @property
    def same(self) -> bool:
        return self.label == "same"


def load_pairs(path: Path) -> list[Pair]:
    pairs = []
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        for line, row in enumerate(reader, start=2):
            if row["label"] not in ("same", "different") or row["split"] not in SPLITS:
                raise SystemExit(f"{path}:{line}: bad label or split: {row['label']!r} {row['split']!r}")
            pairs.append(Pair(line, row["label"], row["type"], row["text_a"], row["text_b"], row["split"]))
    return pairs


def counts(pairs: list[Pair], threshold: float) -> tuple[int, int, int, int]:
    tp = sum(1 for p in pairs if p.same and p.score >= threshold)
    fp = sum(1 for p in pairs if not p.same and p.score >= threshold)
    fn = sum(1 for p in pairs if p.same and p.score < threshold)
    tn = len(pairs) - tp - fp - fn
    return tp, fp, fn, tn


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def report_split(name: str, pairs: list[Pair], threshold: float) -> None:
    same = sum(1 for p in pairs if p.same)
    tp, fp, fn, tn = counts(pairs, threshold)
    precision, recall, f1 = prf(tp, fp, fn)
    print(f"\n== {name}: {len(pairs)} pairs ({same} same, {len(pairs) - same} different)")
    print(f"at threshold {threshold:.2f}: precision {precision:.3f}  recall {recall:.3f}  F1 {f1:.3f}"
          f"   (TP {tp}, FP {fp}, FN {fn}, TN {tn})")
    print("threshold  precision  recall     F1   FP")
    for t in TABLE_THRESHOLDS:
        tp_, fp_, fn_, _ = counts(pairs, t)
        p_, r_, f_ = prf(tp_, fp_, fn_)
        mark = "  <- default" if abs(t - threshold) < 1e-9 else ""
        print(f"   {t:.2f}      {p_:.3f}    {r_:.3f}  {f_:.3f}  {fp_:3d}{mark}")
    by_type: dict[str, list[Pair]] = {}
    for p in pairs:
        by_type.setdefault(p.type, []).append(p)
    print("by type at the threshold:  " + "  ".join(
        f"{t} P {prf(*counts(ps, threshold)[:3])[0]:.2f} R {prf(*counts(ps, threshold)[:3])[1]:.2f}"
        for t, ps in sorted(by_type.items())))


def clear_text_caches() -> None:
    """Forget memoised normalisations and segmentations, so every text is seen for the first time."""
    _normalize._normalize_cached.cache_clear()
    _segmentation._tokenize_cached.cache_clear()


def measure_speed(pairs: list[Pair]) -> None:
    texts = list(dict.fromkeys(t for p in pairs for t in (p.text_a, p.text_b)))
    problem_signature("预热一下：3号楼门口的路灯坏了")  # jieba loaded, caches of common words warm
    rounds = []
    for _ in range(5):
        clear_text_caches()
        start = time.perf_counter()
        for text in texts:
            problem_signature(text)
        rounds.append(time.perf_counter() - start)
    per_text = statistics.median(rounds) / len(texts)
    mean_len = statistics.mean(len(t) for t in texts)
    print(f"\n== speed (one core)\nsignatures: {1 / per_text:,.0f}/s ({per_text * 1e6:.0f} us each, "
          f"{len(texts)} distinct texts of {mean_len:.0f} characters on average, text caches cleared)")
    signatures = [problem_signature(t) for t in texts]
    rng = random.Random(7)
    sample = [(rng.choice(signatures), rng.choice(signatures)) for _ in range(20_000)]
    start = time.perf_counter()
    for a, b in sample:
        similarity(a, b)
    elapsed = time.perf_counter() - start
    print(f"comparisons: {len(sample) / elapsed:,.0f}/s ({elapsed / len(sample) * 1e6:.1f} us each, random pairs)")
    new = problem_signature("@居民助理 三号楼门口那个路灯又不亮了，晚上黑乎乎的，麻烦来修一下")
    open_tickets = signatures[:50]
    start = time.perf_counter()
    for _ in range(200):
        clear_text_caches()
        new = problem_signature("@居民助理 三号楼门口那个路灯又不亮了，晚上黑乎乎的，麻烦来修一下")
        for ticket in open_tickets:
            similarity(new, ticket)
    print(f"one new message against 50 open tickets: {(time.perf_counter() - start) / 200 * 1e3:.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=Path, default=DEFAULT_PAIRS, help="labelled pairs (TSV)")
    parser.add_argument("--threshold", type=float, default=DUPLICATE_THRESHOLD,
                        help=f"decision threshold (default {DUPLICATE_THRESHOLD})")
    parser.add_argument("--config", type=Path, default=REPO / "config.yaml",
                        help="configuration whose keywords are added to jieba, as in the bot ('' for none)")
    parser.add_argument("--no-speed", action="store_true", help="skip the speed measurement")
    args = parser.parse_args()

    if str(args.config) not in ("", ".") and args.config.exists():
        from bot.config import load_config
        from bot.nlp import Classifier
        Classifier.from_config(load_config(args.config))
        print(f"segmentation with the keywords of {args.config}")
    pairs = load_pairs(args.pairs)
    for p in pairs:
        p.score = similarity(problem_signature(p.text_a), problem_signature(p.text_b))
    print(f"{args.pairs}: {len(pairs)} pairs; threshold {args.threshold:.2f}; "
          "the dev half chose the settings, the test half is held out")
    for split in SPLITS:
        report_split(split, [p for p in pairs if p.split == split], args.threshold)

    wrong = [p for p in pairs if p.split == "test" and (p.score >= args.threshold) != p.same]
    print(f"\n== misjudged test pairs ({len(wrong)})")
    for p in sorted(wrong, key=lambda p: (p.same, -p.score)):
        kind = "FP (linked, different)" if not p.same else "FN (missed, same)"
        print(f"{p.score:.3f}  {kind:22s} {p.type:11s} line {p.line}: {p.text_a}  ||  {p.text_b}")

    if not args.no_speed:
        measure_speed(pairs)


if __name__ == "__main__":
    main()
