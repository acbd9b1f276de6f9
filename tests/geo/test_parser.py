"""The address parser: what it pulls out of operator-typed and WeChat texts,
and that no text, however odd, makes it fail or take long."""

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.parser import Entry, Lexicon, cn_to_int, normalize, parse

LEXICON = Lexicon(
    {
        "新建路": [Entry("road", "R1")],
        "长青路": [Entry("road", "R2")],
        "建设路": [Entry("road", "R3")],
        "建设东路": [Entry("road", "R3", "alias")],
        "光明路": [Entry("road", "R4"), Entry("township", "410402002", "short")],
        "光明路街道": [Entry("township", "410402002")],
        "长青社区": [Entry("community", "410402002005")],
        "宝丰县": [Entry("county", "410421")],
        "城关镇": [Entry("township", "410421100")],
        "长青小区": [Entry("place", "P1")],
    }
)


def kinds(parsed):
    return [(m.text, sorted({e.kind for e in m.entries})) for m in parsed.mentions]


def test_traditional_characters_and_full_width_forms_are_normalized():
    assert normalize("寶豐縣城關鎮某小區門口停車亂") == "宝丰县城关镇某小区门口停车乱"
    assert normalize("新建路１２０号　ＡＢ") == "新建路120号ab"


@pytest.mark.parametrize(
    "text, number",
    [("十九", 19), ("二十三", 23), ("一百零五", 105), ("一九", 19), ("两百", 200), ("十", 10), ("零", 0)],
)
def test_chinese_numerals_read_as_numbers(text, number):
    assert cn_to_int(text) == number


def test_chinese_numerals_become_digits_only_before_a_unit():
    assert normalize("十九号楼") == "19号楼"
    assert normalize("往东一百米") == "往东100米"
    assert normalize("五一路九里山四棵树乡") == "五一路九里山四棵树乡"


def test_crossing_with_connector_marker_and_corner():
    p = parse("我要反映新建路与长青路交叉口东北角热力管道漏水", LEXICON)
    assert [(a.text, b.text, marked) for a, b, marked in p.crossings] == [("新建路", "长青路", True)]
    assert p.corner == "东北"


@pytest.mark.parametrize(
    "text",
    ["新建路和长青路路口", "新建路跟长青路交汇处", "新建路长青路口", "新建路交长青路", "新建路/长青路十字路口"],
)
def test_every_way_of_saying_a_crossing_is_understood(text):
    p = parse(text, LEXICON)
    assert [(a.text, b.text, marked) for a, b, marked in p.crossings] == [("新建路", "长青路", True)]


def test_two_roads_named_without_a_crossing_word_are_not_marked_as_a_crossing():
    p = parse("新建路和长青路的路灯都不亮", LEXICON)
    assert [marked for _, _, marked in p.crossings] == [False]


def test_a_misspelt_road_one_character_off_still_makes_the_crossing():
    p = parse("新建路与常青路交叉口", LEXICON)
    (a, b, marked), *_ = p.crossings
    assert (a.text, b.entries[0].ref, b.entries[0].form, marked) == ("新建路", "R2", "fuzzy", True)


def test_house_number_building_and_unit():
    p = parse("新建路88号院3号楼2单元", LEXICON)
    assert (p.house_number.road.text, p.house_number.number, p.house_number.compound) == ("新建路", 88, True)
    assert (p.building, p.unit) == (3, 2)


def test_building_number_is_not_a_house_number_but_a_stairwell_is():
    assert parse("长青社区19号楼下水道堵了", LEXICON).house_number is None
    assert parse("长青社区19号楼下水道堵了", LEXICON).building == 19
    assert parse("新建路八十八号楼道灯坏了", LEXICON).house_number.number == 88


def test_side_of_road_and_offset_and_proximity():
    p = parse("长青路南侧往东走一百米附近", LEXICON)
    assert (p.side, p.side_of.text) == ("南", "长青路")
    assert (p.offset.direction, p.offset.meters, p.offset.vector) == ("东", 100.0, (100.0, 0.0))
    assert (p.proximity, p.proximity_word) == ("near", "附近")
    assert parse("长青小区对面", LEXICON).proximity == "opposite"
    assert parse("新建路往北2公里", LEXICON).offset.meters == 2000


def test_longest_name_wins_so_a_township_named_after_a_road_is_read_whole():
    assert kinds(parse("光明路街道长青社区", LEXICON)) == [("光明路街道", ["township"]), ("长青社区", ["community"])]
    assert kinds(parse("光明路上", LEXICON)) == [("光明路", ["road", "township"])]
    assert kinds(parse("建设东路", LEXICON)) == [("建设东路", ["road"])]


def test_unknown_place_like_phrases_are_kept_for_fuzzy_lookup_without_the_complaint_around_them():
    p = parse("我家住在锦绣花园小区门口很乱", LEXICON)
    assert p.unknown_places == ["锦绣花园"]
    assert parse("某小区门口停车乱", LEXICON).unknown_places == []


def test_mixed_scripts_emoji_and_noise_do_not_hide_the_address():
    p = parse("Xinjian Rd 新建路 与 長青路 crossing 😭😭 !!!", LEXICON)
    assert [(a.text, b.text) for a, b, _ in p.crossings] == [("新建路", "长青路")]


@pytest.mark.parametrize("text", ["", "   ", "\x00\x01", "\ud800\udfff", "🙂" * 50, "号" * 30, "\u200b\ufeff"])
def test_odd_inputs_parse_to_nothing_without_error(text):
    p = parse(text, LEXICON)
    assert p.crossings == [] and p.house_number is None


@given(st.text(max_size=300))
@settings(max_examples=300, deadline=None)
def test_parse_never_raises_on_any_unicode_text(text):
    p = parse(text, LEXICON)
    assert isinstance(p.normalized, str)


@pytest.mark.parametrize("unit", ["路", "新建路", "号", "与", "1", "十", "新建路与", "东北角", "小区", "😀", "a"])
def test_ten_thousand_repeated_characters_are_answered_in_bounded_time(unit):
    text = (unit * 10_000)[:10_000]
    t = time.perf_counter()
    parse(text, LEXICON)
    assert time.perf_counter() - t < 1.0
