"""Learning from use: retrain the classifier on the shipped corpus plus what people
corrected in chat, compare it with the model in use, install it only if it is not worse.

- Examples: the shipped corpus's train split (bot/nlp/corpus/train.tsv) and every
  ``labelled_example`` row (type corrections, closed tickets' final types,
  tickets rejected as not a request). A database example overrides a corpus line
  with the same normalised text: people on the ground have the last word.
- Scores: on the shipped test split, which never trains a model, so before and
  after are compared on the same messages. "Not worse" = macro-F1 over the
  types and "none" at least the current model's (``--min-gain`` may demand more).
- Installing writes the model into the database (``classifier_model``); every
  running bot, replicas included, loads the newest one within
  ``classifier.reload_check_seconds``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from .config import Config
from .nlp import Classifier
from .nlp.classifier import Analyzer, shipped_model
from .nlp.labelled import Example, corpus_digest, shipped
from .nlp.evaluation import Report, score
from .nlp.model import NONE_LABEL, TextModel
from .nlp.normalize import normalize_text
from .nlp.training import train
from .storage import examples as example_store
from .storage.db import Database

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class UrgencyScore:
    urgent: int            # urgent messages among the examples that say
    found: int             # of which flagged urgent
    calm: int              # non-urgent messages
    false_alarms: int      # of which flagged urgent

    @property
    def recall(self) -> float:
        return self.found / self.urgent if self.urgent else 1.0

    @property
    def false_rate(self) -> float:
        return self.false_alarms / self.calm if self.calm else 0.0


@dataclass(frozen=True)
class Evaluation:
    report: Report
    urgency: UrgencyScore
    predictions: tuple[str, ...]


def labels_of(config: Config) -> dict[str, str]:
    """Every accepted spelling of a label (type key or display name) -> type key."""
    out = {key: key for key in config.request_types}
    out.update({rt.name: key for key, rt in config.request_types.items()})
    return out


def evaluate(classifier: Classifier, examples: Sequence[Example]) -> Evaluation:
    predicted = []
    urgent = found = calm = false_alarms = 0
    for example in examples:
        result = classifier.classify(example.text)
        predicted.append(result.type or NONE_LABEL)
        if example.urgent is True:
            urgent += 1
            found += result.urgent
        elif example.urgent is False:
            calm += 1
            false_alarms += result.urgent
    labels = [t.key for t in classifier.types] + [NONE_LABEL]
    report = score([e.label for e in examples], predicted, labels=labels)
    return Evaluation(report, UrgencyScore(urgent, found, calm, false_alarms), tuple(predicted))


def merge_examples(corpus: Sequence[Example], extra: Sequence[Example]) -> list[Example]:
    """Corpus plus extra examples; an extra example replaces any earlier one with the same text
    (keeping its urgent flag when the extra one does not say)."""
    merged: dict[str, Example] = {}
    for example in list(corpus) + list(extra):
        key = normalize_text(example.text)
        earlier = merged.pop(key, None)
        if earlier is not None and example.urgent is None:
            example = Example(example.label, example.text, earlier.urgent)
        merged[key] = example
    return list(merged.values())


def fit_classifier_model(config: Config, examples: Sequence[Example], **options) -> TextModel:
    """A calibrated model for ``config``'s types trained on ``examples``."""
    types = list(config.request_types)
    unknown = sorted({e.label for e in examples if e.label != NONE_LABEL and e.label not in config.request_types})
    if unknown:
        raise ValueError(f"examples with labels that are not request types in the config: {unknown}")
    # Keyword evidence comes from this config's keywords: the model learns how much to trust them.
    preparer = Analyzer.from_config(config)
    prepared = [preparer.prepare(e.text) for e in examples]
    model = train(prepared, [e.label for e in examples], types, urgent=[e.urgent for e in examples], **options)
    counts: dict[str, int] = {}
    for e in examples:
        counts[e.label] = counts.get(e.label, 0) + 1
    model.meta.update(corpus=corpus_digest(), labels=counts)
    return model


