"""The learned classifier: features, model file, training, scoring, the shipped corpus, and
learning from use (corrections become examples; gridbot train installs only a model that is
not worse; running bots pick it up), on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

from bot.cli import main as cli_main
from bot.config import load_config
from bot.learning import fit_classifier_model, labels_of, merge_examples, retrain
from bot.nlp import Classifier, TypeSpec
from bot.nlp.classifier import Analyzer, shipped_model, types_of
from bot.nlp.labelled import CorpusError, Example, corpus_digest, parse_tsv, shipped
from bot.nlp.evaluation import score
from bot.nlp.features import term_counts
from bot.nlp.model import NONE_LABEL, TextModel
from bot.nlp.segmentation import tokenize
from bot.nlp.training import fit_model, stratified_folds
from bot.storage import examples as example_store
from bot.storage.models import ClassifierModel, LabelledExample

from .harness import make_harness

REPO = Path(__file__).resolve().parents[1]
GRID = "dongfeng-g1"


@pytest.fixture(scope="module")
def config():
    return load_config(REPO / "config.yaml", environ={})


# -- pipeline parts ------------------------------------------------------------------------------

def test_term_counts_words_pairs_and_character_ngrams():
    text = "3号楼路灯坏了，5号楼路灯也坏了"
    tokens = ("3", "号楼", "路灯", "坏了", "，", "5", "号楼", "路灯", "也", "坏了")
    counts = term_counts(text, tokens)
    assert counts["w:路灯"] == 2 and counts["w:坏了"] == 2 and counts["w:0"] == 2  # every digit reads as 0
    assert counts["b:路灯 坏了"] == 1 and counts["b:0 号楼"] == 2 and counts["b:路灯 也"] == 1
    assert "b:坏了 0" not in counts  # punctuation breaks a pair
    assert counts["c:0号楼"] == 2 and counts["c:灯坏了"] == 1 and counts["c:坏"] == 2
    assert "c:了5" not in counts and "c:了0" not in counts  # nor do character n-grams cross it
    assert sum(counts[k] for k in counts if k.startswith("w:")) == 9
    assert tokenize(text) and "".join(tokenize(text)) == text


def test_model_file_round_trip(config):
    model = shipped_model()
    again = TextModel.from_bytes(model.to_bytes())
    assert again.features == model.features and again.threshold == model.threshold
    assert np.array_equal(again.types.weights, model.types.weights)
    assert again.request.classes == ("none", "request") and again.urgent is not None
    assert again.meta["corpus"] == model.meta["corpus"]
    buffer = io.BytesIO()
    np.savez(buffer, meta=np.array(json.dumps({"format": 99})))
    with pytest.raises(ValueError, match="unsupported model format 99"):
        TextModel.from_bytes(buffer.getvalue())


def test_the_shipped_model_was_trained_on_the_shipped_corpus():
    # Editing the corpus without rebuilding the model (gridbot train --output bot/nlp/model.npz) fails here.
    assert shipped_model().meta["corpus"] == corpus_digest()


def test_training_learns_a_small_problem_and_aligns_to_new_types():
    types = [TypeSpec("lamp", "灯", ("路灯",)), TypeSpec("bin", "垃圾", ("垃圾",))]
    analyzer = Analyzer(types)
    data = [("lamp", "楼下路灯坏了"), ("lamp", "路灯不亮好几天"), ("lamp", "那盏路灯一闪一闪"),
            ("bin", "垃圾桶满了没人倒"), ("bin", "垃圾堆在门口臭死了"), ("bin", "垃圾没人清运"),
            (NONE_LABEL, "大家早上好呀"), (NONE_LABEL, "今天天气真不错"), (NONE_LABEL, "谢谢网格员辛苦了")] * 2
    model = fit_model([analyzer.prepare(t) for _, t in data], [label for label, _ in data], ["lamp", "bin"],
                      min_df=1, l2=1e-3)
    clf = Classifier(types, model=model, min_confidence=0.5)
    assert clf.classify("路灯又坏了").type == "lamp"
    assert clf.classify("门口垃圾没人管").type == "bin"
    # A type the model never saw is chosen only on its keywords.
    wider = Classifier(types + [TypeSpec("dog", "狗", ("狗屎",))], model=model, min_confidence=0.5)
    assert wider.model.types.trained == (True, True, False)
    assert wider.classify("全是狗屎").type == "dog"
    assert wider.classify("路灯又坏了").type == "lamp"


def test_stratified_folds_cover_everything_once_and_spread_labels():
    labels = ["a"] * 10 + ["b"] * 5
    folds = stratified_folds(labels, 5)
    assert sorted(np.concatenate(folds).tolist()) == list(range(15))
    assert all(sum(labels[i] == "b" for i in fold) == 1 for fold in folds)
    assert [f.tolist() for f in folds] == [f.tolist() for f in stratified_folds(labels, 5)]


def test_scores_by_hand():
    gold = ["a", "a", "a", "b", "b", "none"]
    pred = ["a", "a", "b", "b", "none", "none"]
    report = score(gold, pred, labels=["a", "b", "none"])
    a, b, none = report.per_label
    assert (a.precision, a.recall) == (1.0, 2 / 3) and math.isclose(a.f1, 0.8)
    assert (b.precision, b.recall, b.f1) == (0.5, 0.5, 0.5)
    assert (none.precision, none.recall) == (0.5, 1.0) and math.isclose(none.f1, 2 / 3)
    assert math.isclose(report.macro_f1, (0.8 + 0.5 + 2 / 3) / 3)
    assert report.confusion == ((2, 1, 0), (0, 1, 1), (0, 0, 1))
    assert math.isclose(report.accuracy, 4 / 6)


def test_tsv_header_optional_names_and_clear_errors(config):
    labels = labels_of(config)
    plain = parse_tsv(["repair\t路灯坏了", "设施报修\t水管爆了", "非诉求\t收到"], labels=labels)
    assert [e.label for e in plain] == ["repair", "repair", "none"] and plain[0].urgent is None
    headed = parse_tsv(["\ufefflabel\turgent\ttext", "safety\t1\t着火了"], labels=labels)
    assert headed == [Example("safety", "着火了", True)]
    with pytest.raises(CorpusError) as info:
        parse_tsv(["repair\t路灯坏了", "天气\t今天下雨", "repair", "safety\t2\t着火了"], labels=labels, source="f.tsv")
    message = str(info.value)
    assert "f.tsv:2: unknown label '天气'" in message and "f.tsv:3:" in message and "f.tsv:4: urgent" in message


def test_shipped_corpus_sizes_and_split(config):
    train, test = shipped("train"), shipped("test")
    everything = train + test
    for key in config.request_types:
        assert sum(e.label == key for e in everything) >= 100, key
    assert sum(e.label == NONE_LABEL for e in everything) >= 400
    assert sum(bool(e.urgent) for e in everything) >= 60
    assert not {e.text for e in train} & {e.text for e in test}  # a fixed, disjoint split
    assert {e.label for e in test} == set(config.request_types) | {NONE_LABEL}


def test_keywords_steer_the_model(make_config):
    text = "村口那个蓝色信号塔又出毛病了，好几天了"
    before = Classifier.from_config(make_config())
    edited = make_config(request_types={"repair": {"keywords": [*before.types[2].keywords, "蓝色信号塔"]}})
    after = Classifier.from_config(edited)
    assert after.classify(text).scores["repair"] > 0 == before.classify(text).scores["repair"]
    assert after.classify(text).probabilities["repair"] > before.classify(text).probabilities["repair"]
    assert after.classify(text).type == "repair"
    # keyword_weight scales what the keywords add: at 0 the same edited keyword list adds nothing.
    off = Classifier.from_config(make_config(classifier={"keyword_weight": 0}, request_types={
        "repair": {"keywords": [*before.types[2].keywords, "蓝色信号塔"]}}))
    assert off.classify(text).probabilities["repair"] < after.classify(text).probabilities["repair"]


def test_a_type_added_to_the_config_is_chosen_on_its_keywords(make_config):
    config = make_config(request_types={"pets": {"name": "宠物管理", "keywords": ["遛狗", "狗绳", "宠物"]}})
    clf = Classifier.from_config(config)
    assert clf.model.types.trained[-1] is False and all(clf.model.types.trained[:-1])
    result = clf.classify("楼下天天有人遛狗不拴狗绳，麻烦管一管")
    assert result.type == "pets" and result.probabilities["pets"] > 0.3
    assert clf.classify("三组的路灯坏了好几天了").type == "repair"  # the learned types are untouched


def test_the_old_threshold_key_is_refused_with_a_pointer(make_config):
    from bot.config import ConfigError

    with pytest.raises(ConfigError, match="classifier.request_threshold"):
        make_config(intake={"min_confidence": 0.35})
    assert Classifier.from_config(make_config(classifier={"request_threshold": 0.99})).threshold == 0.99


def test_explain_shows_what_decided(config):
    clf = Classifier.from_config(config)
    out = clf.explain("@居民助理 楼道里的灯坏了好几天了，晚上黑漆漆的")
    assert out["type"] == "repair" and out["request_probability"] >= out["threshold"]
    assert any("灯" in name for name, _ in out["type_evidence"])
    assert all(weight > 0 for _, weight in out["type_evidence"])
    assert "request_evidence" in out
    chat = clf.explain("收到，谢谢")
    assert chat["type"] is None and chat["decided_by"].startswith("rule")


def test_merge_examples_lets_the_database_override_the_corpus():
    corpus = [Example("repair", "路灯坏了"), Example("none", "收到"), Example("safety", "着火了", True)]
    merged = merge_examples(corpus, [Example("safety", "路灯坏了 "), Example("security", "着火了")])
    assert merged == [Example("none", "收到"), Example("safety", "路灯坏了 "), Example("security", "着火了", True)]


def test_types_without_examples_are_not_pushed_out_of_reach():
    types = [TypeSpec("lamp", "灯", ("路灯",)), TypeSpec("bin", "垃圾", ("垃圾",)), TypeSpec("dog", "狗", ("狗屎",))]
    analyzer = Analyzer(types)
    data = [("lamp", "楼下路灯坏了"), ("lamp", "路灯不亮好几天"), ("bin", "垃圾桶满了没人倒"),
            ("bin", "垃圾堆在门口臭死了"), (NONE_LABEL, "大家早上好呀"), (NONE_LABEL, "今天天气真不错")] * 2
    model = fit_model([analyzer.prepare(t) for _, t in data], [label for label, _ in data], ["lamp", "bin", "dog"],
                      min_df=1, l2=1e-3)
    assert model.types.trained == (True, True, False)
    again = TextModel.from_bytes(model.to_bytes())
    assert again.types.trained == (True, True, False)  # kept in the file
    assert abs(float(again.types.bias[2]) - float(again.types.bias[:2].mean())) < 1e-5


# -- commands ------------------------------------------------------------------------------------

def test_eval_command_prints_scores_and_confusion(tmp_path, capsys):
    data = tmp_path / "labelled.tsv"
    data.write_text("label\ttext\nrepair\t楼道灯坏了好几天了\n设施报修\t自来水管爆了，水哗哗流\n"
                    "none\t收到，谢谢\ninquiry\t请问医保在哪里交\n", encoding="utf-8")
    assert cli_main(["eval", str(data), "--shipped", "--config", str(REPO / "config.yaml")]) == 0
    out = capsys.readouterr().out
    assert "4 messages, shipped model" in out and "macro-F1" in out and "confusion" in out
    assert "设施报修(repair)" in out
    bad = tmp_path / "bad.tsv"
    bad.write_text("repair\t路灯坏了\nweather\t下雨了\n", encoding="utf-8")
    assert cli_main(["eval", str(bad), "--shipped", "--config", str(REPO / "config.yaml")]) == 2
    assert "bad.tsv:2: unknown label 'weather'" in capsys.readouterr().err


def test_classify_explain_command(monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("小区门口垃圾堆了一个星期没人清\n"))
    assert cli_main(["classify", "--explain", "--shipped", "--config", str(REPO / "config.yaml")]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["type"] == "environment" and record["type_evidence"] and record["tokens"]


# -- learning from use ---------------------------------------------------------------------------

@pytest.fixture
def h(make_config, database_url):
    harness = make_harness(make_config, database_url)
    yield harness
    harness.bot.engine.dispose()


def _examples(h):
    def rows(session):
        return [(r.ticket_id, r.label, r.source) for r in session.execute(
            select(LabelledExample).order_by(LabelledExample.id)).scalars()]
    return h.bot.db.run_sync(rows)


def test_corrections_closing_and_rejection_become_examples(h):
    [ack] = h.say(GRID, "r1", "村口的路灯坏了一个星期了，晚上黑乎乎的", name="张三")
    first = ack.ticket_id
    h.say(GRID, "li-wangge", f"改类型 {first} 安全隐患")
    assert _examples(h) == [(first, "safety", "correction")]
    h.say(GRID, "li-wangge", f"办结 {first} 已处理")
    h.say(GRID, "r1", "满意")
    assert h.ticket(first).status == "closed"
    assert _examples(h) == [(first, "safety", "correction")]  # closing keeps the person's choice
    [ack] = h.say(GRID, "r2", "二组的垃圾桶满了好几天没人清运", name="李四")
    second = ack.ticket_id
    h.say(GRID, "li-wangge", f"办结 {second} 清运了")
    h.say(GRID, "r2", "满意")
    assert _examples(h)[-1] == (second, "environment", "closed")
    [ack] = h.say(GRID, "r3", "三组的路灯又坏了，黑灯瞎火的", name="王五")
    h.say(GRID, "chen-wangzhang", f"驳回 {ack.ticket_id} 核实是闲聊，不是诉求")  # the leader says it was no request
    assert _examples(h)[-1] == (ack.ticket_id, NONE_LABEL, "rejected")
    [ack] = h.say(GRID, "r4", "三组路口的井盖丢了好几天了，麻烦尽快处理", name="赵六")
    h.say(GRID, "chen-wangzhang", f"驳回 {ack.ticket_id} 不属于网格事务，已转供水公司")
    assert all(ticket != ack.ticket_id for ticket, _, _ in _examples(h))


@pytest.mark.timeout(600)
def test_train_installs_only_a_model_that_is_not_worse_and_bots_pick_it_up(make_config):
    # SQLite only: training is the slow part and is the same on both; storing and loading
    # models on PostgreSQL is covered by test_a_bot_switches_to_an_installed_model.
    h = make_harness(make_config)
    config = h.bot.config
    db = h.bot.db
    now = h.clock.now()
    # The model in use opens no tickets at all (a threshold above any probability): retraining
    # must beat it, so the new model is installed and the bot switches to it.
    h.say(GRID, "r1", "村口的路灯坏了一个星期了，晚上黑乎乎的", name="张三")
    useless = _never_a_request(config)
    useless_id = db.run_sync(example_store.install_model, useless.to_bytes(), {}, now)
    assert h.bot.refresh_classifier() and h.bot.model_id == useless_id
    outcome = retrain(config, db, now)
    assert outcome.database_examples == {} and outcome.installed_id is not None
    assert outcome.after.report.macro_f1 > outcome.before.report.macro_f1 + 0.5
    assert h.bot.refresh_classifier() and h.bot.model_id == outcome.installed_id
    assert not h.bot.refresh_classifier()  # nothing newer
    # Poisoned corrections (every corpus repair labelled as an inquiry) make a worse model: refused.
    def poison(session):
        for example in (e for e in shipped("train") if e.label == "repair"):
            session.add(LabelledExample(text=example.text, label="inquiry", source="correction",
                                        created_at=now, updated_at=now))

    db.run_sync(poison)
    worse = retrain(config, db, now, folds=2)
    assert worse.replaced > 50 and worse.installed_id is None
    assert worse.after.report.f1_of("repair") < worse.before.report.f1_of("repair")
    assert worse.after.report.macro_f1 < worse.before.report.macro_f1
    ids = db.run_sync(lambda session: [row.id for row in session.execute(select(ClassifierModel)).scalars()])
    assert ids == [useless_id, outcome.installed_id]
    h.bot.engine.dispose()


def test_a_damaged_model_row_is_skipped_and_the_bot_keeps_working(h):
    h.bot.db.run_sync(example_store.install_model, b"not a model", {}, h.clock.now())
    before = h.bot.services.classifier
    assert not h.bot.refresh_classifier() and h.bot.services.classifier is before
    assert not h.bot.refresh_classifier()  # not read again and again
    [ack] = h.say(GRID, "r1", "楼道灯坏了好几天了，麻烦修一下", name="张三")
    assert ack.ticket_id


def _never_a_request(config) -> TextModel:
    """The shipped model with a request threshold above any probability: it opens no ticket
    (urgent ones aside), which shows which model is in use."""
    model = shipped_model().aligned(list(config.request_types))
    return TextModel(model.features, model.idf, model.request, model.types, threshold=1.01, urgent=model.urgent,
                     urgent_threshold=model.urgent_threshold, meta=dict(model.meta))


def test_a_bot_switches_to_an_installed_model(h):
    strict = _never_a_request(h.bot.config)
    [ack] = h.say(GRID, "r1", "楼道灯坏了好几天了，麻烦修一下", name="张三")
    assert ack.ticket_id
    h.bot.db.run_sync(example_store.install_model, strict.to_bytes(), {"test": True}, h.clock.now())
    assert h.bot.refresh_classifier()
    assert h.bot.services.classifier.threshold == 1.01
    assert h.say(GRID, "r2", "三组的垃圾好几天没人清运了，臭得很", name="李四") == []
    assert len(h.tickets()) == 1


@pytest.mark.timeout(600)
def test_train_command_reports_before_and_after(tmp_path, capsys, make_config):
    import yaml

    data = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))
    data["database_url"] = f"sqlite:///{tmp_path / 'gridbot.db'}"
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert cli_main(["train", "--dry-run", "--folds", "2", "--config", str(path)]) == 0
    out = capsys.readouterr().out
    assert "before (model in use)" in out and "after (retrained)" in out and "macro-F1" in out
    assert "dry run: nothing installed" in out


def test_fit_classifier_model_refuses_unknown_labels(config):
    with pytest.raises(ValueError, match="weather"):
        fit_classifier_model(config, [Example("weather", "下雨了"), Example("repair", "路灯坏了")])


def test_types_of_follows_the_config(config):
    assert [t.key for t in types_of(config)] == list(config.request_types)
