"""The locate API: every county answers, bad input gets a 400 naming the field."""

import pytest

from grid.models import Area

pytestmark = pytest.mark.django_db


def _label(code):
    p = Area.objects.current().get(code=code).label_point
    return p.x, p.y


def test_every_county_level_area_locates_to_itself(client):
    counties = Area.objects.current().filter(level="county")
    assert counties.count() == 12
    for county in counties:
        lon, lat = county.label_point.x, county.label_point.y
        body = client.get("/api/grid/locate", {"lon": lon, "lat": lat}).json()
        assert body["county"]["code"] == county.code, county.name
        assert body["county"]["is_zone"] is county.is_zone
        assert body["city"] == {"code": "410400", "name": "平顶山市"}
        assert body["township"] and body["community"]


def test_point_in_changqing_community_names_its_whole_chain_and_offices(client):
    lon, lat = _label("410402002005")
    resp = client.get("/api/grid/locate", {"lon": lon, "lat": lat})
    assert resp.status_code == 200
    body = resp.json()
    assert body["community"] == {"code": "410402002005", "name": "长青社区居民委员会"}
    assert body["township"] == {"code": "410402002", "name": "光明路街道"}
    assert body["county"] == {"code": "410402", "name": "新华区", "is_zone": False}
    kinds = [o["kind"] for o in body["offices"]]
    assert kinds == ["workstation", "township_center", "county_dispatch", "city_center"]
    assert body["offices"][0]["name"] == "长青社区工作站"


def test_every_township_label_point_locates_to_that_township(client):
    townships = list(Area.objects.current().filter(level="township"))
    assert len(townships) == 148
    results = client.post(
        "/api/grid/locate",
        {"points": [[t.label_point.x, t.label_point.y] for t in townships]},
        content_type="application/json",
    ).json()["results"]
    assert [r["township"]["code"] for r in results] == [t.code for t in townships]


def test_sub_center_county_lists_its_sub_center_as_county_office(client):
    lon, lat = _label("410482")  # 汝州市
    body = client.get("/api/grid/locate", {"lon": lon, "lat": lat}).json()
    county_offices = [o for o in body["offices"] if o["kind"] in ("sub_center", "county_dispatch")]
    assert county_offices == [{"kind": "sub_center", "name": "汝州市民呼必应分中心", "code": "SC-410482"}]


def test_point_outside_the_city_is_404_with_a_message(client):
    resp = client.get("/api/grid/locate", {"lon": 116.39, "lat": 39.9})  # Beijing
    assert resp.status_code == 404
    assert "outside" in resp.json()["detail"]


@pytest.mark.parametrize(
    "params, field",
    [
        ({"lat": 33.7}, "lon"),
        ({"lon": 113.2}, "lat"),
        ({"lon": "abc", "lat": 33.7}, "lon"),
        ({"lon": 113.2, "lat": "33,7"}, "lat"),
        ({"lon": 181, "lat": 33.7}, "lon"),
        ({"lon": 113.2, "lat": -91}, "lat"),
        ({"lon": "nan", "lat": 33.7}, "lon"),
        ({"lon": 113.2, "lat": "inf"}, "lat"),
    ],
)
def test_bad_coordinates_are_400_naming_the_field(client, params, field):
    resp = client.get("/api/grid/locate", params)
    assert resp.status_code == 400
    assert field in resp.json()


def test_bulk_locate_keeps_order_and_gives_null_outside(client):
    inside = _label("410402002005")
    resp = client.post(
        "/api/grid/locate",
        {"points": [list(inside), [0, 0], list(_label("410423"))]},
        content_type="application/json",
    )
    assert resp.status_code == 200
    results = resp.json()["results"]
    assert results[0]["community"]["name"] == "长青社区居民委员会"
    assert results[1] is None
    assert results[2]["county"]["code"] == "410423"


@pytest.mark.parametrize(
    "payload, fragment",
    [
        ({}, "points"),
        ({"points": []}, "points"),
        ({"points": [[113.2]]}, "points"),
        ({"points": [[113.2, 33.7], ["x", 33.7]]}, "points[1]"),
        ({"points": [[113.2, 33.7], [113.2, 95]]}, "points[1]"),
        ({"points": [[113.2, 33.7]] * 10_001}, "points"),
    ],
)
def test_bad_bulk_input_is_400_with_a_message(client, payload, fragment):
    resp = client.post("/api/grid/locate", payload, content_type="application/json")
    assert resp.status_code == 400
    assert fragment in str(resp.json())


def test_malformed_json_body_is_400(client):
    resp = client.post("/api/grid/locate", "{not json", content_type="application/json")
    assert resp.status_code == 400


def test_in_process_index_agrees_with_postgis_on_random_points():
    import numpy as np

    from grid.selectors import deepest_area_ids, deepest_area_ids_sql

    city = Area.objects.current().get(level="city")
    minx, miny, maxx, maxy = city.geom.extent
    rng = np.random.default_rng(7)
    lons, lats = rng.uniform(minx, maxx, 5_000).tolist(), rng.uniform(miny, maxy, 5_000).tolist()
    assert deepest_area_ids(lons, lats) == deepest_area_ids_sql(lons, lats)


def test_bulk_locate_follows_a_reimported_boundary_at_once(tmp_path, client):
    """A re-import bumps the grid version, so the in-process index never answers from a retired generation."""
    import geopandas as gpd
    from django.conf import settings
    from django.core.management import call_command

    lon, lat = _label("410402002005")
    before = client.post("/api/grid/locate", {"points": [[lon, lat]]}, content_type="application/json")
    assert before.json()["results"][0]["community"]["name"] == "长青社区居民委员会"
    # Re-import the communities with 长青社区 renamed: the very next bulk call sees the new name.
    gdf = gpd.read_file(settings.BASE_DIR / "fixtures" / "pingdingshan" / "communities.geojson")
    gdf.loc[gdf["code"] == "410402002005", "name"] = "长青新社区"
    path = tmp_path / "communities.geojson"
    gdf[["code", "name", "parent_code", "geometry"]].to_file(path, driver="GeoJSON", engine="pyogrio")
    call_command(
        "import_boundaries",
        str(path),
        level="community",
        code_field="code",
        name_field="name",
        parent_field="parent_code",
        verbosity=0,
    )
    after = client.post("/api/grid/locate", {"points": [[lon, lat]]}, content_type="application/json")
    assert after.json()["results"][0]["community"]["name"] == "长青新社区"
