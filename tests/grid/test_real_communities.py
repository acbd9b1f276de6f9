"""The fixtures hold Pingdingshan's 2,828 real community and village committees (issue 15, item 9):
official names and 12-digit codes under the 148 townships, one workstation each [ORG-5], and the
everyday names (长青社区, 某某村) as aliases the geocoder reads."""

import pytest

from geo.geocoder import geocode
from grid.models import Area, Office

pytestmark = pytest.mark.django_db

CHANGQING = "410402002005"


def test_the_areas_api_serves_every_real_community_and_410402002005_is_changqing(client):
    """[ORG-1] the city's four-level grid down to the community: ≥ 2,828 communities, 长青社区 by code."""
    fc = client.get("/api/grid/areas/", {"level": "community", "simplify": 0.01}).json()
    codes = [f["id"] for f in fc["features"]]
    assert len(codes) >= 2828 and len(set(codes)) == len(codes)
    assert all(len(c) == 12 for c in codes)

    body = client.get(f"/api/grid/areas/{CHANGQING}/").json()
    props = body["properties"]
    assert body["id"] == CHANGQING and props["level"] == "community"
    assert props["name"] == "长青社区居民委员会" and "长青社区" in props["aliases"]
    assert props["parent_code"] == "410402002"  # 光明路街道, 新华区


def test_every_community_has_one_workstation_named_as_people_say_it():
    """[ORG-5] each 社区/村 has a workstation: 长青社区工作站, not 长青社区居民委员会工作站."""
    communities = set(Area.objects.current().filter(level="community").values_list("code", flat=True))
    stations = Office.objects.filter(kind=Office.Kind.WORKSTATION)
    assert set(stations.values_list("area_code", flat=True)) == communities
    assert Office.objects.get(code=f"WS-{CHANGQING}").name == "长青社区工作站"
    assert Office.objects.get(code=f"WS-{CHANGQING}").parent.code == "TC-410402002"


def test_a_village_committee_is_known_by_its_short_name():
    village = Area.objects.current().get(code="410423101202")  # 鲁山县下汤镇
    assert village.name == "乱石盘村民委员会"
    assert {"乱石盘村", "乱石盘村委会"} <= set(village.aliases)


@pytest.mark.parametrize(
    "text",
    ["光明路街道长青社区", "新华区光明路街道长青社区居民委员会", "长青社区居委会门口垃圾没人清"],
)
def test_the_geocoder_finds_changqing_by_its_short_and_official_names(text):
    r = geocode(text)
    assert r.area["community"]["code"] == CHANGQING, (text, r.area)


def test_the_geocoder_finds_a_village_by_its_short_name_in_its_township():
    r = geocode("鲁山县下汤镇乱石盘村饮水困难")
    assert r.area["community"]["code"] == "410423101202", r.area


@pytest.mark.parametrize(
    "name, short, aliases, spoken",
    [
        ("长青社区居民委员会", "长青", ["长青", "长青社区", "长青社区居委会"], "长青社区"),
        ("李庄村村民委员会", "李庄", ["李庄", "李庄村", "李庄村村委会"], "李庄村"),
        ("王村村民委员会", "王村", ["王村", "王村村委会"], "王村"),
        ("光明路街道", "光明路", ["光明路", "光明路街道办事处"], "光明路街道"),
    ],
)
def test_spoken_name_is_the_everyday_form_of_a_committee(name, short, aliases, spoken):
    from grid.names import spoken_name

    assert spoken_name(name, short, aliases) == spoken
