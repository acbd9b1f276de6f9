"""Properties of the address parser over generated text (hypothesis): it never
raises on any unicode text (the inner parser, not the safety net around it),
every piece it returns is taken from the normalized input, normalizing is
idempotent, and known pieces put into a sentence come back out of it."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from geo.parser import DIRECTIONS, MAX_TEXT_CHARS, PROXIMITY_KINDS, Entry, Lexicon, _parse, normalize, parse

ROADS = {"新建路": "R1", "长青路": "R2", "建设路": "R3", "开源路": "R5", "矿工路": "R6", "中兴大道": "R7"}
PLACES = {"长青小区": "P1", "鹰城广场": "P2", "平顶山市第一人民医院": "P3"}
LEXICON = Lexicon(
    {
        **{name: [Entry("road", ref)] for name, ref in ROADS.items()},
        **{name: [Entry("place", ref)] for name, ref in PLACES.items()},
        "光明路街道": [Entry("township", "410402002")],
        "长青社区": [Entry("community", "410402002005")],
        "新华区": [Entry("county", "410402")],
        "宝丰县": [Entry("county", "410421")],
    }
)
PROPS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Text that looks like what people type: Chinese, the parser's own marker words, digits,
# full-width forms, traditional characters, emoji, controls, combining marks and lone surrogates.
_ADDRESSY = st.sampled_from(
    [
        *ROADS,
        *PLACES,
        "与",
        "和",
        "交叉口",
        "路口",
        "东北角",
        "南侧",
        "路东",
        "号",
        "号院",
        "号楼",
        "栋",
        "单元",
        "往东",
        "米",
        "公里",
        "附近",
        "对面",
        "旁边",
        "十",
        "二十三",
        "一百零五",
        "两",
        "小区",
        "大街",
        "路",
        "街",
        "１２０",
        "寶豐縣",
        "ＡＢ",
        "\u3000",
        "\u200b",
        "\ufeff",
        "😭",
        "ﷺ",
        "﷽",
        "ǅ",
        "İ",
        "\ud800",
        "\x00",
        "\u0301",
    ]
)
addressy_text = st.lists(st.one_of(_ADDRESSY, st.text(max_size=6)), max_size=40).map("".join)
any_text = st.one_of(st.text(max_size=400), addressy_text)


@given(any_text)
@PROPS
def test_the_inner_parser_never_raises_on_any_unicode_text(text):
    """parse() has a safety net; _parse() must not need it."""
    out = _parse(text, LEXICON)
    assert out.query == text


@given(st.one_of(st.binary(max_size=50), st.integers(), st.none(), st.lists(st.text(max_size=5), max_size=3)))
@settings(max_examples=100, deadline=None)
def test_anything_that_is_not_text_parses_to_nothing(value):
    out = parse(value, LEXICON)
    assert out.normalized == "" and out.mentions == []


@given(any_text)
@PROPS
@example("ﷺ" * (MAX_TEXT_CHARS // 2))  # NFKC makes 18 characters of one: the cut must come after it
@example("T\u00a8")  # a space dropped joins T to its diaeresis
def test_normalizing_is_idempotent_and_bounded(text):
    once = normalize(text)
    assert normalize(once) == once
    assert len(once) <= MAX_TEXT_CHARS
    assert not any(ch.isspace() for ch in once)


@given(any_text)
@PROPS
def test_every_piece_is_a_substring_of_the_normalized_text(text):
    out = _parse(text, LEXICON)
    norm = out.normalized
    assert norm == normalize(text)
    for m in out.mentions:
        assert norm[m.start : m.end] == m.text
        assert 0 <= m.start < m.end <= len(norm)
        assert m.entries
    starts = [m.start for m in out.mentions]
    assert starts == sorted(starts)
    for a, b in zip(out.mentions, out.mentions[1:]):
        assert a.end <= b.start  # mentions never overlap
    for a, b, _marked in out.crossings:
        assert a in out.mentions and b in out.mentions and a.start < b.start
    for phrase in (*out.unknown_roads, *out.unknown_places):
        assert phrase in norm
    if out.house_number:
        assert out.house_number.road in out.mentions
        assert f"{out.house_number.number}" in norm[out.house_number.road.end :]
    if out.building is not None:
        assert str(out.building) in norm
    if out.unit is not None:
        assert f"{out.unit}单元" in norm
    if out.corner is not None:
        assert out.corner in DIRECTIONS and out.crossings
    if out.side is not None:
        assert out.side in "东西南北" and out.side_of in out.mentions
    if out.proximity_word is not None:
        assert out.proximity_word in norm and out.proximity == PROXIMITY_KINDS[out.proximity_word]
    if out.offset is not None:
        assert out.offset.direction in DIRECTIONS and 0 < out.offset.meters <= 20_000


@given(any_text)
@PROPS
def test_parsing_the_normalized_text_again_finds_the_same_pieces(text):
    """Idempotent: the normalized form of a text says the same as the text."""
    first = _parse(text, LEXICON)
    again = _parse(first.normalized, LEXICON)
    assert again.normalized == first.normalized
    assert [(m.start, m.end, m.entries) for m in again.mentions] == [
        (m.start, m.end, m.entries) for m in first.mentions
    ]
    assert (again.house_number and again.house_number.number) == (first.house_number and first.house_number.number)
    assert (again.corner, again.side, again.offset, again.proximity, again.building, again.unit) == (
        first.corner,
        first.side,
        first.offset,
        first.proximity,
        first.building,
        first.unit,
    )


road = st.sampled_from(sorted(ROADS))
corner = st.sampled_from(["东北", "东南", "西北", "西南"])
noise = st.sampled_from(["", "我要反映", "市民来电称", "请尽快处理，", "😭😭 "])
complaint = st.sampled_from(["", "热力管道漏水", "下水道堵塞已经两天了", "有人占道经营！！"])


def to_full_width(s: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else ("\u3000" if c == " " else c) for c in s)


@given(
    noise,
    road,
    st.sampled_from(["与", "和", "跟", "交", "/"]),
    road,
    st.sampled_from(["交叉口", "路口", "交汇处"]),
    corner,
    complaint,
    st.booleans(),
)
@PROPS
def test_a_crossing_and_its_corner_come_back_out_of_any_sentence(pre, a, join, b, mark, where, post, wide):
    assume(a != b)
    text = f"{pre}{a}{join}{b}{mark}{where}角{post}"
    out = parse(to_full_width(text) if wide else text, LEXICON)
    assert [(x.text, y.text, marked) for x, y, marked in out.crossings] == [(a, b, True)]
    assert out.corner == where


@given(noise, road, st.integers(1, 99_999), st.one_of(st.none(), st.integers(1, 9_999)), st.booleans(), complaint)
@PROPS
def test_a_house_number_comes_back_out_with_its_road(pre, name, number, sub, compound, post):
    text = f"{pre}{name}{number}{'' if sub is None else f'-{sub}'}号{'院' if compound else ''}{post}"
    out = parse(text, LEXICON)
    assert out.house_number is not None
    assert (out.house_number.road.text, out.house_number.number, out.house_number.sub, out.house_number.compound) == (
        name,
        number,
        sub,
        compound,
    )


def to_chinese(n: int) -> str:
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    if n < 20:
        return "十" + (digits[n % 10] if n % 10 else "")
    if n < 100:
        return digits[n // 10] + "十" + (digits[n % 10] if n % 10 else "")
    rest = n % 100
    tail = (
        ""
        if rest == 0
        else ("零" + digits[rest] if rest < 10 else to_chinese(rest) if rest >= 20 else "一" + to_chinese(rest))
    )
    return digits[n // 100] + "百" + tail


@given(
    st.sampled_from(sorted(PLACES)), st.sampled_from(list("东西南北")), st.integers(1, 999), st.booleans(), complaint
)
@PROPS
def test_an_offset_in_digits_or_chinese_numerals_comes_back_out(place, direction, meters, chinese, post):
    amount = to_chinese(meters) if chinese else str(meters)
    out = parse(f"{place}往{direction}{amount}米{post}", LEXICON)
    assert out.offset is not None
    assert (out.offset.direction, out.offset.meters) == (direction, float(meters))
    assert [m.text for m in out.of_kind("place")] == [place]


@given(st.integers(1, 999), st.integers(1, 99))
@PROPS
def test_building_and_unit_come_back_out_in_digits_or_chinese(building, unit):
    out = parse(f"长青小区{to_chinese(building)}号楼{to_chinese(unit)}单元楼道灯坏了", LEXICON)
    assert (out.building, out.unit) == (building, unit)


@pytest.mark.parametrize("name", sorted(ROADS) + sorted(PLACES))
def test_each_known_name_in_traditional_or_full_width_form_is_still_found(name):
    out = parse(f"市民反映：{to_full_width(name + ' 1')}號", LEXICON)
    assert name in [m.text for m in out.mentions]
