"""False tickets on real chit-chat, classification speed and model load time.

    python benchmarks/nlp_chitchat.py --data ../shared/data/lccc_toy

1. Share of the 29,104 LCCC chit-chat utterances (Weibo reply chains, none of
   them a request to a grid) that the classifier with the default config.yaml
   and the shipped model would turn into a ticket. Target <= 1 %.
2. Speed on one core: distinct utterances classified one at a time through the
   production path (normalise, jieba, keywords, model, urgency rules), with the
   tokenizer cache cleared first. Target >= 10,000 messages/s.
3. Load time: reading the shipped model file, and building a Classifier from it
   (jieba's dictionary already loaded, as in a running bot). Target <= 1 s.

The data is for evaluation only (research licence): nothing is written or shipped.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.config import load_config  # noqa: E402
from bot.nlp import Classifier  # noqa: E402
from bot.nlp import classifier as classifier_module  # noqa: E402
from bot.nlp.model import TextModel  # noqa: E402
from bot.nlp.segmentation import _tokenize_cached, get_tokenizer  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", required=True, type=Path, help="folder with chitchat_utterances.csv")
    parser.add_argument("--config", type=Path, default=REPO / "config.yaml")
    parser.add_argument("--show", type=int, default=25, help="false tickets to print")
    args = parser.parse_args()
    path = args.data / "chitchat_utterances.csv"
    if not path.is_file():
        parser.error(f"--data: {path} not found")
    with path.open(encoding="utf-8") as f:
        texts = [row["text"] for row in csv.DictReader(f)]
    config = load_config(args.config, environ={})

    started = time.perf_counter()
    get_tokenizer()
    jieba_s = time.perf_counter() - started
    model_file = Path(classifier_module.__file__).with_name(classifier_module.DEFAULT_MODEL)
    started = time.perf_counter()
    model = TextModel.from_bytes(model_file.read_bytes())
    load_s = time.perf_counter() - started
    started = time.perf_counter()
    classifier = Classifier.from_config(config, model=model)
    build_s = time.perf_counter() - started

    tickets = []
    by_type: Counter[str] = Counter()
    urgent = 0
    for text in texts:
        result = classifier.classify(text)
        if result.type is not None:
            tickets.append((result.confidence, result.type, result.urgent, text))
            by_type[result.type] += 1
            urgent += result.urgent
    share = len(tickets) / len(texts)
    print(f"{len(texts):,} chit-chat utterances: {len(tickets):,} would open a ticket ({share:.2%}; target <= 1%), "
          f"{urgent} of them urgent")
    print("  by type: " + ", ".join(f"{k} {n}" for k, n in by_type.most_common()))
    for confidence, key, is_urgent, text in sorted(tickets, reverse=True)[:args.show]:
        print(f"  {confidence:.2f} {key}{' URGENT' if is_urgent else ''}: {text}")

    distinct = list(dict.fromkeys(texts))
    _tokenize_cached.cache_clear()
    started = time.perf_counter()
    for text in distinct:
        classifier.classify(text)
    elapsed = time.perf_counter() - started
    mean_len = sum(map(len, distinct)) / len(distinct)
    print(f"speed: {len(distinct) / elapsed:,.0f} messages/s on one core ({len(distinct):,} distinct utterances, "
          f"mean {mean_len:.1f} characters, tokenizer cache cleared; target >= 10,000)")
    print(f"load: model file {model_file.stat().st_size / 1024:.0f} KiB read in {load_s * 1000:.0f} ms, "
          f"classifier built in {build_s * 1000:.0f} ms (target <= 1 s); jieba dictionary {jieba_s * 1000:.0f} ms "
          f"once per process")


if __name__ == "__main__":
    main()
