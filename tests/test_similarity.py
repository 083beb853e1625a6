"""bot.nlp.similarity: do two resident messages report the same problem?

Examples are written for these tests (benchmarks/duplicates.py measures precision and
recall on the labelled pairs in benchmarks/data/duplicate_pairs.tsv).
"""

from __future__ import annotations

import itertools

import pytest

from bot.nlp.similarity import DUPLICATE_THRESHOLD, ProblemSignature, problem_signature, similarity


def sim(a: str, b: str) -> float:
    return similarity(problem_signature(a), problem_signature(b))


SAME = [
    ("3号楼门口的灯不亮了", "三号楼那个路灯坏掉了"),
    ("二单元楼道的声控灯坏了", "2单元楼道声控灯不亮了，晚上上楼看不见"),
    ("北门垃圾桶满了，垃圾都堆到路上了", "小区北门那几个垃圾桶满出来了，臭死了"),
    ("请问城乡居民医保在哪里交", "城乡居民医保去哪交啊？"),
    ("6栋楼道里有人给电动车充电", "@居民助理 六栋楼道又有人充电瓶车，太危险了"),
    ("老刘家的狗天天半夜叫，吵得睡不着", "刘家那条狗每天半夜都在叫，根本睡不着觉"),
    ("建议在村口装个路灯", "村口能不能装个路灯，晚上太黑了"),
]

# Same type, similar words, another place (or another thing at one place).
DIFFERENT = [
    ("3号楼路灯坏了", "5号楼路灯坏了"),
    ("3号楼门口的路灯坏了好几天了", "五栋门口的路灯也坏了好几天了"),
    ("东门垃圾桶满了，没人清", "西门垃圾桶满了，没人清"),
    ("2单元楼道灯不亮", "3单元楼道灯不亮"),
    ("四组自来水停了", "2组自来水停了"),
    ("3单元301和401因为漏水吵起来了", "3单元501和601因为漏水吵起来了"),
    ("学校门口的路灯坏了", "卫生院门口的路灯坏了"),
    ("河边的护栏断了", "水库边的护栏断了"),
    ("5栋楼下的井盖丢了", "5栋楼下的路灯坏了"),
]


@pytest.mark.parametrize("text", [
    "3号楼门口的路灯坏了好几天了，晚上黑乎乎的",
    "请问高龄补贴怎么领",
    "樓下的化糞池滿了，臭死了😷",
    "@居民助理 东门垃圾桶满了",
])
def test_identical_texts_score_one(text):
    assert sim(text, text) == pytest.approx(1.0)


def test_symmetric_and_in_unit_interval():
    texts = [t for pair in SAME + DIFFERENT for t in pair] + ["", "👍", "收到"]
    signatures = [problem_signature(t) for t in texts]
    for a, b in itertools.combinations(signatures, 2):
        forward, backward = similarity(a, b), similarity(b, a)
        assert forward == pytest.approx(backward)
        assert 0.0 <= forward <= 1.0


@pytest.mark.parametrize(("a", "b"), SAME)
def test_same_problem_in_other_words_scores_above_threshold(a, b):
    assert sim(a, b) >= DUPLICATE_THRESHOLD


@pytest.mark.parametrize(("a", "b"), DIFFERENT)
def test_same_type_other_place_or_thing_scores_below_threshold(a, b):
    assert sim(a, b) < DUPLICATE_THRESHOLD


def test_a_place_conflict_outweighs_identical_words():
    # Word for word the same except the building: still another problem.
    assert sim("3号楼的路灯坏了，晚上黑乎乎的", "7号楼的路灯坏了，晚上黑乎乎的") < DUPLICATE_THRESHOLD
    # A place named by one message only is no conflict.
    assert sim("3号楼的路灯坏了，晚上黑乎乎的", "路灯坏了，晚上黑乎乎的") >= DUPLICATE_THRESHOLD


def test_places_read_with_chinese_numerals():
    assert problem_signature("三号楼二单元").places == problem_signature("3栋2单元").places
    assert ("building", 11) in problem_signature("十一栋的门禁坏了").places
    assert ("group", 5) in problem_signature("五组停水了").places
    room = problem_signature("1502家漏水").places
    assert ("room", 1502) in room and ("floor", 15) in room
    assert {k for k, _ in problem_signature("东门的垃圾").places} == {"compass"}


def test_amounts_times_and_service_numbers_are_not_places():
    for text in ["借了他3000块钱", "打了110也没人来", "等了300多天", "2023年就反映过", "两栋楼都停电了"]:
        assert problem_signature(text).places == frozenset(), text


def test_traditional_and_simplified_are_the_same_text():
    assert sim("樓下的路燈壞了好幾天，晚上黑漆漆的", "楼下的路灯坏了好几天，晚上黑漆漆的") == pytest.approx(1.0)
    assert sim("東門垃圾桶滿了", "东门垃圾桶满了") == pytest.approx(1.0)


def test_mentions_emoji_and_full_width_do_not_matter():
    assert sim("@居民助理 ３号楼路灯坏了😭😭", "3号楼路灯坏了") == pytest.approx(1.0)


@pytest.mark.parametrize("text", ["", "   ", "😀👍🙏", "[图片]", "@居民助理", "。。。！！！", "收到"])
def test_empty_and_contentless_texts_do_not_crash(text):
    signature = problem_signature(text)
    assert isinstance(signature, ProblemSignature)
    assert similarity(signature, problem_signature("3号楼路灯坏了")) == 0.0
    assert 0.0 <= similarity(signature, signature) <= 1.0


@pytest.mark.parametrize("text", [
    "路灯坏了" * 2500,
    "a" * 10_000,
    "1" * 10_000,
    "三" * 10_000,
    "3号楼" * 3400,
    ("楼下垃圾没人清，" + "😡" * 5 + "[图片]") * 700,
])
def test_very_long_texts_do_not_crash(text):
    assert len(text) >= 10_000
    signature = problem_signature(text)
    assert similarity(signature, signature) == pytest.approx(1.0)
    assert 0.0 <= similarity(signature, problem_signature("路灯坏了")) <= 1.0


def test_non_string_input_is_tolerated():
    assert problem_signature(None).text == ""  # type: ignore[arg-type]
    assert problem_signature(12345).text == "12345"  # type: ignore[arg-type]