@dataclass
class TrainOutcome:
    before: Evaluation
    after: Evaluation
    installed_id: int | None
    corpus_examples: int
    database_examples: dict[str, int] = field(default_factory=dict)
    replaced: int = 0            # corpus lines overridden by a database example
    skipped: dict[str, int] = field(default_factory=dict)   # database labels no longer configured


def current_model(db: Database) -> tuple[int | None, TextModel]:
    """The model in use: the newest installed one, else the shipped one."""
    return _model_of(db.run_sync(example_store.newest_model))


def _model_of(newest: tuple[int, bytes] | None) -> tuple[int | None, TextModel]:
    return (newest[0], TextModel.from_bytes(newest[1])) if newest is not None else (None, shipped_model())


def installed_model(config: Config) -> tuple[int | None, TextModel]:
    """The model a bot on this config would use, read without migrating or writing anything
    (``gridbot classify`` / ``eval``): the newest installed one, else the shipped one."""
    from pathlib import Path

    from sqlalchemy import inspect
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError
    from sqlalchemy.orm import Session

    from .storage.db import DatabaseError, create_db_engine

    url = config.resolved_database_url
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:") \
            and not Path(parsed.database).exists():
        return None, shipped_model()  # no database yet: nothing installed
    engine = create_db_engine(url)
    try:
        with Session(engine) as session:
            if not inspect(session.connection()).has_table("classifier_model"):
                return None, shipped_model()
            newest = example_store.newest_model(session)
    except SQLAlchemyError as exc:
        raise DatabaseError(f"database_url: cannot read the installed model ({exc.__class__.__name__}); "
                            f"use --shipped to use the shipped model") from None
    finally:
        engine.dispose()
    return _model_of(newest)


def configured(config: Config, examples: Sequence[Example], skipped: dict[str, int]) -> list[Example]:
    """The examples whose label is a request type of ``config`` (or none); the others are counted
    in ``skipped`` by label (a type not, or no longer, in the config)."""
    kept = []
    for example in examples:
        if example.label == NONE_LABEL or example.label in config.request_types:
            kept.append(example)
        else:
            skipped[example.label] = skipped.get(example.label, 0) + 1
    return kept


def retrain(config: Config, db: Database, now: datetime, *, install: bool = True, min_gain: float = 0.0,
            **options) -> TrainOutcome:
    """``gridbot train``: retrain, score before and after on the test split, install if not worse."""
    rows, by_source = db.run_sync(lambda s: (example_store.examples(s), example_store.counts_by_source(s)))
    skipped: dict[str, int] = {}
    test = configured(config, shipped("test"), skipped)
    held_out = {normalize_text(e.text) for e in test}
    # A chat message that is also a test line would be trained on and then scored: left out.
    extra = [e for e in configured(config, [Example(label, text) for text, label, _source in rows], skipped)
             if normalize_text(e.text) not in held_out]
    corpus = configured(config, shipped("train"), skipped)
    merged = merge_examples(corpus, extra)
    _, old_model = current_model(db)
    before = evaluate(Classifier.from_config(config, model=old_model), test)
    new_model = fit_classifier_model(config, merged, **options)
    after = evaluate(Classifier.from_config(config, model=new_model), test)
    installed = None
    if install and after.report.macro_f1 >= before.report.macro_f1 + min_gain:
        summary = {"macro_f1": round(after.report.macro_f1, 4), "previous_macro_f1": round(before.report.macro_f1, 4),
                   "accuracy": round(after.report.accuracy, 4), "urgent_recall": round(after.urgency.recall, 4),
                   "corpus_examples": len(corpus), "database_examples": by_source, "threshold": new_model.threshold}
        new_model.meta.update(trained_at=now.isoformat())
        installed = db.run_sync(example_store.install_model, new_model.to_bytes(), summary, now)
        log.info("installed classifier model %s (macro-F1 %.4f, was %.4f)", installed, after.report.macro_f1,
                 before.report.macro_f1)
    return TrainOutcome(before, after, installed, len(corpus), by_source, len(corpus) + len(extra) - len(merged),
                        skipped)
