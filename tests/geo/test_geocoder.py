"""The geocoder on the Pingdingshan gazetteer: the issue's examples, admin parts
constraining street parts, ambiguity, corners and offsets."""

import math

import pytest
from pyproj import Transformer

from geo.geocoder import geocode, geocode_many
from geo.models import Intersection, Road

pytestmark = pytest.mark.django_db

TO_METRIC = Transformer.from_crs(4326, 4547, always_xy=True)


def metres_between(a, b):
    (ax, ay), (bx, by) = TO_METRIC.transform(*a), TO_METRIC.transform(*b)
    return math.hypot(bx - ax, by - ay), bx - ax, by - ay


def crossing(a: str, b: str):
    ra, rb = Road.objects.get(name=a, county_codes__contains=["410402"]), Road.objects.get(name=b)
    x = Intersection.objects.get(road_a=min(ra, rb, key=lambda r: r.id), road_b=max(ra, rb, key=lambda r: r.id))
    return x.point.x, x.point.y


def test_heating_leak_at_ne_corner_of_xinjian_and_changqing_lands_in_changqing_community():
    """[ORG-5] the grid worker's report: the NE corner of 新建路与长青路交叉口, 长青社区."""
    r = geocode("我要反映新建路与长青路交叉口东北角热力管道漏水")
    assert r.precision == "intersection"
    assert r.area["community"] == {"code": "410402002005", "name": "长青社区居民委员会"}
    assert r.area["township"]["name"] == "光明路街道" and r.area["county"]["name"] == "新华区"
    dist, dx, dy = metres_between(crossing("新建路", "长青路"), r.point)
    assert 15 < dist < 25 and dx > 0 and dy > 0, "moved north-east of the crossing"
    assert r.components["intersection"] == ["新建路", "长青路"] and r.components["corner"] == "东北角"
    assert r.confidence >= 0.9


def test_traditional_text_naming_baofeng_chengguan_finds_the_township():
    r = geocode("寶豐縣城關鎮某小區門口停車亂")
    assert r.normalized.startswith("宝丰县城关镇")
    assert r.precision == "township"
    assert r.area["township"]["code"] == "410421100" and r.area["county"]["code"] == "410421"
    assert r.components["county"] == "宝丰县" and r.components["township"] == "城关镇"


def test_blocked_drain_at_building_19_of_changqing_community_is_placed_in_the_community():
    r = geocode("光明路街道长青社区19号楼下水道堵了")
    assert r.precision == "community"
    assert r.area["community"]["code"] == "410402002005"
    assert r.components["building"] == "19号楼"


def test_zhongxing_road_in_two_counties_resolves_by_the_county_named():
    baofeng = geocode("宝丰县中兴路井盖丢了")
    xinhua = geocode("新华区中兴路井盖丢了")
    assert baofeng.precision == xinhua.precision == "road"
    assert baofeng.area["county"]["code"] == "410421"
    assert xinhua.area["county"]["code"] == "410402"


def test_zhongxing_road_without_a_county_is_ambiguous_and_offers_both_as_candidates():
    r = geocode("中兴路上井盖丢了")
    assert r.point is None and r.precision is None and r.area is None
    assert len(r.candidates) == 2 and all(c["precision"] == "road" for c in r.candidates)


def test_near_picks_the_closest_of_equally_good_candidates():
    r = geocode("中兴路上井盖丢了", near=(113.05, 33.88))  # by 宝丰县城
    assert r.point is not None and r.area["county"]["code"] == "410421"


def test_house_number_is_interpolated_along_its_side_of_the_road():
    r88, r90 = geocode("新建路88号"), geocode("新建路90号")
    assert r88.precision == r90.precision == "address"
    dist, _, dy = metres_between(r88.point, r90.point)
    assert 35 < dist < 45 and dy > 0, "even numbers 40 m apart, rising northwards"
    odd = geocode("新建路89号")
    _, dx, _ = metres_between(r88.point, odd.point)
    assert 25 < abs(dx) < 35, "odd numbers on the other side of the road"


def test_offset_moves_the_point_by_the_metres_said():
    base, moved = geocode("凌云路光明路口"), geocode("凌云路光明路口往东100米有个井盖丢了")
    dist, dx, _ = metres_between(base.point, moved.point)
    assert 99 < dist < 101 and dx > 99


def test_place_alias_with_proximity_word_lowers_confidence_but_keeps_the_place():
    plain, near = geocode("平顶山市第一人民医院"), geocode("市一院对面")
    assert plain.precision == near.precision == "place"
    assert plain.point == near.point and near.confidence < plain.confidence


def test_misspelt_road_in_a_crossing_is_found_with_less_confidence():
    r = geocode("新建路与常青路交叉口漏水")
    assert r.precision == "intersection" and r.area["community"]["code"] == "410402002005"
    assert r.confidence < geocode("新建路与长青路交叉口漏水").confidence


@pytest.mark.parametrize(
    "text",
    ["我想咨询一下医保报销的流程", "小区保安态度很差", "新华社报道了这件事", "郑州市金水区文化路有人占道", "", "🙂"],
)
def test_texts_without_a_place_of_this_city_get_no_point(text):
    r = geocode(text)
    assert r.point is None and r.area is None


def test_bulk_path_answers_as_the_single_path_does():
    texts = ["新建路与长青路交叉口", "寶豐縣城關鎮", "长青社区", "今天天气不错", "中兴路", "市一院门口"]
    bulk = geocode_many(texts)
    for text, b in zip(texts, bulk):
        s = geocode(text)
        assert (b.point, b.precision, b.confidence, b.area) == (s.point, s.precision, s.confidence, s.area), text


def test_place_name_said_loosely_is_found_by_trigram_similarity_with_low_confidence():
    r = geocode("平顶山第一人民医院门口")  # the full name has 市 after 平顶山
    assert r.precision == "place" and r.components["place"] == "平顶山市第一人民医院"
    assert r.confidence < 0.6


def test_county_named_alone_routes_to_the_county_not_to_the_township_under_its_label_point():
    r = geocode("叶县有人偷倒垃圾")
    assert r.precision == "county" and r.area["county"]["code"] == "410422"
    assert r.area["township"] is None and r.area["community"] is None
    assert {o["kind"] for o in r.area["offices"]} == {"sub_center", "city_center"}
    township = geocode("宝丰县城关镇")
    assert township.area["township"]["code"] == "410421100" and township.area["community"] is None
