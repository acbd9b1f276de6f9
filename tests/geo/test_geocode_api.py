"""The geocoding API: the answers the dispatch desk sees, and a clear 400 or
404 (never a 500) for input it cannot use."""

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_get_geocode_answers_the_heating_leak_report_with_point_area_and_candidates(client):
    resp = client.get("/api/geo/geocode", {"q": "我要反映新建路与长青路交叉口东北角热力管道漏水"})
    assert resp.status_code == 200
    body = resp.json()
    assert set(body) == {"query", "normalized", "point", "precision", "confidence", "components", "area", "candidates"}
    assert body["point"]["type"] == "Point" and len(body["point"]["coordinates"]) == 2
    assert body["precision"] == "intersection"
    assert body["area"]["community"]["name"] == "长青社区居民委员会"
    assert body["area"]["offices"][0]["name"] == "长青社区工作站"
    assert 1 <= len(body["candidates"]) <= 5
    assert body["candidates"][0]["point"]["type"] == "Point"


def test_get_geocode_near_breaks_a_tie_between_two_counties(client):
    ambiguous = client.get("/api/geo/geocode", {"q": "中兴路"}).json()
    assert ambiguous["point"] is None and len(ambiguous["candidates"]) == 2
    near = client.get("/api/geo/geocode", {"q": "中兴路", "near": "113.27,33.75"}).json()
    assert near["area"]["county"]["code"] == "410402"


def test_text_without_a_place_is_404_with_empty_candidates_and_a_message(client):
    resp = client.get("/api/geo/geocode", {"q": "我想咨询一下医保报销的流程"})
    assert resp.status_code == 404
    body = resp.json()
    assert body["candidates"] == [] and body["detail"]


@pytest.mark.parametrize(
    "params, field",
    [
        ({}, "q"),
        ({"q": ""}, "q"),
        ({"q": "   "}, "q"),
        ({"q": "路" * 501}, "q"),
        ({"q": "长青社区", "near": "113.2"}, "near"),
        ({"q": "长青社区", "near": "abc,33"}, "near"),
        ({"q": "长青社区", "near": "113,95"}, "near"),
        ({"q": "长青社区", "near": "nan,33"}, "near"),
    ],
)
def test_bad_geocode_query_is_400_naming_the_field(client, params, field):
    resp = client.get("/api/geo/geocode", params)
    assert resp.status_code == 400
    assert field in resp.json()


def test_500_characters_is_still_accepted(client):
    text = ("光明路街道长青社区" + "啊" * 500)[:500]
    assert client.get("/api/geo/geocode", {"q": text}).status_code == 200


def test_post_geocodes_a_batch_in_order_with_empty_results_for_texts_without_place(client):
    queries = ["新建路与长青路交叉口", "寶豐縣城關鎮", "今天天气不错"] * 300 + ["长青社区"]
    resp = client.post("/api/geo/geocode", {"queries": queries}, content_type="application/json")
    assert resp.status_code == 200
    results = resp.json()["results"]
    assert len(results) == len(queries)
    assert results[0]["precision"] == "intersection"
    assert results[1]["area"]["township"]["code"] == "410421100"
    assert results[2]["point"] is None and results[2]["candidates"] == []
    assert results[-1]["area"]["community"]["code"] == "410402002005"


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"queries": []},
        {"queries": "长青社区"},
        {"queries": ["长青社区", ""]},
        {"queries": ["路" * 501]},
        {"queries": ["长青社区"] * 1001},
        {"queries": [None]},
    ],
)
def test_bad_batch_is_400_naming_queries(client, payload):
    resp = client.post("/api/geo/geocode", payload, content_type="application/json")
    assert resp.status_code == 400
    assert "queries" in resp.json()


def test_reverse_at_the_crossing_names_the_crossing_the_road_and_the_area(client):
    resp = client.get("/api/geo/reverse", {"lon": 113.29505, "lat": 33.75565})
    assert resp.status_code == 200
    body = resp.json()
    assert body["intersection"]["label"] in ("长青路与新建路交叉口", "新建路与长青路交叉口")
    assert body["intersection"]["distance_m"] < 10
    assert body["nearest"]["distance_m"] <= body["intersection"]["distance_m"]
    assert body["road"]["name"] in ("新建路", "长青路")
    assert body["area"]["community"]["name"] == "长青社区居民委员会"


def test_reverse_finds_the_house_number_that_geocoding_gave(client):
    forward = client.get("/api/geo/geocode", {"q": "新建路88号"}).json()
    lon, lat = forward["point"]["coordinates"]
    back = client.get("/api/geo/reverse", {"lon": lon, "lat": lat}).json()
    assert back["address"]["label"] == "新建路88号" and back["address"]["distance_m"] < 1


def test_reverse_far_from_everything_has_no_feature_but_still_the_area(client):
    body = client.get("/api/geo/reverse", {"lon": 112.60, "lat": 33.80}).json()  # 鲁山县 hills
    assert body["nearest"] is None and body["road"] is None
    assert body["area"]["county"]["code"] == "410423"


def test_reverse_outside_the_city_is_404(client):
    resp = client.get("/api/geo/reverse", {"lon": 116.39, "lat": 39.9})
    assert resp.status_code == 404 and resp.json()["detail"]


@pytest.mark.parametrize(
    "params, field",
    [({"lat": 33.7}, "lon"), ({"lon": "x", "lat": 33.7}, "lon"), ({"lon": 113.3, "lat": "inf"}, "lat")],
)
def test_bad_reverse_coordinates_are_400_naming_the_field(client, params, field):
    resp = client.get("/api/geo/reverse", params)
    assert resp.status_code == 400 and field in resp.json()


def test_openapi_schema_documents_the_geo_endpoints_without_warnings(capsys):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null")
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    assert {"/api/geo/geocode", "/api/geo/reverse"} <= set(schema["paths"])
    assert "post" in schema["paths"]["/api/geo/geocode"]
